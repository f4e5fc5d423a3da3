//! Contract of [`BoardRepository`](crate::ports::BoardRepository).

use super::Factory;
use super::fixtures::{
    actor, all_events, at, board, board_now, column, columns, event, ok, seqs, some, ticket,
    ticket_now,
};
use crate::board::{BoardPatch, Relocation};
use crate::comment::NewComment;
use crate::error::StoreError;
use crate::event::EventKind;
use crate::history::HistoryField;
use crate::ids::BoardId;
use crate::values::{BoardName, CommentText};

/// Boards come back as created (timestamps to the millisecond), listed by id, with the first
/// board the lowest id and ticket counts computed.
pub fn board_create_get_list_first(make: Factory<'_>) {
    let repos = make();
    assert!(ok(repos.boards.list(), "list").is_empty());
    assert!(ok(repos.boards.first(), "first").is_none());
    assert!(ok(repos.boards.get(BoardId::new(4242)), "get missing").is_none());
    assert!(
        ok(
            repos.boards.get_board(BoardId::new(4242)),
            "get_board missing"
        )
        .is_none()
    );
    for view in ok(repos.boards.list(), "list for get_board") {
        let board = ok(repos.boards.get_board(view.board.id), "get_board");
        assert_eq!(
            board.as_ref(),
            Some(&view.board),
            "get_board is the board without its count"
        );
    }

    let ops = board(&repos, "Ops", &["Todo", "Doing", "Done"], at(0));
    let dev = board(&repos, "Dev", &["A"], at(1));
    let created = &ops.value;
    assert_eq!(created.ticket_count, 0);
    assert_eq!(created.board.version, 1);
    assert_eq!(created.board.name.as_str(), "Ops");
    assert_eq!(created.board.description.as_str(), "About\nthis board");
    assert_eq!(created.board.columns.names(), ["Todo", "Doing", "Done"]);
    assert_eq!(
        (created.board.created_at, created.board.updated_at),
        (at(0), at(0))
    );
    assert!(dev.value.board.id > created.board.id, "ids increase");
    assert_eq!(seqs(&ops.events), [1]);
    assert_eq!(ops.events[0].board_id, created.board.id);

    assert_eq!(&board_now(&repos, created.board.id), created);
    ticket(&repos, &created.board, "one", "Doing", 1.0, at(2));
    ticket(&repos, &created.board, "two", "Done", 1.0, at(2));

    let listed = ok(repos.boards.list(), "list");
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[0].board, created.board);
    assert_eq!(listed[1].board, dev.value.board);
    assert_eq!((listed[0].ticket_count, listed[1].ticket_count), (2, 0));
    let first = some(ok(repos.boards.first(), "first"), "a first board");
    assert_eq!((first.board.id, first.ticket_count), (created.board.id, 2));
    assert_eq!(board_now(&repos, created.board.id).ticket_count, 2);
}

/// A board update writes the new state under its version guard; a stale or missing board writes
/// nothing.
pub fn board_update_applies_and_checks_version(make: Factory<'_>) {
    let repos = make();
    let before = board(&repos, "Ops", &["Todo", "Done"], at(0)).value.board;
    let patch = BoardPatch {
        name: Some(ok(BoardName::parse("name", "Ops 2"), "name")),
        columns: Some(columns(&["Done", "Todo", "Later"])),
        ..BoardPatch::default()
    };
    let update = some(
        ok(
            before.apply_patch(&patch, Relocation::Refuse, &[], &actor(), at(5)),
            "decide",
        ),
        "a change",
    );
    let kinds = [EventKind::BoardUpdated, EventKind::ColumnsUpdated];
    let events: Vec<_> = kinds.iter().map(|k| event(before.id, *k, at(5))).collect();
    let committed = ok(repos.boards.update(&update, &events), "update");
    assert_eq!(committed.value.board, update.board);
    assert_eq!(committed.value.board.version, 2);
    assert_eq!(
        committed.value.board.columns.names(),
        ["Done", "Todo", "Later"]
    );
    assert_eq!(committed.value.board.updated_at, at(5));
    assert_eq!(committed.value.board.created_at, at(0));
    assert_eq!(seqs(&committed.events), [2, 3]);
    assert_eq!(board_now(&repos, before.id), committed.value);

    // Decided on version 1 again: stale.
    let stale = some(
        ok(
            before.apply_patch(&patch, Relocation::Refuse, &[], &actor(), at(6)),
            "decide",
        ),
        "a change",
    );
    let result = repos.boards.update(&stale, &events);
    assert!(matches!(result, Err(StoreError::Conflict)), "{result:?}");
    assert_eq!(board_now(&repos, before.id), committed.value);
    assert_eq!(seqs(&all_events(&repos, before.id)), [1, 2, 3]);

    let mut gone = update.clone();
    gone.board.id = BoardId::new(4242);
    let result = repos.boards.update(&gone, &[]);
    assert!(matches!(result, Err(StoreError::NotFound)), "{result:?}");
}

