//! Tracing, initialised once: JSON lines (journald, log shippers) or pretty text on stdout,
//! filtered by `RUST_LOG` when set, else by the configured level; with `log.file`, the same
//! lines also go to that file through a non-blocking writer, rotated daily and kept
//! `log.keep_days` days (0: one file that is never rotated, for logrotate to handle).

mod span_fields;

use crate::settings::{LogFormat, LogSection};
use span_fields::JsonSpanFields;
use std::sync::{Mutex, PoisonError};
use tracing::Level;
use tracing_appender::non_blocking::WorkerGuard;
use tracing_appender::rolling::{RollingFileAppender, Rotation};
use tracing_subscriber::filter::{FilterExt, Targets};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::Filter;
use tracing_subscriber::prelude::*;
use tracing_subscriber::{EnvFilter, Layer, Registry};

/// The file writer's flushing guard, dropped by [`flush`] before the process exits.
static FILE_GUARD: Mutex<Option<WorkerGuard>> = Mutex::new(None);

type BoxedLayer = Box<dyn Layer<Registry> + Send + Sync>;

/// Which lines are written: a `RUST_LOG`-style spec. Built once, at start-up, and boxed at once.
#[derive(Debug)]
#[expect(clippy::large_enum_variant, reason = "built once and boxed at once")]
enum LogFilter {
    /// Targets and levels only (`info`, `warn,kanban_api_actix::middleware=debug`): decided by
    /// each line's target and level alone. `EnvFilter` takes a lock on every span entered, left,
    /// opened and closed, for the span directives it might have: four to six times a request,
    /// on a lock both workers share (about 2 % of a single ticket's CPU at `info`).
    Targets(Targets),
    /// A spec with span or field directives (`[request{method=POST}]=debug`).
    Env(EnvFilter),
}

impl LogFilter {
    fn parse(spec: &str) -> Option<Self> {
        // Span directives are written in brackets; `Targets` would take `[request]` for a
        // target's name.
        let targets = (!spec.contains('['))
            .then(|| spec.parse::<Targets>().ok())
            .flatten();
        match targets {
            Some(targets) => Some(Self::Targets(targets)),
            None => EnvFilter::try_new(spec).ok().map(Self::Env),
        }
    }

    fn boxed(self) -> Box<dyn Filter<Registry> + Send + Sync> {
        match self {
            Self::Targets(targets) => FilterExt::<Registry>::boxed(targets),
            Self::Env(env) => FilterExt::<Registry>::boxed(env),
        }
    }
}

fn layer<W>(format: LogFormat, writer: W, ansi: bool, filter: LogFilter) -> BoxedLayer
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let base = tracing_subscriber::fmt::layer()
        .with_target(false)
        .with_ansi(ansi)
        .with_writer(writer);
    let filter = filter.boxed();
    match format {
        LogFormat::Json => base
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .fmt_fields(JsonSpanFields)
            .with_filter(filter)
            .boxed(),
        LogFormat::Pretty => base.compact().with_filter(filter).boxed(),
    }
}

fn file_appender(log: &LogSection) -> Option<RollingFileAppender> {
    let file = log.file.as_ref()?;
    let directory = file
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .map_or_else(
            || std::path::PathBuf::from("."),
            std::path::Path::to_path_buf,
        );
    let prefix = file.file_name()?.to_string_lossy().into_owned();
    let builder = RollingFileAppender::builder().filename_prefix(prefix);
    let builder = if log.keep_days == 0 {
        builder.rotation(Rotation::NEVER)
    } else {
        builder
            .rotation(Rotation::DAILY)
            .max_log_files(log.keep_days)
    };
    match builder.build(&directory) {
        Ok(appender) => Some(appender),
        Err(error) => {
            eprintln!(
                "agent-kanban: cannot log to {}: {error}; logging to stdout only",
                file.display()
            );
            None
        }
    }
}

/// Installs the global subscriber. Safe to call once per process.
pub fn init(log: &LogSection, rust_log: Option<&str>) {
    let filter = || {
        rust_log
            .and_then(LogFilter::parse)
            .or_else(|| LogFilter::parse(&log.level))
            .unwrap_or_else(|| LogFilter::Targets(Targets::new().with_default(Level::INFO)))
    };
    let mut layers = vec![layer(log.format, std::io::stdout, true, filter())];
    let mut guard = None;
    if let Some(appender) = file_appender(log) {
        let (writer, flushing) = tracing_appender::non_blocking(appender);
        layers.push(layer(log.format, writer, false, filter()));
        guard = Some(flushing);
    }
    // `try_init` fails only if a subscriber is already installed, which is harmless.
    if tracing_subscriber::registry()
        .with(layers)
        .try_init()
        .is_ok()
        && guard.is_some()
    {
        *FILE_GUARD.lock().unwrap_or_else(PoisonError::into_inner) = guard;
    }
}

/// Writes out the lines still queued for the log file; call before exiting.
pub fn flush() {
    drop(
        FILE_GUARD
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take(),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_and_levels_are_filtered_without_env_filter() {
        for spec in [
            "info",
            "warn,kanban_api_actix::middleware=debug",
            "debug",
            "off",
        ] {
            assert!(
                matches!(LogFilter::parse(spec), Some(LogFilter::Targets(_))),
                "{spec}"
            );
        }
        for spec in ["info,[request{method=POST}]=debug", "info,[request]=debug"] {
            assert!(
                matches!(LogFilter::parse(spec), Some(LogFilter::Env(_))),
                "{spec}"
            );
        }
        assert!(
            LogFilter::parse("info,=[").is_none(),
            "neither understands it"
        );
    }
}
