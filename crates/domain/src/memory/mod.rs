//! In-memory adapters of every port: one store behind one mutex, so each write is trivially
//! atomic. Used by unit tests and by the end-to-end suite's in-memory run.

mod accounts;
pub mod crypto;
mod statistics;

use crate::board::{Board, BoardUpdate, BoardView, NewBoard};
use crate::comment::{Comment, NewComment};
use crate::error::StoreError;
use crate::event::{Event, NewEvent};
use crate::history::{ChangeCounts, HistoryEntry, HistoryField, NewHistory};
use crate::ids::{BoardId, CommentId, HistoryId, TicketId};
use crate::page::PageRequest;
use crate::ports::{
    BoardEvents, BoardRepository, CommentEvents, CommentRepository, Committed, EventLog,
    HistoryRepository, Holding, Listed, Repositories, TicketChange, TicketEffects, TicketFilter,
    TicketRepository,
};
use crate::statistics::{ColumnEntry, TicketTiming};
use crate::ticket::{NewTicket, Ticket, TicketUpdate};
use crate::time::Timestamp;
use crate::values::ColumnName;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

#[derive(Debug, Default)]
struct State {
    boards: BTreeMap<BoardId, Board>,
    tickets: BTreeMap<TicketId, Ticket>,
    comments: BTreeMap<CommentId, Comment>,
    history: Vec<HistoryEntry>,
    events: Vec<Event>,
    last_seq: HashMap<BoardId, i64>,
    last_id: i64,
    accounts: accounts::Accounts,
}

impl State {
    fn next_id(&mut self) -> i64 {
        self.last_id += 1;
        self.last_id
    }

    fn view(&self, board: &Board) -> BoardView {
        let count = self
            .tickets
            .values()
            .filter(|t| t.board_id == board.id)
            .count();
        BoardView {
            board: board.clone(),
            ticket_count: count as u64,
        }
    }

    fn append_history(&mut self, rows: &[NewHistory]) {
        for row in rows {
            let id = HistoryId::new(self.next_id());
            self.history.push(HistoryEntry {
                id,
                ticket_id: row.ticket_id,
                field_name: row.field.as_str().to_owned(),
                old_value: row.old_value.clone(),
                new_value: row.new_value.clone(),
                changed_by: row.changed_by.clone(),
                changed_at: row.changed_at,
            });
        }
    }

    fn append_events(&mut self, events: &[NewEvent]) -> Vec<Event> {
        events
            .iter()
            .map(|new| {
                let seq = self.last_seq.entry(new.board_id).or_insert(0);
                *seq += 1;
                let event = Event {
                    event: new.kind,
                    board_id: new.board_id,
                    seq: *seq,
                    timestamp: new.at,
                    data: new.data.clone(),
                };
                self.events.push(event.clone());
                event
            })
            .collect()
    }

    fn check_ticket_version(&self, update: &TicketUpdate) -> Result<(), StoreError> {
        match self.tickets.get(&update.ticket.id) {
            None => Err(StoreError::NotFound),
            Some(t) if t.version != update.expected_version => Err(StoreError::Conflict),
            Some(_) => Ok(()),
        }
    }

    fn check_board_version(&self, id: BoardId, version: i64) -> Result<(), StoreError> {
        match self.boards.get(&id) {
            None => Err(StoreError::NotFound),
            Some(b) if b.version != version => Err(StoreError::Conflict),
            Some(_) => Ok(()),
        }
    }

    fn delete_ticket_rows(&mut self, id: TicketId) {
        self.tickets.remove(&id);
        self.comments.retain(|_, c| c.ticket_id != id);
        self.history.retain(|h| h.ticket_id != id);
    }

    /// Board order: column position, numeric priority, id.
    fn sort_key(&self, ticket: &Ticket) -> (usize, f64, TicketId) {
        let position = self
            .boards
            .get(&ticket.board_id)
            .and_then(|b| b.columns.iter().position(|c| *c == ticket.current_column))
            .unwrap_or(usize::MAX);
        (position, ticket.priority.value(), ticket.id)
    }

