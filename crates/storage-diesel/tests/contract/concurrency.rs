//! Many threads writing through one pool: every write either commits or reports a conflict,
//! no acknowledged write is lost, and lock waits never surface as errors.

use super::open;
use kanban_domain::actor::{Actor, Role};
use kanban_domain::board::{BoardPatch, NewBoard, Relocation};
use kanban_domain::event::{EventKind, NewEvent};
use kanban_domain::ports::{Effects, Repositories};
use kanban_domain::ticket::{NewTicket, Ticket, TicketPatch};
use kanban_domain::values::{BoardName, Columns, LongText, Priority, TicketTitle};
use kanban_domain::{BoardId, StoreError, TicketId};
use std::collections::{BTreeMap, BTreeSet};

const THREADS: usize = 16;
const ROUNDS: usize = 20;

fn actor(i: usize) -> Actor {
    Actor::new(format!("agent-{i}"), Role::Agent)
}

fn create_ticket(
    repos: &Repositories,
    board_id: BoardId,
    title: &str,
) -> Result<Ticket, StoreError> {
    let board = repos
        .boards
        .get(board_id)?
        .ok_or(StoreError::NotFound)?
        .board;
    let new = NewTicket {
        board_id,
        title: TicketTitle::parse("title", title).unwrap(),
        description: LongText::empty(),
        acceptance_criteria: LongText::empty(),
        priority: Priority::default(),
        assignee: None,
        current_column: board.columns.first().clone(),
        at: kanban_domain::Clock::now(&kanban_domain::SystemClock),
    };
    let effects = |t: &Ticket| Effects {
        history: NewTicket::history(t, &actor(0)),
        events: vec![NewEvent::new(
            t.board_id,
            EventKind::TicketCreated,
            t.created_at,
            t,
        )],
    };
    Ok(repos
        .tickets
        .create(&new, board.version, Box::new(effects))?
        .value)
}

#[derive(Debug, Default)]
struct Outcome {
    /// (ticket, version it was updated to, history rows written) of every acknowledged update.
    updated: Vec<(TicketId, i64, usize)>,
    created: Vec<TicketId>,
    conflicts: usize,
    errors: Vec<String>,
}

/// One writer: updates the shared tickets under compare-and-set and creates tickets of its own.
fn writer(repos: &Repositories, board_id: BoardId, shared: &[TicketId], i: usize) -> Outcome {
    let mut outcome = Outcome::default();
    for round in 0..ROUNDS {
        if round % 5 == 4 {
            match create_ticket(repos, board_id, &format!("t{i}-{round}")) {
                Ok(t) => outcome.created.push(t.id),
                Err(StoreError::Conflict) => outcome.conflicts += 1,
                Err(e) => outcome.errors.push(format!("create: {e:?}")),
            }
            continue;
        }
        let id = shared[(i + round) % shared.len()];
        let current = match repos.tickets.get(id) {
            Ok(Some(t)) => t,
            other => {
                outcome.errors.push(format!("get: {other:?}"));
                continue;
            }
        };
        let patch = TicketPatch {
            priority: Some(Priority::new("p", (i * 100 + round) as f64 % 1000.0).unwrap()),
            title: Some(TicketTitle::parse("t", &format!("by {i} in {round}")).unwrap()),
            ..TicketPatch::default()
        };
        let Some(update) = current.apply_patch(&patch, &actor(i), current.updated_at) else {
            continue;
        };
        let events = [NewEvent::new(
            board_id,
            EventKind::TicketUpdated,
            update.ticket.updated_at,
            &update.ticket,
        )];
        match repos.tickets.update(&update, None, &events) {
            Ok(committed) => {
                outcome
                    .updated
                    .push((id, committed.value.version, update.history.len()));
            }
            Err(StoreError::Conflict) => outcome.conflicts += 1,
            Err(e) => outcome.errors.push(format!("update: {e:?}")),
        }
    }
    outcome
}

