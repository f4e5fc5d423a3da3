//! The change history: appending rows (inside the transaction of the change they describe) and
//! the [`HistoryRepository`] reads.

use crate::error::Work;
use crate::pool::SqliteStore;
use crate::prepared::KeepPrepared;
use crate::rows::{HistoryRow, NewHistoryRow, to_db};
use crate::schema::{ticket_history, tickets};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text, Timestamp as SqlTimestamp};
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
            let mut query = ticket_history::table
                .filter(ticket_history::ticket_id.eq(ticket_id.get()))
                .into_boxed();
            if let Some(field) = field {
                query = query.filter(ticket_history::field_name.eq(field.as_str()));
            }
            let rows = query
                .order((ticket_history::changed_at.desc(), ticket_history::id.desc()))
                .limit(i64::from(limit))
                .select(HistoryRow::as_select())
                .load(conn)?;
            Ok(rows.into_iter().map(HistoryEntry::from).collect())
        })
    }

    fn column_changes(&self, ticket_id: TicketId) -> Result<Vec<HistoryEntry>, StoreError> {
        self.read(|conn| {
            let rows = ticket_history::table
                .filter(ticket_history::ticket_id.eq(ticket_id.get()))
                .filter(ticket_history::field_name.eq(HistoryField::Column.as_str()))
                .order((ticket_history::changed_at.asc(), ticket_history::id.asc()))
                .select(HistoryRow::as_select())
                .load(conn)?;
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
