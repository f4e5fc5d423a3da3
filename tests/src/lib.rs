//! The end-to-end harness: starts the real application (the same `kanban_api_actix::start` the
//! binary uses) on `127.0.0.1:0`, over in-memory adapters or over a fresh temporary SQLite file,
//! and gives tests a small JSON client for it. Every test gets its own server and database.
//!
//! Every server starts with an admin account (`admin`, see [`TestApp::admin`]) whose bearer
//! token the client sends by default; [`TestApp::user`] creates accounts of other roles, and
//! [`TestApp::request_as`] / [`TestApp::anonymous`] send requests as them or without a token.
//! Rate limits are off unless a test's configuration turns them on.

#![expect(
    clippy::expect_used,
    reason = "test harness: a failed set-up must fail the test loudly"
)]

pub mod ws;

use actix_web::dev::ServerHandle;
use kanban_api_actix::auth::crypto::real_crypto;
use kanban_api_actix::live::LiveConfig;
use kanban_api_actix::{ApiConfig, ApiState, RateLimitConfig, ServerSettings};
use kanban_domain::services::{AccountPolicy, Registration, Services};
use kanban_domain::time::FixedClock;
use kanban_domain::values::{Email, Password, Username};
use kanban_domain::{Clock, Role, SystemClock};
use kanban_storage_diesel::SqliteStore;
use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use serde_json::Value;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// The password of every account the harness creates.
pub const PASSWORD: &str = "Secret123";

/// Which adapters the server runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Memory,
    Sqlite,
}

/// An account and the tokens of one login of it.
#[derive(Debug, Clone)]
pub struct TestUser {
    pub id: i64,
    pub username: String,
    pub role: Role,
    pub access_token: String,
    pub refresh_token: String,
}

/// A running server with its own database.
#[derive(Debug)]
pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    /// The application state the server runs with (services, token keys, configuration).
    pub state: ApiState,
    /// The SQLite store, when the backend is SQLite (for checks beneath the API).
    pub store: Option<SqliteStore>,
    /// The admin account created at start-up; requests carry its token by default.
    pub admin: TestUser,
    backend: Backend,
    handle: ServerHandle,
    dir: Option<tempfile::TempDir>,
}

