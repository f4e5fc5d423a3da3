//! Backups and restores end to end on temporary files: rotation, the round trip, and the
//! refusals that leave the database untouched.

use crate::backup::{list, manifest_path, take};
use crate::restore::{RestoreError, restore};
use chrono::{DateTime, Duration, TimeZone, Utc};
use kanban_domain::Actor;
use kanban_domain::SystemClock;
use kanban_domain::services::{BoardService, NewBoardInput};
use kanban_domain::values::{BoardName, LongText};
use kanban_storage_diesel::{DatabaseLock, SqliteStore};
use std::path::{Path, PathBuf};
use std::sync::Arc;

fn at(second: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0).unwrap() + Duration::seconds(second)
}

fn store(path: &Path) -> SqliteStore {
    let store = SqliteStore::connect(path.to_str().unwrap(), 2).unwrap();
    store.run_migrations().unwrap();
    store
}

fn add_board(store: &SqliteStore, name: &str) {
    let boards = BoardService::new(&store.repositories(), Arc::new(SystemClock));
    let input = NewBoardInput {
        name: BoardName::parse("name", name).unwrap(),
        description: LongText::empty(),
        columns: None,
    };
    boards.create(&Actor::system(), &input).unwrap();
}

fn board_names(database: &Path) -> Vec<String> {
    let store = store(database);
    let boards = BoardService::new(&store.repositories(), Arc::new(SystemClock));
    let mut names: Vec<String> = boards
        .list()
        .unwrap()
        .into_iter()
        .map(|b| b.board.name.as_str().to_owned())
        .collect();
    names.sort();
    names
}

struct Fixture {
    dir: tempfile::TempDir,
    database: PathBuf,
    backups: PathBuf,
}

impl Fixture {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let database = dir.path().join("data/k.db");
        let backups = dir.path().join("backups");
        Self {
            dir,
            database,
            backups,
        }
    }

    fn url(&self) -> &str {
        self.database.to_str().unwrap()
    }
}

#[test]
fn rotation_keeps_exactly_the_newest_n() {
    let f = Fixture::new();
    let live = store(&f.database);
    add_board(&live, "One");
    let mut taken = Vec::new();
    for second in 0..6 {
        taken.push(take(&live, &f.backups, 3, at(second)).unwrap().path);
    }
    let kept = list(&f.backups).unwrap();
    assert_eq!(kept, taken[3..].iter().rev().cloned().collect::<Vec<_>>());
    assert_eq!(
        std::fs::read_dir(&f.backups).unwrap().count(),
        6,
        "3 + manifests"
    );
    for path in &kept {
        assert!(manifest_path(path).exists());
    }
    assert!(
        kept[0]
            .file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("agent_kanban-20261122T120005Z")
    );
}

#[test]
fn a_restore_brings_back_the_backup_and_keeps_the_replaced_database() {
    let f = Fixture::new();
    let live = store(&f.database);
    add_board(&live, "Before");
    let outcome = take(&live, &f.backups, 3, at(0)).unwrap();
    assert_eq!(outcome.manifest.row_counts["boards"], 1);
    add_board(&live, "After");
    drop(live);
    let restored = restore(f.url(), &outcome.path, at(10)).unwrap();
    assert_eq!(board_names(&f.database), ["Before"]);
    let replaced = restored.replaced.unwrap();
    assert!(replaced.ends_with("k.db.replaced-20261122T120010Z"));
    assert_eq!(board_names(&replaced), ["After", "Before"]);
}

fn assert_untouched(f: &Fixture, error: &RestoreError) {
    assert!(matches!(error, RestoreError::Refused { .. }), "{error}");
    assert_eq!(board_names(&f.database), ["Live"]);
    let names: Vec<String> = std::fs::read_dir(f.database.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        names
            .iter()
            .all(|n| !n.contains("replaced") && !n.contains("restoring")),
        "{names:?}"
    );
}

