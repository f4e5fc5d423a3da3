//! Health and status routes (contract §9): public, with real checks.

use kanban_e2e::{TestApp, on_both_backends};
use reqwest::{Method, StatusCode};

on_both_backends!(health_routes_answer_without_a_token);

async fn health_routes_answer_without_a_token(app: TestApp) {
    let health = app.send(app.anonymous(Method::GET, "/health")).await;
    assert_eq!(health.status, StatusCode::OK);
    assert_eq!(health.body["status"], "healthy");
    assert_eq!(health.body["websocket"], "available");

    let mut ws = app.ws("").await;
    ws.next().await;
    let detailed = app
        .send(app.anonymous(Method::GET, "/health/detailed/"))
        .await;
    assert_eq!(detailed.status, StatusCode::OK);
    let body = &detailed.body;
    assert_eq!(body["status"], "healthy", "{body}");
    assert_eq!(body["database"]["status"], "healthy");
    assert!(body["database"]["latency_ms"].as_f64().unwrap() >= 0.0);
    assert!(body["uptime_seconds"].as_f64().unwrap() >= 0.0);
    assert!(body["timestamp"].as_str().unwrap().ends_with('Z'));
    assert_eq!(body["websocket"]["active_connections"], 1);
    assert!(body["memory"]["rss_mb"].as_f64().unwrap() > 1.0);
    assert_eq!(body["issues"], serde_json::json!([]));
    if app.store.is_some() {
        assert!(
            body["database"]["size_bytes"].as_u64().unwrap() > 0,
            "a real file"
        );
    } else {
        assert!(
            body["database"]["size_bytes"].is_null(),
            "memory has no file"
        );
    }

    let simple = app
        .send(app.anonymous(Method::GET, "/api/health/simple"))
        .await;
    assert_eq!(
        (simple.status, simple.body["status"].as_str()),
        (StatusCode::OK, Some("ok"))
    );
    let status = app.send(app.anonymous(Method::GET, "/api/status")).await;
    assert_eq!(status.body["status"], "operational");
    assert_eq!(status.body["websocket_available"], true);
    assert_eq!(status.body["endpoints"]["websocket"], "/ws/connect");
    ws.close().await;
}
