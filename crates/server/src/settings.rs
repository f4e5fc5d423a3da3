//! Layered configuration: built-in defaults (`config/default.toml`, compiled in), then
//! `<dir>/default.toml` and `<dir>/<KANBAN_ENV>.toml`, then `KANBAN__SECTION__KEY` variables,
//! then the plain variables operators already use (`DATABASE_URL`, `SECRET_KEY`, `CORS_ORIGINS`,
//! `ACCESS_TOKEN_EXPIRE_MINUTES`, `REFRESH_TOKEN_EXPIRE_DAYS`, `RATE_LIMIT_REQUESTS_PER_MINUTE`,
//! `RATE_LIMIT_BURST`), then command-line flags.
//! The environment is passed in as a map so tests never mutate the process environment.

use crate::lists::{ip_list, origin_list};
use config::{Config, Environment, File, FileFormat};
use kanban_api_actix::AnonymousAccess;
use kanban_api_actix::live::LiveConfig;
use kanban_domain::Role;
use serde::{Deserialize, Deserializer};
use std::collections::HashMap;
use std::fmt;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

const BUILT_IN_DEFAULTS: &str = include_str!("../../../config/default.toml");

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct Settings {
    pub server: ServerSection,
    pub database: DatabaseSection,
    pub http: HttpSection,
    pub log: LogSection,
    pub auth: AuthSection,
    pub rate_limit: RateLimitSection,
    pub cors: CorsSection,
    /// `KANBAN_ENV`, filled in after loading.
    #[serde(skip)]
    pub environment: String,
    pub live: LiveSection,
    pub events: EventsSection,
    pub health: HealthSection,
    pub backup: BackupSection,
}

/// `[backup]`: backups the server takes by itself (`agent-kanban backup` uses `dir` and `keep`
/// as its defaults too).
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct BackupSection {
    /// Hours between backups; 0 turns scheduled backups off.
    pub interval_hours: u64,
    /// Backups kept in `dir`, newest first.
    pub keep: usize,
    pub dir: PathBuf,
}

/// `[live]`: WebSocket connections.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct LiveSection {
    pub heartbeat_interval_secs: u64,
    pub missed_heartbeats: u32,
    pub queue_capacity: usize,
    pub send_timeout_ms: u64,
    pub max_frame_bytes: usize,
}

impl LiveSection {
    pub fn to_config(&self) -> LiveConfig {
        LiveConfig {
            heartbeat_interval: Duration::from_secs(self.heartbeat_interval_secs.max(1)),
            missed_heartbeats: self.missed_heartbeats.max(1),
            queue_capacity: self.queue_capacity.max(1),
            send_timeout: Duration::from_millis(self.send_timeout_ms.max(1)),
            max_frame_bytes: self.max_frame_bytes.max(1024),
            ..LiveConfig::default()
        }
    }
}

/// `[health]`: what the health routes report.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct HealthSection {
    /// Resident memory (MB) above which the health routes report an issue.
    pub memory_threshold_mb: u32,
}

/// `[events]`: the event log that WebSocket clients resume from.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct EventsSection {
    pub retention_days: u32,
    pub prune_interval_minutes: u64,
}

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct ServerSection {
    pub host: String,
    pub port: u16,
    pub workers: usize,
    /// Each HTTP worker thread on a core of its own (`kanban_api_actix::ServerSettings`).
    pub pin_workers: bool,
    pub shutdown_timeout_secs: u64,
}

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct DatabaseSection {
    pub url: String,
    pub pool_size: u32,
    pub busy_timeout_ms: u64,
}

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct HttpSection {
    pub body_limit_bytes: usize,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Json,
    Pretty,
}

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct LogSection {
    pub format: LogFormat,
    pub level: String,
    /// Also write the log to this file, rotated daily (`<file>.YYYY-MM-DD`).
    #[serde(default)]
    pub file: Option<PathBuf>,
    /// Daily log files kept when `file` is set.
    pub keep_days: usize,
}

/// A secret from the configuration; never printed.
#[derive(Clone, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct SecretText(pub String);

impl fmt::Debug for SecretText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretText([redacted, {} bytes])", self.0.len())
    }
}