#[test]
fn damaged_backups_are_refused_and_nothing_is_replaced() {
    let f = Fixture::new();
    let live = store(&f.database);
    add_board(&live, "Live");
    let good = take(&live, &f.backups, 9, at(0)).unwrap().path;
    drop(live);
    let bytes = std::fs::read(&good).unwrap();

    let truncated = f.dir.path().join("truncated.db.gz");
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    assert_untouched(&f, &restore(f.url(), &truncated, at(1)).unwrap_err());

    let mut flipped = bytes.clone();
    let middle = flipped.len() / 2;
    flipped[middle] ^= 0xff;
    let corrupted = f.dir.path().join("corrupted.db.gz");
    std::fs::write(&corrupted, &flipped).unwrap();
    assert_untouched(&f, &restore(f.url(), &corrupted, at(2)).unwrap_err());

    // The same damage beside its manifest: the checksum catches it first.
    std::fs::write(&good, &flipped).unwrap();
    assert_untouched(&f, &restore(f.url(), &good, at(3)).unwrap_err());

    let garbage = f.dir.path().join("garbage.db");
    std::fs::write(&garbage, vec![7_u8; 8192]).unwrap();
    assert_untouched(&f, &restore(f.url(), &garbage, at(4)).unwrap_err());

    let unmigrated = f.dir.path().join("empty.db");
    drop(SqliteStore::connect(unmigrated.to_str().unwrap(), 1).unwrap());
    assert_untouched(&f, &restore(f.url(), &unmigrated, at(5)).unwrap_err());
}

#[test]
fn a_restore_refuses_while_a_server_holds_the_database() {
    let f = Fixture::new();
    let live = store(&f.database);
    add_board(&live, "Live");
    let backup = take(&live, &f.backups, 3, at(0)).unwrap().path;
    let serving = DatabaseLock::shared(f.url()).unwrap();
    let error = restore(f.url(), &backup, at(1)).unwrap_err();
    assert!(matches!(error, RestoreError::Locked(_)), "{error}");
    drop((serving, live));
    assert_eq!(board_names(&f.database), ["Live"]);
    restore(f.url(), &backup, at(2)).unwrap();
}

#[test]
fn check_exits_non_zero_on_a_damaged_database() {
    use crate::cli::CommonArgs;
    use crate::maintenance::check;
    use crate::serve::RunError;
    let f = Fixture::new();
    let live = store(&f.database);
    for n in 0..200 {
        add_board(
            &live,
            &format!("Board number {n} with a name long enough to fill pages"),
        );
    }
    let copy = f.dir.path().join("copy.db");
    live.backup_into(&copy).unwrap();
    drop(live);
    let env = std::collections::HashMap::from([(
        "KANBAN_CONFIG_DIR".to_owned(),
        f.dir.path().display().to_string(),
    )]);
    let args = |path: &Path| CommonArgs {
        database_url: Some(path.to_str().unwrap().to_owned()),
        config_dir: None,
    };
    check(&args(&copy), &env).unwrap();
    let mut bytes = std::fs::read(&copy).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle..middle + 4096].fill(0x5a);
    std::fs::write(&copy, &bytes).unwrap();
    let found = check(&args(&copy), &env).unwrap_err();
    assert!(matches!(found, RunError::Problems(n) if n > 0), "{found}");
    let missing = check(&args(&f.dir.path().join("missing.db")), &env).unwrap_err();
    assert!(matches!(missing, RunError::Usage(_)), "{missing}");
}

#[test]
fn the_server_takes_scheduled_backups_and_rotates_them() {
    let f = Fixture::new();
    let live = store(&f.database);
    add_board(&live, "Live");
    let (dir, period) = (f.backups.clone(), std::time::Duration::from_millis(1100));
    actix_web::rt::System::new().block_on(async move {
        let task = actix_web::rt::spawn(crate::backup::every(period, live, dir, 2));
        actix_web::rt::time::sleep(std::time::Duration::from_millis(3700)).await;
        task.abort();
    });
    assert_eq!(list(&f.backups).unwrap().len(), 2, "three taken, two kept");
}
