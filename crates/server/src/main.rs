//! `agent-kanban`: the server binary. Reads the configuration, sets up tracing, opens and
//! migrates the database, wires the storage adapters into the domain services and the HTTP API,
//! and serves until SIGINT or SIGTERM, then finishes in-flight requests and checkpoints the WAL.
//! Its `users` commands manage accounts directly in the database; `backup`, `restore`, `check`,
//! `optimize`, `tokens purge` and `events prune` look after it.
//!
//! This is the only crate that reads configuration files and environment variables; the others
//! take plain structs.

mod backup;
#[cfg(test)]
mod backup_tests;
mod cli;
mod lists;
mod maintenance;
mod restore;
mod secret;
mod serve;
mod settings;
mod telemetry;
mod users;

use clap::Parser;
use cli::{Cli, Command, EventsCommand, ServeArgs, TokensCommand};
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let env: std::collections::HashMap<String, String> = std::env::vars().collect();
    let outcome = match cli
        .command
        .unwrap_or_else(|| Command::Serve(ServeArgs::default()))
    {
        Command::Serve(args) => serve::serve(&args, &env),
        Command::Migrate(args) => serve::migrate(&args, &env),
        Command::Users(command) => users::run(&command, &env),
        Command::Backup(args) => backup::run(&args, &env),
        Command::Restore(args) => restore::run(&args, &env),
        Command::Check(args) => maintenance::check(&args, &env),
        Command::Optimize(args) => maintenance::optimize(&args, &env),
        Command::Tokens(TokensCommand::Purge(args)) => maintenance::purge_tokens(&args, &env),
        Command::Events(EventsCommand::Prune(args)) => maintenance::prune_events(&args, &env),
    };
    let code = match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            let message = with_causes(&error);
            tracing::error!(error = %message, "agent-kanban stopped with an error");
            eprintln!("agent-kanban: {message}");
            ExitCode::FAILURE
        }
    };
    telemetry::flush();
    code
}

/// `error: cause: deeper cause`, so an operator sees why, not only what.
pub(crate) fn with_causes(error: &dyn std::error::Error) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !message.ends_with(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        source = cause.source();
    }
    message
}
