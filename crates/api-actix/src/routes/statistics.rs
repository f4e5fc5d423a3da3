//! `/api/statistics`: time in column, colour classes, performance and the drag-drop metrics
//! (contract §6), for pm and admin. Every answer is computed from the database on the call.

use super::message;
use super::table::Routes;
use crate::auth::{Authorized, gate};
use crate::dto::statistics::{ColorsQuery, PerformanceQuery, RealtimeQuery, realtime_ids};
use crate::error::ApiError;
use crate::extract::{PathId, QueryParams};
use crate::state::ApiState;
use actix_web::{HttpRequest, HttpResponse, web};
use kanban_domain::statistics::{
    BoardStatistics, ColumnReport, Performance, RealtimeColors, TicketColors, TicketStatistics,
};
use kanban_domain::time::format_timestamp;
use kanban_domain::{BoardId, TicketId};
use serde::Serialize;
use utoipa::ToSchema;

pub(super) fn configure(routes: &mut Routes<'_>) {
    const SCOPE: &str = "/api/statistics";
    let at = |path: &str| format!("{SCOPE}{path}");
    routes.resource(&at("/boards/{board_id}/statistics"), |r| {
        r.get(board_statistics)
    });
    routes.resource(&at("/tickets/{ticket_id}/statistics"), |r| {
        r.get(ticket_statistics)
    });
    routes.resource(&at("/boards/{board_id}/performance"), |r| {
        r.get(performance)
    });
    routes.resource(&at("/boards/{board_id}/tickets/colors"), |r| {
        r.get(ticket_colors)
    });
    routes.resource(&at("/boards/{board_id}/tickets/colors/realtime"), |r| {
        r.get(realtime_colors)
    });
    routes.resource(&at("/boards/{board_id}/column/{column}/statistics"), |r| {
        r.get(column_statistics)
    });
    routes.resource(&at("/boards/{board_id}/drag-drop/metrics"), |r| {
        r.get(board_moves)
    });
    routes.resource(&at("/drag-drop/metrics/all"), |r| r.get(all_moves));
    routes.resource(&at("/drag-drop/metrics/clear"), |r| r.post(clear_moves));
    routes.resource(&at("/statistics/cache/clear"), |r| r.post(clear_cache));
    routes.resource(&at("/statistics/health"), |r| r.get(health));
}

/// The time in column of a board's tickets, per column: count, mean, σ, median, min, max, p95.
#[utoipa::path(
    get,
    path = "/api/statistics/boards/{board_id}/statistics",
    operation_id = "board_statistics",
    tag = "statistics",
    params(
        ("board_id" = i64, Path, minimum = 1, maximum = 9223372036854775807i64, description = "The board"),
    ),
    responses(
        (status = 200, description = "Every column of the board, empty ones with zeros", body = BoardStatistics),
        (status = 403, description = "Neither a pm nor an admin", body = crate::error::ErrorEnvelope),
    ),
    security(("bearer" = [])),
)]
async fn board_statistics(
    state: web::Data<ApiState>,
    _analyst: Authorized<gate::Analyse>,
    id: web::Path<PathId>,
) -> Result<HttpResponse, ApiError> {
    let id = BoardId::new(id.into_inner().get());
    let stats = state
        .read(move |s| s.statistics.board_statistics(id))
        .await?;
    Ok(HttpResponse::Ok().json(stats))
}

/// A ticket's time in its column and age, compared with the other tickets of its column.
#[utoipa::path(
    get,
    path = "/api/statistics/tickets/{ticket_id}/statistics",
    operation_id = "ticket_statistics",
    tag = "statistics",
    params(
        ("ticket_id" = i64, Path, minimum = 1, maximum = 9223372036854775807i64, description = "The ticket"),
    ),
    responses(
        (status = 200, description = "The ticket's statistics", body = TicketStatistics),
        (status = 403, description = "Neither a pm nor an admin", body = crate::error::ErrorEnvelope),
    ),
    security(("bearer" = [])),
)]
async fn ticket_statistics(
    state: web::Data<ApiState>,
    _analyst: Authorized<gate::Analyse>,
    id: web::Path<PathId>,
) -> Result<HttpResponse, ApiError> {
    let id = TicketId::new(id.into_inner().get());
    let stats = state
        .read(move |s| s.statistics.ticket_statistics(id))
        .await?;
    Ok(HttpResponse::Ok().json(stats))
}

