//! `/api/users`: user administration (admins, contract §1) and the display-name sessions of
//! anonymous viewers (contract §8).

use super::table::Routes;
use crate::auth::{Authorized, SESSION_COOKIE, gate, session_id_of};
use crate::dto::auth::{ListUsers, SessionName, UpdateUser};
use crate::error::ApiError;
use crate::extract::{JsonBody, PathId, QueryParams};
use crate::state::ApiState;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use kanban_domain::account::DisplaySession;
use kanban_domain::page::Page;
use kanban_domain::time::format_timestamp;
use kanban_domain::values::AssigneeName;
use kanban_domain::{User, UserId};
use serde::Serialize;

pub(super) fn configure(routes: &mut Routes<'_>) {
    // `/session` first, so it is not taken for a user id.
    routes.resource("/api/users/session", |r| {
        r.post(start_session)
            .get(get_session)
            .put(rename_session)
            .delete(end_session)
    });
    routes.resource("/api/users", |r| r.get(list));
    routes.resource("/api/users/{user_id}", |r| r.put(update));
}

/// The accounts, paginated (admins).
#[utoipa::path(
    get,
    path = "/api/users",
    operation_id = "list_users",
    tag = "users",
    params(
        ListUsers,
    ),
    responses(
        (status = 200, description = "One page of accounts", body = Page<User>),
        (status = 403, description = "The caller's role may not do this", body = crate::error::ErrorEnvelope),
    ),
    security(("bearer" = [])),
)]
async fn list(
    state: web::Data<ApiState>,
    admin: Authorized<gate::Administer>,
    query: QueryParams<ListUsers>,
) -> Result<HttpResponse, ApiError> {
    let page = query.into_inner().validate()?;
    let actor = admin.actor();
    let users = state.read(move |s| s.users.list(&actor, page)).await?;
    Ok(HttpResponse::Ok().json(users))
}

/// Changes an account's role or active state (admins); deactivating revokes its tokens. An admin
/// cannot demote or deactivate themselves.
#[utoipa::path(
    put,
    path = "/api/users/{user_id}",
    operation_id = "update_user",
    tag = "users",
    params(
        ("user_id" = i64, Path, minimum = 1, maximum = 9223372036854775807i64, description = "The account"),
    ),
    request_body = UpdateUser,
    responses(
        (status = 200, description = "The account", body = User),
        (status = 403, description = "Not an admin, or a change to one's own account", body = crate::error::ErrorEnvelope),
    ),
    security(("bearer" = [])),
)]
async fn update(
    state: web::Data<ApiState>,
    admin: Authorized<gate::Administer>,
    id: web::Path<PathId>,
    body: JsonBody<UpdateUser>,
) -> Result<HttpResponse, ApiError> {
    let id = UserId::new(id.into_inner().get());
    let update = body.into_inner().into();
    let actor = admin.actor();
    let user = state
        .read(move |s| s.users.administer(&actor, id, update))
        .await;
    state.verified.forget_all();
    let user = user?;
    tracing::info!(user_id = %user.id, role = %user.role, is_active = user.is_active, by = %admin.actor().name(), "account changed");
    Ok(HttpResponse::Ok().json(user))
}

/// The session cookie: the id for `max_age` seconds, or cleared with `0`.
fn session_cookie(state: &ApiState, value: &str, max_age: i64) -> String {
    let secure = if state.config.auth.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    format!("{SESSION_COOKIE}={value}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Lax{secure}")
}

/// A display-name session as clients see it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct SessionInfo {
    #[schema(value_type = AssigneeName)]
    username: String,
    /// Also sent as the `session_id` cookie; send it back as the cookie or `X-Session-Id`.
    session_id: String,
    #[schema(format = DateTime)]
    created_at: String,
}

fn session_body(id: &str, session: &DisplaySession) -> SessionInfo {
    SessionInfo {
        username: session.username.to_string(),
        session_id: id.to_owned(),
        created_at: format_timestamp(&session.created_at),
    }
}

