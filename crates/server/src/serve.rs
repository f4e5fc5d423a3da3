//! Wiring: configuration → storage → services → HTTP server.

use crate::cli::{CommonArgs, ServeArgs};
use crate::secret::{SecretError, signing_key};
use crate::settings::{EventsSection, Overrides, Settings, SettingsError, config_dir};
use crate::telemetry;
use kanban_api_actix::auth::crypto::{Argon2Hasher, RandomSecrets};
use kanban_api_actix::{
    ApiConfig, ApiState, AuthConfig, CorsConfig, RateLimitConfig, ServerSettings, StartError,
};
use kanban_domain::SystemClock;
use kanban_domain::ports::{Crypto, CryptoError, EventLog};
use kanban_domain::services::{AccountPolicy, Services};
use kanban_storage_diesel::{SqliteStore, StorageError, StoreOptions};
use std::collections::HashMap;
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

/// How many connections the kernel completes and queues for the server before it accepts them.
/// A listener bound by the standard library gets 128: when hundreds of agents connect at once
/// (a fleet starting, or reconnecting after a restart), the connections past that were dropped
/// and retried by their clients a second later (seen as 1 s latencies at 256 connections). The
/// kernel caps it at `net.core.somaxconn` (4,096 by default since Linux 5.4).
const LISTEN_BACKLOG: i32 = 1024;

/// Binds `address` (`host:port`) and listens with a queue of [`LISTEN_BACKLOG`] connections.
fn listen_on(address: &str) -> std::io::Result<TcpListener> {
    let listener = TcpListener::bind(address)?;
    // Listening again on a listening socket sets its queue's length.
    socket2::SockRef::from(&listener).listen(LISTEN_BACKLOG)?;
    Ok(listener)
}

