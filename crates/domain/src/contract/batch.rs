//! Contract of [`TicketRepository::update_many`](crate::ports::TicketRepository::update_many):
//! several ticket changes applied in one transaction, all or nothing.

use super::Factory;
use super::fixtures::{
    actor, all_events, at, board, board_now, column, event, ok, seqs, some, ticket, ticket_now,
};
use crate::error::StoreError;
use crate::event::EventKind;
use crate::history::HistoryField;
use crate::ports::{Repositories, TicketChange};
use crate::ticket::{Ticket, TicketPatch};
use crate::values::Priority;

/// A move of `ticket` to `to`, guarded by `board_version`, with one `ticket_moved` event.
fn moved(ticket: &Ticket, to: &str, board_version: i64, minutes: i64) -> TicketChange {
    let update = some(ticket.move_to(&column(to), &actor(), at(minutes)), "a move");
    TicketChange {
        events: vec![event(ticket.board_id, EventKind::TicketMoved, at(minutes))],
        update,
        board_version: Some(board_version),
    }
}

/// A new priority for `ticket`, with one `ticket_updated` event and no board guard.
fn reprioritised(ticket: &Ticket, priority: f64, minutes: i64) -> TicketChange {
    let patch = TicketPatch {
        priority: Some(ok(Priority::new("priority", priority), "priority")),
        ..TicketPatch::default()
    };
    let update = some(
        ticket.apply_patch(&patch, &actor(), at(minutes)),
        "a priority change",
    );
    TicketChange {
        events: vec![event(
            ticket.board_id,
            EventKind::TicketUpdated,
            at(minutes),
        )],
        update,
        board_version: None,
    }
}

fn rows(repos: &Repositories, ticket: &Ticket, field: HistoryField) -> usize {
    ok(
        repos.history.for_ticket(ticket.id, Some(field), 50),
        "history",
    )
    .len()
}

/// Every change of a batch is applied with its history rows and events; the tickets come back
/// in order and each board's events get consecutive sequence numbers.
pub fn ticket_update_many_applies_every_change_with_history_and_events(make: Factory<'_>) {
    let repos = make();
    let ops = board(&repos, "Ops", &["Todo", "Doing"], at(0)).value.board;
    let dev = board(&repos, "Dev", &["Open", "Closed"], at(0)).value.board;
    let a = ticket(&repos, &ops, "a", "Todo", 1.0, at(1));
    let b = ticket(&repos, &dev, "b", "Open", 1.0, at(1));
    let c = ticket(&repos, &ops, "c", "Todo", 1.0, at(1));
    // Two changes of `c`: the second decided on the state the first leaves.
    let c_priority = reprioritised(&c, 4.5, 2);
    let c_move = moved(&c_priority.update.ticket, "Doing", ops.version, 2);
    let changes = [
        moved(&a, "Doing", ops.version, 2),
        moved(&b, "Closed", dev.version, 2),
        c_priority,
        c_move,
    ];
    let committed = ok(repos.tickets.update_many(&changes), "update many");
    let ids: Vec<_> = committed.value.iter().map(|t| t.id).collect();
    assert_eq!(ids, [a.id, b.id, c.id, c.id]);
    assert_eq!(committed.value[0], ticket_now(&repos, &a));
    assert_eq!(committed.value[0].current_column.as_str(), "Doing");
    assert_eq!(committed.value[0].column_entered_at, at(2));
    assert_eq!(ticket_now(&repos, &b).current_column.as_str(), "Closed");
    let c_now = ticket_now(&repos, &c);
    assert_eq!(
        (
            c_now.current_column.as_str(),
            c_now.priority.value(),
            c_now.version
        ),
        ("Doing", 4.5, 3)
    );
    assert_eq!(rows(&repos, &a, HistoryField::Column), 1);
    assert_eq!(rows(&repos, &b, HistoryField::Column), 1);
    assert_eq!(rows(&repos, &c, HistoryField::Priority), 1);
    assert_eq!(rows(&repos, &c, HistoryField::Column), 1);
    let per_board: Vec<_> = committed
        .events
        .iter()
        .map(|e| (e.board_id, e.seq, e.event))
        .collect();
    assert_eq!(
        per_board,
        [
            (ops.id, 4, EventKind::TicketMoved),
            (dev.id, 3, EventKind::TicketMoved),
            (ops.id, 5, EventKind::TicketUpdated),
            (ops.id, 6, EventKind::TicketMoved),
        ]
    );
    assert_eq!(seqs(&all_events(&repos, ops.id)), [1, 2, 3, 4, 5, 6]);
    assert_eq!(seqs(&all_events(&repos, dev.id)), [1, 2, 3]);

    let empty = ok(repos.tickets.update_many(&[]), "an empty batch");
    assert!(empty.value.is_empty() && empty.events.is_empty());
    assert_eq!(seqs(&all_events(&repos, ops.id)), [1, 2, 3, 4, 5, 6]);
}

