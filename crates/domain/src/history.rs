//! The change history of tickets: one row per changed field, written in the same transaction as
//! the change, and the human-readable views built from it.

use crate::ids::{HistoryId, TicketId};
use crate::time::{Timestamp, seconds_between, serde_timestamp};
use serde::Serialize;

/// The fields whose changes are recorded (contract §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum HistoryField {
    /// The ticket was created (`new_value` is `"created"`).
    Status,
    Title,
    Description,
    AcceptanceCriteria,
    Priority,
    Assignee,
    /// A move between columns, single or bulk.
    Column,
}

impl HistoryField {
    pub const ALL: [Self; 7] = [
        Self::Status,
        Self::Title,
        Self::Description,
        Self::AcceptanceCriteria,
        Self::Priority,
        Self::Assignee,
        Self::Column,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Status => "status",
            Self::Title => "title",
            Self::Description => "description",
            Self::AcceptanceCriteria => "acceptance_criteria",
            Self::Priority => "priority",
            Self::Assignee => "assignee",
            Self::Column => "column",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|field| field.as_str() == name)
    }
}

/// A history row decided by the domain, not yet stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewHistory {
    pub ticket_id: TicketId,
    pub field: HistoryField,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
    pub changed_by: String,
    pub changed_at: Timestamp,
}

/// A stored history row as clients see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HistoryEntry {
    pub id: HistoryId,
    pub ticket_id: TicketId,
    /// Kept as text so rows written by older versions with other names still read.
    pub field_name: String,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
    pub changed_by: String,
    #[serde(with = "serde_timestamp")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub changed_at: Timestamp,
}

/// One move of a ticket, with how long it had stayed in the column it left.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Transition {
    pub from_column: Option<String>,
    pub to_column: Option<String>,
    #[serde(with = "serde_timestamp")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub changed_at: Timestamp,
    pub changed_by: String,
    pub duration_seconds: f64,
    pub duration_human: String,
}

/// A ticket's path through the board (`GET /api/history/tickets/{id}/transitions`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Transitions {
    pub ticket_id: TicketId,
    pub current_column: String,
    pub current_duration_seconds: f64,
    pub current_duration_human: String,
    pub transitions: Vec<Transition>,
    pub total_transitions: usize,
}

impl Transitions {
    /// Builds the path from the ticket's `column` rows, oldest first. The first duration runs
    /// from creation, each later one from the previous transition.
    pub fn build(
        ticket_id: TicketId,
        current_column: String,
        created_at: Timestamp,
        column_rows: &[HistoryEntry],
        now: Timestamp,
    ) -> Self {
        let mut since = created_at;
        let transitions: Vec<Transition> = column_rows
            .iter()
            .map(|row| {
                let duration_seconds = seconds_between(&since, &row.changed_at).max(0.0);
                since = row.changed_at;
                Transition {
                    from_column: row.old_value.clone(),
                    to_column: row.new_value.clone(),
                    changed_at: row.changed_at,
                    changed_by: row.changed_by.clone(),
                    duration_seconds,
                    duration_human: human_duration(duration_seconds),
                }
            })
            .collect();
        let current = seconds_between(&since, &now).max(0.0);
        Self {
            ticket_id,
            current_column,
            current_duration_seconds: current,
            current_duration_human: human_duration(current),
            total_transitions: transitions.len(),
            transitions,
        }
    }
}

/// A history row in a board's activity feed.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Activity {
    pub id: HistoryId,
    pub ticket_id: TicketId,
    pub ticket_title: String,
    pub field_name: String,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
    pub changed_by: String,
    #[serde(with = "serde_timestamp")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub changed_at: Timestamp,
    pub time_ago: String,
}

impl Activity {
    pub fn of(entry: HistoryEntry, ticket_title: String, now: &Timestamp) -> Self {
        Self {
            time_ago: time_ago(seconds_between(&entry.changed_at, now)),
            id: entry.id,
            ticket_id: entry.ticket_id,
            ticket_title,
            field_name: entry.field_name,
            old_value: entry.old_value,
            new_value: entry.new_value,
            changed_by: entry.changed_by,
            changed_at: entry.changed_at,
        }
    }
}

