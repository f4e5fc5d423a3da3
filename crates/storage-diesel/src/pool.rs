//! The connection pool: every connection gets the pragmas the store relies on, and every port
//! method runs as one unit of work on one pooled connection.

use crate::error::{Failure, StorageError, Work};
use crate::fresh::Fresh;
use crate::group_commit::GroupCommit;
use crate::kept::Kept;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::{ConnectionManager, CustomizeConnection, Pool, PooledConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
use kanban_domain::StoreError;
use kanban_domain::ports::{QueuedUseCase, Repositories, WriteQueue};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// The SQL migrations of `migrations/` at the workspace root, compiled into the binary.
pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations");

pub(crate) type Manager = ConnectionManager<SqliteConnection>;

/// How the pool is sized and how long a writer waits for the database lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreOptions {
    /// Connections in the pool (at least 1).
    pub pool_size: u32,
    /// How long a statement waits for another writer's lock before failing (`busy_timeout`).
    pub busy_timeout: Duration,
    /// How long a caller waits for a free pooled connection.
    pub connection_timeout: Duration,
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self {
            pool_size: 8,
            busy_timeout: Duration::from_secs(5),
            connection_timeout: Duration::from_secs(30),
        }
    }
}

/// The pragmas every pooled connection runs with. `busy_timeout` comes first so that switching
/// to WAL waits for a concurrent opener instead of failing. `temp_store = MEMORY` keeps the
/// journal of a write's savepoint (group commit runs each write in one) in memory: by default it
/// spills to a temporary file past 64 KiB, and its `pwrite` calls were 15 % of the writer's time.
/// `journal_size_limit` truncates the write-ahead log to [`WAL_SIZE_LIMIT`] when it starts over,
/// so the disk space a burst of writes took is given back.
#[derive(Debug, Clone, Copy)]
struct Pragmas {
    busy_timeout: Duration,
}

impl Pragmas {
    fn apply(self, conn: &mut SqliteConnection) -> QueryResult<()> {
        conn.batch_execute(&format!(
            "PRAGMA busy_timeout = {};
             PRAGMA journal_mode = WAL;
             PRAGMA synchronous = NORMAL;
             PRAGMA foreign_keys = ON;
             PRAGMA wal_autocheckpoint = 0;
             PRAGMA journal_size_limit = {};
             PRAGMA temp_store = MEMORY;",
            self.busy_timeout.as_millis(),
            WAL_SIZE_LIMIT
        ))
    }
}

impl CustomizeConnection<SqliteConnection, diesel::r2d2::Error> for Pragmas {
    fn on_acquire(&self, conn: &mut SqliteConnection) -> Result<(), diesel::r2d2::Error> {
        self.apply(conn).map_err(diesel::r2d2::Error::QueryError)
    }
}

/// The row `PRAGMA wal_checkpoint` answers.
#[derive(Debug, QueryableByName)]
struct Checkpoint {
    #[diesel(sql_type = diesel::sql_types::Integer)]
    busy: i32,
    #[diesel(sql_type = diesel::sql_types::Integer)]
    log: i32,
    #[diesel(sql_type = diesel::sql_types::Integer)]
    checkpointed: i32,
}

/// Which threads a handle of the store is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    /// Any thread that may wait: reads take a pooled connection, writes wait for their batch.
    Anywhere,
    /// The HTTP worker threads ([`SqliteStore::for_worker_threads`]): reads only.
    WorkerThreads,
    /// The use cases the writer thread runs ([`SqliteStore::for_writer_thread`]): reads and
    /// writes on its connection, inside its open batch.
    WriterThread,
}

