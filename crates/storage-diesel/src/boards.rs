//! [`BoardRepository`]: boards with their ordered columns and ticket counts.

use crate::error::Work;
use crate::pool::SqliteStore;
use crate::rows::{BoardChanges, BoardRow, NewBoardRow, to_db};
use crate::schema::{board_columns, boards, tickets};
use crate::tickets::{apply_update, refresh_positions};
use crate::{events, history};
use diesel::dsl::count_star;
use diesel::prelude::*;
use kanban_domain::board::{Board, BoardUpdate, BoardView, NewBoard};
use kanban_domain::ports::{BoardEvents, BoardRepository, Committed};
use kanban_domain::values::{ColumnName, Columns};
use kanban_domain::{BoardId, NewEvent, StoreError};
use std::collections::HashMap;

/// Checks, inside the caller's transaction, that the board exists and is at `version`.
///
/// `NotFound` when it is gone, `Conflict` when its version moved.
pub(crate) fn check_board_version(
    conn: &mut SqliteConnection,
    id: BoardId,
    version: i64,
) -> Work<()> {
    let current = boards::table
        .find(id.get())
        .select(boards::version)
        .first::<i64>(conn)
        .optional()?;
    match current {
        None => Err(StoreError::NotFound.into()),
        Some(current) if current != version => Err(StoreError::Conflict.into()),
        Some(_) => Ok(()),
    }
}

fn board_exists(conn: &mut SqliteConnection, id: BoardId) -> Work<bool> {
    let found = boards::table
        .find(id.get())
        .select(boards::id)
        .first::<i64>(conn)
        .optional()?;
    Ok(found.is_some())
}

fn columns_of(conn: &mut SqliteConnection, id: i64) -> Work<Vec<String>> {
    Ok(board_columns::table
        .filter(board_columns::board_id.eq(id))
        .order(board_columns::position.asc())
        .select(board_columns::name)
        .load(conn)?)
}

fn ticket_count(conn: &mut SqliteConnection, id: i64) -> Work<u64> {
    let count: i64 = tickets::table
        .filter(tickets::board_id.eq(id))
        .count()
        .get_result(conn)?;
    Ok(u64::try_from(count).unwrap_or_default())
}

/// Replaces a board's column rows by `columns`, in order.
fn write_columns(conn: &mut SqliteConnection, id: i64, columns: &Columns) -> Work<()> {
    diesel::delete(board_columns::table.filter(board_columns::board_id.eq(id))).execute(conn)?;
    let rows: Vec<_> = columns
        .iter()
        .zip(0_i32..)
        .map(|(name, position)| {
            (
                board_columns::board_id.eq(id),
                board_columns::position.eq(position),
                board_columns::name.eq(name.as_str()),
            )
        })
        .collect();
    diesel::insert_into(board_columns::table)
        .values(&rows)
        .execute(conn)?;
    Ok(())
}

/// The view of one board row: its columns and ticket count.
fn view_of(conn: &mut SqliteConnection, row: BoardRow) -> Work<BoardView> {
    let columns = columns_of(conn, row.id)?;
    let ticket_count = ticket_count(conn, row.id)?;
    Ok(BoardView {
        board: row.into_board(columns),
        ticket_count,
    })
}

impl BoardRepository for SqliteStore {
    fn list(&self) -> Result<Vec<BoardView>, StoreError> {
        self.read(|conn| {
            let rows = boards::table
                .order(boards::id.asc())
                .select(BoardRow::as_select())
                .load(conn)?;
            if rows.is_empty() {
                return Ok(Vec::new());
            }
            let ids: Vec<i64> = rows.iter().map(|b| b.id).collect();
            let mut columns: HashMap<i64, Vec<String>> = HashMap::new();
            let all_columns: Vec<(i64, String)> = board_columns::table
                .filter(board_columns::board_id.eq_any(&ids))
                .order((board_columns::board_id.asc(), board_columns::position.asc()))
                .select((board_columns::board_id, board_columns::name))
                .load(conn)?;
            for (board_id, name) in all_columns {
                columns.entry(board_id).or_default().push(name);
            }
            let counts: HashMap<i64, i64> = tickets::table
                .filter(tickets::board_id.eq_any(&ids))
                .group_by(tickets::board_id)
                .select((tickets::board_id, count_star()))
                .load::<(i64, i64)>(conn)?
                .into_iter()
                .collect();
            Ok(rows
                .into_iter()
                .map(|row| {
                    let ticket_count = counts.get(&row.id).copied().unwrap_or_default();
                    let names = columns.remove(&row.id).unwrap_or_default();
                    BoardView {
                        board: row.into_board(names),
                        ticket_count: u64::try_from(ticket_count).unwrap_or_default(),
                    }
                })
                .collect())
        })
    }

