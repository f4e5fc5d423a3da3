//! Column names and a board's ordered list of unique columns.

use super::{check_length, check_printable};
use crate::error::FieldError;
use serde::{Serialize, Serializer};
use std::fmt;

/// The columns of a new board when none are given.
pub const DEFAULT_COLUMNS: [&str; 5] = [
    "Not Started",
    "In Progress",
    "Blocked",
    "Ready for QC",
    "Done",
];

/// A column name: 1–100 characters after trimming. Two names are the same column when they are
/// equal ignoring case.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ColumnName(String);

impl ColumnName {
    pub const MAX_CHARS: usize = 100;

    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let trimmed = raw.trim();
        check_length(field, trimmed, 1, Self::MAX_CHARS)?;
        check_printable(field, trimmed, false)?;
        Ok(Self(trimmed.to_owned()))
    }

    /// A name read back from storage, validated when it was written.
    pub fn from_stored(raw: String) -> Self {
        Self(raw)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether `other` names the same column (case-insensitive).
    pub fn matches(&self, other: &str) -> bool {
        self.0.to_lowercase() == other.trim().to_lowercase()
    }
}

impl fmt::Display for ColumnName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for ColumnName {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

/// A board's columns: 1–50 names, unique ignoring case, in display order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Columns(Vec<ColumnName>);

impl Columns {
    pub const MAX_COLUMNS: usize = 50;

    /// Validates a list of names given by a client; `field` is where the list was (`columns`).
    pub fn parse<S: AsRef<str>>(field: &str, raw: &[S]) -> Result<Self, Vec<FieldError>> {
        if raw.is_empty() {
            return Err(vec![FieldError::new(
                field,
                "too_short",
                "must hold at least one column",
            )]);
        }
        if raw.len() > Self::MAX_COLUMNS {
            return Err(vec![FieldError::new(
                field,
                "too_long",
                format!("must hold at most {} columns", Self::MAX_COLUMNS),
            )]);
        }
        let mut errors = Vec::new();
        let mut columns: Vec<ColumnName> = Vec::with_capacity(raw.len());
        for (index, name) in raw.iter().enumerate() {
            let at = format!("{field}[{index}]");
            match ColumnName::parse(&at, name.as_ref()) {
                Ok(column) if columns.iter().any(|c| c.matches(column.as_str())) => {
                    errors.push(FieldError::new(
                        at,
                        "value_error",
                        format!("duplicate column '{column}' (names are compared ignoring case)"),
                    ));
                }
                Ok(column) => columns.push(column),
                Err(error) => errors.push(error),
            }
        }
        if errors.is_empty() {
            Ok(Self(columns))
        } else {
            Err(errors)
        }
    }

    pub fn defaults() -> Self {
        Self(
            DEFAULT_COLUMNS
                .iter()
                .map(|c| ColumnName((*c).to_owned()))
                .collect(),
        )
    }

    /// Columns read back from storage, in position order.
    pub fn from_stored(names: Vec<String>) -> Self {
        Self(names.into_iter().map(ColumnName).collect())
    }

    /// The board's spelling of `name`, matched ignoring case and surrounding spaces.
    pub fn find(&self, name: &str) -> Option<&ColumnName> {
        self.0.iter().find(|c| c.matches(name))
    }

    /// The position of `name` (case-insensitive), from 0.
    pub fn position(&self, name: &str) -> Option<usize> {
        self.0.iter().position(|c| c.matches(name))
    }

    pub fn first(&self) -> &ColumnName {
        // A `Columns` is never empty: `parse` and `defaults` guarantee at least one.
        &self.0[0]
    }

    pub fn last(&self) -> &ColumnName {
        &self.0[self.0.len() - 1]
    }

    pub fn iter(&self) -> std::slice::Iter<'_, ColumnName> {
        self.0.iter()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn names(&self) -> Vec<String> {
        self.0.iter().map(|c| c.0.clone()).collect()
    }

    /// Replaces the column matching `from` by `to`, keeping its position.
    pub fn renamed(&self, from: &str, to: ColumnName) -> Self {
        Self(
            self.0
                .iter()
                .map(|c| {
                    if c.matches(from) {
                        to.clone()
                    } else {
                        c.clone()
                    }
                })
                .collect(),
        )
    }
}

impl<'a> IntoIterator for &'a Columns {
    type Item = &'a ColumnName;
    type IntoIter = std::slice::Iter<'a, ColumnName>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl Serialize for Columns {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_matched_ignoring_case_and_keep_board_spelling() {
        let columns = Columns::defaults();
        assert_eq!(columns.find("in progress").unwrap().as_str(), "In Progress");
        assert_eq!(columns.find(" DONE ").unwrap().as_str(), "Done");
        assert_eq!(columns.position("ready for qc"), Some(3));
        assert!(columns.find("Review").is_none());
    }

    #[test]
    fn duplicate_columns_are_rejected_ignoring_case() {
        let errors = Columns::parse("columns", &["Todo", "Doing", "todo"]).unwrap_err();
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].field, "columns[2]");
    }

    #[test]
    fn empty_lists_and_empty_names_are_rejected() {
        let none: [&str; 0] = [];
        assert_eq!(
            Columns::parse("columns", &none).unwrap_err()[0].field,
            "columns"
        );
        let errors = Columns::parse("columns", &["A", " "]).unwrap_err();
        assert_eq!(errors[0].field, "columns[1]");
    }

    #[test]
    fn at_most_fifty_columns() {
        let names: Vec<String> = (0..51).map(|i| format!("c{i}")).collect();
        assert!(Columns::parse("columns", &names).is_err());
        assert!(Columns::parse("columns", &names[..50]).is_ok());
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        let columns = Columns::parse("columns", &["  Todo "]).unwrap();
        assert_eq!(columns.first().as_str(), "Todo");
        assert!(ColumnName::parse("c", &"x".repeat(101)).is_err());
    }

    #[test]
    fn rename_keeps_position() {
        let columns = Columns::defaults();
        let renamed = columns.renamed("blocked", ColumnName::parse("c", "On Hold").unwrap());
        assert_eq!(renamed.names()[2], "On Hold");
        assert_eq!(renamed.len(), 5);
    }
}
