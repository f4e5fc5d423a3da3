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
    let path = kanban_storage_diesel::database_path(&settings.database.url);
    if !std::path::Path::new(path).is_file() {
        return Err(RunError::Usage(format!("there is no database at {path}")));
    }
    // No migrations: a damaged database is examined as it is.
    let store = SqliteStore::connect_with(
        &settings.database.url,
        StoreOptions {
            pool_size: 1,
            busy_timeout: Duration::from_millis(settings.database.busy_timeout_ms),
            ..StoreOptions::default()
        },
    )?;
    println!("database {}", settings.database.url);
    let mut problems = 0;
    match store.describe() {
        Ok((counts, version)) => {
            println!("schema version {}", version.as_deref().unwrap_or("none"));
            for (table, rows) in &counts {
                println!("  {table}: {rows} rows");
            }
        }
        Err(error) => {
            problems += 1;
            println!("cannot read the tables: {}", crate::with_causes(&error));
        }
    }
    match store.check() {
        Ok(report) => {
            for line in &report.integrity {
                println!("integrity: {line}");
            }
            for line in &report.foreign_keys {
                println!("foreign key: {line}");
            }
            problems += report.integrity.len() + report.foreign_keys.len();
        }
        Err(error) => {
            problems += 1;
            println!(
                "integrity: the check cannot run: {}",
                crate::with_causes(&error)
            );
        }
    }
    if problems == 0 {
        println!("ok");
        Ok(())
    } else {
        Err(RunError::Problems(problems))
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
