//! The one place where requests are authenticated and each route's permission is enforced.
//!
//! A handler declares what it needs by the extractor it takes: `Authorized<gate::Read>`,
//! `Authorized<gate::ManageBoards>`, …, or `SignedIn` for routes about one's own account. The
//! rules, in order:
//!
//! 1. A request with `Authorization` is judged by its token alone: a malformed header, an invalid
//!    or revoked token, or an inactive account is 401 (with `WWW-Authenticate: Bearer`); a valid
//!    token whose role lacks the permission is 403.
//! 2. A request without it is anonymous: with `auth.anonymous = off` it is 401; with `read` it may
//!    use the read routes as a `viewer`; with `write` it acts with `auth.anonymous_role` under its
//!    display-name session's name (or `anonymous`). What the anonymous role may not do is 401,
//!    since a token might allow it.
//!
//! Ticket-level rules (an agent changes only its own or unassigned tickets) stay in the domain.

use super::AnonymousAccess;
use super::verified::Verification;
use crate::error::ApiError;
use crate::state::ApiState;
use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::web::Data;
use actix_web::{FromRequest, HttpRequest};
use futures_util::future::{Either, LocalBoxFuture};
use kanban_domain::account::AccessToken;
use kanban_domain::policy::Permission;
use kanban_domain::{Actor, Role, User};
use std::future::{Ready, ready};
use std::marker::PhantomData;
use std::sync::Arc;

/// The cookie holding a display-name session id (contract §8).
pub const SESSION_COOKIE: &str = "session_id";
/// The header that may carry a display-name session id instead of the cookie.
pub const SESSION_HEADER: &str = "X-Session-Id";
/// The name of anonymous callers without a session.
const ANONYMOUS: &str = "anonymous";
const AUTHENTICATION_REQUIRED: &str = "Authentication required";

/// Who is making a request.
#[derive(Debug, Clone)]
pub enum Caller {
    /// The account of a valid access token, and its claims.
    Account(Arc<Verification>),
    /// A request without a token, admitted by the trusted-network mode.
    Anonymous { actor: Actor },
}

impl Caller {
    /// The actor recorded in history, comments and events.
    pub fn actor(&self) -> Actor {
        match self {
            Self::Account(found) => found.user.actor(),
            Self::Anonymous { actor } => actor.clone(),
        }
    }

    /// Checks `needed` (`None`: an authenticated account).
    fn admit(self, needed: Option<Permission>) -> Result<Self, ApiError> {
        match (&self, needed) {
            (Self::Account(_), None) => Ok(self),
            (Self::Account(found), Some(p)) if found.user.role.allows(p) => Ok(self),
            (Self::Account(found), Some(_)) => Err(ApiError::forbidden(format!(
                "The {} role may not do this",
                found.user.role
            ))),
            (Self::Anonymous { actor }, Some(p)) if actor.role().allows(p) => Ok(self),
            (Self::Anonymous { .. }, _) => Err(ApiError::unauthorized(AUTHENTICATION_REQUIRED)),
        }
    }
}

/// The bearer token of the `Authorization` header: `None` without the header, 401 when the
/// header is not `Bearer <token>`.
pub(crate) fn bearer_token(req: &HttpRequest) -> Result<Option<&str>, ApiError> {
    let Some(value) = req.headers().get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let malformed = || ApiError::unauthorized("Authorization must be 'Bearer <access token>'");
    // ASCII, checked a word at a time: `HeaderValue::to_str` checks a token of some 300 bytes
    // byte by byte (about 1 % of a read's CPU). The HTTP parser has refused control characters
    // already; what `to_str` also refused, DEL, makes a token that does not verify.
    let text = std::str::from_utf8(value.as_bytes())
        .ok()
        .filter(|text| text.is_ascii())
        .ok_or_else(malformed)?;
    let (scheme, token) = text.trim().split_once(' ').ok_or_else(malformed)?;
    let token = token.trim();
    if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() {
        return Err(malformed());
    }
    Ok(Some(token))
}

