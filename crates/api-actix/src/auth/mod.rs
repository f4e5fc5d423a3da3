//! Authentication and abuse protection of the HTTP API: access tokens, the one place where each
//! route's permission is enforced ([`Authorized`]), trusted-network anonymous access, rate
//! limits, CORS and the real cryptography adapters.
//!
//! The WebSocket endpoint authenticates its `token` query parameter with
//! [`authenticate_token`] (or [`authenticate_query`], which also applies anonymous access).

pub mod crypto;
mod guard;
mod verified;
pub(crate) use guard::bearer_token;
pub use verified::VerifiedTokens;
pub mod rate_limit;
pub mod tokens;

pub use guard::{
    Authorized, Caller, OptionalAccount, SESSION_COOKIE, SESSION_HEADER, SignedIn,
    authenticate_query, authenticate_token, gate, session_id_of,
};
pub use rate_limit::{RateLimitConfig, RateLimiters};
pub use tokens::{AccessClaims, IssuedToken, SigningKey, TokenKeys};

use kanban_domain::Role;

/// What a request without a token may do (`auth.anonymous`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum AnonymousAccess {
    /// Nothing but the public routes: every other route is 401 without a token.
    #[default]
    Off,
    /// The read routes (and the WebSocket), as a `viewer` named `anonymous`.
    Read,
    /// Everything `anonymous_role` allows, under the name of the request's display-name session
    /// (or `anonymous`).
    Write,
}

impl std::str::FromStr for AnonymousAccess {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "off" => Ok(Self::Off),
            "read" => Ok(Self::Read),
            "write" => Ok(Self::Write),
            other => Err(format!(
                "unknown anonymous access '{other}': expected off, read or write"
            )),
        }
    }
}

/// Settings of authentication.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthConfig {
    /// The HMAC key of access tokens.
    pub signing_key: SigningKey,
    /// The `iss` claim of issued tokens, and the only one accepted.
    pub issuer: String,
    /// Lifetime of access tokens.
    pub access_token_ttl: chrono::Duration,
    pub anonymous: AnonymousAccess,
    /// The role of tokenless requests in `write` mode.
    pub anonymous_role: Role,
    /// Mark the session cookie `Secure` (serve over HTTPS, or behind a TLS proxy).
    pub secure_cookies: bool,
}

impl Default for AuthConfig {
    /// A random signing key, so every default configuration signs with its own key.
    fn default() -> Self {
        let signing_key = SigningKey::random().unwrap_or_else(|_| {
            // Only if the OS random source fails: still unpredictable enough for tests.
            let a = uuid::Uuid::new_v4();
            let b = uuid::Uuid::new_v4();
            SigningKey::new([a.as_bytes().as_slice(), b.as_bytes()].concat())
        });
        Self {
            signing_key,
            issuer: "agent-kanban".to_owned(),
            access_token_ttl: chrono::Duration::minutes(30),
            anonymous: AnonymousAccess::Off,
            anonymous_role: Role::Pm,
            secure_cookies: false,
        }
    }
}
