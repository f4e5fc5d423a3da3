//! The events each use case appends: their names and payloads are part of the contract (§10).

use crate::actor::Actor;
use crate::board::Board;
use crate::comment::Comment;
use crate::event::{EventKind, NewEvent};
use crate::ticket::Ticket;
use crate::time::{Timestamp, format_timestamp};
use serde_json::json;

pub(super) fn board_created(board: &Board, actor: &Actor) -> NewEvent {
    NewEvent::new(
        board.id,
        EventKind::BoardCreated,
        board.created_at,
        board,
        &[
            ("ticket_count", json!(0)),
            ("created_by", json!(actor.name())),
        ],
    )
}

pub(super) fn board_updated(board: &Board, actor: &Actor) -> NewEvent {
    NewEvent::new(
        board.id,
        EventKind::BoardUpdated,
        board.updated_at,
        board,
        &[("updated_by", json!(actor.name()))],
    )
}

pub(super) fn columns_updated(
    board: &Board,
    actor: &Actor,
    renamed: Option<(&str, &str)>,
) -> NewEvent {
    let mut extra = vec![
        ("columns", json!(board.columns)),
        ("version", json!(board.version)),
        ("updated_by", json!(actor.name())),
    ];
    if let Some((from, to)) = renamed {
        extra.push(("renamed", json!({"from": from, "to": to})));
    }
    NewEvent::new(
        board.id,
        EventKind::ColumnsUpdated,
        board.updated_at,
        &json!({}),
        &extra,
    )
}

pub(super) fn board_deleted(board: &Board, actor: &Actor, at: Timestamp) -> NewEvent {
    NewEvent::new(
        board.id,
        EventKind::BoardDeleted,
        at,
        &json!({"name": board.name}),
        &[("deleted_by", json!(actor.name()))],
    )
}

pub(super) fn ticket_created(ticket: &Ticket, actor: &Actor) -> NewEvent {
    NewEvent::new(
        ticket.board_id,
        EventKind::TicketCreated,
        ticket.created_at,
        ticket,
        &[("created_by", json!(actor.name()))],
    )
}

pub(super) fn ticket_updated(ticket: &Ticket, actor: &Actor, changes: &[&str]) -> NewEvent {
    NewEvent::new(
        ticket.board_id,
        EventKind::TicketUpdated,
        ticket.updated_at,
        ticket,
        &[
            ("changed_by", json!(actor.name())),
            ("changes", json!(changes)),
        ],
    )
}

pub(super) fn ticket_moved(ticket: &Ticket, from: &str, actor: &Actor) -> NewEvent {
    NewEvent::new(
        ticket.board_id,
        EventKind::TicketMoved,
        ticket.updated_at,
        ticket,
        &[
            ("from_column", json!(from)),
            ("to_column", json!(ticket.current_column)),
            ("moved_by", json!(actor.name())),
            ("moved_at", json!(format_timestamp(&ticket.updated_at))),
        ],
    )
}

pub(super) fn ticket_claimed(ticket: &Ticket, actor: &Actor) -> NewEvent {
    NewEvent::new(
        ticket.board_id,
        EventKind::TicketClaimed,
        ticket.updated_at,
        ticket,
        &[("claimed_by", json!(actor.name()))],
    )
}

pub(super) fn ticket_released(ticket: &Ticket, previous: Option<&str>, actor: &Actor) -> NewEvent {
    NewEvent::new(
        ticket.board_id,
        EventKind::TicketReleased,
        ticket.updated_at,
        ticket,
        &[
            ("released_by", json!(actor.name())),
            ("previous_assignee", json!(previous)),
        ],
    )
}

pub(super) fn ticket_deleted(ticket: &Ticket, actor: &Actor, at: Timestamp) -> NewEvent {
    NewEvent::new(
        ticket.board_id,
        EventKind::TicketDeleted,
        at,
        &json!({"ticket_id": ticket.id, "title": ticket.title, "current_column": ticket.current_column}),
        &[("deleted_by", json!(actor.name()))],
    )
}

pub(super) fn comment_added(comment: &Comment, ticket: &Ticket) -> NewEvent {
    NewEvent::new(
        ticket.board_id,
        EventKind::CommentAdded,
        comment.created_at,
        comment,
        &[],
    )
}

pub(super) fn comment_deleted(
    comment: &Comment,
    ticket: &Ticket,
    actor: &Actor,
    at: Timestamp,
) -> NewEvent {
    NewEvent::new(
        ticket.board_id,
        EventKind::CommentDeleted,
        at,
        &json!({"comment_id": comment.id, "ticket_id": comment.ticket_id}),
        &[("deleted_by", json!(actor.name()))],
    )
}
