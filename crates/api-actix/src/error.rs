//! The one API error type: every failure, from the domain or from actix itself, leaves the server
//! as the contract's envelope `{"error": {code, message, error_id, timestamp, …}}`.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, ResponseError};
use kanban_domain::{DomainError, FieldError};
use serde::Serialize;
use std::fmt;

/// A failed request, as the client will see it.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    message: String,
    validation_errors: Vec<ValidationError>,
    /// For 5xx: the cause, logged with the `error_id` and never sent.
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
    /// Headers the response must carry (`Retry-After`, `Allow`, `X-Request-Id`).
    headers: Vec<(header::HeaderName, header::HeaderValue)>,
}

/// The content type of every JSON answer, as the contract gives it.
pub const JSON_UTF8: &str = "application/json; charset=utf-8";

/// One entry of `validation_errors`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ValidationError {
    /// Where the invalid input was: `body.title`, `body.columns[1]`, `query.page_size`,
    /// `path.ticket_id`, or `body` for the body as a whole.
    #[schema(examples("body.title"))]
    pub field: String,
    #[schema(examples("must not be empty"))]
    pub message: String,
    /// `json_invalid`, `missing`, `type_error`, `extra_forbidden`, `null_forbidden`,
    /// `string_too_short`, `string_too_long`, `too_short`, `too_long`, `out_of_range`,
    /// `value_error`, `invalid_column` or `enum`.
    #[serde(rename = "type")]
    #[schema(examples("string_too_short"))]
    pub kind: String,
}

/// The body of every non-2xx answer (contract §0).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorEnvelope {
    pub error: ErrorBody,
}

/// What went wrong.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// Follows the status: see [`code_for`].
    #[schema(value_type = ErrorCode)]
    pub code: &'static str,
    /// A sentence for people; a 500 says only `Internal server error`.
    pub message: String,
    /// Ties the answer to the server's log line describing it.
    #[schema(pattern = "^err_[0-9a-f]{16}$", examples("err_5dddb95157504095"))]
    pub error_id: String,
    /// When, in Unix seconds.
    pub timestamp: i64,
    /// Only on 422: every invalid input.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(required = false)]
    pub validation_errors: Vec<ValidationError>,
}

/// The envelope's `code`s (documentation of [`code_for`]'s values).
#[derive(Debug, Clone, Copy, utoipa::ToSchema)]
#[schema(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ErrorCode {
    BadRequest,
    Unauthorized,
    Forbidden,
    NotFound,
    MethodNotAllowed,
    Conflict,
    PreconditionFailed,
    PayloadTooLarge,
    UnsupportedMediaType,
    ValidationError,
    RateLimited,
    InternalError,
    Unavailable,
}

/// The envelope's `code` for a status.
pub fn code_for(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "BAD_REQUEST",
        401 => "UNAUTHORIZED",
        403 => "FORBIDDEN",
        404 => "NOT_FOUND",
        405 => "METHOD_NOT_ALLOWED",
        409 => "CONFLICT",
        412 => "PRECONDITION_FAILED",
        413 => "PAYLOAD_TOO_LARGE",
        415 => "UNSUPPORTED_MEDIA_TYPE",
        422 => "VALIDATION_ERROR",
        429 => "RATE_LIMITED",
        503 => "UNAVAILABLE",
        s if s >= 500 => "INTERNAL_ERROR",
        _ => "BAD_REQUEST",
    }
}

