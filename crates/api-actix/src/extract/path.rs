//! Path parameters: an id that is not an integer is a 422 naming `path.<name>`.

use crate::error::ApiError;
use actix_web::HttpRequest;
use actix_web::error::PathError;
use actix_web::web::PathConfig;
use kanban_domain::FieldError;
use serde::{Deserialize, Deserializer};

/// The `PathConfig` every route uses.
pub fn path_config() -> PathConfig {
    PathConfig::default().error_handler(|_error: PathError, req: &HttpRequest| {
        let field = req
            .match_info()
            .iter()
            .find(|(_, value)| whole_number(value).is_none())
            .map_or_else(|| "id".to_owned(), |(name, _)| name.to_owned());
        ApiError::validation(
            "path",
            vec![FieldError::new(
                field,
                "type_error",
                "must be an integer id",
            )],
        )
        .into()
    })
}

/// An id in the path (`web::Path<PathId>`): an integer, or a whole number written as a decimal
/// (`7.0`, `7e0`), which the OpenAPI document's `type: integer` also allows, as ids in bodies do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PathId(i64);

impl PathId {
    pub const fn get(self) -> i64 {
        self.0
    }
}

impl<'de> Deserialize<'de> for PathId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        whole_number(&text)
            .map(Self)
            .ok_or_else(|| serde::de::Error::custom("must be an integer id"))
    }
}

/// The 64-bit integer `text` writes, exactly: digits (`7`, `+7`, `-7`), or a decimal number
/// without a fractional part (`7.0`, `7.`, `70e-1`, `1e+16`). `None` for anything else, a
/// fraction, or a number beyond 64 bits.
fn whole_number(text: &str) -> Option<i64> {
    if let Ok(n) = text.parse::<i64>() {
        return Some(n);
    }
    let (sign, unsigned) = match text.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", text.strip_prefix('+').unwrap_or(text)),
    };
    let (mantissa, exponent) = match unsigned.split_once(['e', 'E']) {
        Some((mantissa, exponent)) => (mantissa, exponent.parse::<i32>().ok()?),
        None => (unsigned, 0),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = format!("{whole}{fraction}");
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // Where the decimal point falls in `digits` once the exponent is applied.
    let point = i64::try_from(whole.len()).ok()? + i64::from(exponent);
    let split = usize::try_from(point.clamp(0, i64::try_from(digits.len()).ok()?)).ok()?;
    let (integer, after_point) = digits.split_at(split);
    if after_point.bytes().any(|b| b != b'0') {
        return None;
    }
    let integer = integer.trim_start_matches('0');
    if integer.is_empty() {
        return Some(0);
    }
    let zeros = usize::try_from(point).ok()?.saturating_sub(digits.len());
    if integer.len() + zeros > 19 {
        return None;
    }
    format!("{sign}{integer}{}", "0".repeat(zeros)).parse().ok()
}

#[cfg(test)]
mod tests {
    use super::whole_number;

    #[test]
    fn integers_and_whole_decimals_are_ids() {
        for (text, id) in [
            ("7", 7),
            ("+7", 7),
            ("-7", -7),
            ("7.0", 7),
            ("7.", 7),
            ("007.000", 7),
            ("70e-1", 7),
            ("1e+16", 10_000_000_000_000_000),
            ("1.5E1", 15),
            ("0.0", 0),
            ("9223372036854775807", i64::MAX),
            ("9223372036854775807.0", i64::MAX),
            ("-9223372036854775808.0", i64::MIN),
            ("9007199254740993.0", 9_007_199_254_740_993),
        ] {
            assert_eq!(whole_number(text), Some(id), "{text}");
        }
    }

    #[test]
    fn fractions_words_and_overflow_are_not() {
        for text in [
            "",
            "abc",
            "7.5",
            "0.1",
            "7e-1",
            ".",
            "e1",
            "1e",
            "7.0x",
            "inf",
            "NaN",
            "1_000",
            "9223372036854775808",
            "9223372036854775808.0",
            "1e19",
            "1e2147483647",
            " 7",
        ] {
            assert_eq!(whole_number(text), None, "{text:?}");
        }
    }
}
