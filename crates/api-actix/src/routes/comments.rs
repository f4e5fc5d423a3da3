//! `/api/comments` (contract §4).

use super::message;
use super::table::Routes;
use crate::auth::{Authorized, gate};
use crate::dto::comments::CreateComment;
use crate::error::ApiError;
use crate::extract::{JsonBody, PathId};
use crate::state::ApiState;
use actix_web::{HttpResponse, web};
use kanban_domain::{Comment, CommentId, TicketId};

pub(super) fn configure(routes: &mut Routes<'_>) {
    routes.resource("/api/comments", |r| r.post(create));
    routes.resource("/api/comments/ticket/{ticket_id}", |r| r.get(for_ticket));
    routes.resource("/api/comments/{comment_id}", |r| r.delete(delete));
}

/// A ticket's comments, oldest first.
#[utoipa::path(
    get,
    path = "/api/comments/ticket/{ticket_id}",
    operation_id = "list_comments",
    tag = "comments",
    params(
        ("ticket_id" = i64, Path, minimum = 1, maximum = 9223372036854775807i64, description = "The ticket"),
    ),
    responses(
        (status = 200, description = "The comments", body = Vec<Comment>),
    ),
    security(("bearer" = [])),
)]
async fn for_ticket(
    state: web::Data<ApiState>,
    _reader: Authorized<gate::Read>,
    id: web::Path<PathId>,
) -> Result<HttpResponse, ApiError> {
    let id = TicketId::new(id.into_inner().get());
    let comments = state.read(move |s| s.comments.for_ticket(id)).await?;
    Ok(HttpResponse::Ok().json(comments))
}

/// Comments on a ticket (agent, pm, admin); the author is the caller.
#[utoipa::path(
    post,
    path = "/api/comments",
    operation_id = "create_comment",
    tag = "comments",
    request_body = CreateComment,
    responses(
        (status = 201, description = "The comment", body = Comment),
        (status = 403, description = "The caller's role may not do this", body = crate::error::ErrorEnvelope),
        (status = 404, description = "Unknown ticket", body = crate::error::ErrorEnvelope),
    ),
    security(("bearer" = [])),
)]
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

/// Deletes a comment (its author, pm or admin).
#[utoipa::path(
    delete,
    path = "/api/comments/{comment_id}",
    operation_id = "delete_comment",
    tag = "comments",
    params(
        ("comment_id" = i64, Path, minimum = 1, maximum = 9223372036854775807i64, description = "The comment"),
    ),
    responses(
        (status = 200, description = "Deleted", body = super::Message),
        (status = 403, description = "The caller's role may not do this", body = crate::error::ErrorEnvelope),
    ),
    security(("bearer" = [])),
)]
async fn delete(
    state: web::Data<ApiState>,
    actor: Authorized<gate::Contribute>,
    id: web::Path<PathId>,
) -> Result<HttpResponse, ApiError> {
    let id = CommentId::new(id.into_inner().get());
    let actor = actor.actor();
    let comment = state.write(move |s| s.comments.delete(&actor, id)).await?;
    Ok(message(format!("Comment {} deleted", comment.id)))
}
