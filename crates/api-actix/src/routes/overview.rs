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
use serde_json::{Map, Value, json};

/// How many of the latest changes the overview lists.
const RECENT_ACTIVITY: u32 = 10;

pub(super) fn configure(routes: &mut Routes<'_>) {
    routes.resource("/api/health", |r| r.get(overview));
}

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
    let distribution: Map<String, Value> = inventory
        .tickets_by_column
        .into_iter()
        .map(|(column, n)| (column, json!(n)))
        .collect();
    let hub = state.live.stats();
    Ok(HttpResponse::Ok().json(json!({
        "status": "healthy",
        "timestamp": format_timestamp(&state.services.clock.now()),
        "server": {
            "name": "Agent Kanban",
            "version": state.config.version,
            "environment": state.config.environment,
            "uptime": state.started.elapsed().as_secs(),
        },
        "database": {
            "status": "connected",
            "statistics": {
                "boards": inventory.boards,
                "tickets": inventory.tickets,
                "comments": inventory.comments,
                "users": inventory.users,
                "history_entries": inventory.history_entries,
                "ticket_distribution": distribution,
            },
        },
        "websocket": {
            "status": "available",
            "active_connections": hub.total_connections,
            "total_messages_sent": hub.total_messages_sent,
        },
        "recent_activity": recent,
    })))
}
