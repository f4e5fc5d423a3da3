//! Helpers of the contract suite: fixed instants, and boards, tickets and events made through the
//! ports the way the services make them. They panic with a message naming what failed, since the
//! workspace forbids `unwrap` outside `#[cfg(test)]` code.

use crate::actor::{Actor, Role};
use crate::board::{Board, BoardView, NewBoard};
use crate::event::{Event, EventKind, NewEvent};
use crate::ids::BoardId;
use crate::ports::{Committed, Effects, Repositories};
use crate::ticket::{NewTicket, Ticket, TicketUpdate};
use crate::time::Timestamp;
use crate::values::{BoardName, ColumnName, Columns, LongText, Priority, TicketTitle};
use chrono::{Duration, TimeZone, Utc};
use std::fmt::Debug;

/// The value of `result`, or a panic naming `what` and the error.
pub(super) fn ok<T, E: Debug>(result: Result<T, E>, what: &str) -> T {
    match result {
        Ok(value) => value,
        Err(error) => panic!("{what}: unexpected error {error:?}"),
    }
}

/// The value in `option`, or a panic naming `what`.
pub(super) fn some<T>(option: Option<T>, what: &str) -> T {
    match option {
        Some(value) => value,
        None => panic!("{what}: expected a value, got None"),
    }
}

/// 2026-03-01T12:00:00.123Z plus `minutes`: millisecond precision, as the domain's clock gives.
pub(super) fn at(minutes: i64) -> Timestamp {
    let base = some(
        Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).single(),
        "base instant",
    );
    base + Duration::milliseconds(123) + Duration::minutes(minutes)
}

pub(super) fn actor() -> Actor {
    Actor::new("ann", Role::Pm)
}

pub(super) fn columns(names: &[&str]) -> Columns {
    ok(Columns::parse("columns", names), "columns")
}

pub(super) fn column(name: &str) -> ColumnName {
    ok(ColumnName::parse("column", name), "column name")
}

/// An event of `kind` about `board_id` at `at`, carrying `payload`'s fields.
pub(super) fn event(board_id: BoardId, kind: EventKind, at: Timestamp) -> NewEvent {
    NewEvent::new(
        board_id,
        kind,
        at,
        &serde_json::json!({
            "board_id": board_id,
            "n": 1.5,
            "nested": {"list": [1, "two", null]},
            "text": "é✓",
        }),
    )
}

/// Creates a board with one `board_created` event.
pub(super) fn board(
    repos: &Repositories,
    name: &str,
    names: &[&str],
    at: Timestamp,
) -> Committed<BoardView> {
    let new = NewBoard {
        name: ok(BoardName::parse("name", name), "board name"),
        description: ok(LongText::parse("description", "About\nthis board"), "text"),
        columns: columns(names),
        at,
    };
    let events = move |b: &Board| {
        let payload = serde_json::json!({"board_id": b.id, "name": b.name});
        vec![NewEvent::new(b.id, EventKind::BoardCreated, at, &payload)]
    };
    ok(repos.boards.create(&new, Box::new(events)), "create board")
}

/// The board as stored now.
pub(super) fn board_now(repos: &Repositories, id: BoardId) -> BoardView {
    some(ok(repos.boards.get(id), "get board"), "board exists")
}

/// Creates a ticket in `column` with its `status` history row and `ticket_created` event.
pub(super) fn ticket(
    repos: &Repositories,
    board: &Board,
    title: &str,
    column: &str,
    priority: f64,
    at: Timestamp,
) -> Ticket {
    let column = some(board.columns.find(column).cloned(), "column of the board");
    ticket_in(repos, board, title, column, priority, at)
}

/// A ticket in `column`, which need not be one of `board`'s (as imported data may have it).
pub(super) fn ticket_in(
    repos: &Repositories,
    board: &Board,
    title: &str,
    column: ColumnName,
    priority: f64,
    at: Timestamp,
) -> Ticket {
    let new = NewTicket {
        board_id: board.id,
        title: ok(TicketTitle::parse("title", title), "title"),
        description: LongText::empty(),
        acceptance_criteria: LongText::empty(),
        priority: ok(Priority::new("priority", priority), "priority"),
        assignee: None,
        current_column: column,
        at,
    };
    let effects = move |t: &Ticket| Effects {
        history: NewTicket::history(t, &actor()),
        events: vec![NewEvent::new(t.board_id, EventKind::TicketCreated, at, t)],
    };
    ok(
        repos.tickets.create(&new, board.version, Box::new(effects)),
        "create ticket",
    )
    .value
}

/// The ticket as stored now.
pub(super) fn ticket_now(repos: &Repositories, ticket: &Ticket) -> Ticket {
    some(
        ok(repos.tickets.get(ticket.id), "get ticket"),
        "ticket exists",
    )
}

/// Applies `update` with one event of `kind`.
pub(super) fn apply(
    repos: &Repositories,
    update: &TicketUpdate,
    kind: EventKind,
) -> Committed<Ticket> {
    let events = [event(
        update.ticket.board_id,
        kind,
        update.ticket.updated_at,
    )];
    ok(repos.tickets.update(update, None, &events), "update ticket")
}

/// Moves `ticket` to `column` at `at`.
pub(super) fn move_ticket(
    repos: &Repositories,
    ticket: &Ticket,
    column: &str,
    at: Timestamp,
) -> Ticket {
    let update = some(
        ticket.move_to(&self::column(column), &actor(), at),
        "a move",
    );
    apply(repos, &update, EventKind::TicketMoved).value
}

/// Every event the log holds for a board.
pub(super) fn all_events(repos: &Repositories, board_id: BoardId) -> Vec<Event> {
    ok(repos.events.since(board_id, 0, u32::MAX), "events since 0")
}

/// The seq of each event.
pub(super) fn seqs(events: &[Event]) -> Vec<i64> {
    events.iter().map(|e| e.seq).collect()
}
