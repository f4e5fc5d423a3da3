//! `/api/tickets`: tickets and their moves, claims and releases (contract §3).

use super::table::Routes;
use super::{etag, message, with_etag};
use crate::auth::{Authorized, gate};
use crate::drag_drop::MoveKind;
use crate::dto::tickets::{ClaimQuery, CreateTicket, ListTickets, MoveTicket, UpdateTicket};
use crate::error::ApiError;
use crate::extract::{IfMatch, JsonBody, PathId, QueryParams};
use crate::page_cache::{Lookup, PageCache, PageKey, TicketBodies};
use crate::state::ApiState;
use actix_web::http::header::ContentType;
use actix_web::http::{StatusCode, header};
use actix_web::web::Bytes;
use actix_web::{HttpResponse, web};
use kanban_domain::page::{Page, PageRequest};
use kanban_domain::ports::{Committed, Holding, Listed};
use kanban_domain::services::{Services, TicketListQuery};
use kanban_domain::{BoardId, DomainError, Ticket, TicketId};
use serde_json::value::RawValue;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

pub(super) fn configure(routes: &mut Routes<'_>) {
    routes.resource("/api/tickets", |r| r.get(list).post(create));
    routes.resource("/api/tickets/{ticket_id}", |r| {
        r.get(get).put(update).delete(delete)
    });
    routes.resource("/api/tickets/{ticket_id}/move", |r| r.post(move_ticket));
    routes.resource("/api/tickets/{ticket_id}/claim", |r| r.post(claim));
    routes.resource("/api/tickets/{ticket_id}/release", |r| r.post(release));
}

fn ticket_response(status: StatusCode, ticket: &Ticket) -> HttpResponse {
    with_etag(status, ticket.version, ticket)
}

/// A board's tickets, filtered and paginated; ordered by column position, numeric priority, id.
#[utoipa::path(
    get,
    path = "/api/tickets",
    operation_id = "list_tickets",
    tag = "tickets",
    params(
        ListTickets,
    ),
    responses(
        (status = 200, description = "One page of tickets", body = Page<Ticket>),
        (status = 404, description = "Unknown board", body = crate::error::ErrorEnvelope),
    ),
    security(("bearer" = [])),
)]
async fn list(
    state: web::Data<ApiState>,
    _reader: Authorized<gate::Read>,
    query: QueryParams<ListTickets>,
) -> Result<HttpResponse, ApiError> {
    let (query, page) = query.into_inner().validate()?;
    let key = PageKey {
        board: query.board_id.get(),
        column: query.column.clone(),
        assignee: query.assignee.as_ref().map(ToString::to_string),
        page: page.page(),
        page_size: page.page_size(),
    };
    // The board's stamp first, on this worker thread (one primary-key read): a page computed
    // after it shows that state or a later one, so a page kept at this stamp is an answer.
    let board_id = query.board_id;
    let stamp = state.read_here(|s| {
        s.repositories
            .events
            .last_seq(board_id)
            .map_err(DomainError::from)
    })?;
    let body = match state.pages.lookup(&key, stamp) {
        Lookup::Page(body) => body,
        // A small board's page, computed right here: cheaper than the hop to the blocking pool
        // and back, which a stream of changes would otherwise make for most pages.
        Lookup::Stale { matching }
            if matching <= PAGE_HERE_MAX && key.column.is_none() && key.assignee.is_none() =>
        {
            state.read_here(|s| {
                compute_page(
                    s,
                    &state.pages,
                    &state.ticket_bodies,
                    key,
                    stamp,
                    &query,
                    page,
                )
            })?
        }
        Lookup::Stale { .. } | Lookup::Unknown => {
            let (pages, bodies) = (state.pages.clone(), state.ticket_bodies.clone());
            // Not on the worker thread: a page counts the board's matching tickets and walks
            // its offset, which grows with the board (milliseconds for tens of thousands).
            state
                .read(move |s| -> Result<Bytes, ApiError> {
                    // Computed meanwhile by a request that came later (see `page_cache`).
                    if let Some(body) = pages.get(&key, stamp) {
                        return Ok(body);
                    }
                    compute_page(s, &pages, &bodies, key, stamp, &query, page)
                })
                .await?
        }
    };
    Ok(HttpResponse::Ok()
        .insert_header(ContentType::json())
        .body(body))
}

