//! In-memory accounts, token store and display-name sessions, in the store's one state.

use super::MemoryStore;
use crate::account::{
    DisplaySession, LoginId, NewRefreshToken, NewUser, PasswordHash, Rotation, SecretDigest, User,
    UserChanges,
};
use crate::actor::Role;
use crate::error::StoreError;
use crate::ids::UserId;
use crate::page::PageRequest;
use crate::ports::{SessionStore, TokenStore, UserRepository};
use crate::time::Timestamp;
use crate::values::{AssigneeName, Username};
use std::collections::{BTreeMap, HashMap};

#[derive(Debug, Default)]
pub(super) struct Accounts {
    pub(super) users: BTreeMap<UserId, (User, PasswordHash)>,
    last_user_id: i64,
    logins: HashMap<LoginId, Login>,
    refresh_tokens: HashMap<SecretDigest, RefreshToken>,
    revoked_jtis: HashMap<String, Timestamp>,
    sessions: HashMap<SecretDigest, DisplaySession>,
}

#[derive(Debug)]
struct Login {
    user_id: UserId,
    revoked: bool,
}

#[derive(Debug)]
struct RefreshToken {
    login: LoginId,
    expires_at: Timestamp,
    used: bool,
}

impl Accounts {
    fn taken(&self, field: &str, value: &str, except: Option<UserId>) -> bool {
        self.users.values().any(|(u, _)| {
            Some(u.id) != except
                && match field {
                    "username" => u.username.as_str() == value,
                    _ => u.email.as_str() == value,
                }
        })
    }

    fn revoke_login(&mut self, login: &LoginId) {
        if let Some(l) = self.logins.get_mut(login) {
            l.revoked = true;
        }
    }
}

impl UserRepository for MemoryStore {
    fn get(&self, id: UserId) -> Result<Option<User>, StoreError> {
        Ok(self.lock().accounts.users.get(&id).map(|(u, _)| u.clone()))
    }

    fn find_by_username(
        &self,
        username: &Username,
    ) -> Result<Option<(User, PasswordHash)>, StoreError> {
        let state = self.lock();
        Ok(state
            .accounts
            .users
            .values()
            .find(|(u, _)| u.username == *username)
            .cloned())
    }

    fn list(&self, page: PageRequest) -> Result<(Vec<User>, u64), StoreError> {
        let state = self.lock();
        let users = &state.accounts.users;
        let items = users
            .values()
            .skip(usize::try_from(page.offset()).unwrap_or(usize::MAX))
            .take(usize::try_from(page.limit()).unwrap_or(usize::MAX))
            .map(|(u, _)| u.clone())
            .collect();
        Ok((items, users.len() as u64))
    }

    fn create(&self, new: &NewUser) -> Result<User, StoreError> {
        let mut state = self.lock();
        let accounts = &mut state.accounts;
        if accounts.taken("username", new.username.as_str(), None) {
            return Err(StoreError::Duplicate("username".into()));
        }
        if accounts.taken("email", new.email.as_str(), None) {
            return Err(StoreError::Duplicate("email".into()));
        }
        let first = new.first_becomes_admin && accounts.users.is_empty();
        accounts.last_user_id += 1;
        let user = User {
            id: UserId::new(accounts.last_user_id),
            username: new.username.clone(),
            email: new.email.clone(),
            role: if first { Role::Admin } else { new.role },
            is_active: true,
            is_superuser: first,
            created_at: new.at,
            last_login: None,
        };
        accounts
            .users
            .insert(user.id, (user.clone(), new.password_hash.clone()));
        Ok(user)
    }

    fn update(&self, id: UserId, changes: &UserChanges) -> Result<User, StoreError> {
        let mut state = self.lock();
        let accounts = &mut state.accounts;
        if !accounts.users.contains_key(&id) {
            return Err(StoreError::NotFound);
        }
        if let Some(email) = &changes.email
            && accounts.taken("email", email.as_str(), Some(id))
        {
            return Err(StoreError::Duplicate("email".into()));
        }
        let (user, hash) = accounts.users.get_mut(&id).ok_or(StoreError::NotFound)?;
        if let Some(email) = &changes.email {
            user.email = email.clone();
        }
        if let Some(new_hash) = &changes.password_hash {
            *hash = new_hash.clone();
        }
        if let Some(role) = changes.role {
            user.role = role;
        }
        if let Some(active) = changes.is_active {
            user.is_active = active;
        }
        if let Some(at) = changes.last_login {
            user.last_login = Some(at);
        }
        Ok(user.clone())
    }
}

impl TokenStore for MemoryStore {
    fn start_login(&self, user_id: UserId, first: &NewRefreshToken) -> Result<(), StoreError> {
        let mut state = self.lock();
        let accounts = &mut state.accounts;
        accounts.logins.insert(
            first.login.clone(),
            Login {
                user_id,
                revoked: false,
            },
        );
        accounts.refresh_tokens.insert(
            first.digest.clone(),
            RefreshToken {
                login: first.login.clone(),
                expires_at: first.expires_at,
                used: false,
            },
        );
        Ok(())
    }

