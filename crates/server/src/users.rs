//! `agent-kanban users …`: account administration from the command line, straight on the
//! database (the operator already has access to it), so it works with the server running or
//! not, and can create the first admin without exposing registration.

use crate::cli::{CommonArgs, CreateUserArgs, UsersCommand};
use crate::serve::{RunError, load, open_store, services};
use crate::settings::Overrides;
use kanban_domain::page::PageRequest;
use kanban_domain::services::{Registration, Services, UserAdminUpdate};
use kanban_domain::time::format_timestamp;
use kanban_domain::values::{Email, Password, Username};
use kanban_domain::{FieldError, User};
use std::collections::HashMap;

/// The variable a password can be given in, for scripts.
const PASSWORD_VARIABLE: &str = "KANBAN_PASSWORD";

fn open(common: &CommonArgs, env: &HashMap<String, String>) -> Result<Services, RunError> {
    let settings = load(common, Overrides::default(), env)?;
    let store = open_store(&settings)?;
    services(&store, &settings)
}

fn invalid(error: &FieldError) -> RunError {
    RunError::Usage(format!("--{}: {}", error.field, error.message))
}

fn username(raw: &str) -> Result<Username, RunError> {
    Username::parse("username", raw).map_err(|e| invalid(&e))
}

/// `KANBAN_PASSWORD`, else asked twice on the terminal without echo.
fn password(env: &HashMap<String, String>) -> Result<Password, RunError> {
    let raw = match env.get(PASSWORD_VARIABLE) {
        Some(raw) => raw.clone(),
        None => {
            let no_terminal = |e: std::io::Error| {
                RunError::Usage(format!(
                    "cannot ask for the password ({e}); set {PASSWORD_VARIABLE} instead"
                ))
            };
            let first = rpassword::prompt_password("Password: ").map_err(no_terminal)?;
            let second = rpassword::prompt_password("Password again: ").map_err(no_terminal)?;
            if first != second {
                return Err(RunError::Usage("the passwords differ".into()));
            }
            first
        }
    };
    Password::parse("password", &raw).map_err(|e| invalid(&e))
}

fn describe(user: &User) -> String {
    format!(
        "{:>5}  {:<24} {:<32} {:<7} {:<8} {}",
        user.id.get(),
        user.username.as_str(),
        user.email.as_str(),
        user.role.as_str(),
        if user.is_active { "active" } else { "inactive" },
        user.last_login
            .as_ref()
            .map_or_else(|| "never".to_owned(), format_timestamp),
    )
}

fn create(args: &CreateUserArgs, env: &HashMap<String, String>) -> Result<(), RunError> {
    let registration = Registration {
        username: username(&args.username)?,
        email: Email::parse("email", &args.email).map_err(|e| invalid(&e))?,
        password: password(env)?,
        role: Some(args.role),
    };
    let services = open(&args.common, env)?;
    let user = services
        .auth
        .create_account(&registration, args.role, false)?;
    println!("created {}", describe(&user));
    Ok(())
}

fn list(common: &CommonArgs, env: &HashMap<String, String>) -> Result<(), RunError> {
    let services = open(common, env)?;
    let admin = kanban_domain::Actor::system();
    println!(
        "{:>5}  {:<24} {:<32} {:<7} {:<8} last login",
        "id", "username", "email", "role", "state"
    );
    for number in 1.. {
        let request = PageRequest::new(number, PageRequest::MAX_PAGE_SIZE)
            .map_err(|_| RunError::Usage("page out of range".into()))?;
        let page = services.users.list(&admin, request)?;
        for user in &page.items {
            println!("{}", describe(user));
        }
        if !page.has_next {
            break;
        }
    }
    Ok(())
}

fn change(
    common: &CommonArgs,
    raw_username: &str,
    update: UserAdminUpdate,
    env: &HashMap<String, String>,
) -> Result<(), RunError> {
    let name = username(raw_username)?;
    let services = open(common, env)?;
    let user = services.users.find(&name)?;
    let user = services.users.administer_trusted(user.id, update)?;
    println!("updated {}", describe(&user));
    Ok(())
}

/// Runs one `users` command.
pub fn run(command: &UsersCommand, env: &HashMap<String, String>) -> Result<(), RunError> {
    match command {
        UsersCommand::Create(args) => create(args, env),
        UsersCommand::List(common) => list(common, env),
        UsersCommand::SetRole(args) => change(
            &args.common,
            &args.username,
            UserAdminUpdate {
                role: Some(args.role),
                is_active: None,
            },
            env,
        ),
        UsersCommand::Deactivate(args) => change(
            &args.common,
            &args.username,
            UserAdminUpdate {
                role: None,
                is_active: Some(false),
            },
            env,
        ),
        UsersCommand::Activate(args) => change(
            &args.common,
            &args.username,
            UserAdminUpdate {
                role: None,
                is_active: Some(true),
            },
            env,
        ),
    }
}
