//! `agent-kanban check`, `optimize`, `tokens purge` and `events prune`: upkeep of the database,
//! safe while the server runs (`optimize` briefly blocks writers while it vacuums).

use crate::cli::{CommonArgs, PruneArgs};
use crate::serve::{RunError, load, open_store, services};
use crate::settings::Overrides;
use kanban_storage_diesel::{SqliteStore, StoreOptions};
use std::collections::HashMap;
use std::time::Duration;

/// `agent-kanban check`: prints the findings; an error (exit status 1) when there are any.
pub fn check(common: &CommonArgs, env: &HashMap<String, String>) -> Result<(), RunError> {
    let settings = load(common, Overrides::default(), env)?;
    // No migrations: a damaged database is examined as it is.
    let store = SqliteStore::connect_with(
        &settings.database.url,
        StoreOptions {
            pool_size: 1,
            busy_timeout: Duration::from_millis(settings.database.busy_timeout_ms),
            ..StoreOptions::default()
        },
    )?;
    let report = store.check()?;
    let (counts, version) = store.describe()?;
    println!("database {}", settings.database.url);
    println!("schema version {}", version.as_deref().unwrap_or("none"));
    for (table, rows) in &counts {
        println!("  {table}: {rows} rows");
    }
    for line in &report.integrity {
        println!("integrity: {line}");
    }
    for line in &report.foreign_keys {
        println!("foreign key: {line}");
    }
    if report.is_clean() {
        println!("ok");
        Ok(())
    } else {
        Err(RunError::Problems(
            report.integrity.len() + report.foreign_keys.len(),
        ))
    }
}

/// `agent-kanban optimize`.
pub fn optimize(common: &CommonArgs, env: &HashMap<String, String>) -> Result<(), RunError> {
    let settings = load(common, Overrides::default(), env)?;
    let store = open_store(&settings)?;
    let before = file_size(&settings.database.url);
    let checkpointed = store.optimize()?;
    println!(
        "optimized {} ({} -> {} bytes); WAL checkpoint {}",
        settings.database.url,
        before,
        file_size(&settings.database.url),
        if checkpointed {
            "complete"
        } else {
            "partial (other connections were busy; it completes later)"
        }
    );
    Ok(())
}

fn file_size(database_url: &str) -> u64 {
    std::fs::metadata(kanban_storage_diesel::database_path(database_url)).map_or(0, |m| m.len())
}

/// `agent-kanban tokens purge`.
pub fn purge_tokens(common: &CommonArgs, env: &HashMap<String, String>) -> Result<(), RunError> {
    let settings = load(common, Overrides::default(), env)?;
    let store = open_store(&settings)?;
    let removed = services(&store, &settings)?.auth.prune()?;
    println!("purged {removed} expired refresh tokens and revocation records");
    Ok(())
}

/// `agent-kanban events prune`.
pub fn prune_events(args: &PruneArgs, env: &HashMap<String, String>) -> Result<(), RunError> {
    let settings = load(&args.common, Overrides::default(), env)?;
    let store = open_store(&settings)?;
    let days = args
        .older_than_days
        .unwrap_or(settings.events.retention_days);
    let cutoff = chrono::Utc::now() - chrono::Duration::days(i64::from(days));
    let removed = store
        .repositories()
        .events
        .prune(cutoff)
        .map_err(kanban_domain::DomainError::from)?;
    println!("pruned {removed} events older than {days} days");
    Ok(())
}
