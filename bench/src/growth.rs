//! The growth section: do creates, moves and list pages stay fast when the database is large?
//!
//! Two servers run side by side: one on a fresh database holding a board of 1,000 tickets, the
//! other on a database grown to 1,000,000 tickets (in SQL while it was stopped, see `bigdb`,
//! then a board of 1,000 tickets created through the API like the first). Create and move are
//! measured at 32 connections on each server's 1,000-ticket board with the normal run's workload
//! code, in alternating rounds so that a busy moment of this shared machine falls on both sides
//! alike; each figure is the median round. On the large database, page 1 and page 1,000 (the last,
//! 100 per page) of a board of 100,000 tickets are measured the same way.

use crate::bigdb::{self, BOARD_TICKETS};
use crate::load::LoadResult;
use crate::server::{self, Server};
use crate::workloads::{self, Seed};
use crate::{BoxError, measure};
use serde::Serialize;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::AtomicUsize;
use std::time::Duration;

/// Tickets in the large database while it is measured.
const TICKETS: i64 = 1_000_000;
/// Tickets of the board that creates and moves work on, on both databases.
const SMALL_BOARD: usize = 1_000;
const CONNECTIONS: usize = 32;
const PAGE_SIZE: i64 = 100;
/// The page compared with page 1: the last page of the 100,000-ticket board.
const DEEP_PAGE: usize = 1_000;
const SMALL: &str = "1,000 tickets";
const LARGE: &str = "1,000,000 tickets";

/// Creates and moves on one server.
struct Side {
    server: Server,
    http: reqwest::Client,
    seed: Seed,
    moves: Arc<AtomicUsize>,
    label: &'static str,
}

/// The growth section's figures, ratios and verdicts.
#[derive(Debug, Serialize)]
pub struct Growth {
    pub rounds: usize,
    pub connections: usize,
    /// The large database as measured.
    pub tickets: i64,
    pub boards_grown: usize,
    pub seconds_to_grow: f64,
    pub database_mb: f64,
    pub large_board_tickets: i64,
    /// The median round of each workload.
    pub create_small: LoadResult,
    pub create_large: LoadResult,
    pub move_small: LoadResult,
    pub move_large: LoadResult,
    pub list_page_1: LoadResult,
    pub list_page_1000: LoadResult,
    /// Requests per second with 1,000,000 tickets over those with 1,000 (target ≥ 0.8).
    pub create_ratio: f64,
    pub move_ratio: f64,
    /// Requests per second of page 1 over those of page 1,000 (target ≤ 2).
    pub page_ratio: f64,
    /// Every round, in the order measured.
    pub runs: Vec<LoadResult>,
    pub verdicts: Vec<String>,
}

/// Builds both databases, measures `rounds` alternating rounds of `duration` per workload, and
/// stops both servers.
///
/// # Errors
/// A server that does not start or stop, a failed seed or growth, a page that is not full.
pub async fn run(binary: &Path, duration: Duration, rounds: usize) -> Result<Growth, BoxError> {
    println!("== growth: a database of {TICKETS} tickets, grown in SQL with the server stopped");
    let mut large = Server::start(binary).await?;
    large.sign_in().await?;
    tokio::task::block_in_place(|| large.stop())?;
    let database = large.database();
    let to_grow = TICKETS - i64::try_from(SMALL_BOARD)?;
    let grown = tokio::task::spawn_blocking(move || {
        bigdb::grow(&database, to_grow, server::ADMIN)
    })
    .await??;
    let database_mb = file_mb(&large.database());
    println!(
        "grew {} tickets on {} boards in {:.0} s; database {database_mb:.0} MB",
        grown.tickets_added, grown.boards_added, grown.seconds
    );
    large.restart().await?;
    let mut large = side(large, LARGE).await?;
    let small = side(Server::start(binary).await?, SMALL).await?;
    check_pages(&large, grown.big_board).await?;

    let mut runs = Vec::new();
    for round in 1..=rounds {
        println!("== growth round {round} of {rounds}, {CONNECTIONS} connections");
        for side in [&small, &large] {
            runs.push(writes(side, Write::Create, duration).await);
            runs.push(writes(side, Write::Move, duration).await);
        }
        for page in [1, DEEP_PAGE] {
            let workload = workloads::list_one_page(
                &large.server.base,
                grown.big_board,
                page,
                CONNECTIONS,
                duration,
                &large.http,
            );
            let name = format!("list page {page} of {BOARD_TICKETS}");
            runs.push(labelled(measure(&large.server, workload).await, name));
        }
    }
    tokio::task::block_in_place(|| large.server.stop())?;
    drop(small);

    let median = |name: String| median_of(&runs, &name);
    let create_small = median(label(Write::Create, SMALL))?;
    let create_large = median(label(Write::Create, LARGE))?;
    let move_small = median(label(Write::Move, SMALL))?;
    let move_large = median(label(Write::Move, LARGE))?;
    let list_page_1 = median(format!("list page 1 of {BOARD_TICKETS}"))?;
    let list_page_1000 = median(format!("list page {DEEP_PAGE} of {BOARD_TICKETS}"))?;
    let ratio = |a: &LoadResult, b: &LoadResult| a.requests_per_second / b.requests_per_second;
    let mut growth = Growth {
        rounds,
        connections: CONNECTIONS,
        tickets: grown.tickets_total,
        boards_grown: grown.boards_added,
        seconds_to_grow: grown.seconds,
        database_mb,
        large_board_tickets: BOARD_TICKETS,
        create_ratio: ratio(&create_large, &create_small),
        move_ratio: ratio(&move_large, &move_small),
        page_ratio: ratio(&list_page_1, &list_page_1000),
        create_small,
        create_large,
        move_small,
        move_large,
        list_page_1,
        list_page_1000,
        runs,
        verdicts: Vec::new(),
    };
    growth.verdicts = verdicts(&growth);
    Ok(growth)
}