/// The SQLite store: a pool of connections to one database file, implementing every port.
#[derive(Clone)]
pub struct SqliteStore {
    pool: Pool<Manager>,
    /// Where reads take their connection: `pool`, or, for the store of the HTTP worker threads
    /// ([`SqliteStore::for_worker_threads`]), a pool of one connection per worker thread.
    reads: Pool<Manager>,
    /// Which threads use this handle, and so where its reads and writes run.
    place: Place,
    /// The pragmas of every connection, for the worker threads' pool.
    pragmas: Pragmas,
    /// The writer thread of this process: every write is queued to it, and the writes queued
    /// together share a transaction and its commit (see `group_commit`). SQLite admits one
    /// writer at a time anyway; one thread running them back to back never waits for SQLite's
    /// busy handler, which polls with sleeps of up to 100 ms. (`busy_timeout` still covers
    /// writers of other processes, such as the CLI.)
    writer: Arc<GroupCommit>,
    /// The database file, for health checks of its size.
    path: Arc<std::path::PathBuf>,
    /// Descriptors of the database's files: reads answered from memory while the database is
    /// unchanged, the database file the checkpointer syncs. Last, so that they are closed after
    /// the pools' connections (see `kept`).
    kept: Arc<Kept>,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = self.pool.state();
        f.debug_struct("SqliteStore")
            .field("connections", &state.connections)
            .field("idle_connections", &state.idle_connections)
            .finish()
    }
}

/// The file path inside `database_url`: a plain path, or the `sqlite://` URLs older
/// configurations use (`sqlite:///./data/kanban.db`, `sqlite:////var/lib/kanban.db`).
pub fn database_path(database_url: &str) -> &str {
    database_url
        .strip_prefix("sqlite:///")
        .or_else(|| database_url.strip_prefix("sqlite://"))
        .unwrap_or(database_url)
}

/// The page cache of the writer thread's connection (KiB; SQLite's default is 2,000). Every write
/// use case reads and writes through it, and unlike a pooled connection's, a commit does not
/// empty it (the writer made the changes itself); at the default size, pages of the tickets, their
/// indexes and the history were read back from the file on every write. It fills as it is used.
const WRITER_CACHE_KIB: u32 = 8 * 1024;

/// What the write-ahead log is cut back to when it starts over (bytes).
const WAL_SIZE_LIMIT: u64 = 64 * 1024 * 1024;

/// How often the background checkpointer copies the write-ahead log into the database file: the
/// log grows by what is committed meanwhile (at most about 40 MB under a stream of single writes,
/// whose commits write 60 KB each).
const CHECKPOINT_EVERY: Duration = Duration::from_millis(250);

/// A log this long after a background checkpoint (4 MiB of frames) is not starting over on its
/// own: the writer thread is asked to finish the checkpoint.
const LONG_LOG_FRAMES: i32 = 1_000;

/// A pool of `size` connections with `pragmas`, kept open for the life of the store: a local
/// SQLite connection does not go stale, so none is tested on checkout (a `SELECT 1` each time) or
/// closed for its age or idleness. Closing them all at once (as r2d2 does with connections of the
/// same age) would close the database in this process: SQLite would then delete the WAL index
/// file `fresh` reads, and start a new one.
fn pool_builder(
    size: u32,
    connection_timeout: Duration,
    pragmas: Pragmas,
) -> diesel::r2d2::Builder<Manager> {
    Pool::builder()
        .max_size(size)
        .connection_timeout(connection_timeout)
        .test_on_check_out(false)
        .idle_timeout(None)
        .max_lifetime(None)
        .connection_customizer(Box::new(pragmas))
}

/// One round of the background checkpointer: a `PASSIVE` checkpoint, which never waits for
/// readers or writers, and a sync of the pages it copied into the database file (see
/// `kept::DatabaseFile`). When the log it found was long, it goes again at once (copying what was
/// appended meanwhile, much less) and then asks the writer thread to finish it between two
/// batches (see `group_commit::finish_checkpoint`), having synced the log first (see
/// `kept::LogFile`), so that what is left for the writer, with the `fsync`s, is what was appended
/// since then.
pub(crate) fn checkpoint_round(pool: &Pool<Manager>, writer: &GroupCommit, kept: &Kept) {
    let Ok(mut conn) = pool.get() else {
        return;
    };
    let mut checkpoint = || {
        diesel::sql_query("PRAGMA wal_checkpoint(PASSIVE)")
            .get_result::<Checkpoint>(&mut conn)
            .inspect(|outcome| kept.database.after_checkpoint(outcome.checkpointed))
            .inspect_err(|error| tracing::warn!(%error, "background WAL checkpoint failed"))
    };
    if let Ok(outcome) = checkpoint()
        && outcome.log >= LONG_LOG_FRAMES
        && checkpoint().is_ok()
    {
        kept.log.before_finish();
        writer.finish_checkpoint();
    }
}

