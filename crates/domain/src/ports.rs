//! The ports: what the domain needs from storage, as small synchronous traits held as
//! `Arc<dyn …>`. Adapters implement them (in-memory in [`crate::memory`], SQLite in the
//! storage crate); every adapter must pass the contract suite in [`crate::contract`].
//!
//! Every write method applies the whole change (rows, history, events) atomically or nothing at
//! all, and returns the committed events with their per-board sequence numbers so the caller can
//! publish them after commit.

mod accounts;

pub use accounts::{
    CryptoError, PasswordHasher, SecretGenerator, SessionStore, TokenStore, UserRepository,
};
#[cfg(any(test, feature = "mocks"))]
pub use accounts::{
    MockPasswordHasher, MockSecretGenerator, MockSessionStore, MockTokenStore, MockUserRepository,
};

use crate::board::{Board, BoardUpdate, BoardView, NewBoard};
use crate::comment::{Comment, NewComment};
use crate::error::StoreError;
use crate::event::{Event, NewEvent};
use crate::history::{ChangeCounts, HistoryEntry, HistoryField, NewHistory};
use crate::ids::{BoardId, CommentId, TicketId};
use crate::page::PageRequest;
use crate::statistics::{ColumnEntry, TicketTiming};
use crate::ticket::{NewTicket, Ticket, TicketUpdate};
use crate::time::Timestamp;
use crate::values::{AssigneeName, ColumnName};
use std::sync::Arc;

/// A committed change: its result and the events appended to the log with it.
#[derive(Debug, Clone, PartialEq)]
pub struct Committed<T> {
    pub value: T,
    pub events: Vec<Event>,
}

impl<T> Committed<T> {
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Committed<U> {
        Committed {
            value: f(self.value),
            events: self.events,
        }
    }
}

/// The history rows and events of a creation, decided once the new row's id is known.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Effects {
    pub history: Vec<NewHistory>,
    pub events: Vec<NewEvent>,
}

/// A decided change of one ticket as storage applies it: the new state and history, the board
/// version it was decided against when it depends on the board's columns (moves), and the events
/// that announce it.
#[derive(Debug, Clone, PartialEq)]
pub struct TicketChange {
    pub update: TicketUpdate,
    /// Checked in the same transaction when given: the board must still be at this version.
    pub board_version: Option<i64>,
    pub events: Vec<NewEvent>,
}

// The builders below are owned and `Send`: a store may apply a write on a thread of its own (the
// SQLite store queues every write to its one writer thread), after the caller's borrows end.

/// Builds the events of a created board once its id is known.
pub type BoardEvents = Box<dyn FnOnce(&Board) -> Vec<NewEvent> + Send>;
/// Builds the history rows and events of a created ticket once its id is known.
pub type TicketEffects = Box<dyn FnOnce(&Ticket) -> Effects + Send>;
/// Builds the events of a created comment once its id is known.
pub type CommentEvents = Box<dyn FnOnce(&Comment) -> Vec<NewEvent> + Send>;

/// Which tickets to list. Results are ordered by column position on the board, then numeric
/// priority, then id.
#[derive(Debug, Clone, PartialEq)]
pub struct TicketFilter {
    pub board_id: BoardId,
    /// Only tickets in one of these columns (exact board spelling); empty means every column.
    pub columns: Vec<ColumnName>,
    pub assignee: Option<AssigneeName>,
}

impl TicketFilter {
    pub fn board(board_id: BoardId) -> Self {
        Self {
            board_id,
            columns: Vec::new(),
            assignee: None,
        }
    }
}

/// What the caller of [`TicketRepository::list_page`] holds already: tickets at their versions,
/// and perhaps how many tickets the listing matched at a stamp of its board. Any
/// `FnMut(TicketId, i64) -> bool` is one that holds no count.
pub trait Holding {
    /// Whether the caller holds ticket `id` at `version`.
    fn holds(&mut self, id: TicketId, version: i64) -> bool;

