//! The answers of the time-in-column routes, built from a board's tickets at one instant.
//!
//! Time in column = now − `column_entered_at` (never negative). Every float is rounded to 3
//! decimals ([`round3`]) after the computation; classes and outlier flags use the exact z-score.

use super::TicketTiming;
use super::maths::{ColorClass, Summary, is_outlier, percentile_rank, round3};
use crate::board::Board;
use crate::ids::{BoardId, TicketId};
use crate::ticket::Ticket;
use crate::time::{Timestamp, seconds_between, serde_timestamp};
use crate::values::{ColumnName, Columns};
use serde::ser::{Serialize, SerializeMap, Serializer};

const HOUR: f64 = 3600.0;
const DAY: f64 = 86_400.0;

/// One column's times in column, in seconds.
#[derive(Debug, Clone, PartialEq)]
struct ColumnTimes {
    name: ColumnName,
    seconds: Vec<f64>,
    summary: Summary,
}

/// A ticket with its time in column.
#[derive(Debug, Clone, PartialEq)]
pub struct TimedTicket {
    pub timing: TicketTiming,
    pub seconds: f64,
}

/// Tickets of a board with their times in column at `now`, grouped by the board's columns.
#[derive(Debug, Clone, PartialEq)]
pub struct BoardTimes {
    now: Timestamp,
    columns: Vec<ColumnTimes>,
    tickets: Vec<TimedTicket>,
}

impl BoardTimes {
    /// Groups `tickets` (kept in the order given) by the board's `columns`. A ticket in a column
    /// the board does not have (only possible in imported data) counts in no column.
    pub fn new(columns: &Columns, tickets: Vec<TicketTiming>, now: Timestamp) -> Self {
        let tickets: Vec<TimedTicket> = tickets
            .into_iter()
            .map(|timing| TimedTicket {
                seconds: seconds_between(&timing.column_entered_at, &now).max(0.0),
                timing,
            })
            .collect();
        let columns = columns
            .iter()
            .map(|name| {
                let seconds: Vec<f64> = tickets
                    .iter()
                    .filter(|t| t.timing.current_column == *name)
                    .map(|t| t.seconds)
                    .collect();
                ColumnTimes {
                    name: name.clone(),
                    summary: Summary::of(&seconds),
                    seconds,
                }
            })
            .collect();
        Self {
            now,
            columns,
            tickets,
        }
    }

    pub fn tickets(&self) -> &[TimedTicket] {
        &self.tickets
    }

    fn column(&self, name: &ColumnName) -> Option<&ColumnTimes> {
        self.columns.iter().find(|c| c.name == *name)
    }

    /// The z-score of a ticket against its column, and its colour class.
    pub fn classify(&self, ticket: &TimedTicket) -> (Option<f64>, ColorClass) {
        let column = &ticket.timing.current_column;
        let z = self
            .column(column)
            .and_then(|c| c.summary.z_score(ticket.seconds));
        (z, ColorClass::of(column.as_str(), z))
    }

    fn color_counts<'a>(&self, tickets: impl Iterator<Item = &'a TimedTicket>) -> ColorCounts {
        let mut counts = ColorCounts::default();
        for ticket in tickets {
            counts.add(self.classify(ticket).1);
        }
        counts
    }
}

/// The statistics of one column (`column_statistics` entries, and `statistics` of a column).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ColumnStatistics {
    pub column_name: String,
    pub ticket_count: usize,
    pub mean_time_seconds: f64,
    pub mean_time_hours: f64,
    pub std_deviation_seconds: f64,
    pub std_deviation_hours: f64,
    pub median_time_seconds: f64,
    pub median_time_hours: f64,
    pub min_time_seconds: f64,
    pub max_time_seconds: f64,
    pub percentile_95_seconds: f64,
    pub percentile_95_hours: f64,
}

impl ColumnStatistics {
    fn of(column: &ColumnTimes) -> Self {
        let s = &column.summary;
        Self {
            column_name: column.name.to_string(),
            ticket_count: s.count,
            mean_time_seconds: round3(s.mean),
            mean_time_hours: round3(s.mean / HOUR),
            std_deviation_seconds: round3(s.std_dev),
            std_deviation_hours: round3(s.std_dev / HOUR),
            median_time_seconds: round3(s.median),
            median_time_hours: round3(s.median / HOUR),
            min_time_seconds: round3(s.min),
            max_time_seconds: round3(s.max),
            percentile_95_seconds: round3(s.p95),
            percentile_95_hours: round3(s.p95 / HOUR),
        }
    }
}

