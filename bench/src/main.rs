//! `kanban-bench`: the in-repository load generator behind `make bench`.
//!
//! It measures two ceilings of this machine (a trivial HTTP handler; single-row SQLite commits with
//! the server's pragmas), then starts the release server (`target/release/agent-kanban`) on a fresh
//! database, seeds a board with 1,000 tickets through the API, and drives each workload for a fixed
//! duration at 1, 32 and 256 connections, and the WebSocket fan-out. It prints a table, each
//! workload as a ratio of its ceiling, and the targets met or missed, and writes
//! `target/bench/report.json`. Figures are from one run on a shared machine: compare them within
//! the run.
//!
//! Then (not with `--quick`; alone with `--growth`) the growth section: creates and moves with
//! 1,000,000 tickets in the database against the same with 1,000, and page 1 against page 1,000
//! of a 100,000-ticket board (`growth`, on a database grown in SQL by `bigdb`).

mod bigdb;
mod ceilings;
mod fanout;
mod growth;
mod load;
mod paging;
mod server;
mod stats;
mod workloads;

use clap::{Parser, Subcommand};
use load::LoadResult;
use server::Server;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicUsize;
use std::time::Duration;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

const CONNECTIONS: [usize; 3] = [1, 32, 256];
/// Rounds of the growth section (one with `--quick --growth`), and the seconds of each run in
/// them: more, shorter runs than the normal workloads, so the median round resists the noise of
/// a shared machine.
const GROWTH_ROUNDS: usize = 5;
const GROWTH_SECONDS: f64 = 3.0;

#[derive(Debug, Parser)]
#[command(
    name = "kanban-bench",
    about = "Measure a release build of agent-kanban"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// The server binary to measure.
    #[arg(long, default_value = "target/release/agent-kanban")]
    server: PathBuf,
    /// Shorter runs: finishes in under two minutes; figures are noisier. Leaves out the growth
    /// section.
    #[arg(long)]
    quick: bool,
    /// Run only the growth section (1,000,000 tickets; page 1 against page 1,000), which a full
    /// run does after the other workloads.
    #[arg(long)]
    growth: bool,
    /// Where to write the JSON report.
    #[arg(long, default_value = "target/bench/report.json")]
    report: PathBuf,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve `GET /` → `ok` (the HTTP ceiling's server; started by the benchmark itself).
    ServeTrivial {
        #[arg(long)]
        port: u16,
    },
    /// Grow a migrated database (`agent-kanban migrate --database-url FILE`), with no server on
    /// it, to this many tickets the way the growth section does: to profile queries against.
    Grow {
        #[arg(long)]
        database: PathBuf,
        #[arg(long, default_value_t = 1_000_000)]
        tickets: i64,
    },
    /// Start the server, seed it like `make bench`, print its process id, wait `--delay`
    /// seconds (time to attach `perf record -p PID`), then drive one workload: to profile it.
    /// Several, comma-separated, run one after the other on the same server (`create,move`: the
    /// moves on the database the creates grew, as in a full run).
    Profile {
        /// `health`, `ticket`, `list`, `create`, `move`, `mixed`, or `claim` (a claim then a
        /// release of the connection's own ticket); `ceiling` (the trivial handler) or
        /// `ceiling-page` (the trivial handler sending a list page's bytes), for ratios.
        #[arg(long, value_delimiter = ',', required = true)]
        workload: Vec<String>,
        #[arg(long, default_value_t = 32)]
        connections: usize,
        #[arg(long, default_value_t = 10.0)]
        seconds: f64,
        #[arg(long, default_value_t = 2.0)]
        delay: f64,
        /// First grow the server's database to this many tickets, as the growth section does
        /// (the seeded board of 1,000 comes on top): to profile the workload on a large database.
        #[arg(long, default_value_t = 0)]
        grow: i64,
    },
}

