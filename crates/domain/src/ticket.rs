//! Tickets and the rules of changing them: update, move, claim, release.
//!
//! Every rule here is a pure function from the current ticket to a [`TicketUpdate`] (the new
//! state plus the history rows that describe it), or to nothing when the request changes nothing.
//! Storage applies an update only if the ticket is still at the version it was decided on.

use crate::actor::Actor;
use crate::error::DomainError;
use crate::history::{HistoryField, NewHistory};
use crate::ids::{BoardId, TicketId};
use crate::time::{Timestamp, seconds_between, serde_timestamp};
use crate::values::{AssigneeName, ColumnName, LongText, Priority, TicketTitle};
use serde::Serialize;

/// A ticket as stored and as clients see it (contract §3).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Ticket {
    pub id: TicketId,
    pub board_id: BoardId,
    pub title: TicketTitle,
    pub description: LongText,
    pub acceptance_criteria: LongText,
    pub priority: Priority,
    pub assignee: Option<AssigneeName>,
    pub current_column: ColumnName,
    #[serde(with = "serde_timestamp")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: Timestamp,
    #[serde(with = "serde_timestamp")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub updated_at: Timestamp,
    #[serde(with = "serde_timestamp")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub column_entered_at: Timestamp,
    pub version: i64,
}

/// A ticket in a board listing: no acceptance criteria, plus how long it has been in its column.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TicketSummary {
    pub id: TicketId,
    pub board_id: BoardId,
    pub title: TicketTitle,
    pub description: LongText,
    pub priority: Priority,
    pub assignee: Option<AssigneeName>,
    pub current_column: ColumnName,
    #[serde(with = "serde_timestamp")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: Timestamp,
    #[serde(with = "serde_timestamp")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub updated_at: Timestamp,
    #[serde(with = "serde_timestamp")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub column_entered_at: Timestamp,
    pub version: i64,
    /// Seconds since the ticket entered its current column.
    pub time_in_column: f64,
}

impl TicketSummary {
    pub fn of(ticket: Ticket, now: &Timestamp) -> Self {
        let time_in_column = seconds_between(&ticket.column_entered_at, now).max(0.0);
        Self {
            id: ticket.id,
            board_id: ticket.board_id,
            title: ticket.title,
            description: ticket.description,
            priority: ticket.priority,
            assignee: ticket.assignee,
            current_column: ticket.current_column,
            created_at: ticket.created_at,
            updated_at: ticket.updated_at,
            column_entered_at: ticket.column_entered_at,
            version: ticket.version,
            time_in_column,
        }
    }
}

/// A ticket to create; the column is already resolved to the board's spelling.
#[derive(Debug, Clone, PartialEq)]
pub struct NewTicket {
    pub board_id: BoardId,
    pub title: TicketTitle,
    pub description: LongText,
    pub acceptance_criteria: LongText,
    pub priority: Priority,
    pub assignee: Option<AssigneeName>,
    pub current_column: ColumnName,
    pub at: Timestamp,
}

impl NewTicket {
    /// The history rows of a creation: one `status` row.
    pub fn history(ticket: &Ticket, actor: &Actor) -> Vec<NewHistory> {
        vec![NewHistory {
            ticket_id: ticket.id,
            field: HistoryField::Status,
            old_value: None,
            new_value: Some("created".to_owned()),
            changed_by: actor.name().to_owned(),
            changed_at: ticket.created_at,
        }]
    }
}

/// The fields a client asked to change; `None` means "leave as is".
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TicketPatch {
    pub title: Option<TicketTitle>,
    pub description: Option<LongText>,
    pub acceptance_criteria: Option<LongText>,
    pub priority: Option<Priority>,
    /// `Some(None)` clears the assignee.
    pub assignee: Option<Option<AssigneeName>>,
}

/// A decided change of one ticket: its new state (at `expected_version + 1`), its history, and
/// which of its fields differ from the state it was decided on.
#[derive(Debug, Clone, PartialEq)]
pub struct TicketUpdate {
    pub ticket: Ticket,
    pub expected_version: i64,
    pub history: Vec<NewHistory>,
    /// Storage may write only these fields (with the version and `updated_at`, which always
    /// change): a store keeps fewer indexes up to date for a move or a claim.
    pub changed: ChangedFields,
}

