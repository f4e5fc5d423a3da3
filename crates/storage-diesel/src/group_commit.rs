//! Group commit through one writer thread: every write of the store is queued to that thread,
//! which runs the queued writes back to back in one `BEGIN IMMEDIATE` transaction and commits
//! them together; no write is acknowledged before that commit.
//!
//! A write that fails is undone alone and the others stand. The thread commits when the queue is
//! empty (or the batch is full), then answers every write of the batch: its own outcome when the
//! batch committed, the batch's failure otherwise. Every write thus returns only after its batch is closed, so a retry
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
//!
//! ## Undoing a failed write alone
//!
//! A savepoint per write would do it, but costs every write a copy of each page it changes (the
//! savepoint's journal, kept to undo it), its statements and their allocations: 15 % of the
//! writer's time in moves. So whole use cases (`QueuedUseCase`) run *shared*: straight in the
//! batch's transaction, no savepoint, the writer-thread view noting whether one of their writes
//! began and whether one failed. Most never fail, and most that do fail on what they read
//! (a claimed ticket, an unknown column), before any write: nothing to undo. When one leaves a
//! change that must not stand (it failed after a write began, or one of its writes failed, even if
//! it then succeeded another way), the whole transaction is rolled back and every use case of the
//! batch so far runs again, each in a savepoint of its own, as does the rest of the batch. A use
//! case may thus run twice before it is answered, and is answered with its last run; it has no
//! effect outside the store until then. A plain write (`GroupCommit::write`, run once) always runs
//! in a savepoint, and the use cases queued after it in its batch do too, so that a batch is run
//! again only as far as its shared use cases.

use crate::error::{Failure, Work};
use diesel::connection::{AnsiTransactionManager, TransactionManager};
use diesel::prelude::*;
use kanban_domain::StoreError;
use kanban_domain::ports::QueuedUseCase;
use std::cell::{Cell, RefCell};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc;

/// The most writes one transaction holds: bounds how long the first write of a batch waits. As
/// many as the benchmark's heaviest load has in flight: each commit writes every page its writes
/// changed, and batches of 64 under 256 connections moving tickets wrote the pages they shared
/// (the board's order index, the ends of the history and the event log) four times over. At 256
/// the moves' p99 after two runs of history fell from 57–58 to 47–51 ms (their throughput 5–10 %
/// lower: the writer and the HTTP workers take turns more), and creates' from 22–23 to 18–21 ms.
const MAX_BATCH: usize = 256;

/// The writer thread's connection, with its writer's identity.
struct Held {
    writer: u64,
    conn: SqliteConnection,
    /// How the use case running now, if any, is kept apart from the rest of its batch.
    apart: Apart,
}

/// How the writes of the use case running now are kept apart from the rest of its batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Apart {
    /// Each write in a savepoint of its own (nested in the use case's): what fails is undone
    /// alone. Also outside use cases.
    Savepoints,
    /// Straight in the batch's transaction: `wrote` once one of the use case's writes began,
    /// `spoiled` once one failed (whatever it changed before failing stays until the rollback).
    Shared { wrote: bool, spoiled: bool },
}

thread_local! {
    /// On a writer thread, its connection: the thread keeps it here (rather than in a local
    /// variable) so that the use cases it runs (`QueuedUseCase`) reach it through the store's
    /// writer-thread view, down in the repository methods they call. Empty on other threads.
    static CONNECTION: RefCell<Option<Held>> = const { RefCell::new(None) };

    /// How many times this thread rolled back some of its writes (a savepoint, a transaction).
    static UNDONE: Cell<u64> = const { Cell::new(0) };
}

/// Notes that this thread rolled back some of its writes: whatever it read since its batch
/// began may have been undone.
fn undone() {
    UNDONE.set(UNDONE.get().wrapping_add(1));
}

/// How many times this thread has rolled back some of its writes. A value read on the writer
/// thread inside a batch and kept past it (a cache, such as the writer's boards) may have been
/// written by a change since undone, so it stands only while this count is unchanged: after a
/// rollback, a row can be written again at a version a dropped change had.
pub(crate) fn rollbacks_on_this_thread() -> u64 {
    UNDONE.get()
}

/// Runs `work` on this thread's writer connection; `None` when this is not a writer thread
/// with its connection open (or not the thread of writer `writer`, when given).
fn on_connection<T>(
    writer: Option<u64>,
    work: impl FnOnce(&mut SqliteConnection) -> T,
) -> Option<T> {
    on_held(writer, |held| work(&mut held.conn))
}

