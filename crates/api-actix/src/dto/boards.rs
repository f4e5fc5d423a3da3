//! Board requests.

use super::Checker;
use super::nullable;
use crate::error::ApiError;
use kanban_domain::board::BoardPatch;
use kanban_domain::services::NewBoardInput;
use kanban_domain::values::{BoardName, ColumnName, Columns, LongText};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

/// `POST /api/boards`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateBoard {
    #[schema(value_type = BoardName)]
    pub name: String,
    #[serde(default)]
    #[schema(value_type = Option<LongText>)]
    pub description: Option<String>,
    /// The default columns when absent or `null`.
    #[serde(default)]
    #[schema(value_type = Option<Columns>)]
    pub columns: Option<Vec<String>>,
}

impl CreateBoard {
    pub fn validate(self) -> Result<NewBoardInput, ApiError> {
        let mut checker = Checker::default();
        let name = checker.check(BoardName::parse("name", &self.name));
        let description = checker.check(LongText::parse(
            "description",
            self.description.as_deref().unwrap_or_default(),
        ));
        let columns = match &self.columns {
            Some(columns) => checker
                .check_all(Columns::parse("columns", columns))
                .map(Some),
            None => Some(None),
        };
        checker.finish("body", || {
            Some(NewBoardInput {
                name: name?,
                description: description?,
                columns: columns?,
            })
        })
    }
}

/// `PUT /api/boards/{id}`: only sent fields change; `null` name or columns is refused.
#[derive(Debug, Deserialize, ToSchema)]
pub struct UpdateBoard {
    /// Must not be `null`.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = BoardName, required = false)]
    pub name: Option<Option<String>>,
    /// `null` clears it.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<LongText>, required = false)]
    pub description: Option<Option<String>>,
    /// Must not be `null`; a column that still holds tickets cannot be removed.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Columns, required = false)]
    pub columns: Option<Option<Vec<String>>>,
}

impl UpdateBoard {
    pub fn validate(self) -> Result<BoardPatch, ApiError> {
        let mut checker = Checker::default();
        let name = match &self.name {
            None => Some(None),
            Some(None) => {
                checker.reject("name", "null_forbidden", "must not be null");
                None
            }
            Some(Some(name)) => checker.check(BoardName::parse("name", name)).map(Some),
        };
        let description = match &self.description {
            None => Some(None),
            Some(text) => checker
                .check(LongText::parse(
                    "description",
                    text.as_deref().unwrap_or_default(),
                ))
                .map(Some),
        };
        let columns = match &self.columns {
            None => Some(None),
            Some(None) => {
                checker.reject("columns", "null_forbidden", "must not be null");
                None
            }
            Some(Some(columns)) => checker
                .check_all(Columns::parse("columns", columns))
                .map(Some),
        };
        checker.finish("body", || {
            Some(BoardPatch {
                name: name?,
                description: description?,
                columns: columns?,
            })
        })
    }
}

/// `PUT /api/boards/{id}/columns`: the body is a bare array of names.
pub fn validate_columns(names: &[String]) -> Result<Columns, ApiError> {
    let mut checker = Checker::default();
    let columns = checker.check_all(Columns::parse("", names));
    checker.finish("body", || columns)
}

/// `?move_to=` of `PUT /api/boards/{id}/columns`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ColumnsQuery {
    /// Where the tickets of removed columns go (one of the new columns, any case).
    pub move_to: Option<String>,
}

/// `POST /api/boards/{id}/columns/rename`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct RenameColumn {
    /// The current name (any case).
    #[schema(value_type = ColumnName)]
    pub from: String,
    /// The new name.
    #[schema(value_type = ColumnName)]
    pub to: String,
}

impl RenameColumn {
    pub fn validate(self) -> Result<(String, ColumnName), ApiError> {
        let mut checker = Checker::default();
        if self.from.trim().is_empty() {
            checker.reject("from", "string_too_short", "must not be empty");
        }
        let to = checker.check(ColumnName::parse("to", &self.to));
        let from = self.from;
        checker.finish("body", || Some((from, to?)))
    }
}