fn main() -> Result<(), BoxError> {
    let cli = Cli::parse();
    match &cli.command {
        Some(Command::ServeTrivial { port }) => return Ok(ceilings::serve_trivial(*port)?),
        Some(Command::Grow { database, tickets }) => {
            let grown = bigdb::grow(database, *tickets, server::ADMIN)?;
            println!("{grown:?}");
            return Ok(());
        }
        Some(Command::Profile { .. }) | None => {}
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    match &cli.command {
        Some(Command::Profile {
            workload,
            connections,
            seconds,
            delay,
            grow,
        }) => runtime.block_on(profile(
            &cli.server,
            workload,
            *connections,
            Duration::from_secs_f64(*seconds),
            Duration::from_secs_f64(*delay),
            *grow,
        )),
        _ => runtime.block_on(run(&cli)),
    }
}

/// The `profile` subcommand: one workload against a seeded server, after a pause in which a
/// profiler can attach to the printed process id.
async fn profile(
    binary: &std::path::Path,
    workloads: &[String],
    connections: usize,
    duration: Duration,
    delay: Duration,
    grow: i64,
) -> Result<(), BoxError> {
    const KNOWN: [&str; 9] = [
        "health",
        "ticket",
        "list",
        "create",
        "move",
        "mixed",
        "claim",
        "ceiling",
        "ceiling-page",
    ];
    if let Some(unknown) = workloads.iter().find(|w| !KNOWN.contains(&w.as_str())) {
        return Err(format!("unknown workload {unknown:?}: one of {}", KNOWN.join(", ")).into());
    }
    let mut server = Server::start(binary).await?;
    server.sign_in().await?;
    if grow > 0 {
        tokio::task::block_in_place(|| server.stop())?;
        let database = server.database();
        let grown =
            tokio::task::spawn_blocking(move || bigdb::grow(&database, grow, server::ADMIN))
                .await??;
        println!("grew {} tickets", grown.tickets_added);
        server.restart().await?;
    }
    let http = server.client()?;
    let seed = workloads::seed(&server.base, &http, 1000).await?;
    let http = server.load_client();
    let trivial = if workloads.iter().any(|w| w.starts_with("ceiling")) {
        Some(Server::start_trivial().await?)
    } else {
        None
    };
    let page_bytes = if workloads.iter().any(|w| w == "ceiling-page") {
        workloads::page_bytes(&server.base, &server.client()?, &seed).await?
    } else {
        0
    };
    println!("server pid {}", server.pid());
    tokio::time::sleep(delay).await;
    let base = server.base.clone();
    let turn = Arc::new(AtomicUsize::new(0));
    for workload in workloads {
        let turn = turn.clone();
        let load: std::pin::Pin<Box<dyn Future<Output = LoadResult>>> = match workload.as_str() {
            "health" => Box::pin(workloads::get(
                "GET /health",
                format!("{base}/health"),
                connections,
                duration,
                &http,
            )),
            "ticket" => Box::pin(workloads::get_ticket(
                &base,
                &seed,
                connections,
                duration,
                &http,
            )),
            "list" => Box::pin(workloads::list_page(
                &base,
                &seed,
                connections,
                duration,
                &http,
            )),
            "create" => Box::pin(workloads::create(
                &base,
                &seed,
                connections,
                duration,
                &http,
            )),
            "move" => Box::pin(workloads::move_tickets(
                &base,
                &seed,
                connections,
                duration,
                &http,
                turn,
            )),
            "mixed" => Box::pin(workloads::mixed(
                &base,
                &seed,
                connections,
                duration,
                &http,
                turn,
            )),
            "claim" => Box::pin(workloads::claim_release(
                &base,
                &seed,
                connections,
                duration,
                &http,
            )),
            "ceiling" | "ceiling-page" => {
                let Some(trivial) = &trivial else {
                    return Err("the trivial server did not start".into());
                };
                if workload == "ceiling" {
                    trivial_ceiling(trivial, connections, duration).await;
                } else {
                    trivial_sized(trivial, page_bytes, connections, duration).await;
                }
                continue;
            }
            other => return Err(format!("unknown workload {other:?}").into()),
        };
        measured(&server, load).await;
    }
    Ok(())
}

/// The trivial handler's requests a second when each answer is `bytes` long: what sending a page
/// costs on its own, for reference next to the list workload.
async fn trivial_sized(
    trivial: &Server,
    bytes: usize,
    connections: usize,
    duration: Duration,
) -> LoadResult {
    let url = format!("{}/bytes/{bytes}", trivial.base);
    let load = trivial.load_client();
    let name = format!("reference: trivial {bytes} B");
    let workload = workloads::get(&name, url, connections, duration, &load);
    measured(trivial, workload).await
}

/// The trivial handler's requests a second at `connections` (the HTTP ceiling), with its row.
async fn trivial_ceiling(trivial: &Server, connections: usize, duration: Duration) -> LoadResult {
    let url = format!("{}/", trivial.base);
    let load = trivial.load_client();
    let workload = workloads::get("ceiling: trivial GET /", url, connections, duration, &load);
    measured(trivial, workload).await
}

/// Runs one workload, adding the server's CPU and memory over the run, and prints its row.
async fn measured<F: Future<Output = LoadResult>>(server: &Server, workload: F) -> LoadResult {
    let result = measure(server, workload).await;
    println!("{}", result.row());
    result
}

/// Runs one workload, adding the server's CPU and memory over the run.
async fn measure<F: Future<Output = LoadResult>>(server: &Server, workload: F) -> LoadResult {
    let ticks = server.cpu_ticks();
    let mut result = workload.await;
    #[expect(clippy::cast_precision_loss, reason = "tick counts fit an f64")]
    let cpu_seconds = (server.cpu_ticks() - ticks) as f64 / 100.0;
    result.server_cpu_percent = cpu_seconds / result.seconds * 100.0;
    #[expect(clippy::cast_precision_loss, reason = "memory sizes fit an f64")]
    let rss = server.rss_kb() as f64 / 1024.0;
    result.server_rss_mb = rss;
    result
}

async fn run(cli: &Cli) -> Result<(), BoxError> {
    let duration = Duration::from_secs_f64(if cli.quick { 1.5 } else { 5.0 });
    let mut report = serde_json::json!({
        "date": server::today(),
        "quick": cli.quick,
        "seconds_per_run": duration.as_secs_f64(),
    });
    let mut verdicts = Vec::new();
    let mut failed = None;
    if !cli.growth {
        let (fields, lines) = normal(cli, duration).await?;
        for (key, value) in fields {
            report[key] = value;
        }
        verdicts.extend(lines);
    }
    if cli.growth || !cli.quick {
        let (rounds, seconds) = if cli.quick {
            (1, duration.as_secs_f64())
        } else {
            (GROWTH_ROUNDS, GROWTH_SECONDS)
        };
        // A failed growth section still leaves the other figures in the report.
        match growth::run(&cli.server, Duration::from_secs_f64(seconds), rounds).await {
            Ok(growth) => {
                verdicts.extend(growth.verdicts.iter().cloned());
                report["growth"] = serde_json::to_value(&growth)?;
            }
            Err(error) => {
                verdicts.push(format!("growth: not measured: {error}"));
                report["growth"] = serde_json::json!({"error": error.to_string()});
                failed = Some(error);
            }
        }
    }
    println!("== against the ceilings and targets");
    for line in &verdicts {
        println!("{line}");
    }
    report["verdicts"] = serde_json::json!(verdicts);
    if let Some(dir) = cli.report.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(&cli.report, serde_json::to_string_pretty(&report)?)?;
    println!("report: {}", cli.report.display());
    failed.map_or(Ok(()), Err)
}

/// The ceilings, the workloads on a board of 1,000 tickets and the WebSocket fan-out: the
/// report's fields and the verdict lines.
async fn normal(
    cli: &Cli,
    duration: Duration,
) -> Result<(serde_json::Map<String, serde_json::Value>, Vec<String>), BoxError> {
    println!("== ceilings of this machine");
    let mut http_ceiling = BTreeMap::new();
    {
        let trivial = Server::start_trivial().await?;
        for connections in CONNECTIONS {
            let result = trivial_ceiling(&trivial, connections, duration).await;
            http_ceiling.insert(connections, result);
        }
    }
    let sqlite_ceiling =
        tokio::task::spawn_blocking(move || ceilings::sqlite_commits_per_second(duration))
            .await??;
    println!(
        "ceiling: single-row SQLite commits (WAL, synchronous=NORMAL): {sqlite_ceiling:.0} commits/s"
    );

    let mut server = Server::start(&cli.server).await?;
    server.sign_in().await?;
    // Idle: started, one login done (the password hash's working memory is allocated), no load.
    let idle_rss_kb = server.rss_kb();
    let http = server.client()?;
    println!("== seeding a board with 1,000 tickets through the API");
    let seed = workloads::seed(&server.base, &http, 1000).await?;
    let page_bytes = workloads::page_bytes(&server.base, &http, &seed).await?;
    let load = server.load_client();
    let mut results: Vec<LoadResult> = Vec::new();
    let moves = Arc::new(AtomicUsize::new(0));
    let mixed_turn = Arc::new(AtomicUsize::new(0));
    for connections in CONNECTIONS {
        println!("== {connections} connection(s)");
        let base = server.base.clone();
        results.push(
            measured(
                &server,
                workloads::get(
                    "GET /health",
                    format!("{base}/health"),
                    connections,
                    duration,
                    &load,
                ),
            )
            .await,
        );
        results.push(
            measured(
                &server,
                workloads::get_ticket(&base, &seed, connections, duration, &load),
            )
            .await,
        );
        results.push(
            measured(
                &server,
                workloads::list_page(&base, &seed, connections, duration, &load),
            )
            .await,
        );
        results.push(
            measured(
                &server,
                workloads::create(&base, &seed, connections, duration, &load),
            )
            .await,
        );
        results.push(
            measured(
                &server,
                workloads::move_tickets(&base, &seed, connections, duration, &load, moves.clone()),
            )
            .await,
        );
        results.push(
            measured(
                &server,
                workloads::mixed(
                    &base,
                    &seed,
                    connections,
                    duration,
                    &load,
                    mixed_turn.clone(),
                ),
            )
            .await,
        );
    }

    println!("== WebSocket fan-out");
    let fanout_moves = if cli.quick { 20 } else { 100 };
    let mut fanouts = Vec::new();
    for subscribers in [100, 1000] {
        let result = fanout::run(&server, subscribers, fanout_moves).await?;
        println!("{}", result.row());
        fanouts.push(result);
    }
    let peak_rss_kb = server.peak_rss_kb();
    // After the run, with every connection closed: what the load left behind.
    let after_rss_kb = server.rss_kb();
    drop(server);

    // The first ceiling run can be disturbed by start-up; measure again and keep the better.
    let page_sized = {
        let trivial = Server::start_trivial().await?;
        for connections in CONNECTIONS {
            let again = trivial_ceiling(&trivial, connections, duration).await;
            if http_ceiling
                .get(&connections)
                .is_none_or(|first| again.requests_per_second > first.requests_per_second)
            {
                http_ceiling.insert(connections, again);
            }
        }
        trivial_sized(&trivial, page_bytes, 32, duration).await
    };

    let verdicts = targets(
        &results,
        &http_ceiling,
        &page_sized,
        sqlite_ceiling,
        &fanouts,
        Memory {
            idle_kb: idle_rss_kb,
            peak_kb: peak_rss_kb,
            after_kb: after_rss_kb,
        },
    );
    let serde_json::Value::Object(fields) = serde_json::json!({
        "ceilings": {
            "http": http_ceiling.values().collect::<Vec<_>>(),
            "sqlite_commits_per_second": sqlite_ceiling,
            "http_page_sized": page_sized,
        },
        "workloads": results,
        "ws_fanout": fanouts,
        "server_peak_rss_kb": peak_rss_kb,
        "server_idle_rss_kb": idle_rss_kb,
        "server_rss_after_run_kb": after_rss_kb,
    }) else {
        return Err("the report is an object".into());
    };
    Ok((fields, verdicts))
}

/// The server's resident memory: idle after start and one login, the peak of the run, and after
/// the run once every connection has closed.
struct Memory {
    idle_kb: u64,
    peak_kb: u64,
    after_kb: u64,
}

/// Each workload as a ratio of its ceiling, and the targets of the performance issue.
fn targets(
    results: &[LoadResult],
    http_ceiling: &BTreeMap<usize, LoadResult>,
    page_sized: &LoadResult,
    sqlite_ceiling: f64,
    fanouts: &[fanout::FanoutResult],
    memory: Memory,
) -> Vec<String> {
    let mut lines = Vec::new();
    let verdict = |ok: bool| if ok { "met" } else { "MISSED" };
    for result in results {
        let Some(ceiling) = http_ceiling.get(&result.connections) else {
            continue;
        };
        let writes = matches!(result.workload.as_str(), "create ticket" | "move ticket");
        let bound = if writes {
            ceiling.requests_per_second.min(sqlite_ceiling)
        } else {
            ceiling.requests_per_second
        };
        let ratio = result.requests_per_second / bound;
        let mut line = format!(
            "{:<28} {:>4} conn: {:>5.1}% of its ceiling ({:.0} req/s)",
            result.workload,
            result.connections,
            ratio * 100.0,
            bound
        );
        if result.connections == 32
            && matches!(
                result.workload.as_str(),
                "GET /api/tickets/{id}" | "list 100 per page" | "create ticket" | "move ticket"
            )
        {
            line.push_str(&format!("  [target >= 50%: {}]", verdict(ratio >= 0.5)));
        }
        if result.connections == 32 && result.workload == "list 100 per page" {
            // Sending a page is most of its cost: the trivial handler's own share with an
            // answer as large, for reference (not a target).
            line.push_str(&format!(
                "  (the trivial handler sending as many bytes: {:.1}%)",
                page_sized.requests_per_second / bound * 100.0
            ));
        }
        if result.connections == 256 {
            if let (Some(read_latency), Some(write_latency)) = (result.reads, result.writes) {
                // Both kinds in one workload: each against its own limit.
                let ok =
                    result.errors == 0 && read_latency.p99_ms < 25.0 && write_latency.p99_ms < 50.0;
                line.push_str(&format!(
                    "  [target no errors, p99 < 25 ms for reads ({:.1}), < 50 ms for writes ({:.1}): {}]",
                    read_latency.p99_ms,
                    write_latency.p99_ms,
                    verdict(ok)
                ));
            } else {
                let limit = if writes { 50.0 } else { 25.0 };
                let ok = result.errors == 0 && result.latency.p99_ms < limit;
                line.push_str(&format!(
                    "  [target no errors, p99 < {limit} ms: {}]",
                    verdict(ok)
                ));
            }
        }
        lines.push(line);
    }
    for fanout in fanouts {
        let ok = fanout.lost == 0 && (fanout.subscribers < 1000 || fanout.latency.p99_ms < 50.0);
        lines.push(format!(
            "ws fan-out to {:>4}: lost {}, p99 {:.1} ms  [target all delivered{}: {}]",
            fanout.subscribers,
            fanout.lost,
            fanout.latency.p99_ms,
            if fanout.subscribers >= 1000 {
                ", p99 < 50 ms"
            } else {
                ""
            },
            verdict(ok)
        ));
    }
    #[expect(clippy::cast_precision_loss, reason = "memory sizes fit an f64")]
    let mb = |kb: u64| kb as f64 / 1024.0;
    let idle_mb = mb(memory.idle_kb);
    lines.push(format!(
        "server idle RSS {idle_mb:.1} MB (started, one login, no load)  [target < 40 MB: {}]",
        verdict(idle_mb < 40.0)
    ));
    let peak_mb = mb(memory.peak_kb);
    lines.push(format!(
        "server peak RSS {peak_mb:.1} MB (256 connections, 1,100 WebSocket subscribers at most)  [target < 150 MB: {}]",
        verdict(peak_mb < 150.0)
    ));
    lines.push(format!(
        "server RSS after the run {:.1} MB (every connection closed)",
        mb(memory.after_kb)
    ));
    lines
}
