//! Middleware: request ids, the error envelope for errors raised outside the handlers, the
//! request metrics and the request span (request id, method, route pattern) with the line that
//! ends each request, all in one layer ([`RequestFrame`]); and the route on the span
//! ([`SpanRoute`]).

use crate::error::{ApiError, default_message};
use crate::metrics::{Metrics, UNMATCHED_ROUTE};
use crate::routes::table::RoutePattern;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform};
use actix_web::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use actix_web::http::uri::PathAndQuery;
use actix_web::http::{Method, StatusCode, Uri};
use actix_web::web::Bytes;
use actix_web::{Error, HttpMessage};
use futures_util::future::{FutureExt, LocalBoxFuture};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tracing::{Instrument, Span};

/// `X-Request-Id`.
pub const REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// Marks a request whose path ended with `/` before it was trimmed ([`normalize_path`]):
/// `/docs/` serves Swagger UI, whose page links its files relative to that slash, while `/docs`
/// redirects there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrailingSlash;

/// Trims trailing slashes and merges repeated ones (`/api//boards/` is `/api/boards`), as
/// actix's `NormalizePath::trim` does, marking a trimmed trailing slash ([`TrailingSlash`]). A
/// path with neither is left alone without being copied: `NormalizePath` copied every path and
/// ran a regular expression over it (about 3 % of a single ticket's CPU).
fn normalize_path(req: &mut ServiceRequest) {
    let path = req.path();
    if path.len() <= 1 || !(path.ends_with('/') || path.contains("//")) {
        return;
    }
    if path.ends_with('/') {
        req.extensions_mut().insert(TrailingSlash);
    }
    let mut normal = String::with_capacity(path.len());
    for segment in path.split('/').filter(|segment| !segment.is_empty()) {
        normal.push('/');
        normal.push_str(segment);
    }
    if normal.is_empty() {
        normal.push('/');
    }
    if let Some(query) = req.uri().query() {
        normal.push('?');
        normal.push_str(query);
    }
    let mut parts = req.uri().clone().into_parts();
    let Ok(path_and_query) = PathAndQuery::from_maybe_shared(Bytes::from(normal)) else {
        return;
    };
    parts.path_and_query = Some(path_and_query);
    if let Ok(uri) = Uri::from_parts(parts) {
        req.match_info_mut().get_mut().update(&uri);
        req.head_mut().uri = uri;
    }
}

/// A client-supplied id is echoed if it is 1–128 characters of `[A-Za-z0-9._:-]`.
fn accept_request_id(value: &HeaderValue) -> Option<HeaderValue> {
    let bytes = value.as_bytes();
    let sensible = (1..=128).contains(&bytes.len())
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || b"._:-".contains(b));
    sensible.then(|| value.clone())
}

/// `req_` and 32 hexadecimal digits (a random UUID), written without the formatting machinery of
/// `format!` (about 1 % of a single ticket's CPU), into the header value it is sent as.
fn new_request_id() -> HeaderValue {
    let mut buffer = uuid::Uuid::encode_buffer();
    let digits = uuid::Uuid::new_v4().simple().encode_lower(&mut buffer);
    let mut id = String::with_capacity(4 + digits.len());
    id.push_str("req_");
    id.push_str(digits);
    // Visible ASCII only, so always a header value; taken over without a copy.
    HeaderValue::try_from(id).unwrap_or_else(|_| HeaderValue::from_static("req_"))
}

/// The request span, kept with each request while [`RequestSpan::start`] opened one: the
/// resource the request reaches records its route on it ([`SpanRoute`]).
#[derive(Debug, Clone)]
struct OpenSpan(Span);