/// Column statistics keyed by column name, serialised in board order.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnMap(pub Vec<ColumnStatistics>);

impl Serialize for ColumnMap {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for column in &self.0 {
            map.serialize_entry(&column.column_name, column)?;
        }
        map.end()
    }
}

/// `GET /boards/{id}/statistics`: every column of the board, empty ones with zeros.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BoardStatistics {
    pub board_id: BoardId,
    pub board_name: String,
    /// By column name, every column of the board in board order.
    #[cfg_attr(
        feature = "openapi",
        schema(value_type = std::collections::BTreeMap<String, ColumnStatistics>)
    )]
    pub column_statistics: ColumnMap,
}

impl BoardStatistics {
    pub fn build(board: &Board, times: &BoardTimes) -> Self {
        Self {
            board_id: board.id,
            board_name: board.name.to_string(),
            column_statistics: ColumnMap(times.columns.iter().map(ColumnStatistics::of).collect()),
        }
    }
}

/// How many tickets have each colour.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ColorCounts {
    pub normal: usize,
    pub good: usize,
    pub warning: usize,
    pub critical: usize,
}

impl ColorCounts {
    fn add(&mut self, class: ColorClass) {
        match class {
            ColorClass::Normal => self.normal += 1,
            ColorClass::Good => self.good += 1,
            ColorClass::Warning => self.warning += 1,
            ColorClass::Critical => self.critical += 1,
        }
    }
}

/// `GET /tickets/{id}/statistics`.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TicketStatistics {
    pub ticket_id: TicketId,
    pub current_column: String,
    pub time_in_current_column_seconds: f64,
    pub time_in_current_column_hours: f64,
    pub time_in_current_column_days: f64,
    pub total_age_seconds: f64,
    pub total_age_hours: f64,
    pub total_age_days: f64,
    /// How many times the ticket moved between columns (its `column` history rows).
    pub column_transitions: usize,
    /// `null` when the column's standard deviation is 0.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub z_score: Option<f64>,
    /// Among the tickets of its column: the percentage whose time is below its own, counting
    /// equal times (its own included) as half.
    pub percentile_rank: f64,
    pub color_classification: ColorClass,
    pub is_outlier: bool,
}

impl TicketStatistics {
    /// `column` holds the tickets of the ticket's column (the ticket among them).
    pub fn build(ticket: &Ticket, column: &BoardTimes, column_transitions: usize) -> Self {
        let now = column.now;
        let timed = TimedTicket {
            timing: TicketTiming::of(ticket),
            seconds: seconds_between(&ticket.column_entered_at, &now).max(0.0),
        };
        let (z, class) = column.classify(&timed);
        let peers: &[f64] = column
            .column(&ticket.current_column)
            .map_or(&[], |c| c.seconds.as_slice());
        let age = seconds_between(&ticket.created_at, &now).max(0.0);
        Self {
            ticket_id: ticket.id,
            current_column: ticket.current_column.to_string(),
            time_in_current_column_seconds: round3(timed.seconds),
            time_in_current_column_hours: round3(timed.seconds / HOUR),
            time_in_current_column_days: round3(timed.seconds / DAY),
            total_age_seconds: round3(age),
            total_age_hours: round3(age / HOUR),
            total_age_days: round3(age / DAY),
            column_transitions,
            z_score: z.map(round3),
            percentile_rank: round3(percentile_rank(timed.seconds, peers)),
            color_classification: class,
            is_outlier: is_outlier(z),
        }
    }
}

/// One ticket of `GET /boards/{id}/tickets/colors`.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TicketColor {
    pub ticket_id: TicketId,
    pub title: String,
    pub current_column: String,
    pub color_class: ColorClass,
    /// `null` when the column's standard deviation is 0.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub z_score: Option<f64>,
    pub time_in_column_hours: f64,
}

