//! The OpenAPI 3.1 document of the API, generated from the code: each handler carries a
//! `#[utoipa::path]` annotation (method, full path, parameters, body, responses, security), the
//! request DTOs and the serialised domain types derive `ToSchema`, and [`ApiDoc`] gathers them.
//! Served at `GET /openapi.json` and explored at `GET /docs/` (`routes/docs.rs`).
//!
//! Statuses every route of a kind can answer are added here, once, by [`CommonErrors`] (401 on
//! authenticated routes, 429 everywhere, 422/413/415 on what reads input, 404 on ids in the
//! path), so no handler can forget them; each handler lists the ones particular to it (403, 404
//! for an id in the body, 409, 412, …). The completeness test below checks that the document and
//! the route table (`routes::table`) list the same routes.

pub mod health;

use crate::error::{ErrorBody, ErrorCode, ErrorEnvelope, ValidationError};
use crate::routes;
use utoipa::openapi::content::Content;
use utoipa::openapi::header::{Header, HeaderBuilder};
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::schema::{Object, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{Ref, RefOr};
use utoipa::{Modify, OpenApi};

/// The name of the bearer security scheme.
pub const BEARER: &str = "bearer";

/// The document. Use [`document`], which is what `/openapi.json` serves.
#[derive(Debug, OpenApi)]
#[openapi(
    info(
        title = "Agent Kanban API",
        description = "The HTTP API of Agent Kanban: boards with ordered columns, tickets that \
            agents claim and move, comments, the change history and the live event stream. \
            Every non-2xx answer is the error envelope (`ErrorEnvelope`). Send \
            `Authorization: Bearer <access token>` (from `POST /api/auth/login`) on every route \
            that lists the `bearer` security requirement. A trailing slash is optional on every \
            path.",
    ),
    paths(
        routes::root::root,
        routes::health::health,
        routes::health::detailed,
        routes::health::memory,
        routes::health::simple,
        routes::health::status,
        routes::overview::overview,
        routes::metrics::metrics,
        routes::docs::openapi_json,
        routes::docs::index,
        routes::docs::asset,
        routes::auth::register,
        routes::auth::login,
        routes::auth::refresh,
        routes::auth::logout,
        routes::auth::me,
        routes::auth::update_me,
        routes::users::start_session,
        routes::users::get_session,
        routes::users::rename_session,
        routes::users::end_session,
        routes::users::list,
        routes::users::update,
        routes::boards::list,
        routes::boards::create,
        routes::boards::default_board,
        routes::boards::default_tickets,
        routes::boards::get,
        routes::boards::update,
        routes::boards::delete,
        routes::boards::columns,
        routes::boards::set_columns,
        routes::boards::rename_column,
        routes::boards::tickets,
        routes::tickets::list,
        routes::tickets::create,
        routes::tickets::get,
        routes::tickets::update,
        routes::tickets::delete,
        routes::tickets::move_ticket,
        routes::tickets::claim,
        routes::tickets::release,
        routes::comments::create,
        routes::comments::for_ticket,
        routes::comments::delete,
        routes::history::ticket_history,
        routes::history::transitions,
        routes::history::activity,
        routes::history::stats,
        routes::statistics::board_statistics,
        routes::statistics::ticket_statistics,
        routes::statistics::performance,
        routes::statistics::ticket_colors,
        routes::statistics::realtime_colors,
        routes::statistics::column_statistics,
        routes::statistics::board_moves,
        routes::statistics::all_moves,
        routes::statistics::clear_moves,
        routes::statistics::clear_cache,
        routes::statistics::health,
        routes::bulk::move_tickets,
        routes::bulk::set_priorities,
        routes::bulk::assign,
        routes::bulk::status,
        routes::ws::connect,
        routes::ws::stats,
        routes::ws::cleanup,
        routes::ws::broadcast,
    ),
    components(schemas(
        ErrorEnvelope,
        ErrorBody,
        ErrorCode,
        ValidationError,
        // Referenced from query parameters, whose schemas are not collected on their own.
        kanban_domain::HistoryField,
        kanban_domain::values::AssigneeName,
        crate::dto::OptionalName,
    )),
    modifiers(&BearerScheme, &CommonErrors),
    tags(
        (name = "service", description = "What the server is, whether it is healthy, and its metrics (public, except the overview `GET /api/health`)"),
        (name = "documentation", description = "This document and its interactive explorer (public)"),
        (name = "auth", description = "Accounts, logins and tokens"),
        (name = "users", description = "User administration (admins)"),
        (name = "sessions", description = "Display-name sessions of anonymous viewers; they grant no permission"),
        (name = "boards", description = "Boards, their columns and their tickets"),
        (name = "tickets", description = "Tickets: create, change, move, claim, release"),
        (name = "comments", description = "Comments on tickets"),
        (name = "history", description = "The change history of tickets and boards"),
        (name = "statistics", description = "Time in column, colour classes, performance and move metrics (pm, admin)"),
        (name = "bulk", description = "Moving, re-prioritising and assigning many tickets at once (pm, admin; 10 requests per minute)"),
        (name = "live", description = "The live event stream (WebSocket) and its administration"),
    ),
)]
pub struct ApiDoc;

