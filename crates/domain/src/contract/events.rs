//! Contract of [`EventLog`](crate::ports::EventLog), and of the sequence numbers every write
//! gives the events it appends.

use super::Factory;
use super::fixtures::{
    actor, all_events, apply, at, board, event, move_ticket, ok, seqs, some, ticket,
};
use crate::board::{BoardPatch, Relocation};
use crate::comment::{Comment, NewComment};
use crate::event::{Event, EventKind};
use crate::ids::BoardId;
use crate::values::{AssigneeName, BoardName, CommentText};

/// Every kind of write numbers its events after the board's last one, from 1, by 1, per board;
/// the log returns them in order with kind, instant and payload as written.
pub fn event_seq_per_board_across_write_kinds(make: Factory<'_>) {
    let repos = make();
    let a = board(&repos, "A", &["Todo", "Done"], at(0));
    let b = board(&repos, "B", &["Todo"], at(0));
    assert_eq!((seqs(&a.events), seqs(&b.events)), (vec![1], vec![1]));
    let a = a.value.board;
    let b = b.value.board;

    let ta = ticket(&repos, &a, "ta", "Todo", 1.0, at(1));
    let tb = ticket(&repos, &b, "tb", "Todo", 1.0, at(1));
    let ta = move_ticket(&repos, &ta, "Done", at(2));
    let bot = ok(AssigneeName::parse("assignee", "bot"), "assignee");
    let claim = ok(tb.claim(&bot, &actor(), at(2)), "claim");
    assert_eq!(
        seqs(&apply(&repos, &claim, EventKind::TicketClaimed).events),
        [3]
    );

    let comment = NewComment {
        ticket_id: ta.id,
        text: ok(CommentText::parse("text", "hi"), "text"),
        author: "ann".into(),
        at: at(3),
    };
    let added = move |_: &Comment| vec![event(a.id, EventKind::CommentAdded, at(3))];
    let comment = ok(repos.comments.create(&comment, Box::new(added)), "comment");
    assert_eq!(seqs(&comment.events), [4]);
    let deleted = [event(a.id, EventKind::CommentDeleted, at(4))];
    let removed = ok(
        repos.comments.delete(comment.value.id, &deleted),
        "delete comment",
    );
    assert_eq!(seqs(&removed.events), [5]);

    let patch = BoardPatch {
        name: Some(ok(BoardName::parse("name", "A2"), "name")),
        ..BoardPatch::default()
    };
    let update = some(
        ok(
            a.apply_patch(&patch, Relocation::Refuse, &[], &actor(), at(5)),
            "decide",
        ),
        "a change",
    );
    let two = [
        event(a.id, EventKind::BoardUpdated, at(5)),
        event(a.id, EventKind::ColumnsUpdated, at(5)),
    ];
    assert_eq!(
        seqs(&ok(repos.boards.update(&update, &two), "update").events),
        [6, 7]
    );
    let gone = [event(a.id, EventKind::TicketDeleted, at(6))];
    let deleted_ticket = ok(
        repos.tickets.delete(ta.id, ta.version, &gone),
        "delete ticket",
    );
    assert_eq!(seqs(&deleted_ticket.events), [8]);
    let last = [event(a.id, EventKind::BoardDeleted, at(7))];
    let deleted_board = ok(
        repos.boards.delete(a.id, update.board.version, &last),
        "delete",
    );
    assert_eq!(seqs(&deleted_board.events), [9]);

    // The last sequence number follows every kind of write, and outlives the board.
    assert_eq!(ok(repos.events.last_seq(a.id), "last seq"), 9);
    assert_eq!(ok(repos.events.last_seq(b.id), "last seq"), 3);
    assert_eq!(ok(repos.events.last_seq(BoardId::new(999)), "last seq"), 0);

    let log = all_events(&repos, a.id);
    assert_eq!(seqs(&log), (1..=9).collect::<Vec<i64>>());
    let kinds: Vec<EventKind> = log.iter().map(|e| e.event).collect();
    assert_eq!(
        kinds,
        [
            EventKind::BoardCreated,
            EventKind::TicketCreated,
            EventKind::TicketMoved,
            EventKind::CommentAdded,
            EventKind::CommentDeleted,
            EventKind::BoardUpdated,
            EventKind::ColumnsUpdated,
            EventKind::TicketDeleted,
            EventKind::BoardDeleted,
        ]
    );
    assert!(log.iter().all(|e| e.board_id == a.id));
    let written = &two[1];
    let expected = Event {
        event: written.kind,
        board_id: written.board_id,
        seq: 7,
        timestamp: written.at,
        data: written.data.clone(),
    };
    assert_eq!(log[6], expected, "kind, instant and payload round-trip");
    assert_eq!(log[6].data.value()["nested"]["list"][1], "two");
    assert_eq!(log[6].data.value()["text"], "é✓");
    assert_eq!(seqs(&all_events(&repos, b.id)), [1, 2, 3]);
}

