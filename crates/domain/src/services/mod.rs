//! Use-case services: plain synchronous code that reads a snapshot through the ports, lets the
//! entities decide the change, and has storage apply it atomically under a version guard,
//! retrying a bounded number of times when a concurrent writer wins the race.

mod auth;
mod boards;
pub mod bulk;
mod comments;
mod events;
mod history;
mod sessions;
mod statistics;
mod tickets;
mod users;

pub use auth::{
    AccountPolicy, AuthService, BAD_CREDENTIALS, BAD_REFRESH_TOKEN, Grant, REVOKED_TOKEN,
    Registration,
};
pub use boards::{BoardService, NewBoardInput};
pub use bulk::{BulkItem, BulkReport, BulkService};
pub use comments::CommentService;
pub use history::{BoardActivity, HistoryService};
pub use sessions::SessionService;
pub use statistics::{MAX_REALTIME_IDS, StatisticsService};
pub use tickets::{BoardTickets, NewTicketInput, TicketListQuery, TicketService};
pub use users::{AccountUpdate, UserAdminUpdate, UserService};

use crate::error::{DomainError, StoreError};
use crate::ports::{Crypto, Repositories};
use crate::time::Clock;
use std::sync::Arc;

/// How many times a use case re-reads and re-decides after losing a race before answering
/// `Conflict`. Each retry means another writer committed, so the system as a whole progresses.
const MAX_ATTEMPTS: usize = 16;

/// A client's `If-Match` condition on a resource's version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Precondition {
    /// `If-Match: *`: the resource must exist.
    Exists,
    /// The resource must be at one of these versions.
    Versions(Vec<i64>),
}

impl Precondition {
    /// # Errors
    /// `PreconditionFailed` when `current` is not an accepted version.
    pub fn check(&self, current: i64) -> Result<(), DomainError> {
        match self {
            Self::Exists => Ok(()),
            Self::Versions(accepted) if accepted.contains(&current) => Ok(()),
            Self::Versions(_) => Err(DomainError::PreconditionFailed { current }),
        }
    }
}

/// Checks an optional precondition.
fn check_precondition(
    precondition: Option<&Precondition>,
    current: i64,
) -> Result<(), DomainError> {
    precondition.map_or(Ok(()), |p| p.check(current))
}

/// Maps a storage error, naming `entity` when the row the change targeted is gone.
fn missing(entity: &'static str) -> impl Fn(StoreError) -> DomainError {
    move |error| match error {
        StoreError::NotFound => DomainError::NotFound(entity),
        other => other.into(),
    }
}

/// Runs `attempt` until it does not lose a race, at most [`MAX_ATTEMPTS`] times.
fn retry_on_conflict<T>(
    mut attempt: impl FnMut() -> Result<T, DomainError>,
) -> Result<T, DomainError> {
    for _ in 1..MAX_ATTEMPTS {
        match attempt() {
            Err(DomainError::Conflict) => {}
            outcome => return outcome,
        }
    }
    attempt()
}

/// Every use-case service, sharing one set of repositories and one clock.
#[derive(Clone)]
pub struct Services {
    pub boards: BoardService,
    pub tickets: TicketService,
    pub bulk: BulkService,
    pub comments: CommentService,
    pub history: HistoryService,
    pub auth: AuthService,
    pub users: UserService,
    pub sessions: SessionService,
    pub statistics: StatisticsService,
    pub repositories: Repositories,
    pub clock: Arc<dyn Clock>,
}

impl Services {
    pub fn new(
        repositories: Repositories,
        crypto: Crypto,
        policy: AccountPolicy,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            boards: BoardService::new(&repositories, clock.clone()),
            tickets: TicketService::new(&repositories, clock.clone()),
            bulk: BulkService::new(&repositories, clock.clone()),
            comments: CommentService::new(&repositories, clock.clone()),
            history: HistoryService::new(&repositories, clock.clone()),
            auth: AuthService::new(&repositories, crypto.clone(), policy, clock.clone()),
            users: UserService::new(&repositories, crypto.clone(), clock.clone()),
            sessions: SessionService::new(&repositories, crypto, policy.session_ttl, clock.clone()),
            statistics: StatisticsService::new(&repositories, clock.clone()),
            repositories,
            clock,
        }
    }
}

impl std::fmt::Debug for Services {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Services").finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preconditions() {
        assert!(Precondition::Exists.check(7).is_ok());
        assert!(Precondition::Versions(vec![3, 7]).check(7).is_ok());
        assert!(matches!(
            Precondition::Versions(vec![3]).check(7),
            Err(DomainError::PreconditionFailed { current: 7 })
        ));
    }

    #[test]
    fn retries_stop_at_the_bound() {
        let mut calls = 0;
        let result: Result<(), _> = retry_on_conflict(|| {
            calls += 1;
            Err(DomainError::Conflict)
        });
        assert!(matches!(result, Err(DomainError::Conflict)));
        assert_eq!(calls, MAX_ATTEMPTS);
        let mut calls = 0;
        let result = retry_on_conflict(|| {
            calls += 1;
            if calls < 3 {
                Err(DomainError::Conflict)
            } else {
                Ok(calls)
            }
        });
        assert_eq!(result.unwrap(), 3);
    }
}

#[cfg(test)]
mod service_tests;

#[cfg(test)]
mod auth_tests;