fn presented_session(req: &HttpRequest) -> Result<String, ApiError> {
    session_id_of(req).ok_or_else(|| ApiError::not_found("Session"))
}

/// Starts a display-name session: a name for an anonymous viewer. It grants no permission.
#[utoipa::path(
    post,
    path = "/api/users/session",
    operation_id = "start_session",
    tag = "sessions",
    request_body = SessionName,
    responses(
        (status = 200, description = "The session; its id is also set as the `session_id` cookie", body = SessionInfo, headers(("Set-Cookie" = String, description = "`session_id=…; Path=/; Max-Age=…; HttpOnly; SameSite=Lax`"))),
    ),
)]
async fn start_session(
    state: web::Data<ApiState>,
    body: JsonBody<SessionName>,
) -> Result<HttpResponse, ApiError> {
    let name = body.into_inner().validate()?;
    let (id, session) = state.read(move |s| s.sessions.start(&name)).await?;
    let max_age = (session.expires_at - session.created_at).num_seconds();
    Ok(HttpResponse::Ok()
        .insert_header((
            header::SET_COOKIE,
            session_cookie(&state, id.expose(), max_age),
        ))
        .json(session_body(id.expose(), &session)))
}

/// The display-name session of the cookie or `X-Session-Id`.
#[utoipa::path(
    get,
    path = "/api/users/session",
    operation_id = "get_session",
    tag = "sessions",
    params(
        ("session_id" = Option<String>, Cookie, description = "The session id, as set by `POST`"),
        ("X-Session-Id" = Option<String>, Header, description = "The session id, when the cookie cannot be sent"),
    ),
    responses(
        (status = 200, description = "The session", body = SessionInfo),
        (status = 404, description = "No session, or an unknown or expired one", body = crate::error::ErrorEnvelope),
    ),
)]
async fn get_session(
    state: web::Data<ApiState>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let id = presented_session(&req)?;
    let lookup = id.clone();
    let session = state.read(move |s| s.sessions.get(&lookup)).await?;
    Ok(HttpResponse::Ok().json(session_body(&id, &session)))
}

/// Changes the display name of the session.
#[utoipa::path(
    put,
    path = "/api/users/session",
    operation_id = "rename_session",
    tag = "sessions",
    params(
        ("session_id" = Option<String>, Cookie, description = "The session id, as set by `POST`"),
        ("X-Session-Id" = Option<String>, Header, description = "The session id, when the cookie cannot be sent"),
    ),
    request_body = SessionName,
    responses(
        (status = 200, description = "The session", body = SessionInfo),
        (status = 404, description = "No session, or an unknown or expired one", body = crate::error::ErrorEnvelope),
    ),
)]
async fn rename_session(
    state: web::Data<ApiState>,
    req: HttpRequest,
    body: JsonBody<SessionName>,
) -> Result<HttpResponse, ApiError> {
    let id = presented_session(&req)?;
    let name = body.into_inner().validate()?;
    let lookup = id.clone();
    let session = state
        .read(move |s| s.sessions.rename(&lookup, &name))
        .await?;
    Ok(HttpResponse::Ok().json(session_body(&id, &session)))
}

/// Ends the session and clears the cookie.
#[utoipa::path(
    delete,
    path = "/api/users/session",
    operation_id = "end_session",
    tag = "sessions",
    params(
        ("session_id" = Option<String>, Cookie, description = "The session id, as set by `POST`"),
        ("X-Session-Id" = Option<String>, Header, description = "The session id, when the cookie cannot be sent"),
    ),
    responses(
        (status = 200, description = "Ended", body = super::Message, headers(("Set-Cookie" = String, description = "`session_id=…; Path=/; Max-Age=…; HttpOnly; SameSite=Lax`"))),
        (status = 404, description = "No session, or an unknown or expired one", body = crate::error::ErrorEnvelope),
    ),
)]
async fn end_session(
    state: web::Data<ApiState>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let id = presented_session(&req)?;
    state.read(move |s| s.sessions.end(&id)).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::SET_COOKIE, session_cookie(&state, "", 0)))
        .json(super::Message {
            message: "Session ended".to_owned(),
        }))
}