/// A response: status, headers and the body parsed as JSON (`Null` when empty or not JSON).
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Reply {
    /// The header's value as text, or `""`.
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// The envelope's `error.code`.
    pub fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("")
    }

    /// The `field`s of the envelope's `validation_errors`.
    pub fn invalid_fields(&self) -> Vec<String> {
        self.body["error"]["validation_errors"]
            .as_array()
            .map(|list| {
                list.iter()
                    .filter_map(|e| e["field"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// The configuration tests start from: the defaults with rate limits off.
pub fn test_config() -> ApiConfig {
    ApiConfig {
        rate_limit: RateLimitConfig {
            enabled: false,
            ..RateLimitConfig::default()
        },
        ..ApiConfig::default()
    }
}

/// The HTTP worker threads of a test server.
const WORKERS: u32 = 4;

/// The use cases on `backend`, the same for the reads worker threads run themselves and, for
/// SQLite, for the write use cases its writer thread runs (over the store's worker-thread and
/// writer-thread views, as the server does).
fn services_on(
    backend: Backend,
    db: Option<&Path>,
    clock: Arc<dyn Clock>,
) -> (Services, Services, Option<(SqliteStore, Services)>) {
    let crypto = real_crypto().expect("argon2 parameters");
    let policy = AccountPolicy::default();
    match (backend, db) {
        (Backend::Sqlite, Some(path)) => {
            let store = SqliteStore::connect(path.to_str().expect("utf-8 path"), 8)
                .expect("open the test database");
            store.run_migrations().expect("migrate the test database");
            let workers = store
                .for_worker_threads(WORKERS)
                .expect("open the worker threads' connections");
            let services =
                Services::new(store.repositories(), crypto.clone(), policy, clock.clone());
            let on_workers = Services::new(
                workers.repositories(),
                crypto.clone(),
                policy,
                clock.clone(),
            );
            let on_writer = Services::new(
                store.for_writer_thread().repositories(),
                crypto,
                policy,
                clock,
            );
            (services, on_workers, Some((store, on_writer)))
        }
        _ => {
            let services =
                Services::new(kanban_domain::memory::repositories(), crypto, policy, clock);
            (services.clone(), services, None)
        }
    }
}

/// Logs `username` in through the services and mints its access token, off the async workers.
async fn sign_in(state: &ApiState, username: &str) -> TestUser {
    let services = state.services.clone();
    let name = username.to_owned();
    let grant = tokio::task::spawn_blocking(move || services.auth.login(&name, PASSWORD))
        .await
        .expect("login task")
        .expect("login");
    let issued = state
        .keys
        .issue(&grant.user, &grant.login, state.services.clock.now())
        .expect("issue a token");
    TestUser {
        id: grant.user.id.get(),
        username: grant.user.username.as_str().to_owned(),
        role: grant.user.role,
        access_token: issued.token,
        refresh_token: grant.refresh_token.into_inner(),
    }
}

/// Creates an account with `role` through the services (so no registration limit is spent).
async fn create_account(state: &ApiState, username: &str, role: Role) {
    let services = state.services.clone();
    let registration = Registration {
        username: Username::parse("username", username).expect("valid username"),
        email: Email::parse("email", &format!("{username}@example.com")).expect("valid email"),
        password: Password::parse("password", PASSWORD).expect("valid password"),
        role: Some(role),
    };
    tokio::task::spawn_blocking(move || services.auth.create_account(&registration, role, true))
        .await
        .expect("account task")
        .expect("create the account");
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> Self {
        Self::spawn_with(backend, test_config()).await
    }

    pub async fn spawn_with(backend: Backend, config: ApiConfig) -> Self {
        Self::spawn_live(backend, config, LiveConfig::default()).await
    }

    /// A server whose WebSocket connections behave as `live` says.
    pub async fn spawn_live(backend: Backend, config: ApiConfig, live: LiveConfig) -> Self {
        let dir = match backend {
            Backend::Memory => None,
            Backend::Sqlite => Some(tempfile::tempdir().expect("temporary directory")),
        };
        let db = dir.as_ref().map(|d| d.path().join("kanban.db"));
        Self::start(backend, config, live, db, dir, Arc::new(SystemClock), true).await
    }

    /// A server whose "now" is `clock`, which the test moves with `clock.advance(…)`: tickets
    /// created, moved and measured at instants the test chose. Access tokens live ten years on
    /// that clock, so advancing it does not log anyone out.
    pub async fn spawn_with_clock(backend: Backend, clock: Arc<FixedClock>) -> Self {
        let mut config = test_config();
        config.auth.access_token_ttl = chrono::Duration::days(3650);
        let dir = match backend {
            Backend::Memory => None,
            Backend::Sqlite => Some(tempfile::tempdir().expect("temporary directory")),
        };
        let db = dir.as_ref().map(|d| d.path().join("kanban.db"));
        Self::start(backend, config, LiveConfig::default(), db, dir, clock, true).await
    }

    /// A server on database `db` (and, for a database file, the directory `dir` it is removed
    /// with, if this server owns it).
    async fn start(
        backend: Backend,
        config: ApiConfig,
        live: LiveConfig,
        db: Option<PathBuf>,
        dir: Option<tempfile::TempDir>,
        clock: Arc<dyn Clock>,
        bootstrap: bool,
    ) -> Self {
        let (services, on_workers, sqlite) = services_on(backend, db.as_deref(), clock);
        let mut state = ApiState::build(services, live, config)
            .expect("read the event log")
            .with_worker_services(on_workers);
        let store = match sqlite {
            Some((store, on_writer)) => {
                state = state.with_write_queue(Arc::new(store.clone()), on_writer);
                Some(store)
            }
            None => None,
        };
        if bootstrap {
            create_account(&state, "admin", Role::Admin).await;
        }
        let admin = sign_in(&state, "admin").await;
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
        let address = format!("http://{}", listener.local_addr().expect("local address"));
        let settings = ServerSettings {
            workers: WORKERS as usize,
            blocking_threads: 0,
            shutdown_timeout: Duration::from_secs(1),
            handle_signals: false,
            // Many servers run in this process at once.
            pin_workers: false,
        };
        // In an actix system of its own, as the binary runs it (`serve.rs`): its workers are
        // actix arbiters, each with its relay (`kanban_api_actix::relay`).
        let (started, handle) = std::sync::mpsc::channel();
        let on_server = state.clone();
        std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let server = kanban_api_actix::start(on_server, listener, &settings)
                    .expect("start the server");
                started
                    .send(server.handle())
                    .expect("the test waits for its server");
                let _ = server.await;
            });
        });
        let handle = handle.recv().expect("the server started");
        Self {
            address,
            client: reqwest::Client::new(),
            state,
            store,
            admin,
            backend,
            handle,
            dir,
        }
    }

    /// Stops this server and starts a new one on the same database file and configuration
    /// (SQLite only), as a restart of the binary would. The admin logs in again.
    pub async fn restart(mut self) -> Self {
        assert_eq!(
            self.backend,
            Backend::Sqlite,
            "only a file survives a restart"
        );
        let config = (*self.state.config).clone();
        let live = self.state.live.config().clone();
        let clock = self.state.services.clock.clone();
        self.state.live.shut_down();
        self.handle.stop(true).await;
        let dir = self.dir.take();
        let db = dir.as_ref().map(|d| d.path().join("kanban.db"));
        drop(self);
        Self::start(Backend::Sqlite, config, live, db, dir, clock, false).await
    }

    /// A second server on the same database file and configuration (SQLite only), as a second
    /// instance behind a load balancer would be; the admin logs in again. The file stays until
    /// this server (the first) is dropped.
    pub async fn beside(&self) -> Self {
        let db = self
            .database_path()
            .expect("a second server needs a database file");
        let config = (*self.state.config).clone();
        let live = self.state.live.config().clone();
        let clock = self.state.services.clock.clone();
        Self::start(Backend::Sqlite, config, live, Some(db), None, clock, false).await
    }

    /// The database file, for a server on SQLite.
    pub fn database_path(&self) -> Option<PathBuf> {
        self.dir.as_ref().map(|d| d.path().join("kanban.db"))
    }

    /// The adapters this server runs on.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Opens a WebSocket to `/ws/connect` with `query` (e.g. `?board_id=1`), as the admin.
    pub async fn ws(&self, query: &str) -> ws::WsClient {
        ws::WsClient::connect(&self.ws_url(query))
            .await
            .expect("WebSocket handshake")
    }

    /// The `/ws/connect` URL with `query` and the admin's token.
    pub fn ws_url(&self, query: &str) -> String {
        let separator = if query.is_empty() { "?" } else { "&" };
        format!(
            "{}{query}{separator}token={}",
            self.ws_url_without_token(""),
            self.admin.access_token
        )
    }

    /// The `/ws/connect` URL with `query` only.
    pub fn ws_url_without_token(&self, query: &str) -> String {
        format!(
            "{}/ws/connect{query}",
            self.address.replace("http://", "ws://")
        )
    }

    /// The server's socket address.
    pub fn socket_address(&self) -> std::net::SocketAddr {
        self.address
            .trim_start_matches("http://")
            .parse()
            .expect("an address")
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// Creates an account named `username` with `role` and logs it in.
    pub async fn user(&self, username: &str, role: Role) -> TestUser {
        create_account(&self.state, username, role).await;
        sign_in(&self.state, username).await
    }

    /// Logs an existing account in again (another login, with its own tokens).
    pub async fn sign_in(&self, username: &str) -> TestUser {
        sign_in(&self.state, username).await
    }

    /// Sends a request and reads the reply.
    pub async fn send(&self, request: reqwest::RequestBuilder) -> Reply {
        let response = request.send().await.expect("request reaches the server");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.bytes().await.expect("read the response body");
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Reply {
            status,
            headers,
            body,
        }
    }

    /// A request carrying the admin's token.
    pub fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.request_as(&self.admin, method, path)
    }

    /// A request carrying `user`'s token.
    pub fn request_as(
        &self,
        user: &TestUser,
        method: Method,
        path: &str,
    ) -> reqwest::RequestBuilder {
        self.anonymous(method, path).bearer_auth(&user.access_token)
    }

    /// A request without any token.
    pub fn anonymous(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.client.request(method, self.url(path))
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.send(self.request(Method::GET, path)).await
    }

    pub async fn delete(&self, path: &str) -> Reply {
        self.send(self.request(Method::DELETE, path)).await
    }

    pub async fn post(&self, path: &str, body: &Value) -> Reply {
        self.send(self.request(Method::POST, path).json(body)).await
    }

    /// A POST without a body (claim, release).
    pub async fn post_empty(&self, path: &str) -> Reply {
        self.send(self.request(Method::POST, path)).await
    }

    pub async fn put(&self, path: &str, body: &Value) -> Reply {
        self.send(self.request(Method::PUT, path).json(body)).await
    }

    /// Creates a board and returns its JSON.
    pub async fn create_board(&self, body: &Value) -> Value {
        let reply = self.post("/api/boards", body).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
        reply.body
    }

    /// Creates a ticket and returns its JSON.
    pub async fn create_ticket(&self, body: &Value) -> Value {
        let reply = self.post("/api/tickets", body).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
        reply.body
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let handle = self.handle.clone();
        // Stop accepting and close the workers; the test's runtime may already be gone, in which
        // case the workers end with the process.
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move { handle.stop(false).await });
        }
    }
}

