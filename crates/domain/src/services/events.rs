//! The events each use case appends: their names and payloads are part of the contract (§10).
//!
//! Each payload is a struct written straight to JSON text (see [`crate::event::EventData`]): the
//! board, ticket or comment it is about, flattened, with the fields the event adds. Every payload
//! carries `board_id` (a ticket has its own) and no key twice, which the tests below check.

use crate::actor::Actor;
use crate::board::Board;
use crate::comment::Comment;
use crate::event::{EventKind, NewEvent};
use crate::ids::{BoardId, CommentId, TicketId};
use crate::ticket::Ticket;
use crate::time::{Timestamp, serde_timestamp};
use crate::values::Columns;
use serde::Serialize;

/// A board event: the board, its id as `board_id`, and what the event adds.
#[derive(Serialize)]
struct OfBoard<'a, E> {
    #[serde(flatten)]
    board: &'a Board,
    board_id: BoardId,
    #[serde(flatten)]
    extra: E,
}

/// A ticket event: the ticket (which carries `board_id`) and what the event adds.
#[derive(Serialize)]
struct OfTicket<'a, E> {
    #[serde(flatten)]
    ticket: &'a Ticket,
    #[serde(flatten)]
    extra: E,
}

fn of_board(kind: EventKind, board: &Board, at: Timestamp, extra: impl Serialize) -> NewEvent {
    NewEvent::new(
        board.id,
        kind,
        at,
        &OfBoard {
            board,
            board_id: board.id,
            extra,
        },
    )
}

fn of_ticket(kind: EventKind, ticket: &Ticket, at: Timestamp, extra: impl Serialize) -> NewEvent {
    NewEvent::new(ticket.board_id, kind, at, &OfTicket { ticket, extra })
}

pub(super) fn board_created(board: &Board, actor: &Actor) -> NewEvent {
    #[derive(Serialize)]
    struct Created<'a> {
        ticket_count: u64,
        created_by: &'a str,
    }
    of_board(
        EventKind::BoardCreated,
        board,
        board.created_at,
        Created {
            ticket_count: 0,
            created_by: actor.name(),
        },
    )
}

pub(super) fn board_updated(board: &Board, actor: &Actor) -> NewEvent {
    #[derive(Serialize)]
    struct Updated<'a> {
        updated_by: &'a str,
    }
    of_board(
        EventKind::BoardUpdated,
        board,
        board.updated_at,
        Updated {
            updated_by: actor.name(),
        },
    )
}

pub(super) fn columns_updated(
    board: &Board,
    actor: &Actor,
    renamed: Option<(&str, &str)>,
) -> NewEvent {
    #[derive(Serialize)]
    struct Renamed<'a> {
        from: &'a str,
        to: &'a str,
    }
    #[derive(Serialize)]
    struct ColumnsUpdated<'a> {
        board_id: BoardId,
        columns: &'a Columns,
        version: i64,
        updated_by: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        renamed: Option<Renamed<'a>>,
    }
    NewEvent::new(
        board.id,
        EventKind::ColumnsUpdated,
        board.updated_at,
        &ColumnsUpdated {
            board_id: board.id,
            columns: &board.columns,
            version: board.version,
            updated_by: actor.name(),
            renamed: renamed.map(|(from, to)| Renamed { from, to }),
        },
    )
}

pub(super) fn board_deleted(board: &Board, actor: &Actor, at: Timestamp) -> NewEvent {
    #[derive(Serialize)]
    struct Deleted<'a> {
        board_id: BoardId,
        name: &'a str,
        deleted_by: &'a str,
    }
    NewEvent::new(
        board.id,
        EventKind::BoardDeleted,
        at,
        &Deleted {
            board_id: board.id,
            name: board.name.as_str(),
            deleted_by: actor.name(),
        },
    )
}

pub(super) fn ticket_created(ticket: &Ticket, actor: &Actor) -> NewEvent {
    #[derive(Serialize)]
    struct Created<'a> {
        created_by: &'a str,
    }
    of_ticket(
        EventKind::TicketCreated,
        ticket,
        ticket.created_at,
        Created {
            created_by: actor.name(),
        },
    )
}

