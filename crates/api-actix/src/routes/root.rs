//! `GET /`: what this service is.

use super::table::Routes;
use crate::state::ApiState;
use actix_web::{HttpResponse, web};
use serde::Serialize;

pub(super) fn configure(routes: &mut Routes<'_>) {
    routes.resource("/", |r| r.get(root));
}

/// `{message, version}` of `GET /`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct ServiceInfo {
    #[schema(examples("Agent Kanban Board API"))]
    message: &'static str,
    #[schema(examples("0.1.0"))]
    version: String,
}

/// What this service is, and its version.
#[utoipa::path(
    get,
    path = "/",
    operation_id = "service_root",
    tag = "service",
    responses((status = 200, description = "The service's name and version", body = ServiceInfo)),
)]
async fn root(state: web::Data<ApiState>) -> HttpResponse {
    HttpResponse::Ok().json(ServiceInfo {
        message: "Agent Kanban Board API",
        version: state.config.version.clone(),
    })
}
