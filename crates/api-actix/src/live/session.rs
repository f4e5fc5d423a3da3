//! One WebSocket connection: a task that selects over the hub's requests, the live events of what
//! the client subscribed to, the client's frames and the heartbeat, in that order of priority.

use super::hub::{ConnectionStats, Control, LiveEvent, LiveHub};
use super::protocol::{self, ClientMessage};
use actix_ws::{
    AggregatedMessage, AggregatedMessageStream, CloseCode, CloseReason, MessageStream, Session,
};
use bytestring::ByteString;
use futures_util::StreamExt;
use kanban_domain::BoardId;
use kanban_domain::ports::Repositories;
use serde_json::json;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;
use tokio_stream::StreamMap;
use tokio_stream::wrappers::BroadcastStream;
use tokio_stream::wrappers::errors::BroadcastStreamRecvError;

/// How long the close frame may wait for a client to read what came before it.
const CLOSE_PATIENCE: Duration = Duration::from_secs(10);

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
    /// The socket is gone: nothing more can be sent.
    Gone,
    /// Close with this code and reason.
    Close(CloseCode, String),
}

impl Stop {
    fn replay_failed() -> Self {
        Self::Close(
            CloseCode::Error,
            "could not read the event log; reconnect with since".to_owned(),
        )
    }
}

type Live = BroadcastStream<Arc<LiveEvent>>;

