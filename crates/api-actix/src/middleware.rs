//! Middleware: request ids, the error envelope for errors raised outside the handlers, and the
//! request span (request id, route pattern, status, latency).

use crate::error::{ApiError, default_message};
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage};
use std::time::Instant;
use tracing::Span;
use tracing_actix_web::RootSpanBuilder;

/// `X-Request-Id`.
pub const REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// The id of the current request: the client's, when it sent a sensible one, else a new one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(pub String);

/// Marks a request whose path ended with `/` before `NormalizePath` trimmed it: `/docs/` serves
/// Swagger UI, whose page links its files relative to that slash, while `/docs` redirects there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrailingSlash;

/// Remembers a trailing slash for the handlers that care (see [`TrailingSlash`]). Runs outside
/// `NormalizePath`.
pub async fn trailing_slash(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let path = req.path();
    if path.len() > 1 && path.ends_with('/') {
        req.extensions_mut().insert(TrailingSlash);
    }
    next.call(req).await
}

/// When the request arrived, for the latency in the log line.
#[derive(Debug, Clone, Copy)]
struct RequestStart(Instant);

/// A client-supplied id is echoed if it is 1–128 characters of `[A-Za-z0-9._:-]`.
fn accept_request_id(value: &HeaderValue) -> Option<String> {
    let text = value.to_str().ok()?;
    let sensible = (1..=128).contains(&text.len())
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._:-".contains(&b));
    sensible.then(|| text.to_owned())
}

/// Gives every request an id and echoes it in `X-Request-Id`.
pub async fn request_id(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let id = req
        .headers()
        .get(REQUEST_ID_HEADER)
        .and_then(accept_request_id)
        .unwrap_or_else(|| format!("req_{}", uuid::Uuid::new_v4().simple()));
    req.extensions_mut().insert(RequestId(id.clone()));
    req.extensions_mut().insert(RequestStart(Instant::now()));
    let mut response = next.call(req).await?;
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID_HEADER, value);
    }
    Ok(response)
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"))
}

/// Headers of an error response worth keeping when its body is replaced by the envelope.
const KEPT_HEADERS: [HeaderName; 3] =
    [header::ALLOW, header::RETRY_AFTER, header::WWW_AUTHENTICATE];

/// Keeps every header of a replaced response but those describing its old body, so CORS,
/// `Allow`, `Retry-After` and `WWW-Authenticate` survive.
fn keep_headers(from: &HeaderMap, to: &mut HeaderMap) {
    for name in from.keys() {
        if *name == header::CONTENT_TYPE || *name == header::CONTENT_LENGTH {
            continue;
        }
        to.remove(name);
        for value in from.get_all(name) {
            to.append(name.clone(), value.clone());
        }
    }
}

/// Turns every error answer that is not already the envelope (actix's 404 and 405, payload and
/// middleware errors) into the envelope.
///
/// It must not hold a clone of the request while the router runs (the router needs the only
/// reference), so errors that arrive as `Err` are re-raised as an [`ApiError`] carrying the
/// request id and the original's `Retry-After`/`Allow`/`WWW-Authenticate` headers.
pub async fn error_envelope<B: MessageBody + 'static>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<EitherBody<B>>, Error> {
    let request_id = req.extensions().get::<RequestId>().map(|id| id.0.clone());
    match next.call(req).await {
        Ok(response) => {
            let status = response.status();
            if !(status.is_client_error() || status.is_server_error())
                || is_json(response.headers())
            {
                return Ok(response.map_into_left_body());
            }
            let (request, original) = response.into_parts();
            let mut replaced = ApiError::envelope(status, default_message(status), &[]);
            keep_headers(original.headers(), replaced.headers_mut());
            Ok(ServiceResponse::new(request, replaced).map_into_right_body())
        }
        Err(error) => {
            let original = error.error_response();
            let status = original.status();
            let mut replacement = if status.is_server_error() {
                ApiError::internal(error.to_string())
            } else {
                let message = error.to_string();
                let message = if message.is_empty() {
                    default_message(status).to_owned()
                } else {
                    message
                };
                ApiError::new(status, message)
            };
            for name in KEPT_HEADERS {
                if let Some(value) = original.headers().get(&name) {
                    replacement = replacement.with_header(name, value.clone());
                }
            }
            if let Some(id) = request_id.and_then(|id| HeaderValue::from_str(&id).ok()) {
                replacement = replacement.with_header(REQUEST_ID_HEADER, id);
            }
            Err(replacement.into())
        }
    }
}

/// Security headers on every response: no MIME sniffing, no referrer, and no framing except for
/// the interactive documentation under `/docs`. Authentication answers are never cached.
pub async fn security_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let path = req.path().to_owned();
    let mut response = next.call(req).await?;
    let headers = response.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    if !(path == "/docs" || path.starts_with("/docs/")) {
        headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    }
    if path.starts_with("/api/auth") || path.starts_with("/api/users") {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    Ok(response)
}

/// Declares the charset on JSON answers (`application/json; charset=utf-8`), as the contract
/// gives it; actix's `json()` writes a bare `application/json`.
pub async fn json_charset(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let mut response = next.call(req).await?;
    let headers = response.headers_mut();
    if headers
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v == "application/json")
    {
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(crate::error::JSON_UTF8),
        );
    }
    Ok(response)
}

/// The span of each request: request id, method, route pattern (not the raw path), and once
/// answered, status and latency.
#[derive(Debug)]
pub struct RequestSpan;

impl RootSpanBuilder for RequestSpan {
    fn on_request_start(request: &ServiceRequest) -> Span {
        let request_id = request
            .extensions()
            .get::<RequestId>()
            .map(|id| id.0.clone())
            .unwrap_or_default();
        let route = request
            .match_pattern()
            .unwrap_or_else(|| "unmatched".to_owned());
        tracing::info_span!(
            "request",
            request_id = %request_id,
            method = %request.method(),
            route = %route,
            status = tracing::field::Empty,
            latency_ms = tracing::field::Empty,
        )
    }

    fn on_request_end<B: MessageBody>(span: Span, outcome: &Result<ServiceResponse<B>, Error>) {
        let (status, started) = match outcome {
            Ok(response) => (
                response.status().as_u16(),
                response
                    .request()
                    .extensions()
                    .get::<RequestStart>()
                    .copied(),
            ),
            Err(error) => (error.as_response_error().status_code().as_u16(), None),
        };
        let latency_ms = started.map(|s| s.0.elapsed().as_secs_f64() * 1000.0);
        span.record("status", status);
        if let Some(latency_ms) = latency_ms {
            span.record("latency_ms", latency_ms);
        }
        // The fields live on the span; the event marks the end of the request once.
        span.in_scope(|| tracing::info!("request completed"));
    }
}