/// Which fields of a ticket a [`TicketUpdate`] changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ChangedFields {
    /// The title, the description or the acceptance criteria.
    pub text: bool,
    pub priority: bool,
    pub assignee: bool,
    /// The column or when the ticket entered it.
    pub column: bool,
}

impl ChangedFields {
    /// The fields in which `after` differs from `before`.
    pub fn between(before: &Ticket, after: &Ticket) -> Self {
        Self {
            text: before.title != after.title
                || before.description != after.description
                || before.acceptance_criteria != after.acceptance_criteria,
            priority: before.priority != after.priority,
            assignee: before.assignee != after.assignee,
            column: before.current_column != after.current_column
                || before.column_entered_at != after.column_entered_at,
        }
    }
}

impl TicketUpdate {
    /// Which fields changed, by their history names.
    pub fn changed_fields(&self) -> Vec<&'static str> {
        self.history.iter().map(|h| h.field.as_str()).collect()
    }
}

/// Collects field changes into a [`TicketUpdate`].
struct Changes<'a> {
    before: &'a Ticket,
    after: Ticket,
    history: Vec<NewHistory>,
    actor: &'a Actor,
    at: Timestamp,
}

impl<'a> Changes<'a> {
    fn new(before: &'a Ticket, actor: &'a Actor, at: Timestamp) -> Self {
        Self {
            before,
            after: before.clone(),
            history: Vec::new(),
            actor,
            at,
        }
    }

    fn record(&mut self, field: HistoryField, old: Option<String>, new: Option<String>) {
        self.history.push(NewHistory {
            ticket_id: self.before.id,
            field,
            old_value: old,
            new_value: new,
            changed_by: self.actor.name().to_owned(),
            changed_at: self.at,
        });
    }

    fn finish(mut self) -> Option<TicketUpdate> {
        if self.history.is_empty() {
            return None;
        }
        self.after.version = self.before.version + 1;
        self.after.updated_at = self.at;
        Some(TicketUpdate {
            changed: ChangedFields::between(self.before, &self.after),
            ticket: self.after,
            expected_version: self.before.version,
            history: self.history,
        })
    }
}

fn assignee_value(assignee: Option<&AssigneeName>) -> Option<String> {
    assignee.map(|a| a.as_str().to_owned())
}

impl Ticket {
    /// Applies the sent fields; `None` when none of them differs from the current value.
    pub fn apply_patch(
        &self,
        patch: &TicketPatch,
        actor: &Actor,
        at: Timestamp,
    ) -> Option<TicketUpdate> {
        let mut changes = Changes::new(self, actor, at);
        if let Some(title) = &patch.title
            && *title != self.title
        {
            changes.after.title = title.clone();
            changes.record(
                HistoryField::Title,
                Some(self.title.to_string()),
                Some(title.to_string()),
            );
        }
        if let Some(description) = &patch.description
            && *description != self.description
        {
            changes.after.description = description.clone();
            changes.record(
                HistoryField::Description,
                Some(self.description.to_string()),
                Some(description.to_string()),
            );
        }
        if let Some(criteria) = &patch.acceptance_criteria
            && *criteria != self.acceptance_criteria
        {
            changes.after.acceptance_criteria = criteria.clone();
            changes.record(
                HistoryField::AcceptanceCriteria,
                Some(self.acceptance_criteria.to_string()),
                Some(criteria.to_string()),
            );
        }
        if let Some(priority) = patch.priority
            && priority != self.priority
        {
            changes.after.priority = priority;
            changes.record(
                HistoryField::Priority,
                Some(self.priority.to_string()),
                Some(priority.to_string()),
            );
        }
        if let Some(assignee) = &patch.assignee
            && *assignee != self.assignee
        {
            changes.after.assignee.clone_from(assignee);
            changes.record(
                HistoryField::Assignee,
                assignee_value(self.assignee.as_ref()),
                assignee_value(assignee.as_ref()),
            );
        }
        changes.finish()
    }