    fn rotate(
        &self,
        presented: &SecretDigest,
        next: &NewRefreshToken,
        now: Timestamp,
    ) -> Result<Rotation, StoreError> {
        let mut state = self.lock();
        let accounts = &mut state.accounts;
        let Some(token) = accounts.refresh_tokens.get(presented) else {
            return Ok(Rotation::Invalid);
        };
        let login_id = token.login.clone();
        let (used, expired) = (token.used, token.expires_at <= now);
        let Some(login) = accounts.logins.get(&login_id) else {
            return Ok(Rotation::Invalid);
        };
        let user_id = login.user_id;
        if login.revoked || expired {
            return Ok(Rotation::Invalid);
        }
        if used {
            accounts.revoke_login(&login_id);
            return Ok(Rotation::Reused {
                user_id,
                login: login_id,
            });
        }
        if let Some(token) = accounts.refresh_tokens.get_mut(presented) {
            token.used = true;
        }
        accounts.refresh_tokens.insert(
            next.digest.clone(),
            RefreshToken {
                login: login_id.clone(),
                expires_at: next.expires_at,
                used: false,
            },
        );
        Ok(Rotation::Rotated {
            user_id,
            login: login_id,
        })
    }

    fn revoke_login(&self, login: &LoginId, _at: Timestamp) -> Result<(), StoreError> {
        self.lock().accounts.revoke_login(login);
        Ok(())
    }

    fn revoke_logins_of(
        &self,
        user_id: UserId,
        keep: Option<LoginId>,
        _at: Timestamp,
    ) -> Result<u64, StoreError> {
        let mut state = self.lock();
        let mut revoked = 0;
        for (id, login) in &mut state.accounts.logins {
            if login.user_id == user_id && !login.revoked && Some(id) != keep.as_ref() {
                login.revoked = true;
                revoked += 1;
            }
        }
        Ok(revoked)
    }

    fn revoke_access(&self, jti: &str, expires_at: Timestamp) -> Result<(), StoreError> {
        self.lock()
            .accounts
            .revoked_jtis
            .insert(jti.to_owned(), expires_at);
        Ok(())
    }

    fn access_revoked(&self, jti: &str, login: &LoginId) -> Result<bool, StoreError> {
        let state = self.lock();
        let accounts = &state.accounts;
        let login_live = accounts.logins.get(login).is_some_and(|l| !l.revoked);
        Ok(!login_live || accounts.revoked_jtis.contains_key(jti))
    }

    fn prune(&self, now: Timestamp) -> Result<u64, StoreError> {
        let mut state = self.lock();
        let accounts = &mut state.accounts;
        let before = accounts.refresh_tokens.len() + accounts.logins.len();
        let jtis = accounts.revoked_jtis.len();
        accounts.refresh_tokens.retain(|_, t| t.expires_at > now);
        let tokens = &accounts.refresh_tokens;
        accounts
            .logins
            .retain(|id, _| tokens.values().any(|t| t.login == *id));
        accounts.revoked_jtis.retain(|_, expires| *expires > now);
        let after = accounts.refresh_tokens.len() + accounts.logins.len();
        Ok((before - after + jtis - accounts.revoked_jtis.len()) as u64)
    }
}

impl SessionStore for MemoryStore {
    fn create(&self, id: &SecretDigest, session: &DisplaySession) -> Result<(), StoreError> {
        self.lock()
            .accounts
            .sessions
            .insert(id.clone(), session.clone());
        Ok(())
    }

    fn get(&self, id: &SecretDigest, now: Timestamp) -> Result<Option<DisplaySession>, StoreError> {
        let state = self.lock();
        Ok(state
            .accounts
            .sessions
            .get(id)
            .filter(|s| s.expires_at > now)
            .cloned())
    }

    fn rename(
        &self,
        id: &SecretDigest,
        username: &AssigneeName,
        now: Timestamp,
    ) -> Result<Option<DisplaySession>, StoreError> {
        let mut state = self.lock();
        Ok(state
            .accounts
            .sessions
            .get_mut(id)
            .filter(|s| s.expires_at > now)
            .map(|s| {
                s.username = username.clone();
                s.clone()
            }))
    }

    fn delete(&self, id: &SecretDigest) -> Result<bool, StoreError> {
        Ok(self.lock().accounts.sessions.remove(id).is_some())
    }

    fn prune(&self, now: Timestamp) -> Result<u64, StoreError> {
        let mut state = self.lock();
        let sessions = &mut state.accounts.sessions;
        let before = sessions.len();
        sessions.retain(|_, s| s.expires_at > now);
        Ok((before - sessions.len()) as u64)
    }
}
