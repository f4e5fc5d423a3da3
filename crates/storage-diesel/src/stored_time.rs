//! Reading stored instants without chrono's format interpreter.
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

use chrono::{NaiveDate, NaiveDateTime};
use diesel::deserialize::{self, FromSql, FromSqlRow};
use diesel::sql_types::Timestamp;
use diesel::sqlite::{Sqlite, SqliteType, SqliteValue};

/// A stored instant, read by the fast path when it has the form this store writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, FromSqlRow)]
pub(crate) struct StoredTime(NaiveDateTime);

impl From<StoredTime> for NaiveDateTime {
    fn from(at: StoredTime) -> Self {
        at.0
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
