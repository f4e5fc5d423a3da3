//! `/api/history`: a ticket's history and path, a board's activity, change statistics
//! (contract §5).

use super::table::Routes;
use crate::auth::{Authorized, gate};
use crate::dto::history::{ActivityQuery, StatsQuery, TicketHistoryQuery};
use crate::error::ApiError;
use crate::extract::{PathId, QueryParams};
use crate::state::ApiState;
use actix_web::{HttpResponse, web};
use kanban_domain::history::{HistoryStats, Transitions};
use kanban_domain::services::BoardActivity;
use kanban_domain::{BoardId, HistoryEntry, TicketId};

pub(super) fn configure(routes: &mut Routes<'_>) {
    routes.resource("/api/history/tickets/{ticket_id}/history", |r| {
        r.get(ticket_history)
    });
    routes.resource("/api/history/tickets/{ticket_id}/transitions", |r| {
        r.get(transitions)
    });
    routes.resource("/api/history/boards/{board_id}/activity", |r| {
        r.get(activity)
    });
    routes.resource("/api/history/stats", |r| r.get(stats));
}

/// A ticket's history rows, newest first.
#[utoipa::path(
    get,
    path = "/api/history/tickets/{ticket_id}/history",
    operation_id = "ticket_history",
    tag = "history",
    params(
        ("ticket_id" = i64, Path, minimum = 1, maximum = 9223372036854775807i64, description = "The ticket"),
        TicketHistoryQuery,
    ),
    responses(
        (status = 200, description = "The rows", body = Vec<HistoryEntry>),
    ),
    security(("bearer" = [])),
)]
async fn ticket_history(
    state: web::Data<ApiState>,
    _reader: Authorized<gate::Read>,
    id: web::Path<PathId>,
    query: QueryParams<TicketHistoryQuery>,
) -> Result<HttpResponse, ApiError> {
    let id = TicketId::new(id.into_inner().get());
    let (limit, field) = query.into_inner().validate()?;
    let rows = state
        .read(move |s| s.history.for_ticket(id, field, limit))
        .await?;
    Ok(HttpResponse::Ok().json(rows))
}

/// A ticket's path through the columns, with how long it stayed in each.
#[utoipa::path(
    get,
    path = "/api/history/tickets/{ticket_id}/transitions",
    operation_id = "ticket_transitions",
    tag = "history",
    params(
        ("ticket_id" = i64, Path, minimum = 1, maximum = 9223372036854775807i64, description = "The ticket"),
    ),
    responses(
        (status = 200, description = "The transitions", body = Transitions),
    ),
    security(("bearer" = [])),
)]
async fn transitions(
    state: web::Data<ApiState>,
    _reader: Authorized<gate::Read>,
    id: web::Path<PathId>,
) -> Result<HttpResponse, ApiError> {
    let id = TicketId::new(id.into_inner().get());
    let path = state.read(move |s| s.history.transitions(id)).await?;
    Ok(HttpResponse::Ok().json(path))
}

/// The recent changes on a board's tickets, newest first.
#[utoipa::path(
    get,
    path = "/api/history/boards/{board_id}/activity",
    operation_id = "board_activity",
    tag = "history",
    params(
        ("board_id" = i64, Path, minimum = 1, maximum = 9223372036854775807i64, description = "The board"),
        ActivityQuery,
    ),
    responses(
        (status = 200, description = "The activity feed", body = BoardActivity),
    ),
    security(("bearer" = [])),
)]
async fn activity(
    state: web::Data<ApiState>,
    _reader: Authorized<gate::Read>,
    id: web::Path<PathId>,
    query: QueryParams<ActivityQuery>,
) -> Result<HttpResponse, ApiError> {
    let id = BoardId::new(id.into_inner().get());
    let (hours, limit) = query.into_inner().validate()?;
    let feed = state
        .read(move |s| s.history.board_activity(id, hours, limit))
        .await?;
    Ok(HttpResponse::Ok().json(feed))
}

/// Counts of changes by field, user and day.
#[utoipa::path(
    get,
    path = "/api/history/stats",
    operation_id = "history_stats",
    tag = "history",
    params(
        StatsQuery,
    ),
    responses(
        (status = 200, description = "The statistics", body = HistoryStats),
    ),
    security(("bearer" = [])),
)]
async fn stats(
    state: web::Data<ApiState>,
    _reader: Authorized<gate::Read>,
    query: QueryParams<StatsQuery>,
) -> Result<HttpResponse, ApiError> {
    let days = query.into_inner().validate()?;
    let stats = state.read(move |s| s.history.stats(days)).await?;
    Ok(HttpResponse::Ok().json(stats))
}