/// The first layer every request passes and the last every answer leaves, doing in one place
/// what each request gets (each layer of its own boxed its futures and services; three layers,
/// `arrival`, `tracing-actix-web`'s logger and `answers`, were about a tenth of a list page's
/// CPU):
///
/// - as it arrives: its path normalized ([`normalize_path`]), an id (the client's
///   `X-Request-Id` when sensible, else a new one), its arrival time, and its span
///   ([`RequestSpan`]), entered while the rest of the chain serves it;
/// - as it is answered: errors in the envelope ([`error_envelope`]); its count and latency in
///   the metrics, by route pattern, method and status
///   ([`crate::metrics::Metrics::observe_request`], with the metrics it was given); the
///   charset of JSON ([`json_charset`]) and the security headers ([`security_headers`]) on every
///   answer that is not an error raised as `Err` (those are answered by actix from the
///   envelope); `X-Request-Id` on every answer; and the `request completed` line
///   ([`RequestSpan::end`]).
#[derive(Debug, Clone, Default)]
pub struct RequestFrame {
    metrics: Option<Arc<Metrics>>,
}

impl RequestFrame {
    /// The frame of an app whose requests are counted in `metrics`.
    pub fn counted_in(metrics: Arc<Metrics>) -> Self {
        Self {
            metrics: Some(metrics),
        }
    }
}

impl<S, B> Transform<S, ServiceRequest> for RequestFrame
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = Error;
    type Transform = RequestFrameService<S>;
    type InitError = ();
    type Future = std::future::Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        std::future::ready(Ok(RequestFrameService {
            service,
            metrics: self.metrics.clone(),
        }))
    }
}

/// The service of [`RequestFrame`].
#[derive(Debug)]
pub struct RequestFrameService<S> {
    service: S,
    metrics: Option<Arc<Metrics>>,
}

impl<S, B> Service<ServiceRequest> for RequestFrameService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = Error;
    type Future = LocalBoxFuture<'static, Result<Self::Response, Error>>;

    actix_web::dev::forward_ready!(service);

    fn call(&self, mut req: ServiceRequest) -> Self::Future {
        let start = Instant::now();
        normalize_path(&mut req);
        let id = req
            .headers()
            .get(REQUEST_ID_HEADER)
            .and_then(accept_request_id)
            .unwrap_or_else(new_request_id);
        let span = RequestSpan::start(&id, req.method());
        if !span.is_disabled() {
            req.extensions_mut().insert(OpenSpan(span.clone()));
        }
        let path = req.path();
        let framed = !(path == "/docs" || path.starts_with("/docs/"));
        let private = path.starts_with("/api/auth") || path.starts_with("/api/users");
        let metrics = self.metrics.clone();
        let (method, uri) = (req.method().clone(), req.uri().clone());
        let served = span.in_scope(|| self.service.call(req));
        let instrumented = span.clone();
        async move {
            let outcome = error_envelope(served.await, &id);
            // The pattern of the resource the router chose, kept with it: matching the path
            // against the route table again cost some 3 % of a single ticket's requests a
            // second. An answer that never reached a resource (a 429 of the rate limiter, a
            // CORS preflight, a 404) is matched against the table, and its route recorded on
            // the span here (a resource records its own, [`SpanRoute`]).
            let (status, routed) = match &outcome {
                Ok(response) => (
                    response.status(),
                    response.request().app_data::<RoutePattern>().cloned(),
                ),
                Err(error) => (error.as_response_error().status_code(), None),
            };
            let route = match &routed {
                Some(routed) => routed.as_str(),
                None => {
                    let route =
                        crate::routes::table::pattern_of(uri.path()).unwrap_or(UNMATCHED_ROUTE);
                    span.record("route", route);
                    route
                }
            };
            let latency = start.elapsed();
            if let Some(metrics) = metrics {
                metrics.observe_request(route, method.as_str(), status, latency);
            }
            RequestSpan::end(&span, status, latency, &id, &method, route);
            let mut response = outcome?;
            let headers = response.headers_mut();
            json_charset(headers);
            security_headers(headers, framed, private);
            headers.insert(REQUEST_ID_HEADER, id);
            Ok(response)
        }
        .instrument(instrumented)
        .boxed_local()
    }
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
/// Errors that arrive as `Err` (the request is gone with them) are raised again as an
/// [`ApiError`] carrying the request id and the original's `Retry-After`/`Allow`/
/// `WWW-Authenticate` headers.
fn error_envelope<B: MessageBody + 'static>(
    outcome: Result<ServiceResponse<B>, Error>,
    request_id: &HeaderValue,
) -> Result<ServiceResponse<EitherBody<B>>, Error> {
    match outcome {
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
            replacement = replacement.with_header(REQUEST_ID_HEADER, request_id.clone());
            Err(replacement.into())
        }
    }
}