/// Checkpoints the WAL in the background, so no request pays for it. SQLite's automatic
/// checkpoint (turned off on pooled connections) would run inside whichever commit crossed 1,000
/// pages, copying and syncing the database file before that request could answer. The thread
/// ends within [`CHECKPOINT_EVERY`] of the last handle of the store being dropped (`alive` then
/// no longer upgrades), closing its handle of the pool before its handle of `kept`.
fn spawn_checkpointer(pool: Pool<Manager>, alive: std::sync::Weak<GroupCommit>, kept: Arc<Kept>) {
    let spawned = std::thread::Builder::new()
        .name("wal-checkpoint".to_owned())
        .spawn(move || {
            loop {
                std::thread::sleep(CHECKPOINT_EVERY);
                let Some(writer) = alive.upgrade() else {
                    break;
                };
                checkpoint_round(&pool, &writer, &kept);
                kept.fresh.check();
            }
            drop(pool);
            drop(kept);
        });
    if let Err(error) = spawned {
        tracing::warn!(%error, "no background WAL checkpoints: the log grows until shutdown");
    }
}

impl SqliteStore {
    /// Opens (creating if needed) the database file at `database_url` with `pool_size`
    /// connections and the default timeouts. Does not run migrations.
    ///
    /// # Errors
    /// See [`SqliteStore::connect_with`].
    pub fn connect(database_url: &str, pool_size: u32) -> Result<Self, StorageError> {
        Self::connect_with(
            database_url,
            StoreOptions {
                pool_size,
                ..StoreOptions::default()
            },
        )
    }

    /// Opens (creating if needed) the database file at `database_url`, creating its directory
    /// when missing, switches it to WAL mode and builds the pool. Does not run migrations.
    ///
    /// # Errors
    /// `Config` for `:memory:` (each pooled connection would see its own empty database) or a
    /// zero pool size, `Directory` when the parent directory cannot be created, `Connection` or
    /// `Pool` when the file cannot be opened.
    pub fn connect_with(database_url: &str, options: StoreOptions) -> Result<Self, StorageError> {
        let path = database_path(database_url);
        if path.is_empty() || path.contains(":memory:") || path.contains("mode=memory") {
            return Err(StorageError::Config(format!(
                "'{database_url}' is not a database file; the pooled SQLite store needs a file path"
            )));
        }
        if options.pool_size == 0 {
            return Err(StorageError::Config("pool_size must be at least 1".into()));
        }
        // `file:` URIs are passed to SQLite as they are; plain paths get their directory.
        if let Some(dir) = Path::new(path).parent()
            && !dir.as_os_str().is_empty()
            && !path.starts_with("file:")
        {
            std::fs::create_dir_all(dir).map_err(|source| StorageError::Directory {
                path: dir.display().to_string(),
                source,
            })?;
        }
        let pragmas = Pragmas {
            busy_timeout: options.busy_timeout,
        };
        // WAL mode is a property of the file: set it once on a single connection so the pool's
        // connections, opened in parallel, do not race to switch it.
        let mut first = SqliteConnection::establish(path)?;
        pragmas.apply(&mut first)?;
        drop(first);
        let pool = pool_builder(options.pool_size, options.connection_timeout, pragmas)
            .build(Manager::new(path))?;
        let kept = Arc::new(Kept::default());
        let writer_path = path.to_owned();
        // The writer thread drops its connection before this closure, and with it this handle.
        let writer_kept = kept.clone();
        let writer = GroupCommit::start(Box::new(move || {
            let _closed_after_the_connection = &writer_kept;
            let mut conn = SqliteConnection::establish(&writer_path).map_err(|e| e.to_string())?;
            pragmas.apply(&mut conn).map_err(|e| e.to_string())?;
            conn.batch_execute(&format!("PRAGMA cache_size = -{WRITER_CACHE_KIB};"))
                .map_err(|e| e.to_string())?;
            Ok(conn)
        }))
        .map_err(StorageError::Writer)?;
        let writer = Arc::new(writer);
        spawn_checkpointer(pool.clone(), Arc::downgrade(&writer), kept.clone());
        // The pool's connections are open: the files are the ones they use.
        if !path.starts_with("file:") {
            kept.open(Path::new(path));
        }
        Ok(Self {
            reads: pool.clone(),
            pool,
            place: Place::Anywhere,
            pragmas,
            writer,
            path: Arc::new(std::path::PathBuf::from(path)),
            kept,
        })
    }