/// A board's completions, throughput and velocity over the last `days`.
#[utoipa::path(
    get,
    path = "/api/statistics/boards/{board_id}/performance",
    operation_id = "board_performance",
    tag = "statistics",
    params(
        ("board_id" = i64, Path, minimum = 1, maximum = 9223372036854775807i64, description = "The board"),
        PerformanceQuery,
    ),
    responses(
        (status = 200, description = "The board's performance", body = Performance),
        (status = 403, description = "Neither a pm nor an admin", body = crate::error::ErrorEnvelope),
    ),
    security(("bearer" = [])),
)]
async fn performance(
    state: web::Data<ApiState>,
    _analyst: Authorized<gate::Analyse>,
    id: web::Path<PathId>,
    query: QueryParams<PerformanceQuery>,
) -> Result<HttpResponse, ApiError> {
    let id = BoardId::new(id.into_inner().get());
    let days = query.into_inner().validate()?;
    let report = state
        .read(move |s| s.statistics.performance(id, days))
        .await?;
    Ok(HttpResponse::Ok().json(report))
}

/// The colour class of each ticket of a board (or of one column), with a summary.
#[utoipa::path(
    get,
    path = "/api/statistics/boards/{board_id}/tickets/colors",
    operation_id = "board_ticket_colors",
    tag = "statistics",
    params(
        ("board_id" = i64, Path, minimum = 1, maximum = 9223372036854775807i64, description = "The board"),
        ColorsQuery,
    ),
    responses(
        (status = 200, description = "The tickets' colours, in board order", body = TicketColors),
        (status = 403, description = "Neither a pm nor an admin", body = crate::error::ErrorEnvelope),
        (status = 422, description = "`query.column` is not a column of the board (`invalid_column`)", body = crate::error::ErrorEnvelope),
    ),
    security(("bearer" = [])),
)]
async fn ticket_colors(
    state: web::Data<ApiState>,
    _analyst: Authorized<gate::Analyse>,
    id: web::Path<PathId>,
    query: QueryParams<ColorsQuery>,
) -> Result<HttpResponse, ApiError> {
    let id = BoardId::new(id.into_inner().get());
    let column = query.into_inner().column();
    let colors = state
        .read(move |s| {
            s.statistics
                .ticket_colors(id, column.as_deref())
                .map_err(|e| ApiError::from_domain_at(e, "query"))
        })
        .await?;
    Ok(HttpResponse::Ok().json(colors))
}

/// The current colour class of the given tickets of a board.
#[utoipa::path(
    get,
    path = "/api/statistics/boards/{board_id}/tickets/colors/realtime",
    operation_id = "board_realtime_colors",
    tag = "statistics",
    params(
        ("board_id" = i64, Path, minimum = 1, maximum = 9223372036854775807i64, description = "The board"),
        RealtimeQuery,
    ),
    responses(
        (status = 200, description = "The tickets asked for that are on the board, in the order asked, each once", body = RealtimeColors),
        (status = 400, description = "More than 50 ticket ids", body = crate::error::ErrorEnvelope),
        (status = 403, description = "Neither a pm nor an admin", body = crate::error::ErrorEnvelope),
        (status = 422, description = "`query.ticket_ids`: an id that is not a positive integer", body = crate::error::ErrorEnvelope),
    ),
    security(("bearer" = [])),
)]
async fn realtime_colors(
    state: web::Data<ApiState>,
    _analyst: Authorized<gate::Analyse>,
    id: web::Path<PathId>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let id = BoardId::new(id.into_inner().get());
    let ids = realtime_ids(req.query_string())?;
    let colors = state
        .read(move |s| {
            s.statistics
                .realtime_colors(id, &ids)
                .map_err(|e| ApiError::from_domain_at(e, "query"))
        })
        .await?;
    Ok(HttpResponse::Ok().json(colors))
}

/// One column's statistics, colour distribution and warning and danger thresholds.
#[utoipa::path(
    get,
    path = "/api/statistics/boards/{board_id}/column/{column}/statistics",
    operation_id = "column_statistics",
    tag = "statistics",
    params(
        ("board_id" = i64, Path, minimum = 1, maximum = 9223372036854775807i64, description = "The board"),
        ("column" = String, Path, min_length = 1, description = "A column of the board, in any letter case, percent-encoded (`Not%20Started`)"),
    ),
    responses(
        (status = 200, description = "The column's report", body = ColumnReport),
        (status = 403, description = "Neither a pm nor an admin", body = crate::error::ErrorEnvelope),
        (status = 404, description = "Unknown board, or a column the board does not have", body = crate::error::ErrorEnvelope),
    ),
    security(("bearer" = [])),
)]
async fn column_statistics(
    state: web::Data<ApiState>,
    _analyst: Authorized<gate::Analyse>,
    path: web::Path<(PathId, String)>,
) -> Result<HttpResponse, ApiError> {
    let (id, column) = path.into_inner();
    let id = BoardId::new(id.get());
    let report = state
        .read(move |s| s.statistics.column_statistics(id, &column))
        .await?;
    Ok(HttpResponse::Ok().json(report))
}

/// `{board_id, …metrics}` of one board.
#[derive(Debug, Serialize, ToSchema)]
struct BoardMoves {
    board_id: BoardId,
    #[serde(flatten)]
    metrics: crate::drag_drop::MoveMetricsView,
}