struct Connection {
    session: Session,
    hub: Arc<LiveHub>,
    repositories: Repositories,
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
    repositories: Repositories,
    session: Session,
    stream: MessageStream,
    params: ConnectParams,
) {
    let (guard, controls) = hub.connect(params.client_id.clone(), params.username.clone());
    let mut connection = Connection {
        session: session.clone(),
        hub: hub.clone(),
        repositories,
        stats: guard.stats.clone(),
        everything: None,
        boards: StreamMap::new(),
        named: HashSet::new(),
        last_sent: HashMap::new(),
        heartbeat_id: 0,
        unanswered: 0,
    };
    let max = hub.config().max_frame_bytes;
    let stream = stream
        .max_frame_size(max)
        .aggregate_continuations()
        .max_continuation_size(max);
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
        mut stream: AggregatedMessageStream,
        mut controls: tokio::sync::mpsc::UnboundedReceiver<Control>,
        params: &ConnectParams,
    ) -> Result<(), Stop> {
        let mut stopping = self.hub.stopping();
        if *stopping.borrow_and_update() {
            return Err(Stop::Close(
                CloseCode::Away,
                "server shutting down".to_owned(),
            ));
        }
        let config = self.hub.config().clone();
        let mut heartbeat = tokio::time::interval_at(
            tokio::time::Instant::now() + config.heartbeat_interval,
            config.heartbeat_interval,
        );
        // Listen first, then greet: an event committed after the greeting is never missed.
        match params.board {
            Some(board) => self.listen_to(board),
            None => self.everything = Some(BroadcastStream::new(self.hub.subscribe_everything())),
        }
        self.send(protocol::connected(
            &params.client_id,
            &params.username,
            params.board,
        ))
        .await?;
        if let (Some(board), Some(since)) = (params.board, params.since) {
            self.replay(board, since).await?;
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
                    Some(Err(actix_ws::ProtocolError::Overflow | actix_ws::ProtocolError::Io(_))) => {
                        return Err(Stop::Close(CloseCode::Size, format!("messages are limited to {} bytes", config.max_frame_bytes)));
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
        self.send(event.frame()).await
    }

    async fn on_message(&mut self, message: AggregatedMessage) -> Result<(), Stop> {
        self.stats.active();
        self.unanswered = 0;
        match message {
            AggregatedMessage::Text(text) => match protocol::parse(&text) {
                Ok(message) => self.on_client_message(message).await,
                Err(problem) => self.send(protocol::error(&problem)).await,
            },
            AggregatedMessage::Ping(bytes) => {
                self.session.pong(&bytes).await.map_err(|_| Stop::Gone)
            }
            // Answer the client's close with a close frame of our own (a clean close).
            AggregatedMessage::Close(reason) => Err(Stop::Close(
                reason.as_ref().map_or(CloseCode::Normal, |r| r.code),
                String::new(),
            )),
            AggregatedMessage::Binary(_) => {
                self.send(protocol::error(
                    "Binary frames are not supported; send JSON text",
                ))
                .await
            }
            AggregatedMessage::Pong(_) => Ok(()),
        }
    }

    async fn on_client_message(&mut self, message: ClientMessage) -> Result<(), Stop> {
        match message {
            ClientMessage::Ping => self.send(protocol::pong()).await,
            ClientMessage::Subscribe { board, since } => {
                let boards = self.repositories.boards.clone();
                let exists = actix_web::web::block(move || boards.get(board)).await;
                if !matches!(exists, Ok(Ok(Some(_)))) {
                    return self
                        .send(protocol::error(&format!("Board {board} not found")))
                        .await;
                }
                self.listen_to(board);
                self.send(protocol::subscription("subscribed", board))
                    .await?;
                match since {
                    Some(since) => self.replay(board, since).await,
                    None => Ok(()),
                }
            }
            ClientMessage::Unsubscribe { board } => {
                self.unsubscribe(board).await?;
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

    /// Receives a board's events from now on (already the case in "every board" mode).
    fn listen_to(&mut self, board: BoardId) {
        self.named.insert(board);
        if self.everything.is_none() && !self.boards.contains_key(&board) {
            let (receiver, _) = self.hub.subscribe_board(board);
            self.boards.insert(board, BroadcastStream::new(receiver));
        }
    }

    /// Stops a board's events. Leaving "every board" mode keeps only the boards named so far:
    /// their channels are joined before the "every board" one is dropped, and what it still
    /// held is delivered first, so no event of a kept board is lost in the switch.
    async fn unsubscribe(&mut self, board: BoardId) -> Result<(), Stop> {
        self.named.remove(&board);
        if let Some(everything) = self.everything.take() {
            for named in self.named.clone() {
                let (receiver, _) = self.hub.subscribe_board(named);
                self.boards.insert(named, BroadcastStream::new(receiver));
            }
            let mut pending = everything;
            // Whatever the "every board" channel already holds, without waiting for more.
            while let Some(Some(received)) = futures_util::FutureExt::now_or_never(pending.next()) {
                let event = receive(Some(received))?;
                if self.named.contains(&event.board_id) {
                    self.deliver(&event).await?;
                }
            }
        }
        self.boards.remove(&board);
        Ok(())
    }

    /// Sends the board's logged events after `since`, in order, or `resync_required` when the
    /// log no longer holds them. Live events are already being received, so none is lost in
    /// between; those the replay also sent are skipped by `deliver`.
    async fn replay(&mut self, board: BoardId, since: i64) -> Result<(), Stop> {
        let released = self.hub.released_seq(board);
        let events = self.repositories.events.clone();
        let bounds = actix_web::web::block(move || events.bounds(board))
            .await
            .map_err(|_| Stop::replay_failed())?
            .map_err(|_| Stop::replay_failed())?;
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
        // The client says it has seen everything up to `since`: replay from there, even if later
        // events of this board already went out on this connection.
        self.last_sent.insert(board, since);
        let mut after = since;
        loop {
            let events = self.repositories.events.clone();
            let batch = actix_web::web::block(move || events.since(board, after, REPLAY_BATCH))
                .await
                .map_err(|_| Stop::replay_failed())?
                .map_err(|_| Stop::replay_failed())?;
            let complete = batch.len() < REPLAY_BATCH as usize;
            for event in batch {
                after = event.seq;
                self.deliver(&LiveEvent::of(event)).await?;
            }
            if complete {
                return Ok(());
            }
        }
    }
}
