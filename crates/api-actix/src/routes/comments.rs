//! `/api/comments` (contract §4).

use super::message;
use crate::auth::{Authorized, gate};
use crate::dto::comments::CreateComment;
use crate::error::ApiError;
use crate::extract::JsonBody;
use crate::state::ApiState;
use actix_web::{HttpResponse, web};
use kanban_domain::{CommentId, TicketId};

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("").post(create))
        .service(web::resource("/ticket/{ticket_id}").get(for_ticket))
        .service(web::resource("/{comment_id}").delete(delete));
}

async fn for_ticket(
    state: web::Data<ApiState>,
    _reader: Authorized<gate::Read>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = TicketId::new(id.into_inner());
    let comments = state.read(move |s| s.comments.for_ticket(id)).await?;
    Ok(HttpResponse::Ok().json(comments))
}

async fn create(
    state: web::Data<ApiState>,
    actor: Authorized<gate::Contribute>,
    body: JsonBody<CreateComment>,
) -> Result<HttpResponse, ApiError> {
    let (ticket_id, text) = body.into_inner().validate()?;
    let actor = actor.actor();
    let comment = state
        .write(move |s| s.comments.add(&actor, ticket_id, &text))
        .await?;
    Ok(HttpResponse::Created().json(comment))
}

async fn delete(
    state: web::Data<ApiState>,
    actor: Authorized<gate::Contribute>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = CommentId::new(id.into_inner());
    let actor = actor.actor();
    let comment = state.write(move |s| s.comments.delete(&actor, id)).await?;
    Ok(message(format!("Comment {} deleted", comment.id)))
}
