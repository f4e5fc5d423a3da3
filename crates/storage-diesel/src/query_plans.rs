//! Audits the query plan of every statement the store issues while running the whole contract
//! suite: no full scan of `tickets`, `ticket_history`, `comments` or `events` (their indexes must
//! serve every query); that the statements of the hot paths are kept prepared rather than parsed
//! again on every execution; and that a page of a board lists its tickets from an index alone. Run with `--nocapture` to print the plans.

use crate::pool::SqliteStore;
use diesel::connection::{Instrumentation, InstrumentationEvent, set_default_instrumentation};
use diesel::prelude::*;
use diesel::sql_types::Text;
use std::collections::BTreeSet;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};

static STATEMENTS: Mutex<BTreeSet<String>> = Mutex::new(BTreeSet::new());
/// The statements Diesel put in its cache of prepared statements.
static CACHED: Mutex<BTreeSet<String>> = Mutex::new(BTreeSet::new());

/// The beginnings of the statements every ticket read and write runs: each must be kept prepared.
const HOT: [&str; 12] = [
    // A ticket by id (`.first()`: `LIMIT ?`).
    "SELECT `tickets`.`id`, `tickets`.`board_id`, `tickets`.`title`, `tickets`.`description`, `tickets`.`acceptance_criteria`, `tickets`.`priority`, `tickets`.`assignee`, `tickets`.`current_column`, `tickets`.`created_at`, `tickets`.`updated_at`, `tickets`.`column_entered_at`, `tickets`.`version` FROM `tickets` WHERE (`tickets`.`id` = ?)",
    // A page of a board: its tickets' ids and versions, then those not held, by id.
    PAGE,
    "SELECT `tickets`.`id`, `tickets`.`board_id`, `tickets`.`title`, `tickets`.`description`, `tickets`.`acceptance_criteria`, `tickets`.`priority`, `tickets`.`assignee`, `tickets`.`current_column`, `tickets`.`created_at`, `tickets`.`updated_at`, `tickets`.`column_entered_at`, `tickets`.`version` FROM `tickets` WHERE `tickets`.`id` IN (SELECT value FROM json_each(?))",
    // A board with its columns (read before every ticket write and page).
    "SELECT `boards`.`id`, `boards`.`name`, `boards`.`description`, `boards`.`created_at`, `boards`.`updated_at`, `boards`.`version`, `board_columns`.`name` FROM (`boards` LEFT OUTER JOIN `board_columns`",
    "INSERT INTO `tickets`",
    // The ticket update, in its three shapes: every field, a move or priority, a claim.
    "UPDATE `tickets` SET `title` = ?",
    "UPDATE `tickets` SET `priority` = ?",
    "UPDATE `tickets` SET `assignee` = ?",
    // How many rows the ticket update changed (it is run as a query, see `prepared`).
    "SELECT changes()",
    "INSERT INTO `event_sequences`",
    // The board's sequence number just written, read back (the upsert has no `RETURNING`).
    "SELECT `event_sequences`.`last_seq` FROM `event_sequences` WHERE (`event_sequences`.`board_id` = ?)",
    "INSERT INTO `ticket_history`",
];

/// The ids and versions of a page of a board, unfiltered (`TicketRepository::list_page`): read
/// from `idx_tickets_board_order` alone, which holds both.
const PAGE: &str = "SELECT `tickets`.`id`, `tickets`.`version` FROM `tickets` WHERE (`tickets`.`board_id` = ?) ORDER BY";

