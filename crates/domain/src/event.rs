//! Events: the record of every committed change, appended to a per-board log in the same
//! transaction as the change, and published to live subscribers after commit.

use crate::ids::BoardId;
use crate::time::{Timestamp, serde_timestamp};
use serde::Serialize;
use serde_json::value::RawValue;
use std::sync::Arc;

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
    pub data: EventData,
    pub at: Timestamp,
}

impl NewEvent {
    /// Builds an event whose payload is `payload`'s JSON form: an object carrying `board_id`
    /// (see [`EventData`]).
    pub fn new(
        board_id: BoardId,
        kind: EventKind,
        at: Timestamp,
        payload: &impl Serialize,
    ) -> Self {
        Self {
            board_id,
            kind,
            data: EventData::of(payload).unwrap_or_else(|_| EventData::bare(board_id)),
            at,
        }
    }
}

/// An event's payload as JSON text: written once, when the change is decided, and then shared,
/// not copied, by the log row, the committed event and every subscriber's frame (a JSON value
/// tree cost a copy and a walk at each of those steps: 15 % of the writer thread's time on
/// moves).
#[derive(Clone)]
pub struct EventData(Arc<RawValue>);

impl EventData {
    /// The JSON form of `payload`.
    ///
    /// # Errors
    /// When `payload` has no JSON form (a map with non-text keys) or is not an object.
    pub fn of(payload: &impl Serialize) -> Result<Self, serde_json::Error> {
        Self::from_json(serde_json::to_string(payload)?)
    }

    /// A payload read back from the log.
    ///
    /// # Errors
    /// When `text` is not a JSON object.
    pub fn from_json(text: String) -> Result<Self, serde_json::Error> {
        if !text.trim_start().starts_with('{') {
            return Err(serde::de::Error::custom(
                "an event payload must be a JSON object",
            ));
        }
        Ok(Self(Arc::from(RawValue::from_string(text)?)))
    }

    /// The payload of an event whose own could not be written: its board alone.
    fn bare(board_id: BoardId) -> Self {
        Self(Arc::from(
            RawValue::from_string(format!("{{\"board_id\":{}}}", board_id.get()))
                .unwrap_or_else(|_| RawValue::NULL.to_owned()),
        ))
    }

    /// The JSON text.
    pub fn as_str(&self) -> &str {
        self.0.get()
    }

    /// The payload parsed, to look into it.
    pub fn value(&self) -> serde_json::Value {
        // Valid JSON by construction.
        serde_json::from_str(self.0.get()).unwrap_or_default()
    }
}

impl PartialEq for EventData {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl std::fmt::Debug for EventData {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for EventData {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
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
    pub data: EventData,
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
    fn a_payload_is_its_json_object_shared_by_clones() {
        #[derive(Serialize)]
        struct Payload {
            board_id: i64,
            ticket_id: i64,
            text: &'static str,
        }
        let event = NewEvent::new(
            BoardId::new(7),
            EventKind::TicketDeleted,
            chrono::Utc::now(),
            &Payload {
                board_id: 7,
                ticket_id: 3,
                text: "é✓ \"quoted\"",
            },
        );
        assert_eq!(
            event.data.value(),
            json!({"board_id": 7, "ticket_id": 3, "text": "é✓ \"quoted\""})
        );
        let copy = event.data.clone();
        assert!(std::ptr::eq(copy.as_str(), event.data.as_str()));
        // Embedded as it is in a frame.
        let framed = serde_json::to_value(Event {
            event: EventKind::TicketDeleted,
            board_id: BoardId::new(7),
            seq: 1,
            timestamp: event.at,
            data: copy,
        })
        .unwrap();
        assert_eq!(framed["data"]["ticket_id"], 3);
    }

    #[test]
    fn a_payload_that_is_not_an_object_is_refused() {
        assert!(EventData::from_json("[1]".to_owned()).is_err());
        assert!(EventData::from_json("{\"a\":".to_owned()).is_err());
        assert!(EventData::of(&3).is_err());
        let event = NewEvent::new(
            BoardId::new(4),
            EventKind::BoardDeleted,
            chrono::Utc::now(),
            &"x",
        );
        assert_eq!(event.data.value(), json!({"board_id": 4}));
    }
}
