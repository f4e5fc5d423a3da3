//! `/api/users`: user administration (admins, contract §1) and the display-name sessions of
//! anonymous viewers (contract §8).

use crate::auth::{Authorized, SESSION_COOKIE, gate, session_id_of};
use crate::dto::auth::{ListUsers, SessionName, UpdateUser};
use crate::error::ApiError;
use crate::extract::{JsonBody, QueryParams};
use crate::state::ApiState;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use kanban_domain::UserId;
use kanban_domain::account::DisplaySession;
use kanban_domain::time::format_timestamp;
use serde_json::json;

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    // `/session` first, so it is not taken for a user id.
    cfg.service(
        web::resource("/session")
            .post(start_session)
            .get(get_session)
            .put(rename_session)
            .delete(end_session),
    )
    .service(web::resource("").get(list))
    .service(web::resource("/{user_id}").put(update));
}

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

async fn update(
    state: web::Data<ApiState>,
    admin: Authorized<gate::Administer>,
    id: web::Path<i64>,
    body: JsonBody<UpdateUser>,
) -> Result<HttpResponse, ApiError> {
    let id = UserId::new(id.into_inner());
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

fn session_body(id: &str, session: &DisplaySession) -> serde_json::Value {
    json!({
        "username": session.username,
        "session_id": id,
        "created_at": format_timestamp(&session.created_at),
    })
}

fn presented_session(req: &HttpRequest) -> Result<String, ApiError> {
    session_id_of(req).ok_or_else(|| ApiError::not_found("Session"))
}

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

async fn get_session(
    state: web::Data<ApiState>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let id = presented_session(&req)?;
    let lookup = id.clone();
    let session = state.read(move |s| s.sessions.get(&lookup)).await?;
    Ok(HttpResponse::Ok().json(session_body(&id, &session)))
}

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

async fn end_session(
    state: web::Data<ApiState>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let id = presented_session(&req)?;
    state.read(move |s| s.sessions.end(&id)).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::SET_COOKIE, session_cookie(&state, "", 0)))
        .json(json!({"message": "Session ended"})))
}