/// A default message for statuses raised outside the handlers (actix's 404, 405, …).
pub fn default_message(status: StatusCode) -> &'static str {
    match status.as_u16() {
        401 => "Authentication required",
        403 => "Not allowed",
        404 => "Not found",
        405 => "Method not allowed on this path",
        413 => "Request body too large",
        415 => "Content-Type must be application/json",
        429 => "Too many requests",
        503 => "Service unavailable",
        s if s >= 500 => "Internal server error",
        _ => "Bad request",
    }
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
            validation_errors: Vec::new(),
            source: None,
            headers: Vec::new(),
        }
    }

    /// Adds a header to the error response.
    #[must_use]
    pub fn with_header(mut self, name: header::HeaderName, value: header::HeaderValue) -> Self {
        self.headers.push((name, value));
        self
    }

    pub fn not_found(what: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, format!("{what} not found"))
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    /// A 401; the response carries `WWW-Authenticate: Bearer`.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, message)
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, message)
    }

    /// A 422 listing the invalid fields, each under `location` (`body`, `query`, `path`).
    pub fn validation(location: &str, errors: Vec<FieldError>) -> Self {
        let validation_errors: Vec<ValidationError> = errors
            .into_iter()
            .map(|e| ValidationError {
                field: if e.field.is_empty() {
                    location.to_owned()
                } else if e.field.starts_with('[') {
                    format!("{location}{}", e.field)
                } else {
                    format!("{location}.{}", e.field)
                },
                message: e.message,
                kind: e.kind.to_owned(),
            })
            .collect();
        let message = match validation_errors.as_slice() {
            [one] => format!("Invalid {}: {}", one.field, one.message),
            many => format!("{} invalid fields", many.len()),
        };
        Self {
            validation_errors,
            ..Self::new(StatusCode::UNPROCESSABLE_ENTITY, message)
        }
    }

    pub fn internal(source: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self {
            source: Some(source.into()),
            ..Self::new(StatusCode::INTERNAL_SERVER_ERROR, "Internal server error")
        }
    }

    pub fn status(&self) -> StatusCode {
        self.status
    }

    pub fn message(&self) -> &str {
        &self.message
    }

    pub fn validation_errors(&self) -> &[ValidationError] {
        &self.validation_errors
    }

    /// The envelope for `status` with `message` and a fresh error id.
    pub fn envelope(
        status: StatusCode,
        message: &str,
        validation_errors: &[ValidationError],
    ) -> HttpResponse {
        Self::envelope_with_id(status, message, validation_errors, &new_error_id())
    }

    fn envelope_with_id(
        status: StatusCode,
        message: &str,
        validation_errors: &[ValidationError],
        error_id: &str,
    ) -> HttpResponse {
        let body = ErrorEnvelope {
            error: ErrorBody {
                code: code_for(status),
                message: message.to_owned(),
                error_id: error_id.to_owned(),
                timestamp: chrono::Utc::now().timestamp(),
                validation_errors: validation_errors.to_vec(),
            },
        };
        let mut response = HttpResponse::build(status);
        if status == StatusCode::UNAUTHORIZED {
            response.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
        }
        match serde_json::to_string(&body) {
            Ok(json) => response.content_type(JSON_UTF8).body(json),
            // Serialising strings and numbers cannot fail; answer without a body if it ever does.
            Err(_) => response.finish(),
        }
    }
}

/// The envelope's `error` object for `status` and `message`, with a fresh error id, as a JSON value:
/// for answers that carry more than the envelope (a failed health check keeps its `status`).
pub fn error_object(status: StatusCode, message: &str) -> serde_json::Value {
    serde_json::json!({
        "code": code_for(status),
        "message": message,
        "error_id": new_error_id(),
        "timestamp": chrono::Utc::now().timestamp(),
    })
}

/// A fresh `err_…` id that ties a response to the log line describing its cause.
pub fn new_error_id() -> String {
    let id = uuid::Uuid::new_v4().simple().to_string();
    format!("err_{}", &id[..16])
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.status.as_u16(), self.message)
    }
}

impl std::error::Error for ApiError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|s| s as &(dyn std::error::Error + 'static))
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let error_id = new_error_id();
        if self.status.is_server_error() {
            match &self.source {
                Some(cause) => {
                    tracing::error!(%error_id, error = %cause, cause = ?cause, "request failed");
                }
                None => tracing::error!(%error_id, message = %self.message, "request failed"),
            }
        }
        let mut response = Self::envelope_with_id(
            self.status,
            &self.message,
            &self.validation_errors,
            &error_id,
        );
        for (name, value) in &self.headers {
            response.headers_mut().insert(name.clone(), value.clone());
        }
        response
    }
}

impl From<DomainError> for ApiError {
    /// Validation errors are reported as fields of the request body; use
    /// [`ApiError::from_domain_at`] when the checked input came from elsewhere.
    fn from(error: DomainError) -> Self {
        Self::from_domain_at(error, "body")
    }
}

impl ApiError {
    /// Maps a domain error, reporting invalid fields under `location` (`body`, `query`).
    pub fn from_domain_at(error: DomainError, location: &str) -> Self {
        match error {
            DomainError::NotFound(what) => Self::not_found(what),
            DomainError::Validation(errors) => Self::validation(location, errors),
            DomainError::AlreadyClaimed { assignee } => Self::new(
                StatusCode::CONFLICT,
                format!("Ticket is already claimed by {assignee}"),
            ),
            DomainError::ColumnNotEmpty { column, tickets } => Self::new(
                StatusCode::CONFLICT,
                format!(
                    "Column '{column}' still holds {tickets} ticket(s): move them first, or replace the \
                     columns with PUT /api/boards/{{id}}/columns?move_to=<column> to move them along"
                ),
            ),
            DomainError::Duplicate(message) => Self::new(StatusCode::CONFLICT, message),
            DomainError::PreconditionFailed { current } => Self::new(
                StatusCode::PRECONDITION_FAILED,
                format!("If-Match does not match the current version \"{current}\""),
            ),
            DomainError::Conflict => Self::new(
                StatusCode::CONFLICT,
                "The resource was modified concurrently; retry the request",
            ),
            DomainError::Forbidden(message) => Self::forbidden(message),
            DomainError::Unauthenticated(message) => Self::unauthorized(message),
            DomainError::Internal(source) => Self::internal(source),
        }
    }
}
