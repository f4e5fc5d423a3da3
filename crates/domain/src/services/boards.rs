//! Board use cases: list, create, update, columns, rename, delete, and the first board.

use super::{Precondition, check_precondition, events, missing, retry_on_conflict};
use crate::actor::Actor;
use crate::board::{Board, BoardPatch, BoardUpdate, BoardView, NewBoard, Relocation};
use crate::error::DomainError;
use crate::event::NewEvent;
use crate::ids::BoardId;
use crate::policy::Permission;
use crate::ports::{BoardRepository, Committed, Repositories, TicketFilter, TicketRepository};
use crate::ticket::Ticket;
use crate::time::Clock;
use crate::values::{BoardName, ColumnName, Columns, LongText};
use std::sync::Arc;

/// A board to create; default columns when `columns` is `None`.
#[derive(Debug, Clone, PartialEq)]
pub struct NewBoardInput {
    pub name: BoardName,
    pub description: LongText,
    pub columns: Option<Columns>,
}

#[derive(Clone)]
pub struct BoardService {
    boards: Arc<dyn BoardRepository>,
    tickets: Arc<dyn TicketRepository>,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for BoardService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BoardService").finish_non_exhaustive()
    }
}

impl BoardService {
    pub fn new(repositories: &Repositories, clock: Arc<dyn Clock>) -> Self {
        Self {
            boards: repositories.boards.clone(),
            tickets: repositories.tickets.clone(),
            clock,
        }
    }

    /// # Errors
    /// `Internal` when storage fails.
    pub fn list(&self) -> Result<Vec<BoardView>, DomainError> {
        Ok(self.boards.list()?)
    }

    /// # Errors
    /// `NotFound` when there is no such board.
    pub fn get(&self, id: BoardId) -> Result<BoardView, DomainError> {
        self.boards.get(id)?.ok_or(DomainError::NotFound("Board"))
    }

    /// The lowest-id board.
    ///
    /// # Errors
    /// `NotFound` when there is no board at all.
    pub fn default_board(&self) -> Result<BoardView, DomainError> {
        self.boards.first()?.ok_or(DomainError::NotFound("Board"))
    }

    /// # Errors
    /// `Forbidden` when the actor may not manage boards.
    pub fn create(
        &self,
        actor: &Actor,
        input: &NewBoardInput,
    ) -> Result<Committed<BoardView>, DomainError> {
        actor.require(Permission::ManageBoards)?;
        let new = NewBoard {
            name: input.name.clone(),
            description: input.description.clone(),
            columns: input.columns.clone().unwrap_or_else(Columns::defaults),
            at: self.clock.now(),
        };
        let actor = actor.clone();
        Ok(self.boards.create(
            &new,
            Box::new(move |board: &Board| vec![events::board_created(board, &actor)]),
        )?)
    }

    /// Creates "My First Board" when the database holds no board; `None` when it holds one.
    ///
    /// # Errors
    /// `Internal` when storage fails.
    pub fn ensure_first_board(&self) -> Result<Option<Committed<BoardView>>, DomainError> {
        if self.boards.first()?.is_some() {
            return Ok(None);
        }
        let actor = Actor::system();
        let new = NewBoard::first_board(self.clock.now());
        Ok(Some(self.boards.create(
            &new,
            Box::new(move |board: &Board| vec![events::board_created(board, &actor)]),
        )?))
    }

    /// Tickets in the columns of `board` that `columns` drops or re-spells.
    fn tickets_affected(
        &self,
        board: &Board,
        columns: &Columns,
    ) -> Result<Vec<Ticket>, DomainError> {
        let affected: Vec<ColumnName> = board
            .columns
            .iter()
            .filter(|old| columns.find(old.as_str()) != Some(*old))
            .cloned()
            .collect();
        if affected.is_empty() {
            return Ok(Vec::new());
        }
        let filter = TicketFilter {
            board_id: board.id,
            columns: affected,
            assignee: None,
        };
        Ok(self.tickets.list(&filter)?)
    }

    /// Reads the board, checks the precondition, lets `decide` compute the change and applies it;
    /// retries when another writer wins. Returns the board unchanged when nothing changes.
    fn change(
        &self,
        actor: &Actor,
        id: BoardId,
        precondition: Option<&Precondition>,
        decide: impl Fn(&Board) -> Result<Option<BoardUpdate>, DomainError>,
        describe: impl Fn(&Board, &BoardUpdate) -> Vec<NewEvent>,
    ) -> Result<Committed<BoardView>, DomainError> {
        actor.require(Permission::ManageBoards)?;
        retry_on_conflict(|| {
            let current = self.get(id)?;
            check_precondition(precondition, current.board.version)?;
            let Some(update) = decide(&current.board)? else {
                return Ok(Committed {
                    value: current,
                    events: Vec::new(),
                });
            };
            let mut events = describe(&current.board, &update);
            events.extend(
                update
                    .ticket_updates
                    .iter()
                    .filter(|u| !u.history.is_empty())
                    .filter_map(|u| {
                        let before = u.history.iter().find_map(|h| h.old_value.as_deref())?;
                        Some(events::ticket_moved(&u.ticket, before, actor))
                    }),
            );
            self.boards
                .update(&update, &events)
                .map_err(missing("Board"))
        })
    }

