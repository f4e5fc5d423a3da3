//! History use cases: a ticket's rows, its path through the board, a board's activity feed and
//! change statistics.

use crate::error::DomainError;
use crate::history::{Activity, HistoryEntry, HistoryField, HistoryStats, Transitions};
use crate::ids::{BoardId, TicketId};
use crate::ports::{BoardRepository, HistoryRepository, Repositories, TicketRepository};
use crate::time::Clock;
use serde::Serialize;
use std::sync::Arc;

/// `GET /api/history/boards/{id}/activity`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BoardActivity {
    pub board_id: BoardId,
    pub activities: Vec<Activity>,
    pub timeframe_hours: u32,
    pub total_activities: usize,
}

#[derive(Clone)]
pub struct HistoryService {
    history: Arc<dyn HistoryRepository>,
    tickets: Arc<dyn TicketRepository>,
    boards: Arc<dyn BoardRepository>,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for HistoryService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HistoryService").finish_non_exhaustive()
    }
}

impl HistoryService {
    pub fn new(repositories: &Repositories, clock: Arc<dyn Clock>) -> Self {
        Self {
            history: repositories.history.clone(),
            tickets: repositories.tickets.clone(),
            boards: repositories.boards.clone(),
            clock,
        }
    }

    /// A ticket's rows, newest first.
    ///
    /// # Errors
    /// `NotFound` when there is no such ticket.
    pub fn for_ticket(
        &self,
        ticket_id: TicketId,
        field: Option<HistoryField>,
        limit: u32,
    ) -> Result<Vec<HistoryEntry>, DomainError> {
        self.tickets
            .get(ticket_id)?
            .ok_or(DomainError::NotFound("Ticket"))?;
        Ok(self.history.for_ticket(ticket_id, field, limit)?)
    }

    /// # Errors
    /// `NotFound` when there is no such ticket.
    pub fn transitions(&self, ticket_id: TicketId) -> Result<Transitions, DomainError> {
        let ticket = self
            .tickets
            .get(ticket_id)?
            .ok_or(DomainError::NotFound("Ticket"))?;
        let rows = self.history.column_changes(ticket_id)?;
        Ok(Transitions::build(
            ticket.id,
            ticket.current_column.to_string(),
            ticket.created_at,
            &rows,
            self.clock.now(),
        ))
    }

    /// The last `hours` hours of changes on a board's tickets, newest first.
    ///
    /// # Errors
    /// `NotFound` when there is no such board.
    pub fn board_activity(
        &self,
        board_id: BoardId,
        hours: u32,
        limit: u32,
    ) -> Result<BoardActivity, DomainError> {
        self.boards
            .get(board_id)?
            .ok_or(DomainError::NotFound("Board"))?;
        let now = self.clock.now();
        let since = now - chrono::Duration::hours(i64::from(hours));
        let activities: Vec<Activity> = self
            .history
            .board_activity(board_id, since, limit)?
            .into_iter()
            .map(|(entry, title)| Activity::of(entry, title, &now))
            .collect();
        Ok(BoardActivity {
            board_id,
            total_activities: activities.len(),
            activities,
            timeframe_hours: hours,
        })
    }

    /// The newest `limit` changes across every board, newest first.
    ///
    /// # Errors
    /// `Internal` when storage fails.
    pub fn recent_activity(&self, limit: u32) -> Result<Vec<Activity>, DomainError> {
        let now = self.clock.now();
        Ok(self
            .history
            .recent_activity(limit)?
            .into_iter()
            .map(|(entry, title)| Activity::of(entry, title, &now))
            .collect())
    }

    /// Changes of the last `days` days across all boards.
    ///
    /// # Errors
    /// `Internal` when storage fails.
    pub fn stats(&self, days: u32) -> Result<HistoryStats, DomainError> {
        let since = self.clock.now() - chrono::Duration::days(i64::from(days));
        Ok(HistoryStats::from_counts(
            days,
            self.history.change_counts(since)?,
        ))
    }
}