pub(super) fn ticket_updated(ticket: &Ticket, actor: &Actor, changes: &[&str]) -> NewEvent {
    #[derive(Serialize)]
    struct Updated<'a> {
        changed_by: &'a str,
        changes: &'a [&'a str],
    }
    of_ticket(
        EventKind::TicketUpdated,
        ticket,
        ticket.updated_at,
        Updated {
            changed_by: actor.name(),
            changes,
        },
    )
}

pub(super) fn ticket_moved(ticket: &Ticket, from: &str, actor: &Actor) -> NewEvent {
    #[derive(Serialize)]
    struct Moved<'a> {
        from_column: &'a str,
        to_column: &'a str,
        moved_by: &'a str,
        #[serde(with = "serde_timestamp")]
        moved_at: Timestamp,
    }
    of_ticket(
        EventKind::TicketMoved,
        ticket,
        ticket.updated_at,
        Moved {
            from_column: from,
            to_column: ticket.current_column.as_str(),
            moved_by: actor.name(),
            moved_at: ticket.updated_at,
        },
    )
}

pub(super) fn ticket_claimed(ticket: &Ticket, actor: &Actor) -> NewEvent {
    #[derive(Serialize)]
    struct Claimed<'a> {
        claimed_by: &'a str,
    }
    of_ticket(
        EventKind::TicketClaimed,
        ticket,
        ticket.updated_at,
        Claimed {
            claimed_by: actor.name(),
        },
    )
}

pub(super) fn ticket_released(ticket: &Ticket, previous: Option<&str>, actor: &Actor) -> NewEvent {
    #[derive(Serialize)]
    struct Released<'a> {
        released_by: &'a str,
        previous_assignee: Option<&'a str>,
    }
    of_ticket(
        EventKind::TicketReleased,
        ticket,
        ticket.updated_at,
        Released {
            released_by: actor.name(),
            previous_assignee: previous,
        },
    )
}

pub(super) fn ticket_deleted(ticket: &Ticket, actor: &Actor, at: Timestamp) -> NewEvent {
    #[derive(Serialize)]
    struct Deleted<'a> {
        board_id: BoardId,
        ticket_id: TicketId,
        title: &'a str,
        current_column: &'a str,
        deleted_by: &'a str,
    }
    NewEvent::new(
        ticket.board_id,
        EventKind::TicketDeleted,
        at,
        &Deleted {
            board_id: ticket.board_id,
            ticket_id: ticket.id,
            title: ticket.title.as_str(),
            current_column: ticket.current_column.as_str(),
            deleted_by: actor.name(),
        },
    )
}

pub(super) fn comment_added(comment: &Comment, ticket: &Ticket) -> NewEvent {
    #[derive(Serialize)]
    struct Added<'a> {
        #[serde(flatten)]
        comment: &'a Comment,
        board_id: BoardId,
    }
    NewEvent::new(
        ticket.board_id,
        EventKind::CommentAdded,
        comment.created_at,
        &Added {
            comment,
            board_id: ticket.board_id,
        },
    )
}

