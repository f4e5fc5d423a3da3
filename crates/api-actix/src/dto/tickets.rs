//! Ticket requests.

use super::{Checker, OptionalName, PriorityInput, in_range, nullable};
use crate::error::ApiError;
use kanban_domain::BoardId;
use kanban_domain::FieldError;
use kanban_domain::page::PageRequest;
use kanban_domain::services::{NewTicketInput, TicketListQuery};
use kanban_domain::ticket::TicketPatch;
use kanban_domain::values::{AssigneeName, LongText, Priority, TicketTitle};
use serde::Deserialize;
use serde::de::IgnoredAny;
use utoipa::{IntoParams, ToSchema};

/// An assignee as sent: an empty string means "nobody".
pub(crate) fn assignee(field: &str, raw: Option<&str>) -> Result<Option<AssigneeName>, FieldError> {
    match raw.map(str::trim) {
        None | Some("") => Ok(None),
        Some(name) => AssigneeName::parse(field, name).map(Some),
    }
}

/// `POST /api/tickets`. The legacy `created_by` is accepted and ignored.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateTicket {
    #[schema(minimum = 1, maximum = 9223372036854775807i64)]
    #[serde(deserialize_with = "super::integer")]
    pub board_id: i64,
    #[schema(value_type = TicketTitle)]
    pub title: String,
    #[serde(default)]
    #[schema(value_type = Option<LongText>)]
    pub description: Option<String>,
    #[serde(default)]
    #[schema(value_type = Option<LongText>)]
    pub acceptance_criteria: Option<String>,
    /// `1.0` by default.
    #[serde(default)]
    pub priority: Option<PriorityInput>,
    /// Empty or `null`: unassigned.
    #[serde(default)]
    #[schema(value_type = Option<OptionalName>)]
    pub assignee: Option<String>,
    /// One of the board's columns, in any case; its first column when absent or empty.
    #[serde(default)]
    pub current_column: Option<String>,
}

impl CreateTicket {
    pub fn validate(self) -> Result<NewTicketInput, ApiError> {
        let mut checker = Checker::default();
        if self.board_id < 1 {
            checker.reject("board_id", "out_of_range", "must be a positive id");
        }
        let title = checker.check(TicketTitle::parse("title", &self.title));
        let description = checker.check(LongText::parse(
            "description",
            self.description.as_deref().unwrap_or_default(),
        ));
        let criteria = checker.check(LongText::parse(
            "acceptance_criteria",
            self.acceptance_criteria.as_deref().unwrap_or_default(),
        ));
        let priority = match &self.priority {
            Some(p) => checker.check(p.validate("priority")),
            None => Some(Priority::default()),
        };
        let assignee = checker.check(assignee("assignee", self.assignee.as_deref()));
        let column = self.current_column.filter(|c| !c.trim().is_empty());
        let board_id = BoardId::new(self.board_id);
        checker.finish("body", || {
            Some(NewTicketInput {
                board_id,
                title: title?,
                description: description?,
                acceptance_criteria: criteria?,
                priority: priority?,
                assignee: assignee?,
                column,
            })
        })
    }
}

/// `PUT /api/tickets/{id}`: only sent fields change; unknown fields are refused, except the
/// legacy `created_by`, `changed_by` and `moved_by`, which are ignored.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateTicket {
    /// Must not be `null`.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = TicketTitle, required = false)]
    pub title: Option<Option<String>>,
    /// `null` clears it.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<LongText>, required = false)]
    pub description: Option<Option<String>>,
    /// `null` clears it.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<LongText>, required = false)]
    pub acceptance_criteria: Option<Option<String>>,
    /// Must not be `null`.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = PriorityInput, required = false)]
    pub priority: Option<Option<PriorityInput>>,
    /// Empty or `null`: unassigned.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<OptionalName>, required = false)]
    pub assignee: Option<Option<String>>,
    /// Accepted and ignored (the actor is the authenticated user).
    #[serde(default, rename = "created_by")]
    #[schema(value_type = Option<Value>, required = false)]
    _created_by: Option<IgnoredAny>,
    /// Accepted and ignored.
    #[serde(default, rename = "changed_by")]
    #[schema(value_type = Option<Value>, required = false)]
    _changed_by: Option<IgnoredAny>,
    /// Accepted and ignored.
    #[serde(default, rename = "moved_by")]
    #[schema(value_type = Option<Value>, required = false)]
    _moved_by: Option<IgnoredAny>,
}

