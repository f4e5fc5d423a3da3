//! CORS from the configured origins only, and the security headers on every response.

use kanban_api_actix::{ApiConfig, CorsConfig};
use kanban_e2e::{Backend, TestApp, test_config};
use reqwest::{Method, StatusCode};

fn with_origins(origins: &[&str]) -> ApiConfig {
    ApiConfig {
        cors: CorsConfig {
            origins: origins.iter().map(|o| (*o).to_owned()).collect(),
        },
        ..test_config()
    }
}

async fn preflight(app: &TestApp, origin: &str) -> kanban_e2e::Reply {
    app.send(
        app.anonymous(Method::OPTIONS, "/api/tickets")
            .header("Origin", origin)
            .header("Access-Control-Request-Method", "POST")
            .header(
                "Access-Control-Request-Headers",
                "authorization, content-type",
            ),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_listed_origins_get_cors_headers() {
    let app = TestApp::spawn_with(Backend::Memory, with_origins(&["https://kanban.example"])).await;
    let listed = preflight(&app, "https://kanban.example").await;
    assert!(listed.status.is_success(), "{:?}", listed.status);
    assert_eq!(
        listed.header("access-control-allow-origin"),
        "https://kanban.example"
    );
    assert_eq!(listed.header("access-control-allow-credentials"), "true");
    assert!(
        listed
            .header("access-control-allow-headers")
            .contains("authorization")
    );
    let unlisted = preflight(&app, "https://evil.example").await;
    assert!(
        unlisted
            .headers
            .get("access-control-allow-origin")
            .is_none()
    );
    assert!(!unlisted.status.is_success());
    let actual = app
        .send(
            app.request(Method::GET, "/api/boards")
                .header("Origin", "https://evil.example"),
        )
        .await;
    assert_eq!(
        actual.status,
        StatusCode::OK,
        "non-browser clients still work"
    );
    assert!(actual.headers.get("access-control-allow-origin").is_none());
    let allowed = app
        .send(
            app.request(Method::GET, "/api/boards")
                .header("Origin", "https://kanban.example"),
        )
        .await;
    assert_eq!(
        allowed.header("access-control-allow-origin"),
        "https://kanban.example"
    );
    assert!(
        allowed
            .header("access-control-expose-headers")
            .contains("etag")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_origin_is_allowed_by_default() {
    let app = TestApp::spawn(Backend::Memory).await;
    for origin in ["http://localhost:3000", "null", "https://kanban.example"] {
        let reply = preflight(&app, origin).await;
        assert!(
            reply.headers.get("access-control-allow-origin").is_none(),
            "{origin}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn security_headers_are_on_every_response() {
    let app = TestApp::spawn(Backend::Memory).await;
    let answers = [
        app.get("/api/boards").await,
        app.get("/api/nowhere").await,
        app.send(app.anonymous(Method::GET, "/api/boards")).await,
        app.send(app.request(Method::PATCH, "/api/boards")).await,
    ];
    for reply in &answers {
        assert_eq!(
            reply.header("x-content-type-options"),
            "nosniff",
            "{}",
            reply.status
        );
        assert_eq!(reply.header("referrer-policy"), "no-referrer");
        assert_eq!(reply.header("x-frame-options"), "DENY");
    }
    let docs = app.get("/docs").await;
    assert!(
        docs.headers.get("x-frame-options").is_none(),
        "the docs may be framed"
    );
    assert_eq!(docs.header("x-content-type-options"), "nosniff");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_without_an_origin_varies_by_origin_and_has_no_cors_headers() {
    let app = TestApp::spawn_with(Backend::Memory, with_origins(&["https://kanban.example"])).await;
    let plain = app.get("/api/boards").await;
    assert_eq!(plain.status, StatusCode::OK);
    assert!(
        plain.header("vary").contains("Origin"),
        "{:?}",
        plain.headers
    );
    for name in [
        "access-control-allow-origin",
        "access-control-expose-headers",
        "access-control-allow-credentials",
    ] {
        assert!(plain.headers.get(name).is_none(), "{name}");
    }
    let missing = app.get("/api/nowhere").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(missing.header("vary").contains("Origin"));
    let browser = app
        .send(
            app.request(Method::GET, "/api/boards")
                .header("Origin", "https://kanban.example"),
        )
        .await;
    assert!(browser.header("vary").contains("Origin"));
    assert_eq!(browser.header("access-control-allow-credentials"), "true");
}

/// A refusal of the rate limiter is raised as an error before any route runs, and rewritten
/// into the envelope: a browser must still be allowed to read it (and its `Retry-After`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rate_limited_answer_keeps_its_cors_headers() {
    let mut config = with_origins(&["https://kanban.example"]);
    config.rate_limit.enabled = true;
    config.rate_limit.requests_per_minute = 1;
    config.rate_limit.burst = 1;
    let app = TestApp::spawn_with(Backend::Memory, config).await;
    let from_browser = || {
        app.request(Method::GET, "/api/boards")
            .header("Origin", "https://kanban.example")
    };
    assert_eq!(app.send(from_browser()).await.status, StatusCode::OK);
    let limited = app.send(from_browser()).await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(limited.code(), "RATE_LIMITED");
    assert_eq!(
        limited.header("access-control-allow-origin"),
        "https://kanban.example"
    );
    assert!(
        limited
            .header("access-control-expose-headers")
            .contains("retry-after")
    );
    assert!(limited.header("retry-after").parse::<u64>().unwrap() >= 1);
    assert!(limited.header("x-request-id").starts_with("req_"));
    let plain = app.get("/api/boards").await;
    assert_eq!(plain.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(plain.header("vary").contains("Origin"));
    assert!(plain.headers.get("access-control-allow-origin").is_none());
}