/// Generates one test per backend for an `async fn scenario(app: TestApp)`.
#[macro_export]
macro_rules! on_both_backends {
    ($($scenario:ident),* $(,)?) => {
        $(
            mod $scenario {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn in_memory() {
                    super::$scenario($crate::TestApp::spawn($crate::Backend::Memory).await).await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    super::$scenario($crate::TestApp::spawn($crate::Backend::Sqlite).await).await;
                }
            }
        )*
    };
}

/// The instant a [`TestApp::spawn_with_clock`] scenario starts at: 2026-11-02T09:00:00.000Z.
pub fn fixed_clock() -> Arc<FixedClock> {
    use chrono::TimeZone;
    let start = chrono::Utc
        .with_ymd_and_hms(2026, 11, 2, 9, 0, 0)
        .single()
        .expect("a valid instant");
    Arc::new(FixedClock::new(start))
}

/// Like [`on_both_backends!`] for an `async fn scenario(app: TestApp, clock: Arc<FixedClock>)`
/// whose server runs on that clock (starting at [`fixed_clock`]).
#[macro_export]
macro_rules! on_both_backends_with_clock {
    ($($scenario:ident),* $(,)?) => {
        $(
            mod $scenario {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn in_memory() {
                    let clock = $crate::fixed_clock();
                    let app = $crate::TestApp::spawn_with_clock($crate::Backend::Memory, clock.clone()).await;
                    super::$scenario(app, clock).await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    let clock = $crate::fixed_clock();
                    let app = $crate::TestApp::spawn_with_clock($crate::Backend::Sqlite, clock.clone()).await;
                    super::$scenario(app, clock).await;
                }
            }
        )*
    };
}
