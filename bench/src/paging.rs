//! The growth section's list pages: the same page under load, and page 1 against a deep page at
//! one connection with the requests alternating between them.

use crate::BoxError;
use crate::load::{self, LoadResult};
use crate::stats::{Summary, summarise};
use serde::Serialize;
use std::time::{Duration, Instant};

pub const PAGE_SIZE: usize = 100;

fn url(base: &str, board: i64, page: usize) -> String {
    format!("{base}/api/tickets?board_id={board}&page={page}&page_size={PAGE_SIZE}")
}

/// The same page of `board` every request, from `connections` connections.
pub async fn one_page(
    name: String,
    base: &str,
    board: i64,
    page: usize,
    connections: usize,
    duration: Duration,
    client: &load::Client,
) -> LoadResult {
    let (client, url) = (client.clone(), url(base, board, page));
    load::run(&name, connections, duration, move |_, _| {
        let request = client.get(&url);
        async move { vec![load::send(request).await] }
    })
    .await
}

/// Latencies of page 1 and of `deep` at one connection, one request of each in turn: what each
/// page costs the server (no queueing), with any slow spell of the machine falling on both. The
/// server keeps encoded pages until their board changes, so before each request an untimed
/// comment on `ticket` (a ticket of the board) changes the board's stamp: every page timed is
/// computed afresh from the database, as the first read after a change is.
#[derive(Debug, Clone, Serialize)]
pub struct PagePair {
    pub deep_page: usize,
    pub page_1: Summary,
    pub deep: Summary,
    pub errors: usize,
    /// Median latency of the deep page over that of page 1.
    pub ratio: f64,
}

/// Measures a [`PagePair`] for `duration`.
pub async fn alternate(
    base: &str,
    board: i64,
    ticket: i64,
    deep_page: usize,
    duration: Duration,
    client: &reqwest::Client,
) -> PagePair {
    let comment = serde_json::json!({"ticket_id": ticket, "text": "a change of the board"});
    let urls = [url(base, board, 1), url(base, board, deep_page)];
    let mut latencies = [Vec::new(), Vec::new()];
    let mut errors = 0;
    let deadline = Instant::now() + duration;
    let mut n = 0;
    while Instant::now() < deadline {
        let which = n % 2;
        let changed = client
            .post(format!("{base}/api/comments"))
            .json(&comment)
            .send()
            .await
            .is_ok_and(|response| response.status().is_success());
        errors += usize::from(!changed);
        let sent = Instant::now();
        let ok = match client.get(&urls[which]).send().await {
            Ok(response) => response.status().is_success() & response.bytes().await.is_ok(),
            Err(_) => false,
        };
        latencies[which].push(sent.elapsed().as_secs_f64() * 1000.0);
        errors += usize::from(!ok);
        n += 1;
    }
    let [first, deep] = latencies;
    let (page_1, deep) = (summarise(first), summarise(deep));
    PagePair {
        deep_page,
        ratio: deep.p50_ms / page_1.p50_ms,
        page_1,
        deep,
        errors,
    }
}

impl PagePair {
    pub fn row(&self) -> String {
        format!(
            "list page 1 / page {} alternating, 1 conn: p50 {:.2} / {:.2} ms, p99 {:.2} / {:.2} ms ({} + {} requests, errors {}): ratio {:.2}",
            self.deep_page,
            self.page_1.p50_ms,
            self.deep.p50_ms,
            self.page_1.p99_ms,
            self.deep.p99_ms,
            self.page_1.count,
            self.deep.count,
            self.errors,
            self.ratio
        )
    }
}

/// Page 1 and the deep page are full pages of a board of `tickets`, so the comparison is between
/// equal amounts of work to send. Returns the id of a ticket of the board.
///
/// # Errors
/// A failed request, or a page that is not full.
pub async fn check_full(
    base: &str,
    board: i64,
    tickets: i64,
    deep_page: usize,
    client: &reqwest::Client,
) -> Result<i64, BoxError> {
    let mut ticket = None;
    for page in [1, deep_page] {
        let body: serde_json::Value = client
            .get(url(base, board, page))
            .send()
            .await?
            .json()
            .await?;
        let items = body["items"].as_array().map_or(0, Vec::len);
        if body["total"].as_i64() != Some(tickets) || items != PAGE_SIZE {
            let body: String = body.to_string().chars().take(200).collect();
            return Err(format!("page {page} of board {board}: {body}").into());
        }
        ticket = ticket.or_else(|| body["items"][0]["id"].as_i64());
    }
    Ok(ticket.ok_or("no ticket id on page 1")?)
}
