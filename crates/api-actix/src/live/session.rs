//! One WebSocket connection: a task that selects over the client's frames, the live events of
//! what it subscribed to, the heartbeat, the hub's requests and the server's shutdown.

use super::hub::{ConnectionStats, Control, LiveEvent, LiveHub};
use super::protocol::{self, ClientMessage};
use actix_ws::{CloseCode, CloseReason, Message, MessageStream, Session};
use bytestring::ByteString;
use futures_util::StreamExt;
use kanban_domain::BoardId;
use kanban_domain::ports::EventLog;
use serde_json::json;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use tokio_stream::StreamMap;
use tokio_stream::wrappers::BroadcastStream;
use tokio_stream::wrappers::errors::BroadcastStreamRecvError;

/// How long the close frame may wait for a client to read what came before it.
const CLOSE_PATIENCE: std::time::Duration = std::time::Duration::from_secs(10);

/// Events replayed per read of the log.
const REPLAY_BATCH: u32 = 500;

/// Who connected and what they asked for in the query string.
#[derive(Debug, Clone)]
pub struct ConnectParams {
    pub client_id: String,
    pub username: String,
    /// Only this board's events; every board's when `None`.
    pub board: Option<BoardId>,
    /// Replay this board's events after this sequence number first.
    pub since: Option<i64>,
}

/// Why the session ends.
#[derive(Debug)]
enum Stop {
    /// The client left, or the socket is gone: nothing more to send.
    Gone,
    /// Close with this code and reason.
    Close(CloseCode, String),
}

type Live = BroadcastStream<Arc<LiveEvent>>;

struct Connection {
    session: Session,
    hub: Arc<LiveHub>,
    events: Arc<dyn EventLog>,
    stats: Arc<ConnectionStats>,
    /// Receives every board's events until the client unsubscribes from one.
    everything: Option<Live>,
    boards: StreamMap<BoardId, Live>,
    /// Boards the client asked for by name (kept in "every board" mode too).
    named: HashSet<BoardId>,
    /// The last `seq` sent per board, so replayed and live events never repeat.
    last_sent: HashMap<BoardId, i64>,
    heartbeat_id: u64,
    unanswered: u32,
}

/// Runs a connection to its end.
pub async fn run_session(
    hub: Arc<LiveHub>,
    events: Arc<dyn EventLog>,
    session: Session,
    stream: MessageStream,
    params: ConnectParams,
) {
    let (guard, controls) = hub.connect(params.client_id.clone(), params.username.clone());
    let mut connection = Connection {
        session: session.clone(),
        hub: hub.clone(),
        events,
        stats: guard.stats.clone(),
        everything: None,
        boards: StreamMap::new(),
        named: HashSet::new(),
        last_sent: HashMap::new(),
        heartbeat_id: 0,
        unanswered: 0,
    };
    let stream = stream.max_frame_size(hub.config().max_frame_bytes);
    let stop = match connection.serve(stream, controls, &params).await {
        Ok(()) => Stop::Gone,
        Err(stop) => stop,
    };
    // Release the subscriptions and the registry entry at once; only the socket remains.
    drop(connection);
    drop(guard);
    if let Stop::Close(code, description) = stop {
        tracing::debug!(client_id = %params.client_id, ?code, %description, "closing websocket");
        let reason = CloseReason {
            code,
            description: Some(description),
        };
        // The close frame queues behind what the client has not read yet: give a slow client
        // time to drain it and learn why (1013: resume with since), then give up.
        let _ = tokio::time::timeout(CLOSE_PATIENCE, session.close(Some(reason))).await;
    }
}

fn receive(
    received: Option<Result<Arc<LiveEvent>, BroadcastStreamRecvError>>,
) -> Result<Arc<LiveEvent>, Stop> {
    match received {
        Some(Ok(event)) => Ok(event),
        Some(Err(BroadcastStreamRecvError::Lagged(missed))) => Err(Stop::Close(
            CloseCode::Again,
            format!("too slow: {missed} events behind; reconnect with since=<last seq>"),
        )),
        None => Err(Stop::Close(
            CloseCode::Away,
            "event stream ended".to_owned(),
        )),
    }
}

