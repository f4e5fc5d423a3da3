//! Display-name sessions of anonymous board viewers (contract §8). A session only remembers a
//! name; it grants nothing. Its id is a secret handed out once; storage keeps its digest.

use crate::account::{DisplaySession, Secret};
use crate::error::DomainError;
use crate::ports::{Crypto, Repositories, SessionStore};
use crate::time::Clock;
use crate::values::AssigneeName;
use std::sync::Arc;

#[derive(Clone)]
pub struct SessionService {
    sessions: Arc<dyn SessionStore>,
    crypto: Crypto,
    ttl: chrono::Duration,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for SessionService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionService")
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

impl SessionService {
    pub fn new(
        repositories: &Repositories,
        crypto: Crypto,
        ttl: chrono::Duration,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            sessions: repositories.sessions.clone(),
            crypto,
            ttl,
            clock,
        }
    }

    /// Starts a session named `username`; returns its id (shown once) and the session.
    ///
    /// # Errors
    /// `Internal` when storage fails.
    pub fn start(&self, username: &AssigneeName) -> Result<(Secret, DisplaySession), DomainError> {
        let now = self.clock.now();
        let id = self.crypto.secrets.generate()?;
        let session = DisplaySession {
            username: username.clone(),
            created_at: now,
            expires_at: now + self.ttl,
        };
        self.sessions
            .create(&self.crypto.secrets.digest(id.expose()), &session)?;
        // Starting a session is rare; it is a good moment to forget the expired ones.
        self.sessions.prune(now)?;
        Ok((id, session))
    }

    /// The live session with this id.
    ///
    /// # Errors
    /// `NotFound` when it is unknown or expired.
    pub fn get(&self, id: &str) -> Result<DisplaySession, DomainError> {
        self.sessions
            .get(&self.crypto.secrets.digest(id), self.clock.now())?
            .ok_or(DomainError::NotFound("Session"))
    }

    /// Renames a live session.
    ///
    /// # Errors
    /// `NotFound` when it is unknown or expired.
    pub fn rename(&self, id: &str, username: &AssigneeName) -> Result<DisplaySession, DomainError> {
        self.sessions
            .rename(&self.crypto.secrets.digest(id), username, self.clock.now())?
            .ok_or(DomainError::NotFound("Session"))
    }

    /// Ends a session.
    ///
    /// # Errors
    /// `NotFound` when there was none.
    pub fn end(&self, id: &str) -> Result<(), DomainError> {
        if self.sessions.delete(&self.crypto.secrets.digest(id))? {
            Ok(())
        } else {
            Err(DomainError::NotFound("Session"))
        }
    }
}
