//! `GET /metrics`: the Prometheus text exposition (contract §9), public like the health routes.

use super::table::Routes;
use crate::state::ApiState;
use actix_web::{HttpResponse, web};

pub(super) fn configure(routes: &mut Routes<'_>) {
    routes.resource("/metrics", |r| r.get(metrics));
}

/// The metrics, with the WebSocket and pool gauges read at scrape time.
#[utoipa::path(
    get,
    path = "/metrics",
    operation_id = "metrics",
    tag = "service",
    responses(
        (status = 200, description = "The Prometheus text exposition format: requests and latency per route pattern, method and status; tickets created, moved and claimed; events; WebSocket connections; the database pool", body = String, content_type = "text/plain; version=0.0.4"),
    ),
)]
async fn metrics(state: web::Data<ApiState>) -> HttpResponse {
    let pool = state.services.repositories.health.pool();
    let body = state.metrics.render(state.live.connection_count(), pool);
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(body)
}