#[test]
fn concurrent_writers_commit_or_conflict_and_lose_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = // As many connections as writers, so every writer contends for the lock itself.
    open(&dir.path().join("kanban.db"), THREADS as u32);
    let repos = store.repositories();
    let new = NewBoard {
        name: BoardName::parse("name", "Race").unwrap(),
        description: LongText::empty(),
        columns: Columns::defaults(),
        at: kanban_domain::Clock::now(&kanban_domain::SystemClock),
    };
    let board = repos
        .boards
        .create(&new, Box::new(|_| Vec::new()))
        .unwrap()
        .value
        .board;
    let shared: Vec<TicketId> = (0..3)
        .map(|n| {
            create_ticket(&repos, board.id, &format!("shared {n}"))
                .unwrap()
                .id
        })
        .collect();

    let outcomes: Vec<Outcome> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..THREADS)
            .map(|i| {
                let repos = repos.clone();
                let shared = &shared;
                scope.spawn(move || writer(&repos, board.id, shared, i))
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });

    let errors: Vec<&String> = outcomes.iter().flat_map(|o| &o.errors).collect();
    assert!(
        errors.is_empty(),
        "only commits and conflicts expected: {errors:?}"
    );
    let conflicts: usize = outcomes.iter().map(|o| o.conflicts).sum();
    let mut versions: BTreeMap<TicketId, BTreeSet<i64>> = BTreeMap::new();
    let mut rows: BTreeMap<TicketId, usize> = BTreeMap::new();
    for (id, version, history) in outcomes.iter().flat_map(|o| &o.updated) {
        assert!(
            versions.entry(*id).or_default().insert(*version),
            "version {version} acknowledged twice"
        );
        *rows.entry(*id).or_default() += history;
    }
    let updates: usize = versions.values().map(BTreeSet::len).sum();
    for id in &shared {
        let acked = versions.get(id).cloned().unwrap_or_default();
        let ticket = repos.tickets.get(*id).unwrap().unwrap();
        // Every acknowledged update is there: versions 2..=n without a gap.
        assert_eq!(acked, (2..=ticket.version).collect(), "ticket {id}");
        let history = repos.history.for_ticket(*id, None, 500).unwrap();
        let expected = 1 + rows.get(id).copied().unwrap_or_default();
        assert_eq!(
            history.len(),
            expected,
            "the status row plus those of each update"
        );
    }
    let created: Vec<TicketId> = outcomes.iter().flat_map(|o| o.created.clone()).collect();
    for id in &created {
        assert!(repos.tickets.get(*id).unwrap().is_some());
    }
    assert_eq!(
        created.len(),
        THREADS * ROUNDS / 5,
        "creates do not conflict with updates"
    );
    let events = repos.events.since(board.id, 0, u32::MAX).unwrap();
    let seqs: Vec<i64> = events.iter().map(|e| e.seq).collect();
    let expected = shared.len() + created.len() + updates;
    assert_eq!(seqs, (1..=expected as i64).collect::<Vec<_>>());
    println!("{updates} updates, {conflicts} conflicts");
    assert!(
        updates > 0 && conflicts > 0,
        "the race was contended: {updates} updates, {conflicts} conflicts"
    );

    // And the board is still consistent for a columns change decided now.
    let board = repos.boards.get(board.id).unwrap().unwrap().board;
    let patch = BoardPatch {
        columns: Some(Columns::parse("columns", &["Not Started", "Done"]).unwrap()),
        ..BoardPatch::default()
    };
    let update = board
        .apply_patch(&patch, Relocation::Refuse, &[], &actor(0), board.updated_at)
        .unwrap()
        .unwrap();
    assert!(
        repos.boards.update(&update, &[]).is_ok(),
        "no ticket left the first column"
    );
    assert_eq!(
        repos
            .tickets
            .list(&kanban_domain::ports::TicketFilter::board(board.id))
            .unwrap()
            .len(),
        shared.len() + created.len()
    );
}
