//! `/api/boards`: boards, their columns and their tickets (contract §2).

use super::table::Routes;
use super::{message, with_etag};
use crate::auth::{Authorized, gate};
use crate::dto::boards::{ColumnsQuery, CreateBoard, RenameColumn, UpdateBoard, validate_columns};
use crate::error::ApiError;
use crate::extract::{IfMatch, JsonBody, PathId, QueryParams};
use crate::state::ApiState;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, web};
use kanban_domain::services::BoardTickets;
use kanban_domain::values::Columns;
use kanban_domain::{BoardId, BoardView};
use serde::Serialize;

pub(super) fn configure(routes: &mut Routes<'_>) {
    routes.resource("/api/boards", |r| r.get(list).post(create));
    // `default` before `{board_id}`, so it is not taken for an id.
    routes.resource("/api/boards/default", |r| r.get(default_board));
    routes.resource("/api/boards/default/tickets", |r| r.get(default_tickets));
    routes.resource("/api/boards/{board_id}", |r| {
        r.get(get).put(update).delete(delete)
    });
    routes.resource("/api/boards/{board_id}/columns", |r| {
        r.get(columns).put(set_columns)
    });
    routes.resource("/api/boards/{board_id}/columns/rename", |r| {
        r.post(rename_column)
    });
    routes.resource("/api/boards/{board_id}/tickets", |r| r.get(tickets));
}

/// `{message, columns}`: a board's columns after a change.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct ColumnsUpdated {
    message: String,
    columns: Columns,
}

/// Every board, ordered by id.
#[utoipa::path(
    get,
    path = "/api/boards",
    operation_id = "list_boards",
    tag = "boards",
    responses(
        (status = 200, description = "The boards", body = Vec<BoardView>),
    ),
    security(("bearer" = [])),
)]
async fn list(
    state: web::Data<ApiState>,
    _reader: Authorized<gate::Read>,
) -> Result<HttpResponse, ApiError> {
    let boards = state.read(|s| s.boards.list()).await?;
    Ok(HttpResponse::Ok().json(boards))
}

/// The board with the lowest id.
#[utoipa::path(
    get,
    path = "/api/boards/default",
    operation_id = "get_default_board",
    tag = "boards",
    responses(
        (status = 200, description = "The board", body = BoardView, headers(("ETag" = String, description = "The version, quoted: `\"3\"`"))),
        (status = 404, description = "There is no board", body = crate::error::ErrorEnvelope),
    ),
    security(("bearer" = [])),
)]
async fn default_board(
    state: web::Data<ApiState>,
    _reader: Authorized<gate::Read>,
) -> Result<HttpResponse, ApiError> {
    let board = state.read(|s| s.boards.default_board()).await?;
    Ok(with_etag(StatusCode::OK, board.board.version, &board))
}

/// One board.
#[utoipa::path(
    get,
    path = "/api/boards/{board_id}",
    operation_id = "get_board",
    tag = "boards",
    params(
        ("board_id" = i64, Path, minimum = 1, maximum = 9223372036854775807i64, description = "The board"),
    ),
    responses(
        (status = 200, description = "The board", body = BoardView, headers(("ETag" = String, description = "The version, quoted: `\"3\"`"))),
    ),
    security(("bearer" = [])),
)]
async fn get(
    state: web::Data<ApiState>,
    _reader: Authorized<gate::Read>,
    id: web::Path<PathId>,
) -> Result<HttpResponse, ApiError> {
    let id = BoardId::new(id.into_inner().get());
    let board = state.read(move |s| s.boards.get(id)).await?;
    Ok(with_etag(StatusCode::OK, board.board.version, &board))
}

