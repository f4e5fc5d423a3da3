//! Ticket use cases: list, create, update, move, claim, release, delete.

use super::{Precondition, check_precondition, events, missing, retry_on_conflict};
use crate::actor::Actor;
use crate::board::Board;
use crate::error::DomainError;
use crate::ids::{BoardId, TicketId};
use crate::page::{Page, PageRequest};
use crate::policy::Permission;
use crate::ports::{
    BoardRepository, Committed, Effects, Holding, Listed, Repositories, TicketChange, TicketFilter,
    TicketRepository,
};
use crate::ticket::{NewTicket, Ticket, TicketPatch, TicketSummary};
use crate::time::{Clock, Timestamp};
use crate::values::{AssigneeName, LongText, Priority, TicketTitle};
use serde::Serialize;
use std::sync::Arc;

/// A ticket to create, validated except for its column, which is resolved against the board.
#[derive(Debug, Clone, PartialEq)]
pub struct NewTicketInput {
    pub board_id: BoardId,
    pub title: TicketTitle,
    pub description: LongText,
    pub acceptance_criteria: LongText,
    pub priority: Priority,
    pub assignee: Option<AssigneeName>,
    /// Any spelling of one of the board's columns; the first column when `None`.
    pub column: Option<String>,
}

/// Filters of `GET /api/tickets`.
#[derive(Debug, Clone, PartialEq)]
pub struct TicketListQuery {
    pub board_id: BoardId,
    pub column: Option<String>,
    pub assignee: Option<AssigneeName>,
}

/// A board's tickets (`GET /api/boards/{id}/tickets`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BoardTickets {
    pub board_id: BoardId,
    pub board_name: String,
    pub tickets: Vec<TicketSummary>,
    pub total_tickets: usize,
}

#[derive(Clone)]
pub struct TicketService {
    boards: Arc<dyn BoardRepository>,
    tickets: Arc<dyn TicketRepository>,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for TicketService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TicketService").finish_non_exhaustive()
    }
}

impl TicketService {
    pub fn new(repositories: &Repositories, clock: Arc<dyn Clock>) -> Self {
        Self {
            boards: repositories.boards.clone(),
            tickets: repositories.tickets.clone(),
            clock,
        }
    }

    /// The board, without counting its tickets: every ticket write reads it, and a count would
    /// cost a scan of the board's tickets each time.
    fn board(&self, id: BoardId) -> Result<Board, DomainError> {
        self.boards
            .get_board(id)?
            .ok_or(DomainError::NotFound("Board"))
    }

    /// # Errors
    /// `NotFound` when there is no such ticket.
    pub fn get(&self, id: TicketId) -> Result<Ticket, DomainError> {
        self.tickets.get(id)?.ok_or(DomainError::NotFound("Ticket"))
    }

    /// One page of a board's tickets; those `held` holds at their version come
    /// as [`Listed::Held`] (see [`TicketRepository::list_page`]).
    ///
    /// # Errors
    /// `NotFound` for an unknown board, `Validation` for a column the board does not have.
    pub fn list(
        &self,
        query: &TicketListQuery,
        page: PageRequest,
        held: &mut dyn Holding,
    ) -> Result<Page<Listed>, DomainError> {
        // The board is read to resolve a column, or when nothing matched (an unknown board is
        // 404): a listed ticket's board exists, since a board's tickets go with it.
        let columns = match &query.column {
            Some(name) => vec![self.board(query.board_id)?.resolve_column("column", name)?],
            None => Vec::new(),
        };
        let filter = TicketFilter {
            board_id: query.board_id,
            columns,
            assignee: query.assignee.clone(),
        };
        let (items, total) = self.tickets.list_page(&filter, page, held)?;
        if total == 0 && query.column.is_none() {
            self.board(query.board_id)?;
        }
        Ok(Page::new(items, total, page))
    }

    /// Every ticket of a board (the lowest-id board when `board_id` is `None`), in board order.
    ///
    /// # Errors
    /// `NotFound` when there is no such board.
    pub fn board_tickets(&self, board_id: Option<BoardId>) -> Result<BoardTickets, DomainError> {
        let board = match board_id {
            Some(id) => self.board(id)?,
            None => {
                self.boards
                    .first()?
                    .ok_or(DomainError::NotFound("Board"))?
                    .board
            }
        };
        let tickets = self.tickets.list(&TicketFilter::board(board.id))?;
        let now = self.clock.now();
        let tickets: Vec<TicketSummary> = tickets
            .into_iter()
            .map(|t| TicketSummary::of(t, &now))
            .collect();
        Ok(BoardTickets {
            board_id: board.id,
            board_name: board.name.into_inner(),
            total_tickets: tickets.len(),
            tickets,
        })
    }

