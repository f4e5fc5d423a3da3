//! The pure maths of the statistics (contract §6): summaries of a column's times, z-scores,
//! colour classes, percentile ranks, outliers, thresholds and the velocity trend. No I/O and no
//! clock: every function is a plain computation over the numbers it is given.

use serde::Serialize;

/// Converts a count to a float. Counts of tickets stay far below 2^52, where `f64` is exact.
#[expect(
    clippy::cast_precision_loss,
    reason = "ticket counts are far below 2^52"
)]
pub fn count_f64(count: usize) -> f64 {
    count as f64
}

/// Rounds to 3 decimal places: seconds to the millisecond, hours and days to about 3.6 s and
/// 86 s. Every float of the statistics answers goes through this, after the computation.
pub fn round3(value: f64) -> f64 {
    // `+ 0.0` turns a rounded -0.0 into 0.0, which serialises without the sign.
    (value * 1000.0).round() / 1000.0 + 0.0
}

/// The arithmetic mean; 0 for no values.
pub fn mean(values: &[f64]) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    let (min, max) = min_max(values);
    if min == max {
        // Exactly the common value, so equal values give a deviation of exactly 0 below.
        return min;
    }
    values.iter().sum::<f64>() / count_f64(values.len())
}

/// The sample standard deviation, √(Σ(x − mean)² / (n − 1)); 0 when n ≤ 1 or all values are
/// equal.
pub fn sample_std_dev(values: &[f64]) -> f64 {
    if values.len() <= 1 {
        return 0.0;
    }
    let (min, max) = min_max(values);
    if min == max {
        return 0.0;
    }
    let mean = mean(values);
    let squares: f64 = values.iter().map(|x| (x - mean).powi(2)).sum();
    (squares / count_f64(values.len() - 1)).sqrt()
}

/// The median of values sorted ascending: the middle one, or the mean of the two middle ones;
/// 0 for no values.
pub fn median(sorted: &[f64]) -> f64 {
    let n = sorted.len();
    match n {
        0 => 0.0,
        _ if n % 2 == 1 => sorted[n / 2],
        _ => f64::midpoint(sorted[n / 2 - 1], sorted[n / 2]),
    }
}

/// The `percent`-th percentile of values sorted ascending, by the nearest-rank method: the value
/// at 1-based rank ⌈percent/100 · n⌉ (at least 1); 0 for no values.
pub fn nearest_rank(sorted: &[f64], percent: usize) -> f64 {
    let n = sorted.len();
    if n == 0 {
        return 0.0;
    }
    // Integer ceiling, so 95 % of 20 is exactly rank 19 (no float rounding at the boundary).
    let rank = (percent.min(100) * n).div_ceil(100).max(1);
    sorted[rank - 1]
}

fn min_max(values: &[f64]) -> (f64, f64) {
    values
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &x| {
            (lo.min(x), hi.max(x))
        })
}

/// The summary of one column's times in column, in seconds.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Summary {
    pub count: usize,
    pub mean: f64,
    /// Sample standard deviation (0 when `count` ≤ 1).
    pub std_dev: f64,
    pub median: f64,
    pub min: f64,
    pub max: f64,
    /// 95th percentile by nearest rank.
    pub p95: f64,
}

impl Summary {
    /// Summarises `values`; all zeros when there are none.
    pub fn of(values: &[f64]) -> Self {
        if values.is_empty() {
            return Self::default();
        }
        let mut sorted = values.to_vec();
        sorted.sort_by(f64::total_cmp);
        Self {
            count: sorted.len(),
            mean: mean(&sorted),
            std_dev: sample_std_dev(&sorted),
            median: median(&sorted),
            min: sorted[0],
            max: sorted[sorted.len() - 1],
            p95: nearest_rank(&sorted, 95),
        }
    }

    /// The z-score of `value` against this summary.
    pub fn z_score(&self, value: f64) -> Option<f64> {
        z_score(value, self.mean, self.std_dev)
    }

    pub fn thresholds(&self) -> Thresholds {
        Thresholds::of(self.mean, self.std_dev)
    }
}