    /// How many tickets the listing matched when its board was at `stamp` (the sequence number
    /// of the board's last event, [`EventLog::last_seq`]), if the caller was told
    /// ([`Holding::counted`]). Every committed change of a board or of its tickets appends an
    /// event, so a count made at the same stamp is the count of the same tickets. `None` (count
    /// them) by default.
    fn matching_at(&mut self, stamp: i64) -> Option<u64> {
        let _ = stamp;
        None
    }

    /// Tells the caller how many tickets the listing matched at `stamp`.
    fn counted(&mut self, stamp: i64, matching: u64) {
        let _ = (stamp, matching);
    }
}

impl<F: FnMut(TicketId, i64) -> bool> Holding for F {
    fn holds(&mut self, id: TicketId, version: i64) -> bool {
        self(id, version)
    }
}

/// A ticket of a page ([`TicketRepository::list_page`]).
#[derive(Debug, Clone, PartialEq)]
pub enum Listed {
    /// A ticket at a version the caller said it holds: only its id and version were read.
    Held { id: TicketId, version: i64 },
    /// A ticket read in full.
    Read(Ticket),
}

/// Boards and their columns.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait BoardRepository: Send + Sync {
    /// Every board with its ticket count, ordered by id.
    ///
    /// # Errors
    /// `Internal` when storage fails.
    fn list(&self) -> Result<Vec<BoardView>, StoreError>;

    /// One board with its ticket count, or `None`.
    ///
    /// # Errors
    /// `Internal` when storage fails.
    fn get(&self, id: BoardId) -> Result<Option<BoardView>, StoreError>;

    /// One board without counting its tickets (what writes and listings need), or `None`.
    ///
    /// # Errors
    /// `Internal` when storage fails.
    fn get_board(&self, id: BoardId) -> Result<Option<Board>, StoreError>;

    /// The board with the lowest id, or `None` when there is none.
    ///
    /// # Errors
    /// `Internal` when storage fails.
    fn first(&self) -> Result<Option<BoardView>, StoreError>;

    /// Creates a board and appends the events `events` builds from it, atomically.
    ///
    /// # Errors
    /// `Internal` when storage fails; nothing is written.
    fn create(
        &self,
        new: &NewBoard,
        events: BoardEvents,
    ) -> Result<Committed<BoardView>, StoreError>;

    /// Applies a board change with its ticket updates, their history rows and `events`, if the
    /// board is still at `update.expected_version`, each ticket at its expected version, and no
    /// ticket is left in `update.removed_columns` afterwards.
    ///
    /// # Errors
    /// `Conflict` when a guard fails, `NotFound` when the board is gone, `Internal` when storage
    /// fails; nothing is written in any case.
    fn update(
        &self,
        update: &BoardUpdate,
        events: &[NewEvent],
    ) -> Result<Committed<BoardView>, StoreError>;

    /// Deletes a board with its tickets, comments and history, and appends `events`, if it is
    /// still at `expected_version`. Events of the board stay in the log until pruned.
    ///
    /// # Errors
    /// `Conflict` when the version moved, `NotFound` when the board is gone, `Internal` when
    /// storage fails; nothing is written in any case.
    fn delete(
        &self,
        id: BoardId,
        expected_version: i64,
        events: &[NewEvent],
    ) -> Result<Committed<()>, StoreError>;
}

