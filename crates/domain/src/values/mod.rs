//! Validated value types: each has a fallible constructor and no public field, so a value that
//! exists is a valid one.

mod account;
mod columns;
#[cfg(feature = "openapi")]
pub mod openapi;
mod priority;
mod text;

pub use account::{Email, Password, Username};
pub use columns::{ColumnName, Columns, DEFAULT_COLUMNS};
pub use priority::Priority;
pub use text::{AssigneeName, BoardName, CommentText, LongText, TicketTitle};

use crate::error::FieldError;

/// Counts characters (Unicode scalar values), which is what users mean by "200 characters".
fn char_len(s: &str) -> usize {
    s.chars().count()
}

/// Checks that `value` has between `min` and `max` characters.
fn check_length(field: &str, value: &str, min: usize, max: usize) -> Result<(), FieldError> {
    let len = char_len(value);
    if len < min {
        let message = if min == 1 {
            "must not be empty".to_owned()
        } else {
            format!("must be at least {min} characters")
        };
        return Err(FieldError::new(field, "string_too_short", message));
    }
    if len > max {
        return Err(FieldError::new(
            field,
            "string_too_long",
            format!("must be at most {max} characters"),
        ));
    }
    Ok(())
}

/// Rejects control characters other than tab, newline and carriage return.
fn check_printable(field: &str, value: &str, allow_newlines: bool) -> Result<(), FieldError> {
    let bad = value
        .chars()
        .any(|c| c.is_control() && !(allow_newlines && matches!(c, '\n' | '\r' | '\t')));
    if bad {
        return Err(FieldError::new(
            field,
            "value_error",
            "must not contain control characters",
        ));
    }
    Ok(())
}
