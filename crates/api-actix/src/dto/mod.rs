//! Request bodies and query strings, and their conversion into validated domain inputs. Each DTO
//! converts in one place and reports every invalid field at once.

pub mod auth;
pub mod boards;
pub mod bulk;
pub mod comments;
pub mod history;
pub mod live;
pub mod statistics;
pub mod tickets;

use crate::error::ApiError;
use kanban_domain::FieldError;
use kanban_domain::values::Priority;
use serde::{Deserialize, Deserializer};

/// Distinguishes a field that is absent (`None`) from one sent as `null` (`Some(None)`).
pub(crate) fn nullable<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// An id in a JSON body: an integer, or a number without a fractional part (`7.0`), which JSON
/// (and JSON Schema) count as the same integer. Strings and fractions are a `type_error`.
pub(crate) fn integer<'de, D: Deserializer<'de>>(deserializer: D) -> Result<i64, D::Error> {
    struct Integer;

    impl serde::de::Visitor<'_> for Integer {
        type Value = i64;

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("an integer")
        }

        fn visit_i64<E: serde::de::Error>(self, value: i64) -> Result<i64, E> {
            Ok(value)
        }

        fn visit_u64<E: serde::de::Error>(self, value: u64) -> Result<i64, E> {
            i64::try_from(value).map_err(|_| {
                E::invalid_value(serde::de::Unexpected::Unsigned(value), &"a 64-bit integer")
            })
        }

        #[expect(
            clippy::cast_possible_truncation,
            reason = "whole numbers within the i64 range convert exactly"
        )]
        fn visit_f64<E: serde::de::Error>(self, value: f64) -> Result<i64, E> {
            // 2^63 is the first f64 above i64::MAX.
            if value.fract() == 0.0 && value >= -(2f64.powi(63)) && value < 2f64.powi(63) {
                Ok(value as i64)
            } else {
                Err(E::invalid_type(serde::de::Unexpected::Float(value), &self))
            }
        }
    }

    deserializer.deserialize_any(Integer)
}

/// The schema of a list of ids (positive 64-bit integers), from `min` to `max` of them.
pub(crate) fn id_list(
    min: usize,
    max: usize,
    unique: bool,
) -> utoipa::openapi::schema::ArrayBuilder {
    use utoipa::openapi::schema::{ArrayBuilder, KnownFormat, ObjectBuilder, SchemaFormat, Type};
    ArrayBuilder::new()
        .items(
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
                .minimum(Some(1))
                .maximum(Some(i64::MAX)),
        )
        .min_items(Some(min))
        .max_items(Some(max))
        .unique_items(unique)
}

/// A list of ids in a JSON body, each read as [`integer`] reads one.
pub(crate) fn integers<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<i64>, D::Error> {
    #[derive(Deserialize)]
    struct Id(#[serde(deserialize_with = "integer")] i64);

    Vec::<Id>::deserialize(deserializer).map(|ids| ids.into_iter().map(|Id(id)| id).collect())
}

/// A priority as clients send it: a JSON number or a numeric string.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged, expecting = "a number or a numeric string")]
pub enum PriorityInput {
    Number(f64),
    Text(String),
}

/// A number from 0 to 1000, or such a number as a string (`"2"`, `"2.5"`).
impl utoipa::PartialSchema for PriorityInput {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Type};
        OneOfBuilder::new()
            .item(
                ObjectBuilder::new()
                    .schema_type(Type::Number)
                    .minimum(Some(Priority::MIN))
                    .maximum(Some(Priority::MAX)),
            )
            .item(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    // Whole numbers up to 1000 with optional decimals, as `str::parse` reads them.
                    .pattern(Some(
                        r"^[\t\n\x0B\x0C\r ]*(?:0*[0-9]{1,3}(?:\.[0-9]*)?|\.[0-9]+|0*1000(?:\.0*)?)[\t\n\x0B\x0C\r ]*$",
                    )),
            )
            .description(Some(
                "A number from 0 to 1000, or the same as a numeric string; lower sorts first",
            ))
            .examples([serde_json::json!(2.5), serde_json::json!("1")])
            .into()
    }
}

impl utoipa::ToSchema for PriorityInput {}

/// An assignee as sent: a name of 1–100 characters after trimming, or empty (nobody).
#[derive(Debug)]
pub struct OptionalName;

impl utoipa::PartialSchema for OptionalName {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .pattern(Some(kanban_domain::values::openapi::OPTIONAL_NAME_100))
            .description(Some(
                "A name of 1–100 characters after trimming, on one line; empty means nobody",
            ))
            .into()
    }
}

impl utoipa::ToSchema for OptionalName {}

impl PriorityInput {
    pub fn validate(&self, field: &str) -> Result<Priority, FieldError> {
        match self {
            Self::Number(value) => Priority::new(field, *value),
            Self::Text(text) => Priority::parse(field, text),
        }
    }
}

/// Collects field errors while converting a DTO.
#[derive(Debug, Default)]
pub(crate) struct Checker {
    errors: Vec<FieldError>,
}

impl Checker {
    /// Keeps the value, or records the error and returns `None`.
    pub(crate) fn check<T>(&mut self, result: Result<T, FieldError>) -> Option<T> {
        result.map_err(|e| self.errors.push(e)).ok()
    }

    /// Like [`Checker::check`] for checks that report several fields.
    pub(crate) fn check_all<T>(&mut self, result: Result<T, Vec<FieldError>>) -> Option<T> {
        result.map_err(|e| self.errors.extend(e)).ok()
    }

    pub(crate) fn reject(&mut self, field: &str, kind: &'static str, message: &str) {
        self.errors.push(FieldError::new(field, kind, message));
    }

    /// `Ok(value)` when nothing was recorded, else a 422 with every field under `location`.
    pub(crate) fn finish<T>(
        self,
        location: &str,
        value: impl FnOnce() -> Option<T>,
    ) -> Result<T, ApiError> {
        if self.errors.is_empty()
            && let Some(value) = value()
        {
            return Ok(value);
        }
        Err(ApiError::validation(location, self.errors))
    }
}

/// Checks `value` is within `range`, naming `field` otherwise.
pub(crate) fn in_range(
    field: &str,
    value: u32,
    range: std::ops::RangeInclusive<u32>,
) -> Result<u32, FieldError> {
    if range.contains(&value) {
        Ok(value)
    } else {
        Err(FieldError::new(
            field,
            "out_of_range",
            format!("must be between {} and {}", range.start(), range.end()),
        ))
    }
}