    /// Moves the ticket to `column` (already resolved to the board's spelling); `None` when it is
    /// already there, which changes nothing and writes no history.
    pub fn move_to(
        &self,
        column: &ColumnName,
        actor: &Actor,
        at: Timestamp,
    ) -> Option<TicketUpdate> {
        if self.current_column == *column {
            return None;
        }
        let mut changes = Changes::new(self, actor, at);
        changes.after.current_column = column.clone();
        changes.after.column_entered_at = at;
        changes.record(
            HistoryField::Column,
            Some(self.current_column.to_string()),
            Some(column.to_string()),
        );
        changes.finish()
    }

    /// Re-spells the ticket's column after the board renamed it. Not a move: the ticket stays
    /// in the same column, so no history and no change of `column_entered_at`.
    pub fn follow_rename(&self, column: &ColumnName, at: Timestamp) -> Option<TicketUpdate> {
        if self.current_column == *column {
            return None;
        }
        let mut after = self.clone();
        after.current_column = column.clone();
        after.version = self.version + 1;
        after.updated_at = at;
        Some(TicketUpdate {
            changed: ChangedFields::between(self, &after),
            ticket: after,
            expected_version: self.version,
            history: Vec::new(),
        })
    }

    /// Assigns the ticket to `agent`; only an unassigned ticket can be claimed.
    pub fn claim(
        &self,
        agent: &AssigneeName,
        actor: &Actor,
        at: Timestamp,
    ) -> Result<TicketUpdate, DomainError> {
        if let Some(assignee) = &self.assignee {
            return Err(DomainError::AlreadyClaimed {
                assignee: assignee.to_string(),
            });
        }
        let mut changes = Changes::new(self, actor, at);
        changes.after.assignee = Some(agent.clone());
        changes.record(HistoryField::Assignee, None, Some(agent.to_string()));
        changes.finish().ok_or_else(|| {
            DomainError::Internal("a claim of an unassigned ticket changed nothing".into())
        })
    }

    /// Clears the assignee; `None` when the ticket is unassigned already.
    pub fn release(&self, actor: &Actor, at: Timestamp) -> Option<TicketUpdate> {
        let mut changes = Changes::new(self, actor, at);
        let previous = self.assignee.as_ref()?;
        changes.after.assignee = None;
        changes.record(HistoryField::Assignee, Some(previous.to_string()), None);
        changes.finish()
    }

