//! Health checks that arrive while one is running share its database round trip.
//!
//! Load balancers, monitors and dashboards poll `/health`; under a few hundred concurrent checks,
//! each taking its own hop to the blocking pool, its own pooled connection and its own look at
//! the database file made the checks queue behind one another. A check that finds one already
//! running waits for that one's answer instead: it is at most one round trip old, and a database
//! that stops answering still turns every waiting check into a 503 when the running one times out.

use futures_util::future::{BoxFuture, FutureExt, Shared};
use kanban_domain::ports::StorageHealth;
use std::sync::{Mutex, PoisonError};

/// What one round trip found: the storage's answer, or why there was none.
pub type ProbeOutcome = Result<StorageHealth, String>;

/// A probe under way; awaiting it gives its outcome (every clone gets the same one).
pub type RunningProbe = Shared<BoxFuture<'static, ProbeOutcome>>;

/// The health probe running now, if any.
#[derive(Default)]
pub struct SharedProbe {
    running: Mutex<Option<RunningProbe>>,
}

impl std::fmt::Debug for SharedProbe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedProbe").finish_non_exhaustive()
    }
}

impl SharedProbe {
    /// The probe running now, or the one `start` begins when none is (or the last one has
    /// finished), to await for its outcome.
    pub fn join_or_start(
        &self,
        start: impl FnOnce() -> BoxFuture<'static, ProbeOutcome>,
    ) -> RunningProbe {
        let mut running = self.running.lock().unwrap_or_else(PoisonError::into_inner);
        match running.as_ref() {
            Some(probe) if probe.peek().is_none() => probe.clone(),
            _ => {
                let probe = start().shared();
                *running = Some(probe.clone());
                probe
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tokio::sync::oneshot;

    /// Checks that arrive while a probe runs get its answer; one after it has finished starts
    /// a new one.
    #[actix_web::test]
    async fn checks_share_the_running_probe_and_start_a_new_one_after_it() {
        let probes = Arc::new(SharedProbe::default());
        let started = Arc::new(AtomicUsize::new(0));
        let (answer, answered) = oneshot::channel::<ProbeOutcome>();
        let mut answered = Some(answered);
        let mut start = || {
            started.fetch_add(1, Ordering::SeqCst);
            let answered = answered.take().unwrap();
            async move { answered.await.unwrap() }.boxed()
        };
        let first = probes.join_or_start(&mut start);
        let second = probes.join_or_start(|| unreachable!("a probe is running"));
        let health = StorageHealth {
            size_bytes: Some(4096),
            wal_size_bytes: None,
        };
        answer.send(Ok(health)).unwrap();
        let (first, second) = futures_util::join!(first, second);
        assert_eq!(first, Ok(health));
        assert_eq!(second, Ok(health));
        assert_eq!(started.load(Ordering::SeqCst), 1, "one round trip");

        let next = probes
            .join_or_start(|| async { Err("gone".to_owned()) }.boxed())
            .await;
        assert_eq!(
            next,
            Err("gone".to_owned()),
            "a finished probe is not reused"
        );
    }
}
