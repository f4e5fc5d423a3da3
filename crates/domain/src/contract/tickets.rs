//! Contract of [`TicketRepository`](crate::ports::TicketRepository).

use super::Factory;
use super::fixtures::{
    actor, all_events, apply, at, board, board_now, column, event, move_ticket, ok, seqs, some,
    ticket, ticket_now,
};
use crate::board::{BoardPatch, Relocation};
use crate::comment::NewComment;
use crate::error::StoreError;
use crate::event::{EventKind, NewEvent};
use crate::history::HistoryField;
use crate::ports::{Effects, TicketFilter};
use crate::ticket::{NewTicket, Ticket, TicketPatch};
use crate::values::{AssigneeName, CommentText, LongText, Priority, TicketTitle};

fn assignee(name: &str) -> AssigneeName {
    ok(AssigneeName::parse("assignee", name), "assignee")
}

/// A created ticket comes back field for field, at version 1, with its history rows and events
/// written in the same change.
pub fn ticket_create_round_trips_with_effects(make: Factory<'_>) {
    let repos = make();
    let ops = board(&repos, "Ops", &["Todo", "Doing"], at(0)).value.board;
    let new = NewTicket {
        board_id: ops.id,
        title: ok(TicketTitle::parse("title", "Ship it ✓"), "title"),
        description: ok(LongText::parse("d", "line one\nline two\t'quoted'"), "d"),
        acceptance_criteria: ok(LongText::parse("a", "- works"), "a"),
        priority: ok(Priority::new("priority", 2.5), "priority"),
        assignee: Some(assignee("agent-1")),
        current_column: column("Doing"),
        at: at(1),
    };
    let effects = move |t: &Ticket| Effects {
        history: NewTicket::history(t, &actor()),
        events: vec![NewEvent::new(
            t.board_id,
            EventKind::TicketCreated,
            at(1),
            t,
        )],
    };
    let committed = ok(
        repos.tickets.create(&new, ops.version, Box::new(effects)),
        "create",
    );
    let created = &committed.value;
    assert_eq!(created.title, new.title);
    assert_eq!(created.description, new.description);
    assert_eq!(created.acceptance_criteria, new.acceptance_criteria);
    assert_eq!(created.priority, new.priority);
    assert_eq!(created.assignee, new.assignee);
    assert_eq!(created.current_column, new.current_column);
    assert_eq!(created.version, 1);
    let times = (
        created.created_at,
        created.updated_at,
        created.column_entered_at,
    );
    assert_eq!(times, (at(1), at(1), at(1)));
    assert_eq!(&ticket_now(&repos, created), created);
    assert_eq!(seqs(&committed.events), [2]);
    assert_eq!(
        committed.events[0].data.value()["id"],
        serde_json::json!(created.id.get())
    );
    let rows = ok(repos.history.for_ticket(created.id, None, 10), "history");
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].field_name, "status");
    assert_eq!(
        (rows[0].old_value.as_deref(), rows[0].new_value.as_deref()),
        (None, Some("created"))
    );
    assert_eq!(
        (rows[0].changed_by.as_str(), rows[0].changed_at),
        ("ann", at(1))
    );
    assert_eq!(board_now(&repos, ops.id).ticket_count, 1);
}

/// A ticket decided on an older board version (its column may be gone) is a conflict; on a
/// missing board it is not found; nothing is written either way.
pub fn ticket_create_checks_board_version(make: Factory<'_>) {
    let repos = make();
    let ops = board(&repos, "Ops", &["Todo", "Doing"], at(0)).value.board;
    let patch = BoardPatch {
        columns: Some(super::fixtures::columns(&["Todo"])),
        ..BoardPatch::default()
    };
    let update = some(
        ok(
            ops.apply_patch(&patch, Relocation::Refuse, &[], &actor(), at(1)),
            "decide",
        ),
        "a change",
    );
    ok(repos.boards.update(&update, &[]), "drop a column");
    let new = NewTicket {
        board_id: ops.id,
        title: ok(TicketTitle::parse("title", "late"), "title"),
        description: LongText::empty(),
        acceptance_criteria: LongText::empty(),
        priority: Priority::default(),
        assignee: None,
        current_column: column("Doing"),
        at: at(2),
    };
    let effects = move |t: &Ticket| Effects {
        history: NewTicket::history(t, &actor()),
        events: vec![event(t.board_id, EventKind::TicketCreated, at(2))],
    };
    let stale = repos.tickets.create(&new, ops.version, Box::new(effects));
    assert!(matches!(stale, Err(StoreError::Conflict)), "{stale:?}");
    let mut missing = new.clone();
    missing.board_id = crate::ids::BoardId::new(4242);
    let result = repos.tickets.create(&missing, 1, Box::new(effects));
    assert!(matches!(result, Err(StoreError::NotFound)), "{result:?}");
    assert!(ok(repos.tickets.list(&TicketFilter::board(ops.id)), "list").is_empty());
    assert_eq!(seqs(&all_events(&repos, ops.id)), [1]);
}

