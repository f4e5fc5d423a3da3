//! Live events over WebSocket (contract §10): the hub that fans committed events out to
//! subscribers in sequence order, and the per-connection session.
//!
//! Events reach the hub only after their change has committed (`ApiState::write`). Each board has
//! its own broadcast channel, so a subscriber of one board never sees, nor waits for, another's;
//! a client that falls too far behind is closed with 1013 and resumes with `since`, replaying what
//! it missed from the event log.

mod hub;
mod protocol;
mod session;

pub use hub::{ConnectionStats, Control, HubStats, LiveEvent, LiveHub};
pub use session::{ConnectParams, run_session};

use std::time::Duration;

/// How live connections behave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveConfig {
    /// How often the server sends a `heartbeat` event.
    pub heartbeat_interval: Duration,
    /// Heartbeats a client may leave unanswered before it is closed.
    pub missed_heartbeats: u32,
    /// Events a connection may fall behind its board (or all boards) before it is closed with
    /// 1013; also the capacity of each board's channel.
    pub queue_capacity: usize,
    /// How long one frame may take to leave before the client is deemed too slow (1013).
    pub send_timeout: Duration,
    /// Largest frame accepted from a client, in bytes.
    pub max_frame_bytes: usize,
    /// How long an out-of-order event waits for the one before it before it is sent anyway.
    pub gap_timeout: Duration,
}

impl Default for LiveConfig {
    fn default() -> Self {
        Self {
            heartbeat_interval: Duration::from_secs(30),
            missed_heartbeats: 3,
            queue_capacity: 1024,
            send_timeout: Duration::from_secs(5),
            max_frame_bytes: 64 * 1024,
            gap_timeout: Duration::from_secs(2),
        }
    }
}