fn capture() -> Option<Box<dyn Instrumentation>> {
    Some(Box::new(|event: InstrumentationEvent<'_>| {
        if let InstrumentationEvent::CacheQuery { sql, .. } = &event {
            CACHED.lock().unwrap().insert(sql.trim().to_owned());
        }
        if let InstrumentationEvent::StartQuery { query, .. } = event {
            let text = query.to_string();
            let sql = text.split(" -- binds:").next().unwrap_or_default().trim();
            let verb = sql.split_whitespace().next().unwrap_or_default();
            if ["SELECT", "UPDATE", "DELETE", "INSERT", "WITH"]
                .contains(&verb.to_uppercase().as_str())
            {
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
/// A ticket's history read along its chain (`history`) reads its rows by primary key only: walked
/// the other way round, by the order asked for, it scanned the whole history.
fn walks_an_index_deliberately(sql: &str, detail: &str) -> bool {
    let ordered_walk = detail.contains(" USING INDEX ")
        && sql.ends_with("LIMIT ?")
        && !sql.starts_with("WITH RECURSIVE chain");
    let inventory = detail.contains(" USING COVERING INDEX ")
        && (sql.starts_with("SELECT COUNT(*) FROM `") && !sql.contains(" WHERE ")
            || sql.starts_with("SELECT name, SUM(tickets) AS tickets FROM ("));
    ordered_walk || inventory
}

/// The tables whose full scans are refused.
const GUARDED: [&str; 4] = ["tickets", "ticket_history", "comments", "events"];

/// The guarded table each name in `sql` stands for: the tables themselves, and their aliases
/// (`tickets t`, `tickets AS t`), which SQLite's plans name instead (`SCAN t`).
fn guarded_names(sql: &str) -> Vec<(String, &'static str)> {
    const NOT_ALIASES: [&str; 16] = [
        "on", "where", "join", "cross", "left", "inner", "natural", "group", "order", "limit",
        "set", "values", "using", "indexed", "not", "union",
    ];
    let words: Vec<String> = sql
        .split(|c: char| c.is_whitespace() || "(),;`".contains(c))
        .filter(|word| !word.is_empty())
        .map(str::to_lowercase)
        .collect();
    let mut names: Vec<(String, &'static str)> =
        GUARDED.iter().map(|t| ((*t).to_owned(), *t)).collect();
    for (i, word) in words.iter().enumerate() {
        let Some(table) = GUARDED.iter().find(|t| **t == word.as_str()) else {
            continue;
        };
        let alias = match words.get(i + 1).map(String::as_str) {
            Some("as") => words.get(i + 2),
            Some(next) if !NOT_ALIASES.contains(&next) && !next.contains('.') => words.get(i + 1),
            _ => None,
        };
        if let Some(alias) = alias
            && alias.chars().all(|c| c.is_alphanumeric() || c == '_')
        {
            names.push((alias.clone(), table));
        }
    }
    names
}

#[test]
fn aliases_of_guarded_tables_are_known_by_their_table() {
    let names = guarded_names("SELECT t.id FROM boards b JOIN tickets AS t ON t.board_id = b.id");
    assert!(names.contains(&("t".to_owned(), "tickets")), "{names:?}");
    let names = guarded_names("SELECT x FROM events e WHERE e.seq > ?");
    assert!(names.contains(&("e".to_owned(), "events")), "{names:?}");
    let names = guarded_names("SELECT COUNT(*) FROM `tickets` WHERE (`tickets`.`board_id` = ?)");
    assert_eq!(names.len(), GUARDED.len(), "no alias: {names:?}");
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

    let cached = std::mem::take(&mut *CACHED.lock().unwrap());
    let unprepared: Vec<&str> = HOT
        .into_iter()
        .filter(|hot| !cached.iter().any(|sql| sql.starts_with(hot)))
        .collect();
    assert!(
        unprepared.is_empty(),
        "parsed again on every execution: {unprepared:#?}"
    );
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
        if sql.starts_with(PAGE) {
            assert!(
                details
                    .iter()
                    .any(|d| d.contains("USING COVERING INDEX idx_tickets_board_order")),
                "a page of a board reads rows: {sql}: {details:?}"
            );
        }
        let names = guarded_names(sql);
        for detail in details {
            let scanned = detail
                .strip_prefix("SCAN ")
                .and_then(|rest| rest.split_whitespace().next());
            if let Some(name) = scanned
                && names.iter().any(|(guarded, _)| guarded == name)
                && !walks_an_index_deliberately(sql, detail)
            {
                offenders.push(format!("{sql}: {detail}"));
            }
        }
    }
    assert!(offenders.is_empty(), "full scans: {offenders:#?}");
}