    /// The tickets matching `filter`, in board order.
    fn matching(&self, filter: &TicketFilter) -> Vec<&Ticket> {
        let mut matching: Vec<&Ticket> = self
            .tickets
            .values()
            .filter(|t| t.board_id == filter.board_id)
            .filter(|t| filter.columns.is_empty() || filter.columns.contains(&t.current_column))
            .filter(|t| filter.assignee.is_none() || t.assignee == filter.assignee)
            .collect();
        matching.sort_by(|a, b| {
            let (pa, qa, ia) = self.sort_key(a);
            let (pb, qb, ib) = self.sort_key(b);
            pa.cmp(&pb).then(qa.total_cmp(&qb)).then(ia.cmp(&ib))
        });
        matching
    }
}

/// Every port over one shared in-memory state.
#[derive(Debug, Default, Clone)]
pub struct MemoryStore {
    state: Arc<Mutex<State>>,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    /// The store as the set of ports the services take.
    pub fn repositories(&self) -> Repositories {
        Repositories::of(Arc::new(self.clone()))
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave a half-applied change: every write checks
        // all of its guards before it mutates anything.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A fresh, empty set of in-memory ports.
pub fn repositories() -> Repositories {
    MemoryStore::new().repositories()
}

impl BoardRepository for MemoryStore {
    fn list(&self) -> Result<Vec<BoardView>, StoreError> {
        let state = self.lock();
        Ok(state.boards.values().map(|b| state.view(b)).collect())
    }

    fn get(&self, id: BoardId) -> Result<Option<BoardView>, StoreError> {
        let state = self.lock();
        Ok(state.boards.get(&id).map(|b| state.view(b)))
    }

    fn get_board(&self, id: BoardId) -> Result<Option<Board>, StoreError> {
        Ok(self.lock().boards.get(&id).cloned())
    }

    fn first(&self) -> Result<Option<BoardView>, StoreError> {
        let state = self.lock();
        Ok(state.boards.values().next().map(|b| state.view(b)))
    }

    fn create(
        &self,
        new: &NewBoard,
        events: BoardEvents,
    ) -> Result<Committed<BoardView>, StoreError> {
        let mut state = self.lock();
        let board = Board {
            id: BoardId::new(state.next_id()),
            name: new.name.clone(),
            description: new.description.clone(),
            columns: new.columns.clone(),
            created_at: new.at,
            updated_at: new.at,
            version: 1,
        };
        let events = events(&board);
        state.boards.insert(board.id, board.clone());
        let events = state.append_events(&events);
        Ok(Committed {
            value: BoardView {
                board,
                ticket_count: 0,
            },
            events,
        })
    }

    fn update(
        &self,
        update: &BoardUpdate,
        events: &[NewEvent],
    ) -> Result<Committed<BoardView>, StoreError> {
        let mut state = self.lock();
        state.check_board_version(update.board.id, update.expected_version)?;
        for ticket_update in &update.ticket_updates {
            // A relocated ticket that moved or disappeared meanwhile: the change was decided on
            // a stale view of the board, so it is a conflict (not "board not found").
            state
                .check_ticket_version(ticket_update)
                .map_err(|_| StoreError::Conflict)?;
        }
        let updated: HashMap<TicketId, &Ticket> = update
            .ticket_updates
            .iter()
            .map(|u| (u.ticket.id, &u.ticket))
            .collect();
        let left_behind = state.tickets.values().any(|t| {
            let column = updated
                .get(&t.id)
                .map_or(&t.current_column, |u| &u.current_column);
            t.board_id == update.board.id && update.removed_columns.contains(column)
        });
        if left_behind {
            return Err(StoreError::Conflict);
        }
        for ticket_update in &update.ticket_updates {
            state
                .tickets
                .insert(ticket_update.ticket.id, ticket_update.ticket.clone());
            state.append_history(&ticket_update.history);
        }
        state.boards.insert(update.board.id, update.board.clone());
        let events = state.append_events(events);
        let view = state.view(&update.board);
        Ok(Committed {
            value: view,
            events,
        })
    }

    fn delete(
        &self,
        id: BoardId,
        expected_version: i64,
        events: &[NewEvent],
    ) -> Result<Committed<()>, StoreError> {
        let mut state = self.lock();
        state.check_board_version(id, expected_version)?;
        let ticket_ids: Vec<TicketId> = state
            .tickets
            .values()
            .filter(|t| t.board_id == id)
            .map(|t| t.id)
            .collect();
        for ticket_id in ticket_ids {
            state.delete_ticket_rows(ticket_id);
        }
        state.boards.remove(&id);
        let events = state.append_events(events);
        Ok(Committed { value: (), events })
    }
}

impl TicketRepository for MemoryStore {
    fn get(&self, id: TicketId) -> Result<Option<Ticket>, StoreError> {
        Ok(self.lock().tickets.get(&id).cloned())
    }

    fn list(&self, filter: &TicketFilter) -> Result<Vec<Ticket>, StoreError> {
        let state = self.lock();
        Ok(state.matching(filter).into_iter().cloned().collect())
    }

    fn list_page(
        &self,
        filter: &TicketFilter,
        page: PageRequest,
        held: &mut dyn Holding,
    ) -> Result<(Vec<Listed>, u64), StoreError> {
        let state = self.lock();
        let matching = state.matching(filter);
        let items = matching
            .iter()
            .skip(usize::try_from(page.offset()).unwrap_or(usize::MAX))
            .take(usize::try_from(page.limit()).unwrap_or(usize::MAX))
            .map(|t| {
                if held.holds(t.id, t.version) {
                    Listed::Held {
                        id: t.id,
                        version: t.version,
                    }
                } else {
                    Listed::Read((*t).clone())
                }
            })
            .collect();
        Ok((items, matching.len() as u64))
    }

    fn timings(&self, filter: &TicketFilter) -> Result<Vec<TicketTiming>, StoreError> {
        let state = self.lock();
        Ok(state
            .matching(filter)
            .into_iter()
            .map(TicketTiming::of)
            .collect())
    }

    fn create(
        &self,
        new: &NewTicket,
        board_version: i64,
        effects: TicketEffects,
    ) -> Result<Committed<Ticket>, StoreError> {
        let mut state = self.lock();
        state.check_board_version(new.board_id, board_version)?;
        let ticket = Ticket {
            id: TicketId::new(state.next_id()),
            board_id: new.board_id,
            title: new.title.clone(),
            description: new.description.clone(),
            acceptance_criteria: new.acceptance_criteria.clone(),
            priority: new.priority,
            assignee: new.assignee.clone(),
            current_column: new.current_column.clone(),
            created_at: new.at,
            updated_at: new.at,
            column_entered_at: new.at,
            version: 1,
        };
        let effects = effects(&ticket);
        state.tickets.insert(ticket.id, ticket.clone());
        state.append_history(&effects.history);
        let events = state.append_events(&effects.events);
        Ok(Committed {
            value: ticket,
            events,
        })
    }

    fn update(
        &self,
        update: &TicketUpdate,
        board_version: Option<i64>,
        events: &[NewEvent],
    ) -> Result<Committed<Ticket>, StoreError> {
        let mut state = self.lock();
        state.check_ticket_version(update)?;
        if let Some(version) = board_version {
            state
                .check_board_version(update.ticket.board_id, version)
                .map_err(|_| StoreError::Conflict)?;
        }
        state
            .tickets
            .insert(update.ticket.id, update.ticket.clone());
        state.append_history(&update.history);
        let events = state.append_events(events);
        Ok(Committed {
            value: update.ticket.clone(),
            events,
        })
    }

    fn update_many(&self, changes: &[TicketChange]) -> Result<Committed<Vec<Ticket>>, StoreError> {
        let mut state = self.lock();
        // Check every guard before mutating anything, as if the changes were applied in order:
        // a second change of the same ticket must expect the version the first one leaves.
        let mut versions: HashMap<TicketId, i64> = HashMap::new();
        for change in changes {
            let update = &change.update;
            let current = match versions.get(&update.ticket.id) {
                Some(version) => Some(*version),
                None => state.tickets.get(&update.ticket.id).map(|t| t.version),
            };
            if current != Some(update.expected_version) {
                return Err(StoreError::Conflict);
            }
            versions.insert(update.ticket.id, update.ticket.version);
            if let Some(version) = change.board_version {
                state
                    .check_board_version(update.ticket.board_id, version)
                    .map_err(|_| StoreError::Conflict)?;
            }
        }
        let mut tickets = Vec::with_capacity(changes.len());
        let mut events = Vec::new();
        for change in changes {
            let ticket = change.update.ticket.clone();
            state.tickets.insert(ticket.id, ticket.clone());
            state.append_history(&change.update.history);
            events.extend(state.append_events(&change.events));
            tickets.push(ticket);
        }
        Ok(Committed {
            value: tickets,
            events,
        })
    }

    fn delete(
        &self,
        id: TicketId,
        expected_version: i64,
        events: &[NewEvent],
    ) -> Result<Committed<()>, StoreError> {
        let mut state = self.lock();
        match state.tickets.get(&id) {
            None => return Err(StoreError::NotFound),
            Some(t) if t.version != expected_version => return Err(StoreError::Conflict),
            Some(_) => {}
        }
        state.delete_ticket_rows(id);
        let events = state.append_events(events);
        Ok(Committed { value: (), events })
    }
}

impl CommentRepository for MemoryStore {
    fn list_for_ticket(&self, ticket_id: TicketId) -> Result<Vec<Comment>, StoreError> {
        Ok(self
            .lock()
            .comments
            .values()
            .filter(|c| c.ticket_id == ticket_id)
            .cloned()
            .collect())
    }

    fn get(&self, id: CommentId) -> Result<Option<Comment>, StoreError> {
        Ok(self.lock().comments.get(&id).cloned())
    }

    fn create(
        &self,
        new: &NewComment,
        events: CommentEvents,
    ) -> Result<Committed<Comment>, StoreError> {
        let mut state = self.lock();
        if !state.tickets.contains_key(&new.ticket_id) {
            return Err(StoreError::NotFound);
        }
        let comment = Comment {
            id: CommentId::new(state.next_id()),
            ticket_id: new.ticket_id,
            text: new.text.clone(),
            author: new.author.clone(),
            created_at: new.at,
        };
        let events = events(&comment);
        state.comments.insert(comment.id, comment.clone());
        let events = state.append_events(&events);
        Ok(Committed {
            value: comment,
            events,
        })
    }

    fn delete(&self, id: CommentId, events: &[NewEvent]) -> Result<Committed<()>, StoreError> {
        let mut state = self.lock();
        if state.comments.remove(&id).is_none() {
            return Err(StoreError::NotFound);
        }
        let events = state.append_events(events);
        Ok(Committed { value: (), events })
    }
}

/// Newest first: by time, then by id for rows of the same instant.
fn newest_first(a: &HistoryEntry, b: &HistoryEntry) -> std::cmp::Ordering {
    b.changed_at.cmp(&a.changed_at).then(b.id.cmp(&a.id))
}

impl HistoryRepository for MemoryStore {
    fn for_ticket(
        &self,
        ticket_id: TicketId,
        field: Option<HistoryField>,
        limit: u32,
    ) -> Result<Vec<HistoryEntry>, StoreError> {
        let state = self.lock();
        let mut rows: Vec<HistoryEntry> = state
            .history
            .iter()
            .filter(|h| h.ticket_id == ticket_id)
            .filter(|h| field.is_none_or(|f| h.field_name == f.as_str()))
            .cloned()
            .collect();
        rows.sort_by(newest_first);
        rows.truncate(limit as usize);
        Ok(rows)
    }

    fn column_changes(&self, ticket_id: TicketId) -> Result<Vec<HistoryEntry>, StoreError> {
        let state = self.lock();
        let mut rows: Vec<HistoryEntry> = state
            .history
            .iter()
            .filter(|h| h.ticket_id == ticket_id && h.field_name == HistoryField::Column.as_str())
            .cloned()
            .collect();
        rows.sort_by(|a, b| newest_first(b, a));
        Ok(rows)
    }

    fn board_activity(
        &self,
        board_id: BoardId,
        since: Timestamp,
        limit: u32,
    ) -> Result<Vec<(HistoryEntry, String)>, StoreError> {
        let state = self.lock();
        let mut rows: Vec<(HistoryEntry, String)> = state
            .history
            .iter()
            .filter(|h| h.changed_at >= since)
            .filter_map(|h| {
                let ticket = state.tickets.get(&h.ticket_id)?;
                (ticket.board_id == board_id).then(|| (h.clone(), ticket.title.to_string()))
            })
            .collect();
        rows.sort_by(|a, b| newest_first(&a.0, &b.0));
        rows.truncate(limit as usize);
        Ok(rows)
    }

    fn recent_activity(&self, limit: u32) -> Result<Vec<(HistoryEntry, String)>, StoreError> {
        let state = self.lock();
        let mut rows: Vec<(HistoryEntry, String)> = state
            .history
            .iter()
            .filter_map(|h| {
                let ticket = state.tickets.get(&h.ticket_id)?;
                Some((h.clone(), ticket.title.to_string()))
            })
            .collect();
        rows.sort_by(|a, b| newest_first(&a.0, &b.0));
        rows.truncate(limit as usize);
        Ok(rows)
    }

    fn change_counts(&self, since: Timestamp) -> Result<ChangeCounts, StoreError> {
        let state = self.lock();
        let mut by_field: BTreeMap<String, u64> = BTreeMap::new();
        let mut by_user: BTreeMap<String, u64> = BTreeMap::new();
        let mut by_day: BTreeMap<String, u64> = BTreeMap::new();
        let mut total = 0;
        for row in state.history.iter().filter(|h| h.changed_at >= since) {
            total += 1;
            *by_field.entry(row.field_name.clone()).or_default() += 1;
            *by_user.entry(row.changed_by.clone()).or_default() += 1;
            *by_day
                .entry(row.changed_at.format("%Y-%m-%d").to_string())
                .or_default() += 1;
        }
        Ok(ChangeCounts {
            total,
            by_field: by_field.into_iter().collect(),
            by_user: by_user.into_iter().collect(),
            by_day: by_day.into_iter().collect(),
        })
    }

    fn column_entries(
        &self,
        board_id: BoardId,
        column: &ColumnName,
        since: Timestamp,
    ) -> Result<Vec<ColumnEntry>, StoreError> {
        Ok(statistics::column_entries(
            &self.lock(),
            board_id,
            column,
            since,
        ))
    }
}

impl EventLog for MemoryStore {
    fn since(&self, board_id: BoardId, after: i64, limit: u32) -> Result<Vec<Event>, StoreError> {
        let state = self.lock();
        Ok(state
            .events
            .iter()
            .filter(|e| e.board_id == board_id && e.seq > after)
            .take(limit as usize)
            .cloned()
            .collect())
    }

    fn bounds(&self, board_id: BoardId) -> Result<Option<(i64, i64)>, StoreError> {
        let state = self.lock();
        let mut seqs = state
            .events
            .iter()
            .filter(|e| e.board_id == board_id)
            .map(|e| e.seq);
        let first = seqs.next();
        Ok(first.map(|first| {
            let (min, max) = seqs.fold((first, first), |(lo, hi), s| (lo.min(s), hi.max(s)));
            (min, max)
        }))
    }

    fn last_seqs(&self) -> Result<Vec<(BoardId, i64)>, StoreError> {
        let mut seqs: Vec<(BoardId, i64)> = self
            .lock()
            .last_seq
            .iter()
            .map(|(board, seq)| (*board, *seq))
            .collect();
        seqs.sort_unstable();
        Ok(seqs)
    }

    fn last_seq(&self, board: BoardId) -> Result<i64, StoreError> {
        Ok(self.lock().last_seq.get(&board).copied().unwrap_or(0))
    }

    fn prune(&self, before: Timestamp) -> Result<u64, StoreError> {
        let mut state = self.lock();
        let len = state.events.len();
        state.events.retain(|e| e.timestamp >= before);
        Ok((len - state.events.len()) as u64)
    }
}

impl crate::ports::HealthProbe for MemoryStore {
    /// Memory always answers; there are no files.
    fn probe(&self) -> Result<crate::ports::StorageHealth, StoreError> {
        drop(self.lock());
        Ok(crate::ports::StorageHealth::default())
    }

    /// Memory has no connection pool.
    fn pool(&self) -> Option<crate::ports::PoolState> {
        None
    }

    fn inventory(&self) -> Result<crate::ports::Inventory, StoreError> {
        let state = self.lock();
        let mut by_column: BTreeMap<String, u64> = BTreeMap::new();
        for ticket in state.tickets.values() {
            *by_column
                .entry(ticket.current_column.as_str().to_owned())
                .or_default() += 1;
        }
        Ok(crate::ports::Inventory {
            boards: state.boards.len() as u64,
            tickets: state.tickets.len() as u64,
            comments: state.comments.len() as u64,
            users: state.accounts.users.len() as u64,
            history_entries: state.history.len() as u64,
            tickets_by_column: by_column.into_iter().collect(),
        })
    }
}