pub(super) fn comment_deleted(
    comment: &Comment,
    ticket: &Ticket,
    actor: &Actor,
    at: Timestamp,
) -> NewEvent {
    #[derive(Serialize)]
    struct Deleted<'a> {
        board_id: BoardId,
        comment_id: CommentId,
        ticket_id: TicketId,
        deleted_by: &'a str,
    }
    NewEvent::new(
        ticket.board_id,
        EventKind::CommentDeleted,
        at,
        &Deleted {
            board_id: ticket.board_id,
            comment_id: comment.id,
            ticket_id: comment.ticket_id,
            deleted_by: actor.name(),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actor::Role;
    use crate::values::TicketTitle;
    use crate::values::{AssigneeName, BoardName, ColumnName, CommentText, LongText, Priority};
    use serde::de::{Deserializer, IgnoredAny, MapAccess, Visitor};
    use serde_json::json;

    /// The keys of a JSON object in the order written, repeats included (a map type would keep
    /// one of them silently).
    fn keys(text: &str) -> Vec<String> {
        struct Keys;
        impl<'de> Visitor<'de> for Keys {
            type Value = Vec<String>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut keys = Vec::new();
                while let Some((key, IgnoredAny)) = map.next_entry::<String, IgnoredAny>()? {
                    keys.push(key);
                }
                Ok(keys)
            }
        }
        serde_json::Deserializer::from_str(text)
            .deserialize_map(Keys)
            .unwrap()
    }

    fn board() -> Board {
        Board {
            id: BoardId::new(3),
            name: BoardName::parse("name", "Flow").unwrap(),
            description: LongText::empty(),
            columns: Columns::parse("columns", &["Todo", "Done"]).unwrap(),
            created_at: chrono::Utc::now(),
            updated_at: chrono::Utc::now(),
            version: 2,
        }
    }

    fn ticket() -> Ticket {
        Ticket {
            id: TicketId::new(9),
            board_id: BoardId::new(3),
            title: TicketTitle::parse("title", "Ship \"it\"").unwrap(),
            description: LongText::empty(),
            acceptance_criteria: LongText::empty(),
            priority: Priority::new("priority", 2.0).unwrap(),
            assignee: Some(AssigneeName::parse("assignee", "bot-1").unwrap()),
            current_column: ColumnName::parse("column", "Done").unwrap(),
            created_at: chrono::Utc::now(),
            updated_at: chrono::Utc::now(),
            column_entered_at: chrono::Utc::now(),
            version: 4,
        }
    }

    #[test]
    fn every_payload_is_an_object_with_its_board_and_each_key_once() {
        let (board, ticket, pat) = (board(), ticket(), Actor::new("pat", Role::Admin));
        let comment = Comment {
            id: CommentId::new(5),
            ticket_id: ticket.id,
            text: CommentText::parse("text", "done").unwrap(),
            author: "pat".to_owned(),
            created_at: chrono::Utc::now(),
        };
        let now = chrono::Utc::now();
        let events = [
            board_created(&board, &pat),
            board_updated(&board, &pat),
            columns_updated(&board, &pat, Some(("Todo", "Next"))),
            columns_updated(&board, &pat, None),
            board_deleted(&board, &pat, now),
            ticket_created(&ticket, &pat),
            ticket_updated(&ticket, &pat, &["title"]),
            ticket_moved(&ticket, "Todo", &pat),
            ticket_claimed(&ticket, &pat),
            ticket_released(&ticket, None, &pat),
            ticket_deleted(&ticket, &pat, now),
            comment_added(&comment, &ticket),
            comment_deleted(&comment, &ticket, &pat, now),
        ];
        for event in &events {
            let keys = keys(event.data.as_str());
            let mut unique = keys.clone();
            unique.sort();
            unique.dedup();
            assert_eq!(unique.len(), keys.len(), "{:?}: {keys:?}", event.kind);
            assert_eq!(event.data.value()["board_id"], 3, "{:?}", event.kind);
        }
    }

    #[test]
    fn payloads_carry_what_the_contract_names() {
        let (board, ticket, pat) = (board(), ticket(), Actor::new("pat", Role::Admin));
        let moved = ticket_moved(&ticket, "Todo", &pat).data.value();
        assert_eq!(moved["id"], 9);
        assert_eq!(moved["title"], "Ship \"it\"");
        assert_eq!(moved["from_column"], "Todo");
        assert_eq!(moved["to_column"], "Done");
        assert_eq!(moved["moved_by"], "pat");
        assert_eq!(moved["moved_at"], moved["updated_at"]);
        let created = board_created(&board, &pat).data.value();
        assert_eq!(created["id"], 3);
        assert_eq!(created["name"], "Flow");
        assert_eq!(created["ticket_count"], 0);
        assert_eq!(created["created_by"], "pat");
        let renamed = columns_updated(&board, &pat, Some(("Todo", "Next")))
            .data
            .value();
        assert_eq!(renamed["renamed"], json!({"from": "Todo", "to": "Next"}));
        assert_eq!(renamed["columns"], json!(["Todo", "Done"]));
        assert_eq!(renamed["version"], 2);
        let plain = columns_updated(&board, &pat, None).data.value();
        assert!(plain.get("renamed").is_none());
        let released = ticket_released(&ticket, None, &pat).data.value();
        assert_eq!(released["previous_assignee"], json!(null));
        assert_eq!(released["released_by"], "pat");
        let deleted = ticket_deleted(&ticket, &pat, chrono::Utc::now())
            .data
            .value();
        assert_eq!(deleted["ticket_id"], 9);
        assert_eq!(deleted["current_column"], "Done");
        assert_eq!(deleted["deleted_by"], "pat");
    }
}