/// The display-name session id of a request: the `session_id` cookie, else `X-Session-Id`.
pub fn session_id_of(req: &HttpRequest) -> Option<String> {
    let from_cookie = req
        .headers()
        .get_all(header::COOKIE)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value.trim().to_owned());
    from_cookie
        .or_else(|| {
            req.headers()
                .get(SESSION_HEADER)
                .and_then(|v| v.to_str().ok())
                .map(|v| v.trim().to_owned())
        })
        .filter(|id| !id.is_empty() && id.len() <= 256)
}

/// The actor of a valid access token: its account's username and current role.
///
/// This is what the WebSocket endpoint calls with its `token` query parameter.
///
/// # Errors
/// 401 when the token is invalid, expired, revoked, or its account inactive.
pub async fn authenticate_token(state: &ApiState, token: &str) -> Result<Actor, ApiError> {
    Ok(account(state, token).await?.actor())
}

async fn account(state: &ApiState, token: &str) -> Result<Caller, ApiError> {
    let now = state.services.clock.now();
    if let Some(found) = state.verified.get(token, now) {
        return Ok(Caller::Account(found));
    }
    let access = state.keys.access_token(token, now)?;
    let checked = access.clone();
    let user = state.read(move |s| s.auth.authenticate(&checked)).await?;
    let found = Arc::new(Verification { access, user });
    state.verified.remember(token, &found);
    Ok(Caller::Account(found))
}

async fn anonymous(state: &ApiState, session: Option<String>) -> Result<Caller, ApiError> {
    let config = &state.config.auth;
    let (name, role) = match config.anonymous {
        AnonymousAccess::Off => return Err(ApiError::unauthorized(AUTHENTICATION_REQUIRED)),
        AnonymousAccess::Read => (ANONYMOUS.to_owned(), Role::Viewer),
        AnonymousAccess::Write => {
            let name = match session {
                Some(id) => state
                    .read(move |s| s.sessions.get(&id))
                    .await
                    .map(|session| session.username.into_inner())
                    .unwrap_or_else(|_| ANONYMOUS.to_owned()),
                None => ANONYMOUS.to_owned(),
            };
            (name, config.anonymous_role)
        }
    };
    Ok(Caller::Anonymous {
        actor: Actor::new(name, role),
    })
}

/// Authenticates a request whose token, if any, came in `token` rather than a header (the
/// WebSocket's query parameter), and requires the read permission: a token is judged alone;
/// without one the anonymous mode decides.
///
/// # Errors
/// 401 as for any route; 403 cannot happen since every role may read.
pub async fn authenticate_query(
    state: &ApiState,
    req: &HttpRequest,
    token: Option<&str>,
) -> Result<Actor, ApiError> {
    let caller = match token.filter(|t| !t.is_empty()) {
        Some(token) => account(state, token).await?,
        None => anonymous(state, session_id_of(req)).await?,
    };
    Ok(caller.admit(Some(Permission::Read))?.actor())
}

/// The application's state (a handle: cloning the state itself, with every service, was 4 % of
/// a single ticket's CPU).
fn state_of(req: &HttpRequest) -> Result<Data<ApiState>, ApiError> {
    req.app_data::<Data<ApiState>>()
        .cloned()
        .ok_or_else(|| ApiError::internal("ApiState is not registered"))
}

async fn resolve(req: HttpRequest, needed: Option<Permission>) -> Result<Caller, ApiError> {
    let state = state_of(&req)?;
    let caller = match bearer_token(&req)? {
        Some(token) => account(&state, token).await?,
        None => anonymous(&state, session_id_of(&req)).await?,
    };
    caller.admit(needed)
}

/// What a route requires: one permission of contract §11, or (for `None`) an account.
pub trait Gate {
    const NEEDS: Option<Permission>;
}

/// The gates routes declare, one per permission of contract §11.
pub mod gate {
    use super::Gate;
    use kanban_domain::policy::Permission;