/// Creates a board (pm, admin).
#[utoipa::path(
    post,
    path = "/api/boards",
    operation_id = "create_board",
    tag = "boards",
    request_body = CreateBoard,
    responses(
        (status = 201, description = "The board", body = BoardView, headers(("ETag" = String, description = "The version, quoted: `\"1\"`"), ("Location" = String, description = "`/api/boards/{id}`"))),
        (status = 403, description = "The caller's role may not do this", body = crate::error::ErrorEnvelope),
    ),
    security(("bearer" = [])),
)]
async fn create(
    state: web::Data<ApiState>,
    actor: Authorized<gate::ManageBoards>,
    body: JsonBody<CreateBoard>,
) -> Result<HttpResponse, ApiError> {
    let input = body.into_inner().validate()?;
    let actor = actor.actor();
    let board = state
        .write(move |s| s.boards.create(&actor, &input))
        .await?;
    let mut response = with_etag(StatusCode::CREATED, board.board.version, &board);
    if let Ok(location) = header::HeaderValue::from_str(&format!("/api/boards/{}", board.board.id))
    {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

/// Changes a board's name, description or columns (pm, admin); only sent fields change.
#[utoipa::path(
    put,
    path = "/api/boards/{board_id}",
    operation_id = "update_board",
    tag = "boards",
    params(
        ("board_id" = i64, Path, minimum = 1, maximum = 9223372036854775807i64, description = "The board"),
        ("If-Match" = Option<String>, Header, description = "Apply only at this version: `\"3\"`, `W/\"3\"`, `3`, a list, or `*`; a stale one is 412"),
    ),
    request_body = UpdateBoard,
    responses(
        (status = 200, description = "The board", body = BoardView, headers(("ETag" = String, description = "The version, quoted: `\"3\"`"))),
        (status = 403, description = "The caller's role may not do this", body = crate::error::ErrorEnvelope),
        (status = 409, description = "A removed column still holds tickets, or concurrent writers kept winning", body = crate::error::ErrorEnvelope),
        (status = 412, description = "`If-Match` does not match the current version", body = crate::error::ErrorEnvelope),
    ),
    security(("bearer" = [])),
)]
async fn update(
    state: web::Data<ApiState>,
    actor: Authorized<gate::ManageBoards>,
    id: web::Path<PathId>,
    if_match: IfMatch,
    body: JsonBody<UpdateBoard>,
) -> Result<HttpResponse, ApiError> {
    let id = BoardId::new(id.into_inner().get());
    let patch = body.into_inner().validate()?;
    let actor = actor.actor();
    let board = state
        .write(move |s| s.boards.update(&actor, id, &patch, if_match.as_ref()))
        .await?;
    Ok(with_etag(StatusCode::OK, board.board.version, &board))
}

/// Deletes a board with its tickets, comments and history (pm, admin).
#[utoipa::path(
    delete,
    path = "/api/boards/{board_id}",
    operation_id = "delete_board",
    tag = "boards",
    params(
        ("board_id" = i64, Path, minimum = 1, maximum = 9223372036854775807i64, description = "The board"),
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
    actor: Authorized<gate::ManageBoards>,
    id: web::Path<PathId>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    let id = BoardId::new(id.into_inner().get());
    let actor = actor.actor();
    let board = state
        .write(move |s| s.boards.delete(&actor, id, if_match.as_ref()))
        .await?;
    Ok(message(format!("Board '{}' deleted", board.name)))
}

/// A board's columns, in order.
#[utoipa::path(
    get,
    path = "/api/boards/{board_id}/columns",
    operation_id = "get_columns",
    tag = "boards",
    params(
        ("board_id" = i64, Path, minimum = 1, maximum = 9223372036854775807i64, description = "The board"),
    ),
    responses(
        (status = 200, description = "The columns", body = Columns, headers(("ETag" = String, description = "The version, quoted: `\"3\"`"))),
    ),
    security(("bearer" = [])),
)]
async fn columns(
    state: web::Data<ApiState>,
    _reader: Authorized<gate::Read>,
    id: web::Path<PathId>,
) -> Result<HttpResponse, ApiError> {
    let id = BoardId::new(id.into_inner().get());
    let board = state.read(move |s| s.boards.get(id)).await?;
    Ok(with_etag(
        StatusCode::OK,
        board.board.version,
        &board.board.columns,
    ))
}