/// Tickets.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait TicketRepository: Send + Sync {
    /// One ticket, or `None`.
    ///
    /// # Errors
    /// `Internal` when storage fails.
    fn get(&self, id: TicketId) -> Result<Option<Ticket>, StoreError>;

    /// Every ticket matching `filter`, in board order.
    ///
    /// # Errors
    /// `Internal` when storage fails.
    fn list(&self, filter: &TicketFilter) -> Result<Vec<Ticket>, StoreError>;

    /// One page of the tickets matching `filter`, in board order, and how many match in all, from
    /// one snapshot. A ticket `held` holds at its version comes back as
    /// [`Listed::Held`]: the caller holds that version of it already, so the rest of it is not
    /// read. Every change of a ticket gives it a new version, so a held version is the ticket
    /// as it is.
    ///
    /// # Errors
    /// `Internal` when storage fails.
    fn list_page(
        &self,
        filter: &TicketFilter,
        page: PageRequest,
        held: &mut dyn Holding,
    ) -> Result<(Vec<Listed>, u64), StoreError>;

    /// Where each ticket matching `filter` is and since when (what the statistics need, without
    /// the texts), in board order like [`TicketRepository::list`].
    ///
    /// # Errors
    /// `Internal` when storage fails.
    fn timings(&self, filter: &TicketFilter) -> Result<Vec<TicketTiming>, StoreError>;

    /// Creates a ticket with the history rows and events `effects` builds from it, atomically,
    /// if its board is still at `board_version` (so its column still exists).
    ///
    /// # Errors
    /// `Conflict` when the board's version moved, `NotFound` when the board is gone, `Internal`
    /// when storage fails; nothing is written in any case.
    fn create(
        &self,
        new: &NewTicket,
        board_version: i64,
        effects: TicketEffects,
    ) -> Result<Committed<Ticket>, StoreError>;

    /// Applies a decided ticket change with its history rows and `events`, if the ticket is still
    /// at `update.expected_version` and, when `board_version` is given, its board at that version.
    ///
    /// # Errors
    /// `Conflict` when a guard fails, `NotFound` when the ticket is gone, `Internal` when storage
    /// fails; nothing is written in any case.
    fn update(
        &self,
        update: &TicketUpdate,
        board_version: Option<i64>,
        events: &[NewEvent],
    ) -> Result<Committed<Ticket>, StoreError>;

    /// Applies several decided ticket changes together: every update with its history rows and
    /// events, in order, in one transaction, each under its ticket's version guard and, when
    /// given, its board's version guard. The tickets come back in the order of `changes`; the
    /// events of one board get consecutive sequence numbers. No change means nothing is written.
    ///
    /// # Errors
    /// `Conflict` when any guard fails (a ticket or board whose version moved, or that is gone),
    /// `Internal` when storage fails; nothing at all is written in any case.
    fn update_many(&self, changes: &[TicketChange]) -> Result<Committed<Vec<Ticket>>, StoreError>;

    /// Deletes a ticket with its comments and history and appends `events`, if it is still at
    /// `expected_version`.
    ///
    /// # Errors
    /// `Conflict` when the version moved, `NotFound` when the ticket is gone, `Internal` when
    /// storage fails; nothing is written in any case.
    fn delete(
        &self,
        id: TicketId,
        expected_version: i64,
        events: &[NewEvent],
    ) -> Result<Committed<()>, StoreError>;
}

/// Comments.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait CommentRepository: Send + Sync {
    /// A ticket's comments, oldest first.
    ///
    /// # Errors
    /// `Internal` when storage fails.
    fn list_for_ticket(&self, ticket_id: TicketId) -> Result<Vec<Comment>, StoreError>;

    /// One comment, or `None`.
    ///
    /// # Errors
    /// `Internal` when storage fails.
    fn get(&self, id: CommentId) -> Result<Option<Comment>, StoreError>;

    /// Adds a comment and appends the events `events` builds from it, atomically.
    ///
    /// # Errors
    /// `NotFound` when the ticket is gone, `Internal` when storage fails; nothing is written.
    fn create(
        &self,
        new: &NewComment,
        events: CommentEvents,
    ) -> Result<Committed<Comment>, StoreError>;

    /// Deletes a comment and appends `events`, atomically.
    ///
    /// # Errors
    /// `NotFound` when the comment is gone, `Internal` when storage fails; nothing is written.
    fn delete(&self, id: CommentId, events: &[NewEvent]) -> Result<Committed<()>, StoreError>;
}

