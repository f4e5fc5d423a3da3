//! A closed-loop HTTP load: C connections, each sending its next request as soon as the previous
//! one is answered, for a fixed duration.

use crate::stats::{Summary, summarise};
use serde::Serialize;
use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What one workload at one concurrency achieved.
#[derive(Debug, Clone, Serialize)]
pub struct LoadResult {
    pub workload: String,
    pub connections: usize,
    pub seconds: f64,
    pub requests: usize,
    /// Any non-2xx answer or transport failure.
    pub errors: usize,
    /// The errors by route and answer (`POST /api/tickets/{id}/claim: 409 Conflict`).
    pub error_kinds: BTreeMap<String, usize>,
    pub requests_per_second: f64,
    pub latency: Summary,
    /// The latency of its reads (`GET`) and of its writes, when it sends both: the targets
    /// differ.
    pub reads: Option<Summary>,
    pub writes: Option<Summary>,
    /// Server CPU over the run, in percent of one core.
    pub server_cpu_percent: f64,
    /// Server resident set at the end of the run, in MB.
    pub server_rss_mb: f64,
}

/// The HTTP client of the setup around the load (signing in, seeding, the fan-out's moves):
/// pooled connections, no Nagle delay. Connections idle for 4 s are dropped, below the server's
/// 5 s: the server answers `408` and closes a connection on which no request arrived within 5 s
/// of opening (actix's first-request timeout), and a pooled client opens such connections when it
/// races a new connection against a busy pool and the pool wins; reused after 5 s, one would
/// read that `408` as the answer to its request.
pub fn client_builder() -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .tcp_nodelay(true)
        .pool_max_idle_per_host(1024)
        .pool_idle_timeout(Duration::from_secs(4))
}

/// The load's own HTTP/1.1 client. Each connection of a load is one keep-alive TCP connection
/// that one task owns (no pool, no task in between), and a request is written as one buffer: a
/// general-purpose client cost about 40 µs of CPU a request here, as much as the server's own
/// work on a small read, so with it the load generator, not the server, set the pace of the
/// ceilings, and it took the cores the server should have had (the trivial handler measured
/// about 36,000 req/s through it against about 90,000 through `wrk` on the same machine).
#[derive(Debug, Clone)]
pub struct Client {
    inner: Arc<Endpoint>,
}

#[derive(Debug)]
struct Endpoint {
    /// `127.0.0.1:8080`: where to connect.
    host: String,
    /// The headers of every request: `Host: …\r\n`, then `Authorization: Bearer …\r\n` with
    /// a token.
    headers: String,
}

impl Client {
    /// A client of the server at `base` (`http://127.0.0.1:8080`), sending `token` as a bearer
    /// token with every request when there is one.
    pub fn new(base: &str, token: Option<&str>) -> Self {
        let host = base
            .strip_prefix("http://")
            .unwrap_or(base)
            .trim_end_matches('/')
            .to_owned();
        let mut headers = format!("Host: {host}\r\n");
        if let Some(token) = token {
            headers.push_str(&format!("Authorization: Bearer {token}\r\n"));
        }
        Self {
            inner: Arc::new(Endpoint { host, headers }),
        }
    }

    pub fn get(&self, url: impl AsRef<str>) -> RequestBuilder {
        self.request("GET", url.as_ref())
    }

    pub fn post(&self, url: impl AsRef<str>) -> RequestBuilder {
        self.request("POST", url.as_ref())
    }

    pub fn put(&self, url: impl AsRef<str>) -> RequestBuilder {
        self.request("PUT", url.as_ref())
    }

    /// `url` is a full URL of this server (`http://host/path?query`) or a path.
    fn request(&self, method: &'static str, url: &str) -> RequestBuilder {
        let path = url
            .strip_prefix("http://")
            .map_or(url, |rest| rest.find('/').map_or("/", |at| &rest[at..]));
        RequestBuilder {
            client: self.clone(),
            method,
            path: path.to_owned(),
            body: None,
        }
    }
}

