//! [`BoardRepository`]: boards with their ordered columns and ticket counts.

use crate::error::Work;
use crate::pool::SqliteStore;
use crate::rows::{BoardChanges, BoardRow, NewBoardRow, to_db};
use crate::schema::{board_columns, boards, tickets};
use crate::tickets::{UNKNOWN_POSITION, apply_update, refresh_positions};
use crate::{events, history};
use diesel::dsl::count_star;
use diesel::prelude::*;
use kanban_domain::board::{Board, BoardUpdate, BoardView, NewBoard};
use kanban_domain::ports::{BoardEvents, BoardRepository, Committed};
use kanban_domain::values::{ColumnName, Columns};
use kanban_domain::{BoardId, NewEvent, StoreError};
use std::cell::RefCell;
use std::collections::HashMap;

/// The most boards the writer thread keeps (it starts over when full).
const WRITER_BOARDS: usize = 256;

/// Boards the writer thread read, each as it stood at its version (see `get_board`).
#[derive(Default)]
struct WriterBoards {
    /// `group_commit::rollbacks_on_this_thread` when these were read.
    rollbacks: u64,
    boards: HashMap<i64, Board>,
}

thread_local! {
    /// On a writer thread, the boards its use cases read. Empty on other threads.
    static WRITER_BOARDS_READ: RefCell<WriterBoards> = RefCell::default();
}

/// A board with its columns, in position order, in one statement.
fn read_board(conn: &mut SqliteConnection, id: BoardId) -> Work<Option<Board>> {
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
}

/// [`read_board`] on the writer thread, which every ticket write starts with: a board read
/// before is taken again when the board is still at its version. Every change of a board or of
/// its columns moves its version on, whichever process commits it, and ids are never reused,
/// so a board at the version it was read at is the same board. Only a rollback can bring a
/// version back with other contents (a dropped change's, written again by the next change), so
/// the boards read before any rollback are dropped.
fn read_board_on_writer(conn: &mut SqliteConnection, id: BoardId) -> Work<Option<Board>> {
    let Some(version) = boards::table
        .find(id.get())
        .select(boards::version)
        .first::<i64>(conn)
        .optional()?
    else {
        return Ok(None);
    };
    let rollbacks = crate::group_commit::rollbacks_on_this_thread();
    let known = WRITER_BOARDS_READ.with_borrow(|read| {
        let board = read.boards.get(&id.get());
        board
            .filter(|board| read.rollbacks == rollbacks && board.version == version)
            .cloned()
    });
    if known.is_some() {
        return Ok(known);
    }
    let board = read_board(conn, id)?;
    if let Some(board) = &board {
        WRITER_BOARDS_READ.with_borrow_mut(|read| {
            if read.rollbacks != rollbacks || read.boards.len() >= WRITER_BOARDS {
                read.boards.clear();
                read.rollbacks = rollbacks;
            }
            read.boards.insert(id.get(), board.clone());
        });
    }
    Ok(board)
}

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
        // Every ticket write and page reads its board first.
        if self.is_writer_thread_view() {
            return self.read_statement(|conn| read_board_on_writer(conn, id));
        }
        self.read_statement(|conn| read_board(conn, id))
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
                // Their tickets now sort among those of columns the board does not have.
                let left_behind: i64 = tickets::table
                    .filter(tickets::board_id.eq(id.get()))
                    .filter(tickets::column_position.eq(UNKNOWN_POSITION))
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
            // Columns, tickets and comments go with it (ON DELETE CASCADE); the tickets'
            // history, found along their chains, first; events stay.
            history::delete_of_board(conn, id.get(), expected_version)?;
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

#[cfg(test)]
mod tests {
    use crate::error::Failure;
    use crate::pool::SqliteStore;
    use diesel::connection::SimpleConnection;
    use kanban_domain::BoardId;
    use kanban_domain::ports::{BoardRepository, QueuedUseCase, WriteQueue};
    use std::sync::mpsc;

    /// A use case run by the writer thread, answering how its transaction closed.
    struct Queued<F> {
        body: F,
        closed: mpsc::Sender<bool>,
    }

    impl<F: FnMut() -> bool + Send> QueuedUseCase for Queued<F> {
        fn run(&mut self) -> bool {
            (self.body)()
        }

        fn answer(self: Box<Self>, closed: Result<(), kanban_domain::StoreError>) {
            self.closed.send(closed.is_ok()).unwrap();
        }
    }

    /// Runs `body` as a use case on the writer thread and waits for its batch to close.
    fn on_writer(store: &SqliteStore, body: impl FnMut() -> bool + Send + 'static) {
        let (closed, answer) = mpsc::channel();
        store.queue(Box::new(Queued { body, closed })).unwrap();
        assert!(answer.recv().unwrap(), "the batch did not commit");
    }

    /// The second column's new name, at the board's next version (as a column rename does).
    fn rename_second_column(conn: &mut diesel::SqliteConnection, to: &str) -> Result<(), Failure> {
        conn.batch_execute(&format!(
            "UPDATE board_columns SET name = '{to}' WHERE board_id = 1 AND position = 1;
             UPDATE boards SET version = version + 1 WHERE id = 1;"
        ))?;
        Ok(())
    }

    fn columns_seen(view: &SqliteStore) -> Vec<String> {
        let board = view.get_board(BoardId::new(1)).unwrap().unwrap();
        board.columns.names()
    }

    /// The writer thread keeps the boards it read, by version: a change of a board is seen at
    /// once, and so is a change written at the version of a rolled-back one.
    #[test]
    fn the_writer_sees_every_committed_change_of_a_board_it_read_before() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::connect(dir.path().join("b.db").to_str().unwrap(), 2).unwrap();
        store.run_migrations().unwrap();
        store
            .write(|conn| {
                conn.batch_execute(
                    "INSERT INTO boards (name, description, created_at, updated_at, version)
                       VALUES ('b', '', '2026-11-23 00:00:00', '2026-11-23 00:00:00', 1);
                     INSERT INTO board_columns (board_id, position, name)
                       VALUES (1, 0, 'A'), (1, 1, 'B');",
                )?;
                Ok(())
            })
            .unwrap();
        let view = store.for_writer_thread();
        let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let look = {
            let (view, seen) = (view.clone(), seen.clone());
            move || {
                seen.lock().unwrap().push(columns_seen(&view));
                true
            }
        };
        on_writer(&store, look.clone());
        // Renamed, read (at version 2), then undone: the use case fails.
        on_writer(&store, {
            let view = view.clone();
            move || {
                view.write(|conn| rename_second_column(conn, "C")).unwrap();
                assert_eq!(columns_seen(&view), ["A", "C"]);
                false
            }
        });
        // Another rename, committed at version 2 (the board not read in between).
        on_writer(&store, {
            let view = view.clone();
            move || view.write(|conn| rename_second_column(conn, "D")).is_ok()
        });
        on_writer(&store, look);
        let seen = seen.lock().unwrap();
        assert_eq!(*seen, [["A", "B"], ["A", "D"]].map(|c| c.map(String::from)));
        assert_eq!(
            store
                .get_board(BoardId::new(1))
                .unwrap()
                .unwrap()
                .columns
                .names(),
            ["A", "D"]
        );
    }
}