/// Counts of changes in a period, as storage aggregates them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChangeCounts {
    pub total: u64,
    pub by_field: Vec<(String, u64)>,
    pub by_user: Vec<(String, u64)>,
    /// `YYYY-MM-DD` (UTC) and the number of changes that day.
    pub by_day: Vec<(String, u64)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FieldCount {
    pub field: String,
    pub count: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserCount {
    pub user: String,
    pub count: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DayCount {
    pub date: String,
    pub count: u64,
}

/// `GET /api/history/stats`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HistoryStats {
    pub analysis_period_days: u32,
    pub total_changes: u64,
    pub changes_by_field: Vec<FieldCount>,
    pub changes_by_user: Vec<UserCount>,
    pub daily_activity: Vec<DayCount>,
}

impl HistoryStats {
    /// Most frequent first (ties by name); days in calendar order.
    pub fn from_counts(days: u32, counts: ChangeCounts) -> Self {
        let by_count = |mut list: Vec<(String, u64)>| {
            list.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            list
        };
        let mut by_day = counts.by_day;
        by_day.sort();
        Self {
            analysis_period_days: days,
            total_changes: counts.total,
            changes_by_field: by_count(counts.by_field)
                .into_iter()
                .map(|(field, count)| FieldCount { field, count })
                .collect(),
            changes_by_user: by_count(counts.by_user)
                .into_iter()
                .map(|(user, count)| UserCount { user, count })
                .collect(),
            daily_activity: by_day
                .into_iter()
                .map(|(date, count)| DayCount { date, count })
                .collect(),
        }
    }
}

#[expect(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "floored, non-negative seconds of realistic durations"
)]
fn whole_seconds(seconds: f64) -> u64 {
    seconds.max(0.0).floor() as u64
}

/// `"42s"`, `"5m"`, `"3h 12m"`, `"2d 4h"`.
pub fn human_duration(seconds: f64) -> String {
    let s = whole_seconds(seconds);
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m", s / 60),
        3600..86_400 => format!("{}h {}m", s / 3600, (s % 3600) / 60),
        _ => format!("{}d {}h", s / 86_400, (s % 86_400) / 3600),
    }
}

/// `"just now"`, `"1 minute ago"`, `"3 hours ago"`, `"2 days ago"`.
pub fn time_ago(seconds: f64) -> String {
    let s = whole_seconds(seconds);
    let (n, unit) = match s {
        0..60 => return "just now".to_owned(),
        60..3600 => (s / 60, "minute"),
        3600..86_400 => (s / 3600, "hour"),
        _ => (s / 86_400, "day"),
    };
    if n == 1 {
        format!("1 {unit} ago")
    } else {
        format!("{n} {unit}s ago")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone, Utc};

    #[test]
    fn human_durations() {
        assert_eq!(human_duration(0.0), "0s");
        assert_eq!(human_duration(42.9), "42s");
        assert_eq!(human_duration(300.0), "5m");
        assert_eq!(human_duration(3.0 * 3600.0 + 12.0 * 60.0 + 5.0), "3h 12m");
        assert_eq!(human_duration(2.0 * 86_400.0 + 4.0 * 3600.0), "2d 4h");
        assert_eq!(human_duration(-5.0), "0s");
    }

    #[test]
    fn times_ago() {
        assert_eq!(time_ago(59.0), "just now");
        assert_eq!(time_ago(60.0), "1 minute ago");
        assert_eq!(time_ago(150.0), "2 minutes ago");
        assert_eq!(time_ago(3.0 * 3600.0), "3 hours ago");
        assert_eq!(time_ago(86_400.0), "1 day ago");
        assert_eq!(time_ago(2.0 * 86_400.0 + 1.0), "2 days ago");
    }

    #[test]
    fn history_field_names_round_trip() {
        for field in HistoryField::ALL {
            assert_eq!(HistoryField::from_name(field.as_str()), Some(field));
        }
    }

    fn row(id: i64, from: &str, to: &str, at: Timestamp) -> HistoryEntry {
        HistoryEntry {
            id: HistoryId::new(id),
            ticket_id: TicketId::new(1),
            field_name: "column".into(),
            old_value: Some(from.into()),
            new_value: Some(to.into()),
            changed_by: "ann".into(),
            changed_at: at,
        }
    }

    #[test]
    fn transitions_measure_from_creation_then_from_previous_move() {
        let created = Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap();
        let first = created + Duration::seconds(42);
        let second = first + Duration::minutes(5);
        let now = second + Duration::hours(3) + Duration::minutes(12);
        let rows = [
            row(1, "Not Started", "In Progress", first),
            row(2, "In Progress", "Done", second),
        ];
        let path = Transitions::build(TicketId::new(1), "Done".into(), created, &rows, now);
        assert_eq!(path.total_transitions, 2);
        assert_eq!(path.transitions[0].duration_human, "42s");
        assert_eq!(path.transitions[1].duration_seconds, 300.0);
        assert_eq!(path.current_duration_human, "3h 12m");
    }

    #[test]
    fn stats_sort_most_frequent_first() {
        let counts = ChangeCounts {
            total: 6,
            by_field: vec![("title".into(), 1), ("column".into(), 5)],
            by_user: vec![("bob".into(), 3), ("ann".into(), 3)],
            by_day: vec![("2026-11-02".into(), 2), ("2026-11-01".into(), 4)],
        };
        let stats = HistoryStats::from_counts(7, counts);
        assert_eq!(stats.changes_by_field[0].field, "column");
        assert_eq!(stats.changes_by_user[0].user, "ann");
        assert_eq!(stats.daily_activity[0].date, "2026-11-01");
    }
}
