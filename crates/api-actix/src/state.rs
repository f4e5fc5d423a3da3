//! What every handler shares: the use-case services, the live-event hub and the API settings.
//! Built once outside `HttpServer::new` and cloned into each worker.

use crate::auth::{AuthConfig, RateLimitConfig, RateLimiters, TokenKeys, VerifiedTokens};
use crate::cors::CorsConfig;
use crate::drag_drop::MoveMetrics;
use crate::error::ApiError;
use crate::live::{LiveConfig, LiveHub};
use crate::metrics::{Metrics, MetricsError};
use crate::relay::Relay;
use kanban_domain::ports::{Committed, QueuedUseCase, WriteQueue};
use kanban_domain::services::Services;
use kanban_domain::{DomainError, StoreError};
use std::sync::Arc;

/// Settings of the HTTP layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiConfig {
    /// Largest accepted request body, in bytes.
    pub body_limit: usize,
    pub auth: AuthConfig,
    pub rate_limit: RateLimitConfig,
    pub cors: CorsConfig,
    /// Reported by `GET /` and `GET /api/status`.
    pub version: String,
    /// The deployment's name (`KANBAN_ENV`), reported by `GET /api/health/`.
    pub environment: String,
    /// Resident memory above which `GET /health/memory` and `/health/detailed` report an issue.
    pub memory_threshold_mb: u32,
}

impl Default for ApiConfig {
    fn default() -> Self {
        Self {
            body_limit: 1024 * 1024,
            auth: AuthConfig::default(),
            rate_limit: RateLimitConfig::default(),
            cors: CorsConfig::default(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
            environment: "development".to_owned(),
            memory_threshold_mb: 150,
        }
    }
}

/// The state of the HTTP layer.
#[derive(Clone)]
pub struct ApiState {
    pub services: Services,
    /// The same use cases over storage that the HTTP worker threads may read from directly
    /// (see [`ApiState::read_here`]); by default, `services` themselves.
    pub worker_services: Arc<Services>,
    /// Where committed events go to reach WebSocket subscribers.
    pub live: Arc<LiveHub>,
    pub config: Arc<ApiConfig>,
    /// Signs and verifies access tokens.
    pub keys: Arc<TokenKeys>,
    /// The rate limiters' shared state.
    pub limiters: RateLimiters,
    /// Tokens verified a moment ago (see `auth::verified`).
    pub verified: Arc<VerifiedTokens>,
    /// When the state was built: the server's start, for uptime.
    pub started: std::time::Instant,
    /// The resident-memory samples of `GET /health/memory`.
    pub memory: Arc<crate::memory::MemoryHistory>,
    /// What `GET /metrics` reports.
    pub metrics: Arc<Metrics>,
    /// Counts and durations of ticket moves since start-up (the drag-drop metrics).
    pub moves: Arc<MoveMetrics>,
    /// Encoded pages of `GET /api/tickets`, kept until their board changes.
    pub pages: Arc<crate::page_cache::PageCache>,
    /// Tickets' JSON by version, which pages computed afresh reuse.
    pub ticket_bodies: Arc<crate::page_cache::TicketBodies>,
    /// The health probe running now, shared by the checks that arrive meanwhile.
    pub probe: Arc<crate::shared_probe::SharedProbe>,
    /// Where write use cases run when the store runs them itself (see
    /// [`ApiState::with_write_queue`]); on the blocking pool otherwise.
    queued: Option<QueuedWrites>,
}

/// A store's queue of write use cases, and the use cases over its view for that queue.
#[derive(Clone)]
struct QueuedWrites {
    queue: Arc<dyn WriteQueue>,
    services: Arc<Services>,
}

/// A write use case on its way through a [`WriteQueue`], and the way back to its request.
struct QueuedJob<F, T, E> {
    use_case: F,
    services: Arc<Services>,
    outcome: Option<Result<Committed<T>, E>>,
    reply: tokio::sync::oneshot::Sender<Result<Committed<T>, ApiError>>,
    /// The relay of the request's worker thread, which delivers the answer there.
    relay: Option<Relay>,
}

impl<F, T, E> QueuedUseCase for QueuedJob<F, T, E>
where
    F: FnMut(&Services) -> Result<Committed<T>, E> + Send,
    T: Send + 'static,
    E: Into<ApiError> + Send,
{
    fn run(&mut self) -> bool {
        let outcome = (self.use_case)(&self.services);
        let succeeded = outcome.is_ok();
        self.outcome = Some(outcome);
        succeeded
    }

    fn answer(self: Box<Self>, closed: Result<(), StoreError>) {
        let answer = match (self.outcome, closed) {
            (Some(Err(error)), _) => Err(error.into()),
            (Some(Ok(committed)), Ok(())) => Ok(committed),
            (_, Err(error)) => Err(DomainError::from(error).into()),
            (None, Ok(())) => Err(ApiError::internal("the write use case was not run")),
        };
        let reply = self.reply;
        Relay::deliver_by(
            self.relay.as_ref(),
            Box::new(move || {
                // A request that is gone (its client disconnected) needs no answer.
                let _ = reply.send(answer);
            }),
        );
    }
}

impl std::fmt::Debug for ApiState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiState")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl ApiState {
    /// # Errors
    /// When the metrics cannot be registered (a bug).
    pub fn new(
        services: Services,
        live: Arc<LiveHub>,
        config: ApiConfig,
    ) -> Result<Self, MetricsError> {
        let auth = &config.auth;
        let keys = Arc::new(TokenKeys::new(
            &auth.signing_key,
            &auth.issuer,
            auth.access_token_ttl,
        ));
        let limiters = RateLimiters::new(&config.rate_limit, keys.clone(), services.clock.clone());
        Ok(Self {
            worker_services: Arc::new(services.clone()),
            services,
            live,
            config: Arc::new(config),
            keys,
            limiters,
            verified: Arc::new(VerifiedTokens::default()),
            started: std::time::Instant::now(),
            memory: Arc::new(crate::memory::MemoryHistory::default()),
            moves: Arc::new(MoveMetrics::default()),
            pages: Arc::new(crate::page_cache::PageCache::default()),
            ticket_bodies: Arc::new(crate::page_cache::TicketBodies::default()),
            probe: Arc::new(crate::shared_probe::SharedProbe::default()),
            metrics: Arc::new(Metrics::new()?),
            queued: None,
        })
    }

