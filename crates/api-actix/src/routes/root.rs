//! `GET /`: what this service is.

use crate::state::ApiState;
use actix_web::{HttpResponse, web};
use serde_json::json;

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(root));
}

async fn root(state: web::Data<ApiState>) -> HttpResponse {
    HttpResponse::Ok().json(json!({
        "message": "Agent Kanban Board API",
        "version": state.config.version,
    }))
}