/// [`on_connection`], with the connection's whole state.
fn on_held<T>(writer: Option<u64>, work: impl FnOnce(&mut Held) -> T) -> Option<T> {
    CONNECTION.with_borrow_mut(|held| match held {
        Some(held) if writer.is_none_or(|w| w == held.writer) => Some(work(held)),
        _ => None,
    })
}

/// Sets how the next use case's writes are kept apart, returning the previous setting.
fn set_apart(apart: Apart) -> Option<Apart> {
    on_held(None, |held| std::mem::replace(&mut held.apart, apart))
}

/// A write queued to the writer thread, with the way back to its caller.
trait Job: Send {
    /// Runs the work in its own savepoint of the open transaction and keeps its outcome until
    /// the batch is closed. False when the batch must be abandoned (the work panicked: its
    /// savepoint may still be open).
    fn run(&mut self) -> bool;

    /// Runs the work shared, straight in the open transaction, and keeps its outcome (see the
    /// module's documentation); `None` when this job runs only in a savepoint, and has not run.
    fn run_shared(&mut self) -> Option<Shared> {
        None
    }

    /// Answers the caller once the batch is closed: the work's own outcome when the batch
    /// committed (or when the work failed anyway), the batch's failure otherwise.
    fn answer(self: Box<Self>, closed: &Result<(), String>);
}

/// How a job run shared left the open transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shared {
    /// Whatever it changed stands.
    Kept,
    /// It left a change that must not stand: the transaction is to be rolled back, and the batch
    /// run again in savepoints.
    Spoiled,
    /// It panicked: the batch is abandoned.
    Panicked,
}

struct Write<T, F> {
    work: Option<F>,
    outcome: Option<Result<T, StoreError>>,
    reply: mpsc::SyncSender<Result<T, StoreError>>,
}

fn failed(message: String) -> StoreError {
    StoreError::internal(std::io::Error::other(message))
}

/// A writer thread whose connection is gone: never, while it runs a batch.
fn no_connection() -> StoreError {
    failed("the writer thread has no open connection".into())
}

impl<T, F> Job for Write<T, F>
where
    T: Send,
    F: FnOnce(&mut SqliteConnection) -> Work<T> + Send,
{
    fn run(&mut self) -> bool {
        let Some(work) = self.work.take() else {
            return true;
        };
        // Nested in the open transaction, diesel runs this in a savepoint.
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            on_connection(None, |conn| {
                conn.transaction(work).map_err(|failure: Failure| failure.0)
            })
            .unwrap_or_else(|| Err(no_connection()))
        }));
        let panicked = outcome.is_err();
        let outcome = outcome.unwrap_or_else(|_| Err(failed("the write panicked".into())));
        if outcome.is_err() {
            undone();
        }
        self.outcome = Some(outcome);
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

/// A whole use case queued to the writer thread (`WriteQueue`): it runs shared, or in a
/// savepoint of its own (see the module's documentation), reading and writing through the
/// writer-thread view of the store, which finds this thread's connection.
struct UseCase {
    job: Box<dyn QueuedUseCase>,
    /// Why its run cannot stand: its savepoint could not be opened, the writer had no
    /// connection, or it panicked.
    refused: Option<String>,
}

impl Job for UseCase {
    fn run_shared(&mut self) -> Option<Shared> {
        self.refused = None;
        if set_apart(Apart::Shared {
            wrote: false,
            spoiled: false,
        })
        .is_none()
        {
            self.refused = Some(no_connection().to_string());
            return Some(Shared::Kept);
        }
        let succeeded = catch_unwind(AssertUnwindSafe(|| self.job.run()));
        let apart = set_apart(Apart::Savepoints);
        Some(match (succeeded, apart) {
            (Err(_), _) => {
                self.refused = Some("the use case panicked".into());
                Shared::Panicked
            }
            (Ok(_), Some(Apart::Shared { spoiled: true, .. }))
            | (Ok(false), Some(Apart::Shared { wrote: true, .. })) => Shared::Spoiled,
            (Ok(_), _) => Shared::Kept,
        })
    }

    fn run(&mut self) -> bool {
        self.refused = None;
        let begin = |conn: &mut SqliteConnection| AnsiTransactionManager::begin_transaction(conn);
        match on_connection(None, begin) {
            Some(Ok(())) => {}
            Some(Err(error)) => {
                self.refused = Some(error.to_string());
                return true;
            }
            None => {
                self.refused = Some(no_connection().to_string());
                return true;
            }
        }
        let Ok(succeeded) = catch_unwind(AssertUnwindSafe(|| self.job.run())) else {
            self.refused = Some("the use case panicked".into());
            return false;
        };
        // Released into the batch when it succeeded, rolled back alone when it failed; should
        // either fail, the savepoint may be open still: the batch is abandoned.
        let closed = on_connection(None, |conn| {
            if succeeded {
                AnsiTransactionManager::commit_transaction(conn)
            } else {
                undone();
                AnsiTransactionManager::rollback_transaction(conn)
            }
        });
        matches!(closed, Some(Ok(())))
    }

