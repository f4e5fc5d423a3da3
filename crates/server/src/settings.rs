//! Layered configuration: built-in defaults (`config/default.toml`, compiled in), then
//! `<dir>/default.toml` and `<dir>/<KANBAN_ENV>.toml`, then `KANBAN__SECTION__KEY` variables,
//! then the plain variables operators already use (`DATABASE_URL`), then command-line flags.
//! The environment is passed in as a map so tests never mutate the process environment.

use config::{Config, Environment, File, FileFormat};
use kanban_api_actix::live::LiveConfig;
use kanban_domain::Role;
use serde::Deserialize;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

const BUILT_IN_DEFAULTS: &str = include_str!("../../../config/default.toml");

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct Settings {
    pub server: ServerSection,
    pub database: DatabaseSection,
    pub http: HttpSection,
    pub log: LogSection,
    pub actor: ActorSection,
    pub live: LiveSection,
    pub events: EventsSection,
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
}

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct ActorSection {
    pub default_name: String,
    pub role: Role,
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
            .set_override_option("server.host", overrides.host.clone())?
            .set_override_option("server.port", overrides.port.map(i64::from))?
            .set_override_option("database.url", overrides.database_url.clone())?
            .build()?;
        Ok(config.try_deserialize()?)
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
        assert_eq!(settings.actor.role, Role::Pm);
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
                &env(&[("KANBAN__ACTOR__ROLE", "root")]),
                &Overrides::default()
            )
            .is_err()
        );
    }
}
