//! Statistics use cases (contract §6): time in column per column and per ticket, colour classes,
//! and a board's performance over a window.
//!
//! Every call reads the database afresh and takes "now" from the clock: there is no cache, so no
//! answer is ever stale. The reads are one lean query of the board's tickets (ids, titles,
//! columns, two instants; served by the board index) and, for performance, one query of the
//! moves into the last column within the window.

use crate::board::Board;
use crate::error::DomainError;
use crate::ids::{BoardId, TicketId};
use crate::ports::{
    BoardRepository, HistoryRepository, Repositories, TicketFilter, TicketRepository,
};
use crate::statistics::performance::entries_since;
use crate::statistics::{
    BoardStatistics, BoardTimes, ColumnReport, Performance, RealtimeColors, TicketColors,
    TicketStatistics,
};
use crate::time::Clock;
use crate::values::ColumnName;
use std::sync::Arc;

/// The most ticket ids `realtime_colors` accepts in one call.
pub const MAX_REALTIME_IDS: usize = 50;

#[derive(Clone)]
pub struct StatisticsService {
    boards: Arc<dyn BoardRepository>,
    tickets: Arc<dyn TicketRepository>,
    history: Arc<dyn HistoryRepository>,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for StatisticsService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StatisticsService").finish_non_exhaustive()
    }
}

impl StatisticsService {
    pub fn new(repositories: &Repositories, clock: Arc<dyn Clock>) -> Self {
        Self {
            boards: repositories.boards.clone(),
            tickets: repositories.tickets.clone(),
            history: repositories.history.clone(),
            clock,
        }
    }

    fn board(&self, id: BoardId) -> Result<Board, DomainError> {
        self.boards
            .get_board(id)?
            .ok_or(DomainError::NotFound("Board"))
    }

    /// The board's tickets (of `column` only, when given) with their times at "now".
    fn times(&self, board: &Board, column: Option<&ColumnName>) -> Result<BoardTimes, DomainError> {
        let filter = TicketFilter {
            columns: column.into_iter().cloned().collect(),
            ..TicketFilter::board(board.id)
        };
        let tickets = self.tickets.timings(&filter)?;
        Ok(BoardTimes::new(&board.columns, tickets, self.clock.now()))
    }

    /// Time-in-column statistics of every column of a board.
    ///
    /// # Errors
    /// `NotFound` when there is no such board.
    pub fn board_statistics(&self, board_id: BoardId) -> Result<BoardStatistics, DomainError> {
        let board = self.board(board_id)?;
        let times = self.times(&board, None)?;
        Ok(BoardStatistics::build(&board, &times))
    }

    /// A ticket's times, and how it compares with the other tickets of its column.
    ///
    /// # Errors
    /// `NotFound` when there is no such ticket.
    pub fn ticket_statistics(&self, ticket_id: TicketId) -> Result<TicketStatistics, DomainError> {
        let ticket = self
            .tickets
            .get(ticket_id)?
            .ok_or(DomainError::NotFound("Ticket"))?;
        let board = self.board(ticket.board_id)?;
        let column = self.times(&board, Some(&ticket.current_column))?;
        let transitions = self.history.column_changes(ticket_id)?.len();
        Ok(TicketStatistics::build(&ticket, &column, transitions))
    }

    /// Completions, throughput and velocity of a board over the last `days` days.
    ///
    /// # Errors
    /// `NotFound` when there is no such board.
    pub fn performance(&self, board_id: BoardId, days: u32) -> Result<Performance, DomainError> {
        let board = self.board(board_id)?;
        let now = self.clock.now();
        let tickets = self.tickets.timings(&TicketFilter::board(board.id))?;
        let entries = self.history.column_entries(
            board.id,
            board.columns.last(),
            entries_since(days, now),
        )?;
        Ok(Performance::build(&board, &tickets, &entries, days, now))
    }

    /// The colour class of every ticket of a board, or of one column (any spelling).
    ///
    /// # Errors
    /// `NotFound` when there is no such board, `Validation` (field `column`) when the board has
    /// no such column.
    pub fn ticket_colors(
        &self,
        board_id: BoardId,
        column: Option<&str>,
    ) -> Result<TicketColors, DomainError> {
        let board = self.board(board_id)?;
        let column = column
            .map(|name| board.resolve_column("column", name))
            .transpose()?;
        let times = self.times(&board, column.as_ref())?;
        Ok(TicketColors::build(&board, &times, column.as_ref()))
    }