/// Signs in (on a fresh database) or reuses the login of a restart, and seeds the board of
/// 1,000 tickets through the API.
async fn side(mut server: Server, label: &'static str) -> Result<Side, BoxError> {
    if server.token.is_empty() {
        server.sign_in().await?;
    }
    let http = server.client()?;
    println!("== growth: seeding a board with {SMALL_BOARD} tickets through the API ({label})");
    let seed = workloads::seed(&server.base, &http, SMALL_BOARD).await?;
    Ok(Side {
        server,
        http,
        seed,
        moves: Arc::new(AtomicUsize::new(0)),
        label,
    })
}

/// Page 1 and the deep page of the large board are full pages of a 100,000-ticket board, so the
/// comparison is between equal amounts of work to send.
async fn check_pages(large: &Side, board: i64) -> Result<(), BoxError> {
    for page in [1, DEEP_PAGE] {
        let url = format!(
            "{}/api/tickets?board_id={board}&page={page}&page_size={PAGE_SIZE}",
            large.server.base
        );
        let body: serde_json::Value = large.http.get(url).send().await?.json().await?;
        let items = body["items"].as_array().map_or(0, Vec::len);
        if body["total"].as_i64() != Some(BOARD_TICKETS) || items != 100 {
            return Err(format!("page {page} of the large board: {body:.200}").into());
        }
    }
    Ok(())
}

#[derive(Debug, Clone, Copy)]
enum Write {
    Create,
    Move,
}

fn label(write: Write, side: &str) -> String {
    match write {
        Write::Create => format!("create, {side}"),
        Write::Move => format!("move, {side}"),
    }
}

/// The normal run's create or move workload on `side`'s board of 1,000 tickets.
async fn writes(side: &Side, write: Write, duration: Duration) -> LoadResult {
    let (base, seed, http) = (&side.server.base, &side.seed, &side.http);
    let result = match write {
        Write::Create => {
            let workload = workloads::create(base, seed, CONNECTIONS, duration, http);
            measure(&side.server, workload).await
        }
        Write::Move => {
            let moves = side.moves.clone();
            let workload =
                workloads::move_tickets(base, seed, CONNECTIONS, duration, http, moves);
            measure(&side.server, workload).await
        }
    };
    labelled(result, label(write, side.label))
}

fn labelled(mut result: LoadResult, name: String) -> LoadResult {
    result.workload = name;
    println!("{}", result.row());
    result
}

/// The round with the median requests per second (the lower middle one of an even count).
fn median_of(runs: &[LoadResult], name: &str) -> Result<LoadResult, BoxError> {
    let mut mine: Vec<&LoadResult> = runs.iter().filter(|r| r.workload == name).collect();
    mine.sort_by(|a, b| a.requests_per_second.total_cmp(&b.requests_per_second));
    let middle = mine.len().saturating_sub(1) / 2;
    Ok(mine
        .get(middle)
        .copied()
        .cloned()
        .ok_or_else(|| format!("no run of {name}"))?)
}

fn file_mb(database: &Path) -> f64 {
    let size = |path: &Path| std::fs::metadata(path).map_or(0, |m| m.len());
    let mut wal = database.as_os_str().to_owned();
    wal.push("-wal");
    #[expect(clippy::cast_precision_loss, reason = "file sizes fit an f64")]
    let mb = (size(database) + size(Path::new(&wal))) as f64 / 1_048_576.0;
    mb
}

fn verdicts(growth: &Growth) -> Vec<String> {
    let verdict = |ok: bool| if ok { "met" } else { "MISSED" };
    let mut lines = Vec::new();
    for (name, small, large, ratio) in [
        (
            "create ticket",
            &growth.create_small,
            &growth.create_large,
            growth.create_ratio,
        ),
        (
            "move ticket",
            &growth.move_small,
            &growth.move_large,
            growth.move_ratio,
        ),
    ] {
        lines.push(format!(
            "growth: {name:<13} {CONNECTIONS} conn: {:.0} req/s with 1,000,000 tickets vs {:.0} with 1,000 = {:.2}  [target within 20 %: {}]",
            large.requests_per_second,
            small.requests_per_second,
            ratio,
            verdict(ratio >= 0.8)
        ));
    }
    let (first, deep) = (&growth.list_page_1, &growth.list_page_1000);
    lines.push(format!(
        "growth: list page 1 vs page {DEEP_PAGE} of {BOARD_TICKETS} tickets, {CONNECTIONS} conn: {:.0} vs {:.0} req/s (p50 {:.1} vs {:.1} ms) = {:.2}x  [target within 2x: {}]",
        first.requests_per_second,
        deep.requests_per_second,
        first.latency.p50_ms,
        deep.latency.p50_ms,
        growth.page_ratio,
        verdict((0.5..=2.0).contains(&growth.page_ratio))
    ));
    lines
}
