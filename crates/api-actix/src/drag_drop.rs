//! Drag-and-drop metrics: counts and durations of ticket moves per board since start-up
//! (`/api/statistics/.../drag-drop/metrics`, contract §6).
//!
//! Kept in memory, per process: they start at zero at every start-up and on
//! `POST /api/statistics/drag-drop/metrics/clear`. Recording takes one short mutex (a map update),
//! far cheaper than the move it measures.

use kanban_domain::BoardId;
use kanban_domain::statistics::maths::round3;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

/// What kind of move an operation was (`operations_by_type` keys).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MoveKind {
    /// `POST /api/tickets/{id}/move`.
    Move,
    /// One ticket of a bulk move.
    BulkMove,
}

impl MoveKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Move => "move",
            Self::BulkMove => "bulk_move",
        }
    }
}

/// The running totals of one board.
#[derive(Debug, Clone, Default, PartialEq)]
struct Tally {
    successful: u64,
    failed: u64,
    duration: Duration,
    by_kind: BTreeMap<MoveKind, u64>,
}

impl Tally {
    fn add(&mut self, other: &Self) {
        self.successful += other.successful;
        self.failed += other.failed;
        self.duration += other.duration;
        for (kind, n) in &other.by_kind {
            *self.by_kind.entry(*kind).or_default() += n;
        }
    }

    fn view(&self) -> MoveMetricsView {
        let total = self.successful + self.failed;
        let average_ms = if total == 0 {
            0.0
        } else {
            #[expect(
                clippy::cast_precision_loss,
                reason = "operation counts are far below 2^52"
            )]
            let total = total as f64;
            self.duration.as_secs_f64() * 1000.0 / total
        };
        MoveMetricsView {
            total_operations: total,
            successful_operations: self.successful,
            failed_operations: self.failed,
            average_duration_ms: round3(average_ms),
            operations_by_type: self
                .by_kind
                .iter()
                .map(|(kind, n)| (kind.as_str(), *n))
                .collect(),
        }
    }
}

/// The metrics of one board, or of all of them.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct MoveMetricsView {
    pub total_operations: u64,
    pub successful_operations: u64,
    pub failed_operations: u64,
    /// Mean duration of the operations, in milliseconds (3 decimals); 0 when there were none.
    pub average_duration_ms: f64,
    /// Operations per kind (`move`, `bulk_move`); kinds never seen are absent.
    #[schema(value_type = BTreeMap<String, u64>)]
    pub operations_by_type: BTreeMap<&'static str, u64>,
}

/// `GET /api/statistics/drag-drop/metrics/all`: the totals, and each board's metrics.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct AllMoveMetrics {
    #[serde(flatten)]
    pub total: MoveMetricsView,
    /// By board id; boards without any recorded move are absent.
    pub boards: BTreeMap<String, MoveMetricsView>,
}

/// The recorder, shared by every worker through `ApiState`.
#[derive(Debug, Default)]
pub struct MoveMetrics {
    /// `None`: moves of tickets that do not exist, which belong to no board (in the totals only).
    boards: Mutex<HashMap<Option<BoardId>, Tally>>,
}

impl MoveMetrics {
    fn lock(&self) -> MutexGuard<'_, HashMap<Option<BoardId>, Tally>> {
        // Counters stay consistent even if a holder panicked: each update is one map entry.
        self.boards.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Records one operation on `board` (`None` when the ticket's board is unknown). A bulk move
    /// records one [`MoveKind::BulkMove`] per ticket, with that ticket's board and outcome.
    pub fn record(
        &self,
        board: Option<BoardId>,
        kind: MoveKind,
        succeeded: bool,
        duration: Duration,
    ) {
        let mut boards = self.lock();
        let tally = boards.entry(board).or_default();
        if succeeded {
            tally.successful += 1;
        } else {
            tally.failed += 1;
        }
        tally.duration += duration;
        *tally.by_kind.entry(kind).or_default() += 1;
    }

    /// One board's metrics (zeros when it had no move).
    pub fn board(&self, board: BoardId) -> MoveMetricsView {
        self.lock()
            .get(&Some(board))
            .cloned()
            .unwrap_or_default()
            .view()
    }

    /// Every board's metrics and their totals.
    pub fn all(&self) -> AllMoveMetrics {
        let boards = self.lock().clone();
        let mut total = Tally::default();
        for tally in boards.values() {
            total.add(tally);
        }
        AllMoveMetrics {
            total: total.view(),
            boards: boards
                .iter()
                .filter_map(|(board, tally)| Some((board.as_ref()?.to_string(), tally.view())))
                .collect(),
        }
    }

    /// Forgets everything recorded.
    pub fn clear(&self) {
        self.lock().clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn counts_and_mean_durations_per_board_and_in_total() {
        let metrics = MoveMetrics::default();
        let (one, two) = (BoardId::new(1), BoardId::new(2));
        metrics.record(Some(one), MoveKind::Move, true, ms(10));
        metrics.record(Some(one), MoveKind::Move, false, ms(20));
        metrics.record(Some(one), MoveKind::BulkMove, true, ms(3));
        metrics.record(Some(two), MoveKind::Move, true, ms(4));
        metrics.record(None, MoveKind::Move, false, ms(3));

        let board = metrics.board(one);
        assert_eq!(board.total_operations, 3);
        assert_eq!(board.successful_operations, 2);
        assert_eq!(board.failed_operations, 1);
        // (10 + 20 + 3) / 3.
        assert_eq!(board.average_duration_ms, 11.0);
        assert_eq!(
            board.operations_by_type,
            BTreeMap::from([("bulk_move", 1), ("move", 2)])
        );

        let all = metrics.all();
        assert_eq!(all.total.total_operations, 5);
        assert_eq!(all.total.failed_operations, 2);
        // 40 ms / 5.
        assert_eq!(all.total.average_duration_ms, 8.0);
        assert_eq!(
            all.boards.len(),
            2,
            "the unknown board is in the totals only"
        );
        assert_eq!(all.boards["2"].average_duration_ms, 4.0);
        let json = serde_json::to_value(&all).unwrap();
        assert_eq!(json["total_operations"], 5);
        assert_eq!(json["boards"]["1"]["operations_by_type"]["move"], 2);

        let quiet = metrics.board(BoardId::new(3));
        assert_eq!(quiet.total_operations, 0);
        assert_eq!(quiet.average_duration_ms, 0.0);
        assert!(quiet.operations_by_type.is_empty());

        metrics.clear();
        assert_eq!(metrics.board(one).total_operations, 0);
        assert_eq!(metrics.all().total.total_operations, 0);
        assert!(metrics.all().boards.is_empty());
    }
}