    /// The same database for the HTTP server's `workers` threads to read from directly, without
    /// a hop to the blocking pool: reads take one of `workers` connections of their own, opened
    /// with the same pragmas. A worker thread runs one read at a time, from start to end, so with
    /// one connection per worker a read never waits for a connection; should one be missing all
    /// the same (more threads than `workers`), the read takes one from the shared pool. In WAL
    /// mode a read does not wait for writers either. Writes are refused: they wait for their
    /// turn and their batch's commit, which must not hold up a worker thread.
    ///
    /// # Errors
    /// `Config` for zero workers, `Pool` when the connections cannot be opened.
    pub fn for_worker_threads(&self, workers: u32) -> Result<Self, StorageError> {
        if workers == 0 {
            return Err(StorageError::Config("workers must be at least 1".into()));
        }
        let path = self.path.to_string_lossy().into_owned();
        let reads = pool_builder(workers, Duration::from_secs(5), self.pragmas)
            .build(Manager::new(path))?;
        Ok(Self {
            reads,
            place: Place::WorkerThreads,
            ..self.clone()
        })
    }

    /// The same database for whole write use cases run on the writer thread (see
    /// [`WriteQueue`]): their reads and writes run on the writer's connection, inside the batch
    /// open at the time, so they see the writes queued before them. Used on any other thread,
    /// every read and write of this view fails.
    #[must_use]
    pub fn for_writer_thread(&self) -> Self {
        Self {
            place: Place::WriterThread,
            ..self.clone()
        }
    }

    /// Whether this is the writer thread's view (`for_writer_thread`).
    pub(crate) fn is_writer_thread_view(&self) -> bool {
        self.place == Place::WriterThread
    }

    /// Runs the embedded migrations not yet applied; returns how many ran.
    ///
    /// # Errors
    /// `Pool` when no connection is available, `Migration` when a migration fails.
    pub fn run_migrations(&self) -> Result<usize, StorageError> {
        let mut conn = self.pool.get()?;
        let applied = conn
            .run_pending_migrations(MIGRATIONS)
            .map_err(StorageError::Migration)?;
        Ok(applied.len())
    }

    /// Copies the write-ahead log into the database file and truncates it; call on shutdown.
    ///
    /// # Errors
    /// `Pool` when no connection is available, `Query` when the checkpoint fails.
    pub fn checkpoint(&self) -> Result<(), StorageError> {
        let mut conn = self.pool.get()?;
        let outcome: Checkpoint =
            diesel::sql_query("PRAGMA wal_checkpoint(TRUNCATE)").get_result(&mut conn)?;
        if outcome.busy != 0 {
            // Readers or writers still held the database; the log is kept and replayed on open.
            tracing::warn!(
                wal_frames = outcome.log,
                checkpointed_frames = outcome.checkpointed,
                "WAL checkpoint could not complete"
            );
        }
        Ok(())
    }

    /// The store as the set of ports the services take.
    pub fn repositories(&self) -> Repositories {
        Repositories::of(Arc::new(self.clone()))
    }

    pub(crate) fn pool(&self) -> &Pool<Manager> {
        &self.pool
    }

    #[cfg(test)]
    pub(crate) fn pool_for_tests(&self) -> &Pool<Manager> {
        &self.pool
    }

    pub(crate) fn writer(&self) -> &GroupCommit {
        &self.writer
    }

    /// The database file.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// The descriptors of the database's files.
    #[cfg(test)]
    pub(crate) fn kept(&self) -> &Kept {
        &self.kept
    }

    /// Reads answered from memory while the database is unchanged, for the views that read
    /// committed state (not the writer thread's, whose reads see its open batch).
    pub(crate) fn fresh(&self) -> Option<&Fresh> {
        (self.place != Place::WriterThread).then_some(&self.kept.fresh)
    }

