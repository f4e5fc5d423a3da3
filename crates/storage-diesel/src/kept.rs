//! The descriptors the store keeps open on its database's own files, beside SQLite's connections:
//! the WAL index (`<database>-shm`), whose header tells [`Fresh`] when nothing was committed, and
//! the database file and its write-ahead log, which the background checkpointer syncs
//! ([`DatabaseFile`], [`LogFile`]).
//!
//! # When they are closed
//!
//! Closing any descriptor of a file drops every POSIX lock the process holds on it, and SQLite's
//! connections hold such locks on both files (on the `-shm` file, the one that tells other
//! processes this one uses the database and the read marks that keep a checkpoint from
//! overwriting what a reader still reads; on the database file, the locks of its transactions).
//! So these descriptors are closed only after every connection of the store: the store, the
//! writer thread's connection factory and the checkpointer thread each hold the [`Kept`] and drop
//! it after their connections (see `pool`). They are opened once the pool's connections are open,
//! so the files are the ones those use; SQLite deletes the `-shm` file only when the last
//! connection of all processes closes, which cannot happen while the store's connections are open
//! (the pools never close theirs).

use crate::fresh::Fresh;
use std::path::Path;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};

/// The descriptors of the store's files, in one value that every holder of connections drops
/// after them.
#[derive(Debug, Default)]
pub(crate) struct Kept {
    /// Reads answered from memory, through the WAL index's descriptor.
    pub(crate) fresh: Fresh,
    /// The database file and its write-ahead log, for the background checkpointer to sync.
    pub(crate) database: DatabaseFile,
    pub(crate) log: LogFile,
}

impl Kept {
    /// Opens the descriptors of `database`'s files; call once the store's connections are open.
    pub(crate) fn open(&self, database: &Path) {
        self.fresh.watch(database);
        self.database.open(database);
        self.log.open(database);
    }
}

/// A file of the store opened read-only, for the checkpointer's thread to sync: syncing any
/// descriptor of a file writes out what every descriptor wrote to it.
#[derive(Debug, Default)]
struct SyncedFile {
    file: OnceLock<std::fs::File>,
    /// Set when a sync failed: no more syncs from here (SQLite's own report the disk's errors).
    failed: AtomicBool,
    /// Syncs done, for the tests.
    #[cfg(test)]
    syncs: std::sync::atomic::AtomicU64,
}

impl SyncedFile {
    /// Opens `path`; without it, nothing is synced and checkpoints finish slower.
    fn open(&self, path: &Path) {
        match std::fs::File::open(path) {
            Ok(file) => {
                // Opened once per store, before any checkpoint round syncs it.
                let _ = self.file.set(file);
            }
            Err(error) => tracing::warn!(
                %error,
                file = %path.display(),
                "cannot open the file to sync it: checkpoints finish slower"
            ),
        }
    }

    /// Writes the file's data out: `false` when there is no file, or it cannot be synced.
    fn sync(&self) -> bool {
        let Some(file) = self.file.get() else {
            return false;
        };
        if self.failed.load(Ordering::Relaxed) {
            return false;
        }
        match file.sync_data() {
            Ok(()) => {
                #[cfg(test)]
                self.syncs.fetch_add(1, Ordering::Relaxed);
                true
            }
            Err(error) => {
                self.failed.store(true, Ordering::Relaxed);
                tracing::warn!(%error, "cannot sync a file of the database: checkpoints finish slower");
                false
            }
        }
    }

    #[cfg(test)]
    fn syncs(&self) -> u64 {
        self.syncs.load(Ordering::Relaxed)
    }
}

/// The database file.
///
/// A background checkpoint that cannot copy the whole log (writes keep appending to it) copies
/// pages into the database file without syncing it; SQLite syncs the file only when a checkpoint
/// copied everything, which under a stream of writes only the writer thread's finish does (see
/// `group_commit::finish_checkpoint`). That `fsync` then wrote out everything the background
/// rounds had copied since the last finish, with every queued write waiting for it. Synced here
/// after each such round, off the writer's path, it is left only the last frames. (Under a stream
/// of moves at 256 connections the finish's median went from 27–35 to 16–26 ms and the moves' p99
/// from 52–54 to 42–49 ms, alternating runs on one binary.)
#[derive(Debug, Default)]
pub(crate) struct DatabaseFile {
    file: SyncedFile,
    /// The frames copied, as the last synced round reported them: a round that copied nothing
    /// more syncs nothing (a sync of an unchanged file still flushes the disk's cache).
    synced: AtomicI32,
}

