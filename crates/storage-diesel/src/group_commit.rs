//! Group commit through one writer thread: every write of the store is queued to that thread,
//! which runs the queued writes back to back in one `BEGIN IMMEDIATE` transaction and commits
//! them together; no write is acknowledged before that commit.
//!
//! Each write runs inside its own savepoint of the open transaction, so a write that fails is
//! undone alone and the others stand. The thread commits when the queue is empty (or the batch is
//! full), then answers every write of the batch: its own outcome when the batch committed, the
//! batch's failure otherwise. Every write thus returns only after its batch is closed, so a retry
//! after a lost race reads the committed state, and a write whose batch failed to commit reports
//! the failure: nothing is acknowledged that is not durable.
//!
//! Under load, the commits, and the pages each commit appends to the write-ahead log, are shared
//! by a whole batch: the B-tree pages that every ticket write touches (the events table, the
//! sequences, the indexes) are written once per batch instead of once per request. And SQLite
//! admits one writer at a time anyway: with one thread running every write, no write waits for
//! its turn to be handed over from the thread of the write before it (with writers taking turns
//! on a lock, each hand-over waited for the next writer's thread to be woken and scheduled, and
//! writes levelled off near 7,500 a second with a quarter of the machine idle).

use crate::error::{Failure, Work};
use diesel::connection::{AnsiTransactionManager, TransactionManager};
use diesel::prelude::*;
use kanban_domain::StoreError;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc;

/// The most writes one transaction holds: bounds how long the first write of a batch waits.
const MAX_BATCH: usize = 64;

/// A write queued to the writer thread, with the way back to its caller.
trait Job: Send {
    /// Runs the work in its own savepoint of the open transaction and keeps its outcome until
    /// the batch is closed. False when the work panicked: its savepoint may still be open.
    fn run(&mut self, conn: &mut SqliteConnection) -> bool;

    /// Answers the caller once the batch is closed: the work's own outcome when the batch
    /// committed (or when the work failed anyway), the batch's failure otherwise.
    fn answer(self: Box<Self>, closed: &Result<(), String>);
}

struct Write<T, F> {
    work: Option<F>,
    outcome: Option<Result<T, StoreError>>,
    reply: mpsc::SyncSender<Result<T, StoreError>>,
}

fn failed(message: String) -> StoreError {
    StoreError::internal(std::io::Error::other(message))
}

impl<T, F> Job for Write<T, F>
where
    T: Send,
    F: FnOnce(&mut SqliteConnection) -> Work<T> + Send,
{
    fn run(&mut self, conn: &mut SqliteConnection) -> bool {
        let Some(work) = self.work.take() else {
            return true;
        };
        // Nested in the open transaction, diesel runs this in a savepoint.
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            conn.transaction(work).map_err(|failure: Failure| failure.0)
        }));
        let panicked = outcome.is_err();
        self.outcome = Some(outcome.unwrap_or_else(|_| Err(failed("the write panicked".into()))));
        !panicked
    }

    fn answer(self: Box<Self>, closed: &Result<(), String>) {
        let answer = match (self.outcome, closed) {
            (Some(Err(error)), _) => Err(error),
            (Some(Ok(value)), Ok(())) => Ok(value),
            (Some(Ok(_)), Err(cause)) => {
                Err(failed(format!("the write's batch did not commit: {cause}")))
            }
            (None, Err(cause)) => Err(failed(format!("the write's batch did not run: {cause}"))),
            (None, Ok(())) => Err(failed("the write was not run".into())),
        };
        // A caller that is gone (its thread panicked) needs no answer.
        let _ = self.reply.send(answer);
    }
}

/// What the writer thread has done, for metrics and tests.
#[derive(Debug, Default)]
struct Counts {
    /// Writes sent to the thread and not yet taken from the queue.
    queued: AtomicUsize,
    /// Writes run and transactions closed since start-up.
    writes: AtomicU64,
    batches: AtomicU64,
}

/// The writer thread of one store, and its queue.
pub(crate) struct GroupCommit {
    /// The queue; `None` once dropped, which ends the thread.
    jobs: Option<mpsc::Sender<Box<dyn Job>>>,
    thread: Option<std::thread::JoinHandle<()>>,
    counts: Arc<Counts>,
}

impl std::fmt::Debug for GroupCommit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GroupCommit")
            .field("counts", &self.counts)
            .finish_non_exhaustive()
    }
}

