//! WebSocket fan-out: one board, N subscribers, a series of moves; for each move, how long after
//! the mover's HTTP response every subscriber had the `ticket_moved` event, and how many were lost.

use crate::BoxError;
use crate::server::Server;
use crate::stats::{Summary, summarise};
use futures::StreamExt;
use futures::future::join_all;
use serde::Serialize;
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::Notify;
use tokio_tungstenite::tungstenite::Message;

/// Sequence number of the first move on a fresh board: 1 is `board_created`, 2 `ticket_created`.
const FIRST_MOVE_SEQ: i64 = 3;

#[derive(Debug, Serialize)]
pub struct FanoutResult {
    pub subscribers: usize,
    pub moves: usize,
    pub expected: usize,
    pub delivered: usize,
    pub lost: usize,
    /// From the mover's HTTP response to each subscriber's receipt (0 when it came first).
    pub latency: Summary,
    pub connect_seconds: f64,
}

impl FanoutResult {
    pub fn row(&self) -> String {
        format!(
            "ws fan-out  {:>5} subscribers x {:>3} moves: delivered {}/{} (lost {}), latency p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
            self.subscribers,
            self.moves,
            self.delivered,
            self.expected,
            self.lost,
            self.latency.p50_ms,
            self.latency.p99_ms,
            self.latency.max_ms
        )
    }
}

struct Progress {
    per_move: Vec<AtomicUsize>,
    subscribers: usize,
    complete: Notify,
}

pub async fn run(
    server: &Server,
    subscribers: usize,
    moves: usize,
) -> Result<FanoutResult, BoxError> {
    let http = server.client()?;
    let board: Value = http
        .post(format!("{}/api/boards", server.base))
        .json(&json!({"name": format!("fan-out {subscribers}"), "columns": ["Left", "Right"]}))
        .send()
        .await?
        .json()
        .await?;
    let board_id = board["id"].as_i64().ok_or("no board id")?;
    let ticket: Value = http
        .post(format!("{}/api/tickets", server.base))
        .json(&json!({"board_id": board_id, "title": "travelling card"}))
        .send()
        .await?
        .json()
        .await?;
    let ticket_id = ticket["id"].as_i64().ok_or("no ticket id")?;
    let progress = Arc::new(Progress {
        per_move: (0..moves).map(|_| AtomicUsize::new(0)).collect(),
        subscribers,
        complete: Notify::new(),
    });

    // Connect in waves so the listen backlog never overflows; each task reads its greeting.
    let started = Instant::now();
    let url = format!(
        "{}?board_id={board_id}&client_id=bench&token={}",
        server.ws, server.token
    );
    let mut tasks = Vec::with_capacity(subscribers);
    for wave in (0..subscribers).collect::<Vec<_>>().chunks(100) {
        let (ready_tx, ready_rx) = tokio::sync::mpsc::channel(wave.len());
        for _ in wave {
            let (url, progress, ready) = (url.clone(), progress.clone(), ready_tx.clone());
            tasks.push(tokio::spawn(async move {
                let outcome = subscriber_ready(url, moves, progress, ready).await;
                outcome.map_err(|e| e.to_string())
            }));
        }
        drop(ready_tx);
        let mut ready_rx = ready_rx;
        while ready_rx.recv().await.is_some() {}
    }
    let connect_seconds = started.elapsed().as_secs_f64();

    let mut responses = Vec::with_capacity(moves);
    for index in 0..moves {
        let column = if index % 2 == 0 { "Right" } else { "Left" };
        let reply = http
            .post(format!("{}/api/tickets/{ticket_id}/move", server.base))
            .json(&json!({"column": column}))
            .send()
            .await?;
        responses.push(Instant::now());
        if !reply.status().is_success() {
            return Err(format!("move answered {}", reply.status()).into());
        }
        // Wait for every subscriber (or give up after 5 s: the rest count as lost).
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        while progress.per_move[index].load(Ordering::Acquire) < subscribers {
            if tokio::time::timeout_at(deadline, progress.complete.notified())
                .await
                .is_err()
            {
                break;
            }
        }
    }

    let mut latencies = Vec::with_capacity(subscribers * moves);
    for outcome in join_all(tasks).await {
        let received = outcome.map_err(|e| e.to_string())??;
        for (index, at) in received {
            if let Some(response) = responses.get(index) {
                let ms = at
                    .checked_duration_since(*response)
                    .map_or(0.0, |d| d.as_secs_f64() * 1000.0);
                latencies.push(ms);
            }
        }
    }
    let expected = subscribers * moves;
    let delivered = latencies.len();
    Ok(FanoutResult {
        subscribers,
        moves,
        expected,
        delivered,
        lost: expected.saturating_sub(delivered),
        latency: summarise(latencies),
        connect_seconds,
    })
}

/// The move a `ticket_moved` frame reports, read without parsing the whole frame so that the
/// load generator, which shares the machine with the server, spends little time per frame.
/// Frames start `{"event":"ticket_moved","board_id":…,"seq":N,` (the server's field order).
fn move_index(frame: &str) -> Option<usize> {
    if !frame.starts_with(r#"{"event":"ticket_moved""#) {
        return None;
    }
    let rest = &frame[frame.find(r#""seq":"#)? + 6..];
    let digits = rest.split(|c: char| !c.is_ascii_digit()).next()?;
    let seq: i64 = digits.parse().ok()?;
    usize::try_from(seq - FIRST_MOVE_SEQ).ok()
}

/// Connects, signals readiness once greeted, then collects.
async fn subscriber_ready(
    url: String,
    moves: usize,
    progress: Arc<Progress>,
    ready: tokio::sync::mpsc::Sender<()>,
) -> Result<Vec<(usize, Instant)>, BoxError> {
    let (mut socket, _) = tokio_tungstenite::connect_async(url).await?;
    socket.next().await.ok_or("closed before the greeting")??;
    let _ = ready.send(()).await;
    drop(ready);
    let mut received = Vec::with_capacity(moves);
    while received.len() < moves {
        let Ok(Some(Ok(Message::Text(text)))) =
            tokio::time::timeout(Duration::from_secs(10), socket.next()).await
        else {
            break;
        };
        let at = Instant::now();
        let Some(index) = move_index(text.as_str()) else {
            continue;
        };
        received.push((index, at));
        if let Some(count) = progress.per_move.get(index)
            && count.fetch_add(1, Ordering::AcqRel) + 1 == progress.subscribers
        {
            progress.complete.notify_one();
        }
    }
    Ok(received)
}