/// Security headers on every response: no MIME sniffing, no referrer, and no framing except for
/// the interactive documentation under `/docs` (`framed`). Authentication and user answers
/// (`private`) are never cached.
fn security_headers(headers: &mut HeaderMap, framed: bool, private: bool) {
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    if framed {
        headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    }
    if private {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
}

/// Declares the charset on JSON answers (`application/json; charset=utf-8`), as the contract
/// gives it; actix's `json()` writes a bare `application/json`.
fn json_charset(headers: &mut HeaderMap) {
    if headers
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v == "application/json")
    {
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(crate::error::JSON_UTF8),
        );
    }
}

/// Records a resource's route pattern on the request span of each request routed to it, before
/// the resource's own middleware and handler run (see [`RequestSpan`]; registered by
/// [`crate::routes::table::Routes`] on every resource).
#[derive(Debug, Clone)]
pub struct SpanRoute(Arc<str>);

impl SpanRoute {
    pub fn new(pattern: Arc<str>) -> Self {
        Self(pattern)
    }
}

impl<S, B> Transform<S, ServiceRequest> for SpanRoute
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error>,
{
    type Response = ServiceResponse<B>;
    type Error = Error;
    type Transform = SpanRouteService<S>;
    type InitError = ();
    type Future = std::future::Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        std::future::ready(Ok(SpanRouteService {
            service,
            pattern: self.0.clone(),
        }))
    }
}

/// The service of [`SpanRoute`].
#[derive(Debug)]
pub struct SpanRouteService<S> {
    service: S,
    pattern: Arc<str>,
}

impl<S, B> Service<ServiceRequest> for SpanRouteService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error>,
{
    type Response = ServiceResponse<B>;
    type Error = Error;
    type Future = S::Future;

    actix_web::dev::forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        if let Some(OpenSpan(span)) = req.extensions().get::<OpenSpan>() {
            span.record("route", &*self.pattern);
        }
        self.service.call(req)
    }
}

/// A request answered in this long or longer is logged at `WARN` (see [`RequestSpan`]).
pub const SLOW_REQUEST: Duration = Duration::from_secs(1);

/// The span of each request (request id, method, route pattern, not the raw path), so that every
/// line logged while serving it names the request, and the one `request completed` event that
/// ends it, with the status and the latency, at a level that says what the answer was:
///
/// - `WARN` for a `5xx` answer or one that took [`SLOW_REQUEST`] or longer;
/// - `INFO` for a `4xx` answer and for a WebSocket opened (`101`);
/// - `DEBUG` for any other answer: an agent fleet makes thousands of requests a second, and a
///   line for each of them cost a third of the server's CPU per request and flooded the journal
///   (which drops lines past its rate limit). `RUST_LOG=debug` (or
///   `info,kanban_api_actix::middleware=debug`) logs them all.
///
/// The status and latency are fields of that event rather than of the span: recording a field on
/// a span after it opened makes the JSON formatter parse and write the span's fields again, once
/// per field. When `INFO` is off for every target, no span is built at all.
#[derive(Debug)]
struct RequestSpan;

impl RequestSpan {
    /// The span of a request with this id and method, or a disabled one when `INFO` is off.
    fn start(id: &HeaderValue, method: &Method) -> Span {
        if tracing::level_filters::LevelFilter::current() < tracing::Level::INFO {
            return Span::none();
        }
        // The route is not known before the router has run: it is recorded by the resource the
        // request reaches ([`SpanRoute`]), or else when the answer comes back
        // ([`RequestFrame`]). Asking the router here (`match_pattern`) matched the path twice.
        tracing::info_span!(
            "request",
            request_id = id.to_str().unwrap_or_default(),
            method = method.as_str(),
            route = tracing::field::Empty,
        )
    }