/// One request to send with [`send`].
#[derive(Debug)]
pub struct RequestBuilder {
    client: Client,
    method: &'static str,
    path: String,
    body: Option<Result<Vec<u8>, String>>,
}

impl RequestBuilder {
    /// Sends `body` as the request's JSON body.
    pub fn json(mut self, body: &impl Serialize) -> Self {
        self.body = Some(serde_json::to_vec(body).map_err(|e| e.to_string()));
        self
    }

    /// The request as it goes on the wire, or why its body could not be encoded.
    fn encode(&self) -> Result<Vec<u8>, String> {
        let body = match &self.body {
            Some(Ok(body)) => Some(body.as_slice()),
            Some(Err(error)) => return Err(error.clone()),
            None => None,
        };
        let mut head = format!(
            "{} {} HTTP/1.1\r\n{}",
            self.method, self.path, self.client.inner.headers
        );
        if body.is_some() {
            head.push_str("Content-Type: application/json\r\n");
        }
        if body.is_some() || self.method != "GET" {
            head.push_str(&format!(
                "Content-Length: {}\r\n",
                body.map_or(0, <[u8]>::len)
            ));
        }
        head.push_str("\r\n");
        let mut wire = head.into_bytes();
        wire.extend_from_slice(body.unwrap_or_default());
        Ok(wire)
    }
}

/// A keep-alive connection and the bytes read from it but not yet used.
struct Connection {
    stream: tokio::net::TcpStream,
    buffer: Vec<u8>,
}

tokio::task_local! {
    /// The TCP connection of the load task that is sending (each task has its own): see [`run`].
    static CONNECTION: std::cell::RefCell<Option<Connection>>;
}

/// How long one request may take before it counts as an error and its connection is dropped.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// One request answered: how long it took, and what went wrong if it did not succeed.
#[derive(Debug)]
pub struct Answered {
    latency_ms: f64,
    write: bool,
    error: Option<String>,
}

/// Sends `request` on the connection of the calling load task (opening it first when there is
/// none, or the last one failed) and reads the whole answer, timing both. Anything but a 2xx
/// answer read whole is an error, named by the route (ids as `{id}`) and what came back.
pub async fn send(request: RequestBuilder) -> Answered {
    let sent = Instant::now();
    let route = route_of(request.method, &request.path);
    let write = request.method != "GET";
    let error = match request.encode() {
        Err(error) => Some(format!("{route}: request not built: {error}")),
        Ok(wire) => {
            let held = CONNECTION
                .try_with(|held| held.borrow_mut().take())
                .ok()
                .flatten();
            let exchanged =
                tokio::time::timeout(REQUEST_TIMEOUT, round_trip(held, &request.client, &wire));
            match exchanged.await {
                Ok(Ok((status, connection))) => {
                    let _ = CONNECTION.try_with(|held| *held.borrow_mut() = connection);
                    (!(200..300).contains(&status))
                        .then(|| format!("{route}: {}", status_text(status)))
                }
                // The connection is dropped: the next request opens another.
                Ok(Err(error)) => Some(format!("{route}: {error}")),
                Err(_) => Some(format!("{route}: timed out")),
            }
        }
    };
    Answered {
        latency_ms: sent.elapsed().as_secs_f64() * 1000.0,
        write,
        error,
    }
}

/// `404 Not Found`, as the server's status line would say it.
fn status_text(status: u16) -> String {
    actix_web::http::StatusCode::from_u16(status).map_or_else(
        |_| status.to_string(),
        |code| {
            format!(
                "{} {}",
                code.as_str(),
                code.canonical_reason().unwrap_or("")
            )
        },
    )
}