/// The moves of a board's tickets since the server started: counts and mean duration.
#[utoipa::path(
    get,
    path = "/api/statistics/boards/{board_id}/drag-drop/metrics",
    operation_id = "board_drag_drop_metrics",
    tag = "statistics",
    params(
        ("board_id" = i64, Path, minimum = 1, maximum = 9223372036854775807i64, description = "The board"),
    ),
    responses(
        (status = 200, description = "The board's move metrics (zeros without moves)", body = BoardMoves),
        (status = 403, description = "Neither a pm nor an admin", body = crate::error::ErrorEnvelope),
    ),
    security(("bearer" = [])),
)]
async fn board_moves(
    state: web::Data<ApiState>,
    _analyst: Authorized<gate::Analyse>,
    id: web::Path<PathId>,
) -> Result<HttpResponse, ApiError> {
    let id = BoardId::new(id.into_inner().get());
    // The metrics live in memory; the read only tells an unknown board (404) apart.
    state.read(move |s| s.boards.get(id)).await?;
    Ok(HttpResponse::Ok().json(BoardMoves {
        board_id: id,
        metrics: state.moves.board(id),
    }))
}

/// The moves of every board since the server started: the totals and each board's metrics.
#[utoipa::path(
    get,
    path = "/api/statistics/drag-drop/metrics/all",
    operation_id = "all_drag_drop_metrics",
    tag = "statistics",
    responses(
        (status = 200, description = "The totals and the boards with moves", body = crate::drag_drop::AllMoveMetrics),
        (status = 403, description = "Neither a pm nor an admin", body = crate::error::ErrorEnvelope),
    ),
    security(("bearer" = [])),
)]
async fn all_moves(
    state: web::Data<ApiState>,
    _analyst: Authorized<gate::Analyse>,
) -> HttpResponse {
    HttpResponse::Ok().json(state.moves.all())
}

/// Forgets every recorded move (admins).
#[utoipa::path(
    post,
    path = "/api/statistics/drag-drop/metrics/clear",
    operation_id = "clear_drag_drop_metrics",
    tag = "statistics",
    responses(
        (status = 200, description = "Cleared", body = super::Message),
        (status = 403, description = "Not an admin", body = crate::error::ErrorEnvelope),
    ),
    security(("bearer" = [])),
)]
async fn clear_moves(
    state: web::Data<ApiState>,
    _admin: Authorized<gate::Administer>,
) -> HttpResponse {
    state.moves.clear();
    message("Drag-drop metrics cleared")
}

/// There is no cache to clear: every statistic is computed from the database on each call.
#[utoipa::path(
    post,
    path = "/api/statistics/statistics/cache/clear",
    operation_id = "clear_statistics_cache",
    tag = "statistics",
    responses(
        (status = 200, description = "Nothing to clear: there is no cache", body = super::Message),
        (status = 403, description = "Not an admin", body = crate::error::ErrorEnvelope),
    ),
    security(("bearer" = [])),
)]
async fn clear_cache(_admin: Authorized<gate::Administer>) -> HttpResponse {
    message(
        "No statistics cache to clear: statistics are computed from the database on each request",
    )
}

/// `GET /statistics/health`.
#[derive(Debug, Serialize, ToSchema)]
struct StatisticsHealth {
    #[schema(examples("healthy"))]
    status: &'static str,
    /// Always `none`: statistics are computed on each call.
    #[schema(examples("none"))]
    cache: &'static str,
    #[schema(format = DateTime)]
    timestamp: String,
}

/// Kept for compatibility. The statistics are computed from the database on each call (there is
/// no cache), so they are healthy when the database answers.
#[utoipa::path(
    get,
    path = "/api/statistics/statistics/health",
    operation_id = "statistics_health",
    tag = "statistics",
    responses(
        (status = 200, description = "The database answers; there is no cache", body = StatisticsHealth),
        (status = 403, description = "Neither a pm nor an admin", body = crate::error::ErrorEnvelope),
        (status = 503, description = "The database does not answer", body = crate::error::ErrorEnvelope),
    ),
    security(("bearer" = [])),
)]
async fn health(
    state: web::Data<ApiState>,
    _analyst: Authorized<gate::Analyse>,
) -> Result<HttpResponse, ApiError> {
    let (answer, _) = super::health::probe(&state).await;
    let Err(cause) = answer else {
        return Ok(HttpResponse::Ok().json(StatisticsHealth {
            status: "healthy",
            cache: "none",
            timestamp: format_timestamp(&state.services.clock.now()),
        }));
    };
    // The cause may name files: it goes to the log, not into the answer.
    tracing::error!(%cause, "statistics health: the database does not answer");
    Err(ApiError::new(
        actix_web::http::StatusCode::SERVICE_UNAVAILABLE,
        "The database does not answer: statistics cannot be computed",
    ))
}
