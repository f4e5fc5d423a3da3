//! The end-to-end harness: starts the real application (the same `kanban_api_actix::start` the
//! binary uses) on `127.0.0.1:0`, over in-memory adapters or over a fresh temporary SQLite file,
//! and gives tests a small JSON client for it. Every test gets its own server and database.

#![expect(
    clippy::expect_used,
    reason = "test harness: a failed set-up must fail the test loudly"
)]

pub mod ws;

use actix_web::dev::ServerHandle;
use kanban_api_actix::live::LiveConfig;
use kanban_api_actix::{ApiConfig, ApiState, ServerSettings};
use kanban_domain::SystemClock;
use kanban_domain::services::Services;
use kanban_storage_diesel::SqliteStore;
use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use serde_json::Value;
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

/// Which adapters the server runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Memory,
    Sqlite,
}

/// A running server with its own database.
#[derive(Debug)]
pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    /// The SQLite store, when the backend is SQLite (for checks beneath the API).
    pub store: Option<SqliteStore>,
    /// The server's state: its services and live hub, for checks beneath the API.
    pub state: ApiState,
    handle: ServerHandle,
    _dir: Option<tempfile::TempDir>,
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

impl TestApp {
    pub async fn spawn(backend: Backend) -> Self {
        Self::spawn_with(backend, ApiConfig::default()).await
    }

    pub async fn spawn_with(backend: Backend, config: ApiConfig) -> Self {
        Self::spawn_live(backend, config, LiveConfig::default()).await
    }

    pub async fn spawn_live(backend: Backend, config: ApiConfig, live: LiveConfig) -> Self {
        let (repositories, store, dir) = match backend {
            Backend::Memory => (kanban_domain::memory::repositories(), None, None),
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temporary directory");
                let path = dir.path().join("kanban.db");
                let store = SqliteStore::connect(path.to_str().expect("utf-8 path"), 8)
                    .expect("open the test database");
                store.run_migrations().expect("migrate the test database");
                (store.repositories(), Some(store), Some(dir))
            }
        };
        let services = Services::new(repositories, Arc::new(SystemClock));
        let state = ApiState::build(services, live, config).expect("read the event log");
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
        let address = format!("http://{}", listener.local_addr().expect("local address"));
        let settings = ServerSettings {
            workers: 4,
            shutdown_timeout: Duration::from_secs(1),
            handle_signals: false,
        };
        let server =
            kanban_api_actix::start(state.clone(), listener, &settings).expect("start the server");
        let handle = server.handle();
        tokio::spawn(server);
        Self {
            address,
            client: reqwest::Client::new(),
            store,
            state,
            handle,
            _dir: dir,
        }
    }

    /// Opens a WebSocket to `/ws/connect` with `query` (e.g. `?board_id=1`).
    pub async fn ws(&self, query: &str) -> ws::WsClient {
        ws::WsClient::connect(&self.ws_url(query))
            .await
            .expect("WebSocket handshake")
    }

    pub fn ws_url(&self, query: &str) -> String {
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

    pub fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
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