    pub(crate) fn conn(&self) -> Result<PooledConnection<Manager>, StoreError> {
        self.pool.get().map_err(StoreError::internal)
    }

    /// Runs `work` on the writer thread in a `BEGIN IMMEDIATE` transaction, shared with the
    /// writes queued at the same time (group commit): the write lock is taken up front (waiting up
    /// to `busy_timeout` for it), so a write never fails half-way on a lock upgrade; everything
    /// `work` wrote is rolled back when it returns an error; and this returns only once its
    /// transaction has committed. `work` owns what it writes: it runs on another thread.
    pub(crate) fn write<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut SqliteConnection) -> Work<T> + Send + 'static,
    {
        match self.place {
            Place::Anywhere => self.writer.write(work),
            Place::WorkerThreads => Err(StoreError::internal(std::io::Error::other(
                "a write was started on an HTTP worker thread; writes run on the blocking pool",
            ))),
            Place::WriterThread => self
                .writer
                .write_on_this_thread(work)
                .unwrap_or_else(|| Err(Self::not_the_writer_thread())),
        }
    }

    /// Runs `work` on the writer thread's connection: this must be that thread.
    fn on_writer_thread<T>(
        &self,
        work: impl FnOnce(&mut SqliteConnection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.writer
            .on_this_thread(work)
            .unwrap_or_else(|| Err(Self::not_the_writer_thread()))
    }

    fn not_the_writer_thread() -> StoreError {
        StoreError::internal(std::io::Error::other(
            "the writer thread's view of the store was used on another thread",
        ))
    }

    /// Runs `work` in one read transaction, so its queries see one snapshot.
    pub(crate) fn read<T>(
        &self,
        work: impl FnOnce(&mut SqliteConnection) -> Work<T>,
    ) -> Result<T, StoreError> {
        if self.place == Place::WriterThread {
            // Inside the writer's open transaction already, which is one snapshot.
            return self.read_statement(work);
        }
        self.read_statement(|conn| conn.transaction(work))
    }

    /// Runs `work`, one single statement, without `BEGIN` and `COMMIT`: SQLite runs a statement
    /// outside a transaction in a read transaction of its own, which sees one snapshot just the
    /// same. The two extra statements were 7 % of the CPU of single-ticket reads.
    pub(crate) fn read_statement<T>(
        &self,
        work: impl FnOnce(&mut SqliteConnection) -> Work<T>,
    ) -> Result<T, StoreError> {
        if self.place == Place::WriterThread {
            return self.on_writer_thread(|conn| work(conn).map_err(|failure: Failure| failure.0));
        }
        let mut conn = self.read_connection()?;
        work(&mut conn).map_err(|failure: Failure| failure.0)
    }

    fn read_connection(&self) -> Result<PooledConnection<Manager>, StoreError> {
        match self.reads.try_get() {
            Some(conn) => Ok(conn),
            None => self.conn(),
        }
    }
}

/// Whole write use cases run on the writer thread, between the writes queued with them: the
/// caller waits for no thread (see `group_commit`).
impl WriteQueue for SqliteStore {
    fn queue(&self, job: Box<dyn QueuedUseCase>) -> Result<(), StoreError> {
        self.writer.queue(job)
    }
}

#[cfg(test)]
mod tests {
    use super::{MIGRATIONS, SqliteStore, database_path};
    use diesel::connection::SimpleConnection;
    use diesel_migrations::MigrationHarness;

    /// How many migrations are embedded (counted, so adding one needs no test change).
    fn migration_count() -> usize {
        diesel::migration::MigrationSource::<diesel::sqlite::Sqlite>::migrations(&MIGRATIONS)
            .unwrap()
            .len()
    }

