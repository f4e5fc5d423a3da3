//! [`TicketRepository`]: tickets, listed in board order, changed under compare-and-set.

use crate::boards::check_board_version;
use crate::comments::ticket_exists;
use crate::error::{Failure, Work};
use crate::pool::SqliteStore;
use crate::prepared::{KeepPrepared, execute_prepared};
use crate::rows::{NewTicketRow, TicketChanges, TicketRow, to_db};
use crate::schema::{board_columns, tickets};
use crate::{events, history};
use diesel::prelude::*;
use kanban_domain::page::PageRequest;
use kanban_domain::ports::{
    Committed, TicketChange, TicketEffects, TicketFilter, TicketRepository,
};
use kanban_domain::statistics::TicketTiming;
use kanban_domain::ticket::{NewTicket, TicketUpdate};
use kanban_domain::values::{AssigneeName, ColumnName};
use kanban_domain::{BoardId, NewEvent, StoreError, Ticket, TicketId};
use std::collections::HashSet;

/// Why a compare-and-set touched no row: the row is gone, or its version moved.
fn missed(conn: &mut SqliteConnection, id: TicketId) -> Work<StoreError> {
    Ok(if ticket_exists(conn, id)? {
        StoreError::Conflict
    } else {
        StoreError::NotFound
    })
}

/// Writes a decided ticket change if the ticket is still at `update.expected_version`; its
/// history rows are the caller's to append.
///
/// Only the changed fields are written (`update.changed`, with the version and `updated_at`),
/// in one of three statements: SQLite keeps up to date the indexes of the columns a statement
/// sets, so a claim or a release leaves the two board-order indexes alone, and a move or a new
/// priority the assignee index. The columns left out hold what the change was decided on, since
/// the version still matches. The stored row is then `update.ticket` itself (each value is stored
/// as it is), so nothing is read back (see `prepared` on why not `RETURNING`).
///
/// `NotFound` when the ticket is gone, `Conflict` when its version moved.
pub(crate) fn apply_update(conn: &mut SqliteConnection, update: &TicketUpdate) -> Work<Ticket> {
    enum UpdateAssignee {}
    enum UpdatePlacement {}
    enum UpdateTicket {}
    let (ticket, changed) = (&update.ticket, update.changed);
    let target = || {
        diesel::update(
            tickets::table
                .filter(tickets::id.eq(ticket.id.get()))
                .filter(tickets::version.eq(update.expected_version)),
        )
    };
    let (updated_at, version) = (
        tickets::updated_at.eq(to_db(ticket.updated_at)),
        tickets::version.eq(ticket.version),
    );
    let updated = if !(changed.text || changed.priority || changed.column) {
        let assignee = ticket.assignee.as_ref().map(AssigneeName::as_str);
        let statement = target().set((tickets::assignee.eq(assignee), updated_at, version));
        execute_prepared(conn, statement.affecting::<UpdateAssignee>())?
    } else {
        let position =
            column_position(conn, ticket.board_id.get(), ticket.current_column.as_str())?;
        if changed.text || changed.assignee {
            let statement = target().set((
                TicketChanges::of(ticket),
                tickets::column_position.eq(position),
            ));
            execute_prepared(conn, statement.affecting::<UpdateTicket>())?
        } else {
            let statement = target().set((
                tickets::priority.eq(ticket.priority.value()),
                tickets::current_column.eq(ticket.current_column.as_str()),
                tickets::column_entered_at.eq(to_db(ticket.column_entered_at)),
                tickets::column_position.eq(position),
                updated_at,
                version,
            ));
            execute_prepared(conn, statement.affecting::<UpdatePlacement>())?
        }
    };
    match updated {
        1 => Ok(ticket.clone()),
        _ => Err(missed(conn, ticket.id)?.into()),
    }
}

/// Where tickets in a column their board does not have sort: after every real column.
pub(crate) const UNKNOWN_POSITION: i32 = 1_000_000;

/// The position of `column` on `board`, which tickets keep in `column_position` for ordering.
pub(crate) fn column_position(conn: &mut SqliteConnection, board: i64, column: &str) -> Work<i32> {
    Ok(board_columns::table
        .filter(board_columns::board_id.eq(board))
        .filter(board_columns::name.eq(column))
        .select(board_columns::position)
        .first::<i32>(conn)
        .optional()?
        .unwrap_or(UNKNOWN_POSITION))
}