    /// Whether `actor` is the ticket's assignee.
    pub fn is_assigned_to(&self, actor: &Actor) -> bool {
        self.assignee
            .as_ref()
            .is_some_and(|a| a.as_str() == actor.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actor::Role;
    use chrono::{Duration, TimeZone, Utc};

    fn t0() -> Timestamp {
        Utc.with_ymd_and_hms(2026, 11, 1, 9, 0, 0).unwrap()
    }

    fn ticket() -> Ticket {
        Ticket {
            id: TicketId::new(1),
            board_id: BoardId::new(1),
            title: TicketTitle::parse("title", "Write tests").unwrap(),
            description: LongText::empty(),
            acceptance_criteria: LongText::empty(),
            priority: Priority::default(),
            assignee: None,
            current_column: ColumnName::parse("c", "Not Started").unwrap(),
            created_at: t0(),
            updated_at: t0(),
            column_entered_at: t0(),
            version: 1,
        }
    }

    fn ann() -> Actor {
        Actor::new("ann", Role::Pm)
    }

    #[test]
    fn patch_records_one_history_row_per_changed_field_and_bumps_version() {
        let at = t0() + Duration::minutes(5);
        let patch = TicketPatch {
            title: Some(TicketTitle::parse("t", "Write more tests").unwrap()),
            description: Some(LongText::empty()), // unchanged: no row
            priority: Some(Priority::new("p", 2.5).unwrap()),
            ..TicketPatch::default()
        };
        let update = ticket().apply_patch(&patch, &ann(), at).unwrap();
        assert_eq!(update.changed_fields(), ["title", "priority"]);
        assert_eq!(update.ticket.version, 2);
        assert_eq!(update.expected_version, 1);
        assert_eq!(update.ticket.updated_at, at);
        assert_eq!(update.history[1].old_value.as_deref(), Some("1.0"));
        assert_eq!(update.history[1].new_value.as_deref(), Some("2.5"));
        assert!(
            update
                .history
                .iter()
                .all(|h| h.changed_by == "ann" && h.changed_at == at)
        );
    }

    #[test]
    fn patch_that_changes_nothing_is_none() {
        let patch = TicketPatch {
            title: Some(TicketTitle::parse("t", "Write tests").unwrap()),
            ..TicketPatch::default()
        };
        assert!(ticket().apply_patch(&patch, &ann(), t0()).is_none());
        assert!(
            ticket()
                .apply_patch(&TicketPatch::default(), &ann(), t0())
                .is_none()
        );
    }

    #[test]
    fn empty_strings_are_recorded_as_they_are() {
        let mut before = ticket();
        before.description = LongText::parse("d", "old").unwrap();
        let patch = TicketPatch {
            description: Some(LongText::empty()),
            ..TicketPatch::default()
        };
        let update = before.apply_patch(&patch, &ann(), t0()).unwrap();
        assert_eq!(update.history[0].new_value.as_deref(), Some(""));
    }

    #[test]
    fn move_to_same_column_is_a_no_op() {
        let same = ColumnName::parse("c", "Not Started").unwrap();
        assert!(ticket().move_to(&same, &ann(), t0()).is_none());
    }

    #[test]
    fn move_resets_column_entry_time_and_records_column_row() {
        let at = t0() + Duration::hours(1);
        let column = ColumnName::parse("c", "In Progress").unwrap();
        let update = ticket().move_to(&column, &ann(), at).unwrap();
        assert_eq!(update.ticket.current_column, column);
        assert_eq!(update.ticket.column_entered_at, at);
        assert_eq!(update.history.len(), 1);
        assert_eq!(update.history[0].field, HistoryField::Column);
        assert_eq!(update.history[0].old_value.as_deref(), Some("Not Started"));
        assert_eq!(update.history[0].new_value.as_deref(), Some("In Progress"));
    }

    #[test]
    fn rename_respells_without_history_or_entry_time_change() {
        let column = ColumnName::parse("c", "Backlog").unwrap();
        let update = ticket()
            .follow_rename(&column, t0() + Duration::hours(1))
            .unwrap();
        assert!(update.history.is_empty());
        assert_eq!(update.ticket.column_entered_at, t0());
        assert_eq!(update.ticket.version, 2);
    }

    #[test]
    fn claim_only_when_unassigned() {
        let agent = AssigneeName::parse("a", "agent-1").unwrap();
        let claimed = ticket().claim(&agent, &ann(), t0()).unwrap();
        assert_eq!(claimed.ticket.assignee, Some(agent.clone()));
        assert_eq!(claimed.history[0].field, HistoryField::Assignee);
        assert_eq!(claimed.history[0].old_value, None);
        let again = claimed.ticket.claim(&agent, &ann(), t0()).unwrap_err();
        assert!(matches!(again, DomainError::AlreadyClaimed { assignee } if assignee == "agent-1"));
    }

    #[test]
    fn release_clears_assignee_and_is_a_no_op_when_unassigned() {
        assert!(ticket().release(&ann(), t0()).is_none());
        let agent = AssigneeName::parse("a", "agent-1").unwrap();
        let claimed = ticket().claim(&agent, &ann(), t0()).unwrap().ticket;
        let released = claimed.release(&ann(), t0()).unwrap();
        assert_eq!(released.ticket.assignee, None);
        assert_eq!(released.ticket.version, 3);
        assert_eq!(released.history[0].old_value.as_deref(), Some("agent-1"));
        assert_eq!(released.history[0].new_value, None);
    }

    #[test]
    fn summary_reports_time_in_column() {
        let summary = TicketSummary::of(ticket(), &(t0() + Duration::milliseconds(90_500)));
        assert!((summary.time_in_column - 90.5).abs() < f64::EPSILON);
        let json = serde_json::to_value(&summary).unwrap();
        assert!(json.get("acceptance_criteria").is_none());
        assert_eq!(json["priority"], "1.0");
        assert_eq!(json["created_at"], "2026-11-01T09:00:00.000Z");
    }
}
