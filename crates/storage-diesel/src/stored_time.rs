//! Reading and writing stored instants without chrono's format interpreter.
//!
//! Diesel reads a SQLite `Timestamp` by trying up to 18 `strftime` patterns with
//! `NaiveDateTime::parse_from_str`, each interpreted character by character: with three
//! instants per ticket, that was about 12 % of the server's CPU when serving list pages. Every
//! instant this store writes has the form Diesel's `ToSql` gives it, `YYYY-MM-DD HH:MM:SS`
//! followed, when the instant has a fraction of a second, by `.` and its digits; [`StoredTime`]
//! reads that form directly and hands anything else (written by hand, by an older tool) to
//! Diesel's own conversion, so every form Diesel reads is still read.
//!
//! Row types keep `NaiveDateTime` fields and read them through this type with
//! `#[diesel(deserialize_as = StoredTime)]`.
//!
//! Writing is the same story: Diesel writes a `NaiveDateTime` with `format("%F %T%.f")`, which
//! interprets the pattern for every value (3.7 % of the writer thread's time in moves, with three
//! instants per ticket, one per history row and one per event). [`StoredTime`]'s `ToSql` writes
//! the very same text directly, so rows written before and after compare and sort alike; the
//! rows a write binds hold `StoredTime` (what `rows::to_db` gives).

use chrono::{Datelike, NaiveDate, NaiveDateTime, Timelike};
use diesel::deserialize::{self, FromSql, FromSqlRow};
use diesel::expression::AsExpression;
use diesel::serialize::{self, IsNull, Output, ToSql};
use diesel::sql_types::Timestamp;
use diesel::sqlite::{Sqlite, SqliteType, SqliteValue};

/// A stored instant, read by the fast path when it has the form this store writes, and written
/// in that form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, FromSqlRow, AsExpression)]
#[diesel(sql_type = Timestamp)]
pub(crate) struct StoredTime(NaiveDateTime);

impl From<StoredTime> for NaiveDateTime {
    fn from(at: StoredTime) -> Self {
        at.0
    }
}

impl From<NaiveDateTime> for StoredTime {
    fn from(at: NaiveDateTime) -> Self {
        Self(at)
    }
}

impl ToSql<Timestamp, Sqlite> for StoredTime {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Sqlite>) -> serialize::Result {
        out.set_value(write(self.0));
        Ok(IsNull::No)
    }
}

/// `at` as chrono's `format("%F %T%.f")` writes it (Diesel's form): `YYYY-MM-DD HH:MM:SS`, then
/// the fraction of a second, if any, in 3, 6 or 9 digits, the fewest that hold it. Years outside
/// 0 to 9999 (which chrono writes with a sign) are left to chrono.
fn write(at: NaiveDateTime) -> String {
    let Some(year) = u32::try_from(at.year()).ok().filter(|year| *year <= 9999) else {
        return at.format("%F %T%.f").to_string();
    };
    // A leap second is kept as a fraction of a second of 1 or more: chrono writes it as :60.
    let (second, nanos) = match at.nanosecond() {
        n if n >= 1_000_000_000 => (60, n - 1_000_000_000),
        n => (at.second(), n),
    };
    let mut text = String::with_capacity(29);
    for (value, width, then) in [
        (year, 4, Some('-')),
        (at.month(), 2, Some('-')),
        (at.day(), 2, Some(' ')),
        (at.hour(), 2, Some(':')),
        (at.minute(), 2, Some(':')),
        (second, 2, None),
    ] {
        push_digits(&mut text, value, width);
        text.extend(then);
    }
    if nanos != 0 {
        let (fraction, width) = match nanos {
            n if n % 1_000_000 == 0 => (n / 1_000_000, 3),
            n if n % 1_000 == 0 => (n / 1_000, 6),
            n => (n, 9),
        };
        text.push('.');
        push_digits(&mut text, fraction, width);
    }
    text
}

/// `value`'s last `width` decimal digits, zero-padded.
fn push_digits(text: &mut String, value: u32, width: u32) {
    for place in (0..width).rev() {
        text.push(char::from_digit(value / 10u32.pow(place) % 10, 10).unwrap_or('0'));
    }
}

impl FromSql<Timestamp, Sqlite> for StoredTime {
    fn from_sql(mut value: SqliteValue<'_, '_, '_>) -> deserialize::Result<Self> {
        // Only text is looked at: reading a number as text would convert the value in place.
        if value.value_type() == Some(SqliteType::Text)
            && let Some(at) = parse(value.read_text())
        {
            return Ok(Self(at));
        }
        <NaiveDateTime as FromSql<Timestamp, Sqlite>>::from_sql(value).map(Self)
    }
}

/// `YYYY-MM-DD HH:MM:SS` with an optional `.` and 1 to 9 digits of fraction; `None` for any
/// other text, and for dates or times that do not exist.
fn parse(text: &str) -> Option<NaiveDateTime> {
    let bytes = text.as_bytes();
    let (head, fraction) = match bytes.split_at_checked(19)? {
        (head, []) => (head, &[][..]),
        (head, [b'.', digits @ ..]) if (1..=9).contains(&digits.len()) => (head, digits),
        _ => return None,
    };
    let separators = [(4, b'-'), (7, b'-'), (10, b' '), (13, b':'), (16, b':')];
    if separators.iter().any(|&(at, byte)| head[at] != byte) {
        return None;
    }
    let year = digits(&head[0..4])?;
    let month = digits(&head[5..7])?;
    let day = digits(&head[8..10])?;
    let hour = digits(&head[11..13])?;
    let minute = digits(&head[14..16])?;
    let second = digits(&head[17..19])?;
    let mut nanos = digits(fraction)?;
    for _ in fraction.len()..9 {
        nanos *= 10;
    }
    NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, month, day)?
        .and_hms_nano_opt(hour, minute, second, nanos)
}

