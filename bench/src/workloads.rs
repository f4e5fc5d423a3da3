//! The HTTP workloads, against a board seeded with tickets through the API.

use crate::BoxError;
use crate::load::{self, Answered, LoadResult};
use futures::future::join_all;
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

pub const COLUMNS: [&str; 5] = [
    "Not Started",
    "In Progress",
    "Blocked",
    "Ready for QC",
    "Done",
];

/// A board with tickets, made through the API as a client would, and an empty board that the
/// create workload fills: the listed board keeps its `count` tickets whatever ran before, so
/// list pages measure the same board in a quick run and a full one.
#[derive(Debug, Clone)]
pub struct Seed {
    pub board: i64,
    pub tickets: Arc<Vec<i64>>,
    /// The board the create workload adds its tickets to.
    pub creates: i64,
}

async fn create_board(base: &str, client: &reqwest::Client, name: &str) -> Result<i64, BoxError> {
    let board: Value = client
        .post(format!("{base}/api/boards"))
        .json(&json!({"name": name, "columns": COLUMNS}))
        .send()
        .await?
        .json()
        .await?;
    Ok(board["id"].as_i64().ok_or("no board id")?)
}

/// Creates a board and `count` tickets, 32 requests at a time, and the board for creates.
pub async fn seed(base: &str, client: &reqwest::Client, count: usize) -> Result<Seed, BoxError> {
    let board = create_board(base, client, "bench").await?;
    let creates = create_board(base, client, "bench creates").await?;
    let mut tickets = Vec::with_capacity(count);
    for chunk in (0..count).collect::<Vec<_>>().chunks(32) {
        let created = join_all(chunk.iter().map(|n| {
            let body = json!({
                "board_id": board, "title": format!("seeded ticket {n}"),
                "description": "A ticket seeded for the benchmark, with a realistic description.",
                "priority": n % 10, "current_column": COLUMNS[n % COLUMNS.len()],
            });
            let request = client
                .post(format!("{base}/api/tickets"))
                .json(&body)
                .send();
            async move { request.await?.json::<Value>().await }
        }))
        .await;
        for ticket in created {
            tickets.push(ticket?["id"].as_i64().ok_or("no ticket id")?);
        }
    }
    Ok(Seed {
        board,
        tickets: Arc::new(tickets),
        creates,
    })
}

/// Sends one request: its answer alone.
async fn one(request: load::RequestBuilder) -> Vec<Answered> {
    vec![load::send(request).await]
}

/// A pseudo-random but reproducible index for request `n` of `worker`.
fn pick(worker: usize, n: usize, len: usize) -> usize {
    (worker.wrapping_mul(7919) ^ n.wrapping_mul(104_729)) % len.max(1)
}

pub async fn get(
    name: &str,
    url: String,
    connections: usize,
    duration: Duration,
    client: &load::Client,
) -> LoadResult {
    let client = client.clone();
    load::run(name, connections, duration, move |_, _| {
        one(client.get(&url))
    })
    .await
}

pub async fn get_ticket(
    base: &str,
    seed: &Seed,
    connections: usize,
    duration: Duration,
    client: &load::Client,
) -> LoadResult {
    let (client, base, tickets) = (client.clone(), base.to_owned(), seed.tickets.clone());
    load::run(
        "GET /api/tickets/{id}",
        connections,
        duration,
        move |worker, n| {
            let id = tickets[pick(worker, n, tickets.len())];
            one(client.get(format!("{base}/api/tickets/{id}")))
        },
    )
    .await
}

/// The mean size in bytes of the pages the list workload asks for (the first five pages of the
/// seeded board, of 100 tickets each).
pub async fn page_bytes(
    base: &str,
    client: &reqwest::Client,
    seed: &Seed,
) -> Result<usize, BoxError> {
    let board = seed.board;
    let pages = seed.tickets.len().div_ceil(100).clamp(1, 5);
    let mut total = 0;
    for page in 1..=pages {
        let body = client
            .get(format!(
                "{base}/api/tickets?board_id={board}&page={page}&page_size=100"
            ))
            .send()
            .await?
            .error_for_status()?
            .bytes()
            .await?;
        total += body.len();
    }
    Ok(total / pages)
}

pub async fn list_page(
    base: &str,
    seed: &Seed,
    connections: usize,
    duration: Duration,
    client: &load::Client,
) -> LoadResult {
    let (client, base, board) = (client.clone(), base.to_owned(), seed.board);
    let pages = seed.tickets.len().div_ceil(100).max(1);
    load::run(
        "list 100 per page",
        connections,
        duration,
        move |worker, n| {
            let page = pick(worker, n, pages) + 1;
            one(client.get(format!(
                "{base}/api/tickets?board_id={board}&page={page}&page_size=100"
            )))
        },
    )
    .await
}

