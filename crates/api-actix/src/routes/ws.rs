//! `/ws`: the live event stream and its administration (contract §9, §10).

use super::table::Routes;
use crate::auth::{Authorized, authenticate_query, bearer_token, gate};
use crate::dto::live::{Broadcast, CleanupQuery, ConnectQuery};
use crate::error::ApiError;
use crate::extract::{JsonBody, QueryParams};
use crate::live::HubStats;
use crate::live::run_session;
use crate::state::ApiState;
use actix_web::{HttpRequest, HttpResponse, web};
use bytestring::ByteString;
use kanban_domain::FieldError;
use kanban_domain::time::format_timestamp;
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;

pub(super) fn configure(routes: &mut Routes<'_>) {
    routes.resource("/ws/connect", |r| r.get(connect));
    routes.resource("/ws/stats", |r| r.get(stats));
    routes.resource("/ws/cleanup", |r| r.post(cleanup));
    routes.resource("/ws/broadcast", |r| r.post(broadcast));
}

/// Opens the live event stream (WebSocket). Send the access token as `token` (browsers cannot set
/// headers on the handshake) or as a bearer header.
#[utoipa::path(
    get,
    path = "/ws/connect",
    operation_id = "connect_live",
    tag = "live",
    params(
        ConnectQuery,
        ("Connection" = String, Header, pattern = "^[Uu]pgrade$", description = "`Upgrade`"),
        ("Upgrade" = String, Header, pattern = "^websocket$", description = "`websocket`"),
        ("Sec-WebSocket-Version" = String, Header, pattern = "^13$", description = "`13`"),
        ("Sec-WebSocket-Key" = String, Header, pattern = "^[A-Za-z0-9+/]{21}[AQgw]==$", description = "16 random bytes in base64"),
    ),
    responses(
        (status = 101, description = "Switched to the WebSocket protocol; the first frame is `{\"event\": \"connected\", …}`"),
        (status = 400, description = "Not a WebSocket handshake", body = crate::error::ErrorEnvelope),
        (status = 401, description = "No token (and anonymous access is off), or an invalid one", body = crate::error::ErrorEnvelope, headers(("WWW-Authenticate" = String, description = "`Bearer`"))),
        (status = 404, description = "Unknown board", body = crate::error::ErrorEnvelope),
        (status = 422, description = "An invalid query parameter", body = crate::error::ErrorEnvelope),
    ),
    security((), ("bearer" = [])),
)]
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
        None => bearer_token(&req)?.map(str::to_owned),
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

/// The open connections.
#[utoipa::path(
    get,
    path = "/ws/stats",
    operation_id = "live_stats",
    tag = "live",
    responses(
        (status = 200, description = "The connections", body = HubStats),
    ),
    security(("bearer" = [])),
)]
async fn stats(
    state: web::Data<ApiState>,
    _reader: Authorized<gate::Read>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(state.live.stats()))
}

/// What `POST /ws/cleanup` did.
#[derive(Debug, Serialize, ToSchema)]
struct CleanupReport {
    message: String,
    closed_connections: usize,
    #[schema(value_type = i64, minimum = 0, maximum = 4294967295i64)]
    timeout_seconds: u32,
}

/// What `POST /ws/broadcast` did.
#[derive(Debug, Serialize, ToSchema)]
struct BroadcastReport {
    #[schema(examples("Broadcast sent"))]
    message: &'static str,
    /// How many connections it was handed to.
    recipients: usize,
}

/// Closes connections that sent nothing for `timeout_seconds` (default 300).
#[utoipa::path(
    post,
    path = "/ws/cleanup",
    operation_id = "close_idle_connections",
    tag = "live",
    params(
        CleanupQuery,
    ),
    responses(
        (status = 200, description = "How many were closed", body = CleanupReport),
        (status = 403, description = "The caller's role may not do this", body = crate::error::ErrorEnvelope),
    ),
    security(("bearer" = [])),
)]
async fn cleanup(
    state: web::Data<ApiState>,
    _admin: Authorized<gate::Administer>,
    query: QueryParams<CleanupQuery>,
) -> Result<HttpResponse, ApiError> {
    let timeout = query.into_inner().timeout_seconds.unwrap_or(300);
    let closed = state.live.close_idle(f64::from(timeout));
    Ok(HttpResponse::Ok().json(CleanupReport {
        message: format!("Asked {closed} connection(s) idle for {timeout} s or more to close"),
        closed_connections: closed,
        timeout_seconds: timeout,
    }))
}

/// Sends a notice to every open connection (admins).
#[utoipa::path(
    post,
    path = "/ws/broadcast",
    operation_id = "broadcast",
    tag = "live",
    request_body = Broadcast,
    responses(
        (status = 200, description = "How many connections it was handed to", body = BroadcastReport),
        (status = 403, description = "The caller's role may not do this", body = crate::error::ErrorEnvelope),
    ),
    security(("bearer" = [])),
)]
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
    Ok(HttpResponse::Ok().json(BroadcastReport {
        message: "Broadcast sent",
        recipients,
    }))
}