/// The places in the board order (`column_position`) of tickets in `columns` on `board`: the
/// positions of those the board has, and that of columns it does not have (a ticket there is
/// matched by its column's name). A filter by column names is thus also a filter by positions,
/// which `idx_tickets_board_order` serves.
pub(crate) fn positions_of(
    conn: &mut SqliteConnection,
    board: i64,
    columns: &[&str],
) -> Work<Vec<i32>> {
    let mut positions: Vec<i32> = board_columns::table
        .filter(board_columns::board_id.eq(board))
        .filter(board_columns::name.eq_any(columns))
        .select(board_columns::position)
        .load(conn)?;
    positions.push(UNKNOWN_POSITION);
    positions.sort_unstable();
    positions.dedup();
    Ok(positions)
}

/// Re-derives `column_position` of every ticket of `board` after its columns changed.
pub(crate) fn refresh_positions(conn: &mut SqliteConnection, board: i64) -> Work<()> {
    diesel::sql_query(
        "UPDATE tickets SET column_position = COALESCE(
             (SELECT bc.position FROM board_columns bc
               WHERE bc.board_id = tickets.board_id AND bc.name = tickets.current_column), ?)
         WHERE board_id = ?",
    )
    .bind::<diesel::sql_types::Integer, _>(UNKNOWN_POSITION)
    .bind::<diesel::sql_types::BigInt, _>(board)
    .execute(conn)?;
    Ok(())
}

/// A failed guard of a batch: whatever it found (a moved version, a missing row), the batch was
/// decided on a view that no longer holds, so it is a conflict.
fn stale(failure: Failure) -> Failure {
    match failure.0 {
        StoreError::NotFound => StoreError::Conflict.into(),
        _ => failure,
    }
}

fn to_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

impl TicketRepository for SqliteStore {
    fn get(&self, id: TicketId) -> Result<Option<Ticket>, StoreError> {
        self.read_statement(|conn| {
            let row = tickets::table
                .find(id.get())
                .select(TicketRow::as_select())
                .first(conn)
                .optional()?;
            Ok(row.map(Ticket::from))
        })
    }

    fn list(
        &self,
        filter: &TicketFilter,
        page: Option<PageRequest>,
    ) -> Result<(Vec<Ticket>, u64), StoreError> {
        let columns: Vec<&str> = filter.columns.iter().map(ColumnName::as_str).collect();
        let assignee = filter.assignee.as_ref().map(AssigneeName::as_str);
        self.read(|conn| {
            let mut count = tickets::table
                .filter(tickets::board_id.eq(filter.board_id.get()))
                .into_boxed();
            // `column_position` mirrors the column's place on the board, so this index walk is
            // already in board order: no join, no sort.
            let mut list = tickets::table
                .filter(tickets::board_id.eq(filter.board_id.get()))
                .into_boxed();
            if !columns.is_empty() {
                let positions = positions_of(conn, filter.board_id.get(), &columns)?;
                count = count
                    .filter(tickets::column_position.eq_any(positions.clone()))
                    .filter(tickets::current_column.eq_any(&columns));
                list = list
                    .filter(tickets::column_position.eq_any(positions))
                    .filter(tickets::current_column.eq_any(&columns));
            }
            if let Some(assignee) = assignee {
                count = count.filter(tickets::assignee.eq(assignee));
                list = list.filter(tickets::assignee.eq(assignee));
            }
            let total: i64 = count.count().get_result(conn)?;
            let list = list.order((
                tickets::column_position.asc(),
                tickets::priority.asc(),
                tickets::id.asc(),
            ));
            let rows = match page {
                None => list.select(TicketRow::as_select()).load(conn)?,
                Some(page) => {
                    // A page deep in a large board walks `offset` entries of the board order
                    // whichever way; walking them in `idx_tickets_board_order`, which holds the
                    // ids (a covering index walk, in the subquery), instead of visiting every
                    // skipped ticket row makes page 1,000 of a 100,000-ticket board cost about
                    // what counting the board does. Only the page's own rows are then read, by
                    // id, and put back in board order. One statement with a fixed text, so it
                    // stays prepared (a literal `IN (?, ?, …)` of the ids would be parsed again
                    // for every page).
                    let page_ids = list
                        .select(tickets::id)
                        .limit(to_i64(page.limit()))
                        .offset(to_i64(page.offset()));
                    tickets::table
                        .filter(tickets::id.eq_any(page_ids))
                        .order((
                            tickets::column_position.asc(),
                            tickets::priority.asc(),
                            tickets::id.asc(),
                        ))
                        .select(TicketRow::as_select())
                        .load(conn)?
                }
            };
            Ok((
                rows.into_iter().map(Ticket::from).collect(),
                u64::try_from(total).unwrap_or_default(),
            ))
        })
    }