    #[test]
    fn migrations_revert_cleanly_and_reapply() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k.db");
        let store = SqliteStore::connect(path.to_str().unwrap(), 1).unwrap();
        assert_eq!(store.run_migrations().unwrap(), migration_count());
        let mut conn = store.pool_for_tests().get().unwrap();
        conn.revert_all_migrations(MIGRATIONS).unwrap();
        // Every table is gone, so creating one of the same name works again.
        conn.batch_execute("CREATE TABLE tickets (x); DROP TABLE tickets;")
            .unwrap();
        drop(conn);
        assert_eq!(store.run_migrations().unwrap(), migration_count());
    }

    /// The history chain's migration links the rows already there, ticket by ticket, keeps the
    /// id counter, and from then on its triggers link every new row and refuse one of no ticket.
    #[test]
    fn the_history_of_a_database_before_the_chain_is_linked_by_its_migration() {
        use diesel::prelude::*;
        use diesel::sql_types::{BigInt, Nullable};
        use kanban_domain::TicketId;
        #[derive(Debug, QueryableByName, PartialEq)]
        struct Link {
            #[diesel(sql_type = BigInt)]
            id: i64,
            #[diesel(sql_type = Nullable<BigInt>)]
            previous: Option<i64>,
        }
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::connect(dir.path().join("k.db").to_str().unwrap(), 1).unwrap();
        store.run_migrations().unwrap();
        let mut conn = store.pool_for_tests().get().unwrap();
        conn.revert_last_migration(MIGRATIONS).unwrap();
        let at = "'2026-11-01 10:00:00.000'";
        conn.batch_execute(&format!(
            "INSERT INTO boards (id, name, created_at, updated_at) VALUES (1, 'b', {at}, {at});
             INSERT INTO tickets (id, board_id, title, current_column, created_at, updated_at,
                                  column_entered_at)
             VALUES (1, 1, 'one', 'Todo', {at}, {at}, {at}), (2, 1, 'two', 'Todo', {at}, {at}, {at});
             INSERT INTO ticket_history (id, ticket_id, field_name, changed_by, changed_at) VALUES
                 (1, 1, 'status', 'ann', '2026-11-01 10:00:01.000'),
                 (2, 2, 'status', 'ann', '2026-11-01 10:00:02.000'),
                 (3, 1, 'title', 'ann', '2026-11-01 10:00:03.000'),
                 (4, 1, 'column', 'ann', '2026-11-01 10:00:04.000'),
                 (5, 2, 'column', 'ann', '2026-11-01 10:00:05.000'),
                 (6, 2, 'title', 'ann', '2026-11-01 10:00:06.000');
             DELETE FROM ticket_history WHERE id = 6;"
        ))
        .unwrap();
        drop(conn);
        assert_eq!(store.run_migrations().unwrap(), 1);
        let mut conn = store.pool_for_tests().get().unwrap();
        let links = |conn: &mut SqliteConnection| {
            diesel::sql_query("SELECT id, previous_id AS previous FROM ticket_history ORDER BY id")
                .load::<Link>(conn)
                .unwrap()
        };
        let link = |id, previous| Link { id, previous };
        assert_eq!(
            links(&mut conn),
            [
                link(1, None),
                link(2, None),
                link(3, Some(1)),
                link(4, Some(3)),
                link(5, Some(2))
            ]
        );
        let heads = diesel::sql_query(
            "SELECT last_history_id AS id, NULL AS previous FROM tickets ORDER BY id",
        )
        .load::<Link>(&mut conn)
        .unwrap();
        assert_eq!(heads, [link(4, None), link(5, None)]);

        // Id 6 was given out before: the next row is 7, linked by the trigger.
        conn.batch_execute(
            "INSERT INTO ticket_history (ticket_id, field_name, changed_by, changed_at)
             VALUES (1, 'priority', 'bob', '2026-11-01 10:00:07.000')",
        )
        .unwrap();
        assert_eq!(links(&mut conn).last(), Some(&link(7, Some(4))));
        let refused = conn.batch_execute(
            "INSERT INTO ticket_history (ticket_id, field_name, changed_by, changed_at)
             VALUES (9, 'priority', 'bob', '2026-11-01 10:00:08.000')",
        );
        assert!(refused.is_err(), "a row of no ticket is refused");
        drop(conn);

        let history =
            kanban_domain::ports::HistoryRepository::for_ticket(&store, TicketId::new(1), None, 10)
                .unwrap();
        let ids: Vec<i64> = history.iter().map(|entry| entry.id.get()).collect();
        assert_eq!(ids, [7, 4, 3, 1], "newest first, along the chain");
    }

    #[test]
    fn the_worker_threads_store_reads_what_was_committed_and_refuses_writes() {
        use kanban_domain::board::NewBoard;
        use kanban_domain::values::{BoardName, Columns, LongText};
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::connect(dir.path().join("k.db").to_str().unwrap(), 2).unwrap();
        store.run_migrations().unwrap();
        let workers = store.for_worker_threads(2).unwrap();
        let new = NewBoard {
            name: BoardName::parse("name", "Work").unwrap(),
            description: LongText::empty(),
            columns: Columns::parse("columns", &["To do".to_owned(), "Done".to_owned()]).unwrap(),
            at: chrono::Utc::now(),
        };
        let (main, on_workers) = (store.repositories(), workers.repositories());
        let created = main
            .boards
            .create(&new, Box::new(|_| Vec::new()))
            .unwrap()
            .value;
        let read = on_workers.boards.get(created.board.id).unwrap().unwrap();
        assert_eq!(read.board.name.as_str(), "Work");
        // Both connections of the worker threads' pool in use: a read still gets one.
        let (_a, _b) = (workers.reads.get().unwrap(), workers.reads.get().unwrap());
        assert_eq!(on_workers.boards.list().unwrap().len(), 1);
        let refused = on_workers
            .boards
            .create(&new, Box::new(|_| Vec::new()))
            .unwrap_err();
        assert!(refused.to_string().contains("worker thread"), "{refused}");
        assert_eq!(main.boards.list().unwrap().len(), 1, "nothing written");
        assert!(SqliteStore::for_worker_threads(&store, 0).is_err());
    }

    #[test]
    fn connections_run_with_the_pragmas() {
        use diesel::prelude::*;
        #[derive(QueryableByName)]
        struct Value {
            #[diesel(sql_type = diesel::sql_types::Text)]
            value: String,
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k.db");
        let store = SqliteStore::connect(path.to_str().unwrap(), 2).unwrap();
        let mut conn = store.pool_for_tests().get().unwrap();
        let mut pragma = |name: &str| {
            diesel::sql_query(format!(
                "SELECT CAST((SELECT * FROM pragma_{name}) AS TEXT) AS value"
            ))
            .get_result::<Value>(&mut *conn)
            .unwrap()
            .value
        };
        assert_eq!(pragma("journal_mode"), "wal");
        assert_eq!(pragma("foreign_keys"), "1");
        assert_eq!(pragma("synchronous"), "1", "NORMAL");
        assert_eq!(pragma("busy_timeout"), "5000");
        assert_eq!(pragma("temp_store"), "2", "MEMORY");
        assert_eq!(pragma("journal_size_limit"), "67108864", "64 MiB");
    }

    /// The bundled SQLite is built with the options of `.cargo/config.toml` (`LIBSQLITE3_FLAGS`).
    #[test]
    fn sqlite_is_built_for_one_thread_per_connection() {
        use diesel::prelude::*;
        #[derive(QueryableByName)]
        struct CompileOption {
            #[diesel(sql_type = diesel::sql_types::Text)]
            compile_options: String,
        }
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::connect(dir.path().join("k.db").to_str().unwrap(), 1).unwrap();
        let options: Vec<String> =
            diesel::sql_query("SELECT compile_options FROM pragma_compile_options")
                .load::<CompileOption>(&mut *store.pool_for_tests().get().unwrap())
                .unwrap()
                .into_iter()
                .map(|o| o.compile_options)
                .collect();
        assert!(options.iter().any(|o| o == "THREADSAFE=2"), "{options:?}");
        assert!(
            options.iter().any(|o| o == "DEFAULT_MEMSTATUS=0"),
            "{options:?}"
        );
        assert!(!options.iter().any(|o| o == "ENABLE_STAT4"), "{options:?}");
        // Plans never depend on bound values, so statements with `LIMIT ?` stay prepared.
        assert!(options.iter().any(|o| o == "ENABLE_QPSG"), "{options:?}");
    }

    #[test]
    fn database_urls_become_paths() {
        assert_eq!(database_path("data/kanban.db"), "data/kanban.db");
        assert_eq!(
            database_path("sqlite:///./data/kanban.db"),
            "./data/kanban.db"
        );
        assert_eq!(database_path("sqlite:////var/lib/k.db"), "/var/lib/k.db");
        assert_eq!(database_path("sqlite://k.db"), "k.db");
    }
}
