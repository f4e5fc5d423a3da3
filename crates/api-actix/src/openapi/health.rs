//! Schemas of the health and status answers (`routes/health.rs`), which the handlers build as
//! JSON values: these structs only describe them. schemathesis (`scripts/schemathesis.sh`)
//! checks the real answers against them.

use crate::error::ErrorBody;
use crate::memory::{LeakDetection, MemoryStatistics};
use utoipa::ToSchema;

/// `GET /health` when the database answers.
#[derive(Debug, ToSchema)]
pub struct Health {
    #[schema(examples("healthy"))]
    pub status: String,
    #[schema(examples("available"))]
    pub websocket: String,
    /// `enabled` when CORS origins are configured, else `disabled`.
    #[schema(examples("enabled"))]
    pub cors: String,
}

/// `GET /health` when the database does not answer (503): the health fields and the error.
#[derive(Debug, ToSchema)]
pub struct Unhealthy {
    #[schema(examples("unhealthy"))]
    pub status: String,
    pub websocket: String,
    pub cors: String,
    pub error: ErrorBody,
}

/// `GET /health/detailed`.
#[derive(Debug, ToSchema)]
pub struct DetailedHealth {
    /// `healthy`, `degraded` (issues but the database answers) or `unhealthy` (503).
    #[schema(examples("healthy"))]
    pub status: String,
    #[schema(format = DateTime)]
    pub timestamp: String,
    pub uptime_seconds: f64,
    pub database: DatabaseHealth,
    pub memory: ResidentMemory,
    pub websocket: LiveConnections,
    /// What is wrong, in words; empty when healthy.
    pub issues: Vec<String>,
}

/// The database part of `GET /health/detailed`.
#[derive(Debug, ToSchema)]
pub struct DatabaseHealth {
    /// `healthy` or `unhealthy`.
    pub status: String,
    pub latency_ms: f64,
    /// The database file's size (`null` for in-memory storage or when it does not answer).
    pub size_bytes: Option<u64>,
    pub wal_size_bytes: Option<u64>,
}

#[derive(Debug, ToSchema)]
pub struct ResidentMemory {
    /// `null` where the platform does not tell.
    pub rss_mb: Option<f64>,
}

#[derive(Debug, ToSchema)]
pub struct LiveConnections {
    pub active_connections: u64,
}

/// `GET /health/memory`.
#[derive(Debug, ToSchema)]
pub struct MemoryReport {
    pub current: CurrentMemory,
    pub threshold_mb: f64,
    pub history_count: u64,
    /// `null` before the first sample.
    pub statistics: Option<MemoryStatistics>,
    pub leak_detection: LeakDetection,
}

#[derive(Debug, ToSchema)]
pub struct CurrentMemory {
    pub rss_mb: Option<f64>,
    pub over_threshold: bool,
    #[schema(format = DateTime)]
    pub timestamp: String,
}

/// `GET /api/health/simple`.
#[derive(Debug, ToSchema)]
pub struct SimpleHealth {
    #[schema(examples("ok"))]
    pub status: String,
    #[schema(format = DateTime)]
    pub timestamp: String,
}

/// `GET /api/status`.
#[derive(Debug, ToSchema)]
pub struct ServiceStatus {
    #[schema(examples("operational"))]
    pub status: String,
    pub version: String,
    pub websocket_available: bool,
    pub endpoints: Endpoints,
}

#[derive(Debug, ToSchema)]
pub struct Endpoints {
    #[schema(examples("/api/boards"))]
    pub boards: String,
    #[schema(examples("/api/tickets"))]
    pub tickets: String,
    #[schema(examples("/ws/connect"))]
    pub websocket: String,
}
