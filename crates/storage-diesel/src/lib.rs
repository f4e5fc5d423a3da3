//! Agent Kanban storage: Diesel + SQLite implementations of every port of `kanban-domain`.
//!
//! This crate owns the SQLite schema (`schema.rs`, matching `migrations/` at the workspace root,
//! which are embedded here), the row types and their conversion to and from the domain's types,
//! the r2d2 connection pool and the pragmas of its connections (`busy_timeout`, WAL,
//! `synchronous = NORMAL`, `foreign_keys = ON`). Every write runs in one `BEGIN IMMEDIATE`
//! transaction that applies the rows, their history rows and their events together, guarded by
//! compare-and-set on the rows' `version`.
//!
//! It depends on the domain, never the reverse: the domain must not depend on this crate, on
//! Diesel or on SQLite. It knows nothing about HTTP or configuration files; the server passes it
//! a path and a pool size.
//!
//! ```no_run
//! # fn main() -> Result<(), kanban_storage_diesel::StorageError> {
//! let store = kanban_storage_diesel::SqliteStore::connect("data/agent_kanban.db", 8)?;
//! store.run_migrations()?;
//! let repositories = store.repositories();
//! # drop(repositories);
//! store.checkpoint()?;
//! # Ok(())
//! # }
//! ```

mod boards;
mod comments;
mod error;
mod events;
mod fresh;
mod group_commit;
mod health;
mod history;
mod kept;
mod maintenance;
mod pool;
mod prepared;
#[cfg(test)]
mod query_plans;
mod rows;
mod schema;
mod sessions;
mod statistics;
mod stored_time;
mod tickets;
mod tokens;
mod users;

pub use error::StorageError;
pub use maintenance::{
    CheckReport, DatabaseLock, Inspection, LockError, check_connection, inspect,
    known_schema_versions, lock_path, row_counts, schema_version,
};
pub use pool::{MIGRATIONS, SqliteStore, StoreOptions, database_path};
