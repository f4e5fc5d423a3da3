//! Upkeep of the database file: online copies (`VACUUM INTO`), integrity and foreign-key checks,
//! `PRAGMA optimize` + `VACUUM` + WAL checkpoint, row counts and the schema version, and the
//! advisory lock file that tells a restore whether a server holds the database.

use crate::error::StorageError;
use crate::pool::{MIGRATIONS, SqliteStore, database_path};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Nullable, Text};
use std::collections::BTreeMap;
use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};

/// What `check` found: empty lists mean a healthy database.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CheckReport {
    /// The lines of `PRAGMA integrity_check` other than `ok`.
    pub integrity: Vec<String>,
    /// One line per row of `PRAGMA foreign_key_check`.
    pub foreign_keys: Vec<String>,
}

impl CheckReport {
    /// Whether nothing was found.
    pub fn is_clean(&self) -> bool {
        self.integrity.is_empty() && self.foreign_keys.is_empty()
    }
}

/// What a database file holds, for a backup manifest or a restore's verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inspection {
    pub check: CheckReport,
    /// The latest applied migration (`__diesel_schema_migrations`), if any.
    pub schema_version: Option<String>,
    /// Rows per table.
    pub row_counts: BTreeMap<String, i64>,
}

#[derive(QueryableByName)]
struct Line {
    #[diesel(sql_type = Text)]
    line: String,
}

#[derive(QueryableByName)]
struct Version {
    #[diesel(sql_type = Nullable<Text>)]
    version: Option<String>,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    count: i64,
}

#[derive(QueryableByName)]
struct Busy {
    #[diesel(sql_type = Integer)]
    busy: i32,
}

/// Runs the integrity and foreign-key checks on `conn`.
///
/// # Errors
/// `Query` when a check cannot run at all (a file that is not a database).
pub fn check_connection(conn: &mut SqliteConnection) -> Result<CheckReport, StorageError> {
    let integrity = diesel::sql_query("SELECT integrity_check AS line FROM pragma_integrity_check")
        .load::<Line>(conn)?
        .into_iter()
        .map(|l| l.line)
        .filter(|l| l != "ok")
        .collect();
    let foreign_keys = diesel::sql_query(
        "SELECT \"table\" || ' row ' || COALESCE(rowid, '?') || ' refers to a missing ' || parent \
         || ' (constraint ' || fkid || ')' AS line FROM pragma_foreign_key_check",
    )
    .load::<Line>(conn)?
    .into_iter()
    .map(|l| l.line)
    .collect();
    Ok(CheckReport {
        integrity,
        foreign_keys,
    })
}

/// The latest applied migration of `conn`'s database, `None` when it has never been migrated.
///
/// # Errors
/// `Query` when the database cannot be read.
pub fn schema_version(conn: &mut SqliteConnection) -> Result<Option<String>, StorageError> {
    let exists: Count = diesel::sql_query(
        "SELECT COUNT(*) AS count FROM sqlite_master \
         WHERE type = 'table' AND name = '__diesel_schema_migrations'",
    )
    .get_result(conn)?;
    if exists.count == 0 {
        return Ok(None);
    }
    let row: Version =
        diesel::sql_query("SELECT MAX(version) AS version FROM __diesel_schema_migrations")
            .get_result(conn)?;
    Ok(row.version)
}

/// The versions of the migrations this binary knows, oldest first.
///
/// # Errors
/// `Migration` when the embedded migrations cannot be listed.
pub fn known_schema_versions() -> Result<Vec<String>, StorageError> {
    let migrations =
        diesel::migration::MigrationSource::<diesel::sqlite::Sqlite>::migrations(&MIGRATIONS)
            .map_err(StorageError::Migration)?;
    Ok(migrations
        .iter()
        .map(|m| m.name().version().to_string())
        .collect())
}

/// Rows per user table of `conn`'s database.
///
/// # Errors
/// `Query` when a table cannot be counted.
pub fn row_counts(conn: &mut SqliteConnection) -> Result<BTreeMap<String, i64>, StorageError> {
    let tables = diesel::sql_query(
        "SELECT name AS line FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
         ORDER BY name",
    )
    .load::<Line>(conn)?;
    let mut counts = BTreeMap::new();
    for table in tables {
        let quoted = table.line.replace('"', "\"\"");
        let count: Count = diesel::sql_query(format!("SELECT COUNT(*) AS count FROM \"{quoted}\""))
            .get_result(conn)?;
        counts.insert(table.line, count.count);
    }
    Ok(counts)
}

