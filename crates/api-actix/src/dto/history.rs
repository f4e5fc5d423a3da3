//! History query strings.

use super::{Checker, in_range};
use crate::error::ApiError;
use kanban_domain::history::HistoryField;
use serde::Deserialize;

/// `?limit=50&field_name=` of a ticket's history.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TicketHistoryQuery {
    /// 1–500, 50 by default.
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    /// Only rows of this field.
    #[param(value_type = Option<HistoryField>)]
    pub field_name: Option<String>,
}

impl TicketHistoryQuery {
    pub fn validate(self) -> Result<(u32, Option<HistoryField>), ApiError> {
        let mut checker = Checker::default();
        let limit = checker.check(in_range("limit", self.limit.unwrap_or(50), 1..=500));
        let field = match self.field_name.as_deref().map(str::trim) {
            None | Some("") => Some(None),
            Some(name) => match HistoryField::from_name(name) {
                Some(field) => Some(Some(field)),
                None => {
                    let known: Vec<&str> = HistoryField::ALL.iter().map(|f| f.as_str()).collect();
                    checker.reject(
                        "field_name",
                        "enum",
                        &format!("must be one of: {}", known.join(", ")),
                    );
                    None
                }
            },
        };
        checker.finish("query", || Some((limit?, field?)))
    }
}

/// `?hours=24&limit=100` of a board's activity.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ActivityQuery {
    /// 1–168, 24 by default.
    #[param(minimum = 1, maximum = 168)]
    pub hours: Option<u32>,
    /// 1–500, 100 by default.
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
}

impl ActivityQuery {
    pub fn validate(self) -> Result<(u32, u32), ApiError> {
        let mut checker = Checker::default();
        let hours = checker.check(in_range("hours", self.hours.unwrap_or(24), 1..=168));
        let limit = checker.check(in_range("limit", self.limit.unwrap_or(100), 1..=500));
        checker.finish("query", || Some((hours?, limit?)))
    }
}

/// `?days=7` of the change statistics.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatsQuery {
    /// 1–30, 7 by default.
    #[param(minimum = 1, maximum = 30)]
    pub days: Option<u32>,
}

impl StatsQuery {
    pub fn validate(self) -> Result<u32, ApiError> {
        let mut checker = Checker::default();
        let days = checker.check(in_range("days", self.days.unwrap_or(7), 1..=30));
        checker.finish("query", || days)
    }
}
