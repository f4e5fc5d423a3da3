//! Prometheus metrics of `GET /metrics`: request counts and latency histograms per route
//! pattern, method and status (recorded by `middleware::RequestFrame`), the tickets created, moved and
//! claimed, the events published, WebSocket connections and the database pool.
//!
//! Each server state owns its registry (no global recorder), so servers in one process, as in
//! the tests, count separately.

use actix_web::http::StatusCode;
use kanban_domain::event::{Event, EventKind};
use kanban_domain::ports::PoolState;
use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, Opts, Registry,
    TextEncoder,
};
use std::time::Duration;

const NAMESPACE: &str = "kanban";

/// Latency buckets in seconds: a single-ticket read takes well under a millisecond, a write a
/// few, a request queued behind many writers tens to hundreds.
const LATENCY_BUCKETS: &[f64] = &[
    0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

/// What requests that match no route are labelled with, so unknown paths cannot explode the
/// number of series.
pub const UNMATCHED_ROUTE: &str = "unmatched";

/// The registry and the metrics this server records.
#[derive(Clone)]
pub struct Metrics {
    registry: Registry,
    http_requests: IntCounterVec,
    http_durations: HistogramVec,
    tickets_created: IntCounter,
    tickets_moved: IntCounter,
    tickets_claimed: IntCounter,
    events_published: IntCounterVec,
    websocket_connections: IntGauge,
    pool_connections: IntGauge,
    pool_idle: IntGauge,
    pool_max: IntGauge,
    db_writes: IntCounter,
    db_transactions: IntCounter,
    db_reruns: IntCounter,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

/// Why the metrics could not be registered (a bug: the names are fixed).
#[derive(Debug, thiserror::Error)]
#[error("metrics registration failed: {0}")]
pub struct MetricsError(String);

impl Metrics {
    /// A fresh registry with every metric registered.
    ///
    /// # Errors
    /// When a metric is refused by the registry (an invalid or duplicate name).
    pub fn new() -> Result<Self, MetricsError> {
        let registry = Registry::new();
        let labels = ["endpoint", "method", "status"];
        let http_requests = IntCounterVec::new(
            Opts::new("http_requests_total", "Total number of HTTP requests").namespace(NAMESPACE),
            &labels,
        )
        .map_err(|e| MetricsError(e.to_string()))?;
        let http_durations = HistogramVec::new(
            HistogramOpts::new(
                "http_requests_duration_seconds",
                "HTTP request duration in seconds for all requests",
            )
            .namespace(NAMESPACE)
            .buckets(LATENCY_BUCKETS.to_vec()),
            &labels,
        )
        .map_err(|e| MetricsError(e.to_string()))?;
        registry
            .register(Box::new(http_requests.clone()))
            .map_err(|e| MetricsError(e.to_string()))?;
        registry
            .register(Box::new(http_durations.clone()))
            .map_err(|e| MetricsError(e.to_string()))?;
        let counter = |name: &str, help: &str| -> Result<IntCounter, MetricsError> {
            let counter = IntCounter::with_opts(Opts::new(name, help).namespace(NAMESPACE))
                .map_err(|e| MetricsError(e.to_string()))?;
            registry
                .register(Box::new(counter.clone()))
                .map_err(|e| MetricsError(e.to_string()))?;
            Ok(counter)
        };
        let gauge = |name: &str, help: &str| -> Result<IntGauge, MetricsError> {
            let gauge = IntGauge::with_opts(Opts::new(name, help).namespace(NAMESPACE))
                .map_err(|e| MetricsError(e.to_string()))?;
            registry
                .register(Box::new(gauge.clone()))
                .map_err(|e| MetricsError(e.to_string()))?;
            Ok(gauge)
        };
        let events_published = IntCounterVec::new(
            Opts::new(
                "events_published_total",
                "Committed events published to WebSocket subscribers, by event name",
            )
            .namespace(NAMESPACE),
            &["event"],
        )
        .map_err(|e| MetricsError(e.to_string()))?;
        registry
            .register(Box::new(events_published.clone()))
            .map_err(|e| MetricsError(e.to_string()))?;
        Ok(Self {
            http_requests,
            http_durations,
            tickets_created: counter("tickets_created_total", "Tickets created")?,
            tickets_moved: counter(
                "tickets_moved_total",
                "Tickets moved to another column, single or bulk",
            )?,
            tickets_claimed: counter("tickets_claimed_total", "Tickets claimed by an agent")?,
            events_published,
            websocket_connections: gauge("websocket_connections", "Open WebSocket connections")?,
            pool_connections: gauge(
                "db_pool_connections",
                "Database connections open, busy or idle",
            )?,
            pool_idle: gauge("db_pool_idle_connections", "Database connections idle")?,
            pool_max: gauge(
                "db_pool_max_connections",
                "The most database connections the pool opens",
            )?,
            db_writes: counter("db_writes_total", "Database writes committed or refused")?,
            db_transactions: counter(
                "db_transactions_total",
                "Database write transactions (group commit puts concurrent writes in one)",
            )?,
            db_reruns: counter(
                "db_transaction_reruns_total",
                "Write transactions rolled back and run again to undo one failed write alone",
            )?,
            registry,
        })
    }

    /// Counts a request answered with `status` in `elapsed`, under its route pattern
    /// (`endpoint`, [`UNMATCHED_ROUTE`] when it matched none) and method.
    pub fn observe_request(
        &self,
        endpoint: &str,
        method: &str,
        status: StatusCode,
        elapsed: Duration,
    ) {
        let labels = [endpoint, method, status.as_str()];
        self.http_durations
            .with_label_values(&labels)
            .observe(elapsed.as_secs_f64());
        self.http_requests.with_label_values(&labels).inc();
    }

    /// Counts committed changes by their events: every ticket write, single or bulk, publishes
    /// exactly one event per ticket it changed.
    pub fn count_events(&self, events: &[Event]) {
        for event in events {
            match event.event {
                EventKind::TicketCreated => self.tickets_created.inc(),
                EventKind::TicketMoved => self.tickets_moved.inc(),
                EventKind::TicketClaimed => self.tickets_claimed.inc(),
                _ => {}
            }
            self.events_published
                .with_label_values(&[event.event.as_str()])
                .inc();
        }
    }

    /// The registry in the Prometheus text format, with the gauges read now.
    pub fn render(&self, websocket_connections: usize, pool: Option<PoolState>) -> String {
        self.websocket_connections
            .set(i64::try_from(websocket_connections).unwrap_or(i64::MAX));
        if let Some(pool) = pool {
            self.pool_connections.set(i64::from(pool.connections));
            self.pool_idle.set(i64::from(pool.idle));
            self.pool_max.set(i64::from(pool.max_size));
            catch_up(&self.db_writes, pool.writes);
            catch_up(&self.db_transactions, pool.transactions);
            catch_up(&self.db_reruns, pool.reruns);
        }
        let mut text = Vec::new();
        // Encoding in-memory samples into a Vec cannot fail but for invalid names, which
        // registration already refused.
        if let Err(error) = TextEncoder::new().encode(&self.registry.gather(), &mut text) {
            tracing::error!(%error, "encoding metrics failed");
        }
        String::from_utf8(text).unwrap_or_default()
    }
}

/// Raises `counter` to `total`, a count kept elsewhere (counters only go up).
fn catch_up(counter: &IntCounter, total: u64) {
    let seen = counter.get();
    if total > seen {
        counter.inc_by(total - seen);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kanban_domain::BoardId;

    fn event(kind: EventKind) -> Event {
        Event {
            event: kind,
            board_id: BoardId::new(1),
            seq: 1,
            timestamp: chrono::Utc::now(),
            data: kanban_domain::EventData::of(&serde_json::json!({"board_id": 1})).unwrap(),
        }
    }

    #[test]
    fn counts_ticket_changes_by_their_events() {
        let metrics = Metrics::new().unwrap();
        metrics.count_events(&[
            event(EventKind::TicketCreated),
            event(EventKind::TicketMoved),
            event(EventKind::TicketMoved),
            event(EventKind::TicketClaimed),
            event(EventKind::CommentAdded),
        ]);
        let text = metrics.render(
            3,
            Some(PoolState {
                connections: 4,
                idle: 1,
                max_size: 8,
                writes: 10,
                transactions: 4,
                reruns: 1,
            }),
        );
        for line in [
            "kanban_tickets_created_total 1",
            "kanban_tickets_moved_total 2",
            "kanban_tickets_claimed_total 1",
            "kanban_events_published_total{event=\"comment_added\"} 1",
            "kanban_websocket_connections 3",
            "kanban_db_pool_connections 4",
            "kanban_db_pool_idle_connections 1",
            "kanban_db_pool_max_connections 8",
            "kanban_db_writes_total 10",
            "kanban_db_transactions_total 4",
            "kanban_db_transaction_reruns_total 1",
        ] {
            assert!(text.lines().any(|l| l == line), "{line} missing in\n{text}");
        }
    }
}
