//! The hub: one broadcast channel per board and one for "every board", fed in sequence order.
//!
//! Two requests can commit events 5 and 6 of a board and reach the hub in the other order; the
//! hub holds 6 back until 5 arrives (or `gap_timeout` passes, should 5 never come), so every
//! subscriber sees a board's events in `seq` order.

use super::LiveConfig;
use bytestring::ByteString;
use chrono::{DateTime, Utc};
use kanban_domain::{BoardId, Event};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::Instant;
use tokio::sync::{broadcast, mpsc, watch};

/// A committed event, serialised once for all its subscribers, by the first that sends it: an
/// event nobody is subscribed to is never serialised (it was 8 % of the HTTP workers' time in
/// moves, under the hub's lock).
#[derive(Debug)]
pub struct LiveEvent {
    pub board_id: BoardId,
    pub seq: i64,
    event: Event,
    frame: OnceLock<ByteString>,
}

impl LiveEvent {
    pub fn of(event: Event) -> Self {
        Self {
            board_id: event.board_id,
            seq: event.seq,
            event,
            frame: OnceLock::new(),
        }
    }

    /// The JSON frame sent to clients.
    pub fn frame(&self) -> ByteString {
        self.frame
            .get_or_init(|| {
                // An `Event` is plain data; serialising it cannot fail, and an empty object
                // would at worst be ignored by clients.
                ByteString::from(
                    serde_json::to_string(&self.event).unwrap_or_else(|_| "{}".to_owned()),
                )
            })
            .clone()
    }
}

/// One board's channel and the sequencer in front of it.
#[derive(Debug)]
struct BoardFeed {
    sender: broadcast::Sender<Arc<LiveEvent>>,
    /// The next `seq` to release; earlier ones were released (or skipped after a gap).
    next_seq: i64,
    /// Events that arrived before the one they follow.
    held: BTreeMap<i64, Arc<LiveEvent>>,
    /// Since when the oldest held event has waited.
    waiting_since: Option<Instant>,
}

#[derive(Debug)]
struct Feeds {
    boards: HashMap<BoardId, BoardFeed>,
    everything: broadcast::Sender<Arc<LiveEvent>>,
    /// The last `seq` of each board when the hub started.
    initial: HashMap<BoardId, i64>,
}

impl Feeds {
    fn feed(&mut self, board: BoardId, capacity: usize) -> &mut BoardFeed {
        let next_seq = self.initial.get(&board).map_or(1, |last| last + 1);
        self.boards.entry(board).or_insert_with(|| BoardFeed {
            sender: broadcast::channel(capacity).0,
            next_seq,
            held: BTreeMap::new(),
            waiting_since: None,
        })
    }
}

/// Releases every held event that is next in line; with `force`, skips a gap first.
fn release(feed: &mut BoardFeed, everything: &broadcast::Sender<Arc<LiveEvent>>, force: bool) {
    if force && let Some((&first, _)) = feed.held.first_key_value() {
        tracing::warn!(
            skipped_from = feed.next_seq,
            resumed_at = first,
            "live events missing; skipping the gap"
        );
        feed.next_seq = first;
    }
    while let Some(event) = feed.held.remove(&feed.next_seq) {
        // Sending fails only when nobody listens, which is fine.
        let _ = feed.sender.send(event.clone());
        let _ = everything.send(event);
        feed.next_seq += 1;
    }
    feed.waiting_since = if feed.held.is_empty() {
        None
    } else {
        feed.waiting_since.or(Some(Instant::now()))
    };
}

/// What the hub asks of a connection outside its subscriptions.
#[derive(Debug, Clone)]
pub enum Control {
    /// Close the connection normally, with this reason.
    Close(&'static str),
    /// Send this frame (an administrator's broadcast).
    Notice(ByteString),
}

/// What the hub knows of one open connection.
#[derive(Debug)]
pub struct ConnectionStats {
    pub client_id: String,
    pub username: String,
    pub connected_at: DateTime<Utc>,
    connected: Instant,
    messages: AtomicU64,
    last_activity: Mutex<Instant>,
    control: mpsc::UnboundedSender<Control>,
}

impl ConnectionStats {
    /// Counts one frame sent to the client.
    pub fn sent(&self, hub: &LiveHub) {
        self.messages.fetch_add(1, Ordering::Relaxed);
        hub.messages_sent.fetch_add(1, Ordering::Relaxed);
    }

    /// Notes that the client sent something.
    pub fn active(&self) {
        *self
            .last_activity
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Instant::now();
    }

