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
