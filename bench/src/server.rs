//! A server under test, run as a child process on a free loopback port: the release binary on a
//! fresh database, or this binary's trivial server for the HTTP ceiling.

use crate::BoxError;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Server {
    child: Child,
    pub base: String,
    pub ws: String,
    /// An admin's access token, once [`Server::sign_in`] has run.
    pub token: String,
    /// How to start `agent-kanban serve` again on the same database (`None` for the trivial
    /// server).
    launch: Option<Launch>,
    dir: tempfile::TempDir,
}

/// What a restart of the real server needs: the binary and the signing key of the first start
/// (so the database and the tokens it issued stay valid).
struct Launch {
    binary: PathBuf,
    secret: String,
}

const DATABASE_FILE: &str = "bench.db";
/// The bench's admin account (the first account of the fresh database).
pub const ADMIN: &str = "bench";
const PASSWORD: &str = "Bench-pass-1";

impl Server {
    /// `agent-kanban serve` on a fresh database.
    pub async fn start(binary: &Path) -> Result<Self, BoxError> {
        if !binary.exists() {
            return Err(format!(
                "{} not found: build it with `cargo build --release -p agent-kanban`",
                binary.display()
            )
            .into());
        }
        let dir = tempfile::tempdir()?;
        let port = free_port()?;
        let launch = Launch {
            binary: binary.to_owned(),
            // Production needs a signing key; a fresh one per run.
            secret: format!("bench-{}-{}", std::process::id(), port).repeat(4),
        };
        let command = launch.command(port, &dir.path().join(DATABASE_FILE));
        let mut server = Self::spawn(command, port, dir).await?;
        server.launch = Some(launch);
        Ok(server)
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The server's SQLite file.
    pub fn database(&self) -> PathBuf {
        self.dir.path().join(DATABASE_FILE)
    }

    /// Stops the server as an operator would (SIGTERM: it finishes what is in flight and
    /// checkpoints the WAL) and waits for it to exit; killed if it takes over a minute.
    pub fn stop(&mut self) -> Result<(), BoxError> {
        let pid = self.child.id().to_string();
        let signalled = Command::new("kill").args(["-TERM", &pid]).status()?;
        if !signalled.success() {
            return Err(format!("kill -TERM {pid} failed").into());
        }
        let deadline = Instant::now() + Duration::from_secs(60);
        while self.child.try_wait()?.is_none() {
            if Instant::now() > deadline {
                self.child.kill()?;
                self.child.wait()?;
                return Err("the server did not stop within 60 s of SIGTERM".into());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(())
    }

    /// Starts `agent-kanban serve` again on the same database (after [`Server::stop`]), on a
    /// new port, and logs the admin in again.
    pub async fn restart(&mut self) -> Result<(), BoxError> {
        let launch = self
            .launch
            .as_ref()
            .ok_or("only the real server restarts")?;
        let port = free_port()?;
        let command = launch.command(port, &self.database());
        // The old process has exited; `spawn` waits for the new one to answer.
        self.child = Self::spawn_child(command)?;
        self.base = format!("http://127.0.0.1:{port}");
        self.ws = format!("ws://127.0.0.1:{port}/ws/connect");
        self.wait_until_ready().await?;
        self.log_in().await
    }

    /// The HTTP ceiling's trivial server: this binary in `serve-trivial` mode.
    pub async fn start_trivial() -> Result<Self, BoxError> {
        let port = free_port()?;
        let mut command = Command::new(std::env::current_exe()?);
        command.args(["serve-trivial", "--port", &port.to_string()]);
        Self::spawn(command, port, tempfile::tempdir()?).await
    }

    fn spawn_child(mut command: Command) -> std::io::Result<Child> {
        command
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
    }

    async fn spawn(command: Command, port: u16, dir: tempfile::TempDir) -> Result<Self, BoxError> {
        let server = Self {
            child: Self::spawn_child(command)?,
            base: format!("http://127.0.0.1:{port}"),
            ws: format!("ws://127.0.0.1:{port}/ws/connect"),
            token: String::new(),
            launch: None,
            dir,
        };
        server.wait_until_ready().await?;
        Ok(server)
    }

    /// Waits for `GET /` to answer (a large database takes longer to open).
    async fn wait_until_ready(&self) -> Result<(), BoxError> {
        let client = reqwest::Client::new();
        for _ in 0..1200 {
            if client
                .get(&self.base)
                .send()
                .await
                .is_ok_and(|r| r.status().is_success())
            {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        Err("the server did not answer within 30 s".into())
    }

    /// Registers the first account (an admin, on a fresh database) and logs it in.
    pub async fn sign_in(&mut self) -> Result<(), BoxError> {
        let client = reqwest::Client::new();
        let account = serde_json::json!({
            "username": ADMIN, "email": "bench@example.com", "password": PASSWORD,
        });
        let registered = client
            .post(format!("{}/api/auth/register", self.base))
            .json(&account)
            .send()
            .await?;
        if !registered.status().is_success() {
            return Err(format!("register answered {}", registered.status()).into());
        }
        self.log_in().await
    }

    /// Logs the admin in and keeps its access token.
    async fn log_in(&mut self) -> Result<(), BoxError> {
        let login: serde_json::Value = reqwest::Client::new()
            .post(format!("{}/api/auth/login", self.base))
            .json(&serde_json::json!({"username": ADMIN, "password": PASSWORD}))
            .send()
            .await?
            .json()
            .await?;
        self.token = login["access_token"]
            .as_str()
            .ok_or("no access token")?
            .to_owned();
        Ok(())
    }

    /// The load's client of this server, sending the admin's token with every request (when
    /// signed in).
    pub fn load_client(&self) -> crate::load::Client {
        let token = (!self.token.is_empty()).then_some(self.token.as_str());
        crate::load::Client::new(&self.base, token)
    }

    /// An HTTP client that sends the admin's token with every request.
    pub fn client(&self) -> Result<reqwest::Client, BoxError> {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(
            reqwest::header::AUTHORIZATION,
            format!("Bearer {}", self.token).parse()?,
        );
        Ok(crate::load::client_builder()
            .default_headers(headers)
            .build()?)
    }

    fn status_kb(&self, field: &str) -> u64 {
        std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .ok()
            .and_then(|status| {
                status.lines().find_map(|line| {
                    line.strip_prefix(field)?
                        .trim()
                        .trim_end_matches("kB")
                        .trim()
                        .parse()
                        .ok()
                })
            })
            .unwrap_or(0)
    }

    /// Peak resident set so far (`VmHWM`), in KiB.
    pub fn peak_rss_kb(&self) -> u64 {
        self.status_kb("VmHWM:")
    }

    /// Resident set now (`VmRSS`), in KiB.
    pub fn rss_kb(&self) -> u64 {
        self.status_kb("VmRSS:")
    }

    /// CPU time used so far (user + system), in clock ticks of 1/100 s.
    pub fn cpu_ticks(&self) -> u64 {
        let stat =
            std::fs::read_to_string(format!("/proc/{}/stat", self.child.id())).unwrap_or_default();
        // After the parenthesised command name, utime and stime are the 12th and 13th fields.
        let rest = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let field = |i: usize| {
            fields
                .get(i)
                .and_then(|f| f.parse::<u64>().ok())
                .unwrap_or(0)
        };
        field(11) + field(12)
    }
}

impl Launch {
    fn command(&self, port: u16, database: &Path) -> Command {
        let mut command = Command::new(&self.binary);
        command
            .args(["serve", "--host", "127.0.0.1", "--port", &port.to_string()])
            .arg("--database-url")
            .arg(database)
            .env("KANBAN_ENV", "production")
            .env("SECRET_KEY", &self.secret)
            // The load is one user at thousands of requests per second.
            .env("KANBAN__RATE_LIMIT__ENABLED", "false")
            // Per-request info lines would measure the logger, not the server; to measure it
            // too, set `BENCH_SERVER_LOG` (e.g. `info`, the server's default).
            .env(
                "RUST_LOG",
                std::env::var("BENCH_SERVER_LOG").unwrap_or_else(|_| "warn".to_owned()),
            );
        command
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> std::io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Today's date (UTC), for the report.
pub fn today() -> String {
    let output = Command::new("date").args(["-u", "+%Y-%m-%d"]).output();
    output
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map_or_else(String::new, |d| d.trim().to_owned())
}