    fn get(&self, id: BoardId) -> Result<Option<BoardView>, StoreError> {
        self.read(|conn| {
            let row = boards::table
                .find(id.get())
                .select(BoardRow::as_select())
                .first(conn)
                .optional()?;
            row.map(|row| view_of(conn, row)).transpose()
        })
    }

    fn get_board(&self, id: BoardId) -> Result<Option<Board>, StoreError> {
        // One statement (every ticket write and page reads its board first): the board's row
        // with each of its columns, in position order.
        self.read_statement(|conn| {
            let rows: Vec<(BoardRow, Option<String>)> = boards::table
                .left_join(board_columns::table)
                .filter(boards::id.eq(id.get()))
                .order(board_columns::position.asc())
                .select((BoardRow::as_select(), board_columns::name.nullable()))
                .load(conn)?;
            let mut columns = Vec::with_capacity(rows.len());
            let mut board = None;
            for (row, column) in rows {
                columns.extend(column);
                board.get_or_insert(row);
            }
            Ok(board.map(|row| row.into_board(columns)))
        })
    }

    fn first(&self) -> Result<Option<BoardView>, StoreError> {
        self.read(|conn| {
            let row = boards::table
                .order(boards::id.asc())
                .select(BoardRow::as_select())
                .first(conn)
                .optional()?;
            row.map(|row| view_of(conn, row)).transpose()
        })
    }

    fn create(
        &self,
        new: &NewBoard,
        events: BoardEvents,
    ) -> Result<Committed<BoardView>, StoreError> {
        let new = new.clone();
        self.write(move |conn| {
            let at = to_db(new.at);
            let row = diesel::insert_into(boards::table)
                .values(NewBoardRow {
                    name: new.name.as_str(),
                    description: new.description.as_str(),
                    created_at: at,
                    updated_at: at,
                    version: 1,
                })
                .returning(BoardRow::as_returning())
                .get_result(conn)?;
            write_columns(conn, row.id, &new.columns)?;
            let board = row.into_board(new.columns.names());
            let events = events::append(conn, events(&board))?;
            Ok(Committed {
                value: BoardView {
                    board,
                    ticket_count: 0,
                },
                events,
            })
        })
    }

    fn update(
        &self,
        update: &BoardUpdate,
        events: &[NewEvent],
    ) -> Result<Committed<BoardView>, StoreError> {
        let id = update.board.id;
        let (update, events) = (update.clone(), events.to_vec());
        self.write(move |conn| {
            let row = diesel::update(
                boards::table
                    .filter(boards::id.eq(id.get()))
                    .filter(boards::version.eq(update.expected_version)),
            )
            .set(BoardChanges::of(&update.board))
            .returning(BoardRow::as_returning())
            .get_result(conn)
            .optional()?;
            let Some(row) = row else {
                return Err(if board_exists(conn, id)? {
                    StoreError::Conflict
                } else {
                    StoreError::NotFound
                }
                .into());
            };
            for ticket_update in &update.ticket_updates {
                // A relocated ticket that moved or disappeared meanwhile: the change was decided
                // on a stale view of the board, so the whole change is a conflict.
                apply_update(conn, ticket_update).map_err(|failure| match failure.0 {
                    StoreError::NotFound => StoreError::Conflict.into(),
                    _ => failure,
                })?;
                history::append(conn, &ticket_update.history)?;
            }
            write_columns(conn, id.get(), &update.board.columns)?;
            refresh_positions(conn, id.get())?;
            if !update.removed_columns.is_empty() {
                let removed: Vec<&str> = update
                    .removed_columns
                    .iter()
                    .map(ColumnName::as_str)
                    .collect();
                let left_behind: i64 = tickets::table
                    .filter(tickets::board_id.eq(id.get()))
                    .filter(tickets::current_column.eq_any(&removed))
                    .count()
                    .get_result(conn)?;
                if left_behind > 0 {
                    return Err(StoreError::Conflict.into());
                }
            }
            let events = events::append(conn, events)?;
            let board: Board = row.into_board(update.board.columns.names());
            let ticket_count = ticket_count(conn, id.get())?;
            Ok(Committed {
                value: BoardView {
                    board,
                    ticket_count,
                },
                events,
            })
        })
    }

    fn delete(
        &self,
        id: BoardId,
        expected_version: i64,
        events: &[NewEvent],
    ) -> Result<Committed<()>, StoreError> {
        let events = events.to_vec();
        self.write(move |conn| {
            // Columns, tickets, comments and history go with it (ON DELETE CASCADE); events stay.
            let removed = diesel::delete(
                boards::table
                    .filter(boards::id.eq(id.get()))
                    .filter(boards::version.eq(expected_version)),
            )
            .execute(conn)?;
            if removed == 0 {
                return Err(if board_exists(conn, id)? {
                    StoreError::Conflict
                } else {
                    StoreError::NotFound
                }
                .into());
            }
            let events = events::append(conn, events)?;
            Ok(Committed { value: (), events })
        })
    }
}
