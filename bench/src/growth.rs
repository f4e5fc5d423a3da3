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
use crate::load::{self, LoadResult};
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
    /// For signing in, seeding and the page checks.
    http: reqwest::Client,
    /// For the measured load.
    load: load::Client,
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
    /// Creates per second with 1,000,000 tickets over those with 1,000 (target ≥ 0.8).
    pub create: Comparison<LoadResult>,
    /// Moves likewise (target ≥ 0.8).
    pub moves: Comparison<LoadResult>,
    /// Median latency of page 1,000 over that of page 1, at one connection (target ≤ 2).
    pub pages: Comparison<PagePair>,
    /// Requests per second of page 1 over those of page 1,000, at 32 connections (context).
    pub pages_under_load: Comparison<LoadResult>,
    /// Every run of the rounds, in the order measured.
    pub runs: Vec<LoadResult>,
    pub verdicts: Vec<String>,
}

/// A ratio measured in every round; the round with the median ratio (the lower middle one of an
/// even count) stands for the comparison, with the figures it was computed from.
#[derive(Debug, Serialize)]
pub struct Comparison<T> {
    pub ratio: f64,
    /// Every round's ratio, in order.
    pub ratios: Vec<f64>,
    /// The median round's figures: `over` divided by `under` is `ratio` (for pages, the
    /// [`PagePair`] holds both).
    pub over: T,
    pub under: Option<T>,
}

impl Comparison<LoadResult> {
    /// Requests per second of the runs named `over` divided by those named `under`, round by
    /// round: the two were measured moments apart, so a slow spell of the machine weighs on
    /// both.
    fn of(runs: &[LoadResult], over: &str, under: &str) -> Result<Self, BoxError> {
        let named = |name: &str| {
            runs.iter()
                .filter(|r| r.workload == name)
                .collect::<Vec<_>>()
        };
        let pairs: Vec<(&LoadResult, &LoadResult)> =
            named(over).into_iter().zip(named(under)).collect();
        let ratios: Vec<f64> = pairs
            .iter()
            .map(|(a, b)| a.requests_per_second / b.requests_per_second)
            .collect();
        let (a, b) = pairs
            .get(median_index(&ratios))
            .ok_or_else(|| format!("no runs of {over} and {under}"))?;
        Ok(Self {
            ratio: a.requests_per_second / b.requests_per_second,
            ratios,
            over: (*a).clone(),
            under: Some((*b).clone()),
        })
    }
}

impl Comparison<PagePair> {
    fn of(pairs: &[PagePair]) -> Result<Self, BoxError> {
        let ratios: Vec<f64> = pairs.iter().map(|pair| pair.ratio).collect();
        let pair = pairs
            .get(median_index(&ratios))
            .ok_or("no page measurements")?;
        Ok(Self {
            ratio: pair.ratio,
            ratios,
            over: pair.clone(),
            under: None,
        })
    }
}

/// Where the median of `values` is (the lower middle one of an even count).
fn median_index(values: &[f64]) -> usize {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    order
        .get(values.len().saturating_sub(1) / 2)
        .copied()
        .unwrap_or_default()
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
    let ticket = paging::check_full(&base, board, BOARD_TICKETS, DEEP_PAGE, &large.http).await?;

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
        let pair = paging::alternate(&base, board, ticket, DEEP_PAGE, duration, &large.http).await;
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
                &large.load,
            );
            runs.push(labelled(measure(&large.server, load).await, name));
        }
    }
    tokio::task::block_in_place(|| large.server.stop())?;
    drop(small);

    let mut growth = Growth {
        rounds,
        seconds_per_run: duration.as_secs_f64(),
        connections: CONNECTIONS,
        tickets: grown.tickets_total + i64::try_from(SMALL_BOARD)?,
        boards_grown: grown.boards_added,
        seconds_to_grow: grown.seconds,
        database_mb,
        large_board_tickets: BOARD_TICKETS,
        create: Comparison::<LoadResult>::of(
            &runs,
            &label(Write::Create, LARGE),
            &label(Write::Create, SMALL),
        )?,
        moves: Comparison::<LoadResult>::of(
            &runs,
            &label(Write::Move, LARGE),
            &label(Write::Move, SMALL),
        )?,
        pages: Comparison::<PagePair>::of(&page_pairs)?,
        pages_under_load: Comparison::<LoadResult>::of(
            &runs,
            &page_label(1),
            &page_label(DEEP_PAGE),
        )?,
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
    let load = server.load_client();
    Ok(Side {
        server,
        http,
        load,
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
    let (base, seed, http) = (&side.server.base, &side.seed, &side.load);
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
    let rate = |run: Option<&LoadResult>| run.map_or(f64::NAN, |r| r.requests_per_second);
    let mut lines = Vec::new();
    for (name, comparison) in [
        ("create ticket", &growth.create),
        ("move ticket", &growth.moves),
    ] {
        lines.push(format!(
            "growth: {name:<13} {CONNECTIONS} conn: {:.0} req/s with 1,000,000 tickets, {:.0} with 1,000: ratio {:.2} (rounds {})  [target >= 0.80: {}]",
            comparison.over.requests_per_second,
            rate(comparison.under.as_ref()),
            comparison.ratio,
            rounds(&comparison.ratios),
            verdict(comparison.ratio >= 0.8)
        ));
    }
    let pages = &growth.pages;
    lines.push(format!(
        "growth: list page {DEEP_PAGE} / page 1 of {BOARD_TICKETS} tickets, 1 conn alternating: p50 {:.2} / {:.2} ms: ratio {:.2} (rounds {})  [target <= 2: {}]",
        pages.over.deep.p50_ms,
        pages.over.page_1.p50_ms,
        pages.ratio,
        rounds(&pages.ratios),
        verdict((0.5..=2.0).contains(&pages.ratio))
    ));
    let loaded = &growth.pages_under_load;
    lines.push(format!(
        "growth: list page 1 / page {DEEP_PAGE} of {BOARD_TICKETS} tickets, {CONNECTIONS} conn: {:.0} / {:.0} req/s: ratio {:.2} (rounds {}; context)",
        loaded.over.requests_per_second,
        rate(loaded.under.as_ref()),
        loaded.ratio,
        rounds(&loaded.ratios),
    ));
    lines
}
