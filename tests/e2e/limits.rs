//! Rate limits trigger at exactly the configured count, answer 429 in the error envelope with
//! `Retry-After`, and count per user, per address, or per forwarded address from a trusted proxy;
//! the bulk routes have their own per-user limit.

use kanban_api_actix::{ApiConfig, RateLimitConfig};
use kanban_domain::Role;
use kanban_e2e::{Backend, PASSWORD, Reply, TestApp, test_config};
use reqwest::{Method, StatusCode};
use serde_json::json;

fn limits(change: impl FnOnce(&mut RateLimitConfig)) -> ApiConfig {
    let mut rate_limit = RateLimitConfig {
        enabled: true,
        ..RateLimitConfig::default()
    };
    change(&mut rate_limit);
    ApiConfig {
        rate_limit,
        ..test_config()
    }
}

fn assert_limited(reply: &Reply, what: &str) {
    assert_eq!(
        reply.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{what}: {:?}",
        reply.body
    );
    assert_eq!(reply.code(), "RATE_LIMITED", "{what}");
    assert!(reply.header("content-type").starts_with("application/json"));
    let retry: u64 = reply.header("retry-after").parse().unwrap();
    assert!(retry >= 1, "{what}: Retry-After {retry}");
    assert!(reply.body["error"]["error_id"].is_string());
}

async fn login(app: &TestApp, forwarded_for: Option<&str>) -> Reply {
    let mut request = app
        .anonymous(Method::POST, "/api/auth/login")
        .json(&json!({"username": "admin", "password": "Wrong1234"}));
    if let Some(ip) = forwarded_for {
        request = request.header("X-Forwarded-For", ip);
    }
    app.send(request).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_attempts_are_limited_per_address() {
    let app = TestApp::spawn_with(Backend::Memory, limits(|l| l.login_per_minute = 3)).await;
    for n in 1..=3 {
        assert_eq!(
            login(&app, None).await.status,
            StatusCode::UNAUTHORIZED,
            "attempt {n}"
        );
    }
    assert_limited(&login(&app, None).await, "the fourth login");
    let right = app
        .send(
            app.anonymous(Method::POST, "/api/auth/login")
                .json(&json!({"username": "admin", "password": PASSWORD})),
        )
        .await;
    assert_limited(&right, "even with the right password");
    assert_limited(
        &login(&app, Some("203.0.113.9")).await,
        "X-Forwarded-For from an untrusted peer is ignored",
    );
    assert_eq!(
        app.get("/api/boards").await.status,
        StatusCode::OK,
        "other routes are not"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trusted_proxy_forwards_the_client_address() {
    let app = TestApp::spawn_with(
        Backend::Memory,
        limits(|l| {
            l.login_per_minute = 2;
            l.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
        }),
    )
    .await;
    for _ in 0..2 {
        assert_eq!(
            login(&app, Some("203.0.113.1")).await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_limited(&login(&app, Some("203.0.113.1")).await, "the same client");
    assert_eq!(
        login(&app, Some("198.51.100.7, 203.0.113.1")).await.status,
        StatusCode::TOO_MANY_REQUESTS,
        "the nearest untrusted address counts, not one the client made up"
    );
    assert_eq!(
        login(&app, Some("203.0.113.2")).await.status,
        StatusCode::UNAUTHORIZED,
        "another client has its own bucket"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registrations_are_limited_per_address() {
    let app = TestApp::spawn_with(Backend::Memory, limits(|l| l.register_per_hour = 2)).await;
    let register = |n: u32| {
        app.anonymous(Method::POST, "/api/auth/register")
            .json(&json!({
                "username": format!("user-{n}"),
                "email": format!("user-{n}@example.com"),
                "password": PASSWORD,
            }))
    };
    for n in 1..=2 {
        assert_eq!(app.send(register(n)).await.status, StatusCode::CREATED);
    }
    let third = app.send(register(3)).await;
    assert_limited(&third, "the third registration");
    let retry: u64 = third.header("retry-after").parse().unwrap();
    assert!(
        retry > 60,
        "a registration comes back every 30 minutes, not {retry} s"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_default_limit_counts_per_user_and_per_address() {
    let app = TestApp::spawn_with(
        Backend::Memory,
        limits(|l| {
            l.requests_per_minute = 1;
            l.burst = 5;
        }),
    )
    .await;
    for n in 1..=5 {
        assert_eq!(
            app.get("/api/boards").await.status,
            StatusCode::OK,
            "request {n}"
        );
    }
    assert_limited(&app.get("/api/boards").await, "the admin's sixth request");
    let ann = app.user("ann", Role::Viewer).await;
    for n in 1..=5 {
        let reply = app
            .send(app.request_as(&ann, Method::GET, "/api/boards"))
            .await;
        assert_eq!(reply.status, StatusCode::OK, "ann's request {n}");
    }
    assert_limited(
        &app.send(app.request_as(&ann, Method::GET, "/api/boards"))
            .await,
        "ann's sixth",
    );
    for n in 1..=5 {
        let reply = app.send(app.anonymous(Method::GET, "/")).await;
        assert_eq!(reply.status, StatusCode::OK, "anonymous request {n}");
    }
    assert_limited(
        &app.send(app.anonymous(Method::GET, "/")).await,
        "the address's sixth",
    );
    // Refused before any route ran, yet counted under the route it asked for.
    let metrics = app.state.metrics.render(0, None);
    let refused =
        r#"kanban_http_requests_total{endpoint="/api/boards",method="GET",status="429"} 2"#;
    assert!(metrics.contains(refused), "{metrics}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bulk_requests_are_limited_to_ten_a_minute_per_user() {
    let app = TestApp::spawn_with(Backend::Memory, limits(|_| {})).await;
    let board = app
        .create_board(&json!({"name": "Work", "columns": ["Todo", "Done"]}))
        .await["id"]
        .clone();
    let ticket = app
        .create_ticket(&json!({"board_id": board, "title": "T"}))
        .await["id"]
        .as_i64()
        .unwrap();
    let status = app.get("/api/bulk/operations/status").await;
    assert_eq!(
        status.body["rate_limits"],
        json!({"enabled": true, "requests_per_minute": 10, "per": "user"})
    );
    let move_to = |column: &str| json!({"ticket_ids": [ticket], "target_column": column});
    for n in 2..=10 {
        let column = if n % 2 == 0 { "Done" } else { "Todo" };
        let reply = app.post("/api/bulk/tickets/move", &move_to(column)).await;
        assert_eq!(
            reply.status,
            StatusCode::OK,
            "request {n}: {:?}",
            reply.body
        );
    }
    let limited = app.post("/api/bulk/tickets/move", &move_to("Todo")).await;
    assert_limited(&limited, "the eleventh bulk request");
    let now = app.get(&format!("/api/tickets/{ticket}")).await;
    assert_eq!(
        now.body["current_column"], "Done",
        "the refused request changed nothing"
    );
    assert_eq!(
        app.get("/api/boards").await.status,
        StatusCode::OK,
        "other routes are not limited by it"
    );
    let pm = app.user("pam", Role::Pm).await;
    let other = app
        .send(app.request_as(&pm, Method::GET, "/api/bulk/operations/status"))
        .await;
    assert_eq!(
        other.status,
        StatusCode::OK,
        "another user has its own bucket"
    );
}