/// Reads of the change history (rows are written by the other repositories, in the
/// transaction of the change they describe).
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait HistoryRepository: Send + Sync {
    /// A ticket's rows, newest first, optionally of one field only, at most `limit`.
    ///
    /// # Errors
    /// `Internal` when storage fails.
    fn for_ticket(
        &self,
        ticket_id: TicketId,
        field: Option<HistoryField>,
        limit: u32,
    ) -> Result<Vec<HistoryEntry>, StoreError>;

    /// A ticket's `column` rows, oldest first.
    ///
    /// # Errors
    /// `Internal` when storage fails.
    fn column_changes(&self, ticket_id: TicketId) -> Result<Vec<HistoryEntry>, StoreError>;

    /// The rows of a board's tickets changed at or after `since`, newest first, at most `limit`,
    /// each with its ticket's current title.
    ///
    /// # Errors
    /// `Internal` when storage fails.
    fn board_activity(
        &self,
        board_id: BoardId,
        since: Timestamp,
        limit: u32,
    ) -> Result<Vec<(HistoryEntry, String)>, StoreError>;

    /// Counts of rows changed at or after `since`, by field, by user and by UTC day.
    ///
    /// # Errors
    /// `Internal` when storage fails.
    fn change_counts(&self, since: Timestamp) -> Result<ChangeCounts, StoreError>;

    /// The newest `limit` rows across every board, newest first, each with its ticket's current
    /// title.
    ///
    /// # Errors
    /// `Internal` when storage fails.
    fn recent_activity(&self, limit: u32) -> Result<Vec<(HistoryEntry, String)>, StoreError>;

    /// The moves of a board's tickets into `column` (`column` rows whose new value is exactly
    /// its name) at or after `since`, oldest first (ties by row id), each with the ticket's
    /// creation instant.
    ///
    /// # Errors
    /// `Internal` when storage fails.
    fn column_entries(
        &self,
        board_id: BoardId,
        column: &ColumnName,
        since: Timestamp,
    ) -> Result<Vec<ColumnEntry>, StoreError>;
}

/// Reads and maintenance of the event log (events are appended by the other repositories, in
/// the transaction of the change they describe).
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait EventLog: Send + Sync {
    /// A board's events with `seq > after`, in order, at most `limit`.
    ///
    /// # Errors
    /// `Internal` when storage fails.
    fn since(&self, board_id: BoardId, after: i64, limit: u32) -> Result<Vec<Event>, StoreError>;

    /// The lowest and highest `seq` still held for a board, or `None` when it holds none.
    ///
    /// # Errors
    /// `Internal` when storage fails.
    fn bounds(&self, board_id: BoardId) -> Result<Option<(i64, i64)>, StoreError>;

    /// The last sequence number ever given to each board's events (kept even when its events
    /// are pruned or the board deleted), for boards that have had any.
    ///
    /// # Errors
    /// `Internal` when storage fails.
    fn last_seqs(&self) -> Result<Vec<(BoardId, i64)>, StoreError>;

    /// The last sequence number given to `board`'s events, 0 before any. Every committed change
    /// of a board or of its tickets appends its events in its own transaction and board ids are
    /// never reused, so this moves with every change a listing of the board could show: what a
    /// cache of such listings is keyed by.
    ///
    /// # Errors
    /// `Internal` when storage fails.
    fn last_seq(&self, board: BoardId) -> Result<i64, StoreError>;

    /// Removes events recorded before `before`; returns how many.
    ///
    /// # Errors
    /// `Internal` when storage fails.
    fn prune(&self, before: Timestamp) -> Result<u64, StoreError>;
}

/// What a storage health check found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StorageHealth {
    /// Size of the database file, when storage is a file.
    pub size_bytes: Option<u64>,
    /// Size of its write-ahead log, when it has one.
    pub wal_size_bytes: Option<u64>,
}

/// The state of a store's connection pool, for metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PoolState {
    /// Connections open now, busy or idle.
    pub connections: u32,
    /// Open connections waiting for work.
    pub idle: u32,
    /// The most connections the pool will open.
    pub max_size: u32,
    /// Writes run since start-up, and the transactions that committed them (group commit
    /// puts concurrent writes in one transaction).
    pub writes: u64,
    pub transactions: u64,
    /// Transactions rolled back and run again so that one write that failed half-way is undone
    /// alone (SQLite's group commit; see its documentation): a handful at most, normally.
    pub reruns: u64,
}

/// How much a store holds: the counts of the authenticated health overview.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Inventory {
    pub boards: u64,
    pub tickets: u64,
    pub comments: u64,
    pub users: u64,
    pub history_entries: u64,
    /// Tickets per column name across every board (columns of the same name add up), by name.
    pub tickets_by_column: Vec<(String, u64)>,
}

