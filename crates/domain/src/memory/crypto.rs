//! Fast, deterministic stand-ins for the cryptography ports, for tests of the domain only. They
//! are **not** secure: the "hash" keeps the password readable and the secrets are a counter.
//! The real adapters (argon2id, SHA-256 and the OS random source) live in the API crate.

use crate::account::{PasswordHash, Secret, SecretDigest};
use crate::ports::{Crypto, CryptoError, PasswordHasher, SecretGenerator};
use crate::values::Password;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// Stores `plain:<password>`; verification compares. Counts dummy verifications.
#[derive(Debug, Default)]
pub struct PlainTextHasher {
    dummy_verifications: AtomicU64,
}

impl PlainTextHasher {
    /// How many times [`PasswordHasher::verify_dummy`] was called.
    pub fn dummy_verifications(&self) -> u64 {
        self.dummy_verifications.load(Ordering::Relaxed)
    }
}

impl PasswordHasher for PlainTextHasher {
    fn hash(&self, password: &Password) -> Result<PasswordHash, CryptoError> {
        Ok(PasswordHash::new(format!("plain:{}", password.expose())))
    }

    fn verify(&self, password: &str, hash: &PasswordHash) -> bool {
        hash.as_str().strip_prefix("plain:") == Some(password)
    }

    fn verify_dummy(&self, _password: &str) {
        self.dummy_verifications.fetch_add(1, Ordering::Relaxed);
    }
}

/// Secrets `secret-1`, `secret-2`, …; the digest of `s` is `digest(s)`.
#[derive(Debug, Default)]
pub struct SequentialSecrets {
    next: AtomicU64,
}

impl SecretGenerator for SequentialSecrets {
    fn generate(&self) -> Result<Secret, CryptoError> {
        let n = self.next.fetch_add(1, Ordering::Relaxed) + 1;
        Ok(Secret::new(format!("secret-{n}")))
    }

    fn digest(&self, secret: &str) -> SecretDigest {
        SecretDigest::new(format!("digest({secret})"))
    }
}

/// The test stand-ins as the services take them.
pub fn insecure_crypto() -> Crypto {
    Crypto {
        passwords: Arc::new(PlainTextHasher::default()),
        secrets: Arc::new(SequentialSecrets::default()),
    }
}
