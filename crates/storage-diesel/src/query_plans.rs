//! Audits the query plan of every statement the store issues while running the whole contract
//! suite: no full scan of `tickets`, `ticket_history`, `comments` or `events` (their indexes must
//! serve every query). Run with `--nocapture` to print the plans.

use crate::pool::SqliteStore;
use diesel::connection::{Instrumentation, InstrumentationEvent, set_default_instrumentation};
use diesel::prelude::*;
use diesel::sql_types::Text;
use std::collections::BTreeSet;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};

static STATEMENTS: Mutex<BTreeSet<String>> = Mutex::new(BTreeSet::new());

fn capture() -> Option<Box<dyn Instrumentation>> {
    Some(Box::new(|event: InstrumentationEvent<'_>| {
        if let InstrumentationEvent::StartQuery { query, .. } = event {
            let text = query.to_string();
            let sql = text.split(" -- binds:").next().unwrap_or_default().trim();
            let verb = sql.split_whitespace().next().unwrap_or_default();
            if ["SELECT", "UPDATE", "DELETE", "INSERT"].contains(&verb.to_uppercase().as_str()) {
                STATEMENTS.lock().unwrap().insert(sql.to_owned());
            }
        }
    }))
}

#[derive(Debug, QueryableByName)]
struct PlanRow {
    #[diesel(sql_type = Text)]
    detail: String,
}

/// Scans that are not the slow kind: an index walked in its order until a `LIMIT` is reached
/// (the newest rows first), and the whole-table counts of the health overview
/// (`HealthProbe::inventory`), which are counts by definition and read only a covering index.
fn walks_an_index_deliberately(sql: &str, detail: &str) -> bool {
    let ordered_walk = detail.contains(" USING INDEX ") && sql.ends_with("LIMIT ?");
    let inventory = detail.contains(" USING COVERING INDEX ")
        && (sql.starts_with("SELECT COUNT(*) FROM `") && !sql.contains(" WHERE ")
            || sql.starts_with(
                "SELECT `tickets`.`current_column`, COUNT(*) FROM `tickets` GROUP BY",
            ));
    ordered_walk || inventory
}

#[test]
fn every_query_of_the_contract_suite_uses_an_index() {
    let dir = tempfile::tempdir().unwrap();
    let next = AtomicU32::new(0);
    let open = || {
        let n = next.fetch_add(1, Ordering::Relaxed);
        let path = dir.path().join(format!("plans-{n}.db"));
        let store = SqliteStore::connect(path.to_str().unwrap(), 2).unwrap();
        store.run_migrations().unwrap();
        store
    };
    // Only this test in this binary opens connections, so only its statements are captured.
    set_default_instrumentation(capture).unwrap();
    kanban_domain::contract::run_all(&|| open().repositories());
    set_default_instrumentation(|| None).unwrap();

    let statements = std::mem::take(&mut *STATEMENTS.lock().unwrap());
    assert!(statements.len() > 20, "captured {statements:?}");
    let store = open();
    let mut conn = store.pool_for_tests().get().unwrap();
    let mut offenders = Vec::new();
    for sql in &statements {
        // Parameters left unbound are NULL, which is fine for planning.
        let plan: Vec<PlanRow> = diesel::sql_query(format!("EXPLAIN QUERY PLAN {sql}"))
            .load(&mut conn)
            .unwrap();
        let details: Vec<&str> = plan.iter().map(|p| p.detail.as_str()).collect();
        println!("{sql}\n    {}\n", details.join("\n    "));
        for detail in details {
            let scanned = detail
                .strip_prefix("SCAN ")
                .and_then(|rest| rest.split_whitespace().next());
            if let Some(table) = scanned
                && ["tickets", "ticket_history", "comments", "events"].contains(&table)
                && !walks_an_index_deliberately(sql, detail)
            {
                offenders.push(format!("{sql}: {detail}"));
            }
        }
    }
    assert!(offenders.is_empty(), "full scans: {offenders:#?}");
}