    /// The `request completed` event, in the request's span when it has one.
    fn end(
        span: &Span,
        status: StatusCode,
        latency: Duration,
        id: &HeaderValue,
        method: &Method,
        route: &str,
    ) {
        let status = status.as_u16();
        let latency_ms = latency.as_secs_f64() * 1000.0;
        let warning = status >= 500 || latency >= SLOW_REQUEST;
        if span.is_disabled() {
            // No span (`INFO` is off, or off for this module): a warning names its request
            // itself.
            if warning {
                tracing::warn!(
                    status,
                    latency_ms,
                    request_id = id.to_str().unwrap_or_default(),
                    method = method.as_str(),
                    route,
                    "request completed"
                );
            }
            return;
        }
        span.in_scope(|| {
            if warning {
                tracing::warn!(status, latency_ms, "request completed");
            } else if status >= 400 || status == 101 {
                tracing::info!(status, latency_ms, "request completed");
            } else {
                tracing::debug!(status, latency_ms, "request completed");
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::routes::table::Routes;
    use actix_web::http::Method;
    use actix_web::{App, HttpResponse, test, web};
    use std::sync::{Arc, Mutex};

    /// The log lines written while the test runs (JSON, as in production).
    #[derive(Clone, Default)]
    struct Lines(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Lines {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl Lines {
        fn all(&self) -> Vec<serde_json::Value> {
            String::from_utf8(self.0.lock().unwrap().clone())
                .unwrap()
                .lines()
                .map(|line| serde_json::from_str::<serde_json::Value>(line).unwrap())
                .collect()
        }
    }

    /// The `request completed` lines of [`lines_of`].
    async fn log_of(level: &str, paths: &[&str]) -> Vec<serde_json::Value> {
        let mut lines = lines_of(level, paths).await;
        lines.retain(|line| line["message"] == "request completed");
        lines
    }

    /// Serves `GET /tickets/{id}` (200) and `GET /broken` (500, logging an error) behind the
    /// middleware of the app, logging at `level`, and returns the lines the requests to `paths`
    /// logged.
    async fn lines_of(level: &str, paths: &[&str]) -> Vec<serde_json::Value> {
        let lines = Lines::default();
        let writer = lines.clone();
        let subscriber = tracing_subscriber::fmt()
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .with_env_filter(level)
            .with_writer(move || writer.clone())
            .finish();
        let _scope = tracing::subscriber::set_default(subscriber);
        let app = test::init_service(
            App::new()
                .configure(|cfg| {
                    let mut routes = Routes::new(cfg);
                    routes.resource("/tickets/{id}", |r| {
                        r.get(|| async { HttpResponse::Ok().finish() })
                    });
                    routes.resource("/broken", |r| {
                        r.get(|| async {
                            tracing::error!("broken inside");
                            HttpResponse::InternalServerError().finish()
                        })
                    });
                })
                .wrap(RequestFrame::default()),
        )
        .await;
        for path in paths {
            // `POST /tickets/7`: a method the resource does not have.
            let (method, path) = path
                .split_once(' ')
                .map_or((Method::GET, *path), |(method, path)| {
                    (method.parse().unwrap(), path)
                });
            let request = test::TestRequest::default()
                .method(method)
                .uri(path)
                .insert_header((REQUEST_ID_HEADER, format!("req-{}", path.len())))
                .to_request();
            test::call_service(&app, request).await;
        }
        lines.all()
    }

    #[actix_web::test]
    async fn at_info_only_failed_requests_are_logged_each_with_its_request() {
        let lines = log_of(
            "info",
            &["/tickets/7", "/nowhere", "/broken", "POST /tickets/7"],
        )
        .await;
        assert_eq!(lines.len(), 3, "{lines:?}");
        let (missing, broken, refused) = (&lines[0], &lines[1], &lines[2]);
        assert_eq!(missing["level"], "INFO");
        assert_eq!(missing["status"], 404);
        assert!(missing["latency_ms"].as_f64().unwrap() >= 0.0);
        assert_eq!(missing["span"]["request_id"], "req-8");
        assert_eq!(missing["span"]["method"], "GET");
        assert_eq!(missing["span"]["route"], "unmatched");
        assert_eq!(broken["level"], "WARN");
        assert_eq!(broken["status"], 500);
        assert_eq!(broken["span"]["route"], "/broken");
        assert_eq!(refused["status"], 405);
        assert_eq!(refused["span"]["method"], "POST");
        assert_eq!(refused["span"]["route"], "/tickets/{id}");
    }

    #[actix_web::test]
    async fn what_a_handler_logs_names_its_route() {
        let lines = lines_of("info", &["/broken"]).await;
        let inside = lines
            .iter()
            .find(|line| line["message"] == "broken inside")
            .expect("the handler's line");
        assert_eq!(inside["span"]["route"], "/broken");
        assert_eq!(inside["span"]["request_id"], "req-7");
        assert_eq!(inside["span"]["method"], "GET");
    }

    #[actix_web::test]
    async fn at_debug_every_request_is_logged() {
        let lines = log_of("debug", &["/tickets/7", "/nowhere"]).await;
        assert_eq!(lines.len(), 2, "{lines:?}");
        assert_eq!(lines[0]["level"], "DEBUG");
        assert_eq!(lines[0]["status"], 200);
        assert_eq!(lines[0]["span"]["route"], "/tickets/{id}");
        assert_eq!(lines[0]["span"]["request_id"], "req-10");
        assert_eq!(lines[1]["level"], "INFO");
    }

    #[actix_web::test]
    async fn a_failure_names_its_request_when_only_another_crate_logs_at_info() {
        let lines = log_of("warn,some_other_crate=info", &["/tickets/7", "/broken"]).await;
        assert_eq!(lines.len(), 1, "{lines:?}");
        assert_eq!(lines[0]["status"], 500);
        assert_eq!(lines[0]["request_id"], "req-7");
        assert_eq!(lines[0]["route"], "/broken");
    }

    #[actix_web::test]
    async fn at_warn_a_failure_is_still_logged() {
        let lines = log_of("warn", &["/tickets/7", "/nowhere", "/broken"]).await;
        assert_eq!(lines.len(), 1, "{lines:?}");
        assert_eq!(lines[0]["level"], "WARN");
        assert_eq!(lines[0]["status"], 500);
        // Without a span (INFO is off), on the line itself.
        assert_eq!(lines[0]["request_id"], "req-7");
        assert_eq!(lines[0]["method"], "GET");
        assert_eq!(lines[0]["route"], "/broken");
    }

    #[actix_web::test]
    async fn a_new_request_id_is_req_and_32_hexadecimal_digits() {
        let (id, other) = (new_request_id(), new_request_id());
        let digits = id.to_str().unwrap().strip_prefix("req_").unwrap();
        assert_eq!(digits.len(), 32, "{id:?}");
        assert!(
            digits
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        );
        assert_ne!(id, other);
    }

    /// Trailing slashes are trimmed and repeated ones merged, the query kept, and a trimmed
    /// trailing slash is remembered; a path with neither reaches the route untouched.
    #[actix_web::test]
    async fn paths_are_normalized_as_they_arrive() {
        let app = test::init_service(
            App::new()
                .route(
                    "/{tail:.*}",
                    web::get().to(|req: actix_web::HttpRequest| async move {
                        let slash = req.extensions().get::<TrailingSlash>().is_some();
                        HttpResponse::Ok().body(format!(
                            "{} {} {slash} {}",
                            req.path(),
                            req.query_string(),
                            req.match_info().query("tail")
                        ))
                    }),
                )
                .wrap(RequestFrame::default()),
        )
        .await;
        for (sent, seen) in [
            ("/api//boards/?page=2", "/api/boards page=2 true api/boards"),
            ("/api/boards/", "/api/boards  true api/boards"),
            ("//api///boards", "/api/boards  false api/boards"),
            (
                "/api/boards?x=/a//b/",
                "/api/boards x=/a//b/ false api/boards",
            ),
            ("/", "/  false "),
            ("//", "/  true "),
        ] {
            let request = test::TestRequest::get().uri(sent).to_request();
            let body = test::call_and_read_body(&app, request).await;
            assert_eq!(String::from_utf8(body.to_vec()).unwrap(), seen, "{sent}");
        }
    }
}
