//! Row types of the tables and their conversions to and from the domain's types. The domain's
//! structs derive nothing from Diesel; values read back are rebuilt with its `from_stored`
//! constructors, which trust what was validated when it was written.

use crate::schema::{boards, comments, events, ticket_history, tickets};
use crate::stored_time::StoredTime;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use kanban_domain::board::Board;
use kanban_domain::history::NewHistory;
use kanban_domain::values::{
    AssigneeName, BoardName, ColumnName, Columns, CommentText, LongText, Priority, TicketTitle,
};
use kanban_domain::{
    BoardId, Comment, CommentId, HistoryEntry, HistoryId, Ticket, TicketId, Timestamp,
};

/// A domain instant as stored: UTC, without an offset.
pub(crate) fn to_db(at: Timestamp) -> StoredTime {
    at.naive_utc().into()
}

/// A stored instant back in the domain's type.
pub(crate) fn from_db(at: NaiveDateTime) -> Timestamp {
    at.and_utc()
}

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = boards, check_for_backend(diesel::sqlite::Sqlite))]
pub(crate) struct BoardRow {
    pub id: i64,
    pub name: String,
    pub description: String,
    #[diesel(deserialize_as = StoredTime)]
    pub created_at: NaiveDateTime,
    #[diesel(deserialize_as = StoredTime)]
    pub updated_at: NaiveDateTime,
    pub version: i64,
}

impl BoardRow {
    /// The board with its column names, in position order.
    pub fn into_board(self, columns: Vec<String>) -> Board {
        Board {
            id: BoardId::new(self.id),
            name: BoardName::from_stored(self.name),
            description: LongText::from_stored(self.description),
            columns: Columns::from_stored(columns),
            created_at: from_db(self.created_at),
            updated_at: from_db(self.updated_at),
            version: self.version,
        }
    }
}

#[derive(Debug, Insertable)]
#[diesel(table_name = boards)]
pub(crate) struct NewBoardRow<'a> {
    pub name: &'a str,
    pub description: &'a str,
    pub created_at: StoredTime,
    pub updated_at: StoredTime,
    pub version: i64,
}

/// The columns of `boards` a board change writes.
#[derive(Debug, AsChangeset)]
#[diesel(table_name = boards)]
pub(crate) struct BoardChanges<'a> {
    pub name: &'a str,
    pub description: &'a str,
    pub updated_at: StoredTime,
    pub version: i64,
}

impl<'a> BoardChanges<'a> {
    pub fn of(board: &'a Board) -> Self {
        Self {
            name: board.name.as_str(),
            description: board.description.as_str(),
            updated_at: to_db(board.updated_at),
            version: board.version,
        }
    }
}

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = tickets, check_for_backend(diesel::sqlite::Sqlite))]
pub(crate) struct TicketRow {
    pub id: i64,
    pub board_id: i64,
    pub title: String,
    pub description: String,
    pub acceptance_criteria: String,
    pub priority: f64,
    pub assignee: Option<String>,
    pub current_column: String,
    #[diesel(deserialize_as = StoredTime)]
    pub created_at: NaiveDateTime,
    #[diesel(deserialize_as = StoredTime)]
    pub updated_at: NaiveDateTime,
    #[diesel(deserialize_as = StoredTime)]
    pub column_entered_at: NaiveDateTime,
    pub version: i64,
}

impl From<TicketRow> for Ticket {
    fn from(row: TicketRow) -> Self {
        Self {
            id: TicketId::new(row.id),
            board_id: BoardId::new(row.board_id),
            title: TicketTitle::from_stored(row.title),
            description: LongText::from_stored(row.description),
            acceptance_criteria: LongText::from_stored(row.acceptance_criteria),
            priority: Priority::from_stored(row.priority),
            assignee: row.assignee.map(AssigneeName::from_stored),
            current_column: ColumnName::from_stored(row.current_column),
            created_at: from_db(row.created_at),
            updated_at: from_db(row.updated_at),
            column_entered_at: from_db(row.column_entered_at),
            version: row.version,
        }
    }
}

/// `None` inserts `NULL` rather than leaving the column out, so every insert has one SQL text,
/// which Diesel keeps prepared (the same holds for the history rows).
#[derive(Debug, Insertable)]
#[diesel(table_name = tickets, treat_none_as_default_value = false)]
pub(crate) struct NewTicketRow<'a> {
    pub board_id: i64,
    pub title: &'a str,
    pub description: &'a str,
    pub acceptance_criteria: &'a str,
    pub priority: f64,
    pub assignee: Option<&'a str>,
    pub current_column: &'a str,
    pub created_at: StoredTime,
    pub updated_at: StoredTime,
    pub column_entered_at: StoredTime,
    pub version: i64,
    pub column_position: i32,
}

