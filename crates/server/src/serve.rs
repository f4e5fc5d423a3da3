//! Wiring: configuration → storage → services → HTTP server.

use crate::cli::{CommonArgs, ServeArgs};
use crate::settings::{Overrides, Settings, SettingsError, config_dir};
use crate::telemetry;
use kanban_api_actix::{
    ActorConfig, ApiConfig, ApiState, NoLiveEvents, ServerSettings, StartError,
};
use kanban_domain::SystemClock;
use kanban_domain::services::Services;
use kanban_storage_diesel::{SqliteStore, StorageError, StoreOptions};
use std::collections::HashMap;
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

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
    #[error("server: {0}")]
    Io(#[from] std::io::Error),
}

fn load(
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
fn open_store(settings: &Settings) -> Result<SqliteStore, RunError> {
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
    let store = open_store(&settings)?;
    let services = Services::new(store.repositories(), Arc::new(SystemClock));
    let api = ApiConfig {
        body_limit: settings.http.body_limit_bytes,
        actor: ActorConfig {
            default_name: settings.actor.default_name.clone(),
            role: settings.actor.role,
        },
        ..ApiConfig::default()
    };
    let state = ApiState::new(services, Arc::new(NoLiveEvents), api);
    let address = format!("{}:{}", settings.server.host, settings.server.port);
    let listener = TcpListener::bind(&address).map_err(|source| RunError::Bind {
        address: address.clone(),
        source,
    })?;
    let server_settings = ServerSettings {
        workers: settings.server.workers,
        shutdown_timeout: Duration::from_secs(settings.server.shutdown_timeout_secs),
        // actix stops abruptly on SIGINT; both signals must finish in-flight requests.
        handle_signals: false,
    };
    actix_web::rt::System::new().block_on(async move {
        let server = kanban_api_actix::start(state, listener, &server_settings)?;
        let handle = server.handle();
        actix_web::rt::spawn(async move {
            let signal = stop_signal().await;
            tracing::info!(%signal, "stopping: finishing in-flight requests");
            handle.stop(true).await;
        });
        tracing::info!(%address, "serving");
        server.await?;
        Ok::<(), RunError>(())
    })?;
    tracing::info!("stopped; checkpointing the write-ahead log");
    store.checkpoint()?;
    Ok(())
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
