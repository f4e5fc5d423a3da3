//! The HTTP and WebSocket surface end to end: every route of contract §1–§10 over
//! real HTTP, each scenario run once over in-memory adapters and once over a temporary SQLite
//! file, plus the access control around them: the permission matrix, token forgery, rate limits,
//! CORS and the trusted-network modes.
//!
//! Scenarios are plain `async fn`s called from generated `#[test]`s, so clippy does not see them
//! as tests; in a test, an `unwrap` or `expect` that fails is the assertion we want.
#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "scenarios are tests; a failed unwrap or expect fails the test"
)]

mod access;
mod anonymous;
mod auth;
mod boards;
mod bulk;
mod comments;
mod concurrency;
mod cors;
mod docs;
mod errors;
mod forgery;
mod health;
mod history;
mod limits;
mod live;
mod metrics;
mod statistics;
mod tickets;
mod users;