impl Drop for GroupCommit {
    /// Ends the writer thread: nothing is queued (a caller waiting for an answer holds the
    /// store), and the thread's connection is closed before this returns.
    fn drop(&mut self) {
        self.jobs = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Opens the writer's connection to the store's database, with the store's pragmas.
pub(crate) type Connect = Box<dyn Fn() -> Result<SqliteConnection, String> + Send>;

/// Ends the open transaction of `conn`: `COMMIT`, or `ROLLBACK` when `commit` is false or the
/// commit failed. `Err` with whether the connection is still usable (no transaction left open).
fn close(conn: &mut SqliteConnection, commit: bool) -> Result<(), (String, bool)> {
    let committed = if commit {
        AnsiTransactionManager::commit_transaction(conn).map_err(|e| e.to_string())
    } else {
        Err("the batch was abandoned after a write panicked".to_owned())
    };
    committed.map_err(|cause| {
        // A panicked write may have left its savepoint open: roll back every level.
        let open = |conn: &mut SqliteConnection| {
            AnsiTransactionManager::transaction_manager_status_mut(conn)
                .transaction_depth()
                .map_or(true, |depth| depth.is_some())
        };
        while open(conn) {
            if AnsiTransactionManager::rollback_transaction(conn).is_err() {
                return (cause, false);
            }
        }
        (cause, true)
    })
}

/// Opens a transaction on `conn`, runs `first` and then every write queued behind it (up to
/// [`MAX_BATCH`]) in it, and closes it; the writes run are put in `batch`. `Err` with whether the
/// connection is still usable.
fn run_batch(
    conn: &mut SqliteConnection,
    jobs: &mpsc::Receiver<Box<dyn Job>>,
    counts: &Counts,
    first: Box<dyn Job>,
    batch: &mut Vec<Box<dyn Job>>,
) -> Result<(), (String, bool)> {
    let mut job = first;
    if let Err(error) = AnsiTransactionManager::begin_transaction_sql(conn, "BEGIN IMMEDIATE") {
        batch.push(job);
        // A lock held too long by another process (`busy_timeout`) leaves nothing open.
        return Err((error.to_string(), true));
    }
    loop {
        let ran = job.run(conn);
        counts.writes.fetch_add(1, Ordering::Relaxed);
        batch.push(job);
        if !ran {
            return close(conn, false);
        }
        if batch.len() >= MAX_BATCH {
            break;
        }
        match jobs.try_recv() {
            Ok(next) => {
                counts.queued.fetch_sub(1, Ordering::SeqCst);
                job = next;
            }
            Err(_) => break,
        }
    }
    close(conn, true)
}

/// The writer thread: one batch after another until the queue's sender is dropped. It keeps a
/// connection of its own (opened for its first write, and again after one was left unusable), so
/// a write never waits behind the reads for one of the pool's connections.
fn serve(connect: &Connect, jobs: &mpsc::Receiver<Box<dyn Job>>, counts: &Counts) {
    let mut conn: Option<SqliteConnection> = None;
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while let Ok(first) = jobs.recv() {
        counts.queued.fetch_sub(1, Ordering::SeqCst);
        let opened = match conn.take() {
            Some(open) => Ok(open),
            None => connect(),
        };
        let closed = match opened {
            Ok(mut open) => {
                let closed = run_batch(&mut open, jobs, counts, first, &mut batch);
                if closed
                    .as_ref()
                    .map_or_else(|(_, usable)| *usable, |()| true)
                {
                    conn = Some(open);
                }
                closed.map_err(|(cause, _)| cause)
            }
            Err(cause) => {
                batch.push(first);
                Err(format!("cannot open the writer's connection: {cause}"))
            }
        };
        counts.batches.fetch_add(1, Ordering::Relaxed);
        for job in batch.drain(..) {
            job.answer(&closed);
        }
    }
}

impl GroupCommit {
    /// Starts the writer thread of a store; `connect` opens its connection.
    ///
    /// # Errors
    /// When the thread cannot be started.
    pub(crate) fn start(connect: Connect) -> std::io::Result<Self> {
        let (jobs, queue) = mpsc::channel();
        let counts = Arc::new(Counts::default());
        let thread = std::thread::Builder::new()
            .name("sqlite-writer".to_owned())
            .spawn({
                let counts = counts.clone();
                move || serve(&connect, &queue, &counts)
            })?;
        Ok(Self {
            jobs: Some(jobs),
            thread: Some(thread),
            counts,
        })
    }

    /// Writes run and transactions they were committed (or rolled back) in, since start-up.
    pub(crate) fn counts(&self) -> (u64, u64) {
        (
            self.counts.writes.load(Ordering::Relaxed),
            self.counts.batches.load(Ordering::Relaxed),
        )
    }

    /// Queues `work` to the writer thread, which runs it in the current batch inside its own
    /// savepoint, and returns once the batch is committed or rolled back.
    pub(crate) fn write<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut SqliteConnection) -> Work<T> + Send + 'static,
    {
        let stopped = || failed("the writer thread has stopped".into());
        let jobs = self.jobs.as_ref().ok_or_else(stopped)?;
        let (reply, answer) = mpsc::sync_channel(1);
        self.counts.queued.fetch_add(1, Ordering::SeqCst);
        let job = Write {
            work: Some(work),
            outcome: None,
            reply,
        };
        if jobs.send(Box::new(job)).is_err() {
            self.counts.queued.fetch_sub(1, Ordering::SeqCst);
            return Err(stopped());
        }
        answer.recv().map_err(|_| stopped())?
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

    /// Waits until `n` writes are queued behind the one the writer thread is running.
    fn until_queued(store: &SqliteStore, n: usize) {
        while store.writer().counts.queued.load(Ordering::SeqCst) < n {
            std::thread::yield_now();
        }
    }

    type Writing = std::thread::JoinHandle<Result<(), kanban_domain::StoreError>>;

    /// Runs `work` as a write on a thread of its own.
    fn spawn_write(
        store: &Arc<SqliteStore>,
        work: impl FnOnce(&mut SqliteConnection) -> Result<(), Failure> + Send + 'static,
    ) -> Writing {
        let store = store.clone();
        std::thread::spawn(move || store.write(work))
    }

    /// A write of 1 that the writer thread is running now and that finishes once the returned
    /// sender is told to: what the writes queued behind it wait for.
    fn held_write(store: &Arc<SqliteStore>) -> (Writing, mpsc::Sender<()>) {
        let (started, running) = mpsc::channel::<()>();
        let (release, hold) = mpsc::channel::<()>();
        let first = spawn_write(store, move |conn| {
            insert(conn, 1)?;
            started.send(()).unwrap();
            hold.recv().unwrap();
            Ok(())
        });
        running.recv().unwrap();
        (first, release)
    }

    /// Three writes in one batch: the one that fails is undone alone, the others are committed
    /// together in one transaction, and each returns only after that commit.
    #[test]
    fn a_failed_write_is_undone_alone_and_the_batch_commits_once() {
        let (_dir, store) = store();
        let store = Arc::new(store);
        let (first, release) = held_write(&store);
        let failing = spawn_write(&store, |conn| {
            insert(conn, 2)?;
            Err(kanban_domain::StoreError::Conflict.into())
        });
        until_queued(&store, 1);
        let third = spawn_write(&store, |conn| insert(conn, 3));
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

    /// A write that panics is answered with an error, its whole batch is rolled back and
    /// answered so, and the writer thread goes on with the next batch.
    #[test]
    fn a_panicking_write_fails_its_batch_and_the_writer_goes_on() {
        let (_dir, store) = store();
        let store = Arc::new(store);
        let (first, release) = held_write(&store);
        let panicking = spawn_write(&store, |conn| {
            insert(conn, 2)?;
            panic!("a bug in a write");
        });
        until_queued(&store, 1);
        release.send(()).unwrap();
        let first = first.join().unwrap().unwrap_err().to_string();
        assert!(first.contains("did not commit"), "{first}");
        let panicked = panicking.join().unwrap().unwrap_err().to_string();
        assert!(panicked.contains("panicked"), "{panicked}");
        assert_eq!(
            stored(&store),
            Vec::<i64>::new(),
            "nothing of the batch stands"
        );
        store.write(|conn| insert(conn, 4)).unwrap();
        assert_eq!(stored(&store), [4]);
    }

    /// Many concurrent writers: every acknowledged write is stored, in fewer transactions than
    /// writes, and none of them took a connection of the pool.
    #[test]
    fn concurrent_writes_are_all_stored() {
        let (_dir, store) = store();
        let store = Arc::new(store);
        let threads: Vec<_> = (0..16)
            .map(|t| {
                let store = store.clone();
                std::thread::spawn(move || {
                    for i in 0..50 {
                        store.write(move |conn| insert(conn, t * 1000 + i)).unwrap();
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
        let pool = store.pool_for_tests().state();
        assert_eq!(
            pool.idle_connections, pool.connections,
            "no pooled connection held"
        );
        store.write(|conn| insert(conn, -1)).unwrap();
        assert_eq!(stored(&store)[0], -1);
    }
}
