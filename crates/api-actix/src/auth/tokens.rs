//! Access tokens: JWT HS256 with `sub`, `username`, `role`, `type`, `iat`, `exp`, `jti`, `iss`,
//! and `sid` (the login the token belongs to, so revoking a login rejects its access tokens).
//!
//! Verification accepts only HS256 signed with our key, from our issuer, of type `access`, with
//! an `exp` in the future of the domain's clock. Everything else is one 401.

use crate::auth::crypto::random_bytes;
use crate::error::ApiError;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use kanban_domain::account::{AccessToken, LoginId};
use kanban_domain::ports::CryptoError;
use kanban_domain::{Role, Timestamp, User, UserId};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::sync::Arc;

/// The message of every refused access token (bad signature, algorithm, issuer, type, expiry).
pub const INVALID_TOKEN: &str = "Invalid or expired access token";

/// The HMAC key that signs access tokens. Its `Debug` is redacted.
#[derive(Clone, PartialEq, Eq)]
pub struct SigningKey(Arc<[u8]>);

impl SigningKey {
    /// The minimum length the server accepts in production.
    pub const MIN_BYTES: usize = 32;

    pub fn new(bytes: impl Into<Vec<u8>>) -> Self {
        Self(Arc::from(bytes.into()))
    }

    /// A fresh random key of 64 bytes.
    ///
    /// # Errors
    /// When the operating system's random source fails.
    pub fn random() -> Result<Self, CryptoError> {
        Ok(Self::new(random_bytes::<64>()?.to_vec()))
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn expose(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SigningKey([redacted, {} bytes])", self.0.len())
    }
}

/// The claims of an access token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessClaims {
    /// The user's id, as a string (JWT convention).
    pub sub: String,
    pub username: String,
    pub role: Role,
    /// Always `access`.
    #[serde(rename = "type")]
    pub kind: String,
    pub iat: i64,
    pub exp: i64,
    pub jti: String,
    pub iss: String,
    /// The login (refresh-token family) the token was issued to.
    pub sid: String,
}

/// A freshly issued access token. Its `Debug` leaves the token out.
#[derive(Clone, PartialEq, Eq)]
pub struct IssuedToken {
    pub token: String,
    /// Lifetime in seconds (`expires_in`).
    pub expires_in: i64,
}

impl fmt::Debug for IssuedToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IssuedToken")
            .field("expires_in", &self.expires_in)
            .finish_non_exhaustive()
    }
}

/// Signs and verifies access tokens.
#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    issuer: String,
    ttl: chrono::Duration,
}

impl fmt::Debug for TokenKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenKeys")
            .field("issuer", &self.issuer)
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

