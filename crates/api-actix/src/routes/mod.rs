//! The route table of contract §1–§9 and the service root. One file per resource.

mod auth;
mod boards;
mod bulk;
mod comments;
mod health;
pub(crate) use health::rss_mb;
mod history;
mod metrics;
mod overview;
mod root;
mod statistics;
mod tickets;
mod users;
mod ws;

use crate::auth::RateLimiters;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, web};
use serde::Serialize;

/// Registers every route. Paths are written without a trailing slash; the app trims one from
/// each request before routing, so both spellings reach the same handler.
pub fn configure(cfg: &mut web::ServiceConfig, limiters: &RateLimiters) {
    root::configure(cfg);
    health::configure(cfg);
    overview::configure(cfg);
    metrics::configure(cfg);
    cfg.service(web::scope("/api/auth").configure(|cfg| auth::configure(cfg, limiters)))
        .service(web::scope("/api/users").configure(users::configure))
        .service(web::scope("/api/boards").configure(boards::configure))
        .service(web::scope("/api/tickets").configure(tickets::configure))
        .service(
            web::scope("/api/bulk")
                .wrap(limiters.bulk_limit())
                .configure(bulk::configure),
        )
        .service(web::scope("/api/comments").configure(comments::configure))
        .service(web::scope("/api/history").configure(history::configure))
        .service(web::scope("/api/statistics").configure(statistics::configure))
        .service(web::scope("/ws").configure(ws::configure));
}

/// A JSON response carrying the resource's version as its `ETag`.
fn with_etag(status: StatusCode, version: i64, body: &impl Serialize) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((header::ETAG, format!("\"{version}\"")))
        .json(body)
}

/// `{"message": …}`.
#[derive(Debug, Serialize)]
struct Message {
    message: String,
}

fn message(text: impl Into<String>) -> HttpResponse {
    HttpResponse::Ok().json(Message {
        message: text.into(),
    })
}
