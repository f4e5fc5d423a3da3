//! The HTTP surface end to end: every route of contract §2–§5 over real HTTP, each scenario run
//! once over in-memory adapters and once over a temporary SQLite file.

mod boards;
mod comments;
mod concurrency;
mod errors;
mod history;
mod tickets;