/// The OpenAPI document served at `/openapi.json`.
pub fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

/// The `bearer` scheme: a JWT access token in `Authorization: Bearer <token>`.
#[derive(Debug)]
struct BearerScheme;

impl Modify for BearerScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let scheme = HttpBuilder::new()
            .scheme(HttpAuthScheme::Bearer)
            .bearer_format("JWT")
            .description(Some(
                "An access token from `POST /api/auth/login` or `/api/auth/refresh` \
                 (HS256, 30 minutes by default)",
            ))
            .build();
        components
            .security_schemes
            .insert(BEARER.to_owned(), SecurityScheme::Http(scheme).into());
    }
}

/// Adds the statuses that follow from an operation's shape; a handler's own description of the
/// same status wins.
#[derive(Debug)]
struct CommonErrors;

impl Modify for CommonErrors {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for item in openapi.paths.paths.values_mut() {
            let operations = [
                &mut item.get,
                &mut item.post,
                &mut item.put,
                &mut item.delete,
            ];
            for operation in operations.into_iter().flatten() {
                add_common_errors(operation);
            }
        }
    }
}

fn add_common_errors(operation: &mut Operation) {
    let parameters: Vec<(ParameterIn, String)> = operation
        .parameters
        .iter()
        .flatten()
        .filter_map(|p| match p {
            RefOr::T(p) => Some((p.parameter_in.clone(), p.name.clone())),
            RefOr::Ref(_) => None,
        })
        .collect();
    let id_in_path = parameters
        .iter()
        .any(|(at, name)| *at == ParameterIn::Path && name.ends_with("_id"));
    let has_body = operation.request_body.is_some();
    let reads_input =
        has_body || id_in_path || parameters.iter().any(|(at, _)| *at == ParameterIn::Query);
    let authenticated = operation.security.iter().flatten().any(|requirement| {
        serde_json::to_value(requirement)
            .ok()
            .is_some_and(|v| v.get(BEARER).is_some())
    });
    let mut common = Vec::new();
    if authenticated {
        common.push((
            "401",
            error(
                "No token (and anonymous access does not allow this), a malformed \
                 `Authorization` header, or an invalid, expired or revoked token",
            )
            .header(
                "WWW-Authenticate",
                header(Type::String, "`Bearer`: how to authenticate"),
            ),
        ));
    }
    if id_in_path {
        common.push(("404", error("The id in the path names nothing")));
    }
    if reads_input {
        common.push((
            "422",
            error(
                "Invalid input: `validation_errors` names every invalid field (`body.…`, \
                 `query.…`, `path.…`)",
            ),
        ));
    }
    if has_body {
        common.push((
            "413",
            error("The body is larger than the configured limit (1 MiB by default)"),
        ));
        common.push(("415", error("The body is not sent as `application/json`")));
    }
    common.push((
        "429",
        error("A rate limit was reached").header(
            "Retry-After",
            header(Type::Integer, "Seconds to wait before trying again"),
        ),
    ));
    for (status, response) in common {
        operation
            .responses
            .responses
            .entry(status.to_owned())
            .or_insert_with(|| RefOr::T(response.build()));
    }
}