impl DatabaseFile {
    fn open(&self, database: &Path) {
        self.file.open(database);
    }

    /// After a background checkpoint that left `copied` frames of the write-ahead log in the
    /// database file: syncs the file when that round (or one since the last sync) copied any.
    ///
    /// Whether SQLite synced the file itself cannot be told from the outcome: a checkpoint copies
    /// the log as far as it stood when the checkpoint began and reports that length as the log's,
    /// but syncs the file only when nothing was appended meanwhile. A round that completed the log
    /// is synced once more, at worst; a quiet database is not synced again and again.
    pub(crate) fn after_checkpoint(&self, copied: i32) {
        if copied <= 0 || self.synced.load(Ordering::Relaxed) == copied {
            return;
        }
        if self.file.sync() {
            self.synced.store(copied, Ordering::Relaxed);
        }
    }

    /// Syncs done since start-up.
    #[cfg(test)]
    pub(crate) fn syncs(&self) -> u64 {
        self.file.syncs()
    }
}

/// The write-ahead log (`<database>-wal`).
///
/// The writer thread's finish of a checkpoint begins, as every checkpoint does, by syncing the
/// log: every frame appended since it was last synced. Under a stream of writes that is what was
/// committed while the background round ran (its copy and the database file's sync, tens of
/// milliseconds: megabytes of frames under moves at 256 connections), and every queued write
/// waited for it. Synced here first, off the writer's path, the finish is left the frames
/// appended since.
#[derive(Debug, Default)]
pub(crate) struct LogFile {
    file: SyncedFile,
}

impl LogFile {
    fn open(&self, database: &Path) {
        let mut name = database.as_os_str().to_owned();
        name.push("-wal");
        self.file.open(Path::new(&name));
    }

    /// Syncs the log before the writer thread is asked to finish a checkpoint.
    pub(crate) fn before_finish(&self) {
        self.file.sync();
    }

    /// Syncs done since start-up.
    #[cfg(test)]
    pub(crate) fn syncs(&self) -> u64 {
        self.file.syncs()
    }
}

#[cfg(test)]
mod tests {
    use super::{DatabaseFile, LogFile};

    /// Rounds that copied frames sync the file, once for each new extent; rounds that copied
    /// nothing more, or found no log, do not.
    #[test]
    fn the_file_is_synced_after_rounds_that_copied_frames() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("d.db");
        std::fs::write(&path, b"pages").unwrap();
        let file = DatabaseFile::default();
        file.open(&path);
        file.after_checkpoint(0);
        assert_eq!(file.syncs(), 0, "no log");
        file.after_checkpoint(900);
        assert_eq!(file.syncs(), 1);
        file.after_checkpoint(900);
        assert_eq!(file.syncs(), 1, "nothing more copied");
        file.after_checkpoint(1_400);
        assert_eq!(file.syncs(), 2);
        file.after_checkpoint(200);
        assert_eq!(file.syncs(), 3, "the log started over");
        file.after_checkpoint(200);
        assert_eq!(file.syncs(), 3, "quiet");
    }

    /// The log is synced before each finish; without it (not a WAL database), nothing is.
    #[test]
    fn the_log_is_synced_before_a_finish_when_there_is_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("d.db");
        let log = LogFile::default();
        log.open(&path);
        log.before_finish();
        assert_eq!(log.syncs(), 0, "no log");
        std::fs::write(dir.path().join("d.db-wal"), b"frames").unwrap();
        let log = LogFile::default();
        log.open(&path);
        log.before_finish();
        log.before_finish();
        assert_eq!(log.syncs(), 2);
    }

    /// Without the file (it could not be opened) nothing is synced, and nothing fails.
    #[test]
    fn without_the_file_nothing_is_synced() {
        let dir = tempfile::tempdir().unwrap();
        let file = DatabaseFile::default();
        file.open(&dir.path().join("missing.db"));
        file.after_checkpoint(900);
        assert_eq!(file.syncs(), 0);
    }
}