pub async fn create(
    base: &str,
    seed: &Seed,
    connections: usize,
    duration: Duration,
    client: &load::Client,
) -> LoadResult {
    let (client, base, board) = (client.clone(), base.to_owned(), seed.creates);
    load::run("create ticket", connections, duration, move |worker, n| {
        let body = json!({"board_id": board, "title": format!("created by {worker}/{n}"), "priority": n % 5});
        one(client.post(format!("{base}/api/tickets")).json(&body))
    })
    .await
}

/// Moves a different ticket each request; each pass over the tickets uses the next column, so
/// every move really changes the ticket's column (and writes its history and event).
pub async fn move_tickets(
    base: &str,
    seed: &Seed,
    connections: usize,
    duration: Duration,
    client: &load::Client,
    turn: Arc<AtomicUsize>,
) -> LoadResult {
    let (client, base, tickets) = (client.clone(), base.to_owned(), seed.tickets.clone());
    load::run("move ticket", connections, duration, move |_, _| {
        let k = turn.fetch_add(1, Ordering::Relaxed);
        let id = tickets[k % tickets.len()];
        let column = COLUMNS[(k / tickets.len() + 1) % COLUMNS.len()];
        one(client
            .post(format!("{base}/api/tickets/{id}/move"))
            .json(&json!({"column": column})))
    })
    .await
}

/// 80 % reads (a ticket, a page), 20 % writes (move, update, comment, claim then release; the
/// claim and the release are timed and counted as the two requests they are).
/// Each worker writes only to its own slice of the tickets, so claims never collide.
pub async fn mixed(
    base: &str,
    seed: &Seed,
    connections: usize,
    duration: Duration,
    client: &load::Client,
    turn: Arc<AtomicUsize>,
) -> LoadResult {
    let (client, base, tickets, board) = (
        client.clone(),
        base.to_owned(),
        seed.tickets.clone(),
        seed.board,
    );
    let pages = tickets.len().div_ceil(100).max(1);
    load::run(
        "mixed agent (80% reads)",
        connections,
        duration,
        move |worker, n| {
            let client = client.clone();
            let base = base.clone();
            let own = tickets[(worker
                + connections * pick(worker, n, tickets.len() / connections.max(1)))
                % tickets.len()];
            let any = tickets[pick(worker, n, tickets.len())];
            let k = turn.fetch_add(1, Ordering::Relaxed);
            async move {
                match n % 10 {
                    0..=5 => one(client.get(format!("{base}/api/tickets/{any}"))).await,
                    6 | 7 => {
                        let page = pick(worker, n, pages) + 1;
                        one(client.get(format!(
                            "{base}/api/tickets?board_id={board}&page={page}&page_size=100"
                        )))
                        .await
                    }
                    _ => match (n / 10 * 2 + n % 10) % 4 {
                        0 => {
                            let column = COLUMNS[k % COLUMNS.len()];
                            one(client
                                .post(format!("{base}/api/tickets/{own}/move"))
                                .json(&json!({"column": column})))
                            .await
                        }
                        1 => {
                            one(client
                                .put(format!("{base}/api/tickets/{own}"))
                                .json(&json!({"priority": k % 100})))
                            .await
                        }
                        2 => {
                            one(client
                                .post(format!("{base}/api/comments"))
                                .json(&json!({"ticket_id": own, "text": "progress note"})))
                            .await
                        }
                        _ => claim_then_release(&client, &base, own, worker).await,
                    },
                }
            }
        },
    )
    .await
}

/// Claims a ticket of the connection's own and releases it again (each request counted): for
/// profiling the claim path.
pub async fn claim_release(
    base: &str,
    seed: &Seed,
    connections: usize,
    duration: Duration,
    client: &load::Client,
) -> LoadResult {
    let (client, base, tickets) = (client.clone(), base.to_owned(), seed.tickets.clone());
    load::run(
        "claim then release",
        connections,
        duration,
        move |worker, _| {
            let own = tickets[worker % tickets.len()];
            let (client, base) = (client.clone(), base.clone());
            async move { claim_then_release(&client, &base, own, worker).await }
        },
    )
    .await
}

/// Claims `ticket` for `agent-{worker}`, then releases it: two requests, each timed and checked
/// on its own.
async fn claim_then_release(
    client: &load::Client,
    base: &str,
    ticket: i64,
    worker: usize,
) -> Vec<Answered> {
    let claimed = load::send(client.post(format!(
        "{base}/api/tickets/{ticket}/claim?agent_id=agent-{worker}"
    )))
    .await;
    let released = load::send(client.post(format!("{base}/api/tickets/{ticket}/release"))).await;
    vec![claimed, released]
}
