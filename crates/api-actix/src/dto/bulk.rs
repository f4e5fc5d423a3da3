//! Bulk requests and their answers (contract §7).

use super::{Checker, PriorityInput, nullable, tickets::assignee};
use crate::error::ApiError;
use kanban_domain::TicketId;
use kanban_domain::services::bulk::{TICKET_IDS, UPDATES, check_batch};
use kanban_domain::services::{BulkItem, BulkReport};
use kanban_domain::values::{AssigneeName, ColumnName, Priority};
use serde::{Deserialize, Serialize};

fn ticket_ids(raw: &[i64]) -> Vec<TicketId> {
    raw.iter().copied().map(TicketId::new).collect()
}

/// `POST /api/bulk/tickets/move`.
#[derive(Debug, Deserialize)]
pub struct BulkMove {
    pub ticket_ids: Vec<i64>,
    pub target_column: String,
}

impl BulkMove {
    /// The ids and the column as sent; the column is resolved on each ticket's board later, so
    /// here it is only checked to be something a board could have.
    pub fn validate(self) -> Result<(Vec<TicketId>, String), ApiError> {
        let mut checker = Checker::default();
        let ids = ticket_ids(&self.ticket_ids);
        checker.check_all(check_batch(&ids, TICKET_IDS));
        checker.check(ColumnName::parse("target_column", &self.target_column));
        checker.finish("body", || Some((ids, self.target_column)))
    }
}

/// One entry of `POST /api/bulk/tickets/priority`.
#[derive(Debug, Deserialize)]
pub struct PriorityUpdate {
    pub ticket_id: i64,
    pub priority: PriorityInput,
}

/// `POST /api/bulk/tickets/priority`.
#[derive(Debug, Deserialize)]
pub struct BulkPriority {
    pub updates: Vec<PriorityUpdate>,
}

impl BulkPriority {
    pub fn validate(self) -> Result<Vec<(TicketId, Priority)>, ApiError> {
        let mut checker = Checker::default();
        let ids: Vec<TicketId> = self
            .updates
            .iter()
            .map(|u| TicketId::new(u.ticket_id))
            .collect();
        checker.check_all(check_batch(&ids, UPDATES));
        let priorities: Vec<Option<Priority>> = self
            .updates
            .iter()
            .enumerate()
            .map(|(i, u)| checker.check(u.priority.validate(&format!("updates[{i}].priority"))))
            .collect();
        checker.finish("body", || {
            ids.into_iter()
                .zip(priorities)
                .map(|(id, priority)| Some((id, priority?)))
                .collect()
        })
    }
}

/// `POST /api/bulk/tickets/assign`: `assignee` must be sent; `null` or `""` clears.
#[derive(Debug, Deserialize)]
pub struct BulkAssign {
    pub ticket_ids: Vec<i64>,
    #[serde(default, deserialize_with = "nullable")]
    pub assignee: Option<Option<String>>,
}

impl BulkAssign {
    pub fn validate(self) -> Result<(Vec<TicketId>, Option<AssigneeName>), ApiError> {
        let mut checker = Checker::default();
        let ids = ticket_ids(&self.ticket_ids);
        checker.check_all(check_batch(&ids, TICKET_IDS));
        let assignee = match &self.assignee {
            None => {
                checker.reject(
                    "assignee",
                    "missing",
                    "Field required (null clears the assignee)",
                );
                None
            }
            Some(raw) => checker.check(assignee("assignee", raw.as_deref())),
        };
        checker.finish("body", || Some((ids, assignee?)))
    }
}

/// One ticket of a bulk move.
#[derive(Debug, Serialize)]
pub struct MoveResult {
    pub ticket_id: TicketId,
    pub success: bool,
    pub error: Option<String>,
    /// Where the ticket was, when it exists.
    pub old_column: Option<String>,
    /// Where it is now, when the move succeeded.
    pub new_column: Option<String>,
}

/// The answer of `POST /api/bulk/tickets/move`.
#[derive(Debug, Serialize)]
pub struct MoveReport {
    pub total_requested: usize,
    pub successful_moves: usize,
    pub failed_moves: usize,
    pub results: Vec<MoveResult>,
    pub execution_time_ms: f64,
}

impl MoveReport {
    pub fn of(report: &BulkReport, execution_time_ms: f64) -> Self {
        let results = report
            .items
            .iter()
            .map(|item| MoveResult {
                ticket_id: item.ticket_id,
                success: item.succeeded(),
                error: item.outcome.as_ref().err().cloned(),
                old_column: item.before.as_ref().map(|t| t.current_column.to_string()),
                new_column: item
                    .outcome
                    .as_ref()
                    .ok()
                    .map(|t| t.current_column.to_string()),
            })
            .collect();
        Self {
            total_requested: report.items.len(),
            successful_moves: report.successful(),
            failed_moves: report.failed(),
            results,
            execution_time_ms,
        }
    }
}

/// One ticket of a bulk priority change or assignment.
#[derive(Debug, Serialize)]
pub struct OperationResult {
    pub ticket_id: TicketId,
    pub success: bool,
    pub error: Option<String>,
    /// The field's value before, when the ticket exists.
    pub old_value: Option<String>,
    /// The field's value now, when the operation succeeded.
    pub new_value: Option<String>,
}

/// Which field a bulk operation changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    Priority,
    Assignment,
}

impl Operation {
    fn name(self) -> &'static str {
        match self {
            Self::Priority => "priority_update",
            Self::Assignment => "assignment",
        }
    }

    fn value(self, ticket: &kanban_domain::Ticket) -> Option<String> {
        match self {
            Self::Priority => Some(ticket.priority.to_string()),
            Self::Assignment => ticket.assignee.as_ref().map(ToString::to_string),
        }
    }

    fn result(self, item: &BulkItem) -> OperationResult {
        OperationResult {
            ticket_id: item.ticket_id,
            success: item.succeeded(),
            error: item.outcome.as_ref().err().cloned(),
            old_value: item.before.as_ref().and_then(|t| self.value(t)),
            new_value: item.outcome.as_ref().ok().and_then(|t| self.value(t)),
        }
    }
}

/// The answer of `POST /api/bulk/tickets/priority` and `/assign`.
#[derive(Debug, Serialize)]
pub struct OperationReport {
    pub total_requested: usize,
    pub successful_operations: usize,
    pub failed_operations: usize,
    pub results: Vec<OperationResult>,
    pub execution_time_ms: f64,
    pub operation_type: &'static str,
}

impl OperationReport {
    pub fn of(operation: Operation, report: &BulkReport, execution_time_ms: f64) -> Self {
        Self {
            total_requested: report.items.len(),
            successful_operations: report.successful(),
            failed_operations: report.failed(),
            results: report.items.iter().map(|i| operation.result(i)).collect(),
            execution_time_ms,
            operation_type: operation.name(),
        }
    }
}

/// The bulk limit as `GET /api/bulk/operations/status` reports it.
#[derive(Debug, Serialize)]
pub struct BulkRateLimit {
    pub enabled: bool,
    pub requests_per_minute: u32,
    pub per: &'static str,
}

/// The answer of `GET /api/bulk/operations/status`.
#[derive(Debug, Serialize)]
pub struct BulkStatus {
    pub status: &'static str,
    pub rate_limits: BulkRateLimit,
    pub max_batch_size: usize,
    pub supported_operations: [&'static str; 3],
}
