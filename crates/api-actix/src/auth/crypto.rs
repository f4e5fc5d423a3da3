//! The real adapters of the domain's cryptography ports: argon2id password hashing with the
//! OWASP-recommended parameters, and opaque secrets from the operating system's random source,
//! stored as SHA-256 digests.

use argon2::password_hash::phc::{Output, ParamsString, PasswordHash as Phc, Salt};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use kanban_domain::account::{PasswordHash, Secret, SecretDigest};
use kanban_domain::ports::{Crypto, CryptoError, PasswordHasher, SecretGenerator};
use kanban_domain::values::Password;
use sha2::{Digest as _, Sha256};
use std::cell::RefCell;
use std::sync::{Arc, OnceLock, mpsc};

/// OWASP's recommendation for argon2id: 19 MiB of memory, 2 iterations, 1 lane.
pub const OWASP_MEMORY_KIB: u32 = 19_456;
pub const OWASP_ITERATIONS: u32 = 2;
pub const OWASP_LANES: u32 = 1;
/// Salt and output lengths of new hashes (the PHC string format's recommendations).
const SALT_LEN: usize = 16;
const OUTPUT_LEN: usize = 32;

/// argon2id with the OWASP parameters. Hashing and verifying take tens of milliseconds of CPU by
/// design; callers are use cases on the blocking pool, which hand the work to the one hashing
/// thread of the process and wait for it (see [`on_hashing_thread`]).
#[derive(Debug, Clone)]
pub struct Argon2Hasher {
    params: Params,
}

type Job = Box<dyn FnOnce() + Send>;

/// Every argon2 computation of the process runs on one thread, in one 19 MiB working buffer that
/// the thread allocates at its first hash and keeps (see [`compute`]), at the price of hashing
/// one password at a time (about 40 logins per second), which the login rate limit stays far
/// below.
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

thread_local! {
    /// The hashing thread's argon2 working memory.
    static WORKING_MEMORY: RefCell<Vec<Block>> = const { RefCell::new(Vec::new()) };
}

/// argon2 of `password` and `salt` into `out`, in the calling thread's working memory.
///
/// The buffer is kept rather than allocated per hash, as argon2's own API does: glibc serves a
/// 19 MiB allocation from a fresh mapping, but freeing it raises glibc's mmap threshold to
/// 19 MiB, after which every smaller allocation of every thread comes from the heap arenas and
/// stays resident. That took the server from about 15 MB to 130 MB after ten logins; with one
/// kept buffer it stays near 35 MB.
fn compute(
    argon2: &Argon2<'_>,
    password: &[u8],
    salt: &[u8],
    out: &mut [u8],
) -> Result<(), argon2::Error> {
    WORKING_MEMORY.with_borrow_mut(|memory| {
        let blocks = argon2.params().block_count();
        if memory.len() < blocks {
            *memory = vec![Block::default(); blocks];
        }
        argon2.hash_password_into_with_memory(password, salt, out, &mut memory[..blocks])
    })
}

fn crypto_error(error: impl std::fmt::Display) -> CryptoError {
    CryptoError(error.to_string())
}

/// A new argon2id hash of `password` in the PHC string format, with a random salt.
fn hash_phc(params: &Params, password: &[u8]) -> Result<String, CryptoError> {
    let salt = random_bytes::<SALT_LEN>()?;
    let mut out = [0u8; OUTPUT_LEN];
    let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    compute(&argon2, password, &salt, &mut out).map_err(crypto_error)?;
    let phc = Phc {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(params).map_err(crypto_error)?,
        salt: Some(Salt::new(&salt).map_err(crypto_error)?),
        hash: Some(Output::new(&out).map_err(crypto_error)?),
    };
    Ok(phc.to_string())
}

/// Whether `password` matches the PHC string `hash`, with the algorithm, version and parameters
/// the hash names (so hashes made with other parameters still verify). The outputs are compared
/// in constant time.
fn verify_phc(password: &[u8], hash: &str) -> bool {
    let Ok(phc) = Phc::new(hash) else {
        return false;
    };
    let (Some(salt), Some(expected)) = (&phc.salt, &phc.hash) else {
        return false;
    };
    let (Ok(algorithm), Ok(params)) = (
        Algorithm::try_from(phc.algorithm.as_str()),
        Params::try_from(&phc),
    ) else {
        return false;
    };
    let version = match phc.version.map(Version::try_from) {
        None => Version::default(),
        Some(Ok(version)) => version,
        Some(Err(_)) => return false,
    };
    let mut out = vec![0u8; expected.len()];
    let argon2 = Argon2::new(algorithm, version, params);
    compute(&argon2, password, salt, &mut out).is_ok()
        && Output::new(&out).is_ok_and(|computed| &computed == expected)
}

/// A hash of a random password with the hasher's parameters, computed once per process (on the
/// hashing thread), that an unknown user's login is verified against.
fn dummy(params: &Params) -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        let mut password = [0u8; 32];
        // Without randomness the fixed password still costs the same time to verify.
        let _ = getrandom::fill(&mut password);
        hash_phc(params, &password).unwrap_or_default()
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

    /// Computes the dummy hash now, so the first login of an unknown user is not slower than
    /// the ones after it.
    pub fn warm_up(&self) {
        let params = self.params.clone();
        let _ = on_hashing_thread(move || {
            dummy(&params);
        });
    }
}

impl PasswordHasher for Argon2Hasher {
    fn hash(&self, password: &Password) -> Result<PasswordHash, CryptoError> {
        let params = self.params.clone();
        let password = password.expose().to_owned();
        on_hashing_thread(move || hash_phc(&params, password.as_bytes()))?.map(PasswordHash::new)
    }

    fn verify(&self, password: &str, hash: &PasswordHash) -> bool {
        let (password, hash) = (password.to_owned(), hash.as_str().to_owned());
        on_hashing_thread(move || verify_phc(password.as_bytes(), &hash)).unwrap_or(false)
    }

    fn verify_dummy(&self, password: &str) {
        let params = self.params.clone();
        let password = password.to_owned();
        let _ = on_hashing_thread(move || {
            let _ = verify_phc(password.as_bytes(), dummy(&params));
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
        assert!(dummy(&hasher.params).starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        hasher.verify_dummy("anything");
    }

    /// Hashes made by argon2's own API (and with other parameters) verify, and ours verify
    /// with it: stored hashes stay valid.
    #[test]
    fn hashes_are_compatible_with_argon2s_own_api() {
        use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
        let small = Params::new(1024, 1, 1, None).unwrap();
        let theirs = Argon2::new(Algorithm::Argon2id, Version::V0x13, small.clone())
            .hash_password(b"Secret123")
            .unwrap()
            .to_string();
        assert!(verify_phc(b"Secret123", &theirs));
        assert!(!verify_phc(b"Secret12", &theirs));
        let argon2i = Argon2::new(Algorithm::Argon2i, Version::V0x10, small.clone())
            .hash_password(b"Secret123")
            .unwrap()
            .to_string();
        assert!(verify_phc(b"Secret123", &argon2i));

        let ours = hash_phc(&small, b"Secret123").unwrap();
        assert!(ours.starts_with("$argon2id$v=19$m=1024,t=1,p=1$"), "{ours}");
        let parsed = Phc::new(&ours).unwrap();
        assert!(
            Argon2::default()
                .verify_password(b"Secret123", &parsed)
                .is_ok()
        );
        assert!(!verify_phc(
            b"Secret123",
            "$argon2id$v=19$m=1024,t=1,p=1$c2FsdHNhbHQ"
        ));
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
