//! Trusted-network modes (`auth.anonymous`) and the display-name sessions of §8.

use kanban_api_actix::{AnonymousAccess, ApiConfig, AuthConfig};
use kanban_domain::Role;
use kanban_e2e::{Backend, TestApp, on_both_backends, test_config};
use reqwest::{Method, StatusCode};
use serde_json::json;

on_both_backends!(sessions_remember_a_display_name);

fn mode(anonymous: AnonymousAccess) -> ApiConfig {
    ApiConfig {
        auth: AuthConfig {
            anonymous,
            ..AuthConfig::default()
        },
        ..test_config()
    }
}

async fn anonymous_status(app: &TestApp, method: Method, path: &str) -> StatusCode {
    let mut request = app.anonymous(method.clone(), path);
    if method == Method::POST {
        request = request.json(&json!({"name": "By nobody"}));
    }
    app.send(request).await.status
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn off_refuses_every_tokenless_request_but_the_public_ones() {
    let app = TestApp::spawn_with(Backend::Memory, mode(AnonymousAccess::Off)).await;
    assert_eq!(
        anonymous_status(&app, Method::GET, "/api/boards").await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        anonymous_status(&app, Method::POST, "/api/boards").await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        anonymous_status(&app, Method::GET, "/").await,
        StatusCode::OK
    );
    let reply = app.send(app.anonymous(Method::GET, "/api/boards")).await;
    assert_eq!(reply.header("www-authenticate"), "Bearer");
    assert_eq!(reply.code(), "UNAUTHORIZED");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_admits_tokenless_reads_only() {
    let app = TestApp::spawn_with(Backend::Memory, mode(AnonymousAccess::Read)).await;
    assert_eq!(
        anonymous_status(&app, Method::GET, "/api/boards").await,
        StatusCode::OK
    );
    assert_eq!(
        anonymous_status(&app, Method::GET, "/api/history/stats").await,
        StatusCode::OK
    );
    assert_eq!(
        anonymous_status(&app, Method::POST, "/api/boards").await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        anonymous_status(&app, Method::GET, "/api/auth/me").await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        anonymous_status(&app, Method::GET, "/api/users").await,
        StatusCode::UNAUTHORIZED
    );
    let forged = app
        .send(app.anonymous(Method::GET, "/api/boards").bearer_auth("bad"))
        .await;
    assert_eq!(
        forged.status,
        StatusCode::UNAUTHORIZED,
        "a token is judged by itself"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn write_acts_with_the_anonymous_role_under_the_session_name() {
    let app = TestApp::spawn_with(Backend::Sqlite, mode(AnonymousAccess::Write)).await;
    let created = app
        .send(
            app.anonymous(Method::POST, "/api/tickets")
                .json(&json!({"board_id": 1, "title": "T"})),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    let id = created.body["id"].as_i64().unwrap();
    let session = app
        .send(
            app.anonymous(Method::POST, "/api/users/session")
                .json(&json!({"username": "Ann Smith"})),
        )
        .await;
    let cookie = session.header("set-cookie").to_owned();
    let session_id = session.body["session_id"].as_str().unwrap().to_owned();
    let moved = app
        .send(
            app.anonymous(Method::POST, &format!("/api/tickets/{id}/move"))
                .header("Cookie", cookie.split(';').next().unwrap())
                .json(&json!({"column": "In Progress"})),
        )
        .await;
    assert_eq!(moved.status, StatusCode::OK);
    let comment = app
        .send(
            app.anonymous(Method::POST, "/api/comments")
                .header("X-Session-Id", &session_id)
                .json(&json!({"ticket_id": id, "text": "hello"})),
        )
        .await;
    assert_eq!(comment.body["author"], "Ann Smith");
    let history = app
        .get(&format!("/api/history/tickets/{id}/history"))
        .await
        .body;
    let by: Vec<&str> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["changed_by"].as_str().unwrap())
        .collect();
    assert_eq!(by, ["Ann Smith", "anonymous"]);
    assert_eq!(
        anonymous_status(&app, Method::GET, "/api/users").await,
        StatusCode::UNAUTHORIZED,
        "the anonymous pm may not administer"
    );
    let viewer = app.user("vic", Role::Viewer).await;
    let judged = app
        .send(
            app.request_as(&viewer, Method::POST, "/api/boards")
                .json(&json!({"name": "V"})),
        )
        .await;
    assert_eq!(
        judged.status,
        StatusCode::FORBIDDEN,
        "a token is judged by itself"
    );
}

async fn sessions_remember_a_display_name(app: TestApp) {
    let started = app
        .send(
            app.anonymous(Method::POST, "/api/users/session")
                .json(&json!({"username": " Ann "})),
        )
        .await;
    assert_eq!(started.status, StatusCode::OK, "{:?}", started.body);
    assert_eq!(started.body["username"], "Ann");
    assert!(started.body["created_at"].is_string());
    let id = started.body["session_id"].as_str().unwrap().to_owned();
    let cookie = started.header("set-cookie").to_owned();
    assert!(cookie.starts_with(&format!("session_id={id};")), "{cookie}");
    for part in ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=604800"] {
        assert!(cookie.contains(part), "{cookie} lacks {part}");
    }
    let by_cookie = app
        .send(
            app.anonymous(Method::GET, "/api/users/session")
                .header("Cookie", format!("theme=dark; session_id={id}")),
        )
        .await;
    assert_eq!(by_cookie.status, StatusCode::OK);
    assert_eq!(by_cookie.body["session_id"], id);
    let renamed = app
        .send(
            app.anonymous(Method::PUT, "/api/users/session")
                .header("X-Session-Id", &id)
                .json(&json!({"username": "Bo"})),
        )
        .await;
    assert_eq!(renamed.body["username"], "Bo");
    let invalid = app
        .send(
            app.anonymous(Method::PUT, "/api/users/session")
                .header("X-Session-Id", &id)
                .json(&json!({"username": ""})),
        )
        .await;
    assert_eq!(invalid.invalid_fields(), ["body.username"]);
    let ended = app
        .send(
            app.anonymous(Method::DELETE, "/api/users/session")
                .header("X-Session-Id", &id),
        )
        .await;
    assert_eq!(ended.status, StatusCode::OK);
    assert!(ended.header("set-cookie").contains("Max-Age=0"));
    for method in [Method::GET, Method::DELETE] {
        let gone = app
            .send(
                app.anonymous(method.clone(), "/api/users/session")
                    .header("X-Session-Id", &id),
            )
            .await;
        assert_eq!(gone.status, StatusCode::NOT_FOUND, "{method}");
    }
    let none = app
        .send(app.anonymous(Method::GET, "/api/users/session"))
        .await;
    assert_eq!(none.status, StatusCode::NOT_FOUND);
}
