//! The access-token signing key: from `SECRET_KEY` / `auth.secret_key`; in production it is
//! required (at least 32 bytes); elsewhere, when absent, it is generated once and kept in the
//! file `secret_key` next to the database (mode 0600) so restarts keep everyone logged in.

use crate::settings::Settings;
use base64::Engine as _;
use kanban_api_actix::SigningKey;
use kanban_api_actix::auth::crypto::random_bytes;
use std::io::Write as _;
use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};

/// The name of the generated key's file, beside the database.
pub const KEY_FILE: &str = "secret_key";

/// Why there is no usable signing key.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error(
        "SECRET_KEY (auth.secret_key) is required with KANBAN_ENV=production; generate one with \
         `openssl rand -base64 48`"
    )]
    Missing,
    #[error("SECRET_KEY (auth.secret_key) must be at least {min} bytes, not {len}")]
    TooShort { len: usize, min: usize },
    #[error("cannot keep the generated signing key in {path}: {source}")]
    File {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot generate a signing key: {0}")]
    Random(String),
}

/// Where the generated key lives: beside the database file.
pub fn key_file(database_url: &str) -> PathBuf {
    let path = kanban_storage_diesel::database_path(database_url);
    let path = path.strip_prefix("file:").unwrap_or(path);
    let path = path.split('?').next().unwrap_or(path);
    Path::new(path)
        .parent()
        .unwrap_or_else(|| Path::new(""))
        .join(KEY_FILE)
}

/// The signing key the settings call for.
///
/// # Errors
/// In production without a key of at least 32 bytes; elsewhere when the key file cannot be
/// read or written.
pub fn signing_key(settings: &Settings) -> Result<SigningKey, SecretError> {
    let production = settings.environment == "production";
    if let Some(configured) = settings
        .auth
        .secret_key
        .as_ref()
        .filter(|k| !k.0.is_empty())
    {
        let len = configured.0.len();
        if len < SigningKey::MIN_BYTES {
            if production {
                return Err(SecretError::TooShort {
                    len,
                    min: SigningKey::MIN_BYTES,
                });
            }
            tracing::warn!(
                bytes = len,
                "SECRET_KEY is shorter than 32 bytes; production refuses such a key"
            );
        }
        return Ok(SigningKey::new(configured.0.as_bytes()));
    }
    if production {
        return Err(SecretError::Missing);
    }
    kept_key(&key_file(&settings.database.url))
}

fn file_error(path: &Path) -> impl Fn(std::io::Error) -> SecretError + '_ {
    move |source| SecretError::File {
        path: path.display().to_string(),
        source,
    }
}

/// Reads the key kept at `path`, or generates and keeps a new one.
fn kept_key(path: &Path) -> Result<SigningKey, SecretError> {
    match std::fs::read_to_string(path) {
        Ok(text) if text.trim().len() >= SigningKey::MIN_BYTES => {
            let mode = std::fs::metadata(path)
                .map_err(file_error(path))?
                .permissions()
                .mode();
            if mode & 0o077 != 0 {
                tracing::warn!(path = %path.display(), mode = format!("{mode:o}"), "the signing key file is readable by others; chmod 600 it");
            }
            return Ok(SigningKey::new(text.trim().as_bytes()));
        }
        Ok(_) => {
            return Err(SecretError::File {
                path: path.display().to_string(),
                source: std::io::Error::other("the file holds no usable key"),
            });
        }
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
        Err(error) => return Err(file_error(path)(error)),
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(file_error(path))?;
    }
    let bytes = random_bytes::<48>().map_err(|e| SecretError::Random(e.to_string()))?;
    let text = base64::engine::general_purpose::STANDARD.encode(bytes);
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(file_error(path))?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.write_all(b"\n"))
        .map_err(file_error(path))?;
    tracing::info!(path = %path.display(), "generated the access-token signing key");
    Ok(SigningKey::new(text.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::{Overrides, Settings};
    use std::collections::HashMap;

    fn settings(dir: &Path, pairs: &[(&str, &str)]) -> Settings {
        let mut env: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let db = dir.join("data/k.db");
        env.insert("DATABASE_URL".into(), db.display().to_string());
        Settings::load(dir, &env, &Overrides::default()).unwrap()
    }

    #[test]
    fn development_generates_the_key_once_with_mode_600() {
        let dir = tempfile::tempdir().unwrap();
        let first = signing_key(&settings(dir.path(), &[])).unwrap();
        let file = dir.path().join("data/secret_key");
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let again = signing_key(&settings(dir.path(), &[])).unwrap();
        assert_eq!(first, again, "a restart keeps the key");
        assert!(first.len() >= 32);
        assert!(
            !format!("{first:?}").contains(&String::from_utf8_lossy(first.expose()).to_string())
        );
    }

    #[test]
    fn production_requires_a_long_enough_key() {
        let dir = tempfile::tempdir().unwrap();
        let prod = [("KANBAN_ENV", "production")];
        assert!(matches!(
            signing_key(&settings(dir.path(), &prod)),
            Err(SecretError::Missing)
        ));
        let short = [("KANBAN_ENV", "production"), ("SECRET_KEY", "short")];
        assert!(matches!(
            signing_key(&settings(dir.path(), &short)),
            Err(SecretError::TooShort { len: 5, .. })
        ));
        let long = "x".repeat(32);
        let good = [("KANBAN_ENV", "production"), ("SECRET_KEY", long.as_str())];
        assert_eq!(
            signing_key(&settings(dir.path(), &good)).unwrap().expose(),
            long.as_bytes()
        );
        assert!(!dir.path().join("data/secret_key").exists());
    }

    #[test]
    fn the_key_file_sits_beside_the_database() {
        assert_eq!(key_file("data/k.db"), Path::new("data/secret_key"));
        assert_eq!(
            key_file("sqlite:////var/lib/kanban/k.db"),
            Path::new("/var/lib/kanban/secret_key")
        );
        assert_eq!(key_file("k.db"), Path::new("secret_key"));
        assert_eq!(
            key_file("file:/srv/k.db?mode=rwc"),
            Path::new("/srv/secret_key")
        );
    }
}