impl UpdateTicket {
    pub fn validate(self) -> Result<TicketPatch, ApiError> {
        let mut checker = Checker::default();
        let title = match &self.title {
            None => Some(None),
            Some(None) => {
                checker.reject("title", "null_forbidden", "must not be null");
                None
            }
            Some(Some(title)) => checker.check(TicketTitle::parse("title", title)).map(Some),
        };
        let text = |checker: &mut Checker, field: &str, value: &Option<Option<String>>| match value
        {
            None => Some(None),
            Some(text) => checker
                .check(LongText::parse(field, text.as_deref().unwrap_or_default()))
                .map(Some),
        };
        let description = text(&mut checker, "description", &self.description);
        let criteria = text(
            &mut checker,
            "acceptance_criteria",
            &self.acceptance_criteria,
        );
        let priority = match &self.priority {
            None => Some(None),
            Some(None) => {
                checker.reject("priority", "null_forbidden", "must not be null");
                None
            }
            Some(Some(p)) => checker.check(p.validate("priority")).map(Some),
        };
        let assignee = match &self.assignee {
            None => Some(None),
            Some(raw) => checker
                .check(assignee("assignee", raw.as_deref()))
                .map(Some),
        };
        checker.finish("body", || {
            Some(TicketPatch {
                title: title?,
                description: description?,
                acceptance_criteria: criteria?,
                priority: priority?,
                assignee: assignee?,
            })
        })
    }
}

/// `POST /api/tickets/{id}/move`. The legacy `moved_by` is accepted and ignored.
#[derive(Debug, Deserialize, ToSchema)]
pub struct MoveTicket {
    /// One of the ticket's board's columns, in any case.
    pub column: String,
}

/// `?agent_id=` of `POST /api/tickets/{id}/claim`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ClaimQuery {
    /// Who claims; the caller's username by default. An agent may claim only for itself.
    #[param(value_type = Option<OptionalName>)]
    pub agent_id: Option<String>,
}

impl ClaimQuery {
    pub fn validate(self) -> Result<Option<AssigneeName>, ApiError> {
        let mut checker = Checker::default();
        let agent = checker.check(assignee("agent_id", self.agent_id.as_deref()));
        checker.finish("query", || agent)
    }
}

/// `GET /api/tickets?board_id=&column=&assignee=&page=&page_size=`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListTickets {
    /// The board (required); an unknown board is 404.
    #[param(minimum = 1, maximum = 9223372036854775807i64)]
    pub board_id: i64,
    /// Only tickets in this column (any case).
    pub column: Option<String>,
    /// Only tickets assigned to this name.
    #[param(value_type = Option<OptionalName>)]
    pub assignee: Option<String>,
    /// From 1.
    #[param(value_type = Option<i64>, minimum = 1, maximum = 4294967295i64)]
    pub page: Option<u32>,
    /// 1–100, 50 by default.
    #[param(minimum = 1, maximum = 100)]
    pub page_size: Option<u32>,
}

impl ListTickets {
    pub fn validate(self) -> Result<(TicketListQuery, PageRequest), ApiError> {
        let mut checker = Checker::default();
        let page = checker.check(in_range("page", self.page.unwrap_or(1), 1..=u32::MAX));
        let size = checker.check(in_range(
            "page_size",
            self.page_size.unwrap_or(PageRequest::DEFAULT_PAGE_SIZE),
            1..=PageRequest::MAX_PAGE_SIZE,
        ));
        let assignee = checker.check(assignee("assignee", self.assignee.as_deref()));
        let request = match (page, size) {
            (Some(page), Some(size)) => checker.check_all(PageRequest::new(page, size)),
            _ => None,
        };
        let query = TicketListQuery {
            board_id: BoardId::new(self.board_id),
            column: self.column.filter(|c| !c.trim().is_empty()),
            assignee: None,
        };
        checker.finish("query", || {
            Some((
                TicketListQuery {
                    assignee: assignee?,
                    ..query
                },
                request?,
            ))
        })
    }
}
