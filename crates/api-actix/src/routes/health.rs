//! Health and status (contract §9): public routes for load balancers, monitors and clients.

use super::table::Routes;
use crate::error::error_object;
use crate::state::ApiState;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use futures_util::FutureExt;
use kanban_domain::ports::StorageHealth;
use kanban_domain::time::format_timestamp;
use serde_json::json;
use std::time::{Duration, Instant};

/// A database that takes longer than this to answer a health check is reported as an issue.
const SLOW_DATABASE: Duration = Duration::from_millis(250);
/// How long a health check waits for the database before calling it down.
const PATIENCE: Duration = Duration::from_secs(3);

pub(super) fn configure(routes: &mut Routes<'_>) {
    routes.resource("/health", |r| r.get(health));
    routes.resource("/health/detailed", |r| r.get(detailed));
    routes.resource("/health/memory", |r| r.get(memory));
    routes.resource("/api/health/simple", |r| r.get(simple));
    routes.resource("/api/status", |r| r.get(status));
}

/// One round trip to storage (shared with the checks running at the same time, see
/// `shared_probe`): its answer, or why not, and how long this check waited for it. Also used by
/// the statistics health route.
pub(super) async fn probe(state: &ApiState) -> (Result<StorageHealth, String>, Duration) {
    let started = Instant::now();
    let result = state
        .probe
        .join_or_start(|| {
            let health = state.services.repositories.health.clone();
            async move {
                match tokio::time::timeout(PATIENCE, web::block(move || health.probe())).await {
                    Ok(Ok(Ok(health))) => Ok(health),
                    Ok(Ok(Err(error))) => Err(error.to_string()),
                    Ok(Err(error)) => Err(error.to_string()),
                    Err(_) => Err(format!("no answer within {} s", PATIENCE.as_secs())),
                }
            }
            .boxed()
        })
        .await;
    (result, started.elapsed())
}

fn cors(state: &ApiState) -> &'static str {
    if state.config.cors.origins.is_empty() {
        "disabled"
    } else {
        "enabled"
    }
}

/// `GET /health`: 200 when the database answers, else 503 with `status: "unhealthy"` (and the
/// error envelope, as for every failed request).
#[utoipa::path(
    get,
    path = "/health",
    operation_id = "health",
    tag = "service",
    responses(
        (status = 200, description = "The database answers", body = crate::openapi::health::Health),
        (status = 503, description = "The database does not answer", body = crate::openapi::health::Unhealthy),
    ),
)]
async fn health(state: web::Data<ApiState>) -> HttpResponse {
    let (result, _) = probe(&state).await;
    match result {
        Ok(_) => HttpResponse::Ok().json(json!({
            "status": "healthy", "websocket": "available", "cors": cors(&state),
        })),
        Err(cause) => {
            let status = StatusCode::SERVICE_UNAVAILABLE;
            let error = error_object(status, "The database does not answer");
            tracing::error!(error_id = %error["error_id"], %cause, "health check failed");
            HttpResponse::build(status).json(json!({
                "status": "unhealthy", "websocket": "available", "cors": cors(&state),
                "error": error,
            }))
        }
    }
}

/// The process's resident memory in MB, from `/proc/self/status` (Linux).
pub(crate) fn rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kb: f64 = status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kb / 1024.0)
}

/// `GET /health/detailed`: the database's answer and latency, file sizes, memory, uptime and live
/// connections, and the issues found (`status` is `healthy`, `degraded` or `unhealthy`).
#[utoipa::path(
    get,
    path = "/health/detailed",
    operation_id = "health_detailed",
    tag = "service",
    responses(
        (status = 200, description = "`healthy`, or `degraded` with the issues", body = crate::openapi::health::DetailedHealth),
        (status = 503, description = "`unhealthy`: the database does not answer", body = crate::openapi::health::DetailedHealth),
    ),
)]
async fn detailed(state: web::Data<ApiState>) -> HttpResponse {
    let (result, latency) = probe(&state).await;
    let latency_ms = latency.as_secs_f64() * 1000.0;
    let mut issues = Vec::new();
    let (database, unhealthy) = match &result {
        Ok(health) => {
            let threshold = state.config.memory_threshold_mb;
            if let Some(rss) = rss_mb().filter(|mb| *mb > f64::from(threshold)) {
                issues.push(format!(
                    "resident memory {rss:.0} MB is above the {threshold} MB threshold"
                ));
            }
            if latency > SLOW_DATABASE {
                issues.push(format!("the database took {latency_ms:.0} ms to answer"));
            }
            (
                json!({
                    "status": "healthy", "latency_ms": latency_ms,
                    "size_bytes": health.size_bytes, "wal_size_bytes": health.wal_size_bytes,
                }),
                false,
            )
        }
        Err(cause) => {
            // The cause may name files or SQL: it goes to the log, not to this public answer.
            tracing::error!(%cause, "detailed health check: the database does not answer");
            issues.push("the database does not answer".to_owned());
            (
                json!({"status": "unhealthy", "latency_ms": latency_ms, "size_bytes": null, "wal_size_bytes": null}),
                true,
            )
        }
    };
    let status = match (unhealthy, issues.is_empty()) {
        (true, _) => "unhealthy",
        (false, true) => "healthy",
        (false, false) => "degraded",
    };
    let body = json!({
        "status": status,
        "timestamp": format_timestamp(&chrono::Utc::now()),
        "uptime_seconds": state.started.elapsed().as_secs_f64(),
        "database": database,
        "memory": {"rss_mb": rss_mb()},
        "websocket": {"active_connections": state.live.connection_count()},
        "issues": issues,
    });
    if unhealthy {
        HttpResponse::ServiceUnavailable().json(body)
    } else {
        HttpResponse::Ok().json(body)
    }
}

