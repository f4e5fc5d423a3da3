//! `GET /boards/{id}/performance?days=`: how much work a board finished over a window.
//!
//! - **Completed** = distinct tickets that entered the board's last column within the window
//!   `[now − days, now]` (its `column` history rows whose new value is that column's name).
//! - **Completion time** of a completed ticket = from its creation to its latest entry into the
//!   last column within the window; `average_completion_time_*` is their mean.
//! - `tickets_created` = the board's tickets created within the window (deleted ones are gone).
//! - `completion_rate` = completed / created · 100 (a percentage; 0 when nothing was created;
//!   above 100 when older work was finished in the window).
//! - `throughput_per_day` = completed / days.
//! - `current_backlog` = tickets now in any column but the last; `blocked_tickets` = tickets now
//!   in a column whose name contains "blocked" (ignoring case).
//! - `last_week_completed` / `previous_week_completed` = distinct tickets that entered the last
//!   column in `[now − 7 d, now]` / `[now − 14 d, now − 7 d)`, whatever `days` is;
//!   `velocity_trend` compares them ([`VelocityTrend`]).

use super::maths::{VelocityTrend, count_f64, mean, round3};
use super::{ColumnEntry, TicketTiming};
use crate::board::Board;
use crate::ids::{BoardId, TicketId};
use crate::time::{Timestamp, seconds_between};
use chrono::Duration;
use std::collections::{BTreeMap, BTreeSet};

/// How far back [`Performance::build`] needs entries into the last column for `days`.
pub fn entries_since(days: u32, now: Timestamp) -> Timestamp {
    now - Duration::days(i64::from(days.max(14)))
}

/// `GET /boards/{id}/performance?days=`: completions, throughput and velocity over the last
/// `days`.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Performance {
    pub board_id: BoardId,
    pub board_name: String,
    pub analysis_period_days: u32,
    pub tickets_created: usize,
    pub tickets_completed: usize,
    /// `tickets_completed` / `tickets_created` · 100 (a percentage; 0 when nothing was created).
    pub completion_rate: f64,
    pub average_completion_time_seconds: f64,
    pub average_completion_time_days: f64,
    pub throughput_per_day: f64,
    pub current_backlog: usize,
    pub blocked_tickets: usize,
    pub velocity_trend: VelocityTrend,
    pub last_week_completed: u64,
    pub previous_week_completed: u64,
}

/// Distinct tickets of `entries` that entered in `[from, to]` (or `[from, to)`), each with its
/// latest entry in that span.
fn completions(
    entries: &[ColumnEntry],
    from: Timestamp,
    to: Timestamp,
    include_end: bool,
) -> BTreeMap<TicketId, &ColumnEntry> {
    let mut latest: BTreeMap<TicketId, &ColumnEntry> = BTreeMap::new();
    let within = |at: Timestamp| at >= from && (at < to || (include_end && at == to));
    for entry in entries.iter().filter(|e| within(e.entered_at)) {
        latest
            .entry(entry.ticket_id)
            .and_modify(|kept| {
                if entry.entered_at >= kept.entered_at {
                    *kept = entry;
                }
            })
            .or_insert(entry);
    }
    latest
}

fn distinct(entries: &[ColumnEntry], from: Timestamp, to: Timestamp, include_end: bool) -> u64 {
    let ids: BTreeSet<TicketId> = completions(entries, from, to, include_end)
        .into_keys()
        .collect();
    ids.len() as u64
}

