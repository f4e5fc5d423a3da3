//! Reads answered from memory while nothing was committed to the database since.
//!
//! A single ticket or a board's stamp is one primary-key read, yet beginning and ending the read
//! transaction around it (with its `fcntl` locks on the WAL index) cost more than the read itself,
//! and agents and boards on screen ask for the same rows again and again between changes. So
//! [`Fresh`] keeps what such reads answered, each with the state of the database it was read
//! after, and answers again from memory while that state is the database's current one.
//!
//! # The state of the database, without a read transaction
//!
//! In WAL mode every connection of every process learns what is committed from the WAL-index
//! header, at the start of the shared-memory file `<database>-shm`: a commit appends its frames to
//! the log and then rewrites the header (its change counter, the last valid frame, the log's
//! salts), which is the moment it becomes visible; a reader's snapshot is whatever that header
//! says when its read transaction begins. The format is fixed, since processes of different SQLite
//! versions share it (<https://www.sqlite.org/walformat.html>): two copies of a 48-byte header,
//! the second written first, so a reader that finds the two equal read one header, not half of
//! two. [`WalIndex::stamp`] reads both with one `pread` of the file (the same pages SQLite maps):
//! equal copies are the stamp; unequal ones (a commit under way) or anything else unexpected give
//! no stamp, and the read goes to the database. Equal stamps mean no commit in between, by this
//! process or any other (another server, the CLI, a `sqlite3` shell), since every commit moves the
//! change counter. Checkpoints rewrite no header, so they invalidate nothing.
//!
//! A read kept under a stamp was made after reading that stamp, so it shows that state or a later
//! one; a later one would have moved the header, so while the header still equals the stamp, the
//! kept answer is exactly the current state. On the writer thread nothing is kept or answered from
//! memory: its reads see its open batch, which no header shows yet.
//!
//! # The file descriptor
//!
//! [`WalIndex`]'s descriptor of the `-shm` file is closed only after every connection of the
//! store, since closing it would drop the POSIX locks SQLite's connections hold on that file (see
//! `kept`). Should the file ever be deleted all the same (the background checkpointer checks its
//! link count every round), nothing is answered from memory any more.

use kanban_domain::{BoardId, Ticket, TicketId};
use std::collections::HashMap;
use std::hash::Hash;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, OnceLock, PoisonError};

/// The bytes of one copy of the WAL-index header.
const HEADER: usize = 48;

/// The header's `iVersion`, the WAL-index format SQLite has written since 3.7.0.
const FORMAT: u32 = 3_007_000;

/// The header's `isInit` byte: 1 once the header was written.
const IS_INIT: usize = 12;

/// The WAL-index header as it stood at one moment: equal stamps, no commit in between.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Stamp([u8; HEADER]);

/// The store's `-shm` file, opened read-only.
#[derive(Debug, Default)]
pub(crate) struct WalIndex {
    file: OnceLock<std::fs::File>,
    /// Set once the file was found deleted: no stamp from then on.
    gone: AtomicBool,
}

impl WalIndex {
    /// Opens `<database>-shm`. Without it (a database that is not in WAL mode, a file system
    /// without shared memory) there is never a stamp, and every read goes to the database.
    fn open(&self, database: &Path) {
        let mut name = database.as_os_str().to_owned();
        name.push("-shm");
        match std::fs::File::open(&name) {
            Ok(file) => {
                // Opened once per store, before any request.
                let _ = self.file.set(file);
            }
            Err(error) => tracing::warn!(
                %error,
                file = %Path::new(&name).display(),
                "cannot read the WAL index: every read goes to the database"
            ),
        }
    }

    /// The header now, when both copies agree and describe an initialised index of the known
    /// format (and the file was not found deleted).
    #[cfg(unix)]
    pub(crate) fn stamp(&self) -> Option<Stamp> {
        use std::os::unix::fs::FileExt;
        let file = self.file.get()?;
        if self.gone.load(Ordering::Relaxed) {
            return None;
        }
        let mut both = [0_u8; 2 * HEADER];
        file.read_exact_at(&mut both, 0).ok()?;
        let (first, second) = both.split_at(HEADER);
        let format = u32::from_ne_bytes(first.get(..4)?.try_into().ok()?);
        if first != second || format != FORMAT || first.get(IS_INIT) != Some(&1) {
            return None;
        }
        Some(Stamp(first.try_into().ok()?))
    }