/// (value − mean) / σ, or `None` when σ is not positive (fewer than two values, or all equal).
pub fn z_score(value: f64, mean: f64, std_dev: f64) -> Option<f64> {
    (std_dev > 0.0).then(|| (value - mean) / std_dev)
}

/// The percentile rank of `value` among `values` (which include it): the percentage of values
/// below it, counting values equal to it as half, (below + equal / 2) / n · 100. 0 for no values.
pub fn percentile_rank(value: f64, values: &[f64]) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    let below = values.iter().filter(|&&x| x < value).count();
    let equal = values.iter().filter(|&&x| x == value).count();
    (count_f64(below) + count_f64(equal) / 2.0) / count_f64(values.len()) * 100.0
}

/// A ticket is an outlier when its z-score is defined and more than 2 from the mean, either way.
pub fn is_outlier(z: Option<f64>) -> bool {
    z.is_some_and(|z| z.abs() > 2.0)
}

/// Whether a column is where work starts or ends ("not started", "done" or "completed" in its
/// name, ignoring case): time there says nothing about flow, so its tickets are always `normal`.
pub fn is_start_or_finish(column: &str) -> bool {
    let name = column.to_lowercase();
    ["not started", "done", "completed"]
        .iter()
        .any(|word| name.contains(word))
}

/// Whether a column holds blocked work ("blocked" in its name, ignoring case).
pub fn is_blocked(column: &str) -> bool {
    column.to_lowercase().contains("blocked")
}

/// How long a ticket has been in its column compared with the others there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ColorClass {
    /// A start or finish column, or no z-score (a lone ticket, or all equally long).
    Normal,
    /// z ≤ 1.
    Good,
    /// 1 < z ≤ 2.
    Warning,
    /// z > 2.
    Critical,
}

impl ColorClass {
    pub const ALL: [Self; 4] = [Self::Normal, Self::Good, Self::Warning, Self::Critical];

    /// The class of a ticket in `column` with z-score `z`.
    pub fn of(column: &str, z: Option<f64>) -> Self {
        match z {
            _ if is_start_or_finish(column) => Self::Normal,
            None => Self::Normal,
            Some(z) if z > 2.0 => Self::Critical,
            Some(z) if z > 1.0 => Self::Warning,
            Some(_) => Self::Good,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Normal => "normal",
            Self::Good => "good",
            Self::Warning => "warning",
            Self::Critical => "critical",
        }
    }
}

/// The times in column beyond which a ticket turns `warning` (mean + 1σ) and `critical`
/// (mean + 2σ): the z-score bounds of [`ColorClass`] in seconds.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Thresholds {
    pub warning: f64,
    pub danger: f64,
}

impl Thresholds {
    pub fn of(mean: f64, std_dev: f64) -> Self {
        Self {
            warning: mean + std_dev,
            danger: mean + 2.0 * std_dev,
        }
    }
}

/// Completions of the last week against the week before.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum VelocityTrend {
    /// More than 20 % more completions than the week before (or some after none).
    Improving,
    /// More than 20 % fewer.
    Declining,
    /// Within ±20 %.
    Stable,
}

impl VelocityTrend {
    pub fn of(last_week: u64, previous_week: u64) -> Self {
        // last > 1.2 · previous and last < 0.8 · previous, in integers (exact at the bounds).
        let (last, previous) = (u128::from(last_week) * 5, u128::from(previous_week));
        if last > previous * 6 {
            Self::Improving
        } else if last < previous * 4 {
            Self::Declining
        } else {
            Self::Stable
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(actual: f64, expected: f64) {
        assert!(
            (actual - expected).abs() < 1e-9,
            "{actual} is not {expected}"
        );
    }

    #[test]
    fn mean_of_nothing_one_two_and_many() {
        assert_eq!(mean(&[]), 0.0);
        assert_eq!(mean(&[7.5]), 7.5);
        assert_eq!(mean(&[1.0, 4.0]), 2.5);
        assert_eq!(mean(&[2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]), 5.0);
        // Equal values give exactly that value, whatever rounding the sum would bring.
        assert_eq!(mean(&[0.1, 0.1, 0.1]), 0.1);
    }

    #[test]
    fn sample_standard_deviation() {
        assert_eq!(sample_std_dev(&[]), 0.0);
        assert_eq!(sample_std_dev(&[42.0]), 0.0);
        // n = 2: mean 2, squares 1 + 1 = 2, / (n − 1) = 2, √2.
        close(sample_std_dev(&[1.0, 3.0]), 2.0_f64.sqrt());
        // Squares 9+1+1+1+0+0+4+16 = 32, / 7.
        close(
            sample_std_dev(&[2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]),
            (32.0_f64 / 7.0).sqrt(),
        );
        assert_eq!(sample_std_dev(&[0.1, 0.1, 0.1]), 0.0);
        assert_eq!(sample_std_dev(&[3600.0; 5]), 0.0);
    }

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(&[]), 0.0);
        assert_eq!(median(&[5.0]), 5.0);
        assert_eq!(median(&[1.0, 4.0]), 2.5);
        assert_eq!(median(&[1.0, 2.0, 10.0]), 2.0);
        assert_eq!(median(&[2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]), 4.5);
    }

