//! Comment use cases.

use super::{events, missing};
use crate::actor::Actor;
use crate::comment::{Comment, NewComment};
use crate::error::DomainError;
use crate::ids::{CommentId, TicketId};
use crate::policy::Permission;
use crate::ports::{CommentRepository, Committed, Repositories, TicketRepository};
use crate::time::Clock;
use crate::values::CommentText;
use std::sync::Arc;

#[derive(Clone)]
pub struct CommentService {
    comments: Arc<dyn CommentRepository>,
    tickets: Arc<dyn TicketRepository>,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for CommentService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CommentService").finish_non_exhaustive()
    }
}

impl CommentService {
    pub fn new(repositories: &Repositories, clock: Arc<dyn Clock>) -> Self {
        Self {
            comments: repositories.comments.clone(),
            tickets: repositories.tickets.clone(),
            clock,
        }
    }

    /// A ticket's comments, oldest first.
    ///
    /// # Errors
    /// `NotFound` when there is no such ticket.
    pub fn for_ticket(&self, ticket_id: TicketId) -> Result<Vec<Comment>, DomainError> {
        self.tickets
            .get(ticket_id)?
            .ok_or(DomainError::NotFound("Ticket"))?;
        Ok(self.comments.list_for_ticket(ticket_id)?)
    }

    /// Adds a comment written by the actor.
    ///
    /// # Errors
    /// `NotFound` when there is no such ticket, `Forbidden` when the actor may not comment.
    pub fn add(
        &self,
        actor: &Actor,
        ticket_id: TicketId,
        text: &CommentText,
    ) -> Result<Committed<Comment>, DomainError> {
        actor.require(Permission::Contribute)?;
        let ticket = self
            .tickets
            .get(ticket_id)?
            .ok_or(DomainError::NotFound("Ticket"))?;
        let new = NewComment {
            ticket_id,
            text: text.clone(),
            author: actor.name().to_owned(),
            at: self.clock.now(),
        };
        self.comments
            .create(
                &new,
                Box::new(move |comment: &Comment| vec![events::comment_added(comment, &ticket)]),
            )
            .map_err(missing("Ticket"))
    }

    /// Deletes a comment: its author, a pm or an admin.
    ///
    /// # Errors
    /// `NotFound`, `Forbidden`.
    pub fn delete(&self, actor: &Actor, id: CommentId) -> Result<Committed<Comment>, DomainError> {
        let comment = self
            .comments
            .get(id)?
            .ok_or(DomainError::NotFound("Comment"))?;
        if comment.author != actor.name() {
            actor.require(Permission::DeleteTickets).map_err(|_| {
                DomainError::Forbidden(
                    "only the author, a pm or an admin may delete this comment".into(),
                )
            })?;
        }
        let ticket = self
            .tickets
            .get(comment.ticket_id)?
            .ok_or(DomainError::NotFound("Comment"))?;
        let event = events::comment_deleted(&comment, &ticket, actor, self.clock.now());
        let committed = self
            .comments
            .delete(id, &[event])
            .map_err(missing("Comment"))?;
        Ok(committed.map(|()| comment))
    }
}