/// `GET /boards/{id}/tickets/colors?column=`.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TicketColors {
    pub board_id: BoardId,
    pub board_name: String,
    /// The board's spelling of the `column` asked for, or `null` for every column.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub filter_column: Option<String>,
    pub total_tickets: usize,
    pub color_summary: ColorCounts,
    pub ticket_colors: Vec<TicketColor>,
}

impl TicketColors {
    /// Every ticket of `times` (already limited to `filter_column` when given), in its order.
    pub fn build(board: &Board, times: &BoardTimes, filter_column: Option<&ColumnName>) -> Self {
        let ticket_colors: Vec<TicketColor> = times
            .tickets
            .iter()
            .map(|t| {
                let (z, class) = times.classify(t);
                TicketColor {
                    ticket_id: t.timing.id,
                    title: t.timing.title.clone(),
                    current_column: t.timing.current_column.to_string(),
                    color_class: class,
                    z_score: z.map(round3),
                    time_in_column_hours: round3(t.seconds / HOUR),
                }
            })
            .collect();
        Self {
            board_id: board.id,
            board_name: board.name.to_string(),
            filter_column: filter_column.map(ToString::to_string),
            total_tickets: ticket_colors.len(),
            color_summary: times.color_counts(times.tickets.iter()),
            ticket_colors,
        }
    }
}

/// One ticket of `GET /boards/{id}/tickets/colors/realtime`.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RealtimeColor {
    pub ticket_id: TicketId,
    pub color_class: ColorClass,
    /// `null` when the column's standard deviation is 0.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub z_score: Option<f64>,
    pub time_in_column_seconds: f64,
    /// When this colour was computed (the request's "now").
    #[serde(with = "serde_timestamp")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub updated_at: Timestamp,
}

/// `GET /boards/{id}/tickets/colors/realtime?ticket_ids=…`.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RealtimeColors {
    pub board_id: BoardId,
    pub ticket_colors: Vec<RealtimeColor>,
}

impl RealtimeColors {
    /// The asked tickets in the order asked, each once; ids not on the board are left out.
    pub fn build(board_id: BoardId, times: &BoardTimes, ids: &[TicketId]) -> Self {
        let mut seen = std::collections::HashSet::new();
        let ticket_colors = ids
            .iter()
            .filter(|id| seen.insert(**id))
            .filter_map(|id| times.tickets.iter().find(|t| t.timing.id == *id))
            .map(|t| {
                let (z, class) = times.classify(t);
                RealtimeColor {
                    ticket_id: t.timing.id,
                    color_class: class,
                    z_score: z.map(round3),
                    time_in_column_seconds: round3(t.seconds),
                    updated_at: times.now,
                }
            })
            .collect();
        Self {
            board_id,
            ticket_colors,
        }
    }
}

/// The warning and danger times of a column, in seconds (mean + 1σ and mean + 2σ).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ThresholdSeconds {
    pub warning_threshold_seconds: f64,
    pub danger_threshold_seconds: f64,
}

/// `GET /boards/{id}/column/{column}/statistics`.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ColumnReport {
    pub board_id: BoardId,
    pub column_name: String,
    pub ticket_count: usize,
    pub statistics: ColumnStatistics,
    pub color_distribution: ColorCounts,
    pub thresholds: ThresholdSeconds,
}

impl ColumnReport {
    /// `times` holds the board's tickets of `column` (one of its columns).
    pub fn build(board_id: BoardId, column: &ColumnName, times: &BoardTimes) -> Self {
        let empty = ColumnTimes {
            name: column.clone(),
            seconds: Vec::new(),
            summary: Summary::default(),
        };
        let times_of_column = times.column(column).unwrap_or(&empty);
        let thresholds = times_of_column.summary.thresholds();
        Self {
            board_id,
            column_name: column.to_string(),
            ticket_count: times_of_column.summary.count,
            statistics: ColumnStatistics::of(times_of_column),
            color_distribution: times.color_counts(
                times
                    .tickets
                    .iter()
                    .filter(|t| t.timing.current_column == *column),
            ),
            thresholds: ThresholdSeconds {
                warning_threshold_seconds: round3(thresholds.warning),
                danger_threshold_seconds: round3(thresholds.danger),
            },
        }
    }
}

#[cfg(test)]
#[path = "reports_tests.rs"]
mod tests;