    /// Checks that the file is still the database's (not deleted: SQLite deletes it when the last
    /// connection of all processes closes, and starts a new one with the next). Called by the
    /// background checkpointer, every round; a `stat` with every stamp was 3 % of a single
    /// ticket's CPU.
    #[cfg(unix)]
    fn check(&self) {
        use std::os::unix::fs::MetadataExt;
        let Some(file) = self.file.get() else {
            return;
        };
        if !self.gone.load(Ordering::Relaxed) && file.metadata().is_ok_and(|meta| meta.nlink() == 0)
        {
            self.gone.store(true, Ordering::Relaxed);
            tracing::warn!("the WAL index file was deleted: every read goes to the database");
        }
    }

    #[cfg(not(unix))]
    fn check(&self) {}

    /// No stamp off Unix: every read goes to the database.
    #[cfg(not(unix))]
    pub(crate) fn stamp(&self) -> Option<Stamp> {
        None
    }
}

/// Answers of one kind of read, all kept under one stamp.
#[derive(Debug)]
struct Memo<K, V> {
    at: Option<Stamp>,
    entries: HashMap<K, V>,
    bytes: usize,
}

impl<K, V> Default for Memo<K, V> {
    fn default() -> Self {
        Self {
            at: None,
            entries: HashMap::new(),
            bytes: 0,
        }
    }
}

/// The reads answered from memory, and the WAL index that says when they are still true.
#[derive(Debug, Default)]
pub(crate) struct Fresh {
    wal: WalIndex,
    tickets: Mutex<Memo<TicketId, Option<Ticket>>>,
    last_seqs: Mutex<Memo<BoardId, i64>>,
    /// Reads answered from memory, for the tests.
    #[cfg(test)]
    remembered: std::sync::atomic::AtomicU64,
}

impl Fresh {
    /// The most bytes of tickets kept (their text, roughly); past that the memo starts over.
    pub(crate) const BUDGET: usize = 8 * 1024 * 1024;

    /// Starts reading the WAL index of `database`; call once the store's connections are open.
    pub(crate) fn watch(&self, database: &Path) {
        self.wal.open(database);
    }

    /// Checks that the WAL index file read is still the database's (see [`WalIndex::check`]).
    pub(crate) fn check(&self) {
        self.wal.check();
    }

    /// The ticket `id` as [`Fresh::remember`] describes.
    pub(crate) fn ticket<E>(
        &self,
        id: TicketId,
        read: impl FnOnce() -> Result<Option<Ticket>, E>,
    ) -> Result<Option<Ticket>, E> {
        self.remember(&self.tickets, id, read, |ticket| {
            ticket.as_ref().map_or(0, ticket_bytes)
        })
    }

    /// The board's last sequence number as [`Fresh::remember`] describes.
    pub(crate) fn last_seq<E>(
        &self,
        board: BoardId,
        read: impl FnOnce() -> Result<i64, E>,
    ) -> Result<i64, E> {
        self.remember(&self.last_seqs, board, read, |_| 0)
    }

    /// The answer kept for `key` when the database is still in the state it was read at;
    /// otherwise `read`'s, kept under the stamp taken before it, unless the database has moved on
    /// meanwhile (as another reader saw).
    fn remember<K: Eq + Hash, V: Clone, E>(
        &self,
        memo: &Mutex<Memo<K, V>>,
        key: K,
        read: impl FnOnce() -> Result<V, E>,
        bytes: impl Fn(&V) -> usize,
    ) -> Result<V, E> {
        let Some(now) = self.wal.stamp() else {
            return read();
        };
        {
            let mut memo = memo.lock().unwrap_or_else(PoisonError::into_inner);
            if memo.at == Some(now) {
                if let Some(kept) = memo.entries.get(&key) {
                    #[cfg(test)]
                    self.remembered.fetch_add(1, Ordering::Relaxed);
                    return Ok(kept.clone());
                }
            } else {
                *memo = Memo {
                    at: Some(now),
                    ..Memo::default()
                };
            }
        }
        let answer = read()?;
        let size = bytes(&answer);
        let mut memo = memo.lock().unwrap_or_else(PoisonError::into_inner);
        if memo.at == Some(now) {
            if memo.bytes + size > Self::BUDGET {
                memo.entries.clear();
                memo.bytes = 0;
            }
            memo.bytes += size;
            memo.entries.insert(key, answer.clone());
        }
        Ok(answer)
    }
}