fn anonymous_access<'de, D: Deserializer<'de>>(d: D) -> Result<AnonymousAccess, D::Error> {
    let text = String::deserialize(d)?;
    text.parse().map_err(serde::de::Error::custom)
}

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct AuthSection {
    /// The access-token signing key (`SECRET_KEY`); generated in development when absent.
    pub secret_key: Option<SecretText>,
    pub issuer: String,
    pub access_token_expire_minutes: u32,
    pub refresh_token_expire_days: u32,
    /// The role of self-registered accounts after the first.
    pub default_role: Role,
    #[serde(deserialize_with = "anonymous_access")]
    pub anonymous: AnonymousAccess,
    pub anonymous_role: Role,
    pub session_expire_days: u32,
    pub secure_cookies: bool,
}

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct RateLimitSection {
    pub enabled: bool,
    pub requests_per_minute: u32,
    pub burst: u32,
    pub register_per_hour: u32,
    pub login_per_minute: u32,
    pub bulk_per_minute: u32,
    #[serde(deserialize_with = "ip_list")]
    pub trusted_proxies: Vec<IpAddr>,
}

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct CorsSection {
    #[serde(deserialize_with = "origin_list")]
    pub origins: Vec<String>,
}

/// Values given on the command line; they win over every other source.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Overrides {
    pub host: Option<String>,
    pub port: Option<u16>,
    pub database_url: Option<String>,
}

/// Why the configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("invalid configuration: {0}")]
    Invalid(#[from] config::ConfigError),
    #[error("KANBAN_ENV must be development, production or test, not '{0}'")]
    UnknownEnvironment(String),
}

/// The deployment environment, from `KANBAN_ENV` (default `development`).
pub fn environment(env: &HashMap<String, String>) -> Result<String, SettingsError> {
    let name = env
        .get("KANBAN_ENV")
        .map_or("development", String::as_str)
        .to_ascii_lowercase();
    match name.as_str() {
        "development" | "production" | "test" => Ok(name),
        _ => Err(SettingsError::UnknownEnvironment(name)),
    }
}

impl Settings {
    /// Loads the settings from `config_dir` and `env` (the process environment, as a map).
    pub fn load(
        config_dir: &Path,
        env: &HashMap<String, String>,
        overrides: &Overrides,
    ) -> Result<Self, SettingsError> {
        let environment = environment(env)?;
        let kanban_vars: HashMap<String, String> = env
            .iter()
            .filter(|(k, _)| k.starts_with("KANBAN__"))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let log_format = if environment == "production" {
            "json"
        } else {
            "pretty"
        };
        let config = Config::builder()
            .set_default("log.format", log_format)?
            .add_source(File::from_str(BUILT_IN_DEFAULTS, FileFormat::Toml))
            .add_source(File::from(config_dir.join("default.toml")).required(false))
            .add_source(File::from(config_dir.join(format!("{environment}.toml"))).required(false))
            .add_source(
                Environment::with_prefix("KANBAN")
                    .prefix_separator("__")
                    .separator("__")
                    .try_parsing(true)
                    .source(Some(kanban_vars)),
            )
            .set_override_option("database.url", env.get("DATABASE_URL").cloned())?
            .set_override_option("auth.secret_key", env.get("SECRET_KEY").cloned())?
            .set_override_option("cors.origins", env.get("CORS_ORIGINS").cloned())?
            .set_override_option(
                "auth.access_token_expire_minutes",
                env.get("ACCESS_TOKEN_EXPIRE_MINUTES").cloned(),
            )?
            .set_override_option(
                "auth.refresh_token_expire_days",
                env.get("REFRESH_TOKEN_EXPIRE_DAYS").cloned(),
            )?
            .set_override_option(
                "rate_limit.requests_per_minute",
                env.get("RATE_LIMIT_REQUESTS_PER_MINUTE").cloned(),
            )?
            .set_override_option("rate_limit.burst", env.get("RATE_LIMIT_BURST").cloned())?
            .set_override_option(
                "health.memory_threshold_mb",
                env.get("MEMORY_THRESHOLD_MB").cloned(),
            )?
            .set_override_option("server.host", overrides.host.clone())?
            .set_override_option("server.port", overrides.port.map(i64::from))?
            .set_override_option("database.url", overrides.database_url.clone())?
            .build()?;
        let mut settings: Self = config.try_deserialize()?;
        settings.environment = environment;
        Ok(settings)
    }
}