    fn timings(&self, filter: &TicketFilter) -> Result<Vec<TicketTiming>, StoreError> {
        self.read(|conn| crate::statistics::timings(conn, filter))
    }

    fn create(
        &self,
        new: &NewTicket,
        board_version: i64,
        effects: TicketEffects,
    ) -> Result<Committed<Ticket>, StoreError> {
        let new = new.clone();
        self.write(move |conn| {
            check_board_version(conn, new.board_id, board_version)?;
            let position = column_position(conn, new.board_id.get(), new.current_column.as_str())?;
            let at = to_db(new.at);
            enum InsertTicket {}
            let ticket: Ticket = diesel::insert_into(tickets::table)
                .values(NewTicketRow {
                    board_id: new.board_id.get(),
                    title: new.title.as_str(),
                    description: new.description.as_str(),
                    acceptance_criteria: new.acceptance_criteria.as_str(),
                    priority: new.priority.value(),
                    assignee: new.assignee.as_ref().map(AssigneeName::as_str),
                    current_column: new.current_column.as_str(),
                    created_at: at,
                    updated_at: at,
                    column_entered_at: at,
                    version: 1,
                    column_position: position,
                })
                .returning(TicketRow::as_returning())
                .keep_prepared_as::<InsertTicket>()
                .get_result(conn)?
                .into();
            let effects = effects(&ticket);
            history::append(conn, &effects.history)?;
            let events = events::append(conn, effects.events)?;
            Ok(Committed {
                value: ticket,
                events,
            })
        })
    }

    fn update(
        &self,
        update: &TicketUpdate,
        board_version: Option<i64>,
        events: &[NewEvent],
    ) -> Result<Committed<Ticket>, StoreError> {
        let (update, events) = (update.clone(), events.to_vec());
        self.write(move |conn| {
            let ticket = apply_update(conn, &update)?;
            if let Some(version) = board_version {
                // The board moved on (or went away) since the change was decided.
                check_board_version(conn, ticket.board_id, version).map_err(
                    |failure| match failure.0 {
                        StoreError::NotFound => StoreError::Conflict.into(),
                        _ => failure,
                    },
                )?;
            }
            history::append(conn, &update.history)?;
            let events = events::append(conn, events)?;
            Ok(Committed {
                value: ticket,
                events,
            })
        })
    }

    fn update_many(&self, changes: &[TicketChange]) -> Result<Committed<Vec<Ticket>>, StoreError> {
        if changes.is_empty() {
            return Ok(Committed {
                value: Vec::new(),
                events: Vec::new(),
            });
        }
        let changes = changes.to_vec();
        self.write(move |conn| {
            let mut tickets = Vec::with_capacity(changes.len());
            let mut committed = Vec::new();
            // The board rows cannot change under this transaction's write lock: one check each.
            let mut boards_checked: HashSet<(BoardId, i64)> = HashSet::new();
            for change in changes {
                let ticket = apply_update(conn, &change.update).map_err(stale)?;
                if let Some(version) = change.board_version
                    && boards_checked.insert((ticket.board_id, version))
                {
                    check_board_version(conn, ticket.board_id, version).map_err(stale)?;
                }
                history::append(conn, &change.update.history)?;
                committed.extend(events::append(conn, change.events)?);
                tickets.push(ticket);
            }
            Ok(Committed {
                value: tickets,
                events: committed,
            })
        })
    }

    fn delete(
        &self,
        id: TicketId,
        expected_version: i64,
        events: &[NewEvent],
    ) -> Result<Committed<()>, StoreError> {
        let events = events.to_vec();
        self.write(move |conn| {
            // Comments and history go with it (ON DELETE CASCADE).
            let removed = diesel::delete(
                tickets::table
                    .filter(tickets::id.eq(id.get()))
                    .filter(tickets::version.eq(expected_version)),
            )
            .execute(conn)?;
            if removed == 0 {
                return Err(missed(conn, id)?.into());
            }
            let events = events::append(conn, events)?;
            Ok(Committed { value: (), events })
        })
    }
}
