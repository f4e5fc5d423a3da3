//! [`CommentRepository`]: comments on tickets.

use crate::error::Work;
use crate::events;
use crate::pool::SqliteStore;
use crate::rows::{CommentRow, NewCommentRow, to_db};
use crate::schema::{comments, tickets};
use diesel::prelude::*;
use kanban_domain::comment::NewComment;
use kanban_domain::ports::{CommentEvents, CommentRepository, Committed};
use kanban_domain::{Comment, CommentId, NewEvent, StoreError, TicketId};

/// Whether the ticket exists (inside the caller's transaction).
pub(crate) fn ticket_exists(conn: &mut SqliteConnection, id: TicketId) -> Work<bool> {
    let found = tickets::table
        .find(id.get())
        .select(tickets::id)
        .first::<i64>(conn)
        .optional()?;
    Ok(found.is_some())
}

impl CommentRepository for SqliteStore {
    fn list_for_ticket(&self, ticket_id: TicketId) -> Result<Vec<Comment>, StoreError> {
        self.read(|conn| {
            let rows = comments::table
                .filter(comments::ticket_id.eq(ticket_id.get()))
                .order(comments::id.asc())
                .select(CommentRow::as_select())
                .load(conn)?;
            Ok(rows.into_iter().map(Comment::from).collect())
        })
    }

    fn get(&self, id: CommentId) -> Result<Option<Comment>, StoreError> {
        self.read(|conn| {
            let row = comments::table
                .find(id.get())
                .select(CommentRow::as_select())
                .first(conn)
                .optional()?;
            Ok(row.map(Comment::from))
        })
    }

    fn create(
        &self,
        new: &NewComment,
        events: CommentEvents,
    ) -> Result<Committed<Comment>, StoreError> {
        let new = new.clone();
        self.write(move |conn| {
            if !ticket_exists(conn, new.ticket_id)? {
                return Err(StoreError::NotFound.into());
            }
            let comment: Comment = diesel::insert_into(comments::table)
                .values(NewCommentRow {
                    ticket_id: new.ticket_id.get(),
                    text: new.text.as_str(),
                    author: &new.author,
                    created_at: to_db(new.at),
                })
                .returning(CommentRow::as_returning())
                .get_result(conn)?
                .into();
            let events = events::append(conn, events(&comment))?;
            Ok(Committed {
                value: comment,
                events,
            })
        })
    }

    fn delete(&self, id: CommentId, events: &[NewEvent]) -> Result<Committed<()>, StoreError> {
        let events = events.to_vec();
        self.write(move |conn| {
            let removed = diesel::delete(comments::table.find(id.get())).execute(conn)?;
            if removed == 0 {
                return Err(StoreError::NotFound.into());
            }
            let events = events::append(conn, events)?;
            Ok(Committed { value: (), events })
        })
    }
}