/// Of two updates decided on the same version exactly one applies; the other, and an update of
/// a deleted ticket, write nothing. A board-version guard is checked in the same change.
pub fn ticket_update_is_compare_and_set(make: Factory<'_>) {
    let repos = make();
    let ops = board(&repos, "Ops", &["Todo", "Doing"], at(0)).value.board;
    let original = ticket(&repos, &ops, "task", "Todo", 1.0, at(1));
    let claim = ok(
        original.claim(&assignee("agent-1"), &actor(), at(2)),
        "claim",
    );
    let other = ok(
        original.claim(&assignee("agent-2"), &actor(), at(2)),
        "claim",
    );
    let won = apply(&repos, &claim, EventKind::TicketClaimed);
    assert_eq!(won.value, claim.ticket);
    assert_eq!(seqs(&won.events), [3]);
    let lost = repos.tickets.update(
        &other,
        None,
        &[event(ops.id, EventKind::TicketClaimed, at(2))],
    );
    assert!(matches!(lost, Err(StoreError::Conflict)), "{lost:?}");
    let stored = ticket_now(&repos, &original);
    assert_eq!(
        (stored.assignee.clone(), stored.version),
        (Some(assignee("agent-1")), 2)
    );
    let rows = ok(
        repos
            .history
            .for_ticket(original.id, Some(HistoryField::Assignee), 10),
        "h",
    );
    assert_eq!(rows.len(), 1);
    assert_eq!(seqs(&all_events(&repos, ops.id)), [1, 2, 3]);

    // Releasing writes a null assignee.
    let release = some(stored.release(&actor(), at(3)), "a release");
    assert_eq!(
        apply(&repos, &release, EventKind::TicketReleased)
            .value
            .assignee,
        None
    );
    assert_eq!(ticket_now(&repos, &original).assignee, None);

    // A board guard: stale board version is a conflict, the current one applies.
    let current = ticket_now(&repos, &original);
    let update = some(current.move_to(&column("Doing"), &actor(), at(4)), "a move");
    let stale = repos.tickets.update(&update, Some(ops.version + 1), &[]);
    assert!(matches!(stale, Err(StoreError::Conflict)), "{stale:?}");
    assert_eq!(ticket_now(&repos, &original), current);
    let moved = ok(
        repos.tickets.update(&update, Some(ops.version), &[]),
        "move",
    );
    assert_eq!(moved.value.current_column.as_str(), "Doing");
    assert_eq!(moved.value.column_entered_at, at(4));
    assert_eq!(ticket_now(&repos, &original), moved.value);

    // A new priority alone, then a new title with an assignee: each stored field for field as
    // decided (a store may write only the changed fields).
    let priority = TicketPatch {
        priority: Some(ok(Priority::new("priority", 7.5), "priority")),
        ..TicketPatch::default()
    };
    let update = some(
        moved.value.apply_patch(&priority, &actor(), at(5)),
        "a priority",
    );
    let reprioritised = ok(repos.tickets.update(&update, None, &[]), "priority").value;
    assert_eq!(ticket_now(&repos, &original), reprioritised);
    let text = TicketPatch {
        title: Some(ok(TicketTitle::parse("t", "renamed"), "title")),
        assignee: Some(Some(assignee("agent-3"))),
        ..TicketPatch::default()
    };
    let update = some(reprioritised.apply_patch(&text, &actor(), at(6)), "a patch");
    let patched = ok(repos.tickets.update(&update, None, &[]), "patch").value;
    assert_eq!(ticket_now(&repos, &original), patched);
    assert_eq!(
        (patched.title.as_str(), patched.priority.value()),
        ("renamed", 7.5)
    );

    ok(
        repos.tickets.delete(original.id, patched.version, &[]),
        "delete",
    );
    let patch = TicketPatch {
        title: Some(ok(TicketTitle::parse("t", "gone"), "title")),
        ..TicketPatch::default()
    };
    let update = some(patched.apply_patch(&patch, &actor(), at(7)), "a patch");
    let gone = repos.tickets.update(&update, None, &[]);
    assert!(matches!(gone, Err(StoreError::NotFound)), "{gone:?}");
}

