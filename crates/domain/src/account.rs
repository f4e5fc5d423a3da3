//! User accounts, their logins (refresh-token families) and the display-name sessions of
//! anonymous viewers. Secrets never leave this module in clear text except to the client that
//! receives them once: storage keeps only digests, and `Debug` output is redacted.

use crate::actor::{Actor, Role};
use crate::ids::UserId;
use crate::time::{Timestamp, serde_timestamp};
use crate::values::{AssigneeName, Email, Username};
use serde::Serialize;
use std::fmt;

/// An account as clients see it (contract §1). The password hash is not part of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct User {
    pub id: UserId,
    pub username: Username,
    pub email: Email,
    pub role: Role,
    pub is_active: bool,
    pub is_superuser: bool,
    #[serde(with = "serde_timestamp")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: Timestamp,
    #[serde(with = "serde_timestamp::option")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub last_login: Option<Timestamp>,
}

impl User {
    /// The actor this user's requests act as: its username and its current role.
    pub fn actor(&self) -> Actor {
        Actor::new(self.username.as_str(), self.role)
    }
}

/// A password hash in PHC string form (`$argon2id$v=19$m=19456,t=2,p=1$…`). Redacted in `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHash(String);

impl PasswordHash {
    pub fn new(phc: String) -> Self {
        Self(phc)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordHash([redacted])")
    }
}

/// An account to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUser {
    pub username: Username,
    pub email: Email,
    pub password_hash: PasswordHash,
    pub role: Role,
    /// When set and no account exists yet, the account becomes an `admin` superuser whatever
    /// `role` says. Storage decides this inside the transaction that inserts the row, so two
    /// concurrent first registrations cannot both become admin.
    pub first_becomes_admin: bool,
    pub at: Timestamp,
}

/// Changes to an account; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserChanges {
    pub email: Option<Email>,
    pub password_hash: Option<PasswordHash>,
    pub role: Option<Role>,
    pub is_active: Option<bool>,
    pub last_login: Option<Timestamp>,
}

/// A freshly generated opaque secret (a refresh token, a session id), shown to its owner once.
/// Redacted in `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: String) -> Self {
        Self(value)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

/// What storage keeps instead of a secret: its digest (SHA-256 in the real adapter).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SecretDigest(String);

impl SecretDigest {
    pub fn new(hex: String) -> Self {
        Self(hex)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// One login: the family of refresh tokens that descend from one successful password check.
/// Access tokens carry it too, so revoking a login also rejects its access tokens.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LoginId(String);

impl LoginId {
    pub fn new(id: String) -> Self {
        Self(id)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A refresh token to store (only its digest), in the family `login`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRefreshToken {
    pub digest: SecretDigest,
    pub login: LoginId,
    pub issued_at: Timestamp,
    pub expires_at: Timestamp,
}

/// What presenting a refresh token led to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rotation {
    /// The token was live: it is now used up and its successor is stored.
    Rotated { user_id: UserId, login: LoginId },
    /// The token had already been used: its whole family has been revoked.
    Reused { user_id: UserId, login: LoginId },
    /// Unknown, expired, or of a revoked login. Nothing changed.
    Invalid,
}

/// The verified claims of an access token that the domain needs to check it is still good.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessToken {
    pub user_id: UserId,
    pub login: LoginId,
    /// The token's own id, revocable on its own (logout).
    pub jti: String,
    pub expires_at: Timestamp,
}

/// A display-name session of contract §8: who an anonymous viewer says they are. It grants no
/// permission; in trusted-network write mode it names the anonymous writer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DisplaySession {
    pub username: AssigneeName,
    #[serde(with = "serde_timestamp")]
    pub created_at: Timestamp,
    #[serde(skip)]
    pub expires_at: Timestamp,
}
