//! The route table: every route is registered through [`Routes`], which records its method and
//! full path pattern as it hands the resource to actix. The recorded table is what the
//! completeness test compares with the OpenAPI document, so a route cannot be registered without
//! being documented, or documented without being registered.

use actix_web::body::MessageBody;
use actix_web::dev::ResourceDef;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse, Transform};
use actix_web::{Error, FromRequest, Handler, Resource, Responder, web};
use std::sync::{Arc, OnceLock};

/// One registered route: an HTTP method and the full path pattern (`/api/tickets/{ticket_id}`),
/// spelled as in the OpenAPI document.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RouteEntry {
    /// Upper case: `GET`, `POST`, `PUT`, `DELETE`.
    pub method: &'static str,
    pub path: String,
}

impl std::fmt::Display for RouteEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.method, self.path)
    }
}

/// The full path pattern of a resource (`/api/tickets/{ticket_id}`), kept as the resource's app
/// data: a request routed to it carries it, for the metrics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoutePattern(Arc<str>);

impl RoutePattern {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The pattern of the first registered resource whose pattern matches `path`, as the router
/// would choose it, for a request that got no further than a middleware. It matches the path
/// against every pattern in turn: not for the requests that reach a resource.
pub fn pattern_of(path: &str) -> Option<&'static str> {
    static PATTERNS: OnceLock<Vec<ResourceDef>> = OnceLock::new();
    let patterns = PATTERNS.get_or_init(|| {
        let mut seen = std::collections::HashSet::new();
        super::table()
            .into_iter()
            .filter(|entry| seen.insert(entry.path.clone()))
            .map(|entry| ResourceDef::new(entry.path))
            .collect()
    });
    patterns
        .iter()
        .find(|pattern| pattern.is_match(path))
        .and_then(ResourceDef::pattern)
}

/// Registers resources on an actix `ServiceConfig` and remembers what it registered.
pub struct Routes<'a> {
    cfg: &'a mut web::ServiceConfig,
    entries: Vec<RouteEntry>,
}

impl std::fmt::Debug for Routes<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Routes")
            .field("entries", &self.entries)
            .finish_non_exhaustive()
    }
}

impl<'a> Routes<'a> {
    pub fn new(cfg: &'a mut web::ServiceConfig) -> Self {
        Self {
            cfg,
            entries: Vec::new(),
        }
    }

    /// Registers the resource at `path`, a full path pattern without a trailing slash (the app
    /// trims one from each request), with the methods `build` adds. A method the resource does not
    /// have is answered 405 with `Allow`, as for any actix resource.
    ///
    /// A request routed to it has the pattern on its request span from then on
    /// ([`crate::middleware::SpanRoute`], outside the resource's own middleware), so that what is
    /// logged while it is served names the route.
    pub fn resource<T, B>(
        &mut self,
        path: &str,
        build: impl FnOnce(Endpoint) -> Endpoint<Resource<T>>,
    ) where
        T: ServiceFactory<
                ServiceRequest,
                Config = (),
                Response = ServiceResponse<B>,
                Error = Error,
                InitError = (),
            > + 'static,
        B: MessageBody + 'static,
    {
        let pattern: Arc<str> = path.into();
        let endpoint = build(Endpoint {
            resource: web::resource(path).app_data(RoutePattern(pattern.clone())),
            methods: Vec::new(),
        });
        for method in endpoint.methods {
            self.entries.push(RouteEntry {
                method,
                path: path.to_owned(),
            });
        }
        self.cfg.service(
            endpoint
                .resource
                .wrap(crate::middleware::SpanRoute::new(pattern)),
        );
    }

    /// What was registered, in registration order.
    pub fn into_entries(self) -> Vec<RouteEntry> {
        self.entries
    }
}

/// A resource being built: the actix resource and the methods added to it.
pub struct Endpoint<R = Resource> {
    resource: R,
    methods: Vec<&'static str>,
}

impl<R> std::fmt::Debug for Endpoint<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Endpoint")
            .field("methods", &self.methods)
            .finish_non_exhaustive()
    }
}

macro_rules! method {
    ($name:ident, $method:literal, $route:path) => {
        #[doc = concat!("Answers `", $method, "` with `handler`.")]
        #[must_use]
        pub fn $name<F, Args>(self, handler: F) -> Self
        where
            F: Handler<Args>,
            Args: FromRequest + 'static,
            F::Output: Responder + 'static,
        {
            self.route($method, $route().to(handler))
        }
    };
}

impl<T> Endpoint<Resource<T>>
where
    T: ServiceFactory<ServiceRequest, Config = (), Error = Error, InitError = ()>,
{
    method!(get, "GET", web::get);
    method!(post, "POST", web::post);
    method!(put, "PUT", web::put);
    method!(delete, "DELETE", web::delete);

    fn route(mut self, method: &'static str, route: actix_web::Route) -> Self {
        self.resource = self.resource.route(route);
        self.methods.push(method);
        self
    }

    /// Wraps the resource in a middleware (a rate limiter), as `actix_web::Resource::wrap`.
    pub fn wrap<M, B>(
        self,
        middleware: M,
    ) -> Endpoint<
        Resource<
            impl ServiceFactory<
                ServiceRequest,
                Config = (),
                Response = ServiceResponse<B>,
                Error = Error,
                InitError = (),
            >,
        >,
    >
    where
        M: Transform<
                T::Service,
                ServiceRequest,
                Response = ServiceResponse<B>,
                Error = Error,
                InitError = (),
            > + 'static,
        B: MessageBody,
    {
        Endpoint {
            resource: self.resource.wrap(middleware),
            methods: self.methods,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_is_matched_to_the_pattern_the_router_would_choose() {
        assert_eq!(
            pattern_of("/api/tickets/12"),
            Some("/api/tickets/{ticket_id}")
        );
        assert_eq!(
            pattern_of("/api/tickets/12/move"),
            Some("/api/tickets/{ticket_id}/move")
        );
        assert_eq!(pattern_of("/api/tickets"), Some("/api/tickets"));
        assert_eq!(pattern_of("/api/nothing/here"), None);
    }
}
