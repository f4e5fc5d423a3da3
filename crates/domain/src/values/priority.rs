//! Ticket priority: a number from 0 to 1000, shown to clients as a string with a decimal point.

use crate::error::FieldError;
use serde::{Serialize, Serializer};
use std::fmt;

/// A ticket's priority. Lower numbers sort first. Clients send a JSON number or a numeric string;
/// they get back a string with at least one decimal (`"1.0"`, `"2.5"`).
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
pub struct Priority(f64);

impl Priority {
    pub const MIN: f64 = 0.0;
    pub const MAX: f64 = 1000.0;

    pub fn new(field: &str, value: f64) -> Result<Self, FieldError> {
        if !value.is_finite() {
            return Err(FieldError::new(
                field,
                "value_error",
                "must be a finite number",
            ));
        }
        if !(Self::MIN..=Self::MAX).contains(&value) {
            return Err(FieldError::new(
                field,
                "out_of_range",
                format!("must be between {} and {}", Self::MIN, Self::MAX),
            ));
        }
        // Normalise -0.0 so it prints as "0.0".
        Ok(Self(if value == 0.0 { 0.0 } else { value }))
    }

    /// Parses the string form clients may send (`"2"`, `" 2.5 "`).
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let value: f64 = raw.trim().parse().map_err(|_| {
            FieldError::new(field, "value_error", "must be a number between 0 and 1000")
        })?;
        Self::new(field, value)
    }

    /// A value read back from storage, validated when it was written.
    pub fn from_stored(value: f64) -> Self {
        Self(value)
    }

    pub fn value(self) -> f64 {
        self.0
    }
}

impl Default for Priority {
    fn default() -> Self {
        Self(1.0)
    }
}

impl fmt::Display for Priority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `{}` on f64 prints the shortest string that reads back to the same value; whole numbers
        // get a ".0" so existing clients always see a decimal.
        let shortest = self.0.to_string();
        if shortest.contains('.') {
            f.write_str(&shortest)
        } else {
            write!(f, "{shortest}.0")
        }
    }
}

impl Serialize for Priority {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn priorities_print_with_at_least_one_decimal() {
        assert_eq!(Priority::new("p", 1.0).unwrap().to_string(), "1.0");
        assert_eq!(Priority::new("p", 2.5).unwrap().to_string(), "2.5");
        assert_eq!(Priority::new("p", 0.0).unwrap().to_string(), "0.0");
        assert_eq!(Priority::new("p", -0.0).unwrap().to_string(), "0.0");
        assert_eq!(Priority::new("p", 1000.0).unwrap().to_string(), "1000.0");
        assert_eq!(Priority::new("p", 0.125).unwrap().to_string(), "0.125");
        assert_eq!(Priority::default().to_string(), "1.0");
    }

    #[test]
    fn numeric_strings_are_accepted() {
        assert_eq!(Priority::parse("p", "3").unwrap().value(), 3.0);
        assert_eq!(Priority::parse("p", " 2.50 ").unwrap().to_string(), "2.5");
    }

    #[test]
    fn out_of_range_and_garbage_are_rejected() {
        assert_eq!(Priority::new("p", -1.0).unwrap_err().kind, "out_of_range");
        assert_eq!(Priority::new("p", 1000.5).unwrap_err().kind, "out_of_range");
        assert!(Priority::new("p", f64::NAN).is_err());
        assert!(Priority::parse("p", "high").is_err());
        assert!(Priority::parse("p", "inf").is_err());
        assert!(Priority::parse("p", "").is_err());
    }

    #[test]
    fn priorities_sort_numerically() {
        let mut list = [10.0, 2.0, 1.5].map(|v| Priority::new("p", v).unwrap());
        list.sort_by(|a, b| a.value().total_cmp(&b.value()));
        assert_eq!(list.map(|p| p.to_string()), ["1.5", "2.0", "10.0"]);
    }
}
