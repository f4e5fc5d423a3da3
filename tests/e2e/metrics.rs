//! `GET /metrics` (Prometheus text) and the authenticated overview `GET /api/health/`
//! (contract §9).

use kanban_e2e::{TestApp, on_both_backends};
use reqwest::{Method, StatusCode};
use serde_json::json;

on_both_backends!(
    metrics_count_requests_by_route_pattern,
    metrics_count_ticket_changes_and_connections,
    overview_counts_what_the_database_holds,
);

/// The metrics text, fetched without a token (the route is public).
async fn scrape(app: &TestApp) -> String {
    let response = app.anonymous(Method::GET, "/metrics").send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let content_type = response.headers()["content-type"].to_str().unwrap();
    assert!(
        content_type.starts_with("text/plain; version=0.0.4"),
        "{content_type}"
    );
    response.text().await.unwrap()
}

/// The value of the sample `series` (name and labels exactly as exposed), 0 when absent.
fn sample(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .map_or(0.0, |value| value.parse().unwrap())
}

async fn metrics_count_requests_by_route_pattern(app: TestApp) {
    let board = app.create_board(&json!({"name": "B"})).await;
    let id = board["id"].as_i64().unwrap();
    let series = r#"kanban_http_requests_total{endpoint="/api/boards/{board_id}",method="GET",status="200"}"#;
    let before = sample(&scrape(&app).await, series);

    assert_eq!(
        app.get(&format!("/api/boards/{id}")).await.status,
        StatusCode::OK
    );
    assert_eq!(
        app.get(&format!("/api/boards/{id}/")).await.status,
        StatusCode::OK
    );
    assert_eq!(
        app.get("/api/boards/424242").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get("/no/such/path/1").await.status,
        StatusCode::NOT_FOUND
    );

    let text = scrape(&app).await;
    assert_eq!(
        sample(&text, series),
        before + 2.0,
        "raw ids are not labels"
    );
    assert!(!text.contains(&format!("/api/boards/{id}\"")), "{text}");
    let not_found = r#"kanban_http_requests_total{endpoint="/api/boards/{board_id}",method="GET",status="404"}"#;
    assert_eq!(sample(&text, not_found), 1.0);
    let unmatched = r#"kanban_http_requests_total{endpoint="unmatched",method="GET",status="404"}"#;
    assert_eq!(sample(&text, unmatched), 1.0);
    assert!(!text.contains("/no/such/path"), "unknown paths are masked");
    let latency = r#"kanban_http_requests_duration_seconds_count{endpoint="/api/boards/{board_id}",method="GET",status="200"}"#;
    assert_eq!(sample(&text, latency), before + 2.0);
    assert!(text.contains(r#"kanban_http_requests_duration_seconds_bucket{endpoint="/api/boards/{board_id}",method="GET",status="200",le="0.005"}"#));
}

async fn metrics_count_ticket_changes_and_connections(app: TestApp) {
    let board = app
        .create_board(&json!({"name": "B", "columns": ["Todo", "Doing"]}))
        .await;
    let board_id = board["id"].as_i64().unwrap();
    for title in ["one", "two", "three"] {
        app.create_ticket(&json!({"board_id": board_id, "title": title}))
            .await;
    }
    let ticket = app
        .create_ticket(&json!({"board_id": board_id, "title": "four"}))
        .await;
    let id = ticket["id"].as_i64().unwrap();
    let moved = app
        .post(
            &format!("/api/tickets/{id}/move"),
            &json!({"column": "Doing"}),
        )
        .await;
    assert_eq!(moved.status, StatusCode::OK);
    let claimed = app
        .post_empty(&format!("/api/tickets/{id}/claim?agent_id=bot"))
        .await;
    assert_eq!(claimed.status, StatusCode::OK);
    // A refused move counts nothing.
    let refused = app
        .post(
            &format!("/api/tickets/{id}/move"),
            &json!({"column": "Nowhere"}),
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let mut ws = app.ws("").await;
    ws.next().await;

    let text = scrape(&app).await;
    assert_eq!(sample(&text, "kanban_tickets_created_total"), 4.0);
    assert_eq!(sample(&text, "kanban_tickets_moved_total"), 1.0);
    assert_eq!(sample(&text, "kanban_tickets_claimed_total"), 1.0);
    assert_eq!(
        sample(
            &text,
            r#"kanban_events_published_total{event="board_created"}"#
        ),
        1.0
    );
    assert_eq!(sample(&text, "kanban_websocket_connections"), 1.0);
    if app.store.is_some() {
        assert_eq!(sample(&text, "kanban_db_pool_max_connections"), 8.0);
        assert!(sample(&text, "kanban_db_pool_connections") >= 1.0, "{text}");
    } else {
        assert_eq!(
            sample(&text, "kanban_db_pool_max_connections"),
            0.0,
            "memory has no pool"
        );
    }
}

async fn overview_counts_what_the_database_holds(app: TestApp) {
    let unauthenticated = app.send(app.anonymous(Method::GET, "/api/health/")).await;
    assert_eq!(unauthenticated.status, StatusCode::UNAUTHORIZED);
    assert_eq!(unauthenticated.code(), "UNAUTHORIZED");

    let board = app
        .create_board(&json!({"name": "B", "columns": ["Todo", "Done"]}))
        .await;
    let board_id = board["id"].as_i64().unwrap();
    let ticket = app
        .create_ticket(&json!({"board_id": board_id, "title": "first"}))
        .await;
    let id = ticket["id"].as_i64().unwrap();
    app.create_ticket(&json!({"board_id": board_id, "title": "second"}))
        .await;
    app.post(
        &format!("/api/tickets/{id}/move"),
        &json!({"column": "Done"}),
    )
    .await;
    app.post("/api/comments", &json!({"ticket_id": id, "text": "done"}))
        .await;
    let viewer = app.user("vic", kanban_domain::Role::Viewer).await;

    let overview = app
        .send(app.request_as(&viewer, Method::GET, "/api/health/"))
        .await;
    assert_eq!(overview.status, StatusCode::OK, "{}", overview.body);
    let body = &overview.body;
    assert_eq!(body["status"], "healthy");
    assert!(body["timestamp"].as_str().unwrap().ends_with('Z'));
    assert_eq!(body["server"]["name"], "Agent Kanban");
    assert_eq!(body["server"]["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(body["server"]["environment"], "development");
    assert!(body["server"]["uptime"].as_u64().is_some());
    assert_eq!(body["database"]["status"], "connected");
    assert_eq!(
        body["database"]["statistics"],
        json!({
            // the board every fresh server starts with, and B
            "boards": 2, "tickets": 2, "comments": 1,
            // admin and vic
            "users": 2,
            // two creations and a move
            "history_entries": 3,
            "ticket_distribution": {"Done": 1, "Todo": 1},
        })
    );
    assert_eq!(body["websocket"]["active_connections"], 0);
    let recent = body["recent_activity"].as_array().unwrap();
    assert_eq!(recent.len(), 3);
    assert_eq!(recent[0]["field_name"], "column");
    assert_eq!(recent[0]["ticket_title"], "first");
    assert_eq!(recent[0]["time_ago"], "just now");
}
