//! Spans' fields as JSON, written as they are recorded.
//!
//! The JSON formatter of `tracing-subscriber` keeps each span's fields as text
//! (`FormattedFields`), which it parses whenever it writes an event inside the span. Its own
//! field formatter (`JsonFields`) gathers the fields into a map of JSON values and then writes
//! the map out; a field recorded later made it parse the text and write it all again. The request
//! span is opened for every request, and at `info` most requests write no line at all, so that
//! work was thrown away: 5–6 % of a single-ticket read's CPU in a profile at 32 connections.
//! [`JsonSpanFields`] writes each field straight into the text (through `serde_json`, which
//! escapes it), and a field recorded later is added at the end of the object. A field recorded
//! twice is then written twice; the event formatter's parse keeps the last, the value `JsonFields`
//! kept.

use std::fmt;
use std::io;
use tracing::field::{Field, Visit};
use tracing_subscriber::field::RecordFields;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FormatFields, FormattedFields};

/// Formats a span's fields as one JSON object (`{}` without fields), as `JsonFields` does.
#[derive(Debug, Default, Clone, Copy)]
pub struct JsonSpanFields;

impl<'writer> FormatFields<'writer> for JsonSpanFields {
    fn format_fields<R: RecordFields>(
        &self,
        mut writer: Writer<'writer>,
        fields: R,
    ) -> fmt::Result {
        let mut object = Object::open(&mut writer)?;
        fields.record(&mut object);
        object.close()
    }

    fn add_fields(
        &self,
        current: &'writer mut FormattedFields<Self>,
        fields: &tracing::span::Record<'_>,
    ) -> fmt::Result {
        // What `format_fields` wrote: an object, reopened where it closed.
        if current.fields.pop() != Some('}') {
            return Err(fmt::Error);
        }
        let first = current.fields == "{";
        let mut object = Object {
            out: &mut current.fields,
            first,
            result: Ok(()),
        };
        fields.record(&mut object);
        object.close()
    }
}

/// An object being written: its fields, comma separated, then `}` by [`Object::close`].
struct Object<'a> {
    out: &'a mut dyn fmt::Write,
    first: bool,
    /// The first error; fields after it are not written.
    result: fmt::Result,
}

impl<'a> Object<'a> {
    fn open(out: &'a mut dyn fmt::Write) -> Result<Self, fmt::Error> {
        out.write_char('{')?;
        Ok(Self {
            out,
            first: true,
            result: Ok(()),
        })
    }

    fn close(self) -> fmt::Result {
        self.result?;
        self.out.write_char('}')
    }

    fn field(&mut self, field: &Field, value: &dyn erased::Value) {
        if self.result.is_ok() {
            self.result = self.write(field, value);
        }
    }

    fn write(&mut self, field: &Field, value: &dyn erased::Value) -> fmt::Result {
        if !std::mem::take(&mut self.first) {
            self.out.write_char(',')?;
        }
        let name = field.name();
        // `r#type` names the field `type`, as `JsonFields` writes it.
        let name = name.strip_prefix("r#").unwrap_or(name);
        Text::string(self.out, name)?;
        self.out.write_char(':')?;
        value.write_json(self.out)
    }
}

impl Visit for Object<'_> {
    fn record_f64(&mut self, field: &Field, value: f64) {
        // `serde_json` writes `null` for a value that is not finite, as `JsonFields` does.
        self.field(field, &value);
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.field(field, &value);
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.field(field, &value);
    }

    // 128-bit integers are written as their text (`record_debug`), as `JsonFields` writes them:
    // a JSON number that long is read back as a float.

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.field(field, &value);
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.field(field, &erased::Str(value));
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.field(field, &erased::Str(&format!("{value:?}")));
    }
}

/// A value `serde_json` writes, behind one vtable so that [`Object::field`] is not generic.
mod erased {
    use std::fmt;

    pub(super) trait Value {
        fn write_json(&self, out: &mut dyn fmt::Write) -> fmt::Result;
    }

    impl<T: serde::Serialize> Value for T {
        fn write_json(&self, out: &mut dyn fmt::Write) -> fmt::Result {
            super::json(out, self)
        }
    }

