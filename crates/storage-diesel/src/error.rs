//! Errors: [`StorageError`] for setting the store up, and the conversion of Diesel's errors into
//! the domain's [`StoreError`] at the edge of every port method.

use kanban_domain::StoreError;

/// Why the store could not be opened, migrated or checkpointed.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// The database location is not usable (an in-memory database, or a zero-sized pool).
    #[error("invalid storage configuration: {0}")]
    Config(String),

    /// The directory of the database file could not be created.
    #[error("cannot create the database directory {path}")]
    Directory {
        path: String,
        #[source]
        source: std::io::Error,
    },

    /// The first connection, which switches the file to WAL mode, failed.
    #[error("cannot open the database")]
    Connection(#[from] diesel::ConnectionError),

    /// The connection pool could not be built or gave no connection in time.
    #[error("connection pool failure")]
    Pool(#[from] diesel::r2d2::PoolError),

    /// The writer thread could not be started.
    #[error("cannot start the writer thread")]
    Writer(#[source] std::io::Error),

    /// A migration failed; the failed migration was rolled back.
    #[error("migration failed: {0}")]
    Migration(#[source] Box<dyn std::error::Error + Send + Sync>),

    /// A statement failed.
    #[error("database failure")]
    Query(#[from] diesel::result::Error),
}

/// A stored row the domain cannot read back (an unknown event kind, a payload that is not JSON).
#[derive(Debug, thiserror::Error)]
#[error("corrupt row: {0}")]
pub(crate) struct CorruptRow(pub(crate) String);

/// The error of a unit of work inside a transaction: a domain outcome (`Conflict`, `NotFound`),
/// or a Diesel failure, which rolls the transaction back like any other error.
#[derive(Debug)]
pub(crate) struct Failure(pub(crate) StoreError);

impl From<diesel::result::Error> for Failure {
    fn from(err: diesel::result::Error) -> Self {
        Self(StoreError::internal(err))
    }
}

impl From<StoreError> for Failure {
    fn from(err: StoreError) -> Self {
        Self(err)
    }
}

impl From<serde_json::Error> for Failure {
    fn from(err: serde_json::Error) -> Self {
        Self(StoreError::internal(err))
    }
}

impl From<CorruptRow> for Failure {
    fn from(err: CorruptRow) -> Self {
        Self(StoreError::internal(err))
    }
}

impl From<Failure> for StoreError {
    fn from(failure: Failure) -> Self {
        failure.0
    }
}

/// Shorthand for the result of a unit of work.
pub(crate) type Work<T> = Result<T, Failure>;
