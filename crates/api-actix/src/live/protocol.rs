//! The WebSocket protocol of contract §10: what clients send, and the frames the server sends
//! besides board events.

use kanban_domain::BoardId;
use kanban_domain::time::format_timestamp;
use serde_json::{Value, json};

/// A message from the client.
#[derive(Debug, Clone, PartialEq)]
pub enum ClientMessage {
    Ping,
    Subscribe { board: BoardId, since: Option<i64> },
    Unsubscribe { board: BoardId },
    GetStats,
    HeartbeatResponse { heartbeat_id: Value },
}

fn now() -> String {
    format_timestamp(&chrono::Utc::now())
}

/// An integer, also accepted as a numeric string.
fn integer(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// A positive integer id, also accepted as a numeric string.
fn positive_id(value: &Value) -> Option<i64> {
    integer(value).filter(|id| *id > 0)
}

/// Parses a text frame; the error is the message of the `error` event to send back.
pub fn parse(text: &str) -> Result<ClientMessage, String> {
    let value: Value = serde_json::from_str(text).map_err(|e| format!("Invalid JSON: {e}"))?;
    let Value::Object(object) = value else {
        return Err("Messages must be JSON objects with a \"type\"".to_owned());
    };
    let kind = object
        .get("type")
        .and_then(Value::as_str)
        .ok_or("Missing \"type\"")?;
    let board = || -> Result<BoardId, String> {
        let raw = object
            .get("board_id")
            .ok_or(format!("\"{kind}\" needs a \"board_id\""))?;
        positive_id(raw)
            .map(BoardId::new)
            .ok_or_else(|| "\"board_id\" must be a positive integer".to_owned())
    };
    match kind {
        "ping" => Ok(ClientMessage::Ping),
        "subscribe_board" => {
            let since = match object.get("since") {
                None | Some(Value::Null) => None,
                Some(raw) => Some(
                    integer(raw)
                        .filter(|since| *since >= 0)
                        .ok_or("\"since\" must be a sequence number (0 or more)")?,
                ),
            };
            Ok(ClientMessage::Subscribe {
                board: board()?,
                since,
            })
        }
        "unsubscribe_board" => Ok(ClientMessage::Unsubscribe { board: board()? }),
        "get_stats" => Ok(ClientMessage::GetStats),
        "heartbeat_response" => Ok(ClientMessage::HeartbeatResponse {
            heartbeat_id: object.get("heartbeat_id").cloned().unwrap_or(Value::Null),
        }),
        other => Err(format!("Unknown message type \"{other}\"")),
    }
}

pub fn connected(client_id: &str, username: &str, board: Option<BoardId>) -> String {
    let message = match board {
        Some(board) => format!("Connected; receiving the events of board {board}"),
        None => "Connected; receiving the events of every board".to_owned(),
    };
    json!({"event": "connected", "data": {
        "client_id": client_id, "username": username, "message": message,
        "board_id": board, "server_time": now(),
    }})
    .to_string()
}

pub fn pong() -> String {
    json!({"type": "pong", "timestamp": now()}).to_string()
}

pub fn subscription(event: &str, board: BoardId) -> String {
    json!({"event": event, "data": {"board_id": board}}).to_string()
}

pub fn error(message: &str) -> String {
    json!({"event": "error", "data": {"message": message}}).to_string()
}

pub fn heartbeat(id: u64) -> String {
    json!({"event": "heartbeat", "data": {"heartbeat_id": id, "timestamp": now()}}).to_string()
}

pub fn heartbeat_ack(id: &Value) -> String {
    json!({"event": "heartbeat_ack", "data": {"heartbeat_id": id, "timestamp": now()}}).to_string()
}

pub fn stats(data: &Value) -> String {
    json!({"event": "stats", "data": data}).to_string()
}

/// Tells the client its `since` cannot be served from the log: reload the board.
pub fn resync_required(board: BoardId, since: i64, oldest: Option<i64>, latest: i64) -> String {
    let message = if since > latest {
        "Your last seen sequence number is ahead of this server's log (was it restored?); reload the board"
    } else {
        "Events after your last seen sequence number are no longer kept; reload the board"
    };
    json!({"event": "resync_required", "board_id": board, "data": {
        "board_id": board, "since": since, "oldest_available_seq": oldest, "latest_seq": latest,
        "message": message,
    }})
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_messages() {
        assert_eq!(parse(r#"{"type": "ping"}"#), Ok(ClientMessage::Ping));
        assert_eq!(
            parse(r#"{"type": "subscribe_board", "board_id": 3, "since": 7}"#),
            Ok(ClientMessage::Subscribe {
                board: BoardId::new(3),
                since: Some(7)
            })
        );
        assert_eq!(
            parse(r#"{"type": "unsubscribe_board", "board_id": "4"}"#),
            Ok(ClientMessage::Unsubscribe {
                board: BoardId::new(4)
            })
        );
        assert!(
            matches!(parse(r#"{"type": "heartbeat_response", "heartbeat_id": 2}"#),
            Ok(ClientMessage::HeartbeatResponse { heartbeat_id }) if heartbeat_id == 2)
        );
    }

    #[test]
    fn bad_messages_are_explained() {
        assert!(parse("{").unwrap_err().starts_with("Invalid JSON"));
        assert!(parse("[1]").unwrap_err().contains("objects"));
        assert!(parse(r#"{"kind": "ping"}"#).unwrap_err().contains("type"));
        assert!(
            parse(r#"{"type": "dance"}"#)
                .unwrap_err()
                .contains("Unknown")
        );
        assert!(
            parse(r#"{"type": "subscribe_board"}"#)
                .unwrap_err()
                .contains("board_id")
        );
        assert!(parse(r#"{"type": "subscribe_board", "board_id": -1}"#).is_err());
        assert!(parse(r#"{"type": "subscribe_board", "board_id": 1, "since": "x"}"#).is_err());
    }
}