    /// A string, written by [`super::Text::string`].
    pub(super) struct Str<'a>(pub(super) &'a str);

    impl Value for Str<'_> {
        fn write_json(&self, out: &mut dyn fmt::Write) -> fmt::Result {
            super::Text::string(out, self.0)
        }
    }
}

/// Writes `value` as JSON text into `out`.
fn json<T: serde::Serialize + ?Sized>(out: &mut dyn fmt::Write, value: &T) -> fmt::Result {
    serde_json::to_writer(Text(out), value).map_err(|_| fmt::Error)
}

/// `serde_json` writes bytes; these are whole UTF-8 text each time (it cuts a string only before
/// the ASCII characters it escapes), handed on as text.
struct Text<'a>(&'a mut dyn fmt::Write);

impl Text<'_> {
    /// Writes `text` as a JSON string: as it is between quotes when nothing in it needs escaping
    /// (request ids, methods, route patterns), else escaped by `serde_json`.
    fn string(out: &mut dyn fmt::Write, text: &str) -> fmt::Result {
        if text.bytes().any(|b| b < 0x20 || b == b'"' || b == b'\\') {
            return json(out, text);
        }
        out.write_char('"')?;
        out.write_str(text)?;
        out.write_char('"')
    }
}

impl io::Write for Text<'_> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        let text = std::str::from_utf8(bytes)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
        self.0.write_str(text).map_err(io::Error::other)?;
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};
    use tracing_subscriber::fmt::format::JsonFields;
    use tracing_subscriber::prelude::*;

    /// The lines written while the test runs.
    #[derive(Clone, Default)]
    struct Lines(Arc<Mutex<Vec<u8>>>);

    impl io::Write for Lines {
        fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    /// The `span` object of the one line that `log` writes (an event inside a span), with span
    /// fields formatted by `fields`, as the server's JSON layer writes it.
    fn span_of<N>(fields: N, log: impl FnOnce()) -> serde_json::Value
    where
        N: for<'w> FormatFields<'w> + Send + Sync + 'static,
    {
        let lines = Lines::default();
        let writer = lines.clone();
        let layer = tracing_subscriber::fmt::layer()
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .fmt_fields(fields)
            .with_writer(move || writer.clone());
        tracing::subscriber::with_default(tracing_subscriber::registry().with(layer), log);
        let text = String::from_utf8(lines.0.lock().unwrap().clone()).unwrap();
        let line: serde_json::Value = serde_json::from_str(text.trim()).unwrap();
        line["span"].clone()
    }

    /// An event inside a span with every kind of field, one of them recorded after it opened.
    fn every_kind() {
        let span = tracing::info_span!(
            "request",
            text = "say \"hi\"\n\t\u{1}é→",
            count = -3_i64,
            big = u64::MAX,
            huge = i128::MIN,
            ratio = 0.25_f64,
            nan = f64::NAN,
            yes = true,
            r#type = "raw name",
            shown = ?Some("debug"),
            later = tracing::field::Empty,
        );
        span.record("later", 7_u64);
        span.in_scope(|| tracing::info!("inside"));
    }

    #[test]
    fn fields_are_the_json_the_default_formatter_writes() {
        let ours = span_of(JsonSpanFields, every_kind);
        assert_eq!(ours, span_of(JsonFields::new(), every_kind));
        assert_eq!(ours["text"], "say \"hi\"\n\t\u{1}é→");
        assert_eq!(ours["type"], "raw name");
        assert_eq!(ours["shown"], "Some(\"debug\")");
        assert_eq!(ours["later"], 7);
        assert_eq!(ours["nan"], serde_json::Value::Null);
    }

    #[test]
    fn a_field_recorded_again_keeps_its_last_value() {
        let span = span_of(JsonSpanFields, || {
            let empty = tracing::info_span!("empty", route = tracing::field::Empty);
            empty.record("route", "/first");
            empty.record("route", "/second");
            empty.in_scope(|| tracing::info!("inside"));
        });
        assert_eq!(span["route"], "/second");
        assert_eq!(span["name"], "empty");
    }
}
