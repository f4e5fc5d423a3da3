//! Group commit: concurrent writes of this process share one `BEGIN IMMEDIATE` transaction and
//! one `COMMIT`, and none is acknowledged before that commit.
//!
//! Writers take turns on one connection (a mutex). Each runs its work inside a savepoint of the
//! open transaction, so a write that fails is undone alone and the others stand. When a writer
//! finishes its turn and nobody is queued behind it (or the batch is full), it commits the batch
//! and wakes the batch's other writers; otherwise it leaves the commit to the next writer and waits
//! for it. Every writer, whatever its own outcome, returns only after its batch is closed, so a
//! retry after a lost race reads the committed state, and a write whose batch failed to commit
//! reports the failure: nothing is acknowledged that is not durable.
//!
//! Under load, the commits, and the pages each commit appends to the write-ahead log, are shared
//! by a whole batch: the B-tree pages that every ticket write touches (the events table, the
//! sequences, the indexes) are written once per batch instead of once per request.

use crate::error::{Failure, Work};
use crate::pool::Manager;
use diesel::connection::{AnsiTransactionManager, TransactionManager};
use diesel::prelude::*;
use diesel::r2d2::{Pool, PooledConnection};
use kanban_domain::StoreError;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError};

/// The most writes one transaction holds: bounds how long the first writer of a batch waits.
const MAX_BATCH: usize = 64;

/// How a batch ended, once it has.
#[derive(Debug, Default)]
struct Outcome {
    closed: Mutex<Option<Result<(), String>>>,
    done: Condvar,
}

impl Outcome {
    fn close(&self, result: Result<(), String>) {
        *self.closed.lock().unwrap_or_else(PoisonError::into_inner) = Some(result);
        self.done.notify_all();
    }

