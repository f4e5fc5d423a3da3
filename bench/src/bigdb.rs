//! Grows the server's database to a million tickets in SQL, while the server is stopped: a million
//! creations through the API would take many minutes on this machine.
//!
//! The rows are what the server itself would have written had the tickets been created through
//! the API long ago: a board row at version 1 with its column rows (positions from 0), each ticket
//! at version 1 in one of the board's columns (`column_position` = that column's position,
//! `updated_at` = `column_entered_at` = `created_at`), one `status` → `created` history row per
//! ticket by the bench's admin at the ticket's creation instant, and the board's event sequence
//! advanced past its `board_created` and one `ticket_created` per ticket. Those events themselves
//! are not written: the tickets are dated 90 to 8 days ago, older than the event log's 7-day
//! retention, so the server's pruning would have removed them. Timestamps have the form Diesel
//! writes (`YYYY-MM-DD HH:MM:SS.mmm`, UTC).

use crate::BoxError;
use crate::workloads::COLUMNS;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use std::path::Path;
use std::time::Instant;

/// Tickets per board: the board whose pages are measured has this many, and so does each board
/// that makes up the rest of the million.
pub const BOARD_TICKETS: i64 = 100_000;

/// What was added.
#[derive(Debug, Clone)]
pub struct Grown {
    /// The board of [`BOARD_TICKETS`] tickets whose pages are measured.
    pub big_board: i64,
    pub boards_added: usize,
    pub tickets_added: i64,
    /// Tickets in the database afterwards.
    pub tickets_total: i64,
    pub seconds: f64,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(QueryableByName)]
struct Id {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

/// Adds boards of [`BOARD_TICKETS`] tickets (the last one smaller) until the database holds
/// `total` tickets, the first board being the measured one. The server must be stopped.
///
/// # Errors
/// Any SQLite error; the whole growth is one transaction, so nothing is half-added.
pub fn grow(database: &Path, total: i64, actor: &str) -> Result<Grown, BoxError> {
    let started = Instant::now();
    let mut conn = SqliteConnection::establish(database.to_str().ok_or("database path")?)?;
    // Alone on the file: no write-ahead log, no syncs, a large cache for the index inserts.
    // The server switches the file back to WAL when it opens it (and so do we, below).
    conn.batch_execute(
        "PRAGMA busy_timeout = 5000;
         PRAGMA journal_mode = MEMORY;
         PRAGMA synchronous = OFF;
         PRAGMA cache_size = -524288;
         PRAGMA foreign_keys = ON;",
    )?;
    let grown = conn.immediate_transaction(|conn| -> Result<Grown, BoxError> {
        let existing = diesel::sql_query("SELECT COUNT(*) AS n FROM tickets")
            .get_result::<Count>(conn)?
            .n;
        let mut missing = total - existing;
        if missing < BOARD_TICKETS {
            return Err(format!("the database already holds {existing} tickets").into());
        }
        let mut big_board = None;
        let mut boards_added = 0;
        while missing > 0 {
            let tickets = missing.min(BOARD_TICKETS);
            let name = format!("growth board {} ({tickets} tickets)", boards_added + 1);
            let board = add_board(conn, &name, tickets, actor)?;
            big_board.get_or_insert(board);
            boards_added += 1;
            missing -= tickets;
        }
        Ok(Grown {
            big_board: big_board.ok_or("no board added")?,
            boards_added,
            tickets_added: total - existing,
            tickets_total: total,
            seconds: 0.0,
        })
    })?;
    conn.batch_execute("PRAGMA journal_mode = WAL;")?;
    Ok(Grown {
        seconds: started.elapsed().as_secs_f64(),
        ..grown
    })
}

/// One board with the default columns and `tickets` tickets, their history rows and its event
/// sequence.
fn add_board(
    conn: &mut SqliteConnection,
    name: &str,
    tickets: i64,
    actor: &str,
) -> Result<i64, BoxError> {
    let board = diesel::sql_query(
        "INSERT INTO boards (name, description, created_at, updated_at, version)
         VALUES (?, 'A board grown in SQL for the growth benchmark.',
                 strftime('%Y-%m-%d %H:%M:%S.500', 'now', '-91 days'),
                 strftime('%Y-%m-%d %H:%M:%S.500', 'now', '-91 days'), 1)
         RETURNING id",
    )
    .bind::<Text, _>(name)
    .get_result::<Id>(conn)?
    .id;
    for (position, column) in (0_i64..).zip(COLUMNS) {
        diesel::sql_query("INSERT INTO board_columns (board_id, position, name) VALUES (?, ?, ?)")
            .bind::<BigInt, _>(board)
            .bind::<BigInt, _>(position)
            .bind::<Text, _>(column)
            .execute(conn)?;
    }
    // Ticket i: created (90 - 82 * i / n) days ago, milliseconds never .000 (Diesel would write
    // no fraction then); a third of the backlog and most of the board done, as on a board that
    // has been in use for months; priorities 0 to 10 in steps of 0.5; three in ten assigned.
    diesel::sql_query(
        "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ?2),
         shaped AS (
             SELECT i,
                    CASE WHEN i % 20 < 4 THEN 0 WHEN i % 20 < 6 THEN 1 WHEN i % 20 = 6 THEN 2
                         WHEN i % 20 = 7 THEN 3 ELSE 4 END AS position,
                    strftime('%Y-%m-%d %H:%M:%S', 'now', '-90 days',
                             '+' || (i * 82 * 86400 / ?2) || ' seconds')
                        || printf('.%03d', 1 + i % 999) AS at
             FROM n)
         INSERT INTO tickets (board_id, title, description, acceptance_criteria, priority,
                              assignee, current_column, created_at, updated_at,
                              column_entered_at, version, column_position)
         SELECT ?1, 'Grown ticket ' || i,
                'A ticket grown in SQL for the benchmark, with a realistic description of the '
                    || 'work to do, the context an agent needs and a link or two.',
                CASE WHEN i % 3 = 0 THEN 'Given the board, when it grows, then pages stay fast.'
                     ELSE '' END,
                (i * 7919 % 21) / 2.0,
                CASE WHEN i % 10 < 3 THEN 'agent-' || (i % 17) END,
                c.name, at, at, at, 1, shaped.position
         FROM shaped
         JOIN board_columns c ON c.board_id = ?1 AND c.position = shaped.position
         ORDER BY i",
    )
    .bind::<BigInt, _>(board)
    .bind::<BigInt, _>(tickets)
    .execute(conn)?;
    diesel::sql_query(
        "INSERT INTO ticket_history (ticket_id, field_name, old_value, new_value, changed_by,
                                     changed_at)
         SELECT id, 'status', NULL, 'created', ?2, created_at
         FROM tickets WHERE board_id = ?1 ORDER BY id",
    )
    .bind::<BigInt, _>(board)
    .bind::<Text, _>(actor)
    .execute(conn)?;
    // board_created, then one ticket_created per ticket (pruned since, see the module header).
    diesel::sql_query("INSERT INTO event_sequences (board_id, last_seq) VALUES (?, ?)")
        .bind::<BigInt, _>(board)
        .bind::<BigInt, _>(1 + tickets)
        .execute(conn)?;
    Ok(board)
}