/// Why a command failed.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Settings(#[from] SettingsError),
    #[error("database: {0}")]
    Storage(#[from] StorageError),
    #[error("cannot listen on {address}: {source}")]
    Bind {
        address: String,
        source: std::io::Error,
    },
    #[error(transparent)]
    Start(#[from] StartError),
    #[error(transparent)]
    Secret(#[from] SecretError),
    #[error("{0}")]
    Crypto(#[from] CryptoError),
    #[error(transparent)]
    Domain(#[from] kanban_domain::DomainError),
    #[error("{0}")]
    Usage(String),
    #[error("server: {0}")]
    Io(#[from] std::io::Error),
    #[error("backup: {0}")]
    Backup(#[from] crate::backup::BackupError),
    #[error(transparent)]
    Restore(#[from] crate::restore::RestoreError),
    #[error("{0}")]
    Lock(#[from] kanban_storage_diesel::LockError),
    #[error("the check found {0} problem(s)")]
    Problems(usize),
}

pub(crate) fn load(
    common: &CommonArgs,
    overrides: Overrides,
    env: &HashMap<String, String>,
) -> Result<Settings, RunError> {
    let dir = config_dir(common.config_dir.clone(), env);
    let overrides = Overrides {
        database_url: common.database_url.clone(),
        ..overrides
    };
    let settings = Settings::load(&dir, env, &overrides)?;
    telemetry::init(&settings.log, env.get("RUST_LOG").map(String::as_str));
    Ok(settings)
}

/// Opens the database and applies pending migrations.
pub(crate) fn open_store(settings: &Settings) -> Result<SqliteStore, RunError> {
    let store = SqliteStore::connect_with(
        &settings.database.url,
        StoreOptions {
            pool_size: settings.database.pool_size,
            busy_timeout: Duration::from_millis(settings.database.busy_timeout_ms),
            ..StoreOptions::default()
        },
    )?;
    let applied = store.run_migrations()?;
    tracing::info!(database = %settings.database.url, migrations_applied = applied, "database ready");
    Ok(store)
}

/// `agent-kanban migrate`.
pub fn migrate(args: &CommonArgs, env: &HashMap<String, String>) -> Result<(), RunError> {
    let settings = load(args, Overrides::default(), env)?;
    open_store(&settings)?;
    Ok(())
}

/// `agent-kanban serve`: serves until SIGINT/SIGTERM, then checkpoints the WAL.
pub fn serve(args: &ServeArgs, env: &HashMap<String, String>) -> Result<(), RunError> {
    let overrides = Overrides {
        host: args.host.clone(),
        port: args.port,
        database_url: None,
    };
    let settings = load(&args.common, overrides, env)?;
    let signing_key = signing_key(&settings)?;
    // Held shared while serving: `agent-kanban restore` needs it alone, so it refuses to run.
    let _lock = kanban_storage_diesel::DatabaseLock::shared(&settings.database.url)?;
    let store = open_store(&settings)?;
    let workers = worker_threads(settings.server.workers);
    let (crypto, policy) = use_case_parts(&settings)?;
    let clock: Arc<SystemClock> = Arc::new(SystemClock);
    let services = Services::new(store.repositories(), crypto.clone(), policy, clock.clone());
    // Short reads run on the worker threads themselves, each with a connection of its own.
    let worker_store = store.for_worker_threads(u32::try_from(workers).unwrap_or(u32::MAX))?;
    let worker_services = Services::new(
        worker_store.repositories(),
        crypto.clone(),
        policy,
        clock.clone(),
    );
    // Write use cases run whole on the writer thread, between the writes committed with them.
    let writer_services = Services::new(
        store.for_writer_thread().repositories(),
        crypto,
        policy,
        clock,
    );
    let api = ApiConfig {
        body_limit: settings.http.body_limit_bytes,
        memory_threshold_mb: settings.health.memory_threshold_mb,
        auth: AuthConfig {
            signing_key,
            issuer: settings.auth.issuer.clone(),
            access_token_ttl: chrono::Duration::minutes(
                settings.auth.access_token_expire_minutes.max(1).into(),
            ),
            anonymous: settings.auth.anonymous,
            anonymous_role: settings.auth.anonymous_role,
            secure_cookies: settings.auth.secure_cookies,
        },
        rate_limit: RateLimitConfig {
            enabled: settings.rate_limit.enabled,
            requests_per_minute: settings.rate_limit.requests_per_minute,
            burst: settings.rate_limit.burst,
            register_per_hour: settings.rate_limit.register_per_hour,
            login_per_minute: settings.rate_limit.login_per_minute,
            bulk_per_minute: settings.rate_limit.bulk_per_minute,
            trusted_proxies: settings.rate_limit.trusted_proxies.clone(),
        },
        cors: CorsConfig {
            origins: settings.cors.origins.clone(),
        },
        environment: settings.environment.clone(),
        ..ApiConfig::default()
    };
    tracing::info!(
        anonymous = ?api.auth.anonymous,
        rate_limits = api.rate_limit.enabled,
        cors_origins = api.cors.origins.len(),
        "access control"
    );
    let state = ApiState::build(services, settings.live.to_config(), api)?
        .with_worker_services(worker_services)
        .with_write_queue(Arc::new(store.clone()), writer_services);
    let hub = state.live.clone();
    let event_log = state.services.repositories.events.clone();
    let retention = settings.events.clone();
    let backups = (store.clone(), settings.backup.clone());
    let address = format!("{}:{}", settings.server.host, settings.server.port);
    let listener = listen_on(&address).map_err(|source| RunError::Bind {
        address: address.clone(),
        source,
    })?;
    let server_settings = ServerSettings {
        workers,
        blocking_threads: blocking_threads(settings.database.pool_size, workers),
        shutdown_timeout: Duration::from_secs(settings.server.shutdown_timeout_secs),
        // actix stops abruptly on SIGINT; both signals must finish in-flight requests.
        handle_signals: false,
        pin_workers: settings.server.pin_workers,
    };
    actix_web::rt::System::new().block_on(async move {
        let server = kanban_api_actix::start(state, listener, &server_settings)?;
        let handle = server.handle();
        actix_web::rt::spawn(async move {
            let signal = stop_signal().await;
            tracing::info!(%signal, "stopping: finishing in-flight requests");
            // WebSocket sessions never finish by themselves: close them (1001) first.
            hub.shut_down();
            handle.stop(true).await;
        });
        actix_web::rt::spawn(prune_events(event_log, retention));
        if backups.1.interval_hours > 0 {
            let (store, section) = backups;
            tracing::info!(
                interval_hours = section.interval_hours,
                dir = %section.dir.display(),
                keep = section.keep,
                "scheduled backups on"
            );
            let period = Duration::from_secs(section.interval_hours.saturating_mul(3600));
            actix_web::rt::spawn(crate::backup::every(
                period,
                store,
                section.dir,
                section.keep,
            ));
        }
        tracing::info!(%address, "serving");
        server.await?;
        Ok::<(), RunError>(())
    })?;
    tracing::info!("stopped; checkpointing the write-ahead log");
    store.checkpoint()?;
    Ok(())
}

/// Removes events older than the retention period, at start and then periodically. Clients that
/// resume from an older `since` are told to reload (`resync_required`).
async fn prune_events(log: Arc<dyn EventLog>, settings: EventsSection) {
    let mut tick = tokio::time::interval(Duration::from_secs(
        settings.prune_interval_minutes.max(1) * 60,
    ));
    loop {
        tick.tick().await;
        let cutoff =
            chrono::Utc::now() - chrono::Duration::days(i64::from(settings.retention_days));
        let log = log.clone();
        match actix_web::web::block(move || log.prune(cutoff)).await {
            Ok(Ok(removed)) => tracing::info!(
                removed,
                retention_days = settings.retention_days,
                "pruned the event log"
            ),
            Ok(Err(error)) => tracing::warn!(%error, "could not prune the event log"),
            Err(error) => tracing::warn!(%error, "could not prune the event log"),
        }
    }
}

/// The use cases over `store`, with argon2id, OS randomness and the configured account policy.
pub(crate) fn services(store: &SqliteStore, settings: &Settings) -> Result<Services, RunError> {
    let (crypto, policy) = use_case_parts(settings)?;
    Ok(Services::new(
        store.repositories(),
        crypto,
        policy,
        Arc::new(SystemClock),
    ))
}

/// What the use cases need besides storage: argon2id, OS randomness and the configured account
/// policy.
fn use_case_parts(settings: &Settings) -> Result<(Crypto, AccountPolicy), RunError> {
    let hasher = Argon2Hasher::owasp()?;
    // The dummy hash for unknown users' logins, now rather than at the first such login.
    hasher.warm_up();
    let crypto = Crypto {
        passwords: Arc::new(hasher),
        secrets: Arc::new(RandomSecrets),
    };
    let days = |n: u32| chrono::Duration::days(n.max(1).into());
    let policy = AccountPolicy {
        default_role: settings.auth.default_role,
        refresh_token_ttl: days(settings.auth.refresh_token_expire_days),
        session_ttl: days(settings.auth.session_expire_days),
    };
    Ok((crypto, policy))
}

/// The HTTP worker threads: as configured, or actix's default (one per available core).
fn worker_threads(configured: usize) -> usize {
    if configured > 0 {
        configured
    } else {
        std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get)
    }
}

/// Threads of each worker's blocking pool: the pooled connections shared out among the workers
/// (at least one each), since every read there holds one.
fn blocking_threads(pool_size: u32, workers: usize) -> usize {
    (usize::try_from(pool_size).unwrap_or(usize::MAX) / workers.max(1)).max(1)
}

/// Waits for SIGINT or SIGTERM and names it.
async fn stop_signal() -> &'static str {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut interrupt), Ok(mut terminate)) = (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
    ) else {
        tracing::warn!("cannot listen for stop signals; stop the server with SIGKILL");
        return std::future::pending().await;
    };
    tokio::select! {
        _ = interrupt.recv() => "SIGINT",
        _ = terminate.recv() => "SIGTERM",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpStream;

    /// Hundreds of clients connecting at once, before the server accepts any, are all queued:
    /// none waits for its connection attempt to be retried.
    #[test]
    fn hundreds_of_connections_at_once_are_queued_not_dropped() {
        let listener = listen_on("127.0.0.1:0").expect("listening");
        let address = listener.local_addr().expect("its address");
        let connected: Vec<TcpStream> = (0..300)
            .map(|n| {
                TcpStream::connect_timeout(&address, Duration::from_secs(3))
                    .unwrap_or_else(|error| panic!("connection {n} was not queued: {error}"))
            })
            .collect();
        assert_eq!(connected.len(), 300);
    }
}