/// Writes `wire` on `held` (or a new connection) and reads the answer: its status, and the
/// connection when it can carry the next request.
async fn round_trip(
    held: Option<Connection>,
    client: &Client,
    wire: &[u8],
) -> Result<(u16, Option<Connection>), String> {
    use tokio::io::AsyncWriteExt;
    let mut connection = match held {
        Some(connection) => connection,
        None => {
            let stream = tokio::net::TcpStream::connect(&client.inner.host)
                .await
                .map_err(|_| "connection failed".to_owned())?;
            stream
                .set_nodelay(true)
                .map_err(|_| "connection failed".to_owned())?;
            Connection {
                stream,
                buffer: Vec::with_capacity(16 * 1024),
            }
        }
    };
    connection
        .stream
        .write_all(wire)
        .await
        .map_err(|_| "request failed".to_owned())?;
    let (status, keep) = read_response(&mut connection).await?;
    Ok((status, keep.then_some(connection)))
}

/// Reads one response whole from `connection`: its status, and whether the connection stays
/// open. Bodies come with a `Content-Length` or chunked.
async fn read_response(connection: &mut Connection) -> Result<(u16, bool), String> {
    let (status, head_len, framing, keep) = loop {
        let mut headers = [httparse::EMPTY_HEADER; 32];
        let mut response = httparse::Response::new(&mut headers);
        match response.parse(&connection.buffer) {
            Ok(httparse::Status::Complete(head_len)) => {
                let status = response.code.unwrap_or(0);
                let mut framing = Framing::UntilClose;
                let mut keep = response.version == Some(1);
                for header in response.headers.iter() {
                    if header.name.eq_ignore_ascii_case("content-length") {
                        let length = std::str::from_utf8(header.value)
                            .ok()
                            .and_then(|v| v.trim().parse().ok())
                            .ok_or("bad content-length")?;
                        framing = Framing::Length(length);
                    } else if header.name.eq_ignore_ascii_case("transfer-encoding")
                        && header.value.eq_ignore_ascii_case(b"chunked")
                    {
                        framing = Framing::Chunked;
                    } else if header.name.eq_ignore_ascii_case("connection") {
                        keep = !header.value.eq_ignore_ascii_case(b"close");
                    }
                }
                // No body after these, whatever the headers say (RFC 9112, 6.3).
                if status < 200 || status == 204 || status == 304 {
                    framing = Framing::Length(0);
                }
                break (status, head_len, framing, keep);
            }
            Ok(httparse::Status::Partial) => fill(connection).await?,
            Err(_) => return Err("malformed answer".to_owned()),
        }
    };
    connection.buffer.drain(..head_len);
    match framing {
        Framing::Length(length) => {
            while connection.buffer.len() < length {
                fill(connection).await?;
            }
            connection.buffer.drain(..length);
            Ok((status, keep))
        }
        Framing::Chunked => {
            read_chunked(connection).await?;
            Ok((status, keep))
        }
        Framing::UntilClose => {
            while fill(connection).await.is_ok() {}
            Ok((status, false))
        }
    }
}

enum Framing {
    Length(usize),
    Chunked,
    UntilClose,
}

/// Consumes a chunked body (and its empty trailer) from `connection`.
async fn read_chunked(connection: &mut Connection) -> Result<(), String> {
    loop {
        let line_end = loop {
            if let Some(at) = connection.buffer.windows(2).position(|w| w == b"\r\n") {
                break at;
            }
            fill(connection).await?;
        };
        let size_text =
            std::str::from_utf8(&connection.buffer[..line_end]).map_err(|_| "bad chunk size")?;
        let size_text = size_text.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(size_text, 16).map_err(|_| "bad chunk size")?;
        // The size line, the chunk and the CRLF after it (for the last chunk: the empty trailer).
        let whole = line_end + 2 + size + 2;
        while connection.buffer.len() < whole {
            fill(connection).await?;
        }
        connection.buffer.drain(..whole);
        if size == 0 {
            return Ok(());
        }
    }
}

