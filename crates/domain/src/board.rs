//! Boards and their ordered columns, and the rules of changing them.

use crate::actor::Actor;
use crate::error::{DomainError, FieldError};
use crate::ids::BoardId;
use crate::ticket::{Ticket, TicketUpdate};
use crate::time::{Timestamp, serde_timestamp};
use crate::values::{BoardName, ColumnName, Columns, LongText};
use serde::Serialize;

/// A board as stored (contract §2, without the computed `ticket_count`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Board {
    pub id: BoardId,
    pub name: BoardName,
    pub description: LongText,
    pub columns: Columns,
    #[serde(with = "serde_timestamp")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: Timestamp,
    #[serde(with = "serde_timestamp")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub updated_at: Timestamp,
    pub version: i64,
}

/// A board with the number of tickets it holds, as clients see it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BoardView {
    #[serde(flatten)]
    pub board: Board,
    pub ticket_count: u64,
}

/// A board to create.
#[derive(Debug, Clone, PartialEq)]
pub struct NewBoard {
    pub name: BoardName,
    pub description: LongText,
    pub columns: Columns,
    pub at: Timestamp,
}

impl NewBoard {
    /// The board created when the database holds none.
    pub fn first_board(at: Timestamp) -> Self {
        Self {
            name: BoardName::from_stored("My First Board".to_owned()),
            description: LongText::from_stored("Welcome to your kanban board!".to_owned()),
            columns: Columns::defaults(),
            at,
        }
    }
}

/// The fields a client asked to change; `None` means "leave as is".
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BoardPatch {
    pub name: Option<BoardName>,
    pub description: Option<LongText>,
    pub columns: Option<Columns>,
}

/// A decided change of a board: its new state (at `expected_version + 1`), the tickets that must
/// change with it, and the columns that must be empty when it commits.
#[derive(Debug, Clone, PartialEq)]
pub struct BoardUpdate {
    pub board: Board,
    pub expected_version: i64,
    /// Tickets relocated out of removed columns, or re-spelled after a rename.
    pub ticket_updates: Vec<TicketUpdate>,
    /// Old column names that no longer exist: storage refuses the change (as a conflict) if any
    /// ticket is still in one of them once the ticket updates are applied.
    pub removed_columns: Vec<ColumnName>,
}

impl BoardUpdate {
    pub fn columns_changed(&self, before: &Board) -> bool {
        self.board.columns != before.columns
    }
}

/// What happens to the tickets of a column that disappears from the board.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relocation<'a> {
    /// Refuse the change if the column holds tickets.
    Refuse,
    /// Move them to this column of the new list (matched ignoring case).
    MoveTo(&'a str),
}

impl Board {
    /// Applies a patch; `Ok(None)` when it changes nothing. `tickets` must hold every ticket of the
    /// board in a column whose name changes or disappears (the caller loads them).
    pub fn apply_patch(
        &self,
        patch: &BoardPatch,
        relocation: Relocation<'_>,
        tickets: &[Ticket],
        actor: &Actor,
        at: Timestamp,
    ) -> Result<Option<BoardUpdate>, DomainError> {
        let mut after = self.clone();
        if let Some(name) = &patch.name {
            after.name = name.clone();
        }
        if let Some(description) = &patch.description {
            after.description = description.clone();
        }
        let mut ticket_updates = Vec::new();
        let mut removed_columns = Vec::new();
        if let Some(columns) = &patch.columns {
            after.columns = columns.clone();
            let target = match relocation {
                Relocation::Refuse => None,
                Relocation::MoveTo(name) => Some(columns.find(name).ok_or_else(|| {
                    DomainError::invalid(
                        "move_to",
                        "value_error",
                        format!("'{name}' is not one of the new columns"),
                    )
                })?),
            };
            for old in &self.columns {
                let in_old = tickets.iter().filter(|t| t.current_column == *old);
                match columns.find(old.as_str()) {
                    Some(kept) if kept == old => {}
                    Some(respelled) => {
                        ticket_updates
                            .extend(in_old.filter_map(|t| t.follow_rename(respelled, at)));
                    }
                    None => {
                        removed_columns.push(old.clone());
                        let holding: Vec<&Ticket> = in_old.collect();
                        if holding.is_empty() {
                            continue;
                        }
                        let Some(target) = target else {
                            return Err(DomainError::ColumnNotEmpty {
                                column: old.to_string(),
                                tickets: holding.len(),
                            });
                        };
                        ticket_updates.extend(
                            holding
                                .into_iter()
                                .filter_map(|t| t.move_to(target, actor, at)),
                        );
                    }
                }
            }
        }
        if after == *self {
            return Ok(None);
        }
        after.version = self.version + 1;
        after.updated_at = at;
        Ok(Some(BoardUpdate {
            board: after,
            expected_version: self.version,
            ticket_updates,
            removed_columns,
        }))
    }