    /// The state over `services`, with a live hub that continues each board's event sequence
    /// where the event log left it.
    ///
    /// # Errors
    /// When the event log cannot be read, or the metrics cannot be registered (a bug).
    pub fn build(
        services: Services,
        live: LiveConfig,
        config: ApiConfig,
    ) -> Result<Self, DomainError> {
        let last_seqs = services.repositories.events.last_seqs()?;
        Self::new(services, Arc::new(LiveHub::new(live, last_seqs)), config)
            .map_err(|e| DomainError::Internal(Box::new(e)))
    }

    /// Uses `services` for the reads worker threads run themselves ([`ApiState::read_here`]):
    /// for SQLite, over the store's `SqliteStore::for_worker_threads` view, with one connection
    /// per worker thread.
    #[must_use]
    pub fn with_worker_services(mut self, services: Services) -> Self {
        self.worker_services = Arc::new(services);
        self
    }

    /// Runs write use cases in `queue` (for SQLite, on the store's writer thread), over
    /// `services`, which must be the use cases over the store's view for that queue (for SQLite,
    /// `SqliteStore::for_writer_thread`). A request then waits for its write without holding a
    /// thread of the blocking pool, and the write's reads see the writes committed with it.
    #[must_use]
    pub fn with_write_queue(mut self, queue: Arc<dyn WriteQueue>, services: Services) -> Self {
        self.queued = Some(QueuedWrites {
            queue,
            services: Arc::new(services),
        });
        self
    }

    /// Runs a short read use case (a ticket by id) right here on the worker thread, without
    /// the hop to the blocking pool that [`ApiState::read`] takes: that hop (a thread wake-up
    /// there and back) cost more than such a read itself, about 30 % of the requests a second of
    /// single-ticket reads. Only for reads of a bounded cost, a few primary-key lookups, whatever
    /// the size of the database: the worker's other connections wait while it runs. A panic of
    /// the use case (a bug) is a 500.
    ///
    /// # Errors
    /// The use case's own errors, as API errors.
    pub fn read_here<T, E>(
        &self,
        use_case: impl FnOnce(&Services) -> Result<T, E>,
    ) -> Result<T, ApiError>
    where
        E: Into<ApiError>,
    {
        let services = &*self.worker_services;
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| use_case(services))) {
            Ok(outcome) => outcome.map_err(Into::into),
            Err(_) => Err(ApiError::internal("read use case panicked")),
        }
    }

    /// Runs a read use case on the blocking pool: one hop per request, not one per query. Its
    /// answer comes back through the worker's [`Relay`].
    pub async fn read<T, E>(
        &self,
        use_case: impl FnOnce(&Services) -> Result<T, E> + Send + 'static,
    ) -> Result<T, ApiError>
    where
        T: Send + 'static,
        E: Into<ApiError> + Send + 'static,
    {
        let services = self.services.clone();
        let relay = Relay::here();
        let (reply, answer) = tokio::sync::oneshot::channel();
        actix_web::rt::task::spawn_blocking(move || {
            let outcome =
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| use_case(&services)));
            Relay::deliver_by(
                relay.as_ref(),
                Box::new(move || {
                    // A request that is gone (its client disconnected) needs no answer.
                    let _ = reply.send(outcome);
                }),
            );
        });
        match answer.await {
            Ok(Ok(outcome)) => outcome.map_err(Into::into),
            Ok(Err(_)) => Err(ApiError::internal("use case did not complete: it panicked")),
            // Dropped unanswered: the blocking pool is gone (the server is stopping).
            Err(_) => Err(ApiError::internal(
                "use case did not complete: the blocking pool is gone",
            )),
        }
    }

    /// Runs a write use case (in the store's write queue when it has one, on the blocking pool
    /// otherwise) and, once it has committed, publishes its events. Write use cases are short:
    /// in the queue, every other write waits while one runs.
    pub async fn write<T, E>(
        &self,
        use_case: impl FnMut(&Services) -> Result<Committed<T>, E> + Send + 'static,
    ) -> Result<T, ApiError>
    where
        T: Send + 'static,
        E: Into<ApiError> + Send + 'static,
    {
        let committed = match &self.queued {
            Some(queued) => {
                let (reply, answer) = tokio::sync::oneshot::channel();
                let job = QueuedJob {
                    use_case,
                    services: queued.services.clone(),
                    outcome: None,
                    reply,
                    relay: Relay::here(),
                };
                queued
                    .queue
                    .queue(Box::new(job))
                    .map_err(|e| ApiError::from(DomainError::from(e)))?;
                // Dropped unanswered only when the store stopped running writes.
                answer
                    .await
                    .map_err(|_| ApiError::internal("the store stopped before the write ran"))??
            }
            None => self.read(use_case).await?,
        };
        if !committed.events.is_empty() {
            self.metrics.count_events(&committed.events);
            self.live.publish(committed.events);
        }
        Ok(committed.value)
    }
}
