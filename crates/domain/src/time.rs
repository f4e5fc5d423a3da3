//! Time: the `Clock` port and the wire format of timestamps.

use chrono::{DateTime, SubsecRound, Utc};

/// An instant in UTC, at millisecond precision (what storage keeps and clients see).
pub type Timestamp = DateTime<Utc>;

/// Where "now" comes from, so tests can fix it.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait Clock: Send + Sync {
    /// The current instant, truncated to milliseconds.
    fn now(&self) -> Timestamp;
}

/// The real clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Utc::now().trunc_subsecs(3)
    }
}

/// A clock that always answers the same instant, or one moved explicitly.
#[derive(Debug)]
pub struct FixedClock(std::sync::Mutex<Timestamp>);

impl FixedClock {
    pub fn new(at: Timestamp) -> Self {
        Self(std::sync::Mutex::new(at.trunc_subsecs(3)))
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: chrono::Duration) {
        let mut now = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *now += by;
    }
}

impl Clock for FixedClock {
    fn now(&self) -> Timestamp {
        *self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Formats an instant as RFC 3339 UTC with milliseconds and a `Z` suffix
/// (`2026-11-22T19:51:26.784Z`).
pub fn format_timestamp(at: &Timestamp) -> String {
    with_wire_form(at, str::to_owned)
}

/// Calls `f` with the wire form of `at` (see [`format_timestamp`]), written on the stack.
///
/// Digits are written directly rather than through `format!` or chrono's `strftime`
/// interpreter, which, with three instants per ticket, were 15 % of the server's CPU when
/// serving list pages. Years outside 0000–9999 take the general path.
pub fn with_wire_form<R>(at: &Timestamp, f: impl FnOnce(&str) -> R) -> R {
    use chrono::{Datelike, Timelike};
    let mut out = *b"0000-00-00T00:00:00.000Z";
    let Ok(year) = u32::try_from(at.year()) else {
        return f(&general_form(at));
    };
    if year > 9999 {
        return f(&general_form(at));
    }
    put_digits(&mut out[0..4], year);
    put_digits(&mut out[5..7], at.month());
    put_digits(&mut out[8..10], at.day());
    put_digits(&mut out[11..13], at.hour());
    put_digits(&mut out[14..16], at.minute());
    put_digits(&mut out[17..19], at.second());
    put_digits(&mut out[20..23], at.timestamp_subsec_millis().min(999));
    match std::str::from_utf8(&out) {
        Ok(text) => f(text),
        Err(_) => f(&general_form(at)),
    }
}

/// `value`'s last `slot.len()` decimal digits, zero-padded, into `slot`.
fn put_digits(slot: &mut [u8], mut value: u32) {
    for byte in slot.iter_mut().rev() {
        *byte = b'0' + u8::try_from(value % 10).unwrap_or_default();
        value /= 10;
    }
}

/// The wire form through `format!`, for any year.
fn general_form(at: &Timestamp) -> String {
    use chrono::{Datelike, Timelike};
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        at.year(),
        at.month(),
        at.day(),
        at.hour(),
        at.minute(),
        at.second(),
        at.timestamp_subsec_millis().min(999),
    )
}

/// Seconds from `from` to `to` as a float (negative when `to` is earlier).
#[expect(
    clippy::cast_precision_loss,
    reason = "durations in ms fit an f64 mantissa"
)]
pub fn seconds_between(from: &Timestamp, to: &Timestamp) -> f64 {
    (*to - *from).num_milliseconds() as f64 / 1000.0
}

/// Serde helpers for [`Timestamp`] fields in the contract's format.
pub mod serde_timestamp {
    use super::{Timestamp, with_wire_form};
    use serde::Serializer;

    pub fn serialize<S: Serializer>(at: &Timestamp, serializer: S) -> Result<S::Ok, S::Error> {
        with_wire_form(at, |text| serializer.serialize_str(text))
    }

    /// For `Option<Timestamp>` fields.
    pub mod option {
        use super::{Timestamp, with_wire_form};
        use serde::Serializer;

        pub fn serialize<S: Serializer>(
            at: &Option<Timestamp>,
            serializer: S,
        ) -> Result<S::Ok, S::Error> {
            match at {
                Some(at) => with_wire_form(at, |text| serializer.serialize_str(text)),
                None => serializer.serialize_none(),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn timestamps_are_rfc3339_utc_with_millis_and_z() {
        let at = Utc.with_ymd_and_hms(2026, 11, 22, 19, 51, 26).unwrap()
            + chrono::Duration::milliseconds(784);
        assert_eq!(format_timestamp(&at), "2026-11-22T19:51:26.784Z");
    }

    #[test]
    fn hand_formatting_matches_chrono() {
        let start = Utc.with_ymd_and_hms(1999, 1, 2, 3, 4, 5).unwrap();
        for step in 0..2000_i64 {
            let at = start + chrono::Duration::milliseconds(step * 987_654_321 + step);
            assert_eq!(
                format_timestamp(&at),
                at.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
            );
        }
    }

    #[test]
    fn years_beyond_four_digits_take_the_general_form() {
        let far = Utc.with_ymd_and_hms(12026, 1, 2, 3, 4, 5).unwrap();
        assert_eq!(format_timestamp(&far), "12026-01-02T03:04:05.000Z");
        let early = Utc.with_ymd_and_hms(-5, 1, 2, 3, 4, 5).unwrap();
        assert_eq!(format_timestamp(&early), "-005-01-02T03:04:05.000Z");
        let first = Utc.with_ymd_and_hms(0, 1, 1, 0, 0, 0).unwrap();
        assert_eq!(format_timestamp(&first), "0000-01-01T00:00:00.000Z");
    }

    #[test]
    fn system_clock_has_millisecond_precision() {
        let now = SystemClock.now();
        assert_eq!(now.timestamp_subsec_nanos() % 1_000_000, 0);
    }

    #[test]
    fn fixed_clock_advances() {
        let start = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let clock = FixedClock::new(start);
        clock.advance(chrono::Duration::seconds(90));
        assert_eq!(seconds_between(&start, &clock.now()), 90.0);
    }
}
