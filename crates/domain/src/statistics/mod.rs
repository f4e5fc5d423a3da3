//! Flow statistics of a board (contract §6): how long tickets stay in their columns, which of
//! them stand out, and how fast work gets done.
//!
//! - [`maths`]: the pure formulas (mean, sample standard deviation, median, nearest-rank
//!   percentile, z-score, colour class, percentile rank, outliers, thresholds, velocity trend).
//! - [`reports`]: the answers of the statistics routes, built from what storage read and "now".
//! - [`performance`]: completions, throughput and velocity over a window.
//!
//! Nothing here is cached: the service reads the database on each call and these builders are
//! pure functions of what it read, so an answer is never stale.

pub mod maths;
pub mod performance;
pub mod reports;

pub use maths::{ColorClass, Summary, Thresholds, VelocityTrend};
pub use performance::Performance;
pub use reports::{
    BoardStatistics, BoardTimes, ColorCounts, ColumnReport, ColumnStatistics, RealtimeColor,
    RealtimeColors, TicketColor, TicketColors, TicketStatistics,
};

use crate::ids::TicketId;
use crate::ticket::Ticket;
use crate::time::Timestamp;
use crate::values::ColumnName;

/// What the statistics read of a ticket: where it is and since when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketTiming {
    pub id: TicketId,
    pub title: String,
    pub current_column: ColumnName,
    pub created_at: Timestamp,
    pub column_entered_at: Timestamp,
}

impl TicketTiming {
    pub fn of(ticket: &Ticket) -> Self {
        Self {
            id: ticket.id,
            title: ticket.title.as_str().to_owned(),
            current_column: ticket.current_column.clone(),
            created_at: ticket.created_at,
            column_entered_at: ticket.column_entered_at,
        }
    }
}

/// A move of a ticket into a column (one `column` history row), with the ticket's creation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnEntry {
    pub ticket_id: TicketId,
    pub created_at: Timestamp,
    pub entered_at: Timestamp,
}