    /// Renames column `from` to `to` in place; the tickets in it follow without a move.
    pub fn rename_column(
        &self,
        from: &str,
        to: &ColumnName,
        tickets: &[Ticket],
        at: Timestamp,
    ) -> Result<Option<BoardUpdate>, DomainError> {
        let Some(old) = self.columns.find(from) else {
            return Err(DomainError::Validation(vec![FieldError::new(
                "from",
                "value_error",
                format!("'{}' is not a column of this board", from.trim()),
            )]));
        };
        if let Some(existing) = self.columns.find(to.as_str())
            && existing != old
        {
            return Err(DomainError::invalid(
                "to",
                "value_error",
                format!("the board already has a column '{existing}'"),
            ));
        }
        if old == to {
            return Ok(None);
        }
        let mut after = self.clone();
        after.columns = self.columns.renamed(old.as_str(), to.clone());
        after.version = self.version + 1;
        after.updated_at = at;
        let ticket_updates = tickets
            .iter()
            .filter(|t| t.current_column == *old)
            .filter_map(|t| t.follow_rename(to, at))
            .collect();
        Ok(Some(BoardUpdate {
            board: after,
            expected_version: self.version,
            ticket_updates,
            removed_columns: vec![old.clone()],
        }))
    }

    /// The board's spelling of `name`, or a validation error at `field`.
    pub fn resolve_column(&self, field: &str, name: &str) -> Result<ColumnName, DomainError> {
        self.columns.find(name).cloned().ok_or_else(|| {
            DomainError::invalid(
                field,
                "invalid_column",
                format!(
                    "'{}' is not a column of board {}; expected one of: {}",
                    name.trim(),
                    self.id,
                    self.columns.names().join(", ")
                ),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actor::Role;
    use crate::ids::TicketId;
    use crate::values::{Priority, TicketTitle};
    use chrono::{TimeZone, Utc};

    fn at() -> Timestamp {
        Utc.with_ymd_and_hms(2026, 11, 2, 10, 0, 0).unwrap()
    }

    fn board() -> Board {
        Board {
            id: BoardId::new(1),
            name: BoardName::parse("name", "Ops").unwrap(),
            description: LongText::empty(),
            columns: Columns::defaults(),
            created_at: at(),
            updated_at: at(),
            version: 4,
        }
    }

    fn ticket_in(id: i64, column: &str) -> Ticket {
        Ticket {
            id: TicketId::new(id),
            board_id: BoardId::new(1),
            title: TicketTitle::parse("t", "x").unwrap(),
            description: LongText::empty(),
            acceptance_criteria: LongText::empty(),
            priority: Priority::default(),
            assignee: None,
            current_column: ColumnName::parse("c", column).unwrap(),
            created_at: at(),
            updated_at: at(),
            column_entered_at: at(),
            version: 1,
        }
    }

    fn actor() -> Actor {
        Actor::new("pm", Role::Pm)
    }

    fn columns(names: &[&str]) -> BoardPatch {
        BoardPatch {
            columns: Some(Columns::parse("columns", names).unwrap()),
            ..BoardPatch::default()
        }
    }

    #[test]
    fn removing_an_occupied_column_is_refused_naming_it() {
        let tickets = [ticket_in(1, "Blocked")];
        let patch = columns(&["Not Started", "In Progress", "Ready for QC", "Done"]);
        let err = board()
            .apply_patch(&patch, Relocation::Refuse, &tickets, &actor(), at())
            .unwrap_err();
        assert!(
            matches!(err, DomainError::ColumnNotEmpty { column, tickets: 1 } if column == "Blocked")
        );
    }

    #[test]
    fn removing_an_empty_column_is_allowed_and_guarded() {
        let patch = columns(&["Not Started", "In Progress", "Ready for QC", "Done"]);
        let update = board()
            .apply_patch(&patch, Relocation::Refuse, &[], &actor(), at())
            .unwrap()
            .unwrap();
        assert_eq!(update.board.columns.len(), 4);
        assert_eq!(update.board.version, 5);
        assert_eq!(update.removed_columns[0].as_str(), "Blocked");
    }

    #[test]
    fn move_to_relocates_tickets_with_history() {
        let tickets = [ticket_in(1, "Blocked"), ticket_in(2, "Blocked")];
        let patch = columns(&["Not Started", "In Progress", "Ready for QC", "Done"]);
        let update = board()
            .apply_patch(
                &patch,
                Relocation::MoveTo("in progress"),
                &tickets,
                &actor(),
                at(),
            )
            .unwrap()
            .unwrap();
        assert_eq!(update.ticket_updates.len(), 2);
        assert!(
            update
                .ticket_updates
                .iter()
                .all(|u| u.ticket.current_column.as_str() == "In Progress" && u.history.len() == 1)
        );
    }

    #[test]
    fn move_to_must_be_a_new_column() {
        let tickets = [ticket_in(1, "Blocked")];
        let patch = columns(&["Not Started", "Done"]);
        let err = board()
            .apply_patch(
                &patch,
                Relocation::MoveTo("Blocked"),
                &tickets,
                &actor(),
                at(),
            )
            .unwrap_err();
        assert!(matches!(err, DomainError::Validation(e) if e[0].field == "move_to"));
    }

    #[test]
    fn changing_only_the_case_respells_tickets() {
        let tickets = [ticket_in(1, "In Progress")];
        let patch = columns(&[
            "Not Started",
            "IN PROGRESS",
            "Blocked",
            "Ready for QC",
            "Done",
        ]);
        let update = board()
            .apply_patch(&patch, Relocation::Refuse, &tickets, &actor(), at())
            .unwrap()
            .unwrap();
        assert!(update.removed_columns.is_empty());
        assert_eq!(
            update.ticket_updates[0].ticket.current_column.as_str(),
            "IN PROGRESS"
        );
        assert!(update.ticket_updates[0].history.is_empty());
    }

    #[test]
    fn identical_patch_changes_nothing() {
        let patch = BoardPatch {
            name: Some(BoardName::parse("n", "Ops").unwrap()),
            columns: Some(Columns::defaults()),
            ..BoardPatch::default()
        };
        assert!(
            board()
                .apply_patch(&patch, Relocation::Refuse, &[], &actor(), at())
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn rename_moves_nothing_and_keeps_position() {
        let tickets = [ticket_in(1, "Blocked"), ticket_in(2, "Done")];
        let to = ColumnName::parse("to", "On Hold").unwrap();
        let update = board()
            .rename_column("blocked", &to, &tickets, at())
            .unwrap()
            .unwrap();
        assert_eq!(update.board.columns.names()[2], "On Hold");
        assert_eq!(update.ticket_updates.len(), 1);
        assert_eq!(update.ticket_updates[0].ticket.current_column, to);
    }

    #[test]
    fn rename_rejects_unknown_source_and_existing_target() {
        let done = ColumnName::parse("to", "done").unwrap();
        assert!(board().rename_column("Review", &done, &[], at()).is_err());
        let err = board()
            .rename_column("Blocked", &done, &[], at())
            .unwrap_err();
        assert!(matches!(err, DomainError::Validation(e) if e[0].field == "to"));
    }

    #[test]
    fn resolve_column_uses_board_spelling() {
        assert_eq!(
            board()
                .resolve_column("column", "ready FOR qc")
                .unwrap()
                .as_str(),
            "Ready for QC"
        );
        let err = board().resolve_column("column", "Nope").unwrap_err();
        assert!(matches!(err, DomainError::Validation(e) if e[0].kind == "invalid_column"));
    }

    #[test]
    fn board_view_serialises_flat() {
        let json = serde_json::to_value(BoardView {
            board: board(),
            ticket_count: 3,
        })
        .unwrap();
        assert_eq!(json["ticket_count"], 3);
        assert_eq!(json["columns"][0], "Not Started");
        assert_eq!(json["version"], 4);
    }
}
