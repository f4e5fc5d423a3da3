//! `/api/boards`: boards, their columns and their tickets (contract §2).

use super::{message, with_etag};
use crate::auth::{Authorized, gate};
use crate::dto::boards::{ColumnsQuery, CreateBoard, RenameColumn, UpdateBoard, validate_columns};
use crate::error::ApiError;
use crate::extract::{IfMatch, JsonBody, QueryParams};
use crate::state::ApiState;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, web};
use kanban_domain::BoardId;
use serde_json::json;

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("").get(list).post(create))
        .service(web::resource("/default").get(default_board))
        .service(web::resource("/default/tickets").get(default_tickets))
        .service(
            web::resource("/{board_id}")
                .get(get)
                .put(update)
                .delete(delete),
        )
        .service(
            web::resource("/{board_id}/columns")
                .get(columns)
                .put(set_columns),
        )
        .service(web::resource("/{board_id}/columns/rename").post(rename_column))
        .service(web::resource("/{board_id}/tickets").get(tickets));
}

async fn list(
    state: web::Data<ApiState>,
    _reader: Authorized<gate::Read>,
) -> Result<HttpResponse, ApiError> {
    let boards = state.read(|s| s.boards.list()).await?;
    Ok(HttpResponse::Ok().json(boards))
}

async fn default_board(
    state: web::Data<ApiState>,
    _reader: Authorized<gate::Read>,
) -> Result<HttpResponse, ApiError> {
    let board = state.read(|s| s.boards.default_board()).await?;
    Ok(with_etag(StatusCode::OK, board.board.version, &board))
}

async fn get(
    state: web::Data<ApiState>,
    _reader: Authorized<gate::Read>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = BoardId::new(id.into_inner());
    let board = state.read(move |s| s.boards.get(id)).await?;
    Ok(with_etag(StatusCode::OK, board.board.version, &board))
}

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

async fn update(
    state: web::Data<ApiState>,
    actor: Authorized<gate::ManageBoards>,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: JsonBody<UpdateBoard>,
) -> Result<HttpResponse, ApiError> {
    let id = BoardId::new(id.into_inner());
    let patch = body.into_inner().validate()?;
    let actor = actor.actor();
    let board = state
        .write(move |s| s.boards.update(&actor, id, &patch, if_match.as_ref()))
        .await?;
    Ok(with_etag(StatusCode::OK, board.board.version, &board))
}

async fn delete(
    state: web::Data<ApiState>,
    actor: Authorized<gate::ManageBoards>,
    id: web::Path<i64>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    let id = BoardId::new(id.into_inner());
    let actor = actor.actor();
    let board = state
        .write(move |s| s.boards.delete(&actor, id, if_match.as_ref()))
        .await?;
    Ok(message(format!("Board '{}' deleted", board.name)))
}

async fn columns(
    state: web::Data<ApiState>,
    _reader: Authorized<gate::Read>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = BoardId::new(id.into_inner());
    let board = state.read(move |s| s.boards.get(id)).await?;
    Ok(with_etag(
        StatusCode::OK,
        board.board.version,
        &board.board.columns,
    ))
}

async fn set_columns(
    state: web::Data<ApiState>,
    actor: Authorized<gate::ManageBoards>,
    id: web::Path<i64>,
    query: QueryParams<ColumnsQuery>,
    if_match: IfMatch,
    body: JsonBody<Vec<String>>,
) -> Result<HttpResponse, ApiError> {
    let id = BoardId::new(id.into_inner());
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
        &json!({"message": "Columns updated", "columns": board.board.columns}),
    ))
}

async fn rename_column(
    state: web::Data<ApiState>,
    actor: Authorized<gate::ManageBoards>,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: JsonBody<RenameColumn>,
) -> Result<HttpResponse, ApiError> {
    let id = BoardId::new(id.into_inner());
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
        &json!({"message": message, "columns": board.board.columns}),
    ))
}

async fn tickets(
    state: web::Data<ApiState>,
    _reader: Authorized<gate::Read>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = BoardId::new(id.into_inner());
    let tickets = state
        .read(move |s| s.tickets.board_tickets(Some(id)))
        .await?;
    Ok(HttpResponse::Ok().json(tickets))
}

async fn default_tickets(
    state: web::Data<ApiState>,
    _reader: Authorized<gate::Read>,
) -> Result<HttpResponse, ApiError> {
    let tickets = state.read(|s| s.tickets.board_tickets(None)).await?;
    Ok(HttpResponse::Ok().json(tickets))
}
