//! Requests of the live event stream's routes (`/ws`).

use crate::error::ApiError;
use crate::live::ConnectParams;
use kanban_domain::BoardId;
use kanban_domain::FieldError;
use kanban_domain::values::AssigneeName;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

/// `GET /ws/connect?board_id=&since=&client_id=&username=&token=`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ConnectQuery {
    /// Receive only this board's events (and resume it with `since`); every board's without.
    #[param(minimum = 1, maximum = 9223372036854775807i64)]
    pub board_id: Option<i64>,
    /// The last `seq` seen of `board_id`: the events after it are sent first.
    #[param(minimum = 0, maximum = 9223372036854775807i64)]
    pub since: Option<i64>,
    /// A name for this connection in `/ws/stats`; generated when absent.
    #[param(value_type = Option<AssigneeName>)]
    pub client_id: Option<String>,
    /// The display name of a tokenless (anonymous) viewer; ignored with a token.
    #[param(value_type = Option<AssigneeName>)]
    pub username: Option<String>,
    /// An access token (browsers cannot set headers on a WebSocket handshake).
    pub token: Option<String>,
}

impl ConnectQuery {
    pub fn validate(&self, actor_name: &str) -> Result<ConnectParams, ApiError> {
        let mut errors = Vec::new();
        let board = match self.board_id {
            Some(id) if id < 1 => {
                errors.push(FieldError::new(
                    "board_id",
                    "out_of_range",
                    "must be a positive id",
                ));
                None
            }
            other => other.map(BoardId::new),
        };
        match (self.since, board) {
            (Some(since), _) if since < 0 => {
                errors.push(FieldError::new(
                    "since",
                    "out_of_range",
                    "must be 0 or more",
                ));
            }
            (Some(_), None) => {
                errors.push(FieldError::new(
                    "since",
                    "value_error",
                    "needs board_id: resume is per board",
                ));
            }
            _ => {}
        }
        let mut name = |field: &str, raw: Option<String>| match raw {
            None => None,
            Some(raw) => AssigneeName::parse(field, &raw)
                .map_err(|e| errors.push(e))
                .ok()
                .map(AssigneeName::into_inner),
        };
        let client_id = name("client_id", self.client_id.clone());
        let username = name("username", self.username.clone());
        if !errors.is_empty() {
            return Err(ApiError::validation("query", errors));
        }
        Ok(ConnectParams {
            client_id: client_id.unwrap_or_else(|| {
                format!(
                    "client_{}",
                    &uuid::Uuid::new_v4().simple().to_string()[..12]
                )
            }),
            username: username.unwrap_or_else(|| actor_name.to_owned()),
            board,
            since: self.since,
        })
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CleanupQuery {
    /// Idle for at least this many seconds; 300 by default.
    #[param(value_type = Option<i64>, minimum = 0, maximum = 4294967295i64)]
    pub timeout_seconds: Option<u32>,
}

/// `POST /ws/broadcast` `{message, data?}`: a notice to every open connection.
#[derive(Debug, Deserialize, ToSchema)]
pub struct Broadcast {
    /// 1–1000 characters after trimming.
    #[schema(
        pattern = r"^[\t\n\x0B\x0C\r\x85 \xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\t\n\x0B\x0C\r\x85 \xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000](?:[\s\S]{0,998}[^\t\n\x0B\x0C\r\x85 \xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000])?[\t\n\x0B\x0C\r\x85 \xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*$"
    )]
    pub message: String,
    /// Any JSON value, passed along as `data.data`.
    #[serde(default)]
    #[schema(value_type = Option<Value>)]
    pub data: Option<serde_json::Value>,
}
