//! The storage ports' contract suite against SQLite, plus what only a real database can show:
//! concurrent writers through the pool, rollback of failed changes, migrations and WAL upkeep.
//! Every test gets fresh database files in its own temporary directory.

#![cfg(test)]

use kanban_domain::ports::Repositories;
use kanban_storage_diesel::{SqliteStore, StorageError, StoreOptions};
use std::path::Path;
use std::sync::atomic::{AtomicU32, Ordering};

#[path = "contract/concurrency.rs"]
mod concurrency;

/// Opens a migrated store on a new file at `path`.
fn open(path: &Path, pool_size: u32) -> SqliteStore {
    let url = path.to_str().expect("utf-8 temp path");
    let store = SqliteStore::connect(url, pool_size).expect("connect");
    store.run_migrations().expect("migrations");
    store
}

/// A factory of fresh, migrated databases, one file per call, in a temporary directory that is
/// removed when the factory is dropped.
fn sqlite() -> impl Fn() -> Repositories {
    let dir = tempfile::tempdir().expect("temporary directory");
    let next = AtomicU32::new(0);
    move || {
        let n = next.fetch_add(1, Ordering::Relaxed);
        open(&dir.path().join(format!("kanban-{n}.db")), 4).repositories()
    }
}

kanban_domain::contract_tests!(sqlite());

#[test]
fn migrations_run_once_and_create_the_parent_directory() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested/deeper/kanban.db");
    let store = SqliteStore::connect(path.to_str().unwrap(), 2).unwrap();
    assert_eq!(store.run_migrations().unwrap(), 1);
    assert_eq!(store.run_migrations().unwrap(), 0);
    assert!(path.exists());
    drop(store);
    let reopened = SqliteStore::connect(path.to_str().unwrap(), 2).unwrap();
    assert_eq!(reopened.run_migrations().unwrap(), 0);
}

#[test]
fn in_memory_databases_and_empty_pools_are_refused() {
    for url in [":memory:", "file::memory:?cache=shared", ""] {
        let result = SqliteStore::connect(url, 2);
        assert!(matches!(result, Err(StorageError::Config(_))), "{url}");
    }
    let dir = tempfile::tempdir().unwrap();
    let url = dir.path().join("k.db");
    let result = SqliteStore::connect(url.to_str().unwrap(), 0);
    assert!(matches!(result, Err(StorageError::Config(_))));
}

#[test]
fn writes_go_to_the_wal_and_checkpoint_truncates_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kanban.db");
    let store = open(&path, 2);
    let repos = store.repositories();
    let services = kanban_domain::services::Services::new(
        repos.clone(),
        std::sync::Arc::new(kanban_domain::SystemClock),
    );
    services.boards.ensure_first_board().unwrap();
    let wal = dir.path().join("kanban.db-wal");
    assert!(
        wal.metadata().unwrap().len() > 0,
        "WAL mode keeps a write-ahead log"
    );
    store.checkpoint().unwrap();
    assert_eq!(wal.metadata().unwrap().len(), 0);
    assert_eq!(repos.boards.list().unwrap().len(), 1);
}

#[test]
fn options_are_honoured() {
    let dir = tempfile::tempdir().unwrap();
    let url = dir.path().join("k.db");
    let options = StoreOptions {
        pool_size: 1,
        busy_timeout: std::time::Duration::from_millis(250),
        ..StoreOptions::default()
    };
    let store = SqliteStore::connect_with(url.to_str().unwrap(), options).unwrap();
    store.run_migrations().unwrap();
    assert!(format!("{store:?}").contains("connections: 1"));
}