/// Tickets relocated out of a removed column move with their history rows; tickets of a renamed
/// column follow it without history.
pub fn board_update_relocates_and_renames_tickets(make: Factory<'_>) {
    let repos = make();
    let before = board(&repos, "Ops", &["Todo", "Blocked", "Done"], at(0))
        .value
        .board;
    let blocked = ticket(&repos, &before, "stuck", "Blocked", 1.0, at(1));
    let todo = ticket(&repos, &before, "new", "Todo", 1.0, at(1));

    let patch = BoardPatch {
        columns: Some(columns(&["Todo", "Done"])),
        ..BoardPatch::default()
    };
    let update = some(
        ok(
            before.apply_patch(
                &patch,
                Relocation::MoveTo("done"),
                std::slice::from_ref(&blocked),
                &actor(),
                at(2),
            ),
            "decide",
        ),
        "a change",
    );
    let events = [event(before.id, EventKind::ColumnsUpdated, at(2))];
    let committed = ok(repos.boards.update(&update, &events), "relocate");
    assert_eq!(committed.value.ticket_count, 2);
    let moved = ticket_now(&repos, &blocked);
    assert_eq!(moved.current_column.as_str(), "Done");
    assert_eq!((moved.version, moved.column_entered_at), (2, at(2)));
    let rows = ok(repos.history.column_changes(blocked.id), "column rows");
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].old_value.as_deref(), Some("Blocked"));
    assert_eq!(rows[0].new_value.as_deref(), Some("Done"));

    let after = committed.value.board;
    let renamed = some(
        ok(
            after.rename_column(
                "todo",
                &column("Backlog"),
                std::slice::from_ref(&todo),
                at(3),
            ),
            "decide rename",
        ),
        "a rename",
    );
    ok(repos.boards.update(&renamed, &[]), "rename");
    let followed = ticket_now(&repos, &todo);
    assert_eq!(followed.current_column.as_str(), "Backlog");
    assert_eq!(followed.column_entered_at, at(1), "a rename is not a move");
    assert!(ok(repos.history.column_changes(todo.id), "rows").is_empty());
    assert_eq!(
        board_now(&repos, before.id).board.columns.names(),
        ["Backlog", "Done"]
    );
}

/// A change that would leave a ticket in a removed column is a conflict and writes nothing: not
/// the board, not the tickets it relocated, not their history, not its events.
pub fn board_update_refuses_ticket_left_in_removed_column(make: Factory<'_>) {
    let repos = make();
    let before = board(&repos, "Ops", &["Todo", "Blocked", "Done"], at(0))
        .value
        .board;
    let first = ticket(&repos, &before, "first", "Blocked", 1.0, at(1));
    let second = ticket(&repos, &before, "second", "Blocked", 2.0, at(1));
    let board_before = board_now(&repos, before.id);
    let events_before = all_events(&repos, before.id);

    let patch = BoardPatch {
        columns: Some(columns(&["Todo", "Done"])),
        ..BoardPatch::default()
    };
    // Decided on a view that knew only `first` (as if `second` arrived meanwhile), and on one
    // that knew neither.
    for known in [vec![first.clone()], vec![]] {
        let update = some(
            ok(
                before.apply_patch(&patch, Relocation::MoveTo("Todo"), &known, &actor(), at(2)),
                "decide",
            ),
            "a change",
        );
        assert_eq!(update.removed_columns, [column("Blocked")]);
        let events = [event(before.id, EventKind::ColumnsUpdated, at(2))];
        let result = repos.boards.update(&update, &events);
        assert!(matches!(result, Err(StoreError::Conflict)), "{result:?}");
        assert_eq!(board_now(&repos, before.id), board_before);
        assert_eq!(ticket_now(&repos, &first), first);
        assert_eq!(ticket_now(&repos, &second), second);
        let rows = ok(repos.history.for_ticket(first.id, None, 50), "history");
        assert_eq!(rows.len(), 1, "only the creation row: {rows:?}");
        assert_eq!(all_events(&repos, before.id), events_before);
    }
    // The failed changes took no sequence numbers either.
    let moved = super::fixtures::move_ticket(&repos, &first, "Todo", at(3));
    let last = some(events_before.last(), "events").seq;
    assert_eq!(
        seqs(&all_events(&repos, before.id)).last(),
        Some(&(last + 1))
    );
    assert_eq!(moved.version, 2);
}

