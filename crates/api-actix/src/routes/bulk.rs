//! `/api/bulk`: moving, re-prioritising and assigning many tickets at once (contract §7).
//! Each item succeeds or fails on its own; the successful ones are committed together.

use super::table::Routes;
use crate::auth::{Authorized, RateLimiters, gate};
use crate::drag_drop::MoveKind;
use crate::dto::bulk::{
    BulkAssign, BulkMove, BulkPriority, BulkRateLimit, BulkStatus, MoveReport, Operation,
    OperationReport,
};
use crate::error::ApiError;
use crate::extract::JsonBody;
use crate::state::ApiState;
use actix_web::{HttpResponse, web};
use kanban_domain::services::bulk::{BULK_OPERATIONS, MAX_BATCH_SIZE};
use std::time::Instant;

/// Every bulk route also counts against the bulk rate limit (10 requests per minute per user).
pub(super) fn configure(routes: &mut Routes<'_>, limiters: &RateLimiters) {
    routes.resource("/api/bulk/tickets/move", |r| {
        r.wrap(limiters.bulk_limit()).post(move_tickets)
    });
    routes.resource("/api/bulk/tickets/priority", |r| {
        r.wrap(limiters.bulk_limit()).post(set_priorities)
    });
    routes.resource("/api/bulk/tickets/assign", |r| {
        r.wrap(limiters.bulk_limit()).post(assign)
    });
    routes.resource("/api/bulk/operations/status", |r| {
        r.wrap(limiters.bulk_limit()).get(status)
    });
}

/// Milliseconds since `started`, to the microsecond.
fn elapsed_ms(started: Instant) -> f64 {
    (started.elapsed().as_secs_f64() * 1_000_000.0).round() / 1000.0
}

/// Moves tickets, each to the named column of its own board; each item succeeds or fails on
/// its own and the successful moves are committed together.
#[utoipa::path(
    post,
    path = "/api/bulk/tickets/move",
    operation_id = "bulk_move_tickets",
    tag = "bulk",
    request_body = BulkMove,
    responses(
        (status = 200, description = "Each item's outcome (200 even when every item failed)", body = MoveReport),
        (status = 403, description = "Neither a pm nor an admin", body = crate::error::ErrorEnvelope),
        (status = 409, description = "The batch lost the race against concurrent writers 16 times in a row; nothing was applied", body = crate::error::ErrorEnvelope),
        (status = 429, description = "The bulk limit (10 requests per minute per user by default) or the default limit was reached", body = crate::error::ErrorEnvelope, headers(("Retry-After" = i64, description = "Seconds to wait before trying again"))),
    ),
    security(("bearer" = [])),
)]
async fn move_tickets(
    state: web::Data<ApiState>,
    actor: Authorized<gate::Analyse>,
    body: JsonBody<BulkMove>,
) -> Result<HttpResponse, ApiError> {
    let started = Instant::now();
    let (ids, column) = body.into_inner().validate()?;
    let actor = actor.actor();
    let report = state
        .write(move |s| s.bulk.move_tickets(&actor, &ids, &column))
        .await?;
    // The drag-drop metrics count each ticket of a bulk move, with the request's time shared
    // among them.
    let each = started.elapsed() / u32::try_from(report.items.len().max(1)).unwrap_or(u32::MAX);
    for item in &report.items {
        let board = item.before.as_ref().map(|ticket| ticket.board_id);
        state
            .moves
            .record(board, MoveKind::BulkMove, item.succeeded(), each);
    }
    Ok(HttpResponse::Ok().json(MoveReport::of(&report, elapsed_ms(started))))
}