/// The most tickets a page's listing may have matched, when last computed, for the page to be
/// computed again on the worker thread: counting them and walking to the page's offset take
/// tens of microseconds, where a slow page would hold up every connection of the worker.
const PAGE_HERE_MAX: u64 = 2_000;

/// What a page computed afresh holds already: the tickets' JSON kept at their versions (those
/// found are taken out, for the page), and the listing's count at a stamp.
struct Held<'a> {
    bodies: &'a TicketBodies,
    pages: &'a PageCache,
    key: &'a PageKey,
    found: HashMap<TicketId, Arc<RawValue>>,
}

impl Holding for Held<'_> {
    fn holds(&mut self, id: TicketId, version: i64) -> bool {
        self.bodies
            .get(id, version)
            .map(|body| self.found.insert(id, body))
            .is_some()
    }

    fn matching_at(&mut self, stamp: i64) -> Option<u64> {
        self.pages.matching_at(self.key, stamp)
    }

    fn counted(&mut self, stamp: i64, matching: u64) {
        self.pages.counted(self.key, stamp, matching);
    }
}

/// The JSON of `ticket`, kept in `bodies` at its version for the pages and reads after.
fn encode_and_keep(bodies: &TicketBodies, ticket: &Ticket) -> Result<Arc<RawValue>, ApiError> {
    let body: Arc<RawValue> = serde_json::value::to_raw_value(ticket)
        .map_err(ApiError::internal)?
        .into();
    bodies.put(ticket.id, ticket.version, body.clone());
    Ok(body)
}

/// Computes the page of `key` as of `stamp` or later, and keeps it.
fn compute_page(
    s: &Services,
    pages: &PageCache,
    bodies: &TicketBodies,
    key: PageKey,
    stamp: i64,
    query: &TicketListQuery,
    page: PageRequest,
) -> Result<Bytes, ApiError> {
    // Tickets encoded at their current version already are not read again, nor counted again
    // at a stamp they were counted at.
    let mut held = Held {
        bodies,
        pages,
        key: &key,
        found: HashMap::new(),
    };
    let page = s
        .tickets
        .list(query, page, &mut held)
        .map_err(|e| ApiError::from_domain_at(e, "query"))?;
    let mut found = held.found;
    let page = page.try_map(|listed| match listed {
        Listed::Held { id, .. } => found
            .remove(&id)
            .ok_or_else(|| ApiError::internal("a held ticket's body is gone")),
        Listed::Read(ticket) => encode_and_keep(bodies, &ticket),
    })?;
    // Sized up front: the tickets' JSON and the page's few fields. Grown from empty, the buffer
    // was copied again at every doubling.
    let size = page
        .items
        .iter()
        .map(|body| body.get().len() + 1)
        .sum::<usize>();
    let mut json = Vec::with_capacity(size + 160);
    serde_json::to_writer(&mut json, &page).map_err(ApiError::internal)?;
    let body = Bytes::from(json);
    pages.put(key, stamp, page.total, body.clone());
    Ok(body)
}

/// One ticket.
#[utoipa::path(
    get,
    path = "/api/tickets/{ticket_id}",
    operation_id = "get_ticket",
    tag = "tickets",
    params(
        ("ticket_id" = i64, Path, minimum = 1, maximum = 9223372036854775807i64, description = "The ticket"),
    ),
    responses(
        (status = 200, description = "The ticket", body = Ticket, headers(("ETag" = String, description = "The version, quoted: `\"3\"`"))),
    ),
    security(("bearer" = [])),
)]
async fn get(
    state: web::Data<ApiState>,
    _reader: Authorized<gate::Read>,
    id: web::Path<PathId>,
) -> Result<HttpResponse, ApiError> {
    let id = TicketId::new(id.into_inner().get());
    let ticket = state.read_here(|s| s.tickets.get(id))?;
    // The JSON kept for pages (`page_cache::TicketBodies`) when it is of this version.
    let body = match state.ticket_bodies.get(ticket.id, ticket.version) {
        Some(body) => body,
        None => encode_and_keep(&state.ticket_bodies, &ticket)?,
    };
    Ok(HttpResponse::Ok()
        .insert_header(etag(ticket.version))
        .insert_header(ContentType::json())
        .body(Bytes::copy_from_slice(body.get().as_bytes())))
}