/// Reads more of the answer into the connection's buffer; an error at the end of the stream.
async fn fill(connection: &mut Connection) -> Result<(), String> {
    use tokio::io::AsyncReadExt;
    let read = connection
        .stream
        .read_buf(&mut connection.buffer)
        .await
        .map_err(|_| "answer not read".to_owned())?;
    if read == 0 {
        return Err("connection closed".to_owned());
    }
    Ok(())
}

/// `GET /api/tickets/{id}` for `GET /api/tickets/42?x=1`.
fn route_of(method: &str, path: &str) -> String {
    let path = path.split('?').next().unwrap_or(path);
    let parts: Vec<&str> = path
        .split('/')
        .map(|part| {
            if !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()) {
                "{id}"
            } else {
                part
            }
        })
        .collect();
    format!("{method} {}", parts.join("/"))
}

/// Runs `request(worker, n)` from `connections` workers for `duration`, each worker a task
/// with a connection of its own; each call sends one or more requests (one after the other, with
/// [`send`]) and returns their answers.
pub async fn run<F, Fut>(
    workload: &str,
    connections: usize,
    duration: Duration,
    request: F,
) -> LoadResult
where
    F: Fn(usize, usize) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Vec<Answered>> + Send,
{
    let request = Arc::new(request);
    let started = Instant::now();
    let deadline = started + duration;
    let workers: Vec<_> = (0..connections)
        .map(|worker| {
            let request = request.clone();
            tokio::spawn(CONNECTION.scope(std::cell::RefCell::new(None), async move {
                let mut latencies = [Vec::new(), Vec::new()];
                let mut errors = BTreeMap::<String, usize>::new();
                let mut n = 0;
                while Instant::now() < deadline {
                    for answered in request(worker, n).await {
                        latencies[usize::from(answered.write)].push(answered.latency_ms);
                        if let Some(error) = answered.error {
                            *errors.entry(error).or_default() += 1;
                        }
                    }
                    n += 1;
                }
                (latencies, errors)
            }))
        })
        .collect();
    let [mut reads, mut writes] = [Vec::new(), Vec::new()];
    let mut error_kinds = BTreeMap::<String, usize>::new();
    for worker in workers {
        if let Ok(([mut own_reads, mut own_writes], own_errors)) = worker.await {
            reads.append(&mut own_reads);
            writes.append(&mut own_writes);
            for (kind, count) in own_errors {
                *error_kinds.entry(kind).or_default() += count;
            }
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    let requests = reads.len() + writes.len();
    let split = (!reads.is_empty() && !writes.is_empty())
        .then(|| (summarise(reads.clone()), summarise(writes.clone())));
    let mut latencies = reads;
    latencies.append(&mut writes);
    #[expect(clippy::cast_precision_loss, reason = "request counts fit an f64")]
    let requests_per_second = requests as f64 / seconds;
    LoadResult {
        workload: workload.to_owned(),
        connections,
        seconds,
        requests,
        errors: error_kinds.values().sum(),
        error_kinds,
        requests_per_second,
        latency: summarise(latencies),
        reads: split.map(|(reads, _)| reads),
        writes: split.map(|(_, writes)| writes),
        server_cpu_percent: 0.0,
        server_rss_mb: 0.0,
    }
}

impl LoadResult {
    pub fn row(&self) -> String {
        format!(
            "{:<28} {:>4} conn {:>9.0} req/s  p50 {:>7.2} ms  p99 {:>7.2} ms  max {:>8.2} ms  errors {:>5}  cpu {:>4.0}%  rss {:>6.1} MB",
            self.workload,
            self.connections,
            self.requests_per_second,
            self.latency.p50_ms,
            self.latency.p99_ms,
            self.latency.max_ms,
            self.errors,
            self.server_cpu_percent,
            self.server_rss_mb,
        ) + &self.split()
            + &self.error_kinds()
    }

    /// `  reads p99 12.00 ms, writes p99 40.00 ms` for a workload of both, or nothing.
    fn split(&self) -> String {
        match (self.reads, self.writes) {
            (Some(reads), Some(writes)) => format!(
                "  reads p99 {:.2} ms, writes p99 {:.2} ms",
                reads.p99_ms, writes.p99_ms
            ),
            _ => String::new(),
        }
    }

    /// `  (GET /x: 500 Internal Server Error ×2)`, or nothing without errors.
    fn error_kinds(&self) -> String {
        if self.error_kinds.is_empty() {
            return String::new();
        }
        let kinds: Vec<String> = self
            .error_kinds
            .iter()
            .map(|(kind, count)| format!("{kind} ×{count}"))
            .collect();
        format!("  ({})", kinds.join("; "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// Answers each request it reads with the next of `answers`, on whatever connection it came;
    /// an answer saying `Connection: close` closes its connection. Returns the address and how
    /// many connections were accepted.
    async fn scripted(answers: Vec<&'static str>) -> (String, Arc<std::sync::atomic::AtomicUsize>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let address = listener.local_addr().expect("address").to_string();
        let accepted = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counted = accepted.clone();
        tokio::spawn(async move {
            let mut answers = answers.into_iter();
            while let Ok((mut stream, _)) = listener.accept().await {
                counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let mut buffer = [0_u8; 4096];
                loop {
                    // Each request here is small enough to arrive in one read.
                    match stream.read(&mut buffer).await {
                        Ok(0) | Err(_) => break,
                        Ok(_) => {}
                    }
                    let Some(answer) = answers.next() else { return };
                    stream.write_all(answer.as_bytes()).await.expect("answer");
                    if answer.contains("Connection: close") {
                        break;
                    }
                }
            }
        });
        (address, accepted)
    }

    #[tokio::test]
    async fn reads_each_framing_whole_and_keeps_the_connection_while_it_may() {
        let (address, accepted) = scripted(vec![
            "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n",
            "HTTP/1.1 204 No Content\r\n\r\n",
            "HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\n{}",
            "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            "HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\n{}",
        ])
        .await;
        let client = Client::new(&format!("http://{address}"), Some("t"));
        let answers = CONNECTION
            .scope(std::cell::RefCell::new(None), async {
                let mut answers = Vec::new();
                for n in 0..5 {
                    answers
                        .push(send(client.get(format!("http://{address}/api/tickets/{n}"))).await);
                }
                answers.push(send(client.post("/api/tickets").json(&serde_json::json!({}))).await);
                answers
            })
            .await;
        let errors: Vec<Option<&str>> = answers.iter().map(|a| a.error.as_deref()).collect();
        assert_eq!(
            errors,
            [
                None,
                None,
                None,
                Some("GET /api/tickets/{id}: 404 Not Found"),
                None,
                None
            ]
        );
        assert!(answers[5].write && !answers[0].write);
        // The first five on one connection; the last on a new one, after the `close`.
        assert_eq!(accepted.load(std::sync::atomic::Ordering::SeqCst), 2);
    }

    #[test]
    fn requests_go_on_the_wire_with_their_host_token_and_body() {
        let client = Client::new("http://127.0.0.1:9/", Some("abc"));
        let get = client.get("http://127.0.0.1:9/health?x=1");
        assert_eq!(
            String::from_utf8(get.encode().expect("encoded")).expect("text"),
            "GET /health?x=1 HTTP/1.1\r\nHost: 127.0.0.1:9\r\nAuthorization: Bearer abc\r\n\r\n"
        );
        let post = Client::new("http://127.0.0.1:9", None)
            .post("/api/tickets/1/move")
            .json(&serde_json::json!({"column": "Done"}));
        assert_eq!(
            String::from_utf8(post.encode().expect("encoded")).expect("text"),
            "POST /api/tickets/1/move HTTP/1.1\r\nHost: 127.0.0.1:9\r\n\
             Content-Type: application/json\r\nContent-Length: 17\r\n\r\n{\"column\":\"Done\"}"
        );
    }
}
