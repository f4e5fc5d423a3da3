//! Bulk use cases (contract §7): move, re-prioritise or assign many tickets in one request.
//!
//! Each item is decided on its own with the single-ticket rules ([`decide_move`],
//! [`decide_patch`]) and succeeds or fails with its own reason; the successful changes are then
//! applied together by one port call ([`TicketRepository::update_many`]), in one transaction
//! with their history rows and events. When another writer wins a race on any of them, the whole
//! batch is read and decided again.

use super::retry_on_conflict;
use super::tickets::{decide_move, decide_patch};
use crate::actor::Actor;
use crate::board::Board;
use crate::error::{DomainError, FieldError};
use crate::ids::{BoardId, TicketId};
use crate::policy::Permission;
use crate::ports::{BoardRepository, Committed, Repositories, TicketChange, TicketRepository};
use crate::ticket::{Ticket, TicketPatch};
use crate::time::{Clock, Timestamp};
use crate::values::{AssigneeName, Priority};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// The most tickets one bulk request may name.
pub const MAX_BATCH_SIZE: usize = 100;

/// The bulk operations, by the names `GET /api/bulk/operations/status` lists.
pub const BULK_OPERATIONS: [&str; 3] = ["move", "priority_update", "assignment"];

/// Where a batch's ids are in the request: the list, and one id by its index.
pub type BatchFields = (&'static str, fn(usize) -> String);

/// `{ticket_ids: [...]}`.
pub const TICKET_IDS: BatchFields = ("ticket_ids", |i| format!("ticket_ids[{i}]"));

/// `{updates: [{ticket_id}, ...]}`.
pub const UPDATES: BatchFields = ("updates", |i| format!("updates[{i}].ticket_id"));

/// Checks the ticket ids of a bulk request: at least one, at most [`MAX_BATCH_SIZE`], each
/// positive and named once. Errors are reported at the list's field, or at one id's.
///
/// # Errors
/// Every problem found, as field errors.
pub fn check_batch(ids: &[TicketId], fields: BatchFields) -> Result<(), Vec<FieldError>> {
    let (list_field, item_field) = fields;
    if ids.is_empty() {
        return Err(vec![FieldError::new(
            list_field,
            "too_short",
            "must name at least one ticket",
        )]);
    }
    if ids.len() > MAX_BATCH_SIZE {
        return Err(vec![FieldError::new(
            list_field,
            "too_long",
            format!(
                "at most {MAX_BATCH_SIZE} tickets per request, got {}",
                ids.len()
            ),
        )]);
    }
    let mut seen = HashSet::new();
    let mut errors = Vec::new();
    for (index, id) in ids.iter().enumerate() {
        if id.get() < 1 {
            errors.push(FieldError::new(
                item_field(index),
                "out_of_range",
                "must be a positive id",
            ));
        } else if !seen.insert(*id) {
            errors.push(FieldError::new(
                item_field(index),
                "duplicate",
                format!("ticket {id} is named more than once"),
            ));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// What happened to one ticket of a bulk request.
#[derive(Debug, Clone, PartialEq)]
pub struct BulkItem {
    pub ticket_id: TicketId,
    /// The ticket as read when the batch was decided, when it exists.
    pub before: Option<Ticket>,
    /// The ticket after the operation (as committed, or unchanged when there was nothing to
    /// change), or why this item was refused.
    pub outcome: Result<Ticket, String>,
}

impl BulkItem {
    pub fn succeeded(&self) -> bool {
        self.outcome.is_ok()
    }
}

/// The items of a bulk request, in the order they were named.
#[derive(Debug, Clone, PartialEq)]
pub struct BulkReport {
    pub items: Vec<BulkItem>,
}

impl BulkReport {
    pub fn successful(&self) -> usize {
        self.items.iter().filter(|i| i.succeeded()).count()
    }

    pub fn failed(&self) -> usize {
        self.items.len() - self.successful()
    }
}

/// The reason an item is refused, or the error itself when it is not about this item (storage
/// failing, a lost race) and must fail or retry the whole request.
fn item_error(error: DomainError) -> Result<String, DomainError> {
    match error {
        DomainError::Internal(_) | DomainError::Conflict => Err(error),
        DomainError::Validation(fields) => Ok(fields
            .into_iter()
            .map(|f| f.message)
            .collect::<Vec<_>>()
            .join("; ")),
        DomainError::NotFound(what) => Ok(format!("{what} not found")),
        other => Ok(other.to_string()),
    }
}

/// The boards of a batch, each read once per attempt.
struct Boards<'a> {
    repository: &'a dyn BoardRepository,
    read: HashMap<BoardId, Board>,
}

impl Boards<'_> {
    fn get(&mut self, id: BoardId) -> Result<&Board, DomainError> {
        if !self.read.contains_key(&id) {
            let board = self
                .repository
                .get_board(id)?
                .ok_or(DomainError::NotFound("Board"))?;
            self.read.insert(id, board);
        }
        self.read.get(&id).ok_or(DomainError::NotFound("Board"))
    }
}

#[derive(Clone)]
pub struct BulkService {
    boards: Arc<dyn BoardRepository>,
    tickets: Arc<dyn TicketRepository>,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for BulkService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BulkService").finish_non_exhaustive()
    }
}

impl BulkService {
    pub fn new(repositories: &Repositories, clock: Arc<dyn Clock>) -> Self {
        Self {
            boards: repositories.boards.clone(),
            tickets: repositories.tickets.clone(),
            clock,
        }
    }

    /// Moves every ticket to `column`, resolved on each ticket's own board in any letter case.
    /// A ticket already in that column succeeds without a change.
    ///
    /// # Errors
    /// `Forbidden` for roles without the bulk permission, `Validation` for a bad batch,
    /// `Conflict` when the batch keeps losing races; per-item problems are in the report.
    pub fn move_tickets(
        &self,
        actor: &Actor,
        ids: &[TicketId],
        column: &str,
    ) -> Result<Committed<BulkReport>, DomainError> {
        self.run(actor, ids, TICKET_IDS, |_, ticket, boards, at| {
            let board = boards.get(ticket.board_id)?;
            decide_move(ticket, board, column, actor, at)
        })
    }

    /// Sets each ticket's priority; an unchanged priority succeeds without a change.
    ///
    /// # Errors
    /// As [`BulkService::move_tickets`].
    pub fn set_priorities(
        &self,
        actor: &Actor,
        updates: &[(TicketId, Priority)],
    ) -> Result<Committed<BulkReport>, DomainError> {
        let ids: Vec<TicketId> = updates.iter().map(|(id, _)| *id).collect();
        self.run(actor, &ids, UPDATES, |index, ticket, _, at| {
            let patch = TicketPatch {
                priority: updates.get(index).map(|(_, priority)| *priority),
                ..TicketPatch::default()
            };
            decide_patch(ticket, &patch, actor, at)
        })
    }

    /// Assigns every ticket to `assignee`, or clears the assignee when `None`, as the ticket
    /// update route does (no claim rules: an assigned ticket is reassigned).
    ///
    /// # Errors
    /// As [`BulkService::move_tickets`].
    pub fn assign(
        &self,
        actor: &Actor,
        ids: &[TicketId],
        assignee: Option<&AssigneeName>,
    ) -> Result<Committed<BulkReport>, DomainError> {
        let patch = TicketPatch {
            assignee: Some(assignee.cloned()),
            ..TicketPatch::default()
        };
        self.run(actor, ids, TICKET_IDS, |_, ticket, _, at| {
            decide_patch(ticket, &patch, actor, at)
        })
    }

    /// Reads each ticket, lets `decide` rule on it (given its index in `ids`), and applies
    /// every decided change in one port call; re-reads and re-decides everything on a lost
    /// race.
    fn run(
        &self,
        actor: &Actor,
        ids: &[TicketId],
        fields: BatchFields,
        decide: impl Fn(
            usize,
            &Ticket,
            &mut Boards<'_>,
            Timestamp,
        ) -> Result<Option<TicketChange>, DomainError>,
    ) -> Result<Committed<BulkReport>, DomainError> {
        actor.require(Permission::Analyse)?;
        check_batch(ids, fields).map_err(DomainError::Validation)?;
        retry_on_conflict(|| {
            let at = self.clock.now();
            let mut boards = Boards {
                repository: self.boards.as_ref(),
                read: HashMap::new(),
            };
            let mut items = Vec::with_capacity(ids.len());
            let mut changes = Vec::new();
            // For each change, the index of its item.
            let mut changed = Vec::new();
            for (index, &ticket_id) in ids.iter().enumerate() {
                let Some(ticket) = self.tickets.get(ticket_id)? else {
                    items.push(BulkItem {
                        ticket_id,
                        before: None,
                        outcome: Err("Ticket not found".to_owned()),
                    });
                    continue;
                };
                let outcome = match decide(index, &ticket, &mut boards, at) {
                    Ok(Some(change)) => {
                        changed.push(items.len());
                        let after = change.update.ticket.clone();
                        changes.push(change);
                        Ok(after)
                    }
                    Ok(None) => Ok(ticket.clone()),
                    Err(error) => Err(item_error(error)?),
                };
                items.push(BulkItem {
                    ticket_id,
                    before: Some(ticket),
                    outcome,
                });
            }
            let committed = if changes.is_empty() {
                Committed {
                    value: Vec::new(),
                    events: Vec::new(),
                }
            } else {
                self.tickets.update_many(&changes)?
            };
            for (index, ticket) in changed.into_iter().zip(committed.value) {
                if let Some(item) = items.get_mut(index) {
                    item.outcome = Ok(ticket);
                }
            }
            Ok(Committed {
                value: BulkReport { items },
                events: committed.events,
            })
        })
    }
}

#[cfg(test)]
#[path = "bulk_tests.rs"]
mod tests;
