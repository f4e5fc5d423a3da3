//! Contract of the reads behind the statistics:
//! [`TicketRepository::timings`](crate::ports::TicketRepository::timings) and
//! [`HistoryRepository::column_entries`](crate::ports::HistoryRepository::column_entries).

use super::Factory;
use super::fixtures::{at, board, column, move_ticket, ok, ticket};
use crate::ids::TicketId;
use crate::ports::TicketFilter;
use crate::statistics::{ColumnEntry, TicketTiming};
use crate::time::Timestamp;

/// Timings carry the ticket's id, title, column and instants, in board order (column position,
/// priority, id), filtered like `list`; other boards' tickets never appear.
pub fn ticket_timings_in_board_order(make: Factory<'_>) {
    let repos = make();
    let ops = board(&repos, "Ops", &["Todo", "Doing", "Done"], at(0))
        .value
        .board;
    let other = board(&repos, "Other", &["Todo", "Done"], at(0)).value.board;
    let late = ticket(&repos, &ops, "late", "Todo", 5.0, at(1));
    let urgent = ticket(&repos, &ops, "urgent", "Todo", 1.0, at(2));
    let moved = ticket(&repos, &ops, "moved", "Todo", 0.5, at(3));
    let moved = move_ticket(&repos, &moved, "Doing", at(30));
    let finished = ticket(&repos, &ops, "finished", "Doing", 2.0, at(4));
    let finished = move_ticket(&repos, &finished, "Done", at(40));
    ticket(&repos, &other, "elsewhere", "Todo", 1.0, at(5));

    let all = ok(
        repos.tickets.timings(&TicketFilter::board(ops.id)),
        "timings",
    );
    let expected = [
        TicketTiming::of(&urgent),
        TicketTiming::of(&late),
        TicketTiming::of(&moved),
        TicketTiming::of(&finished),
    ];
    assert_eq!(all, expected);
    assert_eq!(all[2].created_at, at(3));
    assert_eq!(all[2].column_entered_at, at(30));
    assert_eq!(all[2].current_column.as_str(), "Doing");
    assert_eq!(all[2].title, "moved");

    let doing = TicketFilter {
        columns: vec![column("Doing")],
        ..TicketFilter::board(ops.id)
    };
    assert_eq!(
        ok(repos.tickets.timings(&doing), "doing"),
        [TicketTiming::of(&moved)]
    );
    let empty = TicketFilter {
        columns: vec![column("Nowhere")],
        ..TicketFilter::board(ops.id)
    };
    assert!(ok(repos.tickets.timings(&empty), "nowhere").is_empty());
    let unknown = TicketFilter::board(crate::ids::BoardId::new(4242));
    assert!(ok(repos.tickets.timings(&unknown), "unknown").is_empty());
}

fn entry(ticket: TicketId, created_at: Timestamp, entered_at: Timestamp) -> ColumnEntry {
    ColumnEntry {
        ticket_id: ticket,
        created_at,
        entered_at,
    }
}

/// Moves into one column (exact name) of one board's tickets, since an instant (inclusive),
/// oldest first, each with the ticket's creation; re-entries are all listed.
pub fn history_column_entries_since(make: Factory<'_>) {
    let repos = make();
    let ops = board(&repos, "Ops", &["Todo", "Doing", "Done"], at(0))
        .value
        .board;
    let other = board(&repos, "Other", &["Todo", "Done"], at(0)).value.board;
    let a = ticket(&repos, &ops, "a", "Todo", 1.0, at(1));
    let b = ticket(&repos, &ops, "b", "Todo", 1.0, at(2));
    let c = ticket(&repos, &ops, "c", "Todo", 1.0, at(3));
    let x = ticket(&repos, &other, "x", "Todo", 1.0, at(4));
    let a = move_ticket(&repos, &a, "Done", at(10));
    let a = move_ticket(&repos, &a, "Doing", at(11));
    move_ticket(&repos, &a, "Done", at(20));
    let b = move_ticket(&repos, &b, "Doing", at(12));
    move_ticket(&repos, &b, "Done", at(15));
    move_ticket(&repos, &c, "Doing", at(16));
    move_ticket(&repos, &x, "Done", at(17));

    let done = column("Done");
    let entries = ok(
        repos.history.column_entries(ops.id, &done, at(0)),
        "entries",
    );
    assert_eq!(
        entries,
        [
            entry(a.id, at(1), at(10)),
            entry(b.id, at(2), at(15)),
            entry(a.id, at(1), at(20)),
        ]
    );
    let since = ok(repos.history.column_entries(ops.id, &done, at(15)), "since");
    assert_eq!(since, entries[1..], "the lower bound is inclusive");
    let doing = ok(
        repos
            .history
            .column_entries(ops.id, &column("Doing"), at(0)),
        "doing",
    );
    let ids: Vec<TicketId> = doing.iter().map(|e| e.ticket_id).collect();
    assert_eq!(ids, [a.id, b.id, c.id]);
    let other_done = ok(
        repos.history.column_entries(other.id, &done, at(0)),
        "other",
    );
    assert_eq!(other_done, [entry(x.id, at(4), at(17))]);
    assert!(ok(repos.history.column_entries(ops.id, &done, at(21)), "later").is_empty());
    assert!(
        ok(
            repos.history.column_entries(ops.id, &column("done"), at(0)),
            "spelling"
        )
        .is_empty(),
        "names match exactly, as written in the history"
    );
}
