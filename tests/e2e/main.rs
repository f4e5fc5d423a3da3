//! The HTTP surface end to end: every route of contract §2–§5 over real HTTP, each scenario run
//! once over in-memory adapters and once over a temporary SQLite file.
//!
//! Scenarios are plain `async fn`s called from generated `#[test]`s, so clippy does not see them
//! as tests; in a test, an `unwrap` that fails is the assertion we want.
#![expect(
    clippy::unwrap_used,
    reason = "scenarios are tests; a failed unwrap fails the test"
)]

mod boards;
mod comments;
mod concurrency;
mod errors;
mod history;
mod tickets;
