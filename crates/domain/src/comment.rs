//! Comments on tickets.

use crate::ids::{CommentId, TicketId};
use crate::time::{Timestamp, serde_timestamp};
use crate::values::CommentText;
use serde::Serialize;

/// A comment as stored and as clients see it (contract §4).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Comment {
    pub id: CommentId,
    pub ticket_id: TicketId,
    pub text: CommentText,
    /// The username of the actor who wrote it.
    pub author: String,
    #[serde(with = "serde_timestamp")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: Timestamp,
}

/// A comment to create.
#[derive(Debug, Clone, PartialEq)]
pub struct NewComment {
    pub ticket_id: TicketId,
    pub text: CommentText,
    pub author: String,
    pub at: Timestamp,
}