impl Performance {
    /// `tickets` are the board's tickets now; `entries` its moves into its last column since at
    /// least [`entries_since`]`(days, now)`.
    pub fn build(
        board: &Board,
        tickets: &[TicketTiming],
        entries: &[ColumnEntry],
        days: u32,
        now: Timestamp,
    ) -> Self {
        let since = now - Duration::days(i64::from(days));
        let week_ago = now - Duration::days(7);
        let two_weeks_ago = now - Duration::days(14);
        let last = board.columns.last();
        let completed = completions(entries, since, now, true);
        let durations: Vec<f64> = completed
            .values()
            .map(|e| seconds_between(&e.created_at, &e.entered_at).max(0.0))
            .collect();
        let created = tickets
            .iter()
            .filter(|t| t.created_at >= since && t.created_at <= now)
            .count();
        let average = mean(&durations);
        let last_week = distinct(entries, week_ago, now, true);
        let previous_week = distinct(entries, two_weeks_ago, week_ago, false);
        let rate = if created == 0 {
            0.0
        } else {
            count_f64(completed.len()) / count_f64(created) * 100.0
        };
        Self {
            board_id: board.id,
            board_name: board.name.to_string(),
            analysis_period_days: days,
            tickets_created: created,
            tickets_completed: completed.len(),
            completion_rate: round3(rate),
            average_completion_time_seconds: round3(average),
            average_completion_time_days: round3(average / 86_400.0),
            throughput_per_day: round3(count_f64(completed.len()) / f64::from(days.max(1))),
            current_backlog: tickets.iter().filter(|t| t.current_column != *last).count(),
            blocked_tickets: tickets
                .iter()
                .filter(|t| super::maths::is_blocked(t.current_column.as_str()))
                .count(),
            velocity_trend: VelocityTrend::of(last_week, previous_week),
            last_week_completed: last_week,
            previous_week_completed: previous_week,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::values::{BoardName, ColumnName, Columns, LongText};
    use chrono::{TimeZone, Utc};

    fn now() -> Timestamp {
        Utc.with_ymd_and_hms(2026, 11, 30, 12, 0, 0).unwrap()
    }

    fn days_ago(days: f64) -> Timestamp {
        #[expect(clippy::cast_possible_truncation, reason = "test instants")]
        let ms = (days * 86_400_000.0) as i64;
        now() - Duration::milliseconds(ms)
    }

    fn board() -> Board {
        Board {
            id: BoardId::new(3),
            name: BoardName::parse("name", "Flow").unwrap(),
            description: LongText::empty(),
            columns: Columns::parse("columns", &["Todo", "Doing", "Blocked by vendor", "Done"])
                .unwrap(),
            created_at: now(),
            updated_at: now(),
            version: 1,
        }
    }

    fn timing(id: i64, column: &str, created_days_ago: f64) -> TicketTiming {
        TicketTiming {
            id: TicketId::new(id),
            title: format!("T{id}"),
            current_column: ColumnName::parse("column", column).unwrap(),
            created_at: days_ago(created_days_ago),
            column_entered_at: days_ago(0.0),
        }
    }

    fn entry(id: i64, created_days_ago: f64, entered_days_ago: f64) -> ColumnEntry {
        ColumnEntry {
            ticket_id: TicketId::new(id),
            created_at: days_ago(created_days_ago),
            entered_at: days_ago(entered_days_ago),
        }
    }

    #[test]
    fn completions_over_a_thirty_day_window() {
        let tickets = [
            timing(1, "Done", 40.0),
            timing(2, "Done", 10.0),
            timing(3, "Done", 5.0),
            timing(4, "Doing", 3.0),
            timing(5, "Blocked by vendor", 2.0),
            timing(6, "Todo", 1.0),
        ];
        let entries = [
            // Ticket 1: created 40 days ago, finished 35 days ago: outside the window.
            entry(1, 40.0, 35.0),
            // Ticket 2: finished 9 days ago, reopened, finished again 2 days ago: counted once,
            // its completion time runs to the latest entry (10 − 2 = 8 days).
            entry(2, 10.0, 9.0),
            entry(2, 10.0, 2.0),
            // Ticket 3: created 5 days ago, finished 1 day ago: 4 days.
            entry(3, 5.0, 1.0),
        ];
        let report = Performance::build(&board(), &tickets, &entries, 30, now());
        assert_eq!(report.analysis_period_days, 30);
        // Created within 30 days: 2, 3, 4, 5, 6.
        assert_eq!(report.tickets_created, 5);
        assert_eq!(report.tickets_completed, 2);
        // 2 / 5 · 100.
        assert_eq!(report.completion_rate, 40.0);
        // (8 + 4) / 2 = 6 days.
        assert_eq!(report.average_completion_time_seconds, 518_400.0);
        assert_eq!(report.average_completion_time_days, 6.0);
        // 2 / 30 = 0.0666….
        assert_eq!(report.throughput_per_day, 0.067);
        assert_eq!(report.current_backlog, 3);
        assert_eq!(report.blocked_tickets, 1);
        // Last week: tickets 2 and 3; the week before: ticket 2 (9 days ago).
        assert_eq!(report.last_week_completed, 2);
        assert_eq!(report.previous_week_completed, 1);
        assert_eq!(report.velocity_trend, VelocityTrend::Improving);
    }

    #[test]
    fn window_bounds_are_inclusive_at_the_start_and_now() {
        let entries = [entry(1, 3.0, 1.0), entry(2, 3.0, 0.0)];
        let report = Performance::build(&board(), &[], &entries, 1, now());
        assert_eq!(report.tickets_completed, 2);
        // 2 and 3 days: 2.5 days, 216000 s.
        assert_eq!(report.average_completion_time_seconds, 216_000.0);
        assert_eq!(report.throughput_per_day, 2.0);
        assert_eq!(report.tickets_created, 0);
        assert_eq!(report.completion_rate, 0.0, "nothing created: no rate");
        // Exactly 7 days ago belongs to the last week, not the one before.
        let edge = [
            entry(1, 20.0, 7.0),
            entry(2, 20.0, 14.0),
            entry(3, 20.0, 14.5),
        ];
        let report = Performance::build(&board(), &[], &edge, 30, now());
        assert_eq!(report.last_week_completed, 1);
        assert_eq!(report.previous_week_completed, 1);
        assert_eq!(report.velocity_trend, VelocityTrend::Stable);
    }

    #[test]
    fn nothing_at_all() {
        let report = Performance::build(&board(), &[], &[], 30, now());
        assert_eq!(report.tickets_completed, 0);
        assert_eq!(report.average_completion_time_seconds, 0.0);
        assert_eq!(report.throughput_per_day, 0.0);
        assert_eq!(report.current_backlog, 0);
        assert_eq!(report.velocity_trend, VelocityTrend::Stable);
        let json = serde_json::to_value(&report).unwrap();
        assert_eq!(json["velocity_trend"], "stable");
        assert_eq!(json["board_name"], "Flow");
    }

    #[test]
    fn entries_are_needed_for_two_weeks_at_least() {
        assert_eq!(entries_since(1, now()), now() - Duration::days(14));
        assert_eq!(entries_since(30, now()), now() - Duration::days(30));
    }
}
