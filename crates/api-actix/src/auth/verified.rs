//! Recently verified access tokens: which account a token's `jti` belonged to, for a few seconds.
//!
//! Checking a token's signature and expiry is cheap and happens on every request; checking that it
//! is not revoked and that its account is still active needs the database and a hop to the
//! blocking pool. An agent polling the board sends many requests per second with the same token,
//! so the answer is kept for `ttl`. Every change of accounts or logins made through this server
//! (logout, refresh, password change, role or activation change) forgets everything at once, so
//! it applies to the next request; a change made elsewhere (the `users` CLI, another instance)
//! applies within `ttl`.

use kanban_domain::User;
use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// Entries kept at most; past that the cache starts over (a bound on memory, not an LRU).
const CAPACITY: usize = 10_000;

#[derive(Debug)]
pub struct VerifiedTokens {
    entries: Mutex<HashMap<String, (User, Instant)>>,
    ttl: Duration,
}

impl VerifiedTokens {
    /// How long a verification is trusted by default.
    pub const TTL: Duration = Duration::from_secs(5);

    pub fn new(ttl: Duration) -> Self {
        Self {
            entries: Mutex::new(HashMap::new()),
            ttl,
        }
    }

    /// The account of `jti`, if it was verified less than `ttl` ago.
    pub fn get(&self, jti: &str) -> Option<User> {
        if self.ttl.is_zero() {
            return None;
        }
        let entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        entries
            .get(jti)
            .filter(|(_, at)| at.elapsed() < self.ttl)
            .map(|(user, _)| user.clone())
    }

    pub fn remember(&self, jti: &str, user: &User) {
        if self.ttl.is_zero() {
            return;
        }
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        if entries.len() >= CAPACITY {
            entries.clear();
        }
        entries.insert(jti.to_owned(), (user.clone(), Instant::now()));
    }

    /// Forgets every verification: accounts or logins changed.
    pub fn forget_all(&self) {
        self.entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }
}

impl Default for VerifiedTokens {
    fn default() -> Self {
        Self::new(Self::TTL)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kanban_domain::Role;
    use kanban_domain::ids::UserId;
    use kanban_domain::values::{Email, Username};

    fn user() -> User {
        User {
            id: UserId::new(1),
            username: Username::parse("u", "ann").unwrap(),
            email: Email::parse("e", "ann@example.com").unwrap(),
            role: Role::Agent,
            is_active: true,
            is_superuser: false,
            created_at: chrono::Utc::now(),
            last_login: None,
        }
    }

    #[test]
    fn remembers_until_forgotten() {
        let cache = VerifiedTokens::new(Duration::from_secs(60));
        assert!(cache.get("jti").is_none());
        cache.remember("jti", &user());
        assert_eq!(cache.get("jti").unwrap().username.as_str(), "ann");
        cache.forget_all();
        assert!(cache.get("jti").is_none());
    }

    #[test]
    fn a_zero_ttl_disables_it() {
        let cache = VerifiedTokens::new(Duration::ZERO);
        cache.remember("jti", &user());
        assert!(cache.get("jti").is_none());
    }
}
