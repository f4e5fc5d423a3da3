//! A closed-loop HTTP load: C connections, each sending its next request as soon as the previous
//! one is answered, for a fixed duration.

use crate::stats::{Summary, summarise};
use serde::Serialize;
use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What one workload at one concurrency achieved.
#[derive(Debug, Clone, Serialize)]
pub struct LoadResult {
    pub workload: String,
    pub connections: usize,
    pub seconds: f64,
    pub requests: usize,
    /// Any non-2xx answer or transport failure.
    pub errors: usize,
    /// The errors by route and answer (`POST /api/tickets/{id}/claim: 409 Conflict`).
    pub error_kinds: BTreeMap<String, usize>,
    pub requests_per_second: f64,
    pub latency: Summary,
    /// The latency of its reads (`GET`) and of its writes, when it sends both: the targets
    /// differ.
    pub reads: Option<Summary>,
    pub writes: Option<Summary>,
    /// Server CPU over the run, in percent of one core.
    pub server_cpu_percent: f64,
    /// Server resident set at the end of the run, in MB.
    pub server_rss_mb: f64,
}

/// The load generator's HTTP client: many pooled connections, no Nagle delay. Connections idle
/// for 4 s are dropped, below the server's 5 s: the server answers `408` and closes a connection
/// on which no request arrived within 5 s of opening (actix's first-request timeout), and a
/// pooled client opens such connections when it races a new connection against a busy pool and
/// the pool wins; reused after 5 s, one would read that `408` as the answer to its request.
pub fn client_builder() -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .tcp_nodelay(true)
        .pool_max_idle_per_host(1024)
        .pool_idle_timeout(Duration::from_secs(4))
}

/// One request answered: how long it took, and what went wrong if it did not succeed.
#[derive(Debug)]
pub struct Answered {
    latency_ms: f64,
    write: bool,
    error: Option<String>,
}

/// Sends `request` and reads the whole answer (a client that drops the body would measure less
/// than a real one), timing both. Anything but a 2xx answer read whole is an error, named by
/// the route (ids as `{id}`) and what came back.
pub async fn send(request: reqwest::RequestBuilder) -> Answered {
    let sent = Instant::now();
    let (client, request) = request.build_split();
    let mut write = false;
    let outcome = match request {
        Ok(request) => {
            let route = route_of(&request);
            write = request.method() != reqwest::Method::GET;
            match client.execute(request).await {
                Ok(response) => {
                    let status = response.status();
                    match response.bytes().await {
                        Ok(_) if status.is_success() => Ok(()),
                        Ok(_) => Err(format!("{route}: {status}")),
                        Err(error) => Err(format!("{route}: body not read ({error})")),
                    }
                }
                Err(error) => Err(format!("{route}: {}", transport(&error))),
            }
        }
        Err(error) => Err(format!("request not built: {error}")),
    };
    Answered {
        latency_ms: sent.elapsed().as_secs_f64() * 1000.0,
        write,
        error: outcome.err(),
    }
}

/// `GET /api/tickets/{id}` for `GET /api/tickets/42?x=1`.
fn route_of(request: &reqwest::Request) -> String {
    let path: Vec<&str> = request
        .url()
        .path()
        .split('/')
        .map(|part| {
            if !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()) {
                "{id}"
            } else {
                part
            }
        })
        .collect();
    format!("{} {}", request.method(), path.join("/"))
}

/// What kind of transport failure `error` is (its text names addresses and ports, which would
/// make every occurrence a kind of its own).
fn transport(error: &reqwest::Error) -> &'static str {
    if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "connection failed"
    } else if error.is_request() {
        "request failed"
    } else {
        "transport failed"
    }
}

/// Runs `request(worker, n)` from `connections` workers for `duration`; each call sends one or
/// more requests (one after the other) and returns their answers.
pub async fn run<F, Fut>(
    workload: &str,
    connections: usize,
    duration: Duration,
    request: F,
) -> LoadResult
where
    F: Fn(usize, usize) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Vec<Answered>> + Send,
{
    let request = Arc::new(request);
    let started = Instant::now();
    let deadline = started + duration;
    let workers: Vec<_> = (0..connections)
        .map(|worker| {
            let request = request.clone();
            tokio::spawn(async move {
                let mut latencies = [Vec::new(), Vec::new()];
                let mut errors = BTreeMap::<String, usize>::new();
                let mut n = 0;
                while Instant::now() < deadline {
                    for answered in request(worker, n).await {
                        latencies[usize::from(answered.write)].push(answered.latency_ms);
                        if let Some(error) = answered.error {
                            *errors.entry(error).or_default() += 1;
                        }
                    }
                    n += 1;
                }
                (latencies, errors)
            })
        })
        .collect();
    let [mut reads, mut writes] = [Vec::new(), Vec::new()];
    let mut error_kinds = BTreeMap::<String, usize>::new();
    for worker in workers {
        if let Ok(([mut own_reads, mut own_writes], own_errors)) = worker.await {
            reads.append(&mut own_reads);
            writes.append(&mut own_writes);
            for (kind, count) in own_errors {
                *error_kinds.entry(kind).or_default() += count;
            }
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    let requests = reads.len() + writes.len();
    let split = (!reads.is_empty() && !writes.is_empty())
        .then(|| (summarise(reads.clone()), summarise(writes.clone())));
    let mut latencies = reads;
    latencies.append(&mut writes);
    #[expect(clippy::cast_precision_loss, reason = "request counts fit an f64")]
    let requests_per_second = requests as f64 / seconds;
    LoadResult {
        workload: workload.to_owned(),
        connections,
        seconds,
        requests,
        errors: error_kinds.values().sum(),
        error_kinds,
        requests_per_second,
        latency: summarise(latencies),
        reads: split.map(|(reads, _)| reads),
        writes: split.map(|(_, writes)| writes),
        server_cpu_percent: 0.0,
        server_rss_mb: 0.0,
    }
}

impl LoadResult {
    pub fn row(&self) -> String {
        format!(
            "{:<28} {:>4} conn {:>9.0} req/s  p50 {:>7.2} ms  p99 {:>7.2} ms  max {:>8.2} ms  errors {:>5}  cpu {:>4.0}%  rss {:>6.1} MB",
            self.workload,
            self.connections,
            self.requests_per_second,
            self.latency.p50_ms,
            self.latency.p99_ms,
            self.latency.max_ms,
            self.errors,
            self.server_cpu_percent,
            self.server_rss_mb,
        ) + &self.split()
            + &self.error_kinds()
    }

    /// `  reads p99 12.00 ms, writes p99 40.00 ms` for a workload of both, or nothing.
    fn split(&self) -> String {
        match (self.reads, self.writes) {
            (Some(reads), Some(writes)) => format!(
                "  reads p99 {:.2} ms, writes p99 {:.2} ms",
                reads.p99_ms, writes.p99_ms
            ),
            _ => String::new(),
        }
    }

    /// `  (GET /x: 500 Internal Server Error ×2)`, or nothing without errors.
    fn error_kinds(&self) -> String {
        if self.error_kinds.is_empty() {
            return String::new();
        }
        let kinds: Vec<String> = self
            .error_kinds
            .iter()
            .map(|(kind, count)| format!("{kind} ×{count}"))
            .collect();
        format!("  ({})", kinds.join("; "))
    }
}
