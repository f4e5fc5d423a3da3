//! The HTTP API of Agent Kanban: the actix-web route table of the contract, the extractors that
//! validate every request, the mapping of domain errors to the contract's error envelope, and
//! the server start-up shared by the binary and the end-to-end tests.
//!
//! Depends on the domain only through its services and ports; it knows nothing of storage.
//! Configuration files and environment variables are read by the server crate, which passes
//! plain structs in.

pub mod auth;
pub mod cors;
pub mod drag_drop;
pub mod dto;
pub mod error;
pub mod extract;
pub mod live;
pub mod memory;
pub mod metrics;
pub mod middleware;
pub mod openapi;
pub mod page_cache;
mod pinning;
pub mod relay;
pub mod routes;
pub mod shared_probe;
pub mod state;

pub use auth::{
    AnonymousAccess, AuthConfig, RateLimitConfig, SigningKey, authenticate_query,
    authenticate_token,
};
pub use cors::CorsConfig;
pub use error::ApiError;
pub use state::{ApiConfig, ApiState};

use actix_web::body::MessageBody;
use actix_web::dev::{Server, ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::{App, HttpServer, web};
use kanban_domain::DomainError;
use std::net::TcpListener;
use std::time::Duration;

/// The application: every route of the contract with its middleware. The binary and the tests
/// both serve exactly this.
pub fn build_app(
    state: ApiState,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let limiters = state.limiters.clone();
    let cors = cors::CrossOrigin::new(&state.config.cors);
    let frame = middleware::RequestFrame::counted_in(state.metrics.clone());
    App::new()
        .app_data(web::Data::new(state))
        .app_data(extract::path_config())
        .configure(|cfg| routes::configure(cfg, &limiters))
        .default_service(web::to(not_found))
        .wrap(limiters.default_limit())
        .wrap(cors)
        .wrap(frame)
}

async fn not_found() -> Result<actix_web::HttpResponse, ApiError> {
    Err(ApiError::not_found("Resource"))
}

/// How the HTTP server runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerSettings {
    /// Worker threads; 0 means one per core.
    pub workers: usize,
    /// Threads of each worker's blocking pool, which runs the read use cases that are not run
    /// on the worker itself (`ApiState::read`) and password hashing; 0 means actix's default
    /// (512 shared by the workers). Each such read holds a pooled database connection, so more
    /// threads than connections only queue for one: under a mixed load, 256 connections kept
    /// some 40 threads busy taking turns on 2 cores.
    pub blocking_threads: usize,
    /// How long a graceful stop waits for in-flight requests.
    pub shutdown_timeout: Duration,
    /// Whether SIGINT/SIGTERM stop the server gracefully (off in tests, which run many servers).
    pub handle_signals: bool,
    /// Whether each worker thread is pinned to a core of its own (see `pinning`): only when
    /// there are at least two cores and no more workers than cores. Off by default here (tests
    /// run many servers in one process); the binary's `server.pin_workers` turns it on.
    pub pin_workers: bool,
}

impl Default for ServerSettings {
    fn default() -> Self {
        Self {
            workers: 0,
            blocking_threads: 0,
            shutdown_timeout: Duration::from_secs(30),
            handle_signals: true,
            pin_workers: false,
        }
    }
}

/// Prepares the data (the first board on an empty database) and starts serving on `listener`.
/// The returned server runs when awaited or spawned.
///
/// # Errors
/// When the first board cannot be created or the listener cannot be used.
pub fn start(
    state: ApiState,
    listener: TcpListener,
    settings: &ServerSettings,
) -> Result<Server, StartError> {
    if let Some(committed) = state.services.boards.ensure_first_board()? {
        tracing::info!(board_id = %committed.value.board.id, "created the first board");
        state.live.publish(committed.events);
    }
    let memory = state.memory.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(memory::SAMPLE_EVERY);
        loop {
            tick.tick().await;
            memory.sample();
        }
    });
    let hub = state.live.clone();
    tokio::spawn(async move {
        // Events held back for a missing predecessor wait at most `gap_timeout`.
        let mut tick =
            tokio::time::interval(hub.config().gap_timeout.max(Duration::from_millis(100)));
        loop {
            tick.tick().await;
            hub.release_stale();
        }
    });
    let pruned = state.services.auth.prune()?;
    if pruned > 0 {
        tracing::info!(
            rows = pruned,
            "forgot expired refresh tokens and revoked token ids"
        );
    }
    let cores = settings
        .pin_workers
        .then(|| pinning::WorkerCores::for_workers(settings.workers))
        .flatten()
        .map(std::sync::Arc::new);
    if let Some(cores) = &cores {
        tracing::info!(cores = ?cores.ids(), "each HTTP worker pinned to a core of its own");
    }
    // Actix builds each worker's app on that worker's thread, as it starts.
    let mut server = HttpServer::new(move || {
        if let Some(cores) = &cores {
            cores.pin_this_thread();
        }
        build_app(state.clone())
    })
    .shutdown_timeout(settings.shutdown_timeout.as_secs())
    .listen(listener)?;
    if settings.workers > 0 {
        server = server.workers(settings.workers);
    }
    if settings.blocking_threads > 0 {
        server = server.worker_max_blocking_threads(settings.blocking_threads);
    }
    if !settings.handle_signals {
        server = server.disable_signals();
    }
    Ok(server.run())
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("could not prepare the database: {0}")]
    Data(#[from] DomainError),
    #[error("could not listen: {0}")]
    Io(#[from] std::io::Error),
}
