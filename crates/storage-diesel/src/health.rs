//! [`HealthProbe`]: whether the database answers, its pool's state and what it holds.

use crate::pool::SqliteStore;
use crate::schema::{boards, comments, ticket_history, tickets, users};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use kanban_domain::StoreError;
use kanban_domain::ports::{HealthProbe, Inventory, PoolState, StorageHealth};
use std::io::Read;
use std::path::Path;

/// How many tickets are in a column of that name, summed over the boards.
#[derive(Debug, QueryableByName)]
struct ColumnCount {
    #[diesel(sql_type = diesel::sql_types::Text)]
    name: String,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    tickets: i64,
}

/// The tickets per column name over all boards: counted by board and position in the board order
/// index (a covering walk, no ticket row read) and named from `board_columns`; only the tickets in
/// columns their board does not have (imported data) are read, board by board (`CROSS JOIN`
/// keeps that order), for their column's name.
const TICKETS_BY_COLUMN: &str = "\
    SELECT name, SUM(tickets) AS tickets FROM (
        SELECT bc.name AS name, per.tickets AS tickets
          FROM (SELECT board_id, column_position, COUNT(*) AS tickets FROM tickets
                 GROUP BY board_id, column_position) per
          JOIN board_columns bc
            ON bc.board_id = per.board_id AND bc.position = per.column_position
        UNION ALL
        SELECT tickets.current_column AS name, COUNT(*) AS tickets
          FROM boards CROSS JOIN tickets
            ON tickets.board_id = boards.id AND tickets.column_position = ?
         GROUP BY tickets.current_column)
    GROUP BY name ORDER BY name";

/// The first 16 bytes of every SQLite 3 database file.
const SQLITE_MAGIC: &[u8; 16] = b"SQLite format 3\0";

/// Checks that `path` is still a readable SQLite database. Pooled connections keep their file
/// open, so a file that was removed, replaced, truncated or made unreadable would go unnoticed
/// by a query alone until a new connection is opened.
fn check_database_file(path: &Path) -> Result<(), StoreError> {
    let mut header = [0_u8; 16];
    std::fs::File::open(path)
        .and_then(|mut file| file.read_exact(&mut header))
        .map_err(|error| {
            StoreError::internal(std::io::Error::new(
                error.kind(),
                format!("database file {}: {error}", path.display()),
            ))
        })?;
    if &header == SQLITE_MAGIC {
        Ok(())
    } else {
        Err(StoreError::internal(std::io::Error::other(format!(
            "{} is not an SQLite database",
            path.display()
        ))))
    }
}

fn file_size(path: &Path) -> Option<u64> {
    std::fs::metadata(path).ok().map(|m| m.len())
}

fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or_default()
}

impl HealthProbe for SqliteStore {
    fn probe(&self) -> Result<StorageHealth, StoreError> {
        check_database_file(self.path())?;
        let mut conn = self.conn()?;
        // Reads the schema page, so the round trip touches the file, not only the connection.
        conn.batch_execute("SELECT count(*) FROM sqlite_schema;")
            .map_err(StoreError::internal)?;
        let mut wal = self.path().as_os_str().to_owned();
        wal.push("-wal");
        Ok(StorageHealth {
            size_bytes: file_size(self.path()),
            wal_size_bytes: file_size(Path::new(&wal)),
        })
    }

    fn pool(&self) -> Option<PoolState> {
        let pool = self.pool();
        let state = pool.state();
        let (writes, transactions) = self.writer().counts();
        let reruns = self.writer().reruns();
        Some(PoolState {
            connections: state.connections,
            idle: state.idle_connections,
            max_size: pool.max_size(),
            writes,
            transactions,
            reruns,
        })
    }

    fn inventory(&self) -> Result<Inventory, StoreError> {
        self.read(|conn| {
            let tickets_by_column: Vec<ColumnCount> = diesel::sql_query(TICKETS_BY_COLUMN)
                .bind::<diesel::sql_types::Integer, _>(crate::tickets::UNKNOWN_POSITION)
                .load(conn)?;
            Ok(Inventory {
                boards: count(boards::table.count().get_result(conn)?),
                tickets: count(tickets::table.count().get_result(conn)?),
                comments: count(comments::table.count().get_result(conn)?),
                users: count(users::table.count().get_result(conn)?),
                history_entries: count(ticket_history::table.count().get_result(conn)?),
                tickets_by_column: tickets_by_column
                    .into_iter()
                    .map(|column| (column.name, count(column.tickets)))
                    .collect(),
            })
        })
    }
}
