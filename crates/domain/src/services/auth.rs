//! Authentication use cases: registration, login, refresh-token rotation, logout, and checking
//! that an access token's login is still good. Password hashing happens here, inside the use
//! case, so it runs wherever the use case runs (the blocking pool, for the API).

use crate::account::{AccessToken, LoginId, NewRefreshToken, NewUser, Rotation, Secret, User};
use crate::actor::{Actor, Role};
use crate::error::DomainError;
use crate::ports::{Crypto, Repositories, TokenStore, UserRepository};
use crate::time::{Clock, Timestamp};
use crate::values::{Email, Password, Username};
use std::sync::Arc;

/// The one message of every failed login, so it does not tell which part was wrong.
pub const BAD_CREDENTIALS: &str = "Incorrect username or password";
/// The one message of every refused refresh token.
pub const BAD_REFRESH_TOKEN: &str = "Invalid or expired refresh token";
/// The message of an access token whose login or account is no longer good.
pub const REVOKED_TOKEN: &str = "Token has been revoked";

/// Rules of account creation and token lifetimes, from configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccountPolicy {
    /// The role of self-registered accounts (every account but the first).
    pub default_role: Role,
    /// How long a refresh token stays usable.
    pub refresh_token_ttl: chrono::Duration,
    /// How long a display-name session lasts.
    pub session_ttl: chrono::Duration,
}

impl Default for AccountPolicy {
    fn default() -> Self {
        Self {
            default_role: Role::Viewer,
            refresh_token_ttl: chrono::Duration::days(7),
            session_ttl: chrono::Duration::days(7),
        }
    }
}

/// An account to create, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    pub username: Username,
    pub email: Email,
    pub password: Password,
    /// The role asked for; honoured only when an admin creates the account.
    pub role: Option<Role>,
}

/// What a successful login or refresh hands out (the access token is minted by the API from it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub user: User,
    pub login: LoginId,
    pub refresh_token: Secret,
    pub refresh_expires_at: Timestamp,
}

#[derive(Clone)]
pub struct AuthService {
    users: Arc<dyn UserRepository>,
    tokens: Arc<dyn TokenStore>,
    crypto: Crypto,
    policy: AccountPolicy,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for AuthService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthService")
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

impl AuthService {
    pub fn new(
        repositories: &Repositories,
        crypto: Crypto,
        policy: AccountPolicy,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            users: repositories.users.clone(),
            tokens: repositories.tokens.clone(),
            crypto,
            policy,
            clock,
        }
    }

    pub fn policy(&self) -> AccountPolicy {
        self.policy
    }

    /// Self-registration, or account creation by an authenticated admin (`creator`). The first
    /// account of an empty store becomes an admin superuser; later ones get the policy's default
    /// role unless an admin creator asks for another.
    ///
    /// # Errors
    /// `Duplicate` when the username or e-mail is taken.
    pub fn register(
        &self,
        creator: Option<&Actor>,
        input: &Registration,
    ) -> Result<User, DomainError> {
        let by_admin = creator.is_some_and(|c| c.role() == Role::Admin);
        let role = match input.role {
            Some(asked) if by_admin => asked,
            _ => self.policy.default_role,
        };
        self.create_account(input, role, true)
    }

    /// Creates an account with exactly `role` (the command line, trusted); with
    /// `first_becomes_admin`, the first account of an empty store is an admin superuser.
    ///
    /// # Errors
    /// `Duplicate` when the username or e-mail is taken.
    pub fn create_account(
        &self,
        input: &Registration,
        role: Role,
        first_becomes_admin: bool,
    ) -> Result<User, DomainError> {
        let password_hash = self.crypto.passwords.hash(&input.password)?;
        let new = NewUser {
            username: input.username.clone(),
            email: input.email.clone(),
            password_hash,
            role,
            first_becomes_admin,
            at: self.clock.now(),
        };
        Ok(self.users.create(&new)?)
    }

