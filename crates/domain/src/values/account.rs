//! Account values: usernames, e-mail addresses and passwords with the rules of contract §1.

use super::check_printable;
use crate::error::FieldError;
use serde::{Serialize, Serializer};
use std::fmt;

/// A login name: 3–50 characters of ASCII letters, digits, `_` and `-`, kept in lower case so
/// `Ann` and `ann` are the same account.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Username(String);

impl Username {
    pub const MIN_CHARS: usize = 3;
    pub const MAX_CHARS: usize = 50;
    /// Names the server records for itself (`system`) and for tokenless requests (`anonymous`),
    /// so no account can pass for them in the history.
    pub const RESERVED: [&'static str; 2] = ["system", "anonymous"];

    /// # Errors
    /// A `FieldError` at `field` when the name breaks a rule.
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        super::check_length(field, raw, Self::MIN_CHARS, Self::MAX_CHARS)?;
        if !raw
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            return Err(FieldError::new(
                field,
                "value_error",
                "may contain only letters, digits, '_' and '-'",
            ));
        }
        let name = raw.to_ascii_lowercase();
        if Self::RESERVED.contains(&name.as_str()) {
            return Err(FieldError::new(field, "value_error", "is reserved"));
        }
        Ok(Self(name))
    }

    /// A name read back from storage, where it was validated on the way in.
    pub fn from_stored(raw: String) -> Self {
        Self(raw)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An e-mail address, kept in lower case: one `@`, a non-empty local part, a domain with a dot,
/// no spaces or control characters, at most 254 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    pub const MAX_CHARS: usize = 254;

    /// # Errors
    /// A `FieldError` at `field` when the address is not plausible.
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let trimmed = raw.trim();
        if trimmed.chars().count() > Self::MAX_CHARS {
            return Err(FieldError::new(
                field,
                "string_too_long",
                format!("must be at most {} characters", Self::MAX_CHARS),
            ));
        }
        let invalid = || FieldError::new(field, "value_error", "must be a valid e-mail address");
        check_printable(field, trimmed, false).map_err(|_| invalid())?;
        let (local, domain) = trimmed.split_once('@').ok_or_else(invalid)?;
        let plausible = !local.is_empty()
            && local.chars().count() <= 64
            && !domain.contains('@')
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && !trimmed.chars().any(char::is_whitespace);
        if !plausible {
            return Err(invalid());
        }
        Ok(Self(trimmed.to_lowercase()))
    }

    /// An address read back from storage, where it was validated on the way in.
    pub fn from_stored(raw: String) -> Self {
        Self(raw)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

macro_rules! text_like {
    ($($name:ident),*) => {
        $(
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
        )*
    };
}
text_like!(Username, Email);

/// A new password as the user typed it: 8–128 characters with an upper-case letter, a lower-case
/// letter and a digit. Never printed: its `Debug` is redacted.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    pub const MIN_CHARS: usize = 8;
    pub const MAX_CHARS: usize = 128;

    /// # Errors
    /// A `FieldError` at `field` naming the first rule the password breaks.
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        super::check_length(field, raw, Self::MIN_CHARS, Self::MAX_CHARS)?;
        let missing = [
            (raw.chars().any(char::is_uppercase), "an upper-case letter"),
            (raw.chars().any(char::is_lowercase), "a lower-case letter"),
            (raw.chars().any(|c| c.is_ascii_digit()), "a digit"),
        ];
        if let Some((_, what)) = missing.iter().find(|(present, _)| !present) {
            return Err(FieldError::new(
                field,
                "value_error",
                format!("must contain {what}"),
            ));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password([redacted])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_lower_cased_and_restricted() {
        assert_eq!(
            Username::parse("username", "Agent_7-b").unwrap().as_str(),
            "agent_7-b"
        );
        assert_eq!(
            Username::parse("username", "ab").unwrap_err().kind,
            "string_too_short"
        );
        assert!(Username::parse("username", &"a".repeat(50)).is_ok());
        assert_eq!(
            Username::parse("username", &"a".repeat(51))
                .unwrap_err()
                .kind,
            "string_too_long"
        );
        assert_eq!(
            Username::parse("username", "Anonymous")
                .unwrap_err()
                .message,
            "is reserved"
        );
        assert!(Username::parse("username", "system").is_err());
        for bad in ["with space", "dot.ted", "émile", "semi;colon", "tab\tx"] {
            assert_eq!(
                Username::parse("username", bad).unwrap_err().kind,
                "value_error",
                "{bad}"
            );
        }
    }

    #[test]
    fn emails_are_lower_cased_and_plausible() {
        assert_eq!(
            Email::parse("email", " Ann@Example.COM ").unwrap().as_str(),
            "ann@example.com"
        );
        for bad in [
            "",
            "ann",
            "ann@",
            "@example.com",
            "ann@example",
            "ann@@example.com",
            "a b@example.com",
            "ann@example..com",
            "ann@.example.com",
            "ann\u{0}@example.com",
        ] {
            assert!(Email::parse("email", bad).is_err(), "{bad:?}");
        }
        let long = format!("{}@example.com", "a".repeat(250));
        assert_eq!(
            Email::parse("email", &long).unwrap_err().kind,
            "string_too_long"
        );
    }

    #[test]
    fn passwords_need_length_and_three_kinds_of_character() {
        assert!(Password::parse("password", "Secret123").is_ok());
        assert!(Password::parse("password", "Sécret123").is_ok());
        let short = Password::parse("password", "Sec12").unwrap_err();
        assert_eq!(short.kind, "string_too_short");
        let long = format!("Aa1{}", "x".repeat(126));
        assert_eq!(
            Password::parse("password", &long).unwrap_err().kind,
            "string_too_long"
        );
        assert!(
            Password::parse("password", "secret123")
                .unwrap_err()
                .message
                .contains("upper-case")
        );
        assert!(
            Password::parse("password", "SECRET123")
                .unwrap_err()
                .message
                .contains("lower-case")
        );
        assert!(
            Password::parse("password", "SecretSecret")
                .unwrap_err()
                .message
                .contains("digit")
        );
    }

    #[test]
    fn passwords_are_never_printed() {
        let password = Password::parse("password", "Secret123").unwrap();
        assert!(!format!("{password:?}").contains("Secret"));
    }
}
