//! Comment requests.

use super::Checker;
use crate::error::ApiError;
use kanban_domain::TicketId;
use kanban_domain::values::CommentText;
use serde::Deserialize;

/// `POST /api/comments`. The legacy `author` is accepted and ignored: the author is the actor.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct CreateComment {
    #[schema(minimum = 1, maximum = 9223372036854775807i64)]
    #[serde(deserialize_with = "super::integer")]
    pub ticket_id: i64,
    #[schema(value_type = CommentText)]
    pub text: String,
}

impl CreateComment {
    pub fn validate(self) -> Result<(TicketId, CommentText), ApiError> {
        let mut checker = Checker::default();
        if self.ticket_id < 1 {
            checker.reject("ticket_id", "out_of_range", "must be a positive id");
        }
        let text = checker.check(CommentText::parse("text", &self.text));
        let ticket_id = TicketId::new(self.ticket_id);
        checker.finish("body", || Some((ticket_id, text?)))
    }
}