/// Whether storage answers, and what it holds (health checks and metrics).
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait HealthProbe: Send + Sync {
    /// Checks that the store is usable (for a file: that it is there and is a database) with
    /// one round trip, and reports its files' sizes.
    ///
    /// # Errors
    /// `Internal` when storage does not answer.
    fn probe(&self) -> Result<StorageHealth, StoreError>;

    /// The connection pool's state, when the store has a pool. Never blocks.
    fn pool(&self) -> Option<PoolState>;

    /// Counts of boards, tickets, comments, users and history rows, and tickets per column.
    ///
    /// # Errors
    /// `Internal` when storage fails.
    fn inventory(&self) -> Result<Inventory, StoreError>;
}

/// A store that runs whole write use cases itself, one after another, each inside the
/// transaction its writes are committed in (the SQLite store: on its writer thread, between the
/// writes queued with it). Such a use case reads what the writes queued before it wrote, so it
/// never loses a race to them, and its caller needs no thread of its own to wait on: it is
/// answered once the transaction is closed.
///
/// A queued use case must use the repositories of the store's view for its queue (for SQLite,
/// `SqliteStore::for_writer_thread`), must be short (every other write waits while it runs), and
/// must not do slow work of its own such as hashing a password.
pub trait WriteQueue: Send + Sync {
    /// Queues `job`: the store runs it, keeps its writes when it succeeds, undoes them when it
    /// fails or panics, and answers it once its transaction is closed. The store may run it
    /// more than once before answering (having undone the writes of the earlier runs, to undo a
    /// failed write cheaply): the outcome to answer is that of the last run.
    ///
    /// # Errors
    /// When the store runs no more writes (it was shut down); `job` is dropped unanswered.
    fn queue(&self, job: Box<dyn QueuedUseCase>) -> Result<(), StoreError>;
}

/// A write use case queued to a [`WriteQueue`], with the way back to its caller.
pub trait QueuedUseCase: Send {
    /// Runs the use case; true when it succeeded and its writes are to be kept. Called again
    /// when the store runs the use case again: it has no effect outside the store (an event
    /// published, a reply sent) before it is answered.
    fn run(&mut self) -> bool;

    /// Its transaction is closed: `Ok` when committed, why not otherwise (a panic of
    /// [`QueuedUseCase::run`] included). Only a committed success may be acknowledged.
    fn answer(self: Box<Self>, closed: Result<(), StoreError>);
}

/// Every port an adapter provides, as the services take them.
#[derive(Clone)]
pub struct Repositories {
    pub boards: Arc<dyn BoardRepository>,
    pub tickets: Arc<dyn TicketRepository>,
    pub comments: Arc<dyn CommentRepository>,
    pub history: Arc<dyn HistoryRepository>,
    pub events: Arc<dyn EventLog>,
    pub users: Arc<dyn UserRepository>,
    pub tokens: Arc<dyn TokenStore>,
    pub sessions: Arc<dyn SessionStore>,
    pub health: Arc<dyn HealthProbe>,
}

impl Repositories {
    /// Every port served by one store that implements them all (what each adapter is).
    pub fn of<S>(store: Arc<S>) -> Self
    where
        S: BoardRepository
            + TicketRepository
            + CommentRepository
            + HistoryRepository
            + EventLog
            + UserRepository
            + TokenStore
            + SessionStore
            + HealthProbe
            + 'static,
    {
        Self {
            boards: store.clone(),
            tickets: store.clone(),
            comments: store.clone(),
            history: store.clone(),
            events: store.clone(),
            users: store.clone(),
            tokens: store.clone(),
            sessions: store.clone(),
            health: store,
        }
    }
}

impl std::fmt::Debug for Repositories {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Repositories").finish_non_exhaustive()
    }
}

/// The cryptography the account use cases need, implemented outside the domain.
#[derive(Clone)]
pub struct Crypto {
    pub passwords: Arc<dyn PasswordHasher>,
    pub secrets: Arc<dyn SecretGenerator>,
}

impl std::fmt::Debug for Crypto {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Crypto").finish_non_exhaustive()
    }
}
