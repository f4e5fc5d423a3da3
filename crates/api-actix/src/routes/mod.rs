//! The route table of contract §1–§10 and the service root. One file per resource; every route
//! is registered through [`table::Routes`], which records it for the completeness test of the
//! OpenAPI document (`crate::openapi`).

pub(crate) mod auth;
pub(crate) mod boards;
pub(crate) mod bulk;
pub(crate) mod comments;
pub(crate) mod docs;
pub(crate) mod health;
pub(crate) use health::rss_mb;
pub(crate) mod history;
pub(crate) mod metrics;
pub(crate) mod overview;
pub(crate) mod root;
pub(crate) mod statistics;
pub mod table;
pub(crate) mod tickets;
pub(crate) mod users;
pub(crate) mod ws;

use crate::auth::{RateLimitConfig, RateLimiters, TokenKeys};
use actix_web::http::{StatusCode, header};
use actix_web::{App, HttpResponse};
use serde::Serialize;
use std::sync::Arc;
use table::{RouteEntry, Routes};

/// Registers every route. Paths are full patterns written without a trailing slash; the app trims
/// one from each request before routing, so both spellings reach the same handler.
pub fn configure(cfg: &mut actix_web::web::ServiceConfig, limiters: &RateLimiters) {
    register(&mut Routes::new(cfg), limiters);
}

fn register(routes: &mut Routes<'_>, limiters: &RateLimiters) {
    // First, as the most asked: a request is matched against the resources in this order, and
    // each pattern with a `{segment}` before the one that matches costs a regular expression's
    // search (nine of them came before a single ticket, some 8 % of its CPU). No other pattern
    // can match a path of theirs (`/api/tickets` and below).
    tickets::configure(routes);
    root::configure(routes);
    health::configure(routes);
    docs::configure(routes);
    auth::configure(routes, limiters);
    users::configure(routes);
    boards::configure(routes);
    comments::configure(routes);
    history::configure(routes);
    statistics::configure(routes);
    bulk::configure(routes, limiters);
    overview::configure(routes);
    metrics::configure(routes);
    ws::configure(routes);
}

/// Every route the application registers (method and full path pattern), in registration
/// order: the same registration code as [`configure`], run on a throw-away `App`.
pub fn table() -> Vec<RouteEntry> {
    let clock: Arc<dyn kanban_domain::Clock> = Arc::new(kanban_domain::SystemClock);
    let config = crate::auth::AuthConfig::default();
    let keys = Arc::new(TokenKeys::new(
        &config.signing_key,
        &config.issuer,
        config.access_token_ttl,
    ));
    let limiters = RateLimiters::new(&RateLimitConfig::default(), keys, clock);
    let mut entries = Vec::new();
    // `App::configure` runs the closure at once; the app itself is never started.
    let _app = App::new().configure(|cfg| {
        let mut routes = Routes::new(cfg);
        register(&mut routes, &limiters);
        entries = routes.into_entries();
    });
    entries
}

/// A resource's version as its `ETag` header: the number, quoted.
fn etag(version: i64) -> (header::HeaderName, String) {
    (header::ETAG, format!("\"{version}\""))
}

/// A JSON response carrying the resource's version as its `ETag`.
fn with_etag(status: StatusCode, version: i64, body: &impl Serialize) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header(etag(version))
        .json(body)
}

/// `{"message": …}`: what a delete or logout did.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct Message {
    message: String,
}

fn message(text: impl Into<String>) -> HttpResponse {
    HttpResponse::Ok().json(Message {
        message: text.into(),
    })
}