/// Replaces a board's columns (pm, admin). A column that still holds tickets cannot be removed
/// unless `move_to` says where they go; a rename here is a remove plus an add (use
/// `/columns/rename`).
#[utoipa::path(
    put,
    path = "/api/boards/{board_id}/columns",
    operation_id = "set_columns",
    tag = "boards",
    params(
        ("board_id" = i64, Path, minimum = 1, maximum = 9223372036854775807i64, description = "The board"),
        ColumnsQuery,
        ("If-Match" = Option<String>, Header, description = "Apply only at this version: `\"3\"`, `W/\"3\"`, `3`, a list, or `*`; a stale one is 412"),
    ),
    request_body = Columns,
    responses(
        (status = 200, description = "The new columns", body = ColumnsUpdated, headers(("ETag" = String, description = "The version, quoted: `\"3\"`"))),
        (status = 403, description = "The caller's role may not do this", body = crate::error::ErrorEnvelope),
        (status = 409, description = "A removed column still holds tickets (named in the message)", body = crate::error::ErrorEnvelope),
        (status = 412, description = "`If-Match` does not match the current version", body = crate::error::ErrorEnvelope),
    ),
    security(("bearer" = [])),
)]
async fn set_columns(
    state: web::Data<ApiState>,
    actor: Authorized<gate::ManageBoards>,
    id: web::Path<PathId>,
    query: QueryParams<ColumnsQuery>,
    if_match: IfMatch,
    body: JsonBody<Vec<String>>,
) -> Result<HttpResponse, ApiError> {
    let id = BoardId::new(id.into_inner().get());
    let columns = validate_columns(&body.into_inner())?;
    let move_to = query.into_inner().move_to.filter(|m| !m.trim().is_empty());
    let actor = actor.actor();
    let board = state
        .write(move |s| {
            s.boards
                .set_columns(&actor, id, &columns, move_to.as_deref(), if_match.as_ref())
                .map_err(|e| ApiError::from_domain_at(e, "query"))
        })
        .await?;
    Ok(with_etag(
        StatusCode::OK,
        board.board.version,
        &ColumnsUpdated {
            message: "Columns updated".to_owned(),
            columns: board.board.columns,
        },
    ))
}

/// Renames a column in place; its tickets follow (pm, admin).
#[utoipa::path(
    post,
    path = "/api/boards/{board_id}/columns/rename",
    operation_id = "rename_column",
    tag = "boards",
    params(
        ("board_id" = i64, Path, minimum = 1, maximum = 9223372036854775807i64, description = "The board"),
        ("If-Match" = Option<String>, Header, description = "Apply only at this version: `\"3\"`, `W/\"3\"`, `3`, a list, or `*`; a stale one is 412"),
    ),
    request_body = RenameColumn,
    responses(
        (status = 200, description = "The new columns", body = ColumnsUpdated, headers(("ETag" = String, description = "The version, quoted: `\"3\"`"))),
        (status = 403, description = "The caller's role may not do this", body = crate::error::ErrorEnvelope),
        (status = 409, description = "Concurrent writers kept winning", body = crate::error::ErrorEnvelope),
        (status = 412, description = "`If-Match` does not match the current version", body = crate::error::ErrorEnvelope),
    ),
    security(("bearer" = [])),
)]
async fn rename_column(
    state: web::Data<ApiState>,
    actor: Authorized<gate::ManageBoards>,
    id: web::Path<PathId>,
    if_match: IfMatch,
    body: JsonBody<RenameColumn>,
) -> Result<HttpResponse, ApiError> {
    let id = BoardId::new(id.into_inner().get());
    let (from, to) = body.into_inner().validate()?;
    let actor = actor.actor();
    let message = format!("Column '{}' renamed to '{to}'", from.trim());
    let board = state
        .write(move |s| {
            s.boards
                .rename_column(&actor, id, &from, &to, if_match.as_ref())
        })
        .await?;
    Ok(with_etag(
        StatusCode::OK,
        board.board.version,
        &ColumnsUpdated {
            message,
            columns: board.board.columns,
        },
    ))
}

/// A board's tickets, in board order (column position, numeric priority, creation).
#[utoipa::path(
    get,
    path = "/api/boards/{board_id}/tickets",
    operation_id = "list_board_tickets",
    tag = "boards",
    params(
        ("board_id" = i64, Path, minimum = 1, maximum = 9223372036854775807i64, description = "The board"),
    ),
    responses(
        (status = 200, description = "The tickets", body = BoardTickets),
    ),
    security(("bearer" = [])),
)]
async fn tickets(
    state: web::Data<ApiState>,
    _reader: Authorized<gate::Read>,
    id: web::Path<PathId>,
) -> Result<HttpResponse, ApiError> {
    let id = BoardId::new(id.into_inner().get());
    let tickets = state
        .read(move |s| s.tickets.board_tickets(Some(id)))
        .await?;
    Ok(HttpResponse::Ok().json(tickets))
}

/// The tickets of the board with the lowest id.
#[utoipa::path(
    get,
    path = "/api/boards/default/tickets",
    operation_id = "list_default_board_tickets",
    tag = "boards",
    responses(
        (status = 200, description = "The tickets", body = BoardTickets),
        (status = 404, description = "There is no board", body = crate::error::ErrorEnvelope),
    ),
    security(("bearer" = [])),
)]
async fn default_tickets(
    state: web::Data<ApiState>,
    _reader: Authorized<gate::Read>,
) -> Result<HttpResponse, ApiError> {
    let tickets = state.read(|s| s.tickets.board_tickets(None)).await?;
    Ok(HttpResponse::Ok().json(tickets))
}