    #[test]
    fn ninety_fifth_percentile_by_nearest_rank() {
        assert_eq!(nearest_rank(&[], 95), 0.0);
        assert_eq!(nearest_rank(&[3.0], 95), 3.0);
        // ⌈0.95 · 2⌉ = 2.
        assert_eq!(nearest_rank(&[1.0, 2.0], 95), 2.0);
        // ⌈0.95 · 20⌉ = 19: the 19th of 1..=20.
        let twenty: Vec<f64> = (1..=20).map(f64::from).collect();
        assert_eq!(nearest_rank(&twenty, 95), 19.0);
        // ⌈0.95 · 21⌉ = ⌈19.95⌉ = 20.
        let twenty_one: Vec<f64> = (1..=21).map(f64::from).collect();
        assert_eq!(nearest_rank(&twenty_one, 95), 20.0);
        // ⌈0.95 · 100⌉ = 95.
        let hundred: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(nearest_rank(&hundred, 95), 95.0);
        assert_eq!(nearest_rank(&hundred, 0), 1.0);
        assert_eq!(nearest_rank(&hundred, 100), 100.0);
    }

    #[test]
    fn summaries_of_edge_cases() {
        assert_eq!(Summary::of(&[]), Summary::default());
        let one = Summary::of(&[60.0]);
        assert_eq!(
            one,
            Summary {
                count: 1,
                mean: 60.0,
                std_dev: 0.0,
                median: 60.0,
                min: 60.0,
                max: 60.0,
                p95: 60.0
            }
        );
        // Unsorted input: 9 and 3.
        let two = Summary::of(&[9.0, 3.0]);
        assert_eq!(
            (two.mean, two.median, two.min, two.max),
            (6.0, 6.0, 3.0, 9.0)
        );
        close(two.std_dev, 18.0_f64.sqrt());
        assert_eq!(two.p95, 9.0);
        let equal = Summary::of(&[5.0, 5.0, 5.0]);
        assert_eq!((equal.mean, equal.std_dev, equal.p95), (5.0, 0.0, 5.0));
    }

    #[test]
    fn z_scores() {
        assert_eq!(z_score(10.0, 5.0, 0.0), None);
        assert_eq!(z_score(10.0, 5.0, 2.5), Some(2.0));
        assert_eq!(z_score(0.0, 5.0, 2.5), Some(-2.0));
        assert_eq!(Summary::of(&[4.0]).z_score(4.0), None);
        assert_eq!(Summary::of(&[4.0, 4.0]).z_score(4.0), None);
        // [1, 3]: mean 2, σ √2, z(3) = 1/√2.
        close(
            Summary::of(&[1.0, 3.0]).z_score(3.0).unwrap(),
            1.0 / 2.0_f64.sqrt(),
        );
    }

