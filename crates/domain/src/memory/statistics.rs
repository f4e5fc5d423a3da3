//! The in-memory reads behind the statistics.

use super::State;
use crate::history::HistoryField;
use crate::ids::BoardId;
use crate::statistics::ColumnEntry;
use crate::time::Timestamp;
use crate::values::ColumnName;

/// Moves of `board_id`'s tickets into `column` at or after `since`, oldest first.
pub(super) fn column_entries(
    state: &State,
    board_id: BoardId,
    column: &ColumnName,
    since: Timestamp,
) -> Vec<ColumnEntry> {
    let mut rows: Vec<(&crate::history::HistoryEntry, ColumnEntry)> = state
        .history
        .iter()
        .filter(|h| h.field_name == HistoryField::Column.as_str())
        .filter(|h| h.new_value.as_deref() == Some(column.as_str()) && h.changed_at >= since)
        .filter_map(|h| {
            let ticket = state.tickets.get(&h.ticket_id)?;
            (ticket.board_id == board_id).then_some((
                h,
                ColumnEntry {
                    ticket_id: ticket.id,
                    created_at: ticket.created_at,
                    entered_at: h.changed_at,
                },
            ))
        })
        .collect();
    rows.sort_by(|a, b| {
        a.0.changed_at
            .cmp(&b.0.changed_at)
            .then(a.0.id.cmp(&b.0.id))
    });
    rows.into_iter().map(|(_, entry)| entry).collect()
}