impl Connection {
    async fn serve(
        &mut self,
        mut stream: MessageStream,
        mut controls: tokio::sync::mpsc::UnboundedReceiver<Control>,
        params: &ConnectParams,
    ) -> Result<(), Stop> {
        let mut stopping = self.hub.stopping();
        let config = self.hub.config().clone();
        let mut heartbeat = tokio::time::interval_at(
            tokio::time::Instant::now() + config.heartbeat_interval,
            config.heartbeat_interval,
        );
        self.send(protocol::connected(
            &params.client_id,
            &params.username,
            params.board,
        ))
        .await?;
        match params.board {
            Some(board) => self.subscribe(board, params.since).await?,
            None => self.everything = Some(BroadcastStream::new(self.hub.subscribe_everything())),
        }
        loop {
            let listening = self.everything.is_some() || !self.boards.is_empty();
            // Biased: whatever was published before a client's frame arrived is delivered
            // before the answer to it, so clients see events and replies in causal order.
            tokio::select! {
                biased;
                _ = stopping.changed() => {
                    return Err(Stop::Close(CloseCode::Away, "server shutting down".to_owned()));
                }
                control = controls.recv() => match control {
                    Some(Control::Notice(frame)) => self.send(frame).await?,
                    Some(Control::Close(reason)) => return Err(Stop::Close(CloseCode::Normal, reason.to_owned())),
                    None => return Ok(()),
                },
                received = async {
                    match self.everything.as_mut() {
                        Some(all) => all.next().await,
                        None => self.boards.next().await.map(|(_, event)| event),
                    }
                }, if listening => {
                    let event = receive(received)?;
                    self.deliver(&event).await?;
                }
                frame = stream.next() => match frame {
                    Some(Ok(message)) => self.on_message(message).await?,
                    Some(Err(actix_ws::ProtocolError::Overflow)) => {
                        return Err(Stop::Close(CloseCode::Size, format!(
                            "frames are limited to {} bytes", self.hub.config().max_frame_bytes
                        )));
                    }
                    Some(Err(error)) => {
                        return Err(Stop::Close(CloseCode::Protocol, format!("invalid frame: {error}")));
                    }
                    None => return Ok(()),
                },
                _ = heartbeat.tick() => {
                    if self.unanswered >= config.missed_heartbeats {
                        return Err(Stop::Close(
                            CloseCode::Policy,
                            format!("{} heartbeats unanswered", self.unanswered),
                        ));
                    }
                    self.heartbeat_id += 1;
                    self.unanswered += 1;
                    self.send(protocol::heartbeat(self.heartbeat_id)).await?;
                }
            }
        }
    }

    /// Sends one frame, closing with 1013 when the client does not take it in time.
    async fn send(&mut self, frame: impl Into<ByteString>) -> Result<(), Stop> {
        let timeout = self.hub.config().send_timeout;
        match tokio::time::timeout(timeout, self.session.text(frame)).await {
            Ok(Ok(())) => {
                self.stats.sent(&self.hub);
                Ok(())
            }
            Ok(Err(_closed)) => Err(Stop::Gone),
            Err(_elapsed) => Err(Stop::Close(
                CloseCode::Again,
                "too slow to receive events; reconnect with since=<last seq>".to_owned(),
            )),
        }
    }

    /// Sends a board event unless it was already sent (replay and live overlap).
    async fn deliver(&mut self, event: &LiveEvent) -> Result<(), Stop> {
        let last = self.last_sent.entry(event.board_id).or_insert(0);
        if event.seq <= *last {
            return Ok(());
        }
        *last = event.seq;
        self.send(event.frame.clone()).await
    }

    async fn on_message(&mut self, message: Message) -> Result<(), Stop> {
        self.stats.active();
        self.unanswered = 0;
        match message {
            Message::Text(text) => match protocol::parse(&text) {
                Ok(message) => self.on_client_message(message).await,
                Err(problem) => self.send(protocol::error(&problem)).await,
            },
            Message::Ping(bytes) => self.session.pong(&bytes).await.map_err(|_| Stop::Gone),
            Message::Close(_) => Err(Stop::Gone),
            Message::Binary(_) => {
                self.send(protocol::error(
                    "Binary frames are not supported; send JSON text",
                ))
                .await
            }
            Message::Pong(_) | Message::Continuation(_) | Message::Nop => Ok(()),
        }
    }