/// Sets the priority of tickets; each item succeeds or fails on its own and the successful
/// changes are committed together.
#[utoipa::path(
    post,
    path = "/api/bulk/tickets/priority",
    operation_id = "bulk_set_priorities",
    tag = "bulk",
    request_body = BulkPriority,
    responses(
        (status = 200, description = "Each item's outcome, `operation_type: \"priority_update\"`", body = OperationReport),
        (status = 403, description = "Neither a pm nor an admin", body = crate::error::ErrorEnvelope),
        (status = 409, description = "The batch lost the race against concurrent writers 16 times in a row; nothing was applied", body = crate::error::ErrorEnvelope),
        (status = 429, description = "The bulk limit (10 requests per minute per user by default) or the default limit was reached", body = crate::error::ErrorEnvelope, headers(("Retry-After" = i64, description = "Seconds to wait before trying again"))),
    ),
    security(("bearer" = [])),
)]
async fn set_priorities(
    state: web::Data<ApiState>,
    actor: Authorized<gate::Analyse>,
    body: JsonBody<BulkPriority>,
) -> Result<HttpResponse, ApiError> {
    let started = Instant::now();
    let updates = body.into_inner().validate()?;
    let actor = actor.actor();
    let report = state
        .write(move |s| s.bulk.set_priorities(&actor, &updates))
        .await?;
    Ok(HttpResponse::Ok().json(OperationReport::of(
        Operation::Priority,
        &report,
        elapsed_ms(started),
    )))
}

/// Assigns tickets to a name, or clears their assignee; each item succeeds or fails on its own
/// and the successful changes are committed together.
#[utoipa::path(
    post,
    path = "/api/bulk/tickets/assign",
    operation_id = "bulk_assign",
    tag = "bulk",
    request_body = BulkAssign,
    responses(
        (status = 200, description = "Each item's outcome, `operation_type: \"assignment\"`", body = OperationReport),
        (status = 403, description = "Neither a pm nor an admin", body = crate::error::ErrorEnvelope),
        (status = 409, description = "The batch lost the race against concurrent writers 16 times in a row; nothing was applied", body = crate::error::ErrorEnvelope),
        (status = 429, description = "The bulk limit (10 requests per minute per user by default) or the default limit was reached", body = crate::error::ErrorEnvelope, headers(("Retry-After" = i64, description = "Seconds to wait before trying again"))),
    ),
    security(("bearer" = [])),
)]
async fn assign(
    state: web::Data<ApiState>,
    actor: Authorized<gate::Analyse>,
    body: JsonBody<BulkAssign>,
) -> Result<HttpResponse, ApiError> {
    let started = Instant::now();
    let (ids, assignee) = body.into_inner().validate()?;
    let actor = actor.actor();
    let report = state
        .write(move |s| s.bulk.assign(&actor, &ids, assignee.as_ref()))
        .await?;
    Ok(HttpResponse::Ok().json(OperationReport::of(
        Operation::Assignment,
        &report,
        elapsed_ms(started),
    )))
}

/// What the bulk routes accept, from the running configuration (counts against the bulk limit).
#[utoipa::path(
    get,
    path = "/api/bulk/operations/status",
    operation_id = "bulk_status",
    tag = "bulk",
    responses(
        (status = 200, description = "The limits and operations", body = BulkStatus),
        (status = 403, description = "Neither a pm nor an admin", body = crate::error::ErrorEnvelope),
        (status = 429, description = "The bulk limit (10 requests per minute per user by default) or the default limit was reached", body = crate::error::ErrorEnvelope, headers(("Retry-After" = i64, description = "Seconds to wait before trying again"))),
    ),
    security(("bearer" = [])),
)]
async fn status(
    state: web::Data<ApiState>,
    _analyst: Authorized<gate::Analyse>,
) -> Result<HttpResponse, ApiError> {
    let limits = &state.config.rate_limit;
    Ok(HttpResponse::Ok().json(BulkStatus {
        status: "operational",
        rate_limits: BulkRateLimit {
            enabled: limits.enabled,
            requests_per_minute: limits.bulk_per_minute.max(1),
            per: "user",
        },
        max_batch_size: MAX_BATCH_SIZE,
        supported_operations: BULK_OPERATIONS,
    }))
}