    fn wait(&self) -> Result<(), String> {
        let mut closed = self.closed.lock().unwrap_or_else(PoisonError::into_inner);
        loop {
            if let Some(result) = closed.as_ref() {
                return result.clone();
            }
            closed = self
                .done
                .wait(closed)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }
}

/// The transaction open now, on its connection.
struct Batch {
    conn: PooledConnection<Manager>,
    writes: usize,
    outcome: Arc<Outcome>,
}

/// The writers of one store.
#[derive(Default)]
pub(crate) struct GroupCommit {
    /// The open batch; holding this lock is a writer's turn. Turns are handed over in the order
    /// writers asked for them (`unlock_fair`): with an unfair lock, under a few hundred concurrent
    /// writers, one writer could be overtaken again and again, for hundreds of milliseconds.
    turn: parking_lot::Mutex<Option<Batch>>,
    /// Writers waiting for their turn.
    queued: AtomicUsize,
    /// Writes run and transactions closed since start-up.
    writes: AtomicU64,
    batches: AtomicU64,
}

impl std::fmt::Debug for GroupCommit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GroupCommit")
            .field("queued", &self.queued.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

/// Ends the open transaction of `conn`: `COMMIT`, or `ROLLBACK` when `commit` is false or the
/// commit failed.
fn close(conn: &mut SqliteConnection, commit: bool) -> Result<(), String> {
    let committed = if commit {
        AnsiTransactionManager::commit_transaction(conn).map_err(|e| e.to_string())
    } else {
        Err("the batch was abandoned".to_owned())
    };
    if committed.is_err()
        && AnsiTransactionManager::transaction_manager_status_mut(conn)
            .transaction_depth()
            .ok()
            .flatten()
            .is_some()
    {
        // A connection left in a transaction or an error state is discarded by the pool.
        let _ = AnsiTransactionManager::rollback_transaction(conn);
    }
    committed
}

impl GroupCommit {
    /// Writes run and transactions they were committed (or rolled back) in, since start-up.
    pub(crate) fn counts(&self) -> (u64, u64) {
        (
            self.writes.load(Ordering::Relaxed),
            self.batches.load(Ordering::Relaxed),
        )
    }

    /// Runs `work` in the current batch (opening one on a connection of `pool` when none is
    /// open) inside its own savepoint, and returns once the batch is committed or rolled back.
    pub(crate) fn write<T>(
        &self,
        pool: &Pool<Manager>,
        work: impl FnOnce(&mut SqliteConnection) -> Work<T>,
    ) -> Result<T, StoreError> {
        self.queued.fetch_add(1, Ordering::SeqCst);
        let mut turn = self.turn.lock();
        self.queued.fetch_sub(1, Ordering::SeqCst);
        if turn.is_none() {
            let mut conn = pool.get().map_err(StoreError::internal)?;
            AnsiTransactionManager::begin_transaction_sql(&mut *conn, "BEGIN IMMEDIATE")
                .map_err(StoreError::internal)?;
            *turn = Some(Batch {
                conn,
                writes: 0,
                outcome: Arc::new(Outcome::default()),
            });
        }
        let Some(batch) = turn.as_mut() else {
            return Err(StoreError::internal(std::io::Error::other(
                "no open batch after opening one",
            )));
        };
        let conn: &mut SqliteConnection = &mut batch.conn;
        // Nested in the open transaction, diesel runs this in a savepoint.
        let result = catch_unwind(AssertUnwindSafe(|| {
            conn.transaction(|conn| work(conn))
                .map_err(|failure: Failure| failure.0)
        }));
        batch.writes += 1;
        self.writes.fetch_add(1, Ordering::Relaxed);
        let outcome = batch.outcome.clone();
        let panicked = result.is_err();
        let last = panicked || batch.writes >= MAX_BATCH || self.queued.load(Ordering::SeqCst) == 0;
        if last && let Some(mut batch) = turn.take() {
            self.batches.fetch_add(1, Ordering::Relaxed);
            // A panic may have left the savepoint open: the whole batch is rolled back.
            outcome.close(close(&mut batch.conn, !panicked));
        }
        parking_lot::MutexGuard::unlock_fair(turn);
        let closed = outcome.wait();
        match result {
            Err(panic) => resume_unwind(panic),
            Ok(Err(error)) => Err(error),
            Ok(Ok(value)) => closed.map(|()| value).map_err(|cause| {
                StoreError::internal(std::io::Error::other(format!(
                    "the write's batch did not commit: {cause}"
                )))
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::error::Failure;
    use crate::pool::SqliteStore;
    use diesel::connection::SimpleConnection;
    use diesel::prelude::*;
    use diesel::sql_types::BigInt;
    use std::sync::Arc;
    use std::sync::atomic::Ordering;
    use std::sync::mpsc;

    fn store() -> (tempfile::TempDir, SqliteStore) {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::connect(dir.path().join("g.db").to_str().unwrap(), 8).unwrap();
        store
            .conn()
            .unwrap()
            .batch_execute("CREATE TABLE t (x INTEGER NOT NULL)")
            .unwrap();
        (dir, store)
    }

    fn insert(conn: &mut SqliteConnection, x: i64) -> Result<(), Failure> {
        diesel::sql_query("INSERT INTO t (x) VALUES (?)")
            .bind::<BigInt, _>(x)
            .execute(conn)?;
        Ok(())
    }

    fn stored(store: &SqliteStore) -> Vec<i64> {
        #[derive(QueryableByName)]
        struct Row {
            #[diesel(sql_type = BigInt)]
            x: i64,
        }
        let rows: Vec<Row> = diesel::sql_query("SELECT x FROM t ORDER BY x")
            .load(&mut store.conn().unwrap())
            .unwrap();
        rows.into_iter().map(|r| r.x).collect()
    }

    /// Waits until `n` writers are queued behind the one holding the turn.
    fn until_queued(store: &SqliteStore, n: usize) {
        while store.writer().queued.load(Ordering::SeqCst) < n {
            std::thread::yield_now();
        }
    }

    /// Three writers in one batch: the one that fails is undone alone, the others are committed
    /// together in one transaction, and each returns only after that commit.
    #[test]
    fn a_failed_write_is_undone_alone_and_the_batch_commits_once() {
        let (_dir, store) = store();
        let store = Arc::new(store);
        let (release, hold) = mpsc::channel::<()>();
        let first = {
            let store = store.clone();
            std::thread::spawn(move || {
                store.write(|conn| {
                    insert(conn, 1)?;
                    hold.recv().unwrap();
                    Ok(())
                })
            })
        };
        while store.writer().counts() == (0, 0) && store.writer().turn.try_lock().is_some() {
            std::thread::yield_now();
        }
        let failing = {
            let store = store.clone();
            std::thread::spawn(move || {
                store.write(|conn| -> Result<(), Failure> {
                    insert(conn, 2)?;
                    Err(kanban_domain::StoreError::Conflict.into())
                })
            })
        };
        until_queued(&store, 1);
        let third = {
            let store = store.clone();
            std::thread::spawn(move || store.write(|conn| insert(conn, 3)))
        };
        until_queued(&store, 2);
        release.send(()).unwrap();
        assert!(first.join().unwrap().is_ok());
        assert!(matches!(
            failing.join().unwrap(),
            Err(kanban_domain::StoreError::Conflict)
        ));
        assert!(third.join().unwrap().is_ok());
        assert_eq!(stored(&store), [1, 3]);
        assert_eq!(store.writer().counts(), (3, 1), "one transaction");
    }

    /// Many concurrent writers: every acknowledged write is stored, in fewer transactions than
    /// writes, and the pool gets its connection back.
    #[test]
    fn concurrent_writes_are_all_stored() {
        let (_dir, store) = store();
        let store = Arc::new(store);
        let threads: Vec<_> = (0..16)
            .map(|t| {
                let store = store.clone();
                std::thread::spawn(move || {
                    for i in 0..50 {
                        store.write(|conn| insert(conn, t * 1000 + i)).unwrap();
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
        assert_eq!(stored(&store).len(), 800);
        let (writes, batches) = store.writer().counts();
        assert_eq!(writes, 800);
        assert!(batches <= writes, "{batches} batches");
        assert!(store.writer().turn.lock().is_none());
        store.write(|conn| insert(conn, -1)).unwrap();
        assert_eq!(stored(&store)[0], -1);
    }
}
