//! Recently verified access tokens: the claims and account of a token, for a few seconds.
//!
//! Checking that a token is not revoked and that its account is still active needs the database
//! and a hop to the blocking pool; checking its signature means an HMAC and a JSON parse. An agent
//! polling the board sends many requests per second with the same token, so both answers are kept
//! for `ttl`, keyed by the token's exact text: the same text under the same signing key always
//! verifies the same way, and only its expiry, checked on every request, changes with time. Every
//! change of accounts or logins made through this server (logout, refresh, password change, role
//! or activation change) forgets everything at once, so it applies to the next request; a change
//! made elsewhere (the `users` CLI, another instance) applies within `ttl`.

use kanban_domain::account::AccessToken;
use kanban_domain::{Timestamp, User};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// Entries kept at most; past that the cache starts over (a bound on memory, not an LRU).
const CAPACITY: usize = 10_000;

/// What verifying an access token found: its claims and its account. Shared, not copied, by
/// the requests that send the token (copying the account's and the claims' strings for each was
/// about 1 % of a single ticket's CPU).
#[derive(Debug, Clone)]
pub struct Verification {
    pub access: AccessToken,
    pub user: User,
}

/// What was verified about one token, and when.
#[derive(Debug, Clone)]
struct Verified {
    found: Arc<Verification>,
    at: Instant,
}

#[derive(Debug)]
pub struct VerifiedTokens {
    /// By the token's text, hashed with foldhash rather than SipHash: a token is some 300
    /// bytes, hashed on every request. Only verified tokens are ever inserted, so whoever sends
    /// tokens cannot fill the map with colliding keys.
    entries: Mutex<HashMap<String, Verified, foldhash::fast::RandomState>>,
    ttl: Duration,
}

impl VerifiedTokens {
    /// How long a verification is trusted by default.
    pub const TTL: Duration = Duration::from_secs(5);

    pub fn new(ttl: Duration) -> Self {
        Self {
            entries: Mutex::new(HashMap::default()),
            ttl,
        }
    }

    /// The claims and account of `token`, if it was verified less than `ttl` ago and has not
    /// expired at `now`.
    pub fn get(&self, token: &str, now: Timestamp) -> Option<Arc<Verification>> {
        if self.ttl.is_zero() {
            return None;
        }
        let entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        entries
            .get(token)
            .filter(|v| v.at.elapsed() < self.ttl && v.found.access.expires_at > now)
            .map(|v| v.found.clone())
    }

    /// Keeps what verifying `token` (its signature, expiry and revocation, its account) found.
    pub fn remember(&self, token: &str, found: &Arc<Verification>) {
        if self.ttl.is_zero() {
            return;
        }
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        if entries.len() >= CAPACITY {
            entries.clear();
        }
        entries.insert(
            token.to_owned(),
            Verified {
                found: found.clone(),
                at: Instant::now(),
            },
        );
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
    use kanban_domain::account::LoginId;
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

    fn access(expires_at: Timestamp) -> AccessToken {
        AccessToken {
            user_id: UserId::new(1),
            login: LoginId::new("L".into()),
            jti: "jti".into(),
            expires_at,
        }
    }

    fn found(expires_at: Timestamp) -> Arc<Verification> {
        Arc::new(Verification {
            access: access(expires_at),
            user: user(),
        })
    }

    #[test]
    fn remembers_until_forgotten() {
        let cache = VerifiedTokens::new(Duration::from_secs(60));
        let now = chrono::Utc::now();
        assert!(cache.get("token", now).is_none());
        cache.remember("token", &found(now + chrono::Duration::minutes(1)));
        let found = cache.get("token", now).unwrap();
        assert_eq!(
            (found.access.jti.as_str(), found.user.username.as_str()),
            ("jti", "ann")
        );
        assert!(cache.get("token2", now).is_none(), "another token's text");
        cache.forget_all();
        assert!(cache.get("token", now).is_none());
    }

    #[test]
    fn an_expired_token_is_not_answered_from_the_cache() {
        let cache = VerifiedTokens::new(Duration::from_secs(60));
        let expiry = chrono::Utc::now() + chrono::Duration::minutes(1);
        cache.remember("token", &found(expiry));
        assert!(
            cache
                .get("token", expiry - chrono::Duration::milliseconds(1))
                .is_some()
        );
        assert!(cache.get("token", expiry).is_none());
    }

    #[test]
    fn a_zero_ttl_disables_it() {
        let cache = VerifiedTokens::new(Duration::ZERO);
        let now = chrono::Utc::now();
        cache.remember("token", &found(now + chrono::Duration::minutes(1)));
        assert!(cache.get("token", now).is_none());
    }
}
