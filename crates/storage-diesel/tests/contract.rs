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
#[path = "contract/maintenance.rs"]
mod maintenance;

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
    assert!(store.run_migrations().unwrap() >= 1);
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
        kanban_domain::memory::crypto::insecure_crypto(),
        kanban_domain::services::AccountPolicy::default(),
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

/// Instants are stored as text of varying precision (`12:00:00`, `12:00:00.001`, microseconds);
/// they must read back exactly and compare as instants in SQL (`changed_at >= since`).
#[test]
fn timestamps_round_trip_and_compare_across_precisions() {
    use chrono::{TimeZone, Utc};
    use kanban_domain::board::NewBoard;
    use kanban_domain::ticket::NewTicket;
    use kanban_domain::values::{BoardName, Columns, LongText, Priority, TicketTitle};
    use kanban_domain::{Actor, Role};

    let dir = tempfile::tempdir().unwrap();
    let repos = open(&dir.path().join("k.db"), 2).repositories();
    let noon = Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap();
    let new = NewBoard {
        name: BoardName::parse("name", "Times").unwrap(),
        description: LongText::empty(),
        columns: Columns::defaults(),
        at: noon,
    };
    let board = repos
        .boards
        .create(&new, Box::new(|_| Vec::new()))
        .unwrap()
        .value
        .board;
    assert_eq!(
        repos
            .boards
            .get(board.id)
            .unwrap()
            .unwrap()
            .board
            .created_at,
        noon
    );
    let ms = chrono::Duration::milliseconds;
    let instants = [
        noon - ms(1),
        noon,
        noon + ms(1),
        noon + chrono::Duration::microseconds(1_500),
        noon + ms(100),
        noon + chrono::Duration::seconds(1),
    ];
    for (n, at) in instants.iter().enumerate() {
        let new = NewTicket {
            board_id: board.id,
            title: TicketTitle::parse("title", &format!("t{n}")).unwrap(),
            description: LongText::empty(),
            acceptance_criteria: LongText::empty(),
            priority: Priority::default(),
            assignee: None,
            current_column: board.columns.first().clone(),
            at: *at,
        };
        let effects = |t: &kanban_domain::Ticket| kanban_domain::ports::Effects {
            history: NewTicket::history(t, &Actor::new("ann", Role::Pm)),
            events: Vec::new(),
        };
        let ticket = repos
            .tickets
            .create(&new, board.version, Box::new(effects))
            .unwrap()
            .value;
        let stored = repos.tickets.get(ticket.id).unwrap().unwrap();
        assert_eq!(stored.created_at, *at);
        assert_eq!(stored.column_entered_at, *at);
    }
    for (n, since) in instants.iter().enumerate() {
        let counts = repos.history.change_counts(*since).unwrap();
        assert_eq!(counts.total as usize, instants.len() - n, "since {since}");
        let activity = repos.history.board_activity(board.id, *since, 100).unwrap();
        assert_eq!(activity.len(), instants.len() - n, "since {since}");
    }
    let newest = repos.history.board_activity(board.id, noon, 100).unwrap();
    let titles: Vec<&str> = newest.iter().map(|(_, title)| title.as_str()).collect();
    assert_eq!(titles, ["t5", "t4", "t3", "t2", "t1"]);
}
