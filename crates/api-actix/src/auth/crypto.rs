//! The real adapters of the domain's cryptography ports: argon2id password hashing with the
//! OWASP-recommended parameters, and opaque secrets from the operating system's random source,
//! stored as SHA-256 digests.

use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
use argon2::{Algorithm, Argon2, Params, Version};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use kanban_domain::account::{PasswordHash, Secret, SecretDigest};
use kanban_domain::ports::{Crypto, CryptoError, PasswordHasher, SecretGenerator};
use kanban_domain::values::Password;
use sha2::{Digest as _, Sha256};
use std::sync::{Arc, OnceLock, mpsc};

/// OWASP's recommendation for argon2id: 19 MiB of memory, 2 iterations, 1 lane.
pub const OWASP_MEMORY_KIB: u32 = 19_456;
pub const OWASP_ITERATIONS: u32 = 2;
pub const OWASP_LANES: u32 = 1;

/// argon2id with the OWASP parameters. Hashing and verifying take tens of milliseconds of CPU by
/// design; callers are use cases on the blocking pool, which hand the work to the one hashing
/// thread of the process and wait for it (see [`on_hashing_thread`]).
#[derive(Debug, Clone)]
pub struct Argon2Hasher {
    params: Params,
}

type Job = Box<dyn FnOnce() + Send>;

/// Every argon2 computation of the process runs on one thread. Each needs a 19 MiB buffer, and
/// the allocator keeps a freed buffer in the arena of the thread that used it: hashing on any
/// blocking-pool thread would leave up to one buffer per thread resident for good. One thread
/// keeps it to one buffer, at the price of hashing one password at a time (about 40 logins per
/// second), which the login rate limit stays far below.
fn hashing_thread() -> Option<&'static mpsc::Sender<Job>> {
    static THREAD: OnceLock<Option<mpsc::Sender<Job>>> = OnceLock::new();
    THREAD
        .get_or_init(|| {
            let (jobs, received) = mpsc::channel::<Job>();
            std::thread::Builder::new()
                .name("argon2".to_owned())
                .spawn(move || {
                    for job in received {
                        // A panicking job must not take the thread, and every later login, down.
                        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
                    }
                })
                .ok()?;
            Some(jobs)
        })
        .as_ref()
}

/// Runs `work` on the hashing thread and waits for its result (on this thread when the hashing
/// thread could not be started).
fn on_hashing_thread<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, CryptoError> {
    let Some(thread) = hashing_thread() else {
        return Ok(work());
    };
    let (result, received) = mpsc::channel();
    let job: Job = Box::new(move || {
        let _ = result.send(work());
    });
    let stopped = || CryptoError("the password hashing thread stopped".to_owned());
    thread.send(job).map_err(|_| stopped())?;
    received.recv().map_err(|_| stopped())
}

/// A hash of a random password with the hasher's parameters, computed once per process (on the
/// hashing thread), that an unknown user's login is verified against.
fn dummy(argon2: &Argon2<'static>) -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        let mut password = [0u8; 32];
        // Without randomness the fixed password still costs the same time to verify.
        let _ = getrandom::fill(&mut password);
        argon2
            .hash_password(&password)
            .map(|hash| hash.to_string())
            .unwrap_or_default()
    })
}

impl Argon2Hasher {
    /// # Errors
    /// Never with the built-in parameters; kept fallible so no `unwrap` is needed.
    pub fn owasp() -> Result<Self, CryptoError> {
        let params = Params::new(OWASP_MEMORY_KIB, OWASP_ITERATIONS, OWASP_LANES, None)
            .map_err(|e| CryptoError(e.to_string()))?;
        Ok(Self { params })
    }

    fn argon2(&self) -> Argon2<'static> {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, self.params.clone())
    }

    /// Computes the dummy hash now, so the first login of an unknown user is not slower than
    /// the ones after it.
    pub fn warm_up(&self) {
        let argon2 = self.argon2();
        let _ = on_hashing_thread(move || {
            dummy(&argon2);
        });
    }
}

impl PasswordHasher for Argon2Hasher {
    fn hash(&self, password: &Password) -> Result<PasswordHash, CryptoError> {
        let argon2 = self.argon2();
        let password = password.expose().to_owned();
        on_hashing_thread(move || {
            argon2
                .hash_password(password.as_bytes())
                .map(|hash| hash.to_string())
                .map_err(|e| CryptoError(e.to_string()))
        })?
        .map(PasswordHash::new)
    }

    fn verify(&self, password: &str, hash: &PasswordHash) -> bool {
        let argon2 = self.argon2();
        let (password, hash) = (password.to_owned(), hash.as_str().to_owned());
        on_hashing_thread(move || {
            argon2
                .verify_password(password.as_bytes(), hash.as_str())
                .is_ok()
        })
        .unwrap_or(false)
    }

    fn verify_dummy(&self, password: &str) {
        let argon2 = self.argon2();
        let password = password.to_owned();
        let _ = on_hashing_thread(move || {
            let _ = argon2.verify_password(password.as_bytes(), dummy(&argon2));
        });
    }
}

/// 256-bit secrets from the OS, base64url without padding (43 characters); SHA-256 hex digests.
#[derive(Debug, Clone, Copy, Default)]
pub struct RandomSecrets;

/// `n` random bytes from the operating system.
///
/// # Errors
/// When the operating system's random source fails.
pub fn random_bytes<const N: usize>() -> Result<[u8; N], CryptoError> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|e| CryptoError(e.to_string()))?;
    Ok(bytes)
}

impl SecretGenerator for RandomSecrets {
    fn generate(&self) -> Result<Secret, CryptoError> {
        Ok(Secret::new(URL_SAFE_NO_PAD.encode(random_bytes::<32>()?)))
    }

    fn digest(&self, secret: &str) -> SecretDigest {
        let digest = Sha256::digest(secret.as_bytes());
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        SecretDigest::new(hex)
    }
}

/// The production cryptography: argon2id and OS randomness.
///
/// # Errors
/// Never with the built-in parameters.
pub fn real_crypto() -> Result<Crypto, CryptoError> {
    let hasher = Argon2Hasher::owasp()?;
    Ok(Crypto {
        passwords: Arc::new(hasher),
        secrets: Arc::new(RandomSecrets),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_with_owasp_parameters_and_verify() {
        let hasher = Argon2Hasher::owasp().unwrap();
        let password = Password::parse("password", "Secret123").unwrap();
        let hash = hasher.hash(&password).unwrap();
        assert!(
            hash.as_str().starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{}",
            hash.as_str()
        );
        assert!(hasher.verify("Secret123", &hash));
        assert!(!hasher.verify("Secret124", &hash));
        assert!(!hasher.verify("Secret123", &PasswordHash::new("garbage".into())));
        assert_ne!(hasher.hash(&password).unwrap(), hash, "salted");
        hasher.warm_up();
        assert!(dummy(&hasher.argon2()).starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        hasher.verify_dummy("anything");
    }

    #[test]
    fn secrets_are_long_random_and_digested() {
        let secrets = RandomSecrets;
        let a = secrets.generate().unwrap();
        let b = secrets.generate().unwrap();
        assert_ne!(a, b);
        assert_eq!(a.expose().len(), 43);
        let digest = secrets.digest(a.expose());
        assert_eq!(digest.as_str().len(), 64);
        assert_eq!(digest, secrets.digest(a.expose()));
        assert_eq!(
            secrets.digest("abc").as_str(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
