//! `/api/auth`: registration, login, token refresh, logout and one's own account (contract §1).

use super::message;
use crate::auth::{OptionalAccount, RateLimiters, SignedIn};
use crate::dto::auth::{Login, Refresh, Register, TokenPair, UpdateMe};
use crate::error::ApiError;
use crate::extract::JsonBody;
use crate::state::ApiState;
use actix_web::http::header;
use actix_web::{HttpResponse, web};
use kanban_domain::services::Grant;

pub(super) fn configure(cfg: &mut web::ServiceConfig, limiters: &RateLimiters) {
    cfg.service(
        web::resource("/register")
            .wrap(limiters.register_limit())
            .post(register),
    )
    .service(
        web::resource("/login")
            .wrap(limiters.login_limit())
            .post(login),
    )
    .service(web::resource("/refresh").post(refresh))
    .service(web::resource("/logout").post(logout))
    .service(web::resource("/me").get(me).put(update_me));
}

/// The token pair of a login or refresh.
fn token_pair(state: &ApiState, grant: Grant) -> Result<HttpResponse, ApiError> {
    let issued = state
        .keys
        .issue(&grant.user, &grant.login, state.services.clock.now())?;
    Ok(HttpResponse::Ok().json(TokenPair {
        access_token: issued.token,
        refresh_token: grant.refresh_token.into_inner(),
        token_type: "bearer",
        expires_in: issued.expires_in,
    }))
}

async fn register(
    state: web::Data<ApiState>,
    creator: OptionalAccount,
    body: JsonBody<Register>,
) -> Result<HttpResponse, ApiError> {
    let input = body.into_inner().validate()?;
    let creator = creator.0;
    let user = state
        .read(move |s| s.auth.register(creator.as_ref(), &input))
        .await?;
    tracing::info!(user_id = %user.id, role = %user.role, "account registered");
    let mut response = HttpResponse::Created().json(&user);
    if let Ok(location) = header::HeaderValue::from_str(&format!("/api/users/{}", user.id)) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

async fn login(
    state: web::Data<ApiState>,
    body: JsonBody<Login>,
) -> Result<HttpResponse, ApiError> {
    let Login { username, password } = body.into_inner();
    let grant = state
        .read(move |s| s.auth.login(&username, &password))
        .await?;
    token_pair(&state, grant)
}

async fn refresh(
    state: web::Data<ApiState>,
    body: JsonBody<Refresh>,
) -> Result<HttpResponse, ApiError> {
    let presented = body.into_inner().refresh_token;
    let grant = state.read(move |s| s.auth.refresh(&presented)).await;
    // A refresh rotates a login, and a reused token revokes one: both change what tokens are
    // worth, whatever the outcome.
    state.verified.forget_all();
    token_pair(&state, grant?)
}

async fn logout(state: web::Data<ApiState>, caller: SignedIn) -> Result<HttpResponse, ApiError> {
    let token = caller.token;
    let outcome = state.read(move |s| s.auth.logout(&token)).await;
    state.verified.forget_all();
    outcome?;
    Ok(message("Logged out"))
}

async fn me(caller: SignedIn) -> HttpResponse {
    HttpResponse::Ok().json(caller.user)
}

async fn update_me(
    state: web::Data<ApiState>,
    caller: SignedIn,
    body: JsonBody<UpdateMe>,
) -> Result<HttpResponse, ApiError> {
    let update = body.into_inner().validate()?;
    let token = caller.token;
    let user = state
        .read(move |s| s.users.update_own(&token, &update))
        .await;
    state.verified.forget_all();
    Ok(HttpResponse::Ok().json(user?))
}