/// About what a kept ticket takes: its text and a fixed part.
fn ticket_bytes(ticket: &Ticket) -> usize {
    256 + ticket.title.as_str().len()
        + ticket.description.as_str().len()
        + ticket.acceptance_criteria.as_str().len()
        + ticket.assignee.as_ref().map_or(0, |a| a.as_str().len())
        + ticket.current_column.as_str().len()
}

#[cfg(test)]
mod tests {
    use crate::pool::SqliteStore;
    use diesel::connection::SimpleConnection;
    use diesel::prelude::*;
    use kanban_domain::ports::{EventLog, TicketRepository};
    use kanban_domain::{BoardId, TicketId};
    use std::sync::atomic::Ordering;

    /// A migrated store with one board and one ticket, and a connection of its own to the same
    /// file, standing for another process (it shares nothing with the store but the file).
    fn store_and_other() -> (tempfile::TempDir, SqliteStore, SqliteConnection) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.db");
        let store = SqliteStore::connect(path.to_str().unwrap(), 2).unwrap();
        store.run_migrations().unwrap();
        let mut other = SqliteConnection::establish(path.to_str().unwrap()).unwrap();
        other
            .batch_execute(
                "INSERT INTO boards (name, description, created_at, updated_at, version)
                   VALUES ('b', '', '2026-11-23 00:00:00', '2026-11-23 00:00:00', 1);
                 INSERT INTO board_columns (board_id, position, name) VALUES (1, 0, 'A');
                 INSERT INTO tickets (board_id, title, current_column, created_at, updated_at,
                                      column_entered_at, version, column_position)
                   VALUES (1, 'first', 'A', '2026-11-23 00:00:00', '2026-11-23 00:00:00',
                           '2026-11-23 00:00:00', 1, 0);
                 INSERT INTO event_sequences (board_id, last_seq) VALUES (1, 1);",
            )
            .unwrap();
        (dir, store, other)
    }

    fn title(store: &SqliteStore) -> String {
        let ticket = store.get(TicketId::new(1)).unwrap().unwrap();
        ticket.title.as_str().to_owned()
    }

    fn fresh(store: &SqliteStore) -> &super::Fresh {
        store
            .fresh()
            .expect("the store's own view reads committed state")
    }

    fn remembered(store: &SqliteStore) -> u64 {
        fresh(store).remembered.load(Ordering::Relaxed)
    }

    /// Asked again with nothing committed meanwhile, the store answers from memory; a change
    /// committed by anyone else in between is read at once.
    #[test]
    fn a_row_read_again_is_remembered_until_anyone_commits() {
        let (_dir, store, mut other) = store_and_other();
        assert_eq!(title(&store), "first");
        assert_eq!(store.last_seq(BoardId::new(1)).unwrap(), 1);
        assert_eq!(remembered(&store), 0);
        assert_eq!(title(&store), "first");
        assert_eq!(store.last_seq(BoardId::new(1)).unwrap(), 1);
        assert_eq!(remembered(&store), 2, "both answered from memory");

        other
            .batch_execute(
                "UPDATE tickets SET title = 'second', version = 2 WHERE id = 1;
                 UPDATE event_sequences SET last_seq = 2 WHERE board_id = 1;",
            )
            .unwrap();
        assert_eq!(title(&store), "second");
        assert_eq!(store.last_seq(BoardId::new(1)).unwrap(), 2);
        assert_eq!(remembered(&store), 2, "read again after the commit");

        // A commit that changes neither still moves the stamp: read again, same answers.
        other
            .batch_execute("UPDATE boards SET name = 'c' WHERE id = 1")
            .unwrap();
        assert_eq!(title(&store), "second");
        assert_eq!(remembered(&store), 2);
        // A ticket that does not exist is remembered as missing, until it does.
        assert!(store.get(TicketId::new(2)).unwrap().is_none());
        assert!(store.get(TicketId::new(2)).unwrap().is_none());
        assert_eq!(remembered(&store), 3);
        other
            .batch_execute(
                "INSERT INTO tickets (board_id, title, current_column, created_at, updated_at,
                                      column_entered_at, version, column_position)
                   VALUES (1, 'new', 'A', '2026-11-23 00:00:00', '2026-11-23 00:00:00',
                           '2026-11-23 00:00:00', 1, 1);",
            )
            .unwrap();
        assert!(store.get(TicketId::new(2)).unwrap().is_some());
    }

    /// The store's own writes (through its writer thread) are read back at once, and the
    /// writer thread's view, which reads its open batch, never answers from memory.
    #[test]
    fn the_stores_own_writes_are_read_back_and_the_writer_reads_its_batch() {
        let (_dir, store, _other) = store_and_other();
        assert_eq!(title(&store), "first");
        store
            .write(|conn| {
                conn.batch_execute("UPDATE tickets SET title = 'mine', version = 2 WHERE id = 1")?;
                Ok(())
            })
            .unwrap();
        assert_eq!(title(&store), "mine");
        assert!(store.for_writer_thread().fresh().is_none());
    }

    /// Checkpoints copy the log into the database file without changing what it holds: they
    /// leave the stamp as it was. A write after the log started over moves it.
    #[test]
    fn checkpoints_keep_the_stamp_and_the_next_commit_moves_it() {
        let (_dir, store, mut other) = store_and_other();
        let before = fresh(&store).wal.stamp().expect("a stamp in WAL mode");
        other
            .batch_execute("PRAGMA wal_checkpoint(PASSIVE)")
            .unwrap();
        assert_eq!(fresh(&store).wal.stamp(), Some(before));
        other
            .batch_execute("PRAGMA wal_checkpoint(TRUNCATE)")
            .unwrap();
        let truncated = fresh(&store).wal.stamp().expect("a stamp");
        other
            .batch_execute("UPDATE boards SET name = 'c' WHERE id = 1")
            .unwrap();
        let after = fresh(&store).wal.stamp().expect("a stamp");
        assert_ne!(after, before);
        assert_ne!(after, truncated);
        assert_eq!(title(&store), "first");
    }

    /// Should the WAL index file be deleted under the store (SQLite would start a new one), the
    /// next round of the checkpointer notices, and from then on every read goes to the database.
    #[test]
    fn a_deleted_wal_index_turns_the_memory_off() {
        let (dir, store, mut other) = store_and_other();
        assert!(fresh(&store).wal.stamp().is_some());
        fresh(&store).check();
        assert!(fresh(&store).wal.stamp().is_some(), "still the database's");
        std::fs::remove_file(dir.path().join("f.db-shm")).unwrap();
        fresh(&store).check();
        assert!(fresh(&store).wal.stamp().is_none());
        assert_eq!(title(&store), "first");
        other
            .batch_execute("UPDATE tickets SET title = 'second' WHERE id = 1")
            .unwrap();
        assert_eq!(title(&store), "second");
        assert_eq!(remembered(&store), 0);
    }

    /// A database opened through a `file:` URI is not watched: every read goes to it.
    #[test]
    fn without_a_wal_index_every_read_goes_to_the_database() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("file:{}", dir.path().join("u.db").display());
        let store = SqliteStore::connect(&url, 2).unwrap();
        store.run_migrations().unwrap();
        assert!(fresh(&store).wal.stamp().is_none());
        assert_eq!(store.last_seq(BoardId::new(1)).unwrap(), 0);
        assert_eq!(store.last_seq(BoardId::new(1)).unwrap(), 0);
        assert_eq!(remembered(&store), 0);
    }
}
