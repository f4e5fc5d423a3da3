//! Account use cases: one's own account, and user administration (admins only).

use crate::account::{AccessToken, User, UserChanges};
use crate::actor::{Actor, Role};
use crate::error::DomainError;
use crate::ids::UserId;
use crate::page::{Page, PageRequest};
use crate::policy::Permission;
use crate::ports::{Crypto, Repositories, TokenStore, UserRepository};
use crate::time::Clock;
use crate::values::{Email, Password, Username};
use std::sync::Arc;

/// Changes to one's own account.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccountUpdate {
    pub email: Option<Email>,
    pub password: Option<Password>,
}

/// An admin's changes to an account.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UserAdminUpdate {
    pub role: Option<Role>,
    pub is_active: Option<bool>,
}

#[derive(Clone)]
pub struct UserService {
    users: Arc<dyn UserRepository>,
    tokens: Arc<dyn TokenStore>,
    crypto: Crypto,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for UserService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserService").finish_non_exhaustive()
    }
}

impl UserService {
    pub fn new(repositories: &Repositories, crypto: Crypto, clock: Arc<dyn Clock>) -> Self {
        Self {
            users: repositories.users.clone(),
            tokens: repositories.tokens.clone(),
            crypto,
            clock,
        }
    }

    /// # Errors
    /// `NotFound` when there is no such account.
    pub fn get(&self, id: UserId) -> Result<User, DomainError> {
        self.users.get(id)?.ok_or(DomainError::NotFound("User"))
    }

    /// # Errors
    /// `NotFound` when there is no such account.
    pub fn find(&self, username: &Username) -> Result<User, DomainError> {
        Ok(self
            .users
            .find_by_username(username)?
            .ok_or(DomainError::NotFound("User"))?
            .0)
    }

    /// Changes one's own e-mail and/or password. A new password revokes every other login of
    /// the account, keeping the one `token` belongs to.
    ///
    /// # Errors
    /// `Duplicate` when the e-mail is taken, `NotFound` when the account is gone.
    pub fn update_own(
        &self,
        token: &AccessToken,
        update: &AccountUpdate,
    ) -> Result<User, DomainError> {
        let password_hash = match &update.password {
            Some(password) => Some(self.crypto.passwords.hash(password)?),
            None => None,
        };
        let changes = UserChanges {
            email: update.email.clone(),
            password_hash,
            ..UserChanges::default()
        };
        let user = self.apply(token.user_id, &changes)?;
        if update.password.is_some() {
            self.tokens
                .revoke_logins_of(user.id, Some(token.login.clone()), self.clock.now())?;
        }
        Ok(user)
    }

    /// One page of accounts, ordered by id.
    ///
    /// # Errors
    /// `Forbidden` unless the actor administers users.
    pub fn list(&self, actor: &Actor, page: PageRequest) -> Result<Page<User>, DomainError> {
        actor.require(Permission::Administer)?;
        let (items, total) = self.users.list(page)?;
        Ok(Page::new(items, total, page))
    }

    /// Changes an account's role or active flag. Deactivating revokes all of its logins. An
    /// admin cannot demote or deactivate themselves, so there is always someone to undo it.
    ///
    /// # Errors
    /// `Forbidden` unless the actor administers users or for a change to oneself, `NotFound`.
    pub fn administer(
        &self,
        actor: &Actor,
        id: UserId,
        update: UserAdminUpdate,
    ) -> Result<User, DomainError> {
        actor.require(Permission::Administer)?;
        let target = self.get(id)?;
        let demotes = update.role.is_some_and(|r| r != Role::Admin);
        let deactivates = update.is_active == Some(false);
        if target.username.as_str() == actor.name() && (demotes || deactivates) {
            return Err(DomainError::Forbidden(
                "admins cannot demote or deactivate their own account".into(),
            ));
        }
        self.administer_trusted(id, update)
    }

    /// [`UserService::administer`] without the actor checks, for the command line, which runs
    /// with the operator's access to the database anyway.
    ///
    /// # Errors
    /// `NotFound` when there is no such account.
    pub fn administer_trusted(
        &self,
        id: UserId,
        update: UserAdminUpdate,
    ) -> Result<User, DomainError> {
        let changes = UserChanges {
            role: update.role,
            is_active: update.is_active,
            ..UserChanges::default()
        };
        let user = self.apply(id, &changes)?;
        if update.is_active == Some(false) {
            self.tokens
                .revoke_logins_of(user.id, None, self.clock.now())?;
        }
        Ok(user)
    }

    fn apply(&self, id: UserId, changes: &UserChanges) -> Result<User, DomainError> {
        self.users.update(id, changes).map_err(|e| match e {
            crate::error::StoreError::NotFound => DomainError::NotFound("User"),
            other => other.into(),
        })
    }
}
