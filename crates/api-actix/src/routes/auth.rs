//! `/api/auth`: registration, login, token refresh, logout and one's own account (contract §1).

use super::message;
use super::table::Routes;
use crate::auth::{OptionalAccount, RateLimiters, SignedIn};
use crate::dto::auth::{Login, Refresh, Register, TokenPair, UpdateMe};
use crate::error::ApiError;
use crate::extract::JsonBody;
use crate::state::ApiState;
use actix_web::http::header;
use actix_web::{HttpResponse, web};
use kanban_domain::User;
use kanban_domain::services::Grant;

pub(super) fn configure(routes: &mut Routes<'_>, limiters: &RateLimiters) {
    routes.resource("/api/auth/register", |r| {
        r.wrap(limiters.register_limit()).post(register)
    });
    routes.resource("/api/auth/login", |r| {
        r.wrap(limiters.login_limit()).post(login)
    });
    routes.resource("/api/auth/refresh", |r| r.post(refresh));
    routes.resource("/api/auth/logout", |r| r.post(logout));
    routes.resource("/api/auth/me", |r| r.get(me).put(update_me));
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

/// Creates an account. Public; an admin's token lets `role` choose the role.
#[utoipa::path(
    post,
    path = "/api/auth/register",
    operation_id = "register",
    tag = "auth",
    request_body = Register,
    responses(
        (status = 201, description = "The account", body = User, headers(("Location" = String, description = "`/api/users/{id}`"))),
        (status = 409, description = "The username or e-mail is taken", body = crate::error::ErrorEnvelope),
    ),
    security((), ("bearer" = [])),
)]
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

/// Checks a username and password and starts a login: an access token and a refresh token.
#[utoipa::path(
    post,
    path = "/api/auth/login",
    operation_id = "login",
    tag = "auth",
    request_body = Login,
    responses(
        (status = 200, description = "The tokens", body = TokenPair),
        (status = 401, description = "Wrong username or password (the same answer for both)", body = crate::error::ErrorEnvelope, headers(("WWW-Authenticate" = String, description = "`Bearer`"))),
        (status = 403, description = "The account is disabled", body = crate::error::ErrorEnvelope),
    ),
)]
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

/// Trades a refresh token for new tokens; the presented one is revoked. Reusing a revoked refresh
/// token revokes the whole login.
#[utoipa::path(
    post,
    path = "/api/auth/refresh",
    operation_id = "refresh",
    tag = "auth",
    request_body = Refresh,
    responses(
        (status = 200, description = "New tokens", body = TokenPair),
        (status = 401, description = "An unknown, expired, reused or revoked refresh token", body = crate::error::ErrorEnvelope, headers(("WWW-Authenticate" = String, description = "`Bearer`"))),
    ),
)]
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

/// Revokes the presented access token and the refresh tokens of its login.
#[utoipa::path(
    post,
    path = "/api/auth/logout",
    operation_id = "logout",
    tag = "auth",
    responses(
        (status = 200, description = "Logged out", body = super::Message),
    ),
    security(("bearer" = [])),
)]
async fn logout(state: web::Data<ApiState>, caller: SignedIn) -> Result<HttpResponse, ApiError> {
    let token = caller.token;
    let outcome = state.read(move |s| s.auth.logout(&token)).await;
    state.verified.forget_all();
    outcome?;
    Ok(message("Logged out"))
}

/// The caller's account.
#[utoipa::path(
    get,
    path = "/api/auth/me",
    operation_id = "get_me",
    tag = "auth",
    responses(
        (status = 200, description = "The account", body = User),
    ),
    security(("bearer" = [])),
)]
async fn me(caller: SignedIn) -> HttpResponse {
    HttpResponse::Ok().json(caller.user)
}

/// Changes the caller's e-mail or password; a new password revokes every other login.
#[utoipa::path(
    put,
    path = "/api/auth/me",
    operation_id = "update_me",
    tag = "auth",
    request_body = UpdateMe,
    responses(
        (status = 200, description = "The account", body = User),
        (status = 409, description = "The e-mail is taken", body = crate::error::ErrorEnvelope),
    ),
    security(("bearer" = [])),
)]
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