    /// # Errors
    /// `NotFound` for an unknown board, `Validation` for a column the board does not have,
    /// `Forbidden` when the actor may not create tickets.
    pub fn create(
        &self,
        actor: &Actor,
        input: &NewTicketInput,
    ) -> Result<Committed<Ticket>, DomainError> {
        actor.require(Permission::Contribute)?;
        retry_on_conflict(|| {
            let board = self.board(input.board_id)?;
            let column = match &input.column {
                Some(name) => board.resolve_column("current_column", name)?,
                None => board.columns.first().clone(),
            };
            let new = NewTicket {
                board_id: board.id,
                title: input.title.clone(),
                description: input.description.clone(),
                acceptance_criteria: input.acceptance_criteria.clone(),
                priority: input.priority,
                assignee: input.assignee.clone(),
                current_column: column,
                at: self.clock.now(),
            };
            let actor = actor.clone();
            let effects = move |ticket: &Ticket| Effects {
                history: NewTicket::history(ticket, &actor),
                events: vec![events::ticket_created(ticket, &actor)],
            };
            self.tickets
                .create(&new, board.version, Box::new(effects))
                .map_err(missing("Board"))
        })
    }

    /// Reads the ticket, checks the precondition and lets `decide` compute the change, then
    /// applies it; retries when another writer wins. `Ok` with no events when nothing changed.
    fn change(
        &self,
        id: TicketId,
        precondition: Option<&Precondition>,
        decide: impl Fn(&Ticket) -> Result<Option<TicketChange>, DomainError>,
    ) -> Result<Committed<Ticket>, DomainError> {
        retry_on_conflict(|| {
            let current = self.get(id)?;
            check_precondition(precondition, current.version)?;
            let Some(change) = decide(&current)? else {
                return Ok(Committed {
                    value: current,
                    events: Vec::new(),
                });
            };
            self.tickets
                .update(&change.update, change.board_version, &change.events)
                .map_err(missing("Ticket"))
        })
    }

    /// # Errors
    /// `NotFound`, `PreconditionFailed`, `Forbidden` (an agent changing another's ticket).
    pub fn update(
        &self,
        actor: &Actor,
        id: TicketId,
        patch: &TicketPatch,
        precondition: Option<&Precondition>,
    ) -> Result<Committed<Ticket>, DomainError> {
        self.change(id, precondition, |ticket| {
            decide_patch(ticket, patch, actor, self.clock.now())
        })
    }

    /// Moves a ticket to a column of its board, named in any letter case. A move to the column
    /// it is already in changes nothing.
    ///
    /// # Errors
    /// `NotFound`, `Validation` for an unknown column, `PreconditionFailed`, `Forbidden`.
    pub fn move_ticket(
        &self,
        actor: &Actor,
        id: TicketId,
        column: &str,
        precondition: Option<&Precondition>,
    ) -> Result<Committed<Ticket>, DomainError> {
        self.change(id, precondition, |ticket| {
            let board = self.board(ticket.board_id)?;
            decide_move(ticket, &board, column, actor, self.clock.now())
        })
    }

    /// Assigns an unassigned ticket to `agent` (the actor when `None`). Of any number of
    /// concurrent claims exactly one succeeds.
    ///
    /// # Errors
    /// `AlreadyClaimed` when assigned, `Forbidden` when an agent claims for someone else,
    /// `NotFound`, `PreconditionFailed`.
    pub fn claim(
        &self,
        actor: &Actor,
        id: TicketId,
        agent: Option<&AssigneeName>,
        precondition: Option<&Precondition>,
    ) -> Result<Committed<Ticket>, DomainError> {
        actor.require(Permission::Claim)?;
        let agent = match agent {
            Some(agent) => agent.clone(),
            None => AssigneeName::parse("agent_id", actor.name())
                .map_err(|e| DomainError::Validation(vec![e]))?,
        };
        if !actor.role().manages() && agent.as_str() != actor.name() {
            return Err(DomainError::Forbidden(
                "agents may claim tickets only for themselves".into(),
            ));
        }
        self.change(id, precondition, |ticket| {
            let update = ticket.claim(&agent, actor, self.clock.now())?;
            let event = events::ticket_claimed(&update.ticket, actor);
            Ok(Some(TicketChange {
                update,
                board_version: None,
                events: vec![event],
            }))
        })
    }