    pub fn idle_seconds(&self) -> f64 {
        self.last_activity
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .elapsed()
            .as_secs_f64()
    }
}

/// `GET /ws/stats` and the `stats` event.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct HubStats {
    pub total_connections: usize,
    pub total_messages_sent: u64,
    pub connections: Vec<ConnectionSummary>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ConnectionSummary {
    pub client_id: String,
    pub username: String,
    pub connected_duration_seconds: f64,
    pub message_count: u64,
    /// When the client last sent anything (RFC 3339).
    pub last_activity: String,
    /// Seconds since then.
    pub idle_seconds: f64,
}

/// The hub of live events. Shared by every worker.
#[derive(Debug)]
pub struct LiveHub {
    feeds: Mutex<Feeds>,
    connections: Mutex<HashMap<u64, Arc<ConnectionStats>>>,
    next_connection: AtomicU64,
    messages_sent: AtomicU64,
    stopping: watch::Sender<bool>,
    config: LiveConfig,
}

impl LiveHub {
    /// A hub whose boards continue from `last_seqs` (the event log's last sequence numbers).
    pub fn new(config: LiveConfig, last_seqs: impl IntoIterator<Item = (BoardId, i64)>) -> Self {
        let feeds = Feeds {
            boards: HashMap::new(),
            everything: broadcast::channel(config.queue_capacity).0,
            initial: last_seqs.into_iter().collect(),
        };
        Self {
            feeds: Mutex::new(feeds),
            connections: Mutex::new(HashMap::new()),
            next_connection: AtomicU64::new(1),
            messages_sent: AtomicU64::new(0),
            stopping: watch::channel(false).0,
            config,
        }
    }

    pub fn config(&self) -> &LiveConfig {
        &self.config
    }

    fn feeds(&self) -> MutexGuard<'_, Feeds> {
        self.feeds.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Hands committed events to their boards' subscribers, in sequence order.
    pub fn publish(&self, events: Vec<Event>) {
        let capacity = self.config.queue_capacity;
        let gap_timeout = self.config.gap_timeout;
        let mut feeds = self.feeds();
        let everything = feeds.everything.clone();
        for event in events {
            let feed = feeds.feed(event.board_id, capacity);
            if event.seq < feed.next_seq {
                continue; // already released, or skipped after a gap
            }
            feed.held.insert(event.seq, Arc::new(LiveEvent::of(event)));
            let stale = feed
                .waiting_since
                .is_some_and(|since| since.elapsed() >= gap_timeout);
            release(feed, &everything, stale);
        }
    }

    /// Releases events that have waited longer than `gap_timeout` for a missing predecessor.
    pub fn release_stale(&self) {
        let gap_timeout = self.config.gap_timeout;
        let mut feeds = self.feeds();
        let everything = feeds.everything.clone();
        for feed in feeds.boards.values_mut() {
            if feed
                .waiting_since
                .is_some_and(|since| since.elapsed() >= gap_timeout)
            {
                release(feed, &everything, true);
            }
        }
    }

    /// A receiver of one board's events from now on, and the last `seq` released so far.
    pub fn subscribe_board(&self, board: BoardId) -> (broadcast::Receiver<Arc<LiveEvent>>, i64) {
        let capacity = self.config.queue_capacity;
        let mut feeds = self.feeds();
        let feed = feeds.feed(board, capacity);
        (feed.sender.subscribe(), feed.next_seq - 1)
    }

    /// A receiver of every board's events from now on.
    pub fn subscribe_everything(&self) -> broadcast::Receiver<Arc<LiveEvent>> {
        self.feeds().everything.subscribe()
    }

    /// The last `seq` of `board` released to subscribers (0 when none).
    pub fn released_seq(&self, board: BoardId) -> i64 {
        let capacity = self.config.queue_capacity;
        self.feeds().feed(board, capacity).next_seq - 1
    }

    /// Registers a connection; it is forgotten when the returned guard drops.
    pub fn connect(
        self: &Arc<Self>,
        client_id: String,
        username: String,
    ) -> (ConnectionGuard, mpsc::UnboundedReceiver<Control>) {
        let id = self.next_connection.fetch_add(1, Ordering::Relaxed);
        let (control, controls) = mpsc::unbounded_channel();
        let stats = Arc::new(ConnectionStats {
            client_id,
            username,
            connected_at: Utc::now(),
            connected: Instant::now(),
            messages: AtomicU64::new(0),
            last_activity: Mutex::new(Instant::now()),
            control,
        });
        self.connections
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(id, stats.clone());
        (
            ConnectionGuard {
                hub: self.clone(),
                id,
                stats,
            },
            controls,
        )
    }

