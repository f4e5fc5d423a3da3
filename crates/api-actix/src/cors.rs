//! CORS: only the configured origins may call the API from a browser, with credentials (the
//! session cookie) and the headers the API uses. Never a wildcard. An empty list allows no
//! cross-origin caller: a preflight from anywhere gets no `Access-Control-Allow-Origin`.
//! Requests from other origins are still served (non-browser clients send `Origin` too), just
//! without the headers a browser would need to read the answer.

use actix_cors::{Cors, CorsMiddleware};
use actix_web::Error;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform};
use actix_web::http::header::HeaderValue;
use actix_web::http::{Method, header};
use futures_util::future::{Either, FutureExt, LocalBoxFuture, Map};
use std::rc::Rc;

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

/// What `Vary` says on every answer: it may differ by these request headers.
const VARY: HeaderValue = HeaderValue::from_static(
    "Origin, Access-Control-Request-Method, Access-Control-Request-Headers",
);

/// CORS ([`cors`]) for the requests that carry an `Origin`, the only ones it concerns: a browser
/// sends one with every cross-origin request and every preflight. Every other request passes it
/// by and its answer gets only the `Vary` that actix-cors would have added (so that no cache
/// hands that answer to a cross-origin request), not `Access-Control-Expose-Headers` and
/// `Access-Control-Allow-Credentials`, which mean nothing without an `Origin`, nor a boxed
/// future of its own (about 1.5 % of a list page's CPU, and two headers for every client to
/// read).
#[derive(Debug)]
pub struct CrossOrigin {
    cors: Cors,
}

impl CrossOrigin {
    /// CORS for `config`.
    pub fn new(config: &CorsConfig) -> Self {
        Self { cors: cors(config) }
    }
}

impl<S, B> Transform<S, ServiceRequest> for CrossOrigin
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = Error;
    type Transform = CrossOriginService<S>;
    type InitError = ();
    type Future = LocalBoxFuture<'static, Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        let inner = Rc::new(service);
        let cors = self.cors.new_transform(Shared(inner.clone()));
        async move {
            Ok(CrossOriginService {
                cors: cors.await?,
                inner,
            })
        }
        .boxed_local()
    }
}

/// A service that two callers share: actix-cors's, and [`CrossOriginService`] for the requests
/// without an `Origin`.
#[derive(Debug)]
pub struct Shared<S>(Rc<S>);

impl<S: Service<ServiceRequest>> Service<ServiceRequest> for Shared<S> {
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(
        &self,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        self.0.poll_ready(cx)
    }

    fn call(&self, req: ServiceRequest) -> Self::Future {
        self.0.call(req)
    }
}

/// The service of [`CrossOrigin`].
pub struct CrossOriginService<S> {
    cors: CorsMiddleware<Shared<S>>,
    inner: Rc<S>,
}

impl<S> std::fmt::Debug for CrossOriginService<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CrossOriginService").finish_non_exhaustive()
    }
}

/// The answer to a request without an `Origin`.
type Plain<B> =
    fn(Result<ServiceResponse<B>, Error>) -> Result<ServiceResponse<EitherBody<B>>, Error>;

impl<S, B> Service<ServiceRequest> for CrossOriginService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = Error;
    type Future = Either<
        <CorsMiddleware<Shared<S>> as Service<ServiceRequest>>::Future,
        Map<S::Future, Plain<B>>,
    >;

    actix_web::dev::forward_ready!(inner);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        if req.headers().contains_key(header::ORIGIN) {
            return Either::Left(self.cors.call(req));
        }
        let plain: Plain<B> = |outcome| match outcome {
            Ok(mut response) => {
                response.headers_mut().insert(header::VARY, VARY);
                Ok(response.map_into_left_body())
            }
            Err(mut error) => {
                error.add_response_mapper(|mut response| {
                    response.headers_mut().insert(header::VARY, VARY);
                    response
                });
                Err(error)
            }
        };
        Either::Right(self.inner.call(req).map(plain))
    }
}