/// Every mutable column of a ticket; `None` clears the assignee rather than skipping it.
#[derive(Debug, AsChangeset)]
#[diesel(table_name = tickets, treat_none_as_null = true)]
pub(crate) struct TicketChanges<'a> {
    pub title: &'a str,
    pub description: &'a str,
    pub acceptance_criteria: &'a str,
    pub priority: f64,
    pub assignee: Option<&'a str>,
    pub current_column: &'a str,
    pub updated_at: StoredTime,
    pub column_entered_at: StoredTime,
    pub version: i64,
}

impl<'a> TicketChanges<'a> {
    pub fn of(ticket: &'a Ticket) -> Self {
        Self {
            title: ticket.title.as_str(),
            description: ticket.description.as_str(),
            acceptance_criteria: ticket.acceptance_criteria.as_str(),
            priority: ticket.priority.value(),
            assignee: ticket.assignee.as_ref().map(AssigneeName::as_str),
            current_column: ticket.current_column.as_str(),
            updated_at: to_db(ticket.updated_at),
            column_entered_at: to_db(ticket.column_entered_at),
            version: ticket.version,
        }
    }
}

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = comments, check_for_backend(diesel::sqlite::Sqlite))]
pub(crate) struct CommentRow {
    pub id: i64,
    pub ticket_id: i64,
    pub text: String,
    pub author: String,
    #[diesel(deserialize_as = StoredTime)]
    pub created_at: NaiveDateTime,
}

impl From<CommentRow> for Comment {
    fn from(row: CommentRow) -> Self {
        Self {
            id: CommentId::new(row.id),
            ticket_id: TicketId::new(row.ticket_id),
            text: CommentText::from_stored(row.text),
            author: row.author,
            created_at: from_db(row.created_at),
        }
    }
}

#[derive(Debug, Insertable)]
#[diesel(table_name = comments)]
pub(crate) struct NewCommentRow<'a> {
    pub ticket_id: i64,
    pub text: &'a str,
    pub author: &'a str,
    pub created_at: StoredTime,
}

#[derive(Debug, Queryable, QueryableByName, Selectable)]
#[diesel(table_name = ticket_history, check_for_backend(diesel::sqlite::Sqlite))]
pub(crate) struct HistoryRow {
    pub id: i64,
    pub ticket_id: i64,
    pub field_name: String,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
    pub changed_by: String,
    #[diesel(deserialize_as = StoredTime)]
    pub changed_at: NaiveDateTime,
}

impl From<HistoryRow> for HistoryEntry {
    fn from(row: HistoryRow) -> Self {
        Self {
            id: HistoryId::new(row.id),
            ticket_id: TicketId::new(row.ticket_id),
            field_name: row.field_name,
            old_value: row.old_value,
            new_value: row.new_value,
            changed_by: row.changed_by,
            changed_at: from_db(row.changed_at),
        }
    }
}

#[derive(Debug, Insertable)]
#[diesel(table_name = ticket_history, treat_none_as_default_value = false)]
pub(crate) struct NewHistoryRow<'a> {
    pub ticket_id: i64,
    pub field_name: &'a str,
    pub old_value: Option<&'a str>,
    pub new_value: Option<&'a str>,
    pub changed_by: &'a str,
    pub changed_at: StoredTime,
}

impl<'a> NewHistoryRow<'a> {
    pub fn of(row: &'a NewHistory) -> Self {
        Self {
            ticket_id: row.ticket_id.get(),
            field_name: row.field.as_str(),
            old_value: row.old_value.as_deref(),
            new_value: row.new_value.as_deref(),
            changed_by: &row.changed_by,
            changed_at: to_db(row.changed_at),
        }
    }
}

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = events, check_for_backend(diesel::sqlite::Sqlite))]
pub(crate) struct EventRow {
    pub board_id: i64,
    pub seq: i64,
    pub event_type: String,
    pub payload: String,
    #[diesel(deserialize_as = StoredTime)]
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = events)]
pub(crate) struct NewEventRow<'a> {
    pub board_id: i64,
    pub seq: i64,
    pub event_type: &'a str,
    pub payload: &'a str,
    pub created_at: StoredTime,
}
