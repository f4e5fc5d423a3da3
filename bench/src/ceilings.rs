//! Two ceilings of this machine, measured in the same run as the workloads: what a trivial HTTP
//! handler serves (the HTTP ceiling), and how many single-row SQLite commits per second one
//! connection makes with the server's pragmas (the durable-write ceiling).

use crate::BoxError;
use diesel::connection::SimpleConnection;
use diesel::{Connection, RunQueryDsl, SqliteConnection};
use std::time::{Duration, Instant};

/// The largest body `GET /bytes/{n}` answers.
pub const MAX_TRIVIAL_BYTES: usize = 1 << 20;

/// Serves `GET /` → `ok` with two workers until killed: the HTTP ceiling's server, run as a child
/// process (`kanban-bench serve-trivial --port P`) so it is measured like the real one. Also
/// `GET /bytes/{n}`: `n` bytes (at most [`MAX_TRIVIAL_BYTES`]) of a buffer made once, as the
/// server answers a page it keeps, to show what sending a body that large costs on its own.
pub fn serve_trivial(port: u16) -> std::io::Result<()> {
    use actix_web::web::{Bytes, Data, Path};
    use actix_web::{App, HttpResponse, HttpServer, web};
    let buffer = Data::new(Bytes::from(vec![b'x'; MAX_TRIVIAL_BYTES]));
    actix_web::rt::System::new().block_on(
        HttpServer::new(move || {
            App::new()
                .app_data(buffer.clone())
                .route("/", web::get().to(|| async { "ok" }))
                .route(
                    "/bytes/{n}",
                    web::get().to(|buffer: Data<Bytes>, n: Path<usize>| async move {
                        let n = n.into_inner().min(MAX_TRIVIAL_BYTES);
                        HttpResponse::Ok().body(buffer.slice(..n))
                    }),
                )
        })
        .workers(2)
        .bind(("127.0.0.1", port))?
        .run(),
    )
}

/// Single-row commits per second on one connection with the server's pragmas (WAL,
/// `synchronous = NORMAL`), each in its own `BEGIN IMMEDIATE` transaction.
pub fn sqlite_commits_per_second(duration: Duration) -> Result<f64, BoxError> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("ceiling.db");
    let mut conn = SqliteConnection::establish(path.to_str().ok_or("path")?)?;
    conn.batch_execute(
        "PRAGMA busy_timeout = 5000; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;
         PRAGMA foreign_keys = ON;
         CREATE TABLE rows (id INTEGER PRIMARY KEY AUTOINCREMENT, body TEXT NOT NULL);",
    )?;
    let started = Instant::now();
    let mut commits = 0u32;
    while started.elapsed() < duration {
        conn.immediate_transaction(|conn| {
            diesel::sql_query(
                "INSERT INTO rows (body) VALUES ('a row of about the size of a ticket title')",
            )
            .execute(conn)
        })?;
        commits += 1;
    }
    Ok(f64::from(commits) / started.elapsed().as_secs_f64())
}