/// Creates a ticket (agent, pm, admin).
#[utoipa::path(
    post,
    path = "/api/tickets",
    operation_id = "create_ticket",
    tag = "tickets",
    request_body = CreateTicket,
    responses(
        (status = 201, description = "The ticket", body = Ticket, headers(("ETag" = String, description = "The version, quoted: `\"1\"`"), ("Location" = String, description = "`/api/tickets/{id}`"))),
        (status = 403, description = "The caller's role may not do this", body = crate::error::ErrorEnvelope),
        (status = 404, description = "Unknown board", body = crate::error::ErrorEnvelope),
        (status = 409, description = "Concurrent writers kept winning", body = crate::error::ErrorEnvelope),
    ),
    security(("bearer" = [])),
)]
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

/// Changes a ticket's fields; only sent fields change. Agents change only their own or unassigned
/// tickets.
#[utoipa::path(
    put,
    path = "/api/tickets/{ticket_id}",
    operation_id = "update_ticket",
    tag = "tickets",
    params(
        ("ticket_id" = i64, Path, minimum = 1, maximum = 9223372036854775807i64, description = "The ticket"),
        ("If-Match" = Option<String>, Header, description = "Apply only at this version: `\"3\"`, `W/\"3\"`, `3`, a list, or `*`; a stale one is 412"),
    ),
    request_body = UpdateTicket,
    responses(
        (status = 200, description = "The ticket", body = Ticket, headers(("ETag" = String, description = "The version, quoted: `\"3\"`"))),
        (status = 403, description = "The caller's role may not do this", body = crate::error::ErrorEnvelope),
        (status = 409, description = "Concurrent writers kept winning", body = crate::error::ErrorEnvelope),
        (status = 412, description = "`If-Match` does not match the current version", body = crate::error::ErrorEnvelope),
    ),
    security(("bearer" = [])),
)]
async fn update(
    state: web::Data<ApiState>,
    actor: Authorized<gate::ChangeTickets>,
    id: web::Path<PathId>,
    if_match: IfMatch,
    body: JsonBody<UpdateTicket>,
) -> Result<HttpResponse, ApiError> {
    let id = TicketId::new(id.into_inner().get());
    let patch = body.into_inner().validate()?;
    let actor = actor.actor();
    let ticket = state
        .write(move |s| s.tickets.update(&actor, id, &patch, if_match.as_ref()))
        .await?;
    Ok(ticket_response(StatusCode::OK, &ticket))
}

