//! The change history: appending rows (inside the transaction of the change they describe) and
//! the [`HistoryRepository`] reads.
//!
//! # A ticket's rows, as a chain
//!
//! A ticket's history is not indexed by ticket: each row names the ticket's row before it
//! (`previous_id`), and the ticket its newest (`tickets.last_history_id`), both kept by triggers
//! on every insert (migration `2026-11-26-000000_ticket_history_chain`). An index on (ticket,
//! time) took every change's entry at a random place, a page of its own for each change of a
//! batch; the chain costs a write only the ticket row it rewrites anyway. A ticket's rows are read
//! by walking the chain ([`NEWEST_FIRST`], [`OLDEST_FIRST`]), primary-key lookups, as many as the ticket has rows (the
//! index read them all too when a field was asked for), and deleted the same way
//! ([`delete_of_ticket`], [`delete_of_board`]), since without that index SQLite could only
//! enforce a foreign key by scanning the whole history for every ticket deleted.

use crate::error::Work;
use crate::pool::SqliteStore;
use crate::prepared::KeepPrepared;
use crate::rows::{HistoryRow, NewHistoryRow, to_db};
use crate::schema::{ticket_history, tickets};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text, Timestamp as SqlTimestamp};
use kanban_domain::history::ChangeCounts;
use kanban_domain::ports::HistoryRepository;
use kanban_domain::statistics::ColumnEntry;
use kanban_domain::values::ColumnName;
use kanban_domain::{
    BoardId, HistoryEntry, HistoryField, NewHistory, StoreError, TicketId, Timestamp,
};

/// Appends history rows, one prepared single-row insert each: Diesel runs a multi-row insert on
/// SQLite as one insert per row anyway, inside a savepoint of its own, and prepares it afresh.
pub(crate) fn append(conn: &mut SqliteConnection, rows: &[NewHistory]) -> Work<()> {
    enum InsertHistory {}
    for row in rows {
        diesel::insert_into(ticket_history::table)
            .values(NewHistoryRow::of(row))
            .keep_prepared_as::<InsertHistory>()
            .execute(conn)?;
    }
    Ok(())
}

/// `WITH RECURSIVE chain(id)`: the ids of the history rows of the tickets whose newest rows
/// `$heads` selects (a `SELECT` of one column), each ticket's newest first, found by primary key
/// one after the other. A string literal, so each statement's text is fixed at compile time.
macro_rules! chain {
    ($heads:literal) => {
        concat!(
            "WITH RECURSIVE chain(id) AS (",
            $heads,
            " AND last_history_id IS NOT NULL UNION ALL SELECT h.previous_id FROM ticket_history h \
             JOIN chain ON h.id = chain.id WHERE h.previous_id IS NOT NULL) "
        )
    };
}

/// A ticket's history rows along its chain, of one field or any (`? IS NULL`), in an order the
/// statement adds, at most `LIMIT ?` of them. `CROSS JOIN` keeps the chain first: joined the
/// other way, SQLite walked the whole history in the order asked for (by its `changed_at`
/// index), looking each row up in the chain.
macro_rules! of_ticket {
    ($order:literal) => {
        concat!(
            chain!("SELECT last_history_id FROM tickets WHERE id = ?"),
            "SELECT h.id, h.ticket_id, h.field_name, h.old_value, h.new_value, h.changed_by, \
             h.changed_at FROM chain CROSS JOIN ticket_history h ON h.id = chain.id \
             WHERE ? IS NULL OR h.field_name = ? ORDER BY ",
            $order,
            " LIMIT ?"
        )
    };
}

/// A ticket's history rows, newest first.
const NEWEST_FIRST: &str = of_ticket!("h.changed_at DESC, h.id DESC");

/// A ticket's history rows, oldest first.
const OLDEST_FIRST: &str = of_ticket!("h.changed_at ASC, h.id ASC");

/// Deletes the history of ticket `?` if it is at version `?`.
const DELETE_OF_TICKET: &str = concat!(
    chain!("SELECT last_history_id FROM tickets WHERE id = ? AND version = ?"),
    "DELETE FROM ticket_history WHERE id IN (SELECT id FROM chain)"
);

/// Deletes the history of every ticket of board `?` if the board is at version `?`.
const DELETE_OF_BOARD: &str = concat!(
    chain!(
        "SELECT last_history_id FROM tickets t JOIN boards b ON b.id = t.board_id \
         WHERE t.board_id = ? AND b.version = ?"
    ),
    "DELETE FROM ticket_history WHERE id IN (SELECT id FROM chain)"
);

/// The history rows of `ticket` whose field is `field` (any when `None`), in the order of
/// `statement` ([`NEWEST_FIRST`], [`OLDEST_FIRST`]), at most `limit` of them (-1: all).
fn of_ticket(
    conn: &mut SqliteConnection,
    statement: &str,
    ticket: TicketId,
    field: Option<&str>,
    limit: i64,
) -> Work<Vec<HistoryRow>> {
    Ok(diesel::sql_query(statement)
        .bind::<BigInt, _>(ticket.get())
        .bind::<Nullable<Text>, _>(field)
        .bind::<Nullable<Text>, _>(field)
        .bind::<BigInt, _>(limit)
        .load(conn)?)
}

