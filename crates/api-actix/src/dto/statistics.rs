//! Statistics query strings.

use super::{Checker, in_range};
use crate::error::ApiError;
use kanban_domain::TicketId;
use kanban_domain::services::MAX_REALTIME_IDS;
use serde::Deserialize;
use utoipa::IntoParams;

/// The window of `performance`, in days.
pub const PERFORMANCE_DAYS: std::ops::RangeInclusive<u32> = 1..=365;

/// `?days=30` of a board's performance.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PerformanceQuery {
    /// The window in days, 1–365, 30 by default.
    #[param(minimum = 1, maximum = 365)]
    pub days: Option<u32>,
}

impl PerformanceQuery {
    pub fn validate(self) -> Result<u32, ApiError> {
        let mut checker = Checker::default();
        let days = checker.check(in_range("days", self.days.unwrap_or(30), PERFORMANCE_DAYS));
        checker.finish("query", || days)
    }
}

/// `?column=` of a board's ticket colours; empty means every column.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ColorsQuery {
    /// Only the tickets of this column of the board (any letter case); absent or empty: every
    /// column. A name the board does not have is 422.
    pub column: Option<String>,
}

impl ColorsQuery {
    pub fn column(self) -> Option<String> {
        self.column.filter(|c| !c.trim().is_empty())
    }
}

/// The query of `…/tickets/colors/realtime`, for the document only: the handler reads the query
/// string with [`realtime_ids`], which also takes comma-separated ids.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RealtimeQuery {
    /// See [`realtime_ids_schema`] (a parameter with its own schema takes its description from
    /// there).
    #[param(schema_with = realtime_ids_schema)]
    pub ticket_ids: Option<Vec<i64>>,
}

/// Up to [`MAX_REALTIME_IDS`] ticket ids.
fn realtime_ids_schema() -> utoipa::openapi::schema::Array {
    super::id_list(0, MAX_REALTIME_IDS, false)
        .description(Some(
            "The tickets, repeated (`ticket_ids=1&ticket_ids=2`) or comma-separated \
             (`ticket_ids=1,2`), at most 50 (400 beyond); none gives an empty list. Ids of \
             tickets not on the board are left out of the answer.",
        ))
        .build()
}

/// The `ticket_ids` of `…/tickets/colors/realtime`: repeated (`ticket_ids=1&ticket_ids=2`) or
/// comma-separated (`ticket_ids=1,2`), at most [`MAX_REALTIME_IDS`].
///
/// # Errors
/// 422 (`query.ticket_ids`) for an id that is not a positive integer; 400 for more than
/// [`MAX_REALTIME_IDS`] ids.
pub fn realtime_ids(query: &str) -> Result<Vec<TicketId>, ApiError> {
    let mut checker = Checker::default();
    let mut ids = Vec::new();
    let values = form_urlencoded::parse(query.as_bytes())
        .filter(|(key, _)| key == "ticket_ids")
        .map(|(_, value)| value.into_owned())
        .collect::<Vec<_>>();
    for raw in values.iter().flat_map(|v| v.split(',')).map(str::trim) {
        if raw.is_empty() {
            continue;
        }
        match raw.parse::<i64>() {
            Ok(id) if id > 0 => ids.push(TicketId::new(id)),
            _ => {
                checker.reject(
                    "ticket_ids",
                    "type_error",
                    &format!("'{raw}' is not a ticket id (a positive integer)"),
                );
                break;
            }
        }
    }
    let ids = checker.finish("query", || Some(ids))?;
    if ids.len() > MAX_REALTIME_IDS {
        return Err(ApiError::bad_request(format!(
            "At most {MAX_REALTIME_IDS} ticket_ids per request ({} given)",
            ids.len()
        )));
    }
    Ok(ids)
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::StatusCode;

    fn ids(query: &str) -> Vec<i64> {
        realtime_ids(query)
            .unwrap()
            .into_iter()
            .map(TicketId::get)
            .collect()
    }

    #[test]
    fn repeated_or_comma_separated_ids() {
        assert_eq!(ids("ticket_ids=1&ticket_ids=2"), [1, 2]);
        assert_eq!(ids("ticket_ids=3,4&other=x&ticket_ids=%205"), [3, 4, 5]);
        assert!(ids("").is_empty());
        assert!(ids("ticket_ids=").is_empty());
    }

    #[test]
    fn bad_ids_are_422_and_too_many_400() {
        for query in [
            "ticket_ids=abc",
            "ticket_ids=1&ticket_ids=0",
            "ticket_ids=-3",
        ] {
            let error = realtime_ids(query).unwrap_err();
            assert_eq!(error.status(), StatusCode::UNPROCESSABLE_ENTITY, "{query}");
            assert_eq!(error.validation_errors()[0].field, "query.ticket_ids");
        }
        let fifty: Vec<String> = (1..=50).map(|i| format!("ticket_ids={i}")).collect();
        assert_eq!(ids(&fifty.join("&")).len(), 50);
        let fifty_one = format!("{}&ticket_ids=51", fifty.join("&"));
        assert_eq!(
            realtime_ids(&fifty_one).unwrap_err().status(),
            StatusCode::BAD_REQUEST
        );
    }

    #[test]
    fn days_from_one_to_a_year() {
        let days = |days| PerformanceQuery { days }.validate();
        assert_eq!(days(None).unwrap(), 30);
        assert_eq!(days(Some(1)).unwrap(), 1);
        assert_eq!(days(Some(365)).unwrap(), 365);
        assert_eq!(
            days(Some(0)).unwrap_err().validation_errors()[0].field,
            "query.days"
        );
        assert!(days(Some(366)).is_err());
    }
}