    #[test]
    fn colour_classes() {
        assert_eq!(ColorClass::of("In Progress", None), ColorClass::Normal);
        assert_eq!(ColorClass::of("In Progress", Some(-3.0)), ColorClass::Good);
        assert_eq!(ColorClass::of("In Progress", Some(1.0)), ColorClass::Good);
        assert_eq!(
            ColorClass::of("In Progress", Some(1.01)),
            ColorClass::Warning
        );
        assert_eq!(
            ColorClass::of("In Progress", Some(2.0)),
            ColorClass::Warning
        );
        assert_eq!(
            ColorClass::of("In Progress", Some(2.01)),
            ColorClass::Critical
        );
        for column in [
            "Not Started",
            "NOT STARTED yet",
            "Done",
            "done!",
            "Completed",
        ] {
            assert_eq!(
                ColorClass::of(column, Some(9.0)),
                ColorClass::Normal,
                "{column}"
            );
        }
        assert_eq!(
            serde_json::to_value(ColorClass::Critical).unwrap(),
            "critical"
        );
        assert_eq!(ColorClass::Warning.as_str(), "warning");
    }

    #[test]
    fn start_finish_and_blocked_columns() {
        assert!(is_start_or_finish("not started"));
        assert!(is_start_or_finish("Tasks Completed"));
        assert!(!is_start_or_finish("Review"));
        assert!(is_blocked("Blocked"));
        assert!(is_blocked("blocked by vendor"));
        assert!(!is_blocked("Block"));
    }

    #[test]
    fn percentile_ranks() {
        assert_eq!(percentile_rank(1.0, &[]), 0.0);
        // Alone: half of itself.
        assert_eq!(percentile_rank(7.0, &[7.0]), 50.0);
        assert_eq!(percentile_rank(1.0, &[1.0, 3.0]), 25.0);
        assert_eq!(percentile_rank(3.0, &[1.0, 3.0]), 75.0);
        assert_eq!(percentile_rank(5.0, &[5.0, 5.0, 5.0, 5.0]), 50.0);
        // Below: 1, 2; equal: 3, 3 → (2 + 1) / 5.
        assert_eq!(percentile_rank(3.0, &[1.0, 2.0, 3.0, 3.0, 9.0]), 60.0);
    }

    #[test]
    fn outliers_are_beyond_two_either_way() {
        assert!(!is_outlier(None));
        assert!(!is_outlier(Some(2.0)));
        assert!(!is_outlier(Some(-2.0)));
        assert!(is_outlier(Some(2.001)));
        assert!(is_outlier(Some(-2.5)));
    }

    #[test]
    fn thresholds_are_one_and_two_deviations_above_the_mean() {
        assert_eq!(
            Thresholds::of(100.0, 30.0),
            Thresholds {
                warning: 130.0,
                danger: 160.0
            }
        );
        assert_eq!(
            Thresholds::of(50.0, 0.0),
            Thresholds {
                warning: 50.0,
                danger: 50.0
            }
        );
        let summary = Summary::of(&[1.0, 3.0]);
        close(summary.thresholds().warning, 2.0 + 2.0_f64.sqrt());
        close(summary.thresholds().danger, 2.0 + 2.0 * 2.0_f64.sqrt());
    }

    #[test]
    fn velocity_trend_beyond_twenty_percent() {
        assert_eq!(VelocityTrend::of(0, 0), VelocityTrend::Stable);
        assert_eq!(VelocityTrend::of(1, 0), VelocityTrend::Improving);
        assert_eq!(VelocityTrend::of(0, 1), VelocityTrend::Declining);
        assert_eq!(VelocityTrend::of(12, 10), VelocityTrend::Stable);
        assert_eq!(VelocityTrend::of(13, 10), VelocityTrend::Improving);
        assert_eq!(VelocityTrend::of(8, 10), VelocityTrend::Stable);
        assert_eq!(VelocityTrend::of(7, 10), VelocityTrend::Declining);
        assert_eq!(VelocityTrend::of(6, 5), VelocityTrend::Stable);
        assert_eq!(VelocityTrend::of(4, 5), VelocityTrend::Stable);
        assert_eq!(VelocityTrend::of(3, 5), VelocityTrend::Declining);
        assert_eq!(
            serde_json::to_value(VelocityTrend::Improving).unwrap(),
            "improving"
        );
    }

    #[test]
    fn rounding_to_three_decimals() {
        assert_eq!(round3(1.23449), 1.234);
        assert_eq!(round3(1.2346), 1.235);
        assert_eq!(round3(2.0 / 3.0), 0.667);
        assert_eq!(round3(-0.0004).to_string(), "0");
    }
}
