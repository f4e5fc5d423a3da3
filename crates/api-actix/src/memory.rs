//! The resident-memory history behind `GET /health/memory`: a background task samples the
//! process's RSS every [`SAMPLE_EVERY`] and keeps the last hour.

use crate::routes::rss_mb;
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::VecDeque;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

/// How often the sampler reads the resident memory.
pub const SAMPLE_EVERY: Duration = Duration::from_secs(10);
/// Samples kept: one hour.
const KEEP: usize = 360;
/// Samples needed before a trend is computed (five minutes).
const TREND_AFTER: usize = 30;
/// A steady growth faster than this is reported as a suspected leak.
const SUSPICIOUS_GROWTH_MB_PER_HOUR: f64 = 20.0;

#[derive(Debug, Default)]
pub struct MemoryHistory {
    samples: Mutex<VecDeque<(DateTime<Utc>, f64)>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, utoipa::ToSchema)]
pub struct MemoryStatistics {
    pub min_mb: f64,
    pub max_mb: f64,
    pub avg_mb: f64,
    pub latest_mb: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct LeakDetection {
    /// `insufficient_data`, `stable` or `suspected`.
    #[schema(value_type = String, examples("stable"))]
    pub status: &'static str,
    /// The least-squares slope of the samples, in MB per hour (`null` with too few samples).
    pub growth_mb_per_hour: Option<f64>,
    pub message: String,
}

impl MemoryHistory {
    /// Reads the resident memory now and keeps it; `None` where it cannot be read.
    pub fn sample(&self) -> Option<f64> {
        let rss = rss_mb()?;
        let mut samples = self.samples.lock().unwrap_or_else(PoisonError::into_inner);
        if samples.len() == KEEP {
            samples.pop_front();
        }
        samples.push_back((Utc::now(), rss));
        Some(rss)
    }

    pub fn count(&self) -> usize {
        self.samples
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    pub fn statistics(&self) -> Option<MemoryStatistics> {
        let samples = self.samples.lock().unwrap_or_else(PoisonError::into_inner);
        let (_, latest) = *samples.back()?;
        let values = samples.iter().map(|(_, mb)| *mb);
        let (min, max) = values
            .clone()
            .fold((f64::MAX, f64::MIN), |(lo, hi), v| (lo.min(v), hi.max(v)));
        #[expect(clippy::cast_precision_loss, reason = "at most 360 samples")]
        let avg = values.sum::<f64>() / samples.len() as f64;
        Some(MemoryStatistics {
            min_mb: min,
            max_mb: max,
            avg_mb: avg,
            latest_mb: latest,
        })
    }

    /// The trend of the kept samples: a steady climb is a suspected leak.
    pub fn leak_detection(&self) -> LeakDetection {
        let samples = self.samples.lock().unwrap_or_else(PoisonError::into_inner);
        if samples.len() < TREND_AFTER {
            return LeakDetection {
                status: "insufficient_data",
                growth_mb_per_hour: None,
                message: format!(
                    "{} of {TREND_AFTER} samples needed for a trend",
                    samples.len()
                ),
            };
        }
        let Some(&(start, _)) = samples.front() else {
            return LeakDetection {
                status: "insufficient_data",
                growth_mb_per_hour: None,
                message: String::new(),
            };
        };
        #[expect(clippy::cast_precision_loss, reason = "seconds within an hour")]
        let points: Vec<(f64, f64)> = samples
            .iter()
            .map(|(at, mb)| ((*at - start).num_milliseconds() as f64 / 3_600_000.0, *mb))
            .collect();
        #[expect(clippy::cast_precision_loss, reason = "at most 360 samples")]
        let n = points.len() as f64;
        let (mean_x, mean_y) = (
            points.iter().map(|p| p.0).sum::<f64>() / n,
            points.iter().map(|p| p.1).sum::<f64>() / n,
        );
        let covariance: f64 = points
            .iter()
            .map(|(x, y)| (x - mean_x) * (y - mean_y))
            .sum();
        let variance: f64 = points.iter().map(|(x, _)| (x - mean_x).powi(2)).sum();
        let slope = if variance > 0.0 {
            covariance / variance
        } else {
            0.0
        };
        let suspected = slope > SUSPICIOUS_GROWTH_MB_PER_HOUR;
        LeakDetection {
            status: if suspected { "suspected" } else { "stable" },
            growth_mb_per_hour: Some(slope),
            message: if suspected {
                format!(
                    "resident memory grew {slope:.1} MB per hour over the last {} samples",
                    samples.len()
                )
            } else {
                "no steady growth".to_owned()
            },
        }
    }

    /// Samples from `at` on, for tests.
    #[cfg(test)]
    fn push(&self, at: DateTime<Utc>, mb: f64) {
        self.samples
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push_back((at, mb));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statistics_and_trend() {
        let history = MemoryHistory::default();
        assert!(history.statistics().is_none());
        let start = Utc::now();
        for i in 0..40 {
            history.push(start + chrono::Duration::seconds(i * 10), 50.0);
        }
        assert_eq!(history.leak_detection().status, "stable");
        let stats = history.statistics().unwrap();
        assert!((stats.avg_mb - 50.0).abs() < 1e-9);
        let growing = MemoryHistory::default();
        for i in 0..40 {
            // 1 MB per 10 s: 360 MB per hour.
            #[expect(clippy::cast_precision_loss, reason = "small counts")]
            growing.push(start + chrono::Duration::seconds(i * 10), 50.0 + i as f64);
        }
        let trend = growing.leak_detection();
        assert_eq!(trend.status, "suspected");
        assert!((trend.growth_mb_per_hour.unwrap() - 360.0).abs() < 1.0);
        assert_eq!(
            MemoryHistory::default().leak_detection().status,
            "insufficient_data"
        );
    }
}
