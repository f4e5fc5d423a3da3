//! The Agent Kanban domain: boards with ordered columns, tickets, comments, the change history and
//! the events that describe every committed change.
//!
//! This crate owns the business rules (validated value types, what a move, claim or update
//! changes, which history rows and events it produces), the ports through which it reaches storage
//! and the clock, the use-case services, and in-memory adapters of every port for tests.
//!
//! It must not depend on any web, database or async-runtime crate (no actix, diesel, r2d2,
//! tokio): adapters live in their own crates and depend on this one, never the reverse.

pub mod account;
pub mod actor;
pub mod board;
pub mod comment;
#[cfg(any(test, feature = "contract-tests"))]
pub mod contract;
pub mod error;
pub mod event;
pub mod history;
pub mod ids;
pub mod memory;
pub mod page;
pub mod policy;
pub mod ports;
pub mod services;
pub mod statistics;
pub mod ticket;
pub mod time;
pub mod values;

pub use account::User;
pub use actor::{Actor, Role};
pub use board::{Board, BoardView};
pub use comment::Comment;
pub use error::{DomainError, FieldError, StoreError};
pub use event::{Event, EventData, EventKind, NewEvent};
pub use history::{HistoryEntry, HistoryField, NewHistory};
pub use ids::{BoardId, CommentId, HistoryId, TicketId, UserId};
pub use page::{Page, PageRequest};
pub use ticket::{Ticket, TicketSummary};
pub use time::{Clock, SystemClock, Timestamp};
