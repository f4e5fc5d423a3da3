//! The command line: `agent-kanban serve`, `agent-kanban migrate`.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "agent-kanban",
    version,
    about = "Kanban boards shared by AI agents and the people who direct them"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the REST API (the default when no command is given).
    Serve(ServeArgs),
    /// Apply pending database migrations and exit.
    Migrate(CommonArgs),
}

/// Options every command accepts.
#[derive(Debug, Clone, Default, Args)]
pub struct CommonArgs {
    /// The SQLite database: a file path, or sqlite:///relative.db, or sqlite:////absolute.db.
    #[arg(long, value_name = "URL")]
    pub database_url: Option<String>,
    /// The directory holding default.toml and <KANBAN_ENV>.toml.
    #[arg(long = "config", value_name = "DIR")]
    pub config_dir: Option<PathBuf>,
}

#[derive(Debug, Clone, Default, Args)]
pub struct ServeArgs {
    /// The address to listen on.
    #[arg(long)]
    pub host: Option<String>,
    /// The port to listen on.
    #[arg(long)]
    pub port: Option<u16>,
    #[command(flatten)]
    pub common: CommonArgs,
}
