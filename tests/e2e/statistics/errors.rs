//! The statistics routes' errors (404, 422, 400) and roles (pm and admin; clears admin only).

use super::create;
use kanban_domain::Role;
use kanban_e2e::{TestApp, on_both_backends};
use reqwest::{Method, StatusCode};
use serde_json::json;

on_both_backends!(statistics_errors, statistics_roles);

async fn statistics_errors(app: TestApp) {
    let board = app.create_board(&json!({"name": "B"})).await["id"]
        .as_i64()
        .unwrap();
    let ticket = create(&app, board, "T").await;
    for path in [
        "/boards/999999/statistics".to_owned(),
        "/tickets/999999/statistics".to_owned(),
        "/boards/999999/performance".to_owned(),
        "/boards/999999/tickets/colors".to_owned(),
        "/boards/999999/tickets/colors/realtime?ticket_ids=1".to_owned(),
        "/boards/999999/column/Done/statistics".to_owned(),
        "/boards/999999/drag-drop/metrics".to_owned(),
        format!("/boards/{board}/column/Nope/statistics"),
    ] {
        let reply = app.get(&format!("/api/statistics{path}")).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(reply.code(), "NOT_FOUND", "{path}");
    }
    for (query, field) in [
        ("performance?days=0", "query.days"),
        ("performance?days=366", "query.days"),
        ("performance?days=abc", "query.days"),
        ("tickets/colors?column=Nope", "query.column"),
        ("tickets/colors/realtime?ticket_ids=x", "query.ticket_ids"),
    ] {
        let reply = app
            .get(&format!("/api/statistics/boards/{board}/{query}"))
            .await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{query}");
        assert_eq!(reply.invalid_fields(), [field], "{query}");
    }
    let ids = |n: i64| {
        (1..=n)
            .map(|i| format!("ticket_ids={i}"))
            .collect::<Vec<_>>()
            .join("&")
    };
    let realtime = format!("/api/statistics/boards/{board}/tickets/colors/realtime?");
    let fifty = app.get(&format!("{realtime}{}", ids(50))).await;
    assert_eq!(fifty.status, StatusCode::OK);
    let fifty_one = app.get(&format!("{realtime}{}", ids(51))).await;
    assert_eq!(fifty_one.status, StatusCode::BAD_REQUEST);
    assert_eq!(fifty_one.code(), "BAD_REQUEST");
    let ok_ticket = app
        .get(&format!("/api/statistics/tickets/{ticket}/statistics"))
        .await;
    assert_eq!(ok_ticket.status, StatusCode::OK);
    let bad_path = app.get("/api/statistics/boards/abc/statistics").await;
    assert_eq!(bad_path.invalid_fields(), ["path.board_id"]);
    let health = app.get("/api/statistics/statistics/health").await;
    assert_eq!(health.status, StatusCode::OK);
    assert_eq!(health.body["status"], "healthy");
    assert_eq!(health.body["cache"], "none");
}

async fn statistics_roles(app: TestApp) {
    let board = app.create_board(&json!({"name": "B"})).await["id"]
        .as_i64()
        .unwrap();
    let pm = app.user("pm-1", Role::Pm).await;
    let agent = app.user("agent", Role::Agent).await;
    let viewer = app.user("viewer", Role::Viewer).await;
    let read = format!("/api/statistics/boards/{board}/statistics");
    let as_user = |user, method: Method, path: &str| app.request_as(user, method, path);
    assert_eq!(
        app.send(as_user(&pm, Method::GET, &read)).await.status,
        StatusCode::OK
    );
    for user in [&agent, &viewer] {
        let reply = app.send(as_user(user, Method::GET, &read)).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN);
        assert_eq!(reply.code(), "FORBIDDEN");
    }
    let anonymous = app.send(app.anonymous(Method::GET, &read)).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    assert_eq!(anonymous.header("www-authenticate"), "Bearer");
    for clear in [
        "/api/statistics/statistics/cache/clear",
        "/api/statistics/drag-drop/metrics/clear",
    ] {
        assert_eq!(
            app.send(as_user(&pm, Method::POST, clear)).await.status,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            app.send(app.anonymous(Method::POST, clear)).await.status,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(app.post_empty(clear).await.status, StatusCode::OK);
    }
}
