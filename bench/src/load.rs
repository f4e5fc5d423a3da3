//! A closed-loop HTTP load: C connections, each sending its next request as soon as the previous
//! one is answered, for a fixed duration.

use crate::stats::{Summary, summarise};
use serde::Serialize;
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
    pub requests_per_second: f64,
    pub latency: Summary,
    /// Server CPU over the run, in percent of one core.
    pub server_cpu_percent: f64,
    /// Server resident set at the end of the run, in MB.
    pub server_rss_mb: f64,
}

/// Runs `request(worker, n)` from `connections` workers for `duration`; each call sends one
/// request and returns whether it succeeded.
pub async fn run<F, Fut>(
    workload: &str,
    connections: usize,
    duration: Duration,
    request: F,
) -> LoadResult
where
    F: Fn(usize, usize) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = bool> + Send,
{
    let request = Arc::new(request);
    let started = Instant::now();
    let deadline = started + duration;
    let workers: Vec<_> = (0..connections)
        .map(|worker| {
            let request = request.clone();
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                let mut errors = 0;
                let mut n = 0;
                while Instant::now() < deadline {
                    let sent = Instant::now();
                    if !request(worker, n).await {
                        errors += 1;
                    }
                    latencies.push(sent.elapsed().as_secs_f64() * 1000.0);
                    n += 1;
                }
                (latencies, errors)
            })
        })
        .collect();
    let mut latencies = Vec::new();
    let mut errors = 0;
    for worker in workers {
        if let Ok((mut own, own_errors)) = worker.await {
            latencies.append(&mut own);
            errors += own_errors;
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    let requests = latencies.len();
    #[expect(clippy::cast_precision_loss, reason = "request counts fit an f64")]
    let requests_per_second = requests as f64 / seconds;
    LoadResult {
        workload: workload.to_owned(),
        connections,
        seconds,
        requests,
        errors,
        requests_per_second,
        latency: summarise(latencies),
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
        )
    }
}