    async fn on_client_message(&mut self, message: ClientMessage) -> Result<(), Stop> {
        match message {
            ClientMessage::Ping => self.send(protocol::pong()).await,
            ClientMessage::Subscribe { board, since } => {
                self.send(protocol::subscription("subscribed", board))
                    .await?;
                self.subscribe(board, since).await
            }
            ClientMessage::Unsubscribe { board } => {
                self.unsubscribe(board);
                self.send(protocol::subscription("unsubscribed", board))
                    .await
            }
            ClientMessage::GetStats => {
                let hub = self.hub.stats();
                let subscriptions = if self.everything.is_some() {
                    json!("all")
                } else {
                    json!(self.boards.keys().collect::<Vec<_>>())
                };
                let data = json!({
                    "connection": {
                        "client_id": self.stats.client_id,
                        "username": self.stats.username,
                        "connected_at": kanban_domain::time::format_timestamp(&self.stats.connected_at),
                        "subscriptions": subscriptions,
                    },
                    "server": {
                        "total_connections": hub.total_connections,
                        "total_messages_sent": hub.total_messages_sent,
                    },
                });
                self.send(protocol::stats(&data)).await
            }
            ClientMessage::HeartbeatResponse { heartbeat_id } => {
                self.send(protocol::heartbeat_ack(&heartbeat_id)).await
            }
        }
    }

    /// Starts receiving a board's events (unless every board's already arrive), then replays
    /// the log after `since` when asked.
    async fn subscribe(&mut self, board: BoardId, since: Option<i64>) -> Result<(), Stop> {
        self.named.insert(board);
        if self.everything.is_none() && !self.boards.contains_key(&board) {
            let (receiver, _) = self.hub.subscribe_board(board);
            self.boards.insert(board, BroadcastStream::new(receiver));
        }
        match since {
            Some(since) => self.replay(board, since).await,
            None => Ok(()),
        }
    }

    /// Stops a board's events. Leaving "every board" mode keeps only the boards named so far.
    fn unsubscribe(&mut self, board: BoardId) {
        self.named.remove(&board);
        if self.everything.take().is_some() {
            for named in &self.named {
                let (receiver, _) = self.hub.subscribe_board(*named);
                self.boards.insert(*named, BroadcastStream::new(receiver));
            }
        }
        self.boards.remove(&board);
    }

    /// Sends the board's logged events after `since`, in order, or `resync_required` when the
    /// log no longer holds them. Live events are already being received, so none is lost in
    /// between; duplicates are skipped by `deliver`.
    async fn replay(&mut self, board: BoardId, since: i64) -> Result<(), Stop> {
        let released = self.hub.released_seq(board);
        let events = self.events.clone();
        let bounds = actix_web::web::block(move || events.bounds(board))
            .await
            .map_err(|_| Stop::Close(CloseCode::Error, "replay failed".to_owned()))?
            .map_err(|_| Stop::Close(CloseCode::Error, "replay failed".to_owned()))?;
        let latest = bounds.map_or(released, |(_, high)| high.max(released));
        let unavailable = match bounds {
            _ if since > latest => true,
            None => since < latest,
            Some((low, _)) => since < low - 1,
        };
        if unavailable {
            let oldest = bounds.map(|(low, _)| low);
            return self
                .send(protocol::resync_required(board, since, oldest, latest))
                .await;
        }
        let mut after = since.max(self.last_sent.get(&board).copied().unwrap_or(0));
        loop {
            let events = self.events.clone();
            let batch = actix_web::web::block(move || events.since(board, after, REPLAY_BATCH))
                .await
                .map_err(|_| Stop::Close(CloseCode::Error, "replay failed".to_owned()))?
                .map_err(|_| Stop::Close(CloseCode::Error, "replay failed".to_owned()))?;
            for event in &batch {
                self.deliver(&LiveEvent::of(event)).await?;
                after = event.seq;
            }
            if batch.len() < REPLAY_BATCH as usize {
                return Ok(());
            }
        }
    }
}
