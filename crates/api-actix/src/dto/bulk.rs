//! Bulk requests and their answers (contract §7).

use super::{Checker, OptionalName, PriorityInput, nullable, tickets::assignee};
use crate::error::ApiError;
use kanban_domain::TicketId;
use kanban_domain::services::bulk::{
    BULK_OPERATIONS, MAX_BATCH_SIZE, TICKET_IDS, UPDATES, check_batch,
};
use kanban_domain::services::{BulkItem, BulkReport};
use kanban_domain::values::{AssigneeName, ColumnName, Priority};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// 1–100 distinct ticket ids.
fn ticket_ids_schema() -> utoipa::openapi::schema::Array {
    super::id_list(1, MAX_BATCH_SIZE, true).build()
}

/// The names of [`BULK_OPERATIONS`].
fn operations_schema() -> utoipa::openapi::schema::Array {
    use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Type};
    ArrayBuilder::new()
        .items(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .enum_values(Some(BULK_OPERATIONS)),
        )
        .description(Some("The operations offered"))
        .examples([serde_json::json!(BULK_OPERATIONS)])
        .build()
}

fn ticket_ids(raw: &[i64]) -> Vec<TicketId> {
    raw.iter().copied().map(TicketId::new).collect()
}

/// `POST /api/bulk/tickets/move`. Other fields (the legacy `moved_by`) are ignored.
#[derive(Debug, Deserialize, ToSchema)]
pub struct BulkMove {
    /// 1–100 tickets, each named once, of any boards.
    #[serde(deserialize_with = "super::integers")]
    #[schema(schema_with = ticket_ids_schema)]
    pub ticket_ids: Vec<i64>,
    /// Matched in any letter case against each ticket's own board: a ticket whose board has no
    /// such column fails on its own.
    #[schema(value_type = ColumnName)]
    pub target_column: String,
}

impl BulkMove {
    /// The ids and the column as sent; the column is resolved on each ticket's board later, so
    /// here it is only checked to be something a board could have.
    pub fn validate(self) -> Result<(Vec<TicketId>, String), ApiError> {
        let mut checker = Checker::default();
        let ids = ticket_ids(&self.ticket_ids);
        checker.check_all(check_batch(&ids, TICKET_IDS));
        checker.check(ColumnName::parse("target_column", &self.target_column));
        checker.finish("body", || Some((ids, self.target_column)))
    }
}

/// One entry of `POST /api/bulk/tickets/priority`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct PriorityUpdate {
    /// Named once per request.
    #[serde(deserialize_with = "super::integer")]
    #[schema(minimum = 1, maximum = 9223372036854775807i64)]
    pub ticket_id: i64,
    pub priority: PriorityInput,
}

/// `POST /api/bulk/tickets/priority`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct BulkPriority {
    /// 1–100 entries, each naming a different ticket.
    #[schema(min_items = 1, max_items = 100)]
    pub updates: Vec<PriorityUpdate>,
}

impl BulkPriority {
    pub fn validate(self) -> Result<Vec<(TicketId, Priority)>, ApiError> {
        let mut checker = Checker::default();
        let ids: Vec<TicketId> = self
            .updates
            .iter()
            .map(|u| TicketId::new(u.ticket_id))
            .collect();
        checker.check_all(check_batch(&ids, UPDATES));
        let priorities: Vec<Option<Priority>> = self
            .updates
            .iter()
            .enumerate()
            .map(|(i, u)| checker.check(u.priority.validate(&format!("updates[{i}].priority"))))
            .collect();
        checker.finish("body", || {
            ids.into_iter()
                .zip(priorities)
                .map(|(id, priority)| Some((id, priority?)))
                .collect()
        })
    }
}

/// `POST /api/bulk/tickets/assign`: `assignee` must be sent; `null` or `""` clears.
#[derive(Debug, Deserialize, ToSchema)]
pub struct BulkAssign {
    /// 1–100 tickets, each named once.
    #[serde(deserialize_with = "super::integers")]
    #[schema(schema_with = ticket_ids_schema)]
    pub ticket_ids: Vec<i64>,
    /// Required: a name, or `null` or `""` to clear the assignee.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<OptionalName>, required = true)]
    pub assignee: Option<Option<String>>,
}

impl BulkAssign {
    pub fn validate(self) -> Result<(Vec<TicketId>, Option<AssigneeName>), ApiError> {
        let mut checker = Checker::default();
        let ids = ticket_ids(&self.ticket_ids);
        checker.check_all(check_batch(&ids, TICKET_IDS));
        let assignee = match &self.assignee {
            None => {
                checker.reject(
                    "assignee",
                    "missing",
                    "Field required (null clears the assignee)",
                );
                None
            }
            Some(raw) => checker.check(assignee("assignee", raw.as_deref())),
        };
        checker.finish("body", || Some((ids, assignee?)))
    }
}

