//! What every handler shares: the use-case services, the live-event hub and the API settings.
//! Built once outside `HttpServer::new` and cloned into each worker.

use crate::error::ApiError;
use crate::live::{LiveConfig, LiveHub};
use kanban_domain::DomainError;
use kanban_domain::Role;
use kanban_domain::ports::Committed;
use kanban_domain::services::Services;
use std::sync::Arc;

/// Who a request acts as until authentication lands (see `extract::actor`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActorConfig {
    /// The name used when a request does not name itself in `X-Actor`.
    pub default_name: String,
    /// The role every request acts with.
    pub role: Role,
}

impl Default for ActorConfig {
    fn default() -> Self {
        Self {
            default_name: "anonymous".to_owned(),
            role: Role::Pm,
        }
    }
}

/// Settings of the HTTP layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiConfig {
    /// Largest accepted request body, in bytes.
    pub body_limit: usize,
    pub actor: ActorConfig,
    /// Reported by `GET /` and `GET /api/status`.
    pub version: String,
}

impl Default for ApiConfig {
    fn default() -> Self {
        Self {
            body_limit: 1024 * 1024,
            actor: ActorConfig::default(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
        }
    }
}

/// The state of the HTTP layer.
#[derive(Clone)]
pub struct ApiState {
    pub services: Services,
    /// Where committed events go to reach WebSocket subscribers.
    pub live: Arc<LiveHub>,
    pub config: Arc<ApiConfig>,
}

impl std::fmt::Debug for ApiState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiState")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl ApiState {
    pub fn new(services: Services, live: Arc<LiveHub>, config: ApiConfig) -> Self {
        Self {
            services,
            live,
            config: Arc::new(config),
        }
    }

    /// The state over `services`, with a live hub that continues each board's event sequence
    /// where the event log left it.
    ///
    /// # Errors
    /// When the event log cannot be read.
    pub fn build(
        services: Services,
        live: LiveConfig,
        config: ApiConfig,
    ) -> Result<Self, DomainError> {
        let last_seqs = services.repositories.events.last_seqs()?;
        Ok(Self::new(
            services,
            Arc::new(LiveHub::new(live, last_seqs)),
            config,
        ))
    }

    /// Runs a read use case on the blocking pool: one hop per request, not one per query.
    pub async fn read<T, E>(
        &self,
        use_case: impl FnOnce(&Services) -> Result<T, E> + Send + 'static,
    ) -> Result<T, ApiError>
    where
        T: Send + 'static,
        E: Into<ApiError> + Send + 'static,
    {
        let services = self.services.clone();
        match actix_web::web::block(move || use_case(&services)).await {
            Ok(outcome) => outcome.map_err(Into::into),
            // The use case panicked (a bug) or the blocking pool is gone (shutting down).
            Err(error) => Err(ApiError::internal(format!(
                "use case did not complete: {error}"
            ))),
        }
    }

    /// Runs a write use case on the blocking pool and, once it has committed, publishes its
    /// events.
    pub async fn write<T, E>(
        &self,
        use_case: impl FnOnce(&Services) -> Result<Committed<T>, E> + Send + 'static,
    ) -> Result<T, ApiError>
    where
        T: Send + 'static,
        E: Into<ApiError> + Send + 'static,
    {
        let committed = self.read(use_case).await?;
        if !committed.events.is_empty() {
            self.live.publish(&committed.events);
        }
        Ok(committed.value)
    }
}