/// `since` returns the events after a seq, in order, at most `limit`; `bounds` the lowest and
/// highest seq held.
pub fn event_since_and_bounds(make: Factory<'_>) {
    let repos = make();
    let ops = board(&repos, "Ops", &["Todo", "Done"], at(0)).value.board;
    let mut task = ticket(&repos, &ops, "task", "Todo", 1.0, at(1));
    for (minute, column) in [(2, "Done"), (3, "Todo"), (4, "Done")] {
        task = move_ticket(&repos, &task, column, at(minute));
    }
    assert_eq!(seqs(&all_events(&repos, ops.id)), [1, 2, 3, 4, 5]);
    let page = ok(repos.events.since(ops.id, 2, 2), "since 2");
    assert_eq!(seqs(&page), [3, 4]);
    assert_eq!(page[0].timestamp, at(2));
    assert!(ok(repos.events.since(ops.id, 5, 10), "since 5").is_empty());
    assert!(ok(repos.events.since(ops.id, 0, 0), "limit 0").is_empty());
    assert_eq!(ok(repos.events.bounds(ops.id), "bounds"), Some((1, 5)));
    assert_eq!(ok(repos.events.bounds(BoardId::new(4242)), "bounds"), None);
    assert!(ok(repos.events.since(BoardId::new(4242), 0, 10), "none").is_empty());
}

/// Pruning removes events recorded before an instant (exclusive); sequence numbers continue
/// after the pruned ones and are never handed out again, even when the log of a board is empty.
pub fn events_prune_by_age_and_seq_never_restarts(make: Factory<'_>) {
    let repos = make();
    let ops = board(&repos, "Ops", &["Todo", "Done"], at(0)).value.board;
    let other = board(&repos, "Other", &["Todo"], at(100)).value.board;
    let task = ticket(&repos, &ops, "task", "Todo", 1.0, at(60));
    let task = move_ticket(&repos, &task, "Done", at(120));

    assert_eq!(ok(repos.events.prune(at(60)), "prune"), 1);
    assert_eq!(ok(repos.events.bounds(ops.id), "bounds"), Some((2, 3)));
    assert_eq!(seqs(&all_events(&repos, ops.id)), [2, 3]);
    assert_eq!(seqs(&all_events(&repos, other.id)), [1]);

    let task = move_ticket(&repos, &task, "Todo", at(180));
    assert_eq!(seqs(&all_events(&repos, ops.id)), [2, 3, 4]);

    assert_eq!(ok(repos.events.prune(at(1000)), "prune all"), 4);
    assert_eq!(ok(repos.events.bounds(ops.id), "bounds"), None);
    assert_eq!(
        ok(repos.events.last_seqs(), "last seqs"),
        [(ops.id, 4), (other.id, 1)],
        "the last sequence numbers survive pruning"
    );
    assert_eq!(ok(repos.events.prune(at(1000)), "prune again"), 0);
    move_ticket(&repos, &task, "Done", at(1001));
    assert_eq!(seqs(&all_events(&repos, ops.id)), [5]);
    assert_eq!(ok(repos.events.bounds(ops.id), "bounds"), Some((5, 5)));
}
