//! Events: the record of every committed change, appended to a per-board log in the same
//! transaction as the change, and published to live subscribers after commit.

use crate::ids::BoardId;
use crate::time::{Timestamp, serde_timestamp};
use serde::Serialize;

/// The kinds of change clients are told about (contract §10).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    BoardCreated,
    BoardUpdated,
    BoardDeleted,
    ColumnsUpdated,
    TicketCreated,
    TicketUpdated,
    TicketMoved,
    TicketClaimed,
    TicketReleased,
    TicketDeleted,
    CommentAdded,
    CommentDeleted,
}

impl EventKind {
    pub const ALL: [Self; 12] = [
        Self::BoardCreated,
        Self::BoardUpdated,
        Self::BoardDeleted,
        Self::ColumnsUpdated,
        Self::TicketCreated,
        Self::TicketUpdated,
        Self::TicketMoved,
        Self::TicketClaimed,
        Self::TicketReleased,
        Self::TicketDeleted,
        Self::CommentAdded,
        Self::CommentDeleted,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::BoardCreated => "board_created",
            Self::BoardUpdated => "board_updated",
            Self::BoardDeleted => "board_deleted",
            Self::ColumnsUpdated => "columns_updated",
            Self::TicketCreated => "ticket_created",
            Self::TicketUpdated => "ticket_updated",
            Self::TicketMoved => "ticket_moved",
            Self::TicketClaimed => "ticket_claimed",
            Self::TicketReleased => "ticket_released",
            Self::TicketDeleted => "ticket_deleted",
            Self::CommentAdded => "comment_added",
            Self::CommentDeleted => "comment_deleted",
        }
    }

    /// The kind named `name`, as stored in the event log.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == name)
    }
}

/// An event decided by the domain, not yet in the log.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    pub board_id: BoardId,
    pub kind: EventKind,
    /// The payload; always an object carrying `board_id`.
    pub data: serde_json::Value,
    pub at: Timestamp,
}

impl NewEvent {
    /// Builds an event whose payload is `payload`'s JSON object plus `board_id` and `extra`.
    pub fn new(
        board_id: BoardId,
        kind: EventKind,
        at: Timestamp,
        payload: &impl Serialize,
        extra: &[(&str, serde_json::Value)],
    ) -> Self {
        let mut data = match serde_json::to_value(payload) {
            Ok(serde_json::Value::Object(map)) => map,
            // Every payload the domain builds is a struct; a non-object would be a bug, and the
            // event still carries its board and extras rather than being dropped.
            Ok(_) | Err(_) => serde_json::Map::new(),
        };
        data.insert(
            "board_id".to_owned(),
            serde_json::Value::from(board_id.get()),
        );
        for (key, value) in extra {
            data.insert((*key).to_owned(), value.clone());
        }
        Self {
            board_id,
            kind,
            data: serde_json::Value::Object(data),
            at,
        }
    }
}

/// An event as committed to the log, with its per-board sequence number. Its JSON form is the
/// frame sent to WebSocket clients.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Event {
    pub event: EventKind,
    pub board_id: BoardId,
    pub seq: i64,
    #[serde(with = "serde_timestamp")]
    pub timestamp: Timestamp,
    pub data: serde_json::Value,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn event_names_round_trip() {
        for kind in EventKind::ALL {
            assert_eq!(EventKind::from_name(kind.as_str()), Some(kind));
            assert_eq!(serde_json::to_value(kind).unwrap(), json!(kind.as_str()));
        }
        assert_eq!(EventKind::from_name("heartbeat"), None);
    }

    #[test]
    fn payload_always_carries_board_id() {
        #[derive(Serialize)]
        struct Payload {
            ticket_id: i64,
        }
        let event = NewEvent::new(
            BoardId::new(7),
            EventKind::TicketDeleted,
            chrono::Utc::now(),
            &Payload { ticket_id: 3 },
            &[("deleted_by", json!("ann"))],
        );
        assert_eq!(
            event.data,
            json!({"ticket_id": 3, "board_id": 7, "deleted_by": "ann"})
        );
    }
}
