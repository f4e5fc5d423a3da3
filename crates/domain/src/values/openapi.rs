//! OpenAPI schemas of the value types (feature `openapi`): each rule the constructors check is
//! written as a JSON Schema constraint, so a client (or a property-based tester) that follows the
//! document sends only what the server accepts. Lengths of trimmed values are part of the
//! regular expressions: `maxLength` would count the whitespace the server trims away.
//!
//! The expressions use only syntax that ECMA-262 (the JSON Schema dialect) and Python's `re`
//! read alike: character classes with `\xNN` and `\uNNNN` escapes, no lookaround.

use super::{
    AssigneeName, BoardName, ColumnName, Columns, CommentText, DEFAULT_COLUMNS, Email, LongText,
    Priority, TicketTitle, Username,
};
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Schema, Type};
use utoipa::openapi::{Ref, RefOr};
use utoipa::{PartialSchema, ToSchema};

/// The whitespace `str::trim` removes (Unicode `White_Space`) that is not a control character.
macro_rules! spaces {
    () => {
        r" \xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000"
    };
}
/// All of the whitespace `str::trim` removes.
macro_rules! trimmed {
    () => {
        concat!(r"\t\n\x0B\x0C\r\x85", spaces!())
    };
}
/// Control characters (`char::is_control`).
macro_rules! controls {
    () => {
        r"\x00-\x1F\x7F-\x9F"
    };
}
/// Control characters other than tab, line feed and carriage return (free text keeps those).
macro_rules! text_controls {
    () => {
        r"\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F"
    };
}
/// A single-line name: after trimming, 1 to `$inner + 2` characters without control characters.
macro_rules! name {
    ($inner:literal) => {
        concat!(
            "^[",
            trimmed!(),
            "]*",
            "[^",
            controls!(),
            spaces!(),
            "]",
            "(?:[^",
            controls!(),
            "]{0,",
            $inner,
            "}[^",
            controls!(),
            spaces!(),
            "])?",
            "[",
            trimmed!(),
            "]*$"
        )
    };
}

/// A board's name or a ticket's title: 1–200 characters after trimming, on one line.
pub const NAME_200: &str = name!(198);
/// A column, assignee or display name: 1–100 characters after trimming, on one line.
pub const NAME_100: &str = name!(98);
/// Like [`NAME_100`], or empty or only whitespace (an assignee field, where that means nobody).
pub const OPTIONAL_NAME_100: &str = concat!(
    "^[",
    trimmed!(),
    "]*",
    "(?:[^",
    controls!(),
    spaces!(),
    "](?:[^",
    controls!(),
    "]{0,98}[^",
    controls!(),
    spaces!(),
    "])?)?",
    "[",
    trimmed!(),
    "]*$"
);
/// Free text: no control characters but tab and line breaks.
pub const TEXT: &str = concat!("^[^", text_controls!(), "]*$");
/// A comment: free text with at least one character that is not whitespace.
pub const COMMENT: &str = concat!(
    "^[^",
    text_controls!(),
    "]*[^",
    text_controls!(),
    trimmed!(),
    "][^",
    text_controls!(),
    "]*$"
);
/// An e-mail address as the server checks it (one `@`, a dotted domain, no whitespace or control
/// characters), kept within 254 characters: a local part of up to 62, two or three labels of up
/// to 63.
pub const EMAIL: &str = concat!(
    "^[",
    trimmed!(),
    "]*",
    "[^@",
    controls!(),
    spaces!(),
    "]{1,62}@",
    "[^@.",
    controls!(),
    spaces!(),
    "]{1,63}(?:\\.[^@.",
    controls!(),
    spaces!(),
    "]{1,63}){1,2}",
    "[",
    trimmed!(),
    "]*$"
);
/// A login name: 3–50 ASCII letters, digits, `_` or `-`.
pub const USERNAME: &str = "^[A-Za-z0-9_-]{3,50}$";
/// A priority as the server writes it: digits, a point, digits.
pub const PRIORITY: &str = r"^[0-9]+\.[0-9]+$";

fn string(pattern: &str, description: &str) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(pattern))
        .description(Some(description))
}

macro_rules! string_schema {
    ($name:ident, $schema:expr) => {
        impl PartialSchema for $name {
            fn schema() -> RefOr<Schema> {
                $schema.into()
            }
        }

        impl ToSchema for $name {}
    };
}

string_schema!(
    BoardName,
    string(NAME_200, "1–200 characters after trimming, on one line").examples(["Release 2.0"])
);
string_schema!(
    TicketTitle,
    string(NAME_200, "1–200 characters after trimming, on one line")
        .examples(["Write the release notes"])
);
string_schema!(
    AssigneeName,
    string(NAME_100, "1–100 characters after trimming, on one line").examples(["agent-7"])
);
string_schema!(
    ColumnName,
    string(
        NAME_100,
        "1–100 characters after trimming, on one line; the same column ignoring case",
    )
    .examples(["In Progress"])
);
string_schema!(
    LongText,
    string(
        TEXT,
        "Up to 20,000 characters, line breaks allowed; may be empty"
    )
    .max_length(Some(LongText::MAX_CHARS))
);
string_schema!(
    CommentText,
    string(
        COMMENT,
        "1–10,000 characters, not only whitespace; kept as written",
    )
    .min_length(Some(1))
    .max_length(Some(CommentText::MAX_CHARS))
);
string_schema!(
    Email,
    string(EMAIL, "An e-mail address, kept in lower case").examples(["ann@example.com"])
);
string_schema!(
    Username,
    string(
        USERNAME,
        "3–50 letters, digits, `_` or `-`, kept in lower case; `system` and `anonymous` are reserved",
    )
    .examples(["agent-7"])
);
string_schema!(
    Priority,
    string(
        PRIORITY,
        "A number from 0 to 1000 as a string with at least one decimal; lower sorts first",
    )
    .examples(["1.0", "2.5"])
);

/// 1–50 names, unique (the server also compares them ignoring case).
impl PartialSchema for Columns {
    fn schema() -> RefOr<Schema> {
        ArrayBuilder::new()
            .items(Ref::from_schema_name("ColumnName"))
            .min_items(Some(1))
            .max_items(Some(Columns::MAX_COLUMNS))
            .unique_items(true)
            .description(Some(
                "A board's columns in display order: 1–50 names, unique ignoring case",
            ))
            .examples([serde_json::json!(DEFAULT_COLUMNS)])
            .into()
    }
}

impl ToSchema for Columns {
    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        schemas.push(("ColumnName".to_owned(), ColumnName::schema()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A tiny matcher for the patterns' shapes would be a regex engine; instead check the
    /// assembled text of one of them against what it must say.
    #[test]
    fn names_bound_the_trimmed_length() {
        assert!(NAME_200.contains("{0,198}"));
        assert!(NAME_100.contains("{0,98}"));
        assert!(NAME_100.starts_with(r"^[\t\n\x0B\x0C\r\x85 \xA0"));
        assert!(!EMAIL.contains("(?="), "no lookaround");
    }
}