    fn answer(self: Box<Self>, closed: &Result<(), String>) {
        let closed = match (self.refused, closed) {
            (Some(cause), _) => Err(failed(format!("the use case's write failed: {cause}"))),
            (None, Ok(())) => Ok(()),
            (None, Err(cause)) => Err(failed(format!("the write's batch did not commit: {cause}"))),
        };
        self.job.answer(closed);
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
    /// Batches rolled back and run again in savepoints (see the module's documentation).
    reruns: AtomicU64,
    /// Checkpoints the writer finished between two batches (see `finish_checkpoint`).
    checkpoints: AtomicU64,
    /// The background checkpointer asks the writer to finish its checkpoint.
    checkpoint_wanted: AtomicBool,
}

/// The identity of the next writer thread started.
static NEXT_WRITER: AtomicU64 = AtomicU64::new(1);

/// The writer thread of one store, and its queue.
pub(crate) struct GroupCommit {
    /// The queue; `None` once dropped, which ends the thread.
    jobs: Option<mpsc::Sender<Box<dyn Job>>>,
    thread: Option<std::thread::JoinHandle<()>>,
    counts: Arc<Counts>,
    /// Which writer this is, to tell its connection from another store's.
    id: u64,
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
    /// store), and the thread's connection is closed before this returns. Dropped on the writer
    /// thread itself (by a queued use case holding the last handle of the store), it cannot wait
    /// for itself: the thread ends once it has answered that use case.
    fn drop(&mut self) {
        self.jobs = None;
        if let Some(thread) = self.thread.take()
            && thread.thread().id() != std::thread::current().id()
        {
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
        Err(
            "the batch was abandoned: one of its writes panicked or left its savepoint open"
                .to_owned(),
        )
    };
    committed.map_err(|cause| (cause, roll_back(conn)))
}

/// Rolls back every open level of `conn`'s transaction (a panicked write may have left its
/// savepoint open); false when the connection is left unusable.
fn roll_back(conn: &mut SqliteConnection) -> bool {
    undone();
    let open = |conn: &mut SqliteConnection| {
        AnsiTransactionManager::transaction_manager_status_mut(conn)
            .transaction_depth()
            .map_or(true, |depth| depth.is_some())
    };
    while open(conn) {
        if AnsiTransactionManager::rollback_transaction(conn).is_err() {
            return false;
        }
    }
    true
}

/// Opens the batch's transaction, taking the write lock up front.
fn begin(conn: &mut SqliteConnection) -> QueryResult<()> {
    AnsiTransactionManager::begin_transaction_sql(conn, "BEGIN IMMEDIATE")
}

/// A shared use case of the batch left a change that must not stand: rolls the transaction
/// back, opens another and runs again every job of `batch` (all run shared so far), each in a
/// savepoint of its own. `Ok(false)` when one panicked (the batch is to be abandoned); `Err`
/// with whether the connection is still usable when the transaction could not be reopened.
fn rerun_in_savepoints(
    counts: &Counts,
    batch: &mut [Box<dyn Job>],
) -> Result<bool, (String, bool)> {
    counts.reruns.fetch_add(1, Ordering::Relaxed);
    let reopened = on_connection(None, |conn| {
        if !roll_back(conn) {
            return Err(("the batch could not be rolled back".to_owned(), false));
        }
        begin(conn).map_err(|error| (error.to_string(), true))
    });
    reopened.unwrap_or_else(|| Err((no_connection().to_string(), false)))?;
    Ok(batch.iter_mut().all(|job| job.run()))
}

/// Opens a transaction on this thread's connection, runs `first` and then every write queued
/// behind it (up to [`MAX_BATCH`]) in it, and closes it; the writes run are put in `batch`. `Err`
/// with whether the connection is still usable.
fn run_batch(
    jobs: &mpsc::Receiver<Box<dyn Job>>,
    counts: &Counts,
    first: Box<dyn Job>,
    batch: &mut Vec<Box<dyn Job>>,
) -> Result<(), (String, bool)> {
    let mut job = first;
    match on_connection(None, begin) {
        Some(Ok(())) => {}
        // A lock held too long by another process (`busy_timeout`) leaves nothing open.
        Some(Err(error)) => {
            batch.push(job);
            return Err((error.to_string(), true));
        }
        None => {
            batch.push(job);
            return Err((no_connection().to_string(), false));
        }
    }
    let mut commit = true;
    // Use cases run shared until one spoils the transaction or a plain write comes.
    let mut shared = true;
    loop {
        let outcome = if shared { job.run_shared() } else { None };
        let ran = match outcome {
            None => {
                shared = false;
                job.run()
            }
            Some(Shared::Kept | Shared::Spoiled) => true,
            Some(Shared::Panicked) => false,
        };
        counts.writes.fetch_add(1, Ordering::Relaxed);
        batch.push(job);
        let ran = if outcome == Some(Shared::Spoiled) {
            shared = false;
            rerun_in_savepoints(counts, batch)?
        } else {
            ran
        };
        if !ran {
            commit = false;
            break;
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
    on_connection(None, |conn| close(conn, commit))
        .unwrap_or_else(|| Err((no_connection().to_string(), false)))
}

/// Copies into the database file the frames of the write-ahead log that the background
/// checkpoint left (those appended while it ran), between two batches, so that the next batch
/// starts the log over from its beginning.
///
/// Under a steady stream of writes the background checkpoint never catches up: each one ends
/// behind the frames committed meanwhile, SQLite starts the log over only once every frame is in
/// the database file, and the log grew by the size of every commit, without end (at one
/// connection, 2,400 moves a second grew it by 150 MB a second). Only the writer can catch up,
/// since nothing is appended while it checkpoints; the background checkpoint has copied most
/// pages already, so this costs the writes little (the two `fsync`s of a checkpoint). A reader
/// still on an older snapshot can hold the new start back until a later round.
fn finish_checkpoint(counts: &Counts) {
    let checkpoint = |conn: &mut SqliteConnection| {
        diesel::connection::SimpleConnection::batch_execute(conn, "PRAGMA wal_checkpoint(PASSIVE);")
    };
    match on_connection(None, checkpoint) {
        Some(Ok(())) => {
            counts.checkpoints.fetch_add(1, Ordering::Relaxed);
        }
        Some(Err(error)) => tracing::warn!(%error, "the writer's WAL checkpoint failed"),
        None => {}
    }
}

/// The writer thread: one batch after another until the queue's sender is dropped. It keeps a
/// connection of its own (opened for its first write, and again after one was left unusable), so
/// a write never waits behind the reads for one of the pool's connections.
fn serve(id: u64, connect: &Connect, jobs: &mpsc::Receiver<Box<dyn Job>>, counts: &Counts) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while let Ok(first) = jobs.recv() {
        counts.queued.fetch_sub(1, Ordering::SeqCst);
        let open = CONNECTION.with_borrow_mut(|held| {
            if held.is_none() {
                *held = Some(Held {
                    writer: id,
                    conn: connect()?,
                    apart: Apart::Savepoints,
                });
            }
            Ok::<(), String>(())
        });
        let closed = match open {
            Ok(()) => run_batch(jobs, counts, first, &mut batch).map_err(|(cause, usable)| {
                if !usable {
                    CONNECTION.take();
                }
                cause
            }),
            Err(cause) => {
                batch.push(first);
                Err(format!("cannot open the writer's connection: {cause}"))
            }
        };
        counts.batches.fetch_add(1, Ordering::Relaxed);
        for job in batch.drain(..) {
            job.answer(&closed);
        }
        if counts.checkpoint_wanted.swap(false, Ordering::Relaxed) {
            finish_checkpoint(counts);
        }
    }
    CONNECTION.take();
}

impl GroupCommit {
    /// Starts the writer thread of a store; `connect` opens its connection.
    ///
    /// # Errors
    /// When the thread cannot be started.
    pub(crate) fn start(connect: Connect) -> std::io::Result<Self> {
        let (jobs, queue) = mpsc::channel();
        let counts = Arc::new(Counts::default());
        let id = NEXT_WRITER.fetch_add(1, Ordering::Relaxed);
        let thread = std::thread::Builder::new()
            .name("sqlite-writer".to_owned())
            .spawn({
                let counts = counts.clone();
                move || serve(id, &connect, &queue, &counts)
            })?;
        Ok(Self {
            jobs: Some(jobs),
            thread: Some(thread),
            counts,
            id,
        })
    }

    /// Writes run and transactions they were committed (or rolled back) in, since start-up.
    pub(crate) fn counts(&self) -> (u64, u64) {
        (
            self.counts.writes.load(Ordering::Relaxed),
            self.counts.batches.load(Ordering::Relaxed),
        )
    }

    /// Transactions rolled back and run again in savepoints since start-up (see the module's
    /// documentation).
    pub(crate) fn reruns(&self) -> u64 {
        self.counts.reruns.load(Ordering::Relaxed)
    }

    /// Asks the writer thread to finish the background checkpoint after its current batch (see
    /// [`finish_checkpoint`]): the log was found long, so new writes keep it from starting over.
    pub(crate) fn finish_checkpoint(&self) {
        self.counts.checkpoint_wanted.store(true, Ordering::Relaxed);
    }

    /// Checkpoints the writer thread finished since start-up.
    #[cfg(test)]
    pub(crate) fn checkpoints(&self) -> u64 {
        self.counts.checkpoints.load(Ordering::Relaxed)
    }

    fn send(&self, job: Box<dyn Job>) -> Result<(), StoreError> {
        let stopped = || failed("the writer thread has stopped".into());
        let jobs = self.jobs.as_ref().ok_or_else(stopped)?;
        self.counts.queued.fetch_add(1, Ordering::SeqCst);
        jobs.send(job).map_err(|_| {
            self.counts.queued.fetch_sub(1, Ordering::SeqCst);
            stopped()
        })
    }

    /// Queues `work` to the writer thread, which runs it in the current batch inside its own
    /// savepoint, and returns once the batch is committed or rolled back.
    pub(crate) fn write<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut SqliteConnection) -> Work<T> + Send + 'static,
    {
        let (reply, answer) = mpsc::sync_channel(1);
        self.send(Box::new(Write {
            work: Some(work),
            outcome: None,
            reply,
        }))?;
        answer
            .recv()
            .map_err(|_| failed("the writer thread has stopped".into()))?
    }

    /// Queues a whole use case to the writer thread, which runs it in the current batch (shared,
    /// or in a savepoint of its own: see the module's documentation) and answers it once the
    /// batch is committed or rolled back.
    pub(crate) fn queue(&self, job: Box<dyn QueuedUseCase>) -> Result<(), StoreError> {
        self.send(Box::new(UseCase { job, refused: None }))
    }

    /// Runs `work` on this writer's connection, in the batch open now: only on this writer's
    /// thread, from a use case it runs. `None` anywhere else.
    pub(crate) fn on_this_thread<T>(
        &self,
        work: impl FnOnce(&mut SqliteConnection) -> T,
    ) -> Option<T> {
        on_connection(Some(self.id), work)
    }

    /// Runs `work`, a write of the use case running now, on this writer's connection (see
    /// [`Self::on_this_thread`]): what it wrote is undone when it fails, in its own savepoint, or
    /// by running the batch again when the use case runs shared.
    pub(crate) fn write_on_this_thread<T>(
        &self,
        work: impl FnOnce(&mut SqliteConnection) -> Work<T>,
    ) -> Option<Result<T, StoreError>> {
        on_held(Some(self.id), |held| match &mut held.apart {
            Apart::Savepoints => Some(
                held.conn
                    .transaction(work)
                    .map_err(|failure: Failure| failure.0)
                    .inspect_err(|_| undone()),
            ),
            Apart::Shared { wrote, spoiled } => {
                *wrote = true;
                let written = work(&mut held.conn).map_err(|failure| failure.0);
                *spoiled |= written.is_err();
                Some(written)
            }
        })
        .flatten()
    }
}

#[cfg(test)]
mod tests {
    use crate::error::Failure;
    use crate::pool::SqliteStore;
    use diesel::connection::SimpleConnection;
    use diesel::prelude::*;
    use diesel::sql_types::BigInt;
    use kanban_domain::ports::{QueuedUseCase, WriteQueue};
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

    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = BigInt)]
        x: i64,
    }

    fn stored(store: &SqliteStore) -> Vec<i64> {
        stored_in(&mut store.conn().unwrap())
    }

    fn stored_in(conn: &mut SqliteConnection) -> Vec<i64> {
        let rows: Vec<Row> = diesel::sql_query("SELECT x FROM t ORDER BY x")
            .load(conn)
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

    /// A use case queued for tests: runs `body` (each time the store runs it), reports how its
    /// transaction closed.
    struct TestUseCase<F> {
        body: F,
        closed: mpsc::Sender<Result<(), String>>,
    }

    impl<F: FnMut() -> bool + Send> QueuedUseCase for TestUseCase<F> {
        fn run(&mut self) -> bool {
            (self.body)()
        }

        fn answer(self: Box<Self>, closed: Result<(), kanban_domain::StoreError>) {
            self.closed.send(closed.map_err(|e| e.to_string())).unwrap();
        }
    }

    fn queue_use_case(
        store: &SqliteStore,
        body: impl FnMut() -> bool + Send + 'static,
    ) -> mpsc::Receiver<Result<(), String>> {
        let (closed, answer) = mpsc::channel();
        store.queue(Box::new(TestUseCase { body, closed })).unwrap();
        answer
    }

    type Answer = mpsc::Receiver<Result<(), String>>;

    /// A use case writing `x` that the writer thread is running now, first of its batch, and
    /// whose first run finishes once the returned sender is told to (it runs again at once).
    fn held_use_case(store: &Arc<SqliteStore>, x: i64) -> (Answer, mpsc::Sender<()>) {
        let view = store.for_writer_thread();
        let (started, running) = mpsc::channel::<()>();
        let (release, hold) = mpsc::channel::<()>();
        let mut first = true;
        let answer = queue_use_case(store, move || {
            let wrote = view.write(move |conn| insert(conn, x)).is_ok();
            if std::mem::take(&mut first) {
                started.send(()).unwrap();
                hold.recv().unwrap();
            }
            wrote
        });
        running.recv().unwrap();
        (answer, release)
    }

    /// Queues `body` as a use case, counting its runs.
    fn counted_use_case(
        store: &SqliteStore,
        mut body: impl FnMut() -> bool + Send + 'static,
    ) -> (Answer, Arc<std::sync::atomic::AtomicUsize>) {
        let runs = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let answer = queue_use_case(store, {
            let runs = runs.clone();
            move || {
                runs.fetch_add(1, Ordering::SeqCst);
                body()
            }
        });
        (answer, runs)
    }

    fn reruns(store: &SqliteStore) -> u64 {
        store.writer().reruns()
    }

    /// Use cases run shared, without savepoints: one that fails before writing anything (the
    /// usual failure: on what it read) leaves nothing to undo, and the batch commits once,
    /// without running anything again.
    #[test]
    fn shared_use_cases_that_fail_before_writing_cost_no_rerun() {
        let (_dir, store) = store();
        let store = Arc::new(store);
        let view = store.for_writer_thread();
        let (first, release) = held_use_case(&store, 1);
        let (refused, refused_runs) = counted_use_case(&store, {
            let view = view.clone();
            move || {
                view.read(|conn| Ok(stored_in(conn)))
                    .is_ok_and(|seen| seen == [7])
            }
        });
        let (adds, add_runs) = counted_use_case(&store, {
            let view = view.clone();
            move || view.write(|conn| insert(conn, 2)).is_ok()
        });
        until_queued(&store, 2);
        release.send(()).unwrap();
        for answer in [first, refused, adds] {
            assert_eq!(answer.recv().unwrap(), Ok(()));
        }
        assert_eq!(stored(&store), [1, 2]);
        assert_eq!(store.writer().counts(), (3, 1), "one transaction");
        assert_eq!(reruns(&store), 0);
        assert_eq!(
            (
                refused_runs.load(Ordering::SeqCst),
                add_runs.load(Ordering::SeqCst)
            ),
            (1, 1)
        );
    }

    /// A shared use case that fails after one of its writes: the batch is rolled back and run
    /// again, each use case in a savepoint of its own, so the failed one is undone alone, the
    /// others stand, and everything queued after it runs in savepoints too.
    #[test]
    fn a_use_case_failing_after_a_write_is_undone_alone_by_running_its_batch_again() {
        let (_dir, store) = store();
        let store = Arc::new(store);
        let view = store.for_writer_thread();
        let (first, release) = held_use_case(&store, 1);
        let (adds, add_runs) = counted_use_case(&store, {
            let view = view.clone();
            move || view.write(|conn| insert(conn, 2)).is_ok()
        });
        let (fails, fail_runs) = counted_use_case(&store, {
            let view = view.clone();
            move || {
                view.write(|conn| insert(conn, 3)).unwrap();
                false
            }
        });
        let (after, after_runs) = counted_use_case(&store, {
            let view = view.clone();
            move || {
                view.write(|conn| insert(conn, 4)).unwrap();
                // In a savepoint now: this failed write is undone alone, and the use case
                // goes on.
                let failed = view.write::<(), _>(|conn| {
                    insert(conn, 5)?;
                    Err(kanban_domain::StoreError::Conflict.into())
                });
                failed.is_err()
            }
        });
        until_queued(&store, 3);
        release.send(()).unwrap();
        for answer in [first, adds, fails, after] {
            assert_eq!(answer.recv().unwrap(), Ok(()));
        }
        assert_eq!(stored(&store), [1, 2, 4]);
        assert_eq!(store.writer().counts(), (4, 1), "one transaction");
        assert_eq!(reruns(&store), 1);
        let runs = [&add_runs, &fail_runs, &after_runs].map(|r| r.load(Ordering::SeqCst));
        assert_eq!(runs, [2, 2, 1]);
    }

    /// A shared use case one of whose writes failed half-way, and which then succeeded another
    /// way (as a retry after a conflict does): what the failed write left is not kept.
    #[test]
    fn a_failed_write_of_a_use_case_that_then_succeeds_is_undone() {
        let (_dir, store) = store();
        let store = Arc::new(store);
        let view = store.for_writer_thread();
        let (first, release) = held_use_case(&store, 1);
        let retries = queue_use_case(&store, move || {
            let half_way = view.write::<(), _>(|conn| {
                insert(conn, 2)?;
                Err(kanban_domain::StoreError::Conflict.into())
            });
            half_way.is_err() && view.write(|conn| insert(conn, 3)).is_ok()
        });
        until_queued(&store, 1);
        release.send(()).unwrap();
        for answer in [first, retries] {
            assert_eq!(answer.recv().unwrap(), Ok(()));
        }
        assert_eq!(stored(&store), [1, 3]);
        assert_eq!(reruns(&store), 1);
    }

    /// A plain write, which runs only once, runs in a savepoint, and so do the use cases after
    /// it in its batch: a failure among them is undone alone, without running the batch again.
    #[test]
    fn after_a_plain_write_the_batch_runs_in_savepoints() {
        let (_dir, store) = store();
        let store = Arc::new(store);
        let view = store.for_writer_thread();
        let (first, release) = held_use_case(&store, 1);
        let plain = spawn_write(&store, |conn| {
            insert(conn, 2)?;
            Err(kanban_domain::StoreError::Conflict.into())
        });
        until_queued(&store, 1);
        let (fails, fail_runs) = counted_use_case(&store, {
            let view = view.clone();
            move || {
                view.write(|conn| insert(conn, 3)).unwrap();
                false
            }
        });
        let adds = queue_use_case(&store, move || view.write(|conn| insert(conn, 4)).is_ok());
        until_queued(&store, 3);
        release.send(()).unwrap();
        assert!(matches!(
            plain.join().unwrap(),
            Err(kanban_domain::StoreError::Conflict)
        ));
        for answer in [first, fails, adds] {
            assert_eq!(answer.recv().unwrap(), Ok(()));
        }
        assert_eq!(stored(&store), [1, 4]);
        assert_eq!(reruns(&store), 0);
        assert_eq!(fail_runs.load(Ordering::SeqCst), 1);
    }

    /// A shared use case that panics fails its whole batch, and the writer goes on.
    #[test]
    fn a_panicking_shared_use_case_fails_its_batch() {
        let (_dir, store) = store();
        let store = Arc::new(store);
        let view = store.for_writer_thread();
        let (first, release) = held_use_case(&store, 1);
        let panics = queue_use_case(&store, move || {
            view.write(|conn| insert(conn, 2)).unwrap();
            panic!("a bug in a use case");
        });
        until_queued(&store, 1);
        release.send(()).unwrap();
        let first = first.recv().unwrap().unwrap_err();
        assert!(first.contains("did not commit"), "{first}");
        let panicked = panics.recv().unwrap().unwrap_err();
        assert!(panicked.contains("panicked"), "{panicked}");
        assert_eq!(stored(&store), Vec::<i64>::new());
        store.write(|conn| insert(conn, 4)).unwrap();
        assert_eq!(stored(&store), [4]);
    }

    /// Whole use cases on the writer thread, through its view of the store: each reads what the
    /// writes queued before it wrote in the same open batch, one that fails is undone alone, and
    /// all are answered once the batch has committed.
    #[test]
    fn queued_use_cases_see_their_batch_and_a_failed_one_is_undone_alone() {
        let (_dir, store) = store();
        let store = Arc::new(store);
        let view = store.for_writer_thread();
        let read_all = |view: &SqliteStore| {
            view.read(|conn| {
                let rows: Vec<i64> = diesel::sql_query("SELECT x FROM t ORDER BY x")
                    .load::<Row>(conn)?
                    .into_iter()
                    .map(|r| r.x)
                    .collect();
                Ok(rows)
            })
        };
        let (first, release) = held_write(&store);
        let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
        let adds = queue_use_case(&store, {
            let (view, seen) = (view.clone(), seen.clone());
            move || {
                seen.lock().unwrap().push(read_all(&view).unwrap());
                view.write(|conn| insert(conn, 2)).is_ok()
            }
        });
        let fails = queue_use_case(&store, {
            let view = view.clone();
            move || {
                view.write(|conn| insert(conn, 3)).unwrap();
                false
            }
        });
        let reads = queue_use_case(&store, {
            let (view, seen) = (view.clone(), seen.clone());
            move || {
                seen.lock().unwrap().push(read_all(&view).unwrap());
                true
            }
        });
        until_queued(&store, 3);
        assert!(
            adds.try_recv().is_err(),
            "not answered before its batch closed"
        );
        release.send(()).unwrap();
        first.join().unwrap().unwrap();
        for answer in [adds, fails, reads] {
            assert_eq!(answer.recv().unwrap(), Ok(()));
        }
        assert_eq!(*seen.lock().unwrap(), [vec![1], vec![1, 2]]);
        assert_eq!(stored(&store), [1, 2]);
        assert_eq!(store.writer().counts(), (4, 1), "one transaction");
        // Anywhere but on the writer thread, the view refuses to read or write.
        let refused = read_all(&view).unwrap_err().to_string();
        assert!(refused.contains("another thread"), "{refused}");
        assert!(view.write(|conn| insert(conn, 9)).is_err());
        assert_eq!(stored(&store), [1, 2]);
    }

    /// A queued use case that panics is answered with an error, its batch is rolled back, and
    /// the writer thread goes on.
    #[test]
    fn a_panicking_use_case_fails_its_batch_and_the_writer_goes_on() {
        let (_dir, store) = store();
        let store = Arc::new(store);
        let view = store.for_writer_thread();
        let (first, release) = held_write(&store);
        let panics = queue_use_case(&store, move || {
            view.write(|conn| insert(conn, 2)).unwrap();
            panic!("a bug in a use case");
        });
        until_queued(&store, 1);
        release.send(()).unwrap();
        assert!(first.join().unwrap().is_err());
        let answer = panics.recv().unwrap().unwrap_err();
        assert!(answer.contains("panicked"), "{answer}");
        assert_eq!(stored(&store), Vec::<i64>::new());
        store.write(|conn| insert(conn, 4)).unwrap();
        assert_eq!(stored(&store), [4]);
    }

    /// Frames in the write-ahead log (what a `PASSIVE` checkpoint reports finding).
    fn log_frames(store: &SqliteStore) -> i32 {
        #[derive(QueryableByName)]
        struct Checkpoint {
            #[diesel(sql_type = diesel::sql_types::Integer)]
            log: i32,
        }
        diesel::sql_query("PRAGMA wal_checkpoint(PASSIVE)")
            .get_result::<Checkpoint>(&mut store.conn().unwrap())
            .unwrap()
            .log
    }

    /// Under a steady stream of writes, a background checkpoint never catches up and the log
    /// would grow without end; the writer thread finishes it between two batches, and the log
    /// starts over.
    #[test]
    fn the_writer_finishes_the_checkpoint_so_the_log_starts_over() {
        let (_dir, store) = store();
        let store = Arc::new(store);
        for i in 0..1_500 {
            store.write(move |conn| insert(conn, i)).unwrap();
        }
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let writing = std::thread::spawn({
            let (store, stop) = (store.clone(), stop.clone());
            move || {
                while !stop.load(Ordering::Relaxed) {
                    store.write(|conn| insert(conn, -1)).unwrap();
                }
            }
        });
        // Measured while the writes go on. A round can miss its start when the store's own
        // background checkpointer holds the log at that moment: three tries.
        let mut frames = Vec::new();
        for _ in 0..3 {
            let finished = store.writer().checkpoints();
            crate::pool::checkpoint_round(store.pool(), store.writer(), store.kept());
            while store.writer().checkpoints() == finished {
                std::thread::yield_now();
            }
            let (_, batches) = store.writer().counts();
            while store.writer().counts().1 < batches + 2 {
                std::thread::yield_now();
            }
            frames.push(log_frames(&store));
            if frames.last().is_some_and(|&f| f < 1_000) {
                break;
            }
        }
        stop.store(true, Ordering::Relaxed);
        writing.join().unwrap();
        assert!(
            frames.iter().any(|&f| f < 1_000),
            "the log kept growing: {frames:?} frames"
        );
        assert!(
            store.kept().log.syncs() > 0,
            "the log is synced before the writer is asked to finish"
        );
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
