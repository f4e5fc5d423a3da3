//! The ports of accounts and authentication: users, the token store (refresh-token families and
//! revoked access tokens), display-name sessions, and the two pieces of cryptography the use
//! cases need (password hashing and opaque secrets), which live in adapters outside the domain.

use crate::account::{
    DisplaySession, LoginId, NewRefreshToken, NewUser, PasswordHash, Rotation, Secret,
    SecretDigest, User, UserChanges,
};
use crate::error::StoreError;
use crate::ids::UserId;
use crate::page::PageRequest;
use crate::time::Timestamp;
use crate::values::{AssigneeName, Password, Username};

/// User accounts.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait UserRepository: Send + Sync {
    /// One account, or `None`.
    ///
    /// # Errors
    /// `Internal` when storage fails.
    fn get(&self, id: UserId) -> Result<Option<User>, StoreError>;

    /// The account named `username` with its password hash, or `None`.
    ///
    /// # Errors
    /// `Internal` when storage fails.
    fn find_by_username(
        &self,
        username: &Username,
    ) -> Result<Option<(User, PasswordHash)>, StoreError>;

    /// One page of accounts ordered by id, and how many there are.
    ///
    /// # Errors
    /// `Internal` when storage fails.
    fn list(&self, page: PageRequest) -> Result<(Vec<User>, u64), StoreError>;

    /// Creates an account. With `new.first_becomes_admin`, the first account of an empty store
    /// becomes an `admin` superuser (decided atomically with the insert).
    ///
    /// # Errors
    /// `Duplicate` naming `username` or `email` when either is taken, `Internal` when storage
    /// fails; nothing is written in any case.
    fn create(&self, new: &NewUser) -> Result<User, StoreError>;

    /// Applies `changes` to an account and returns it as stored.
    ///
    /// # Errors
    /// `NotFound` when there is no such account, `Duplicate` naming `email` when the new address
    /// is taken, `Internal` when storage fails; nothing is written in any case.
    fn update(&self, id: UserId, changes: &UserChanges) -> Result<User, StoreError>;
}

/// Refresh tokens (stored as digests, grouped in login families) and revoked access tokens.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait TokenStore: Send + Sync {
    /// Records a new login of `user_id` with its first refresh token, atomically.
    ///
    /// # Errors
    /// `Internal` when storage fails; nothing is written.
    fn start_login(&self, user_id: UserId, first: &NewRefreshToken) -> Result<(), StoreError>;

    /// Presents the refresh token whose digest is `presented`, atomically: a live token is used
    /// up and replaced by `next` (same login, `next.login` is ignored); an already used one
    /// revokes its whole login; an unknown or expired one, or one of a revoked login, changes
    /// nothing. Of concurrent presentations of one token exactly one can rotate it.
    ///
    /// # Errors
    /// `Internal` when storage fails; nothing is written.
    fn rotate(
        &self,
        presented: &SecretDigest,
        next: &NewRefreshToken,
        now: Timestamp,
    ) -> Result<Rotation, StoreError>;

    /// Revokes a login: its refresh tokens stop working and so do its access tokens.
    ///
    /// # Errors
    /// `Internal` when storage fails.
    fn revoke_login(&self, login: &LoginId, at: Timestamp) -> Result<(), StoreError>;

    /// Revokes every login of `user_id` except `keep`; returns how many were revoked.
    ///
    /// # Errors
    /// `Internal` when storage fails.
    fn revoke_logins_of(
        &self,
        user_id: UserId,
        keep: Option<LoginId>,
        at: Timestamp,
    ) -> Result<u64, StoreError>;

    /// Revokes one access token by its `jti` until it expires at `expires_at`.
    ///
    /// # Errors
    /// `Internal` when storage fails.
    fn revoke_access(&self, jti: &str, expires_at: Timestamp) -> Result<(), StoreError>;

    /// Whether an access token is no longer good: its `jti` was revoked, or its login was
    /// revoked or is unknown.
    ///
    /// # Errors
    /// `Internal` when storage fails.
    fn access_revoked(&self, jti: &str, login: &LoginId) -> Result<bool, StoreError>;

    /// Forgets what can no longer matter at `now`: expired refresh tokens, logins left without
    /// any, revoked access-token ids past their expiry. Returns how many rows went.
    ///
    /// # Errors
    /// `Internal` when storage fails.
    fn prune(&self, now: Timestamp) -> Result<u64, StoreError>;
}

/// Display-name sessions (contract §8), keyed by the digest of their id.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait SessionStore: Send + Sync {
    /// Stores a new session.
    ///
    /// # Errors
    /// `Internal` when storage fails.
    fn create(&self, id: &SecretDigest, session: &DisplaySession) -> Result<(), StoreError>;

    /// The session, unless it is unknown or expired at `now`.
    ///
    /// # Errors
    /// `Internal` when storage fails.
    fn get(&self, id: &SecretDigest, now: Timestamp) -> Result<Option<DisplaySession>, StoreError>;

    /// Changes a live session's name; `None` when it is unknown or expired at `now`.
    ///
    /// # Errors
    /// `Internal` when storage fails.
    fn rename(
        &self,
        id: &SecretDigest,
        username: &AssigneeName,
        now: Timestamp,
    ) -> Result<Option<DisplaySession>, StoreError>;

    /// Ends a session; `false` when there was none.
    ///
    /// # Errors
    /// `Internal` when storage fails.
    fn delete(&self, id: &SecretDigest) -> Result<bool, StoreError>;

    /// Removes the sessions expired at `now`; returns how many.
    ///
    /// # Errors
    /// `Internal` when storage fails.
    fn prune(&self, now: Timestamp) -> Result<u64, StoreError>;
}

/// Why hashing a password or drawing a secret failed (the adapter's failure, never the user's).
#[derive(Debug, thiserror::Error)]
#[error("cryptography failed: {0}")]
pub struct CryptoError(pub String);

impl From<CryptoError> for crate::error::DomainError {
    fn from(error: CryptoError) -> Self {
        Self::Internal(Box::new(error))
    }
}

/// Slow, salted password hashing (argon2id in the real adapter). Every method is CPU-heavy by
/// design: call it from the blocking pool, which is where use cases run.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait PasswordHasher: Send + Sync {
    /// A new salted hash of `password`.
    ///
    /// # Errors
    /// `CryptoError` when the adapter fails.
    fn hash(&self, password: &Password) -> Result<PasswordHash, CryptoError>;

    /// Whether `password` matches `hash`. A hash the adapter cannot read matches nothing.
    fn verify(&self, password: &str, hash: &PasswordHash) -> bool;

    /// Spends the time a [`PasswordHasher::verify`] takes, for a login of an unknown user, so
    /// that an unknown name and a wrong password cannot be told apart by timing.
    fn verify_dummy(&self, password: &str);
}

/// Unguessable opaque secrets and the digests stored in their place.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait SecretGenerator: Send + Sync {
    /// A new secret with at least 256 bits of entropy, as URL-safe text.
    ///
    /// # Errors
    /// `CryptoError` when the source of randomness fails.
    fn generate(&self) -> Result<Secret, CryptoError>;

    /// The digest stored for `secret`; the same secret always gives the same digest.
    fn digest(&self, secret: &str) -> SecretDigest;
}