/// `GET /health/memory`: resident memory now, its history (the last hour, every 10 s) and trend.
#[utoipa::path(
    get,
    path = "/health/memory",
    operation_id = "health_memory",
    tag = "service",
    responses((status = 200, description = "Resident memory, its history and trend", body = crate::openapi::health::MemoryReport)),
)]
async fn memory(state: web::Data<ApiState>) -> HttpResponse {
    let history = &state.memory;
    let current = history.sample();
    let threshold = f64::from(state.config.memory_threshold_mb);
    HttpResponse::Ok().json(json!({
        "current": {
            "rss_mb": current,
            "over_threshold": current.is_some_and(|mb| mb > threshold),
            "timestamp": format_timestamp(&chrono::Utc::now()),
        },
        "threshold_mb": threshold,
        "history_count": history.count(),
        "statistics": history.statistics(),
        "leak_detection": history.leak_detection(),
    }))
}

/// `GET /api/health/simple`: the process answers (no database round trip).
#[utoipa::path(
    get,
    path = "/api/health/simple",
    operation_id = "health_simple",
    tag = "service",
    responses((status = 200, description = "The process answers", body = crate::openapi::health::SimpleHealth)),
)]
async fn simple() -> HttpResponse {
    HttpResponse::Ok()
        .json(json!({"status": "ok", "timestamp": format_timestamp(&chrono::Utc::now())}))
}

/// `GET /api/status`: what this server offers.
#[utoipa::path(
    get,
    path = "/api/status",
    operation_id = "service_status",
    tag = "service",
    responses((status = 200, description = "What this server offers", body = crate::openapi::health::ServiceStatus)),
)]
async fn status(state: web::Data<ApiState>) -> HttpResponse {
    HttpResponse::Ok().json(json!({
        "status": "operational",
        "version": state.config.version,
        "websocket_available": true,
        "endpoints": {"boards": "/api/boards", "tickets": "/api/tickets", "websocket": "/ws/connect"},
    }))
}

#[cfg(test)]
mod tests {
    use crate::auth::crypto::real_crypto;
    use crate::live::LiveConfig;
    use crate::state::{ApiConfig, ApiState};
    use actix_web::test;
    use kanban_domain::StoreError;
    use kanban_domain::ports::{HealthProbe, Repositories, StorageHealth};
    use kanban_domain::services::{AccountPolicy, Services};
    use std::sync::Arc;

    /// Storage that does not answer.
    struct Down;

    impl HealthProbe for Down {
        fn probe(&self) -> Result<StorageHealth, StoreError> {
            Err(StoreError::internal(std::io::Error::other(
                "unable to open database file",
            )))
        }

        fn pool(&self) -> Option<kanban_domain::ports::PoolState> {
            None
        }

        fn inventory(&self) -> Result<kanban_domain::ports::Inventory, StoreError> {
            self.probe()
                .map(|_| kanban_domain::ports::Inventory::default())
        }
    }

    fn state_with(health: Arc<dyn HealthProbe>) -> ApiState {
        let repositories = Repositories {
            health,
            ..kanban_domain::memory::repositories()
        };
        let services = Services::new(
            repositories,
            real_crypto().unwrap(),
            AccountPolicy::default(),
            Arc::new(kanban_domain::SystemClock),
        );
        ApiState::build(services, LiveConfig::default(), ApiConfig::default()).unwrap()
    }

    #[actix_web::test]
    async fn health_is_503_unhealthy_when_the_database_does_not_answer() {
        let app = test::init_service(crate::build_app(state_with(Arc::new(Down)))).await;
        let request = test::TestRequest::get()
            .uri("/health")
            .peer_addr("127.0.0.1:1".parse().unwrap());
        let response = test::call_service(&app, request.to_request()).await;
        assert_eq!(response.status(), 503);
        let body: serde_json::Value = test::read_body_json(response).await;
        assert_eq!(body["status"], "unhealthy");
        assert_eq!(body["error"]["code"], "UNAVAILABLE");
        assert!(
            body["error"]["error_id"]
                .as_str()
                .unwrap()
                .starts_with("err_")
        );
        let detailed = test::TestRequest::get()
            .uri("/health/detailed")
            .peer_addr("127.0.0.1:1".parse().unwrap());
        let response = test::call_service(&app, detailed.to_request()).await;
        assert_eq!(response.status(), 503);
        let body: serde_json::Value = test::read_body_json(response).await;
        assert_eq!(body["status"], "unhealthy");
        assert_eq!(body["database"]["status"], "unhealthy");
        assert!(
            body["issues"][0]
                .as_str()
                .unwrap()
                .contains("does not answer")
        );
    }
}