/// Any number of concurrent claims decided on the same version: exactly one wins.
pub fn ticket_claims_race_has_one_winner(make: Factory<'_>) {
    let repos = make();
    let ops = board(&repos, "Ops", &["Todo"], at(0)).value.board;
    let original = ticket(&repos, &ops, "contended", "Todo", 1.0, at(1));
    let outcomes: Vec<Result<(), StoreError>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..8)
            .map(|i| {
                let repos = repos.clone();
                let original = original.clone();
                scope.spawn(move || {
                    let agent = assignee(&format!("agent-{i}"));
                    let claim = ok(original.claim(&agent, &actor(), at(2)), "claim");
                    let events = [event(ops.id, EventKind::TicketClaimed, at(2))];
                    repos.tickets.update(&claim, None, &events).map(|_| ())
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|_| panic!("claim thread panicked")))
            .collect()
    });
    let won = outcomes.iter().filter(|o| o.is_ok()).count();
    assert_eq!(won, 1, "{outcomes:?}");
    assert!(
        outcomes
            .iter()
            .all(|o| matches!(o, Ok(()) | Err(StoreError::Conflict))),
        "{outcomes:?}"
    );
    assert_eq!(ticket_now(&repos, &original).version, 2);
    assert_eq!(seqs(&all_events(&repos, ops.id)), [1, 2, 3]);
}

/// Deleting a ticket takes its comments and history with it, under its version guard.
pub fn ticket_delete_cascades_and_checks_version(make: Factory<'_>) {
    let repos = make();
    let ops = board(&repos, "Ops", &["Todo", "Done"], at(0)).value.board;
    let doomed = ticket(&repos, &ops, "doomed", "Todo", 1.0, at(1));
    let kept = ticket(&repos, &ops, "kept", "Todo", 1.0, at(1));
    let doomed = move_ticket(&repos, &doomed, "Done", at(2));
    let comment = |ticket_id| NewComment {
        ticket_id,
        text: ok(CommentText::parse("text", "note"), "text"),
        author: "ann".into(),
        at: at(3),
    };
    ok(
        repos
            .comments
            .create(&comment(doomed.id), Box::new(|_| Vec::new())),
        "comment",
    );
    ok(
        repos
            .comments
            .create(&comment(kept.id), Box::new(|_| Vec::new())),
        "comment",
    );

    let history_rows = || ok(repos.health.inventory(), "inventory").history_entries;
    // Two creations and a move.
    assert_eq!(history_rows(), 3);
    let deleted = [event(ops.id, EventKind::TicketDeleted, at(4))];
    let stale = repos.tickets.delete(doomed.id, 1, &deleted);
    assert!(matches!(stale, Err(StoreError::Conflict)), "{stale:?}");
    assert_eq!(ticket_now(&repos, &doomed), doomed);
    assert_eq!(history_rows(), 3, "a stale delete keeps the history");
    let before = all_events(&repos, ops.id).len();

    let committed = ok(
        repos.tickets.delete(doomed.id, doomed.version, &deleted),
        "delete",
    );
    assert_eq!(committed.events.len(), 1);
    assert_eq!(all_events(&repos, ops.id).len(), before + 1);
    assert!(ok(repos.tickets.get(doomed.id), "get").is_none());
    assert!(ok(repos.comments.list_for_ticket(doomed.id), "comments").is_empty());
    assert!(ok(repos.history.for_ticket(doomed.id, None, 50), "history").is_empty());
    assert!(ok(repos.history.column_changes(doomed.id), "columns").is_empty());
    assert_eq!(
        history_rows(),
        1,
        "the doomed ticket's rows are gone, the kept one's stay"
    );
    assert_eq!(
        ok(repos.comments.list_for_ticket(kept.id), "comments").len(),
        1
    );
    assert_eq!(
        ok(repos.history.for_ticket(kept.id, None, 50), "history").len(),
        1
    );
    assert_eq!(board_now(&repos, ops.id).ticket_count, 1);

    let again = repos.tickets.delete(doomed.id, doomed.version, &deleted);
    assert!(matches!(again, Err(StoreError::NotFound)), "{again:?}");
}