    /// Checks a username and password and starts a login. An unknown (or malformed) username
    /// costs a dummy verification, so it takes as long as a wrong password and gives the same
    /// error. An inactive account is refused only after its password matched.
    ///
    /// # Errors
    /// `Unauthenticated` for bad credentials, `Forbidden` for an inactive account.
    pub fn login(&self, username: &str, password: &str) -> Result<Grant, DomainError> {
        let found = match Username::parse("username", username) {
            Ok(name) => self.users.find_by_username(&name)?,
            Err(_) => None,
        };
        let Some((user, hash)) = found else {
            self.crypto.passwords.verify_dummy(password);
            return Err(DomainError::Unauthenticated(BAD_CREDENTIALS.into()));
        };
        if !self.crypto.passwords.verify(password, &hash) {
            return Err(DomainError::Unauthenticated(BAD_CREDENTIALS.into()));
        }
        if !user.is_active {
            return Err(DomainError::Forbidden("This account is disabled".into()));
        }
        let now = self.clock.now();
        let login = LoginId::new(self.crypto.secrets.generate()?.into_inner());
        let (refresh_token, first) = self.new_refresh_token(&login, now)?;
        self.tokens.start_login(user.id, &first)?;
        let user = self.users.update(
            user.id,
            &crate::account::UserChanges {
                last_login: Some(now),
                ..Default::default()
            },
        )?;
        Ok(Grant {
            user,
            login,
            refresh_token,
            refresh_expires_at: first.expires_at,
        })
    }

    /// Rotates a refresh token: the presented one is used up and a new one issued in the same
    /// login. Presenting a token that was already used revokes the whole login.
    ///
    /// # Errors
    /// `Unauthenticated` for an unknown, expired, reused or revoked token, or an inactive account.
    pub fn refresh(&self, presented: &str) -> Result<Grant, DomainError> {
        let now = self.clock.now();
        let digest = self.crypto.secrets.digest(presented);
        // The store keeps the presented token's login; the placeholder is not used.
        let (refresh_token, next) = self.new_refresh_token(&LoginId::new(String::new()), now)?;
        let (user_id, login) = match self.tokens.rotate(&digest, &next, now)? {
            Rotation::Rotated { user_id, login } => (user_id, login),
            // A reused token has just had its login revoked by the store; either way the
            // client learns only that the token is no good.
            Rotation::Reused { .. } | Rotation::Invalid => {
                return Err(DomainError::Unauthenticated(BAD_REFRESH_TOKEN.into()));
            }
        };
        let user = match self.users.get(user_id)? {
            Some(user) if user.is_active => user,
            _ => {
                self.tokens.revoke_login(&login, now)?;
                return Err(DomainError::Unauthenticated(BAD_REFRESH_TOKEN.into()));
            }
        };
        Ok(Grant {
            user,
            login,
            refresh_token,
            refresh_expires_at: next.expires_at,
        })
    }

    /// Ends the login an access token belongs to: the token's `jti` is revoked until it
    /// expires, and so are the login's refresh tokens (and with them its other access tokens).
    ///
    /// # Errors
    /// `Internal` when storage fails.
    pub fn logout(&self, token: &AccessToken) -> Result<(), DomainError> {
        let now = self.clock.now();
        self.tokens.revoke_access(&token.jti, token.expires_at)?;
        self.tokens.revoke_login(&token.login, now)?;
        Ok(())
    }

    /// The account behind an access token whose signature and expiry were already checked,
    /// provided the token, its login and the account are all still good.
    ///
    /// # Errors
    /// `Unauthenticated` when the token or its login was revoked or the account is gone or
    /// inactive.
    pub fn authenticate(&self, token: &AccessToken) -> Result<User, DomainError> {
        if self.tokens.access_revoked(&token.jti, &token.login)? {
            return Err(DomainError::Unauthenticated(REVOKED_TOKEN.into()));
        }
        match self.users.get(token.user_id)? {
            Some(user) if user.is_active => Ok(user),
            _ => Err(DomainError::Unauthenticated(REVOKED_TOKEN.into())),
        }
    }

    /// Drops expired tokens and sessions' bookkeeping; returns how many rows went.
    ///
    /// # Errors
    /// `Internal` when storage fails.
    pub fn prune(&self) -> Result<u64, DomainError> {
        Ok(self.tokens.prune(self.clock.now())?)
    }

    fn new_refresh_token(
        &self,
        login: &LoginId,
        now: Timestamp,
    ) -> Result<(Secret, NewRefreshToken), DomainError> {
        let secret = self.crypto.secrets.generate()?;
        let token = NewRefreshToken {
            digest: self.crypto.secrets.digest(secret.expose()),
            login: login.clone(),
            issued_at: now,
            expires_at: now + self.policy.refresh_token_ttl,
        };
        Ok((secret, token))
    }
}