impl TokenKeys {
    pub fn new(key: &SigningKey, issuer: &str, ttl: chrono::Duration) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_required_spec_claims(&["exp", "sub", "iss"]);
        validation.set_issuer(&[issuer]);
        // Expiry is checked against the domain's clock below, not the system time, so a fixed
        // clock in tests governs it too.
        validation.validate_exp = false;
        validation.validate_aud = false;
        Self {
            encoding: EncodingKey::from_secret(key.expose()),
            decoding: DecodingKey::from_secret(key.expose()),
            validation,
            issuer: issuer.to_owned(),
            ttl,
        }
    }

    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// Issues an access token for `user`'s login `login` at `now`.
    ///
    /// # Errors
    /// 500 when randomness or signing fails.
    pub fn issue(
        &self,
        user: &User,
        login: &LoginId,
        now: Timestamp,
    ) -> Result<IssuedToken, ApiError> {
        let jti = URL_SAFE_NO_PAD.encode(random_bytes::<16>().map_err(ApiError::internal)?);
        let claims = AccessClaims {
            sub: user.id.to_string(),
            username: user.username.as_str().to_owned(),
            role: user.role,
            kind: "access".to_owned(),
            iat: now.timestamp(),
            exp: (now + self.ttl).timestamp(),
            jti,
            iss: self.issuer.clone(),
            sid: login.as_str().to_owned(),
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(ApiError::internal)?;
        Ok(IssuedToken {
            token,
            expires_in: self.ttl.num_seconds(),
        })
    }

    /// The claims of a token that is well-formed, HS256-signed with our key, from our issuer,
    /// of type `access` and not expired at `now`.
    ///
    /// # Errors
    /// 401 otherwise.
    pub fn verify(&self, token: &str, now: Timestamp) -> Result<AccessClaims, ApiError> {
        let data = jsonwebtoken::decode::<AccessClaims>(token, &self.decoding, &self.validation)
            .map_err(|_| ApiError::unauthorized(INVALID_TOKEN))?;
        let claims = data.claims;
        if claims.kind != "access" || claims.exp <= now.timestamp() {
            return Err(ApiError::unauthorized(INVALID_TOKEN));
        }
        Ok(claims)
    }

    /// The verified token as the domain checks it against revocations.
    ///
    /// # Errors
    /// 401 when the token is not valid.
    pub fn access_token(&self, token: &str, now: Timestamp) -> Result<AccessToken, ApiError> {
        let claims = self.verify(token, now)?;
        let user_id: i64 = claims
            .sub
            .parse()
            .map_err(|_| ApiError::unauthorized(INVALID_TOKEN))?;
        let expires_at = chrono::DateTime::from_timestamp(claims.exp, 0)
            .ok_or_else(|| ApiError::unauthorized(INVALID_TOKEN))?;
        Ok(AccessToken {
            user_id: UserId::new(user_id),
            login: LoginId::new(claims.sid),
            jti: claims.jti,
            expires_at,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use kanban_domain::values::{Email, Username};

    fn user() -> User {
        User {
            id: UserId::new(42),
            username: Username::parse("username", "ann").unwrap(),
            email: Email::parse("email", "ann@example.com").unwrap(),
            role: Role::Agent,
            is_active: true,
            is_superuser: false,
            created_at: chrono::Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
            last_login: None,
        }
    }

    #[test]
    fn tokens_live_exactly_their_lifetime_on_the_domain_clock() {
        let keys = TokenKeys::new(
            &SigningKey::new(vec![1; 32]),
            "kanban",
            chrono::Duration::minutes(30),
        );
        let issued_at = chrono::Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap();
        let issued = keys
            .issue(&user(), &LoginId::new("L".into()), issued_at)
            .unwrap();
        assert_eq!(issued.expires_in, 1800);
        let minutes = |m| issued_at + chrono::Duration::minutes(m);
        let token = keys.access_token(&issued.token, minutes(29)).unwrap();
        assert_eq!(
            (token.user_id, token.login.as_str()),
            (UserId::new(42), "L")
        );
        assert_eq!(token.expires_at, minutes(30));
        let claims = keys.verify(&issued.token, minutes(0)).unwrap();
        assert_eq!(
            (claims.username.as_str(), claims.role, claims.kind.as_str()),
            ("ann", Role::Agent, "access")
        );
        assert_eq!((claims.iss.as_str(), claims.sub.as_str()), ("kanban", "42"));
        assert_eq!(claims.exp - claims.iat, 1800);
        let expired = keys.verify(&issued.token, minutes(30)).unwrap_err();
        assert_eq!(expired.status(), actix_web::http::StatusCode::UNAUTHORIZED);
        let other = TokenKeys::new(
            &SigningKey::new(vec![2; 32]),
            "kanban",
            chrono::Duration::minutes(30),
        );
        assert!(
            other.verify(&issued.token, minutes(1)).is_err(),
            "another key"
        );
        let elsewhere = TokenKeys::new(
            &SigningKey::new(vec![1; 32]),
            "elsewhere",
            chrono::Duration::minutes(30),
        );
        assert!(
            elsewhere.verify(&issued.token, minutes(1)).is_err(),
            "another issuer"
        );
    }

    #[test]
    fn signing_keys_are_redacted() {
        let key = SigningKey::new(b"super-secret-signing-key-of-32-bytes".to_vec());
        assert!(!format!("{key:?}").contains("super-secret"));
    }
}