    pub fn connection_count(&self) -> usize {
        self.connections
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    pub fn stats(&self) -> HubStats {
        let connections = self
            .connections
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let mut list: Vec<ConnectionSummary> = connections
            .values()
            .map(|c| ConnectionSummary {
                client_id: c.client_id.clone(),
                username: c.username.clone(),
                connected_duration_seconds: c.connected.elapsed().as_secs_f64(),
                message_count: c.messages.load(Ordering::Relaxed),
                last_activity: last_activity(c.idle_seconds()),
                idle_seconds: c.idle_seconds(),
            })
            .collect();
        list.sort_by(|a, b| {
            b.connected_duration_seconds
                .total_cmp(&a.connected_duration_seconds)
        });
        HubStats {
            total_connections: list.len(),
            total_messages_sent: self.messages_sent.load(Ordering::Relaxed),
            connections: list,
        }
    }

    /// Asks connections idle for at least `idle_seconds` to close; returns how many.
    pub fn close_idle(&self, idle_seconds: f64) -> usize {
        let connections = self
            .connections
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        connections
            .values()
            .filter(|c| c.idle_seconds() >= idle_seconds)
            .filter(|c| {
                c.control
                    .send(Control::Close("idle connection closed by an administrator"))
                    .is_ok()
            })
            .count()
    }

    /// Sends a frame that is not part of any board's log (an administrator's broadcast) to every
    /// connection, whatever it subscribed to; returns how many were asked.
    pub fn broadcast_notice(&self, frame: &ByteString) -> usize {
        let connections = self
            .connections
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        connections
            .values()
            .filter(|c| c.control.send(Control::Notice(frame.clone())).is_ok())
            .count()
    }

    /// Tells every connection the server is stopping (they close with 1001).
    pub fn shut_down(&self) {
        self.stopping.send_replace(true);
    }

    pub fn stopping(&self) -> watch::Receiver<bool> {
        self.stopping.subscribe()
    }
}

/// The instant `idle_seconds` ago, as RFC 3339.
fn last_activity(idle_seconds: f64) -> String {
    #[expect(
        clippy::cast_possible_truncation,
        reason = "idle times are far below i64 milliseconds"
    )]
    let idle = chrono::Duration::milliseconds((idle_seconds * 1000.0) as i64);
    kanban_domain::time::format_timestamp(&(Utc::now() - idle))
}

/// Keeps a connection registered while the session runs.
#[derive(Debug)]
pub struct ConnectionGuard {
    hub: Arc<LiveHub>,
    id: u64,
    pub stats: Arc<ConnectionStats>,
}

impl Drop for ConnectionGuard {
    fn drop(&mut self) {
        self.hub
            .connections
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&self.id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kanban_domain::{EventData, EventKind};

    fn event(board: i64, seq: i64) -> Event {
        Event {
            event: EventKind::TicketMoved,
            board_id: BoardId::new(board),
            seq,
            timestamp: Utc::now(),
            data: EventData::of(&serde_json::json!({"board_id": board})).unwrap(),
        }
    }

    fn drain(rx: &mut broadcast::Receiver<Arc<LiveEvent>>) -> Vec<i64> {
        std::iter::from_fn(|| rx.try_recv().ok())
            .map(|e| e.seq)
            .collect()
    }

    #[test]
    fn out_of_order_events_are_released_in_sequence() {
        let hub = LiveHub::new(LiveConfig::default(), [(BoardId::new(1), 4)]);
        let (mut rx, released) = hub.subscribe_board(BoardId::new(1));
        assert_eq!(released, 4);
        hub.publish(vec![event(1, 6)]);
        assert_eq!(drain(&mut rx), Vec::<i64>::new(), "6 waits for 5");
        hub.publish(vec![event(1, 5)]);
        assert_eq!(drain(&mut rx), [5, 6]);
        hub.publish(vec![event(1, 6)]);
        assert!(drain(&mut rx).is_empty(), "duplicates are dropped");
    }

    /// Every subscriber sends the same frame, the event as JSON, serialised once.
    #[test]
    fn subscribers_share_one_frame_of_the_event() {
        let hub = LiveHub::new(LiveConfig::default(), []);
        let (mut one, _) = hub.subscribe_board(BoardId::new(1));
        let mut all = hub.subscribe_everything();
        let published = event(1, 1);
        hub.publish(vec![published.clone()]);
        let (a, b) = (one.try_recv().unwrap(), all.try_recv().unwrap());
        let frame = a.frame();
        let sent: serde_json::Value = serde_json::from_str(&frame).unwrap();
        assert_eq!(sent, serde_json::to_value(&published).unwrap());
        assert_eq!(sent["seq"], 1);
        assert!(
            std::ptr::eq(frame.as_ptr(), b.frame().as_ptr()),
            "one serialisation"
        );
    }

    #[test]
    fn boards_are_isolated_and_everything_sees_all() {
        let hub = LiveHub::new(LiveConfig::default(), []);
        let (mut one, _) = hub.subscribe_board(BoardId::new(1));
        let mut all = hub.subscribe_everything();
        hub.publish(vec![event(2, 1), event(1, 1), event(1, 2)]);
        assert_eq!(drain(&mut one), [1, 2]);
        assert_eq!(drain(&mut all).len(), 3);
    }

    #[test]
    fn a_gap_is_skipped_after_the_timeout() {
        let config = LiveConfig {
            gap_timeout: std::time::Duration::ZERO,
            ..LiveConfig::default()
        };
        let hub = LiveHub::new(config, []);
        let (mut rx, _) = hub.subscribe_board(BoardId::new(1));
        hub.publish(vec![event(1, 2)]);
        hub.release_stale();
        assert_eq!(drain(&mut rx), [2]);
        assert_eq!(hub.released_seq(BoardId::new(1)), 2);
    }
}
