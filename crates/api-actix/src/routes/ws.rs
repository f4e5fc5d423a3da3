//! `/ws`: the live event stream and its administration (contract §9, §10).

use crate::auth::{Authorized, authenticate_query, bearer_token, gate};
use crate::error::ApiError;
use crate::extract::{JsonBody, QueryParams};
use crate::live::{ConnectParams, run_session};
use crate::state::ApiState;
use actix_web::{HttpRequest, HttpResponse, web};
use bytestring::ByteString;
use kanban_domain::BoardId;
use kanban_domain::FieldError;
use kanban_domain::time::format_timestamp;
use kanban_domain::values::AssigneeName;
use serde::Deserialize;
use serde_json::json;

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/connect").get(connect))
        .service(web::resource("/stats").get(stats))
        .service(web::resource("/cleanup").post(cleanup))
        .service(web::resource("/broadcast").post(broadcast));
}

/// `GET /ws/connect?board_id=&since=&client_id=&username=&token=`.
#[derive(Debug, Deserialize)]
struct ConnectQuery {
    board_id: Option<i64>,
    since: Option<i64>,
    client_id: Option<String>,
    username: Option<String>,
    /// An access token (browsers cannot set headers on a WebSocket handshake).
    token: Option<String>,
}

impl ConnectQuery {
    fn validate(&self, actor_name: &str) -> Result<ConnectParams, ApiError> {
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

async fn connect(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<ApiState>,
    query: QueryParams<ConnectQuery>,
) -> Result<HttpResponse, ApiError> {
    let query = query.into_inner();
    // The token comes in the query (browsers cannot set headers on the handshake), or as a
    // bearer header from other clients; without either, `auth.anonymous` decides. The actor
    // must be allowed to read boards.
    let token = match query.token.clone().filter(|t| !t.is_empty()) {
        Some(token) => Some(token),
        None => bearer_token(&req)?,
    };
    let actor = authenticate_query(&state, &req, token.as_deref()).await?;
    let mut params = query.validate(actor.name())?;
    // An account is known by its own name; `username` names only tokenless (anonymous) viewers.
    if token.is_some() {
        actor.name().clone_into(&mut params.username);
    }
    if let Some(board) = params.board {
        state.read(move |s| s.boards.get(board)).await?;
    }
    let (response, session, stream) = actix_ws::handle(&req, payload)
        .map_err(|e| ApiError::bad_request(format!("WebSocket handshake failed: {e}")))?;
    let hub = state.live.clone();
    let repositories = state.services.repositories.clone();
    actix_web::rt::spawn(run_session(hub, repositories, session, stream, params));
    Ok(response)
}

async fn stats(
    state: web::Data<ApiState>,
    _reader: Authorized<gate::Read>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(state.live.stats()))
}

#[derive(Debug, Deserialize)]
struct CleanupQuery {
    timeout_seconds: Option<u32>,
}

/// Closes connections that sent nothing for `timeout_seconds` (default 300).
async fn cleanup(
    state: web::Data<ApiState>,
    _admin: Authorized<gate::Administer>,
    query: QueryParams<CleanupQuery>,
) -> Result<HttpResponse, ApiError> {
    let timeout = query.into_inner().timeout_seconds.unwrap_or(300);
    let closed = state.live.close_idle(f64::from(timeout));
    Ok(HttpResponse::Ok().json(json!({
        "message": format!("Asked {closed} connection(s) idle for {timeout} s or more to close"),
        "closed_connections": closed,
        "timeout_seconds": timeout,
    })))
}

/// `POST /ws/broadcast` `{message, data?}`: a notice to every open connection.
#[derive(Debug, Deserialize)]
struct Broadcast {
    message: String,
    #[serde(default)]
    data: Option<serde_json::Value>,
}

async fn broadcast(
    state: web::Data<ApiState>,
    admin: Authorized<gate::Administer>,
    body: JsonBody<Broadcast>,
) -> Result<HttpResponse, ApiError> {
    let actor = admin.actor();
    let body = body.into_inner();
    let text = body.message.trim();
    if text.is_empty() || text.chars().count() > 1000 {
        return Err(ApiError::validation(
            "body",
            vec![FieldError::new(
                "message",
                "value_error",
                "must be 1-1000 characters",
            )],
        ));
    }
    let frame = json!({"event": "broadcast", "data": {
        "message": text,
        "data": body.data,
        "sent_by": actor.name(),
        "timestamp": format_timestamp(&chrono::Utc::now()),
    }});
    let recipients = state
        .live
        .broadcast_notice(&ByteString::from(frame.to_string()));
    Ok(HttpResponse::Ok().json(json!({"message": "Broadcast sent", "recipients": recipients})))
}
