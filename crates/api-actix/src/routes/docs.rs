//! `/docs` and `/openapi.json` (contract §9): the OpenAPI document generated from the code
//! (`crate::openapi`) and Swagger UI to explore it. Swagger UI's files are compiled into the
//! binary by `utoipa-swagger-ui` (its `vendored` feature), so the page loads nothing from another
//! host.

use super::table::Routes;
use crate::error::ApiError;
use crate::middleware::TrailingSlash;
use actix_web::http::header;
use actix_web::{HttpMessage, HttpRequest, HttpResponse, web};
use std::sync::{Arc, LazyLock};
use utoipa_swagger_ui::Config;

pub(super) fn configure(routes: &mut Routes<'_>) {
    routes.resource("/openapi.json", |r| r.get(openapi_json));
    routes.resource("/docs", |r| r.get(index));
    routes.resource("/docs/{file}", |r| r.get(asset));
}

/// Where Swagger UI is served; its page links its files relative to this.
const DOCS_ROOT: &str = "/docs/";

/// The document, built once.
static DOCUMENT: LazyLock<utoipa::openapi::OpenApi> = LazyLock::new(crate::openapi::document);

/// Swagger UI reads the document from `/openapi.json`. The online validator badge is off: it
/// would send the document's URL to another host.
static SWAGGER: LazyLock<Arc<Config<'static>>> = LazyLock::new(|| {
    Arc::new(
        Config::new(["/openapi.json"])
            .validator_url("none")
            .persist_authorization(true)
            .display_request_duration(true)
            .try_it_out_enabled(true),
    )
});

/// The OpenAPI 3.1 document of every route.
#[utoipa::path(
    get,
    path = "/openapi.json",
    operation_id = "openapi_document",
    tag = "documentation",
    responses(
        (status = 200, description = "The OpenAPI 3.1 document of this API", body = Object, content_type = "application/json"),
    ),
)]
async fn openapi_json() -> HttpResponse {
    HttpResponse::Ok().json(&*DOCUMENT)
}

/// The interactive API explorer (Swagger UI). `/docs` redirects to `/docs/`, so the page's
/// relative links reach its files.
#[utoipa::path(
    get,
    path = "/docs",
    operation_id = "api_explorer",
    tag = "documentation",
    responses(
        (status = 200, description = "The Swagger UI page (requested as `/docs/`)", content_type = "text/html"),
        (status = 301, description = "`/docs` without the trailing slash redirects to `/docs/`", headers(("Location" = String, description = "`/docs/`"))),
    ),
)]
async fn index(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    if req.extensions().get::<TrailingSlash>().is_none() {
        let target = match req.query_string() {
            "" => DOCS_ROOT.to_owned(),
            query => format!("{DOCS_ROOT}?{query}"),
        };
        return Ok(HttpResponse::MovedPermanently()
            .insert_header((header::LOCATION, target))
            .finish());
    }
    serve("index.html")
}

/// A file of the explorer: its scripts, style sheets and icons.
#[utoipa::path(
    get,
    path = "/docs/{file}",
    operation_id = "api_explorer_file",
    tag = "documentation",
    params(("file" = String, Path, description = "A file of Swagger UI, e.g. `swagger-ui-bundle.js`")),
    responses(
        (status = 200, description = "The file", content_type = "*/*"),
        (status = 404, description = "No such file", body = crate::error::ErrorEnvelope),
    ),
)]
async fn asset(file: web::Path<String>) -> Result<HttpResponse, ApiError> {
    serve(&file)
}

fn serve(file: &str) -> Result<HttpResponse, ApiError> {
    let found = utoipa_swagger_ui::serve(file, SWAGGER.clone())
        .map_err(|e| ApiError::internal(e.to_string()))?
        .ok_or_else(|| ApiError::not_found("Documentation file"))?;
    Ok(HttpResponse::Ok()
        .content_type(found.content_type)
        .body(found.bytes.into_owned()))
}