    /// The colour classes of some tickets of a board, at most [`MAX_REALTIME_IDS`] ids; ids of
    /// tickets not on the board are left out.
    ///
    /// # Errors
    /// `NotFound` when there is no such board, `Validation` (field `ticket_ids`) for too many ids.
    pub fn realtime_colors(
        &self,
        board_id: BoardId,
        ids: &[TicketId],
    ) -> Result<RealtimeColors, DomainError> {
        if ids.len() > MAX_REALTIME_IDS {
            return Err(DomainError::invalid(
                "ticket_ids",
                "too_long",
                format!("at most {MAX_REALTIME_IDS} ticket ids"),
            ));
        }
        let board = self.board(board_id)?;
        let times = self.times(&board, None)?;
        Ok(RealtimeColors::build(board.id, &times, ids))
    }

    /// The statistics, colour distribution and thresholds of one column (any spelling).
    ///
    /// # Errors
    /// `NotFound` when there is no such board or the board has no such column.
    pub fn column_statistics(
        &self,
        board_id: BoardId,
        column: &str,
    ) -> Result<ColumnReport, DomainError> {
        let board = self.board(board_id)?;
        let column = board
            .columns
            .find(column)
            .cloned()
            .ok_or(DomainError::NotFound("Column"))?;
        let times = self.times(&board, Some(&column))?;
        Ok(ColumnReport::build(board.id, &column, &times))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actor::{Actor, Role};
    use crate::services::{AccountPolicy, NewTicketInput, Services};
    use crate::time::FixedClock;
    use crate::values::{LongText, Priority, TicketTitle};
    use chrono::{Duration, TimeZone, Utc};

    fn world() -> (Services, Arc<FixedClock>, BoardId) {
        let clock = Arc::new(FixedClock::new(
            Utc.with_ymd_and_hms(2026, 11, 1, 9, 0, 0).unwrap(),
        ));
        let services = Services::new(
            crate::memory::repositories(),
            crate::memory::crypto::insecure_crypto(),
            AccountPolicy::default(),
            clock.clone(),
        );
        let board = services.boards.ensure_first_board().unwrap().unwrap();
        (services, clock, board.value.board.id)
    }

    fn create(services: &Services, board: BoardId) -> TicketId {
        let input = NewTicketInput {
            board_id: board,
            title: TicketTitle::parse("title", "T").unwrap(),
            description: LongText::empty(),
            acceptance_criteria: LongText::empty(),
            priority: Priority::default(),
            assignee: None,
            column: Some("In Progress".into()),
        };
        let pm = Actor::new("pat", Role::Pm);
        services.tickets.create(&pm, &input).unwrap().value.id
    }

    #[test]
    fn times_run_on_the_clock_and_follow_every_change() {
        let (services, clock, board) = world();
        let first = create(&services, board);
        clock.advance(Duration::minutes(90));
        create(&services, board);
        clock.advance(Duration::minutes(30));
        let stats = services.statistics.board_statistics(board).unwrap();
        let doing = &stats.column_statistics.0[1];
        // 7200 and 1800 s.
        assert_eq!(doing.ticket_count, 2);
        assert_eq!(doing.mean_time_seconds, 4500.0);
        assert_eq!(doing.max_time_seconds, 7200.0);
        let pm = Actor::new("pat", Role::Pm);
        services
            .tickets
            .move_ticket(&pm, first, "Done", None)
            .unwrap();
        let after = services.statistics.board_statistics(board).unwrap();
        assert_eq!(after.column_statistics.0[1].ticket_count, 1);
        assert_eq!(after.column_statistics.0[4].ticket_count, 1);
        let ticket = services.statistics.ticket_statistics(first).unwrap();
        assert_eq!(ticket.column_transitions, 1);
        assert_eq!(ticket.total_age_seconds, 7200.0);
        let perf = services.statistics.performance(board, 1).unwrap();
        assert_eq!(perf.tickets_completed, 1);
        assert_eq!(perf.average_completion_time_seconds, 7200.0);
    }

    #[test]
    fn unknown_boards_tickets_and_columns() {
        let (services, _, board) = world();
        let nowhere = BoardId::new(4242);
        let s = &services.statistics;
        assert!(matches!(
            s.board_statistics(nowhere),
            Err(DomainError::NotFound("Board"))
        ));
        assert!(matches!(
            s.performance(nowhere, 30),
            Err(DomainError::NotFound("Board"))
        ));
        assert!(matches!(
            s.ticket_statistics(TicketId::new(4242)),
            Err(DomainError::NotFound("Ticket"))
        ));
        assert!(matches!(
            s.column_statistics(board, "Nope"),
            Err(DomainError::NotFound("Column"))
        ));
        assert!(matches!(
            s.ticket_colors(board, Some("Nope")),
            Err(DomainError::Validation(errors)) if errors[0].field == "column"
        ));
        let ids: Vec<TicketId> = (1..=51).map(TicketId::new).collect();
        assert!(matches!(
            s.realtime_colors(board, &ids),
            Err(DomainError::Validation(errors)) if errors[0].field == "ticket_ids"
        ));
        assert!(s.realtime_colors(board, &ids[..50]).is_ok());
    }
}