/// A relocation decided on a ticket that has since changed or been deleted is a conflict.
pub fn board_update_with_stale_ticket_is_conflict(make: Factory<'_>) {
    let repos = make();
    let before = board(&repos, "Ops", &["Todo", "Blocked"], at(0))
        .value
        .board;
    let stuck = ticket(&repos, &before, "stuck", "Blocked", 1.0, at(1));
    let patch = BoardPatch {
        columns: Some(columns(&["Todo"])),
        ..BoardPatch::default()
    };
    let update = some(
        ok(
            before.apply_patch(
                &patch,
                Relocation::MoveTo("Todo"),
                std::slice::from_ref(&stuck),
                &actor(),
                at(2),
            ),
            "decide",
        ),
        "a change",
    );
    // The ticket changed meanwhile (new priority, same column).
    let bumped = some(
        stuck.apply_patch(
            &crate::ticket::TicketPatch {
                priority: Some(ok(crate::values::Priority::new("p", 3.0), "priority")),
                ..Default::default()
            },
            &actor(),
            at(2),
        ),
        "a patch",
    );
    ok(repos.tickets.update(&bumped, None, &[]), "bump");
    let result = repos.boards.update(&update, &[]);
    assert!(matches!(result, Err(StoreError::Conflict)), "{result:?}");
    assert_eq!(board_now(&repos, before.id).board, before);

    // The ticket is gone meanwhile.
    let current = ticket_now(&repos, &stuck);
    ok(
        repos.tickets.delete(stuck.id, current.version, &[]),
        "delete",
    );
    let result = repos.boards.update(&update, &[]);
    assert!(matches!(result, Err(StoreError::Conflict)), "{result:?}");
    assert_eq!(board_now(&repos, before.id).board, before);
}

/// Deleting a board removes its tickets, comments and history, and keeps its events (with the
/// `board_deleted` one) readable; a stale version deletes nothing.
pub fn board_delete_cascades_but_keeps_events(make: Factory<'_>) {
    let repos = make();
    let doomed = board(&repos, "Doomed", &["Todo"], at(0)).value.board;
    let other = board(&repos, "Other", &["Todo"], at(0)).value.board;
    let victim = ticket(&repos, &doomed, "victim", "Todo", 1.0, at(1));
    let survivor = ticket(&repos, &other, "survivor", "Todo", 1.0, at(1));
    let comment = NewComment {
        ticket_id: victim.id,
        text: ok(CommentText::parse("text", "bye"), "text"),
        author: "ann".into(),
        at: at(2),
    };
    let comment = ok(
        repos.comments.create(&comment, Box::new(|_| Vec::new())),
        "comment",
    )
    .value;

    let history_rows = || ok(repos.health.inventory(), "inventory").history_entries;
    assert_eq!(history_rows(), 2, "two creations");
    let deleted = [event(doomed.id, EventKind::BoardDeleted, at(3))];
    let result = repos.boards.delete(doomed.id, doomed.version + 1, &deleted);
    assert!(matches!(result, Err(StoreError::Conflict)), "{result:?}");
    assert_eq!(ticket_now(&repos, &victim), victim);
    assert_eq!(history_rows(), 2, "a stale delete keeps the history");
    assert_eq!(seqs(&all_events(&repos, doomed.id)), [1, 2]);

    let committed = ok(
        repos.boards.delete(doomed.id, doomed.version, &deleted),
        "delete",
    );
    assert_eq!(seqs(&committed.events), [3]);
    assert!(ok(repos.boards.get(doomed.id), "get").is_none());
    assert!(ok(repos.tickets.get(victim.id), "ticket").is_none());
    assert!(ok(repos.comments.get(comment.id), "comment").is_none());
    assert!(ok(repos.comments.list_for_ticket(victim.id), "comments").is_empty());
    assert!(ok(repos.history.for_ticket(victim.id, None, 50), "history").is_empty());
    assert_eq!(history_rows(), 1, "the survivor's row stays");
    let kept = all_events(&repos, doomed.id);
    assert_eq!(seqs(&kept), [1, 2, 3]);
    assert_eq!(kept[2].event, EventKind::BoardDeleted);
    assert_eq!(ok(repos.events.bounds(doomed.id), "bounds"), Some((1, 3)));

    assert_eq!(ticket_now(&repos, &survivor), survivor);
    let status = ok(
        repos
            .history
            .for_ticket(survivor.id, Some(HistoryField::Status), 5),
        "h",
    );
    assert_eq!(status.len(), 1);
    let listed = ok(repos.boards.list(), "list");
    assert_eq!(listed.len(), 1);
    assert_eq!((listed[0].board.id, listed[0].ticket_count), (other.id, 1));

    let again = repos.boards.delete(doomed.id, doomed.version, &deleted);
    assert!(matches!(again, Err(StoreError::NotFound)), "{again:?}");
}
