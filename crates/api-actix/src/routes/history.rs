//! `/api/history`: a ticket's history and path, a board's activity, change statistics
//! (contract §5).

use crate::auth::{Authorized, gate};
use crate::dto::history::{ActivityQuery, StatsQuery, TicketHistoryQuery};
use crate::error::ApiError;
use crate::extract::QueryParams;
use crate::state::ApiState;
use actix_web::{HttpResponse, web};
use kanban_domain::{BoardId, TicketId};

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/tickets/{ticket_id}/history").get(ticket_history))
        .service(web::resource("/tickets/{ticket_id}/transitions").get(transitions))
        .service(web::resource("/boards/{board_id}/activity").get(activity))
        .service(web::resource("/stats").get(stats));
}

async fn ticket_history(
    state: web::Data<ApiState>,
    _reader: Authorized<gate::Read>,
    id: web::Path<i64>,
    query: QueryParams<TicketHistoryQuery>,
) -> Result<HttpResponse, ApiError> {
    let id = TicketId::new(id.into_inner());
    let (limit, field) = query.into_inner().validate()?;
    let rows = state
        .read(move |s| s.history.for_ticket(id, field, limit))
        .await?;
    Ok(HttpResponse::Ok().json(rows))
}

async fn transitions(
    state: web::Data<ApiState>,
    _reader: Authorized<gate::Read>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = TicketId::new(id.into_inner());
    let path = state.read(move |s| s.history.transitions(id)).await?;
    Ok(HttpResponse::Ok().json(path))
}

async fn activity(
    state: web::Data<ApiState>,
    _reader: Authorized<gate::Read>,
    id: web::Path<i64>,
    query: QueryParams<ActivityQuery>,
) -> Result<HttpResponse, ApiError> {
    let id = BoardId::new(id.into_inner());
    let (hours, limit) = query.into_inner().validate()?;
    let feed = state
        .read(move |s| s.history.board_activity(id, hours, limit))
        .await?;
    Ok(HttpResponse::Ok().json(feed))
}

async fn stats(
    state: web::Data<ApiState>,
    _reader: Authorized<gate::Read>,
    query: QueryParams<StatsQuery>,
) -> Result<HttpResponse, ApiError> {
    let days = query.into_inner().validate()?;
    let stats = state.read(move |s| s.history.stats(days)).await?;
    Ok(HttpResponse::Ok().json(stats))
}