/// The value of a run of ASCII digits (0 for none); `None` when any byte is not a digit.
fn digits(bytes: &[u8]) -> Option<u32> {
    bytes.iter().try_fold(0u32, |value, &byte| {
        byte.is_ascii_digit()
            .then(|| value * 10 + u32::from(byte - b'0'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use diesel::connection::SimpleConnection;
    use diesel::prelude::*;

    fn chrono_reads(text: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(text, "%F %T%.f").unwrap()
    }

    #[test]
    fn the_written_form_is_read_as_chrono_reads_it() {
        for text in [
            "2026-11-22 19:51:26",
            "2026-11-22 19:51:26.7",
            "2026-11-22 19:51:26.784",
            "2026-11-22 19:51:26.784123",
            "2026-11-22 19:51:26.784123456",
            "2024-02-29 00:00:00.001",
            "0001-01-01 00:00:00",
            "9999-12-31 23:59:59.999",
        ] {
            assert_eq!(parse(text), Some(chrono_reads(text)), "{text}");
        }
    }

    #[test]
    fn other_forms_and_impossible_instants_are_left_to_diesel() {
        for text in [
            "2026-11-22T19:51:26.784",
            "2026-11-22 19:51:26Z",
            "2026-11-22 19:51:26.784+00:00",
            "2026-11-22 19:51",
            "2026-11-22 19:51:26.",
            "2026-11-22 19:51:26.1234567890",
            "2026-13-01 00:00:00",
            "2025-02-29 00:00:00",
            "2026-11-22 24:00:00",
            "2026-1x-22 19:51:26",
            "2026/11/22 19:51:26",
            "",
        ] {
            assert_eq!(parse(text), None, "{text}");
        }
    }

    #[test]
    fn instants_are_written_as_chrono_writes_them() {
        let day = NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
        let mut instants = vec![
            NaiveDate::from_ymd_opt(1, 1, 1)
                .unwrap()
                .and_hms_opt(0, 0, 0)
                .unwrap(),
            NaiveDate::from_ymd_opt(9999, 12, 31)
                .unwrap()
                .and_hms_nano_opt(23, 59, 59, 999_999_999)
                .unwrap(),
            // Written by chrono: a sign, more than four digits.
            NaiveDate::from_ymd_opt(10_000, 1, 1)
                .unwrap()
                .and_hms_opt(0, 0, 0)
                .unwrap(),
            NaiveDate::from_ymd_opt(-1, 1, 1)
                .unwrap()
                .and_hms_opt(0, 0, 0)
                .unwrap(),
            // A leap second.
            day.and_hms_nano_opt(23, 59, 59, 1_500_000_000).unwrap(),
            day.and_hms_nano_opt(23, 59, 59, 1_000_000_000).unwrap(),
        ];
        for nanos in [
            0,
            1,
            7,
            100,
            1_000,
            784_000,
            784_123,
            1_000_000,
            784_000_000,
            784_123_000,
            784_123_456,
            999_999_999,
        ] {
            instants.push(day.and_hms_nano_opt(19, 5, 6, nanos).unwrap());
        }
        for at in instants {
            assert_eq!(write(at), at.format("%F %T%.f").to_string(), "{at:?}");
        }
    }

    #[test]
    fn written_instants_are_stored_as_diesel_stores_them() {
        let mut conn = SqliteConnection::establish(":memory:").unwrap();
        conn.set_instrumentation(|_: diesel::connection::InstrumentationEvent<'_>| {});
        let at = NaiveDate::from_ymd_opt(2026, 11, 22)
            .unwrap()
            .and_hms_micro_opt(19, 51, 26, 784_123)
            .unwrap();
        let (ours, diesels): (String, String) = diesel::select((
            diesel::dsl::sql::<diesel::sql_types::Text>("CAST(")
                .bind::<Timestamp, _>(StoredTime(at))
                .sql(" AS TEXT)"),
            diesel::dsl::sql::<diesel::sql_types::Text>("CAST(")
                .bind::<Timestamp, _>(at)
                .sql(" AS TEXT)"),
        ))
        .get_result(&mut conn)
        .unwrap();
        assert_eq!(ours, diesels);
        assert_eq!(ours, "2026-11-22 19:51:26.784123");
    }

    #[derive(Debug, QueryableByName)]
    struct Read {
        #[diesel(sql_type = Timestamp, deserialize_as = StoredTime)]
        fast: NaiveDateTime,
        #[diesel(sql_type = Timestamp)]
        diesel: NaiveDateTime,
    }

    #[test]
    fn every_stored_form_is_read_as_diesel_reads_it() {
        let mut conn = SqliteConnection::establish(":memory:").unwrap();
        // Not audited by `query_plans`, which captures the statements of new connections.
        conn.set_instrumentation(|_: diesel::connection::InstrumentationEvent<'_>| {});
        conn.batch_execute(
            "CREATE TABLE t (at TIMESTAMP);
             INSERT INTO t VALUES
               ('2026-11-22 19:51:26.784'),
               ('2026-11-22 19:51:26'),
               ('2026-11-22T19:51:26.784Z'),
               ('2026-11-22 20:51:26.784+01:00'),
               ('2026-11-22 19:51'),
               (2461002.5);",
        )
        .unwrap();
        let rows: Vec<Read> = diesel::sql_query("SELECT at AS fast, at AS diesel FROM t")
            .load(&mut conn)
            .unwrap();
        assert_eq!(rows.len(), 6);
        for row in rows {
            assert_eq!(row.fast, row.diesel);
        }
    }
}
