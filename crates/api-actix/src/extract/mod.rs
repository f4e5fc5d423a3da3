//! Extractors: every piece of a request a handler reads is checked here and turned into the
//! contract's errors (415, 413, 422 with the exact field, 400), so handlers see only valid input.

mod if_match;
mod json;
mod path;
mod query;

pub use if_match::IfMatch;
pub use json::JsonBody;
pub use path::{PathId, path_config};
pub use query::QueryParams;

use kanban_domain::FieldError;
use serde_path_to_error::{Path, Segment};

/// The dotted location of a serde error (`columns[2]`, `updates[0].priority`), including the
/// field a "missing field" message names.
fn field_of(path: &Path, message: &str) -> String {
    let mut field = String::new();
    for segment in path {
        match segment {
            Segment::Seq { index } => field.push_str(&format!("[{index}]")),
            Segment::Map { key } | Segment::Enum { variant: key } => {
                if !field.is_empty() {
                    field.push('.');
                }
                field.push_str(key);
            }
            Segment::Unknown => {}
        }
    }
    // serde reports a missing field at its parent; an unknown one is already in the path.
    if let Some(named) = quoted_field(message, "missing field `") {
        if !field.is_empty() {
            field.push('.');
        }
        field.push_str(named);
    }
    field
}

fn quoted_field<'a>(message: &'a str, prefix: &str) -> Option<&'a str> {
    let rest = message.strip_prefix(prefix)?;
    rest.split_once('`').map(|(name, _)| name)
}

/// A serde error message without serde_json's " at line 1 column 7" suffix.
fn clean_message(message: &str) -> String {
    message
        .rsplit_once(" at line ")
        .map_or(message, |(head, _)| head)
        .to_owned()
}

/// The kind of a deserialisation error, for `validation_errors[].type`.
fn kind_of(message: &str) -> &'static str {
    if message.starts_with("missing field") {
        "missing"
    } else if message.starts_with("unknown field") {
        "extra_forbidden"
    } else if message.starts_with("unknown variant") {
        "enum"
    } else {
        "type_error"
    }
}

/// One field error from a serde failure at `path`.
fn deserialize_error(path: &Path, message: &str) -> FieldError {
    let message = clean_message(message);
    FieldError::new(field_of(path, &message), kind_of(&message), message)
}