    /// Changes name, description and columns. A column that still holds tickets cannot be
    /// dropped this way.
    ///
    /// # Errors
    /// `NotFound`, `PreconditionFailed`, `ColumnNotEmpty`, `Forbidden`.
    pub fn update(
        &self,
        actor: &Actor,
        id: BoardId,
        patch: &BoardPatch,
        precondition: Option<&Precondition>,
    ) -> Result<Committed<BoardView>, DomainError> {
        self.change(
            actor,
            id,
            precondition,
            |board| {
                let tickets = match &patch.columns {
                    Some(columns) => self.tickets_affected(board, columns)?,
                    None => Vec::new(),
                };
                board.apply_patch(patch, Relocation::Refuse, &tickets, actor, self.clock.now())
            },
            |before, update| describe_board_change(before, update, actor),
        )
    }

    /// Replaces the column list; the tickets of dropped columns go to `move_to` when given.
    ///
    /// # Errors
    /// `NotFound`, `PreconditionFailed`, `ColumnNotEmpty`, `Validation` for a `move_to` that is
    /// not a new column, `Forbidden`.
    pub fn set_columns(
        &self,
        actor: &Actor,
        id: BoardId,
        columns: &Columns,
        move_to: Option<&str>,
        precondition: Option<&Precondition>,
    ) -> Result<Committed<BoardView>, DomainError> {
        let patch = BoardPatch {
            columns: Some(columns.clone()),
            ..BoardPatch::default()
        };
        let relocation = move_to.map_or(Relocation::Refuse, Relocation::MoveTo);
        self.change(
            actor,
            id,
            precondition,
            |board| {
                let tickets = self.tickets_affected(board, columns)?;
                board.apply_patch(&patch, relocation, &tickets, actor, self.clock.now())
            },
            |_, update| vec![events::columns_updated(&update.board, actor, None)],
        )
    }

    /// Renames a column in place; its tickets follow.
    ///
    /// # Errors
    /// `NotFound`, `Validation` for an unknown `from` or a taken `to`, `PreconditionFailed`,
    /// `Forbidden`.
    pub fn rename_column(
        &self,
        actor: &Actor,
        id: BoardId,
        from: &str,
        to: &ColumnName,
        precondition: Option<&Precondition>,
    ) -> Result<Committed<BoardView>, DomainError> {
        self.change(
            actor,
            id,
            precondition,
            |board| {
                let Some(old) = board.columns.find(from) else {
                    return board.rename_column(from, to, &[], self.clock.now());
                };
                let filter = TicketFilter {
                    board_id: board.id,
                    columns: vec![old.clone()],
                    assignee: None,
                };
                let tickets = self.tickets.list(&filter)?;
                board.rename_column(from, to, &tickets, self.clock.now())
            },
            |before, update| {
                let old = before.columns.find(from).map_or(from, ColumnName::as_str);
                vec![events::columns_updated(
                    &update.board,
                    actor,
                    Some((old, to.as_str())),
                )]
            },
        )
    }

    /// Deletes a board with its tickets, comments and history.
    ///
    /// # Errors
    /// `NotFound`, `PreconditionFailed`, `Forbidden`.
    pub fn delete(
        &self,
        actor: &Actor,
        id: BoardId,
        precondition: Option<&Precondition>,
    ) -> Result<Committed<Board>, DomainError> {
        actor.require(Permission::ManageBoards)?;
        retry_on_conflict(|| {
            let board = self.get(id)?.board;
            check_precondition(precondition, board.version)?;
            let event = events::board_deleted(&board, actor, self.clock.now());
            let committed = self
                .boards
                .delete(id, board.version, &[event])
                .map_err(missing("Board"))?;
            Ok(committed.map(|()| board.clone()))
        })
    }
}

/// `board_updated` for name or description changes, `columns_updated` for column changes.
fn describe_board_change(before: &Board, update: &BoardUpdate, actor: &Actor) -> Vec<NewEvent> {
    let mut out = Vec::new();
    if before.name != update.board.name || before.description != update.board.description {
        out.push(events::board_updated(&update.board, actor));
    }
    if update.columns_changed(before) {
        out.push(events::columns_updated(&update.board, actor, None));
    }
    out
}