/// One failed guard anywhere in a batch (a ticket's version, a board's version, a ticket that
/// is gone) is a conflict, and nothing of the batch is written: no ticket, history row or event.
pub fn ticket_update_many_is_all_or_nothing(make: Factory<'_>) {
    let repos = make();
    let ops = board(&repos, "Ops", &["Todo", "Doing"], at(0)).value.board;
    let a = ticket(&repos, &ops, "a", "Todo", 1.0, at(1));
    let b = ticket(&repos, &ops, "b", "Todo", 1.0, at(1));
    let gone = ticket(&repos, &ops, "gone", "Todo", 1.0, at(1));
    ok(
        repos.tickets.delete(gone.id, gone.version, &[]),
        "delete a ticket",
    );
    let events_before = all_events(&repos, ops.id);
    let mut stale_ticket = reprioritised(&b, 2.0, 2);
    stale_ticket.update.expected_version = 7;
    let batches = [
        (
            "a stale ticket version",
            vec![moved(&a, "Doing", ops.version, 2), stale_ticket],
        ),
        (
            "a stale board version",
            vec![
                reprioritised(&a, 2.0, 2),
                moved(&b, "Doing", ops.version + 1, 2),
            ],
        ),
        (
            "a ticket that is gone",
            vec![
                moved(&a, "Doing", ops.version, 2),
                moved(&gone, "Doing", ops.version, 2),
            ],
        ),
        (
            "the same ticket twice at one version",
            vec![reprioritised(&a, 2.0, 2), reprioritised(&a, 3.0, 2)],
        ),
    ];
    for (what, changes) in batches {
        let result = repos.tickets.update_many(&changes);
        assert!(
            matches!(result, Err(StoreError::Conflict)),
            "{what}: {result:?}"
        );
        assert_eq!(ticket_now(&repos, &a), a, "{what}");
        assert_eq!(ticket_now(&repos, &b), b, "{what}");
        for t in [&a, &b] {
            let history = ok(repos.history.for_ticket(t.id, None, 50), "history");
            assert_eq!(history.len(), 1, "{what}: only the status row");
        }
        assert_eq!(all_events(&repos, ops.id), events_before, "{what}");
    }
    assert_eq!(board_now(&repos, ops.id).board.version, ops.version);
    // The numbering goes on from where it was: nothing was taken by the failed batches.
    let committed = ok(
        repos
            .tickets
            .update_many(&[moved(&a, "Doing", ops.version, 3)]),
        "a valid batch",
    );
    assert_eq!(seqs(&events_before), [1, 2, 3, 4]);
    assert_eq!(seqs(&committed.events), [5]);
}

/// Of concurrent batches decided on the same versions, exactly one applies in full.
pub fn ticket_update_many_races_have_one_winner(make: Factory<'_>) {
    let repos = make();
    let ops = board(&repos, "Ops", &["Todo", "Doing"], at(0)).value.board;
    let a = ticket(&repos, &ops, "a", "Todo", 1.0, at(1));
    let b = ticket(&repos, &ops, "b", "Todo", 1.0, at(1));
    let outcomes: Vec<Result<(), StoreError>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..6)
            .map(|i| {
                let repos = repos.clone();
                let (a, b) = (a.clone(), b.clone());
                scope.spawn(move || {
                    let priority = f64::from(i) + 2.0;
                    let changes = [
                        reprioritised(&a, priority, 2),
                        reprioritised(&b, priority, 2),
                    ];
                    repos.tickets.update_many(&changes).map(|_| ())
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|_| panic!("batch thread panicked")))
            .collect()
    });
    assert_eq!(
        outcomes.iter().filter(|o| o.is_ok()).count(),
        1,
        "{outcomes:?}"
    );
    assert!(
        outcomes
            .iter()
            .all(|o| matches!(o, Ok(()) | Err(StoreError::Conflict))),
        "{outcomes:?}"
    );
    let (a_now, b_now) = (ticket_now(&repos, &a), ticket_now(&repos, &b));
    assert_eq!((a_now.version, b_now.version), (2, 2));
    assert_eq!(a_now.priority, b_now.priority, "both from the same batch");
    assert_eq!(seqs(&all_events(&repos, ops.id)), [1, 2, 3, 4, 5]);
}