/// A response carrying the error envelope.
fn error(description: &str) -> ResponseBuilder {
    ResponseBuilder::new().description(description).content(
        "application/json",
        Content::new(Some(Ref::from_schema_name("ErrorEnvelope"))),
    )
}

fn header(kind: Type, description: &str) -> Header {
    HeaderBuilder::new()
        .schema(Some(Object::with_type(kind)))
        .description(Some(description))
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::routes::table::RouteEntry;
    use std::collections::BTreeSet;

    fn documented() -> BTreeSet<RouteEntry> {
        let doc = document();
        let mut routes = BTreeSet::new();
        for (path, item) in &doc.paths.paths {
            let methods = [
                ("GET", item.get.is_some()),
                ("POST", item.post.is_some()),
                ("PUT", item.put.is_some()),
                ("DELETE", item.delete.is_some()),
                ("PATCH", item.patch.is_some()),
                ("HEAD", item.head.is_some()),
                ("OPTIONS", item.options.is_some()),
                ("TRACE", item.trace.is_some()),
            ];
            for (method, present) in methods {
                if present {
                    routes.insert(RouteEntry {
                        method,
                        path: path.clone(),
                    });
                }
            }
        }
        routes
    }

    #[test]
    fn every_registered_route_is_documented_and_every_documented_route_registered() {
        let registered: BTreeSet<RouteEntry> = routes::table().into_iter().collect();
        let documented = documented();
        let undocumented: Vec<String> = registered
            .difference(&documented)
            .map(ToString::to_string)
            .collect();
        let unregistered: Vec<String> = documented
            .difference(&registered)
            .map(ToString::to_string)
            .collect();
        assert!(
            undocumented.is_empty(),
            "registered but missing from the OpenAPI document (add #[utoipa::path] to the \
             handler and list it in ApiDoc's paths): {undocumented:#?}"
        );
        assert!(
            unregistered.is_empty(),
            "in the OpenAPI document but not registered (or registered under another path or \
             method): {unregistered:#?}"
        );
    }

    #[test]
    fn routes_are_registered_once() {
        let table = routes::table();
        let unique: BTreeSet<&RouteEntry> = table.iter().collect();
        assert_eq!(unique.len(), table.len(), "a route registered twice");
    }

    #[test]
    fn operation_ids_are_unique() {
        let doc = document();
        let mut seen = BTreeSet::new();
        for item in doc.paths.paths.values() {
            for operation in [&item.get, &item.post, &item.put, &item.delete]
                .into_iter()
                .flatten()
            {
                let id = operation.operation_id.clone().unwrap_or_default();
                assert!(seen.insert(id.clone()), "operation id {id} used twice");
            }
        }
    }

    #[test]
    fn every_error_code_is_in_the_schema() {
        let doc = serde_json::to_value(document()).unwrap();
        let codes = &doc["components"]["schemas"]["ErrorCode"]["enum"];
        for status in 400..600 {
            let Ok(status) = actix_web::http::StatusCode::from_u16(status) else {
                continue;
            };
            let code = crate::error::code_for(status);
            assert!(
                codes.as_array().unwrap().iter().any(|c| c == code),
                "{code} is missing from ErrorCode"
            );
        }
    }

    #[test]
    fn the_document_is_openapi_3_1_with_the_bearer_scheme() {
        let doc = serde_json::to_value(document()).unwrap();
        assert_eq!(doc["openapi"], "3.1.0");
        assert_eq!(doc["info"]["title"], "Agent Kanban API");
        assert_eq!(doc["info"]["version"], env!("CARGO_PKG_VERSION"));
        let scheme = &doc["components"]["securitySchemes"][BEARER];
        assert_eq!(scheme["type"], "http");
        assert_eq!(scheme["scheme"], "bearer");
        assert_eq!(
            doc["paths"]["/api/tickets/{ticket_id}"]["put"]["security"][0][BEARER],
            serde_json::json!([])
        );
        assert!(
            doc["paths"]["/api/auth/login"]["post"]["security"]
                .as_array()
                .is_none_or(|s| s.iter().all(|r| r.get(BEARER).is_none())),
            "login is public"
        );
    }
}
