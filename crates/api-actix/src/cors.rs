//! CORS: only the configured origins may call the API from a browser, with credentials (the
//! session cookie) and the headers the API uses. Never a wildcard. An empty list allows no
//! cross-origin caller: a preflight from anywhere gets no `Access-Control-Allow-Origin`.
//! Requests from other origins are still served (non-browser clients send `Origin` too), just
//! without the headers a browser would need to read the answer.

use actix_cors::Cors;
use actix_web::http::{Method, header};

/// Settings of CORS (`cors.*`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CorsConfig {
    /// Origins allowed to call from a browser, such as `https://kanban.example.com`. `*` is not
    /// an origin: the server configuration refuses it.
    pub origins: Vec<String>,
}

/// The headers a browser client may send.
const ALLOWED_HEADERS: [header::HeaderName; 6] = [
    header::AUTHORIZATION,
    header::CONTENT_TYPE,
    header::ACCEPT,
    header::IF_MATCH,
    header::HeaderName::from_static("x-request-id"),
    header::HeaderName::from_static("x-session-id"),
];

/// The response headers a browser client may read.
const EXPOSED_HEADERS: [header::HeaderName; 4] = [
    header::ETAG,
    header::LOCATION,
    header::RETRY_AFTER,
    header::HeaderName::from_static("x-request-id"),
];

/// The CORS middleware for `config` (one per worker; it is cheap).
pub fn cors(config: &CorsConfig) -> Cors {
    let mut cors = Cors::default()
        .allowed_methods([
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::DELETE,
            Method::OPTIONS,
        ])
        .allowed_headers(ALLOWED_HEADERS)
        .expose_headers(EXPOSED_HEADERS)
        .supports_credentials()
        .max_age(600);
    for origin in &config.origins {
        cors = cors.allowed_origin(origin);
    }
    cors
}