/// Opens the database file at `path` on its own connection (no pool, no pragmas, no
/// migrations) and reports its integrity, schema version and row counts.
///
/// # Errors
/// `Connection` when the file cannot be opened, `Query` when it is not a readable database.
pub fn inspect(path: &Path) -> Result<Inspection, StorageError> {
    let url = path
        .to_str()
        .ok_or_else(|| StorageError::Config(format!("{} is not UTF-8", path.display())))?;
    let mut conn = SqliteConnection::establish(url)?;
    let check = check_connection(&mut conn)?;
    let schema_version = schema_version(&mut conn)?;
    let row_counts = row_counts(&mut conn)?;
    Ok(Inspection {
        check,
        schema_version,
        row_counts,
    })
}

impl SqliteStore {
    /// Writes a consistent copy of the database to `target` (which must not exist) with
    /// `VACUUM INTO`: one read transaction, so writers keep going while it runs.
    ///
    /// # Errors
    /// `Pool` when no connection is available, `Query` when the copy fails.
    pub fn backup_into(&self, target: &Path) -> Result<(), StorageError> {
        let path = target
            .to_str()
            .ok_or_else(|| StorageError::Config(format!("{} is not UTF-8", target.display())))?;
        let mut conn = self.pool().get()?;
        diesel::sql_query("VACUUM INTO ?")
            .bind::<Text, _>(path)
            .execute(&mut conn)?;
        Ok(())
    }

    /// `PRAGMA integrity_check` and `PRAGMA foreign_key_check` of the live database.
    ///
    /// # Errors
    /// `Pool` when no connection is available, `Query` when a check cannot run.
    pub fn check(&self) -> Result<CheckReport, StorageError> {
        let mut conn = self.pool().get()?;
        check_connection(&mut conn)
    }

    /// Rows per table, and the latest applied migration.
    ///
    /// # Errors
    /// `Pool` when no connection is available, `Query` when a table cannot be read.
    pub fn describe(&self) -> Result<(BTreeMap<String, i64>, Option<String>), StorageError> {
        let mut conn = self.pool().get()?;
        Ok((row_counts(&mut conn)?, schema_version(&mut conn)?))
    }

    /// `PRAGMA optimize`, `VACUUM`, then `PRAGMA wal_checkpoint(TRUNCATE)`. Returns whether the
    /// checkpoint completed (it does not while other connections read or write).
    ///
    /// # Errors
    /// `Pool` when no connection is available, `Query` when a statement fails.
    pub fn optimize(&self) -> Result<bool, StorageError> {
        let mut conn = self.pool().get()?;
        conn.batch_execute("PRAGMA optimize; VACUUM;")?;
        let outcome: Busy =
            diesel::sql_query("PRAGMA wal_checkpoint(TRUNCATE)").get_result(&mut conn)?;
        Ok(outcome.busy == 0)
    }
}

/// How a process holds `<database>.lock`: servers share it, a restore needs it alone.
#[derive(Debug)]
pub struct DatabaseLock {
    _file: File,
}

/// Why the lock file could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error("{0} is held by another process (a running server, or a restore)")]
    Held(String),
    #[error("cannot open the lock file {path}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

/// The lock file of the database at `database_url`: `<path>.lock`.
pub fn lock_path(database_url: &str) -> PathBuf {
    PathBuf::from(format!("{}.lock", database_path(database_url)))
}

impl DatabaseLock {
    /// A shared hold, as a server takes for its whole life. Never waits.
    ///
    /// # Errors
    /// `Held` while a restore holds the lock, `Io` when the file cannot be opened.
    pub fn shared(database_url: &str) -> Result<Self, LockError> {
        Self::take(database_url, false)
    }

    /// The only hold, as a restore takes. Never waits.
    ///
    /// # Errors
    /// `Held` while a server (or another restore) holds the lock, `Io` as for `shared`.
    pub fn exclusive(database_url: &str) -> Result<Self, LockError> {
        Self::take(database_url, true)
    }

    fn take(database_url: &str, exclusive: bool) -> Result<Self, LockError> {
        let path = lock_path(database_url);
        let shown = path.display().to_string();
        let io = |source| LockError::Io {
            path: shown.clone(),
            source,
        };
        if let Some(dir) = path.parent()
            && !dir.as_os_str().is_empty()
        {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(io)?;
        let taken = if exclusive {
            file.try_lock()
        } else {
            file.try_lock_shared()
        };
        match taken {
            Ok(()) => Ok(Self { _file: file }),
            Err(TryLockError::WouldBlock) => Err(LockError::Held(shown)),
            Err(TryLockError::Error(source)) => Err(io(source)),
        }
    }
}
