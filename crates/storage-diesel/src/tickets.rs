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
    Committed, Holding, Listed, TicketChange, TicketEffects, TicketFilter, TicketRepository,
};
use kanban_domain::statistics::TicketTiming;
use kanban_domain::ticket::{NewTicket, TicketUpdate};
use kanban_domain::values::{AssigneeName, ColumnName};
use kanban_domain::{BoardId, NewEvent, StoreError, Ticket, TicketId};
use std::collections::{HashMap, HashSet};

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
fn positions_of(conn: &mut SqliteConnection, board: i64, columns: &[&str]) -> Work<Vec<i32>> {
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

/// Board order: column position, numeric priority, id (the order of `idx_tickets_board_order`).
pub(crate) fn board_order() -> (
    diesel::helper_types::Asc<tickets::column_position>,
    diesel::helper_types::Asc<tickets::priority>,
    diesel::helper_types::Asc<tickets::id>,
) {
    (
        tickets::column_position.asc(),
        tickets::priority.asc(),
        tickets::id.asc(),
    )
}

/// The tickets a [`TicketFilter`] matches, as the conditions of a query. A filter by column names
/// is also one by their positions ([`positions_of`]), so it walks `idx_tickets_board_order`.
pub(crate) struct Matching<'a> {
    board: i64,
    columns: Vec<&'a str>,
    positions: Vec<i32>,
    assignee: Option<&'a str>,
}

impl<'a> Matching<'a> {
    pub(crate) fn of(conn: &mut SqliteConnection, filter: &'a TicketFilter) -> Work<Self> {
        let board = filter.board_id.get();
        let columns: Vec<&str> = filter.columns.iter().map(ColumnName::as_str).collect();
        let positions = if columns.is_empty() {
            Vec::new()
        } else {
            positions_of(conn, board, &columns)?
        };
        Ok(Self {
            board,
            columns,
            positions,
            assignee: filter.assignee.as_ref().map(AssigneeName::as_str),
        })
    }

    pub(crate) fn query(&self) -> tickets::BoxedQuery<'_, diesel::sqlite::Sqlite> {
        let mut query = tickets::table
            .filter(tickets::board_id.eq(self.board))
            .into_boxed();
        if !self.columns.is_empty() {
            query = query
                .filter(tickets::column_position.eq_any(&self.positions))
                .filter(tickets::current_column.eq_any(&self.columns));
        }
        if let Some(assignee) = self.assignee {
            query = query.filter(tickets::assignee.eq(assignee));
        }
        query
    }
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
        let read = || {
            self.read_statement(|conn| {
                let row = tickets::table
                    .find(id.get())
                    .select(TicketRow::as_select())
                    .first(conn)
                    .optional()?;
                Ok(row.map(Ticket::from))
            })
        };
        match self.fresh() {
            Some(fresh) => fresh.ticket(id, read),
            None => read(),
        }
    }

    fn list(&self, filter: &TicketFilter) -> Result<Vec<Ticket>, StoreError> {
        self.read(|conn| {
            let rows: Vec<TicketRow> = Matching::of(conn, filter)?
                .query()
                .order(board_order())
                .select(TicketRow::as_select())
                .load(conn)?;
            Ok(rows.into_iter().map(Ticket::from).collect())
        })
    }

    fn list_page(
        &self,
        filter: &TicketFilter,
        page: PageRequest,
        held: &mut dyn Holding,
    ) -> Result<(Vec<Listed>, u64), StoreError> {
        self.read(|conn| {
            let matching = Matching::of(conn, filter)?;
            // Counted once per state of the board: the pages of one listing computed at the same
            // stamp (under a stream of changes, several between two commits) share the count.
            let stamp = events::last_seq_of(conn, filter.board_id)?;
            let total = match held.matching_at(stamp) {
                Some(total) => total,
                None => {
                    let total: i64 = matching.query().count().get_result(conn)?;
                    let total = u64::try_from(total).unwrap_or_default();
                    held.counted(stamp, total);
                    total
                }
            };
            // The page's ids and versions, from `idx_tickets_board_order` alone when there is
            // no filter but the board (the index holds both): a page deep in a large board walks
            // `offset` index entries, not the rows, and a page of tickets the caller holds reads
            // no row at all. Each other ticket is then read by id, in the same snapshot.
            let entries: Vec<(i64, i64)> = matching
                .query()
                .order(board_order())
                .select((tickets::id, tickets::version))
                .limit(to_i64(page.limit()))
                .offset(to_i64(page.offset()))
                .load(conn)?;
            let holds: Vec<bool> = entries
                .iter()
                .map(|(id, version)| held.holds(TicketId::new(*id), *version))
                .collect();
            let wanted: Vec<i64> = entries
                .iter()
                .zip(&holds)
                .filter(|(_, holds)| !**holds)
                .map(|((id, _), _)| *id)
                .collect();
            // The tickets not held, in one statement whatever their number: the ids go as one
            // JSON array (`json_each`), so the text is fixed and stays prepared.
            let mut read: HashMap<i64, Ticket> = if wanted.is_empty() {
                HashMap::new()
            } else {
                let ids = serde_json::to_string(&wanted).map_err(StoreError::internal)?;
                enum TicketsById {}
                let rows: Vec<TicketRow> = tickets::table
                    .filter(
                        diesel::dsl::sql::<diesel::sql_types::Bool>(
                            "`tickets`.`id` IN (SELECT value FROM json_each(",
                        )
                        .bind::<diesel::sql_types::Text, _>(ids)
                        .sql("))"),
                    )
                    .select(TicketRow::as_select())
                    .keep_prepared_as::<TicketsById>()
                    .load(conn)?;
                rows.into_iter()
                    .map(|row| (row.id, Ticket::from(row)))
                    .collect()
            };
            let mut items = Vec::with_capacity(entries.len());
            for ((id, version), holds) in entries.into_iter().zip(holds) {
                items.push(if holds {
                    Listed::Held {
                        id: TicketId::new(id),
                        version,
                    }
                } else {
                    // Listed a moment ago in this same snapshot, so it is there.
                    Listed::Read(read.remove(&id).ok_or(StoreError::NotFound)?)
                });
            }
            Ok((items, total))
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
            // Comments go with it (ON DELETE CASCADE); its history, found along its chain, first.
            history::delete_of_ticket(conn, id.get(), expected_version)?;
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
