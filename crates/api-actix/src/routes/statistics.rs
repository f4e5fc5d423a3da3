//! `/api/statistics`: time in column, colour classes, performance and the drag-drop metrics
//! (contract §6), for pm and admin. Every answer is computed from the database on the call.

use super::message;
use super::table::Routes;
use crate::auth::{Authorized, gate};
use crate::dto::statistics::{ColorsQuery, PerformanceQuery, realtime_ids};
use crate::error::ApiError;
use crate::extract::QueryParams;
use crate::state::ApiState;
use actix_web::{HttpRequest, HttpResponse, web};
use kanban_domain::time::format_timestamp;
use kanban_domain::{BoardId, TicketId};
use serde::Serialize;

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

async fn board_statistics(
    state: web::Data<ApiState>,
    _analyst: Authorized<gate::Analyse>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = BoardId::new(id.into_inner());
    let stats = state
        .read(move |s| s.statistics.board_statistics(id))
        .await?;
    Ok(HttpResponse::Ok().json(stats))
}

async fn ticket_statistics(
    state: web::Data<ApiState>,
    _analyst: Authorized<gate::Analyse>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = TicketId::new(id.into_inner());
    let stats = state
        .read(move |s| s.statistics.ticket_statistics(id))
        .await?;
    Ok(HttpResponse::Ok().json(stats))
}

async fn performance(
    state: web::Data<ApiState>,
    _analyst: Authorized<gate::Analyse>,
    id: web::Path<i64>,
    query: QueryParams<PerformanceQuery>,
) -> Result<HttpResponse, ApiError> {
    let id = BoardId::new(id.into_inner());
    let days = query.into_inner().validate()?;
    let report = state
        .read(move |s| s.statistics.performance(id, days))
        .await?;
    Ok(HttpResponse::Ok().json(report))
}

async fn ticket_colors(
    state: web::Data<ApiState>,
    _analyst: Authorized<gate::Analyse>,
    id: web::Path<i64>,
    query: QueryParams<ColorsQuery>,
) -> Result<HttpResponse, ApiError> {
    let id = BoardId::new(id.into_inner());
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

async fn realtime_colors(
    state: web::Data<ApiState>,
    _analyst: Authorized<gate::Analyse>,
    id: web::Path<i64>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let id = BoardId::new(id.into_inner());
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

async fn column_statistics(
    state: web::Data<ApiState>,
    _analyst: Authorized<gate::Analyse>,
    path: web::Path<(i64, String)>,
) -> Result<HttpResponse, ApiError> {
    let (id, column) = path.into_inner();
    let id = BoardId::new(id);
    let report = state
        .read(move |s| s.statistics.column_statistics(id, &column))
        .await?;
    Ok(HttpResponse::Ok().json(report))
}

/// `{board_id, …metrics}` of one board.
#[derive(Debug, Serialize)]
struct BoardMoves {
    board_id: BoardId,
    #[serde(flatten)]
    metrics: crate::drag_drop::MoveMetricsView,
}

async fn board_moves(
    state: web::Data<ApiState>,
    _analyst: Authorized<gate::Analyse>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = BoardId::new(id.into_inner());
    // The metrics live in memory; the read only tells an unknown board (404) apart.
    state.read(move |s| s.boards.get(id)).await?;
    Ok(HttpResponse::Ok().json(BoardMoves {
        board_id: id,
        metrics: state.moves.board(id),
    }))
}

async fn all_moves(
    state: web::Data<ApiState>,
    _analyst: Authorized<gate::Analyse>,
) -> HttpResponse {
    HttpResponse::Ok().json(state.moves.all())
}

async fn clear_moves(
    state: web::Data<ApiState>,
    _admin: Authorized<gate::Administer>,
) -> HttpResponse {
    state.moves.clear();
    message("Drag-drop metrics cleared")
}

/// There is no cache to clear: every statistic is computed from the database on each call.
async fn clear_cache(_admin: Authorized<gate::Administer>) -> HttpResponse {
    message(
        "No statistics cache to clear: statistics are computed from the database on each request",
    )
}

/// `GET /statistics/health`.
#[derive(Debug, Serialize)]
struct StatisticsHealth {
    status: &'static str,
    cache: &'static str,
    timestamp: String,
}

async fn health(state: web::Data<ApiState>, _analyst: Authorized<gate::Analyse>) -> HttpResponse {
    HttpResponse::Ok().json(StatisticsHealth {
        status: "healthy",
        cache: "none",
        timestamp: format_timestamp(&state.services.clock.now()),
    })
}
