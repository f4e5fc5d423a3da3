//! The growth section: do creates, moves and list pages stay fast when the database is large?
//!
//! Two servers run side by side: one on a fresh database holding a board of 1,000 tickets, the
//! other on a database grown to 1,000,000 tickets (in SQL while it was stopped, see `bigdb`,
//! then a board of 1,000 tickets created through the API like the first). Create and move are
//! measured at 32 connections on each server's 1,000-ticket board with the normal run's workload
//! code, in rounds that alternate which side goes first, so that a busy moment of this shared
//! machine weighs on both alike; each ratio is the median of the rounds' ratios. On the large
//! database, each round also measures page 1 and page 1,000 (the last, 100 per page) of a board of
//! 100,000 tickets: at one connection with the requests alternating between the two pages (the
//! verdict: median latencies), and each alone at 32 connections (throughput, for context).

use crate::bigdb::{self, BOARD_TICKETS};
use crate::load::LoadResult;
use crate::paging::{self, PagePair};
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
/// The page compared with page 1: the last page of the 100,000-ticket board.
const DEEP_PAGE: usize = 1_000;
const WARM_UP: Duration = Duration::from_secs(1);
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
    pub seconds_per_run: f64,
    pub connections: usize,
    /// The large database as measured (before the runs add their tickets).
    pub tickets: i64,
    pub boards_grown: usize,
    pub seconds_to_grow: f64,
    pub database_mb: f64,
    pub large_board_tickets: i64,
    /// Requests per second with 1,000,000 tickets over those with 1,000 (target ≥ 0.8): the
    /// median of the rounds' ratios.
    pub create_ratio: f64,
    pub move_ratio: f64,
    /// Median latency of page 1,000 over that of page 1 at one connection (target ≤ 2): the
    /// median of the rounds' ratios.
    pub page_ratio: f64,
    /// Requests per second at 32 connections of page 1 over those of page 1,000 (context).
    pub page_throughput_ratio: f64,
    /// The round with the median requests per second of each workload.
    pub create_small: LoadResult,
    pub create_large: LoadResult,
    pub move_small: LoadResult,
    pub move_large: LoadResult,
    pub list_page_1: LoadResult,
    pub list_page_1000: LoadResult,
    /// Each round's ratios.
    pub create_ratios: Vec<f64>,
    pub move_ratios: Vec<f64>,
    pub page_ratios: Vec<f64>,
    /// Every round, in the order measured.
    pub runs: Vec<LoadResult>,
    pub page_pairs: Vec<PagePair>,
    pub verdicts: Vec<String>,
}