    /// Clears the assignee; allowed to the assignee, pm and admin. Releasing an unassigned
    /// ticket changes nothing.
    ///
    /// # Errors
    /// `Forbidden`, `NotFound`, `PreconditionFailed`.
    pub fn release(
        &self,
        actor: &Actor,
        id: TicketId,
        precondition: Option<&Precondition>,
    ) -> Result<Committed<Ticket>, DomainError> {
        actor.require(Permission::Claim)?;
        self.change(id, precondition, |ticket| {
            if ticket.assignee.is_some() && !actor.role().manages() && !ticket.is_assigned_to(actor)
            {
                return Err(DomainError::Forbidden(
                    "only the assignee, a pm or an admin may release this ticket".into(),
                ));
            }
            let previous = ticket.assignee.as_ref().map(|a| a.as_str().to_owned());
            Ok(ticket.release(actor, self.clock.now()).map(|update| {
                let event = events::ticket_released(&update.ticket, previous.as_deref(), actor);
                TicketChange {
                    update,
                    board_version: None,
                    events: vec![event],
                }
            }))
        })
    }

    /// Deletes a ticket with its comments and history.
    ///
    /// # Errors
    /// `NotFound`, `PreconditionFailed`, `Forbidden`.
    pub fn delete(
        &self,
        actor: &Actor,
        id: TicketId,
        precondition: Option<&Precondition>,
    ) -> Result<Committed<Ticket>, DomainError> {
        actor.require(Permission::DeleteTickets)?;
        retry_on_conflict(|| {
            let ticket = self.get(id)?;
            check_precondition(precondition, ticket.version)?;
            let event = events::ticket_deleted(&ticket, actor, self.clock.now());
            let committed = self
                .tickets
                .delete(id, ticket.version, &[event])
                .map_err(missing("Ticket"))?;
            Ok(committed.map(|()| ticket))
        })
    }
}

/// What `PUT /api/tickets/{id}` (and a bulk priority change or assignment) decides for one
/// ticket: the changed fields with one `ticket_updated` event, or `None` when nothing differs.
///
/// # Errors
/// `Forbidden` when an agent changes another's ticket or assigns it to someone else.
pub(super) fn decide_patch(
    ticket: &Ticket,
    patch: &TicketPatch,
    actor: &Actor,
    at: Timestamp,
) -> Result<Option<TicketChange>, DomainError> {
    actor.require_may_change(ticket)?;
    if let Some(Some(assignee)) = &patch.assignee
        && !actor.role().manages()
        && assignee.as_str() != actor.name()
    {
        return Err(DomainError::Forbidden(
            "agents may assign tickets only to themselves".into(),
        ));
    }
    Ok(ticket.apply_patch(patch, actor, at).map(|update| {
        let event = events::ticket_updated(&update.ticket, actor, &update.changed_fields());
        TicketChange {
            update,
            board_version: None,
            events: vec![event],
        }
    }))
}

/// What a move (single or bulk) decides for one ticket of `board`: the new column, guarded by
/// the board version it was resolved against, with one `ticket_moved` event; `None` when the
/// ticket is in that column already.
///
/// # Errors
/// `Validation` (`invalid_column`) when `board` has no such column, `Forbidden` when an agent
/// moves another's ticket.
pub(super) fn decide_move(
    ticket: &Ticket,
    board: &Board,
    column: &str,
    actor: &Actor,
    at: Timestamp,
) -> Result<Option<TicketChange>, DomainError> {
    actor.require_may_change(ticket)?;
    let target = board.resolve_column("column", column)?;
    Ok(ticket.move_to(&target, actor, at).map(|update| {
        let event = events::ticket_moved(&update.ticket, ticket.current_column.as_str(), actor);
        TicketChange {
            update,
            board_version: Some(board.version),
            events: vec![event],
        }
    }))
}