/// The configuration directory: `--config`, else `KANBAN_CONFIG_DIR`, else `./config`.
pub fn config_dir(flag: Option<PathBuf>, env: &HashMap<String, String>) -> PathBuf {
    flag.or_else(|| env.get("KANBAN_CONFIG_DIR").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from("config"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn load(dir: &Path, pairs: &[(&str, &str)], overrides: &Overrides) -> Settings {
        Settings::load(dir, &env(pairs), overrides).unwrap()
    }

    #[test]
    fn built_in_defaults_apply_without_any_file() {
        let empty = tempfile::tempdir().unwrap();
        let settings = load(empty.path(), &[], &Overrides::default());
        assert_eq!(settings.server.port, 18000);
        assert_eq!(settings.server.host, "127.0.0.1");
        assert_eq!(settings.database.url, "data/agent_kanban.db");
        assert_eq!(settings.auth.anonymous, AnonymousAccess::Off);
        assert_eq!(settings.auth.anonymous_role, Role::Pm);
        assert_eq!(settings.auth.default_role, Role::Viewer);
        assert_eq!(settings.auth.access_token_expire_minutes, 30);
        assert_eq!(settings.auth.refresh_token_expire_days, 7);
        assert_eq!(settings.auth.secret_key, None);
        assert!(settings.rate_limit.enabled);
        assert_eq!(
            (
                settings.rate_limit.requests_per_minute,
                settings.rate_limit.burst
            ),
            (100, 200)
        );
        assert_eq!(
            (
                settings.rate_limit.register_per_hour,
                settings.rate_limit.login_per_minute,
                settings.rate_limit.bulk_per_minute
            ),
            (5, 10, 10)
        );
        assert!(settings.cors.origins.is_empty());
        assert_eq!(
            settings.backup,
            BackupSection {
                interval_hours: 0,
                keep: 3,
                dir: PathBuf::from("data/backups"),
            },
            "scheduled backups are off"
        );
        assert_eq!(
            (settings.log.file.clone(), settings.log.keep_days),
            (None, 14)
        );
        let on = load(
            empty.path(),
            &[
                ("KANBAN__BACKUP__INTERVAL_HOURS", "24"),
                ("KANBAN__BACKUP__DIR", "/srv/b"),
                ("KANBAN__LOG__FILE", "/var/log/k.log"),
            ],
            &Overrides::default(),
        );
        assert_eq!(on.backup.interval_hours, 24);
        assert_eq!(on.backup.dir, PathBuf::from("/srv/b"));
        assert_eq!(on.log.file, Some(PathBuf::from("/var/log/k.log")));
        assert_eq!(settings.environment, "development");
        assert_eq!(
            settings.log.format,
            LogFormat::Pretty,
            "people run development"
        );
        let production = load(
            empty.path(),
            &[("KANBAN_ENV", "production")],
            &Overrides::default(),
        );
        assert_eq!(
            production.log.format,
            LogFormat::Json,
            "journald reads production"
        );
    }

    #[test]
    fn layers_apply_in_order() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("default.toml"),
            "[server]\nport = 1\nworkers = 3\n",
        )
        .unwrap();
        std::fs::write(dir.path().join("production.toml"), "[server]\nport = 2\n").unwrap();
        let dev = load(dir.path(), &[], &Overrides::default());
        assert_eq!((dev.server.port, dev.server.workers), (1, 3));
        let prod = load(
            dir.path(),
            &[("KANBAN_ENV", "production")],
            &Overrides::default(),
        );
        assert_eq!(prod.server.port, 2);
        let var = load(
            dir.path(),
            &[
                ("KANBAN_ENV", "production"),
                ("KANBAN__SERVER__PORT", "3"),
                ("KANBAN__LOG__FORMAT", "pretty"),
            ],
            &Overrides::default(),
        );
        assert_eq!(var.server.port, 3);
        assert_eq!(var.log.format, LogFormat::Pretty);
        let flag = load(
            dir.path(),
            &[("KANBAN__SERVER__PORT", "3")],
            &Overrides {
                port: Some(4),
                ..Overrides::default()
            },
        );
        assert_eq!(flag.server.port, 4);
    }

    #[test]
    fn database_url_from_plain_variable_then_flag() {
        let dir = tempfile::tempdir().unwrap();
        let plain = load(
            dir.path(),
            &[("DATABASE_URL", "sqlite:////var/lib/kanban.db")],
            &Overrides::default(),
        );
        assert_eq!(plain.database.url, "sqlite:////var/lib/kanban.db");
        let flag = load(
            dir.path(),
            &[("DATABASE_URL", "a.db")],
            &Overrides {
                database_url: Some("b.db".into()),
                ..Overrides::default()
            },
        );
        assert_eq!(flag.database.url, "b.db");
    }

    #[test]
    fn plain_variables_of_auth_limits_and_cors() {
        let dir = tempfile::tempdir().unwrap();
        let settings = load(
            dir.path(),
            &[
                ("SECRET_KEY", "k".repeat(40).as_str()),
                ("ACCESS_TOKEN_EXPIRE_MINUTES", "5"),
                ("REFRESH_TOKEN_EXPIRE_DAYS", "2"),
                ("RATE_LIMIT_REQUESTS_PER_MINUTE", "7"),
                ("RATE_LIMIT_BURST", "9"),
                ("MEMORY_THRESHOLD_MB", "64"),
                (
                    "CORS_ORIGINS",
                    r#"["https://a.example", "http://localhost:3000/"]"#,
                ),
                ("KANBAN__AUTH__ANONYMOUS", "write"),
                ("KANBAN__RATE_LIMIT__TRUSTED_PROXIES", "127.0.0.1, ::1"),
            ],
            &Overrides::default(),
        );
        let key = settings.auth.secret_key.clone().unwrap();
        assert_eq!(key.0.len(), 40);
        assert!(
            !format!("{settings:?}").contains("kkkk"),
            "the key is redacted"
        );
        assert_eq!(settings.auth.access_token_expire_minutes, 5);
        assert_eq!(settings.health.memory_threshold_mb, 64);
        assert_eq!(settings.auth.refresh_token_expire_days, 2);
        assert_eq!(
            (
                settings.rate_limit.requests_per_minute,
                settings.rate_limit.burst
            ),
            (7, 9)
        );
        assert_eq!(
            settings.cors.origins,
            ["https://a.example", "http://localhost:3000"]
        );
        assert_eq!(settings.auth.anonymous, AnonymousAccess::Write);
        assert_eq!(settings.rate_limit.trusted_proxies.len(), 2);
        let comma = load(
            dir.path(),
            &[("CORS_ORIGINS", "https://a.example,https://b.example")],
            &Overrides::default(),
        );
        assert_eq!(
            comma.cors.origins,
            ["https://a.example", "https://b.example"]
        );
        let empty = load(dir.path(), &[("CORS_ORIGINS", "")], &Overrides::default());
        assert!(empty.cors.origins.is_empty());
    }

    #[test]
    fn wildcard_origins_and_bad_lists_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        for bad in [
            ("CORS_ORIGINS", "*"),
            ("CORS_ORIGINS", r#"["https://a.example", "*"]"#),
            ("CORS_ORIGINS", "not an origin"),
            ("CORS_ORIGINS", "https://a.example/path"),
            ("KANBAN__RATE_LIMIT__TRUSTED_PROXIES", "proxy.local"),
            ("KANBAN__AUTH__ANONYMOUS", "sometimes"),
        ] {
            assert!(
                Settings::load(dir.path(), &env(&[bad]), &Overrides::default()).is_err(),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn unknown_environment_and_bad_values_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        assert!(
            Settings::load(
                dir.path(),
                &env(&[("KANBAN_ENV", "staging")]),
                &Overrides::default()
            )
            .is_err()
        );
        assert!(
            Settings::load(
                dir.path(),
                &env(&[("KANBAN__SERVER__PORT", "high")]),
                &Overrides::default()
            )
            .is_err()
        );
        assert!(
            Settings::load(
                dir.path(),
                &env(&[("KANBAN__AUTH__ANONYMOUS_ROLE", "root")]),
                &Overrides::default()
            )
            .is_err()
        );
    }
}
