//! `GET /api/health/`: the authenticated overview of a running server (contract §9): what it
//! runs, what the database holds, its WebSocket connections and the latest changes.

use super::table::Routes;
use crate::auth::{Authorized, gate};
use crate::error::ApiError;
use crate::state::ApiState;
use actix_web::{HttpResponse, web};
use kanban_domain::history::Activity;
use kanban_domain::ports::Inventory;
use kanban_domain::time::format_timestamp;
use serde::Serialize;
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// How many of the latest changes the overview lists.
const RECENT_ACTIVITY: u32 = 10;

pub(super) fn configure(routes: &mut Routes<'_>) {
    routes.resource("/api/health", |r| r.get(overview));
}

/// `GET /api/health/`.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Overview {
    #[schema(examples("healthy"))]
    status: &'static str,
    #[schema(format = DateTime)]
    timestamp: String,
    server: ServerInfo,
    database: DatabaseOverview,
    websocket: LiveOverview,
    /// The ten newest history rows across every board, newest first.
    recent_activity: Vec<Activity>,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ServerInfo {
    #[schema(examples("Agent Kanban"))]
    name: &'static str,
    version: String,
    /// `KANBAN_ENV`.
    #[schema(examples("production"))]
    environment: String,
    /// Whole seconds since the server started.
    uptime: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct DatabaseOverview {
    #[schema(examples("connected"))]
    status: &'static str,
    statistics: DatabaseCounts,
}

/// What the database holds, counted on each call.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct DatabaseCounts {
    boards: u64,
    tickets: u64,
    comments: u64,
    users: u64,
    history_entries: u64,
    /// Tickets per column name across every board (columns of the same name add up).
    ticket_distribution: BTreeMap<String, u64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct LiveOverview {
    #[schema(examples("available"))]
    status: &'static str,
    active_connections: usize,
    /// Frames sent to clients since the server started.
    total_messages_sent: u64,
}

/// The server's version, environment and uptime, what the database holds, the WebSocket
/// connections and the ten latest changes (any role).
#[utoipa::path(
    get,
    path = "/api/health",
    operation_id = "server_overview",
    tag = "service",
    responses(
        (status = 200, description = "The overview", body = Overview),
    ),
    security(("bearer" = [])),
)]
async fn overview(
    state: web::Data<ApiState>,
    _reader: Authorized<gate::Read>,
) -> Result<HttpResponse, ApiError> {
    let (inventory, recent): (Inventory, Vec<Activity>) = state
        .read(|s| -> Result<_, kanban_domain::DomainError> {
            let inventory = s.repositories.health.inventory()?;
            let recent = s.history.recent_activity(RECENT_ACTIVITY)?;
            Ok((inventory, recent))
        })
        .await?;
    let hub = state.live.stats();
    Ok(HttpResponse::Ok().json(Overview {
        status: "healthy",
        timestamp: format_timestamp(&state.services.clock.now()),
        server: ServerInfo {
            name: "Agent Kanban",
            version: state.config.version.clone(),
            environment: state.config.environment.clone(),
            uptime: state.started.elapsed().as_secs(),
        },
        database: DatabaseOverview {
            status: "connected",
            statistics: DatabaseCounts {
                boards: inventory.boards,
                tickets: inventory.tickets,
                comments: inventory.comments,
                users: inventory.users,
                history_entries: inventory.history_entries,
                ticket_distribution: inventory.tickets_by_column.into_iter().collect(),
            },
        },
        websocket: LiveOverview {
            status: "available",
            active_connections: hub.total_connections,
            total_messages_sent: hub.total_messages_sent,
        },
        recent_activity: recent,
    }))
}
