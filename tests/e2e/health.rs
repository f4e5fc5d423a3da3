//! Health and status routes (contract §9): public, with real checks.

use kanban_api_actix::ApiConfig;
use kanban_e2e::{TestApp, on_both_backends, test_config};
use reqwest::{Method, StatusCode};

on_both_backends!(health_routes_answer_without_a_token);

/// A server whose memory threshold is `mb` (the test process hosts many servers, so its resident
/// memory says nothing about one of them).
async fn with_threshold(app: &TestApp, mb: u32) -> TestApp {
    let config = ApiConfig {
        memory_threshold_mb: mb,
        ..test_config()
    };
    TestApp::spawn_with(app.backend(), config).await
}

async fn health_routes_answer_without_a_token(app: TestApp) {
    let app = with_threshold(&app, 1_000_000).await;
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
    let tight = with_threshold(&app, 1).await;
    let degraded = tight
        .send(tight.anonymous(Method::GET, "/health/detailed"))
        .await;
    assert_eq!(
        degraded.status,
        StatusCode::OK,
        "degraded still answers 200"
    );
    assert_eq!(degraded.body["status"], "degraded");
    assert!(
        degraded.body["issues"][0]
            .as_str()
            .unwrap()
            .contains("above the 1 MB threshold")
    );
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

    let memory = app.send(app.anonymous(Method::GET, "/health/memory")).await;
    assert_eq!(memory.status, StatusCode::OK);
    assert!(memory.body["current"]["rss_mb"].as_f64().unwrap() > 1.0);
    assert_eq!(memory.body["threshold_mb"], 1_000_000.0);
    assert_eq!(memory.body["current"]["over_threshold"], false);
    assert!(
        memory.body["history_count"].as_u64().unwrap() >= 1,
        "the request took a sample"
    );
    assert!(
        memory.body["statistics"]["max_mb"].as_f64().unwrap()
            >= memory.body["statistics"]["min_mb"].as_f64().unwrap()
    );
    assert_eq!(memory.body["leak_detection"]["status"], "insufficient_data");

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

/// `/health` looks at the database file itself: a file moved away or overwritten with something
/// that is not a database makes it answer 503, and putting the file back makes it healthy again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_is_unavailable_while_the_database_file_is_unreadable() {
    let app = TestApp::spawn(kanban_e2e::Backend::Sqlite).await;
    let path = app.database_path().unwrap();
    let aside = path.with_extension("aside");
    let health = || async { app.send(app.anonymous(Method::GET, "/health")).await };
    assert_eq!(health().await.status, StatusCode::OK);

    std::fs::rename(&path, &aside).unwrap();
    let gone = health().await;
    assert_eq!(gone.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(gone.body["status"], "unhealthy");
    assert_eq!(gone.code(), "UNAVAILABLE");
    let detailed = app
        .send(app.anonymous(Method::GET, "/health/detailed"))
        .await;
    assert_eq!(detailed.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(detailed.body["database"]["status"], "unhealthy");
    assert_eq!(
        detailed.body["issues"],
        serde_json::json!(["the database does not answer"])
    );
    let statistics = app.get("/api/statistics/statistics/health").await;
    assert_eq!(statistics.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(statistics.code(), "UNAVAILABLE");

    std::fs::rename(&aside, &path).unwrap();
    assert_eq!(health().await.status, StatusCode::OK);

    let original = std::fs::read(&path).unwrap();
    let mut garbled = original.clone();
    garbled[..16].copy_from_slice(b"not a database!!");
    std::fs::write(&path, &garbled).unwrap();
    let corrupt = health().await;
    assert_eq!(corrupt.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(corrupt.body["status"], "unhealthy");
    let error = corrupt.body["error"]["message"].as_str().unwrap();
    assert!(
        !error.contains(path.to_str().unwrap()),
        "no file paths in answers: {error}"
    );
    std::fs::write(&path, &original).unwrap();
    assert_eq!(health().await.status, StatusCode::OK);
}