/// Builds both databases, measures `rounds` rounds of `duration` per workload, and stops both
/// servers.
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
    let grown = tokio::task::spawn_blocking(move || bigdb::grow(&database, to_grow, server::ADMIN))
        .await??;
    let database_mb = file_mb(&large.database());
    println!(
        "grew {} tickets on {} boards in {:.0} s; database {database_mb:.0} MB",
        grown.tickets_added, grown.boards_added, grown.seconds
    );
    large.restart().await?;
    let mut large = side(large, LARGE).await?;
    let small = side(Server::start(binary).await?, SMALL).await?;
    let (base, board) = (large.server.base.clone(), grown.big_board);
    paging::check_full(&base, board, BOARD_TICKETS, DEEP_PAGE, &large.http).await?;

    // An unrecorded second of each write on each side first: the pools open their connections
    // and prepare their statements, and the seeding's log is checkpointed, before any figure is
    // taken.
    for side in [&small, &large] {
        for write in [Write::Create, Write::Move] {
            write_load(side, write, WARM_UP).await;
        }
    }
    let mut runs = Vec::new();
    let mut page_pairs = Vec::new();
    for round in 1..=rounds {
        println!("== growth round {round} of {rounds}");
        // Each side goes first every other round: a warming cache or a burst of other work on
        // the machine does not always fall on the same side.
        let (sides, pages) = if round % 2 == 1 {
            ([&small, &large], [1, DEEP_PAGE])
        } else {
            ([&large, &small], [DEEP_PAGE, 1])
        };
        for side in sides {
            runs.push(writes(side, Write::Create, duration).await);
            runs.push(writes(side, Write::Move, duration).await);
        }
        let pair = paging::alternate(&base, board, DEEP_PAGE, duration, &large.http).await;
        println!("{}", pair.row());
        page_pairs.push(pair);
        for page in pages {
            let name = page_label(page);
            let load = paging::one_page(
                name.clone(),
                &base,
                board,
                page,
                CONNECTIONS,
                duration,
                &large.http,
            );
            runs.push(labelled(measure(&large.server, load).await, name));
        }
    }
    tokio::task::block_in_place(|| large.server.stop())?;
    drop(small);

    let create = (label(Write::Create, LARGE), label(Write::Create, SMALL));
    let moves = (label(Write::Move, LARGE), label(Write::Move, SMALL));
    let pages = (page_label(1), page_label(DEEP_PAGE));
    let create_ratios = ratios(&runs, &create);
    let move_ratios = ratios(&runs, &moves);
    let page_ratios: Vec<f64> = page_pairs.iter().map(|pair| pair.ratio).collect();
    let mut growth = Growth {
        rounds,
        seconds_per_run: duration.as_secs_f64(),
        connections: CONNECTIONS,
        tickets: grown.tickets_total + i64::try_from(SMALL_BOARD)?,
        boards_grown: grown.boards_added,
        seconds_to_grow: grown.seconds,
        database_mb,
        large_board_tickets: BOARD_TICKETS,
        create_ratio: median(&create_ratios),
        move_ratio: median(&move_ratios),
        page_ratio: median(&page_ratios),
        page_throughput_ratio: median(&ratios(&runs, &pages)),
        create_small: median_run(&runs, &create.1)?,
        create_large: median_run(&runs, &create.0)?,
        move_small: median_run(&runs, &moves.1)?,
        move_large: median_run(&runs, &moves.0)?,
        list_page_1: median_run(&runs, &pages.0)?,
        list_page_1000: median_run(&runs, &pages.1)?,
        create_ratios,
        move_ratios,
        page_ratios,
        runs,
        page_pairs,
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

fn page_label(page: usize) -> String {
    format!("list page {page} of {BOARD_TICKETS}")
}

/// The normal run's create or move workload on `side`'s board of 1,000 tickets, labelled with
/// the side and printed.
async fn writes(side: &Side, write: Write, duration: Duration) -> LoadResult {
    labelled(
        write_load(side, write, duration).await,
        label(write, side.label),
    )
}

async fn write_load(side: &Side, write: Write, duration: Duration) -> LoadResult {
    let (base, seed, http) = (&side.server.base, &side.seed, &side.http);
    match write {
        Write::Create => {
            let workload = workloads::create(base, seed, CONNECTIONS, duration, http);
            measure(&side.server, workload).await
        }
        Write::Move => {
            let moves = side.moves.clone();
            let workload = workloads::move_tickets(base, seed, CONNECTIONS, duration, http, moves);
            measure(&side.server, workload).await
        }
    }
}

fn labelled(mut result: LoadResult, name: String) -> LoadResult {
    result.workload = name;
    println!("{}", result.row());
    result
}

/// The run of `name` with the median requests per second (the lower middle one of an even
/// count).
fn median_run(runs: &[LoadResult], name: &str) -> Result<LoadResult, BoxError> {
    let mut mine: Vec<&LoadResult> = runs.iter().filter(|r| r.workload == name).collect();
    mine.sort_by(|a, b| a.requests_per_second.total_cmp(&b.requests_per_second));
    let middle = mine.len().saturating_sub(1) / 2;
    Ok(mine
        .get(middle)
        .copied()
        .cloned()
        .ok_or_else(|| format!("no run of {name}"))?)
}

/// Requests per second of `over.0` divided by those of `over.1`, round by round: the two were
/// measured moments apart, so a slow spell of the machine weighs on both.
fn ratios(runs: &[LoadResult], over: &(String, String)) -> Vec<f64> {
    let rates = |name: &str| {
        runs.iter()
            .filter(|r| r.workload == name)
            .map(|r| r.requests_per_second)
            .collect::<Vec<_>>()
    };
    rates(&over.0)
        .into_iter()
        .zip(rates(&over.1))
        .map(|(a, b)| a / b)
        .collect()
}

/// The median (the mean of the middle two of an even count); NaN when empty.
fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    match sorted.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => sorted[n / 2],
        n => f64::midpoint(sorted[n / 2 - 1], sorted[n / 2]),
    }
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
    let rounds = |ratios: &[f64]| {
        ratios
            .iter()
            .map(|r| format!("{r:.2}"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let mut lines = Vec::new();
    for (name, small, large, ratio, each) in [
        (
            "create ticket",
            &growth.create_small,
            &growth.create_large,
            growth.create_ratio,
            &growth.create_ratios,
        ),
        (
            "move ticket",
            &growth.move_small,
            &growth.move_large,
            growth.move_ratio,
            &growth.move_ratios,
        ),
    ] {
        lines.push(format!(
            "growth: {name:<13} {CONNECTIONS} conn: {:.0} req/s with 1,000,000 tickets, {:.0} with 1,000: ratio {ratio:.2} (rounds {})  [target >= 0.80: {}]",
            large.requests_per_second,
            small.requests_per_second,
            rounds(each),
            verdict(ratio >= 0.8)
        ));
    }
    let middle = growth.page_pairs.iter().min_by(|a, b| {
        (a.ratio - growth.page_ratio)
            .abs()
            .total_cmp(&(b.ratio - growth.page_ratio).abs())
    });
    if let Some(pair) = middle {
        lines.push(format!(
            "growth: list page {DEEP_PAGE} / page 1 of {BOARD_TICKETS} tickets, 1 conn alternating: p50 {:.2} / {:.2} ms: ratio {:.2} (rounds {})  [target <= 2: {}]",
            pair.deep.p50_ms,
            pair.page_1.p50_ms,
            growth.page_ratio,
            rounds(&growth.page_ratios),
            verdict((0.5..=2.0).contains(&growth.page_ratio))
        ));
    }
    let (first, deep) = (&growth.list_page_1, &growth.list_page_1000);
    lines.push(format!(
        "growth: list page 1 / page {DEEP_PAGE} of {BOARD_TICKETS} tickets, {CONNECTIONS} conn: {:.0} / {:.0} req/s: ratio {:.2} (context)",
        first.requests_per_second, deep.requests_per_second, growth.page_throughput_ratio,
    ));
    lines
}
