//! The command line: `agent-kanban serve`, `agent-kanban migrate`, `agent-kanban users …`.

use clap::{Args, Parser, Subcommand};
use kanban_domain::Role;
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
    /// Manage user accounts directly in the database (works while the server runs).
    #[command(subcommand)]
    Users(UsersCommand),
    /// Copy the database (online, consistent) into a gzip file in --dir, with a manifest, and
    /// keep the newest --keep backups there.
    Backup(BackupArgs),
    /// Replace the database with a backup after verifying it; refuses while a server runs.
    Restore(RestoreArgs),
    /// Integrity and foreign-key checks; exits non-zero when anything is found.
    Check(CommonArgs),
    /// PRAGMA optimize, VACUUM and a WAL checkpoint (best while the server is idle).
    Optimize(CommonArgs),
    /// Refresh tokens and revoked logins.
    #[command(subcommand)]
    Tokens(TokensCommand),
    /// The event log that WebSocket clients resume from.
    #[command(subcommand)]
    Events(EventsCommand),
}

#[derive(Debug, Subcommand)]
pub enum TokensCommand {
    /// Delete expired refresh tokens and revocation records no token can need any more.
    Purge(CommonArgs),
}

#[derive(Debug, Subcommand)]
pub enum EventsCommand {
    /// Delete events older than --older-than-days (default: events.retention_days).
    Prune(PruneArgs),
}

#[derive(Debug, Clone, Args)]
pub struct PruneArgs {
    /// Days of events to keep; the configured events.retention_days when absent.
    #[arg(long, value_name = "DAYS")]
    pub older_than_days: Option<u32>,
    #[command(flatten)]
    pub common: CommonArgs,
}

#[derive(Debug, Clone, Args)]
pub struct BackupArgs {
    /// The directory of the backups (created when missing); backup.dir when absent.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// How many backups to keep in --dir, newest first; backup.keep (3) when absent.
    #[arg(long, value_name = "N")]
    pub keep: Option<usize>,
    #[command(flatten)]
    pub common: CommonArgs,
}

#[derive(Debug, Clone, Args)]
pub struct RestoreArgs {
    /// The backup: an agent_kanban-*.db.gz file written by `backup` (or a plain .db file).
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    #[command(flatten)]
    pub common: CommonArgs,
}

#[derive(Debug, Subcommand)]
pub enum UsersCommand {
    /// Create an account. The password comes from KANBAN_PASSWORD, or is asked for on the
    /// terminal.
    Create(CreateUserArgs),
    /// List every account.
    List(CommonArgs),
    /// Change an account's role (it applies to its live tokens at once).
    SetRole(SetRoleArgs),
    /// Deactivate an account and revoke all of its logins.
    Deactivate(UsernameArgs),
    /// Reactivate a deactivated account.
    Activate(UsernameArgs),
}

/// A role on the command line: admin, pm, agent or viewer.
fn role(text: &str) -> Result<Role, String> {
    text.parse()
}

#[derive(Debug, Clone, Args)]
pub struct CreateUserArgs {
    #[arg(long)]
    pub username: String,
    #[arg(long)]
    pub email: String,
    /// admin, pm, agent or viewer.
    #[arg(long, value_parser = role)]
    pub role: Role,
    #[command(flatten)]
    pub common: CommonArgs,
}

#[derive(Debug, Clone, Args)]
pub struct SetRoleArgs {
    #[arg(long)]
    pub username: String,
    /// admin, pm, agent or viewer.
    #[arg(long, value_parser = role)]
    pub role: Role,
    #[command(flatten)]
    pub common: CommonArgs,
}

#[derive(Debug, Clone, Args)]
pub struct UsernameArgs {
    #[arg(long)]
    pub username: String,
    #[command(flatten)]
    pub common: CommonArgs,
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
