//! The reads behind the statistics: lean ticket timings and moves into a column. Both are served
//! by indexes (the board's ticket index; the history's `changed_at` index), as the query-plan
//! audit checks.

use crate::error::Work;
use crate::rows::{from_db, to_db};
use crate::schema::{ticket_history, tickets};
use crate::tickets::{Matching, board_order};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use kanban_domain::history::HistoryField;
use kanban_domain::ports::TicketFilter;
use kanban_domain::statistics::{ColumnEntry, TicketTiming};
use kanban_domain::values::ColumnName;
use kanban_domain::{BoardId, TicketId, Timestamp};

type TimingRow = (i64, String, String, NaiveDateTime, NaiveDateTime);

/// Where each ticket matching `filter` is and since when, in board order.
pub(crate) fn timings(
    conn: &mut SqliteConnection,
    filter: &TicketFilter,
) -> Work<Vec<TicketTiming>> {
    let rows: Vec<TimingRow> = Matching::of(conn, filter)?
        .query()
        .order(board_order())
        .select((
            tickets::id,
            tickets::title,
            tickets::current_column,
            tickets::created_at,
            tickets::column_entered_at,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, title, column, created_at, entered_at)| TicketTiming {
            id: TicketId::new(id),
            title,
            current_column: ColumnName::from_stored(column),
            created_at: from_db(created_at),
            column_entered_at: from_db(entered_at),
        })
        .collect())
}

/// Moves of `board`'s tickets into `column` at or after `since`, oldest first.
pub(crate) fn column_entries(
    conn: &mut SqliteConnection,
    board: BoardId,
    column: &ColumnName,
    since: Timestamp,
) -> Work<Vec<ColumnEntry>> {
    let rows: Vec<(i64, NaiveDateTime, NaiveDateTime)> = ticket_history::table
        .inner_join(tickets::table)
        .filter(tickets::board_id.eq(board.get()))
        .filter(ticket_history::field_name.eq(HistoryField::Column.as_str()))
        .filter(ticket_history::new_value.eq(column.as_str()))
        .filter(ticket_history::changed_at.ge(to_db(since)))
        .order((ticket_history::changed_at.asc(), ticket_history::id.asc()))
        .select((
            ticket_history::ticket_id,
            tickets::created_at,
            ticket_history::changed_at,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(ticket, created_at, entered_at)| ColumnEntry {
            ticket_id: TicketId::new(ticket),
            created_at: from_db(created_at),
            entered_at: from_db(entered_at),
        })
        .collect())
}