/// Moves a ticket to another column of its board; a move to its own column changes nothing.
#[utoipa::path(
    post,
    path = "/api/tickets/{ticket_id}/move",
    operation_id = "move_ticket",
    tag = "tickets",
    params(
        ("ticket_id" = i64, Path, minimum = 1, maximum = 9223372036854775807i64, description = "The ticket"),
        ("If-Match" = Option<String>, Header, description = "Apply only at this version: `\"3\"`, `W/\"3\"`, `3`, a list, or `*`; a stale one is 412"),
    ),
    request_body = MoveTicket,
    responses(
        (status = 200, description = "The ticket", body = Ticket, headers(("ETag" = String, description = "The version, quoted: `\"3\"`"))),
        (status = 403, description = "The caller's role may not do this", body = crate::error::ErrorEnvelope),
        (status = 409, description = "Concurrent writers kept winning", body = crate::error::ErrorEnvelope),
        (status = 412, description = "`If-Match` does not match the current version", body = crate::error::ErrorEnvelope),
    ),
    security(("bearer" = [])),
)]
async fn move_ticket(
    state: web::Data<ApiState>,
    actor: Authorized<gate::ChangeTickets>,
    id: web::Path<PathId>,
    if_match: IfMatch,
    body: JsonBody<MoveTicket>,
) -> Result<HttpResponse, ApiError> {
    let id = TicketId::new(id.into_inner().get());
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

/// Assigns an unassigned ticket, atomically: of concurrent claims exactly one wins.
#[utoipa::path(
    post,
    path = "/api/tickets/{ticket_id}/claim",
    operation_id = "claim_ticket",
    tag = "tickets",
    params(
        ("ticket_id" = i64, Path, minimum = 1, maximum = 9223372036854775807i64, description = "The ticket"),
        ClaimQuery,
        ("If-Match" = Option<String>, Header, description = "Apply only at this version: `\"3\"`, `W/\"3\"`, `3`, a list, or `*`; a stale one is 412"),
    ),
    responses(
        (status = 200, description = "The ticket", body = Ticket, headers(("ETag" = String, description = "The version, quoted: `\"3\"`"))),
        (status = 403, description = "The role may not claim, or an agent claims for someone else", body = crate::error::ErrorEnvelope),
        (status = 409, description = "The ticket is already claimed", body = crate::error::ErrorEnvelope),
        (status = 412, description = "`If-Match` does not match the current version", body = crate::error::ErrorEnvelope),
    ),
    security(("bearer" = [])),
)]
async fn claim(
    state: web::Data<ApiState>,
    actor: Authorized<gate::Claim>,
    id: web::Path<PathId>,
    query: QueryParams<ClaimQuery>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    let id = TicketId::new(id.into_inner().get());
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

/// Clears a ticket's assignee (the assignee, pm or admin).
#[utoipa::path(
    post,
    path = "/api/tickets/{ticket_id}/release",
    operation_id = "release_ticket",
    tag = "tickets",
    params(
        ("ticket_id" = i64, Path, minimum = 1, maximum = 9223372036854775807i64, description = "The ticket"),
        ("If-Match" = Option<String>, Header, description = "Apply only at this version: `\"3\"`, `W/\"3\"`, `3`, a list, or `*`; a stale one is 412"),
    ),
    responses(
        (status = 200, description = "The ticket", body = Ticket, headers(("ETag" = String, description = "The version, quoted: `\"3\"`"))),
        (status = 403, description = "The caller's role may not do this", body = crate::error::ErrorEnvelope),
        (status = 409, description = "Concurrent writers kept winning", body = crate::error::ErrorEnvelope),
        (status = 412, description = "`If-Match` does not match the current version", body = crate::error::ErrorEnvelope),
    ),
    security(("bearer" = [])),
)]
async fn release(
    state: web::Data<ApiState>,
    actor: Authorized<gate::Claim>,
    id: web::Path<PathId>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    let id = TicketId::new(id.into_inner().get());
    let actor = actor.actor();
    let ticket = state
        .write(move |s| s.tickets.release(&actor, id, if_match.as_ref()))
        .await?;
    Ok(ticket_response(StatusCode::OK, &ticket))
}

/// Deletes a ticket with its comments and history (pm, admin).
#[utoipa::path(
    delete,
    path = "/api/tickets/{ticket_id}",
    operation_id = "delete_ticket",
    tag = "tickets",
    params(
        ("ticket_id" = i64, Path, minimum = 1, maximum = 9223372036854775807i64, description = "The ticket"),
        ("If-Match" = Option<String>, Header, description = "Apply only at this version: `\"3\"`, `W/\"3\"`, `3`, a list, or `*`; a stale one is 412"),
    ),
    responses(
        (status = 200, description = "Deleted", body = super::Message),
        (status = 403, description = "The caller's role may not do this", body = crate::error::ErrorEnvelope),
        (status = 409, description = "Concurrent writers kept winning", body = crate::error::ErrorEnvelope),
        (status = 412, description = "`If-Match` does not match the current version", body = crate::error::ErrorEnvelope),
    ),
    security(("bearer" = [])),
)]
async fn delete(
    state: web::Data<ApiState>,
    actor: Authorized<gate::DeleteTickets>,
    id: web::Path<PathId>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    let id = TicketId::new(id.into_inner().get());
    let actor = actor.actor();
    let ticket = state
        .write(move |s| s.tickets.delete(&actor, id, if_match.as_ref()))
        .await?;
    Ok(message(format!("Ticket {} deleted", ticket.id)))
}