/// One ticket of a bulk move.
#[derive(Debug, Serialize, ToSchema)]
pub struct MoveResult {
    pub ticket_id: TicketId,
    pub success: bool,
    /// Why the item failed; `null` when it succeeded.
    #[schema(required = true)]
    pub error: Option<String>,
    /// Where the ticket was; `null` when it does not exist.
    #[schema(required = true)]
    pub old_column: Option<String>,
    /// Where it is now; `null` when the item failed.
    #[schema(required = true)]
    pub new_column: Option<String>,
}

/// The answer of `POST /api/bulk/tickets/move`.
#[derive(Debug, Serialize, ToSchema)]
pub struct MoveReport {
    pub total_requested: usize,
    pub successful_moves: usize,
    pub failed_moves: usize,
    /// Every item, in the order of the request.
    pub results: Vec<MoveResult>,
    /// The time the server spent on the request, in milliseconds (to the microsecond).
    pub execution_time_ms: f64,
}

impl MoveReport {
    pub fn of(report: &BulkReport, execution_time_ms: f64) -> Self {
        let results = report
            .items
            .iter()
            .map(|item| MoveResult {
                ticket_id: item.ticket_id,
                success: item.succeeded(),
                error: item.outcome.as_ref().err().cloned(),
                old_column: item.before.as_ref().map(|t| t.current_column.to_string()),
                new_column: item
                    .outcome
                    .as_ref()
                    .ok()
                    .map(|t| t.current_column.to_string()),
            })
            .collect();
        Self {
            total_requested: report.items.len(),
            successful_moves: report.successful(),
            failed_moves: report.failed(),
            results,
            execution_time_ms,
        }
    }
}

/// One ticket of a bulk priority change or assignment.
#[derive(Debug, Serialize, ToSchema)]
pub struct OperationResult {
    pub ticket_id: TicketId,
    pub success: bool,
    /// Why the item failed; `null` when it succeeded.
    #[schema(required = true)]
    pub error: Option<String>,
    /// The field's value before (a priority like `"1.0"`, or the assignee); `null` when the
    /// ticket does not exist or had no assignee.
    #[schema(required = true)]
    pub old_value: Option<String>,
    /// The field's value now; `null` when the item failed or the assignee was cleared.
    #[schema(required = true)]
    pub new_value: Option<String>,
}

/// Which field a bulk operation changes (`operation_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub enum Operation {
    #[serde(rename = "priority_update")]
    Priority,
    #[serde(rename = "assignment")]
    Assignment,
}

impl Operation {
    fn value(self, ticket: &kanban_domain::Ticket) -> Option<String> {
        match self {
            Self::Priority => Some(ticket.priority.to_string()),
            Self::Assignment => ticket.assignee.as_ref().map(ToString::to_string),
        }
    }

    fn result(self, item: &BulkItem) -> OperationResult {
        OperationResult {
            ticket_id: item.ticket_id,
            success: item.succeeded(),
            error: item.outcome.as_ref().err().cloned(),
            old_value: item.before.as_ref().and_then(|t| self.value(t)),
            new_value: item.outcome.as_ref().ok().and_then(|t| self.value(t)),
        }
    }
}

/// The answer of `POST /api/bulk/tickets/priority` and `/assign`.
#[derive(Debug, Serialize, ToSchema)]
pub struct OperationReport {
    pub total_requested: usize,
    pub successful_operations: usize,
    pub failed_operations: usize,
    /// Every item, in the order of the request.
    pub results: Vec<OperationResult>,
    /// The time the server spent on the request, in milliseconds (to the microsecond).
    pub execution_time_ms: f64,
    pub operation_type: Operation,
}

impl OperationReport {
    pub fn of(operation: Operation, report: &BulkReport, execution_time_ms: f64) -> Self {
        Self {
            total_requested: report.items.len(),
            successful_operations: report.successful(),
            failed_operations: report.failed(),
            results: report.items.iter().map(|i| operation.result(i)).collect(),
            execution_time_ms,
            operation_type: operation,
        }
    }
}

/// The bulk limit as `GET /api/bulk/operations/status` reports it.
#[derive(Debug, Serialize, ToSchema)]
pub struct BulkRateLimit {
    /// Whether rate limits are on (`rate_limit.enabled`).
    pub enabled: bool,
    pub requests_per_minute: u32,
    /// What the limit is counted per: `user`.
    #[schema(examples("user"))]
    pub per: &'static str,
}

/// The answer of `GET /api/bulk/operations/status`.
#[derive(Debug, Serialize, ToSchema)]
pub struct BulkStatus {
    #[schema(examples("operational"))]
    pub status: &'static str,
    pub rate_limits: BulkRateLimit,
    /// The most tickets one request may name.
    pub max_batch_size: usize,
    #[schema(schema_with = operations_schema)]
    pub supported_operations: [&'static str; 3],
}