    macro_rules! gates {
        ($($(#[$meta:meta])* $name:ident => $permission:expr;)*) => {
            $(
                $(#[$meta])*
                #[derive(Debug, Clone, Copy)]
                pub struct $name;

                impl Gate for $name {
                    const NEEDS: Option<Permission> = $permission;
                }
            )*
        };
    }

    gates! {
        /// Read boards, tickets, comments and history.
        Read => Some(Permission::Read);
        /// Create, update and delete boards and columns.
        ManageBoards => Some(Permission::ManageBoards);
        /// Create tickets and comment (and delete one's own comments).
        Contribute => Some(Permission::Contribute);
        /// Update and move tickets.
        ChangeTickets => Some(Permission::ChangeTickets);
        /// Claim and release tickets.
        Claim => Some(Permission::Claim);
        /// Delete tickets.
        DeleteTickets => Some(Permission::DeleteTickets);
        /// Statistics and bulk operations.
        Analyse => Some(Permission::Analyse);
        /// Manage users and other admin routes.
        Administer => Some(Permission::Administer);
    }
}

/// A caller allowed through gate `G`.
#[derive(Debug, Clone)]
pub struct Authorized<G> {
    caller: Caller,
    _gate: PhantomData<G>,
}

impl<G> Authorized<G> {
    pub fn caller(&self) -> &Caller {
        &self.caller
    }

    pub fn actor(&self) -> Actor {
        self.caller.actor()
    }
}

impl<G: Gate + 'static> FromRequest for Authorized<G> {
    type Error = ApiError;
    type Future =
        Either<Ready<Result<Self, ApiError>>, LocalBoxFuture<'static, Result<Self, ApiError>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let authorized = |caller| Self {
            caller,
            _gate: PhantomData,
        };
        // A token verified a moment ago (the usual case: an agent's or a screen's requests),
        // answered here rather than by a boxed future (`resolve`) awaited afterwards.
        if let Some(known) = verified_caller(req) {
            let admitted = known.and_then(|caller| caller.admit(G::NEEDS));
            return Either::Left(ready(admitted.map(authorized)));
        }
        let req = req.clone();
        Either::Right(Box::pin(async move {
            resolve(req, G::NEEDS).await.map(authorized)
        }))
    }
}

/// The caller of a request whose bearer token is among the recently verified ones
/// ([`super::verified::VerifiedTokens`]), or the 401 of a malformed `Authorization`; `None` when
/// the token must be checked ([`resolve`]), or the request has none.
fn verified_caller(req: &HttpRequest) -> Option<Result<Caller, ApiError>> {
    let state = req.app_data::<Data<ApiState>>()?;
    match bearer_token(req) {
        Ok(Some(token)) => state
            .verified
            .get(token, state.services.clock.now())
            .map(|found| Ok(Caller::Account(found))),
        Ok(None) => None,
        Err(malformed) => Some(Err(malformed)),
    }
}

/// The account of a valid access token, for routes about one's own account.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub user: User,
    pub token: AccessToken,
}

impl FromRequest for SignedIn {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            match resolve(req, None).await? {
                Caller::Account(found) => Ok(Self {
                    user: found.user.clone(),
                    token: found.access.clone(),
                }),
                Caller::Anonymous { .. } => Err(ApiError::unauthorized(AUTHENTICATION_REQUIRED)),
            }
        })
    }
}

/// The actor of a request's token when it has one (public routes that behave differently for
/// an admin, such as registration); `None` without `Authorization`. A bad token is still 401.
#[derive(Debug, Clone)]
pub struct OptionalAccount(pub Option<Actor>);

impl FromRequest for OptionalAccount {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let state = state_of(&req)?;
            match bearer_token(&req)? {
                Some(token) => Ok(Self(Some(authenticate_token(&state, token).await?))),
                None => Ok(Self(None)),
            }
        })
    }
}