/// Deletes the history along the chains `statement` ([`DELETE_OF_TICKET`],
/// [`DELETE_OF_BOARD`]) starts from, of the ticket or board `id` if it is at `version`: just
/// before the ticket or board is deleted at that version (nothing when it is not).
fn delete_along(conn: &mut SqliteConnection, statement: &str, id: i64, version: i64) -> Work<()> {
    diesel::sql_query(statement)
        .bind::<BigInt, _>(id)
        .bind::<BigInt, _>(version)
        .execute(conn)?;
    Ok(())
}

/// Deletes the history of ticket `id` if it is at `version`.
pub(crate) fn delete_of_ticket(conn: &mut SqliteConnection, id: i64, version: i64) -> Work<()> {
    delete_along(conn, DELETE_OF_TICKET, id, version)
}

/// Deletes the history of every ticket of board `id` if the board is at `version`.
pub(crate) fn delete_of_board(conn: &mut SqliteConnection, id: i64, version: i64) -> Work<()> {
    delete_along(conn, DELETE_OF_BOARD, id, version)
}

/// One group of an aggregate: a field name, a user or a `YYYY-MM-DD` day, and its row count.
#[derive(Debug, QueryableByName)]
struct GroupCount {
    #[diesel(sql_type = Text)]
    key: String,
    #[diesel(sql_type = BigInt)]
    count: i64,
}

/// Counts the rows changed at or after `since`, grouped by `key` (a trusted SQL expression).
fn count_by(conn: &mut SqliteConnection, key: &str, since: Timestamp) -> Work<Vec<(String, u64)>> {
    let groups: Vec<GroupCount> = diesel::sql_query(format!(
        "SELECT {key} AS key, COUNT(*) AS count FROM ticket_history \
         WHERE changed_at >= ? GROUP BY 1 ORDER BY 1"
    ))
    .bind::<SqlTimestamp, _>(to_db(since))
    .load(conn)?;
    Ok(groups
        .into_iter()
        .map(|g| (g.key, u64::try_from(g.count).unwrap_or_default()))
        .collect())
}

impl HistoryRepository for SqliteStore {
    fn for_ticket(
        &self,
        ticket_id: TicketId,
        field: Option<HistoryField>,
        limit: u32,
    ) -> Result<Vec<HistoryEntry>, StoreError> {
        self.read(|conn| {
            let rows = of_ticket(
                conn,
                NEWEST_FIRST,
                ticket_id,
                field.map(HistoryField::as_str),
                i64::from(limit),
            )?;
            Ok(rows.into_iter().map(HistoryEntry::from).collect())
        })
    }

    fn column_changes(&self, ticket_id: TicketId) -> Result<Vec<HistoryEntry>, StoreError> {
        self.read(|conn| {
            let rows = of_ticket(
                conn,
                OLDEST_FIRST,
                ticket_id,
                Some(HistoryField::Column.as_str()),
                -1,
            )?;
            Ok(rows.into_iter().map(HistoryEntry::from).collect())
        })
    }

    fn board_activity(
        &self,
        board_id: BoardId,
        since: Timestamp,
        limit: u32,
    ) -> Result<Vec<(HistoryEntry, String)>, StoreError> {
        self.read(|conn| {
            let rows: Vec<(HistoryRow, String)> = ticket_history::table
                .inner_join(tickets::table)
                .filter(tickets::board_id.eq(board_id.get()))
                .filter(ticket_history::changed_at.ge(to_db(since)))
                .order((ticket_history::changed_at.desc(), ticket_history::id.desc()))
                .limit(i64::from(limit))
                .select((HistoryRow::as_select(), tickets::title))
                .load(conn)?;
            Ok(rows
                .into_iter()
                .map(|(row, title)| (HistoryEntry::from(row), title))
                .collect())
        })
    }

    fn recent_activity(&self, limit: u32) -> Result<Vec<(HistoryEntry, String)>, StoreError> {
        self.read(|conn| {
            let rows: Vec<(HistoryRow, String)> = ticket_history::table
                .inner_join(tickets::table)
                .order((ticket_history::changed_at.desc(), ticket_history::id.desc()))
                .limit(i64::from(limit))
                .select((HistoryRow::as_select(), tickets::title))
                .load(conn)?;
            Ok(rows
                .into_iter()
                .map(|(row, title)| (HistoryEntry::from(row), title))
                .collect())
        })
    }

    fn change_counts(&self, since: Timestamp) -> Result<ChangeCounts, StoreError> {
        self.read(|conn| {
            let by_field = count_by(conn, "field_name", since)?;
            let by_user = count_by(conn, "changed_by", since)?;
            // Stored instants are UTC text starting with the date.
            let by_day = count_by(conn, "substr(changed_at, 1, 10)", since)?;
            Ok(ChangeCounts {
                total: by_field.iter().map(|(_, n)| n).sum(),
                by_field,
                by_user,
                by_day,
            })
        })
    }

    fn column_entries(
        &self,
        board_id: BoardId,
        column: &ColumnName,
        since: Timestamp,
    ) -> Result<Vec<ColumnEntry>, StoreError> {
        self.read(|conn| crate::statistics::column_entries(conn, board_id, column, since))
    }
}
