//! Errors of the use cases (business outcomes) and of the storage ports.

use std::fmt;

/// One invalid input field, named by its location in the request (`title`, `columns[2]`).
///
/// The API layer prefixes the location with where it came from (`body.`, `query.`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub message: String,
    /// A short machine-readable kind such as `string_too_long` or `value_error`.
    pub kind: &'static str,
}

impl FieldError {
    pub fn new(field: impl Into<String>, kind: &'static str, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
            kind,
        }
    }

    /// The same error reported at another location, e.g. `name` inside `columns[1]`.
    #[must_use]
    pub fn at(mut self, field: impl Into<String>) -> Self {
        self.field = field.into();
        self
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

/// What a use case can answer instead of its result.
#[derive(Debug, thiserror::Error)]
pub enum DomainError {
    /// The named resource does not exist (`"Ticket"`, `"Board"`, `"Comment"`, `"Column"`).
    #[error("{0} not found")]
    NotFound(&'static str),

    /// The input broke a rule of the domain's value types.
    #[error("validation failed: {}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Validation(Vec<FieldError>),

    /// The ticket is already assigned, so it cannot be claimed.
    #[error("ticket is already claimed by {assignee}")]
    AlreadyClaimed { assignee: String },

    /// A column that still holds tickets was to be removed without saying where they go.
    #[error("column '{column}' still holds {tickets} ticket(s); pass move_to to relocate them")]
    ColumnNotEmpty { column: String, tickets: usize },

    /// A duplicate of something that must be unique.
    #[error("{0}")]
    Duplicate(String),

    /// The client's `If-Match` version is not the current one.
    #[error("version mismatch: the resource is at version {current}")]
    PreconditionFailed { current: i64 },

    /// Concurrent writers kept winning the race; the client may retry.
    #[error("the resource was modified concurrently; retry the request")]
    Conflict,

    /// The actor may not do this.
    #[error("{0}")]
    Forbidden(String),

    /// The credentials or token presented do not identify a live account (wrong password,
    /// unknown user, revoked or reused token).
    #[error("{0}")]
    Unauthenticated(String),

    /// A failure that is not the caller's fault (storage down, corrupt row).
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl DomainError {
    pub fn invalid(
        field: impl Into<String>,
        kind: &'static str,
        message: impl Into<String>,
    ) -> Self {
        Self::Validation(vec![FieldError::new(field, kind, message)])
    }
}

/// What a storage port can answer instead of its result.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A guard of the change failed: a row's `version` moved, a row disappeared, or a column
    /// no longer holds the tickets the change was decided on. Nothing was written.
    #[error("the data changed since it was read")]
    Conflict,

    /// A row the change refers to does not exist. Nothing was written.
    #[error("referenced row not found")]
    NotFound,

    /// A value that must be unique is taken; the text names the field (`username`, `email`).
    /// Nothing was written.
    #[error("{0} is already taken")]
    Duplicate(String),

    /// The storage failed; nothing was written.
    #[error("storage failure: {0}")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl StoreError {
    pub fn internal(err: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self::Internal(Box::new(err))
    }
}

impl From<StoreError> for DomainError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::Conflict => Self::Conflict,
            StoreError::NotFound => Self::NotFound("Resource"),
            StoreError::Duplicate(field) => Self::Duplicate(format!("{field} is already taken")),
            StoreError::Internal(source) => Self::Internal(source),
        }
    }
}
