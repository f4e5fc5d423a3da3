//! Text values: names, titles and free text with their length rules.

use super::{check_length, check_printable};
use crate::error::FieldError;
use serde::{Serialize, Serializer};
use std::fmt;

macro_rules! text_newtype {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub struct $name(String);

        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }

            pub fn into_inner(self) -> String {
                self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(&self.0)
            }
        }
    };
}

text_newtype!(
    /// A board's name: 1–200 characters after trimming.
    BoardName
);
text_newtype!(
    /// A ticket's title: 1–200 characters after trimming.
    TicketTitle
);
text_newtype!(
    /// A comment's text: 1–10,000 characters, not only whitespace; kept as written.
    CommentText
);
text_newtype!(
    /// Free text (descriptions, acceptance criteria): up to 20,000 characters, may be empty.
    LongText
);
text_newtype!(
    /// Who a ticket is assigned to (an agent id or a username): 1–100 characters after trimming,
    /// no control characters.
    AssigneeName
);

impl BoardName {
    pub const MAX_CHARS: usize = 200;

    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let trimmed = raw.trim();
        check_length(field, trimmed, 1, Self::MAX_CHARS)?;
        check_printable(field, trimmed, false)?;
        Ok(Self(trimmed.to_owned()))
    }
}

impl TicketTitle {
    pub const MAX_CHARS: usize = 200;

    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let trimmed = raw.trim();
        check_length(field, trimmed, 1, Self::MAX_CHARS)?;
        check_printable(field, trimmed, false)?;
        Ok(Self(trimmed.to_owned()))
    }
}

impl CommentText {
    pub const MAX_CHARS: usize = 10_000;

    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        if raw.trim().is_empty() {
            return Err(FieldError::new(
                field,
                "string_too_short",
                "must not be empty",
            ));
        }
        check_length(field, raw, 1, Self::MAX_CHARS)?;
        check_printable(field, raw, true)?;
        Ok(Self(raw.to_owned()))
    }
}

impl LongText {
    pub const MAX_CHARS: usize = 20_000;

    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        check_length(field, raw, 0, Self::MAX_CHARS)?;
        check_printable(field, raw, true)?;
        Ok(Self(raw.to_owned()))
    }

    pub fn empty() -> Self {
        Self(String::new())
    }

    /// Text read back from storage, where it was validated on the way in.
    pub fn from_stored(raw: String) -> Self {
        Self(raw)
    }
}

impl AssigneeName {
    pub const MAX_CHARS: usize = 100;

    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let trimmed = raw.trim();
        check_length(field, trimmed, 1, Self::MAX_CHARS)?;
        check_printable(field, trimmed, false)?;
        Ok(Self(trimmed.to_owned()))
    }
}

/// Values read back from storage were validated when written; these skip the checks so a row
/// written by an older version with looser rules can still be read.
macro_rules! from_stored {
    ($($name:ident),*) => {
        $(impl $name {
            pub fn from_stored(raw: String) -> Self {
                Self(raw)
            }
        })*
    };
}
from_stored!(BoardName, TicketTitle, CommentText, AssigneeName);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_are_trimmed_and_bounded() {
        assert_eq!(
            TicketTitle::parse("title", "  Fix login  ")
                .unwrap()
                .as_str(),
            "Fix login"
        );
        assert_eq!(
            TicketTitle::parse("title", "   ").unwrap_err().kind,
            "string_too_short"
        );
        assert!(TicketTitle::parse("title", &"é".repeat(200)).is_ok());
        let too_long = TicketTitle::parse("title", &"x".repeat(201)).unwrap_err();
        assert_eq!(too_long.kind, "string_too_long");
        assert_eq!(too_long.field, "title");
    }

    #[test]
    fn titles_reject_control_characters() {
        assert!(TicketTitle::parse("title", "a\u{0}b").is_err());
        assert!(TicketTitle::parse("title", "line\nbreak").is_err());
    }

    #[test]
    fn comments_keep_their_text_but_reject_blank() {
        assert_eq!(
            CommentText::parse("text", " hi\n").unwrap().as_str(),
            " hi\n"
        );
        assert!(CommentText::parse("text", " \n ").is_err());
        assert!(CommentText::parse("text", &"x".repeat(10_001)).is_err());
        assert!(CommentText::parse("text", &"x".repeat(10_000)).is_ok());
    }

    #[test]
    fn long_text_may_be_empty_and_multiline() {
        assert_eq!(LongText::parse("description", "").unwrap().as_str(), "");
        assert!(LongText::parse("description", "a\n- b\tc").is_ok());
        assert!(LongText::parse("description", &"x".repeat(20_001)).is_err());
    }

    #[test]
    fn board_names_and_assignees_are_trimmed() {
        assert_eq!(BoardName::parse("name", " Ops ").unwrap().as_str(), "Ops");
        assert!(BoardName::parse("name", "").is_err());
        assert_eq!(
            AssigneeName::parse("assignee", " agent-7 ")
                .unwrap()
                .as_str(),
            "agent-7"
        );
        assert!(AssigneeName::parse("assignee", " ").is_err());
    }
}
