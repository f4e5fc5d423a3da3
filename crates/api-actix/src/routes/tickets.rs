//! `/api/tickets`: tickets and their moves, claims and releases (contract §3).

use super::{message, with_etag};
use crate::auth::{Authorized, gate};
use crate::drag_drop::MoveKind;
use crate::dto::tickets::{ClaimQuery, CreateTicket, ListTickets, MoveTicket, UpdateTicket};
use crate::error::ApiError;
use crate::extract::{IfMatch, JsonBody, QueryParams};
use crate::state::ApiState;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, web};
use kanban_domain::ports::Committed;
use kanban_domain::services::Services;
use kanban_domain::{BoardId, DomainError, Ticket, TicketId};
use std::time::Instant;

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("").get(list).post(create))
        .service(
            web::resource("/{ticket_id}")
                .get(get)
                .put(update)
                .delete(delete),
        )
        .service(web::resource("/{ticket_id}/move").post(move_ticket))
        .service(web::resource("/{ticket_id}/claim").post(claim))
        .service(web::resource("/{ticket_id}/release").post(release));
}

fn ticket_response(status: StatusCode, ticket: &Ticket) -> HttpResponse {
    with_etag(status, ticket.version, ticket)
}

async fn list(
    state: web::Data<ApiState>,
    _reader: Authorized<gate::Read>,
    query: QueryParams<ListTickets>,
) -> Result<HttpResponse, ApiError> {
    let (query, page) = query.into_inner().validate()?;
    let page = state
        .read(move |s| {
            s.tickets
                .list(&query, page)
                .map_err(|e| ApiError::from_domain_at(e, "query"))
        })
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

async fn get(
    state: web::Data<ApiState>,
    _reader: Authorized<gate::Read>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = TicketId::new(id.into_inner());
    let ticket = state.read(move |s| s.tickets.get(id)).await?;
    Ok(ticket_response(StatusCode::OK, &ticket))
}

async fn create(
    state: web::Data<ApiState>,
    actor: Authorized<gate::Contribute>,
    body: JsonBody<CreateTicket>,
) -> Result<HttpResponse, ApiError> {
    let input = body.into_inner().validate()?;
    let actor = actor.actor();
    let ticket = state
        .write(move |s| s.tickets.create(&actor, &input))
        .await?;
    let mut response = ticket_response(StatusCode::CREATED, &ticket);
    if let Ok(location) = header::HeaderValue::from_str(&format!("/api/tickets/{}", ticket.id)) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

async fn update(
    state: web::Data<ApiState>,
    actor: Authorized<gate::ChangeTickets>,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: JsonBody<UpdateTicket>,
) -> Result<HttpResponse, ApiError> {
    let id = TicketId::new(id.into_inner());
    let patch = body.into_inner().validate()?;
    let actor = actor.actor();
    let ticket = state
        .write(move |s| s.tickets.update(&actor, id, &patch, if_match.as_ref()))
        .await?;
    Ok(ticket_response(StatusCode::OK, &ticket))
}

async fn move_ticket(
    state: web::Data<ApiState>,
    actor: Authorized<gate::ChangeTickets>,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: JsonBody<MoveTicket>,
) -> Result<HttpResponse, ApiError> {
    let id = TicketId::new(id.into_inner());
    let column = body.into_inner().column;
    let actor = actor.actor();
    let started = Instant::now();
    let moved = state
        .write(move |s| {
            let outcome = s
                .tickets
                .move_ticket(&actor, id, &column, if_match.as_ref());
            Ok::<_, ApiError>(with_board(s, id, outcome))
        })
        .await;
    let (outcome, board) = match moved {
        Ok((outcome, board)) => (outcome.map_err(ApiError::from), board),
        Err(error) => (Err(error), None),
    };
    state
        .moves
        .record(board, MoveKind::Move, outcome.is_ok(), started.elapsed());
    Ok(ticket_response(StatusCode::OK, &outcome?))
}

/// A move's outcome with the board it concerns, for the drag-drop metrics: a failed move is
/// counted on its ticket's board when the ticket exists. Events are published only on success.
fn with_board(
    s: &Services,
    id: TicketId,
    outcome: Result<Committed<Ticket>, DomainError>,
) -> Committed<(Result<Ticket, DomainError>, Option<BoardId>)> {
    match outcome {
        Ok(committed) => committed.map(|ticket| {
            let board = ticket.board_id;
            (Ok(ticket), Some(board))
        }),
        Err(error) => Committed {
            value: (Err(error), s.tickets.get(id).ok().map(|t| t.board_id)),
            events: Vec::new(),
        },
    }
}

async fn claim(
    state: web::Data<ApiState>,
    actor: Authorized<gate::Claim>,
    id: web::Path<i64>,
    query: QueryParams<ClaimQuery>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    let id = TicketId::new(id.into_inner());
    let agent = query.into_inner().validate()?;
    let actor = actor.actor();
    let ticket = state
        .write(move |s| {
            s.tickets
                .claim(&actor, id, agent.as_ref(), if_match.as_ref())
                .map_err(|e| ApiError::from_domain_at(e, "query"))
        })
        .await?;
    Ok(ticket_response(StatusCode::OK, &ticket))
}

async fn release(
    state: web::Data<ApiState>,
    actor: Authorized<gate::Claim>,
    id: web::Path<i64>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    let id = TicketId::new(id.into_inner());
    let actor = actor.actor();
    let ticket = state
        .write(move |s| s.tickets.release(&actor, id, if_match.as_ref()))
        .await?;
    Ok(ticket_response(StatusCode::OK, &ticket))
}

async fn delete(
    state: web::Data<ApiState>,
    actor: Authorized<gate::DeleteTickets>,
    id: web::Path<i64>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    let id = TicketId::new(id.into_inner());
    let actor = actor.actor();
    let ticket = state
        .write(move |s| s.tickets.delete(&actor, id, if_match.as_ref()))
        .await?;
    Ok(message(format!("Ticket {} deleted", ticket.id)))
}
