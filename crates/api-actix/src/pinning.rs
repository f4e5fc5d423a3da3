//! Each HTTP worker thread on a core of its own (`ServerSettings::pin_workers`).
//!
//! With one worker per core and other busy threads on the same machine (a reverse proxy, a load
//! generator), the kernel now and then leaves two workers taking turns on one core while the
//! other core runs something else, and moves them only seconds later: single-ticket reads at 32
//! connections then ran 10–15 % slower with a p99 of 4.3 ms (one scheduler tick) instead of
//! 0.9 ms, for as long as it lasted (`docs/performance.md`). A worker pinned to its core cannot
//! share it with another worker. The other threads (the writer, the checkpointer, the blocking
//! pools) are left to the kernel.

use core_affinity::CoreId;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The cores the workers are pinned to, one each, in the order the workers start.
#[derive(Debug)]
pub(crate) struct WorkerCores {
    cores: Vec<CoreId>,
    next: AtomicUsize,
}

impl WorkerCores {
    /// The cores this process may run on, one for each of `workers` workers (0: one per core),
    /// or `None` when there is nothing to gain: a single core, more workers than cores, or the
    /// cores unknown. Called before the workers start, on a thread that is not pinned.
    pub(crate) fn for_workers(workers: usize) -> Option<Self> {
        let Some(cores) = core_affinity::get_core_ids() else {
            tracing::warn!("cannot read the cores this process may use: HTTP workers not pinned");
            return None;
        };
        Self::assign(cores, workers)
    }

    fn assign(mut cores: Vec<CoreId>, workers: usize) -> Option<Self> {
        let workers = if workers == 0 { cores.len() } else { workers };
        if cores.len() < 2 || workers > cores.len() {
            return None;
        }
        cores.truncate(workers);
        Some(Self {
            cores,
            next: AtomicUsize::new(0),
        })
    }

    /// The cores, in the order they are given out.
    pub(crate) fn ids(&self) -> Vec<usize> {
        self.cores.iter().map(|core| core.id).collect()
    }

    /// Pins the calling thread (a worker starting) to the next core; a worker started again
    /// after a failure takes the next one round.
    pub(crate) fn pin_this_thread(&self) {
        let next = self.next.fetch_add(1, Ordering::Relaxed);
        let Some(core) = self.cores.get(next % self.cores.len()) else {
            return;
        };
        if !core_affinity::set_for_current(*core) {
            tracing::warn!(core = core.id, "could not pin an HTTP worker to its core");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cores(ids: &[usize]) -> Vec<CoreId> {
        ids.iter().map(|&id| CoreId { id }).collect()
    }

    #[test]
    fn one_core_per_worker_or_none() {
        let all = WorkerCores::assign(cores(&[0, 1, 2, 3]), 0).unwrap();
        assert_eq!(all.ids(), [0, 1, 2, 3], "one worker per core");
        let two = WorkerCores::assign(cores(&[2, 5, 7]), 2).unwrap();
        assert_eq!(two.ids(), [2, 5], "the cores this process may use");
        assert!(
            WorkerCores::assign(cores(&[0, 1]), 3).is_none(),
            "more workers than cores"
        );
        assert!(
            WorkerCores::assign(cores(&[4]), 0).is_none(),
            "a single core"
        );
    }

    #[test]
    fn each_worker_thread_runs_on_its_own_core() {
        let Some(placed) = WorkerCores::for_workers(2) else {
            return; // A single core here: nothing to pin.
        };
        let placed = std::sync::Arc::new(placed);
        let allowed: Vec<Vec<usize>> = (0..2)
            .map(|_| {
                let placed = placed.clone();
                std::thread::spawn(move || {
                    placed.pin_this_thread();
                    core_affinity::get_core_ids()
                        .unwrap()
                        .iter()
                        .map(|core| core.id)
                        .collect()
                })
                .join()
                .unwrap()
            })
            .collect();
        let ids = placed.ids();
        assert_eq!(allowed, [vec![ids[0]], vec![ids[1]]]);
    }
}
