//! `kanban-bench`: the in-repository load generator behind `make bench`.
//!
//! It starts the release server (`target/release/agent-kanban`) on a fresh temporary database,
//! drives workloads against it over loopback, and prints a table plus `target/bench/report.json`.
//! Figures are medians and percentiles of one run on a shared machine: compare them within a run.

mod fanout;
mod server;
mod stats;

use clap::Parser;
use std::path::PathBuf;
use std::time::Duration;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

#[derive(Debug, Parser)]
#[command(
    name = "kanban-bench",
    about = "Measure a release build of agent-kanban"
)]
struct Cli {
    /// The server binary to measure.
    #[arg(long, default_value = "target/release/agent-kanban")]
    server: PathBuf,
    /// Shorter runs (for a quick check; figures are noisier).
    #[arg(long)]
    quick: bool,
    /// Where to write the JSON report.
    #[arg(long, default_value = "target/bench/report.json")]
    report: PathBuf,
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> Result<(), BoxError> {
    let cli = Cli::parse();
    let server = server::Server::start(&cli.server).await?;
    let moves = if cli.quick { 20 } else { 100 };
    let mut results = Vec::new();
    for subscribers in [100, 1000] {
        let result = fanout::run(&server, subscribers, moves).await?;
        println!("{}", result.row());
        results.push(result);
        // Let the server close the previous sockets before the next round.
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let peak_rss_kb = server.peak_rss_kb();
    println!("server peak RSS: {:.1} MB", peak_rss_kb as f64 / 1024.0);
    let report = serde_json::json!({
        "date": server::today(),
        "quick": cli.quick,
        "server_peak_rss_kb": peak_rss_kb,
        "ws_fanout": results,
    });
    if let Some(dir) = cli.report.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(&cli.report, serde_json::to_string_pretty(&report)?)?;
    println!("report: {}", cli.report.display());
    Ok(())
}
