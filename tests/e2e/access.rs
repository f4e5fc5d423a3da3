//! The permission matrix of contract §11: every route × admin, pm, agent, viewer and no token,
//! asserting 2xx (allowed), 403 (a valid token without the permission) or 401 (no token). Each
//! call gets fresh resources, so a delete or a claim never changes what the next call sees.

use kanban_domain::Role;
use kanban_e2e::{PASSWORD, TestApp, TestUser, on_both_backends};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

on_both_backends!(every_route_for_every_role);

/// Who calls: the four roles, then no token.
const CALLERS: [&str; 5] = ["admin", "pm", "agent", "viewer", "none"];

/// Expected outcome per caller, in [`CALLERS`] order: `A` 2xx, `D` 403, `U` 401.
const PUBLIC: &str = "AAAAA";
const READ: &str = "AAAAU";
const ACCOUNT: &str = "AAAAU";
const MANAGE_BOARDS: &str = "AADDU";
const CONTRIBUTE: &str = "AAADU";
const CHANGE_TICKETS: &str = "AAADU";
const CLAIM: &str = "AAADU";
const DELETE_TICKETS: &str = "AADDU";
/// An agent is not the author of the admin's comment, so the domain refuses it too.
const DELETE_OTHERS_COMMENT: &str = "AADDU";
const ANALYSE: &str = "AADDU";
const ADMINISTER: &str = "ADDDU";

/// The resources one call works on.
struct Fixture {
    board: i64,
    ticket: i64,
    comment: i64,
    session: String,
}

async fn fixture(app: &TestApp) -> Fixture {
    let board = app.create_board(&json!({"name": "Matrix"})).await["id"]
        .as_i64()
        .unwrap();
    let ticket = app
        .create_ticket(&json!({"board_id": board, "title": "T"}))
        .await["id"]
        .as_i64()
        .unwrap();
    let comment = app
        .post(
            "/api/comments",
            &json!({"ticket_id": ticket, "text": "by admin"}),
        )
        .await
        .body["id"]
        .as_i64()
        .unwrap();
    let session = app
        .send(
            app.anonymous(Method::POST, "/api/users/session")
                .json(&json!({"username": "Visitor"})),
        )
        .await
        .body["session_id"]
        .as_str()
        .unwrap()
        .to_owned();
    Fixture {
        board,
        ticket,
        comment,
        session,
    }
}

/// One row of the matrix: method, path, body (with `{board}`, `{ticket}`, `{comment}`,
/// `{target}`, `{n}` filled in), expected outcomes.
type Row = (Method, &'static str, Value, &'static str);

fn rows() -> Vec<Row> {
    use Method as M;
    let none = Value::Null;
    vec![
        (M::GET, "/", none.clone(), PUBLIC),
        (M::GET, "/api/boards", none.clone(), READ),
        (M::GET, "/api/boards/default", none.clone(), READ),
        (M::GET, "/api/boards/{board}", none.clone(), READ),
        (
            M::POST,
            "/api/boards",
            json!({"name": "New"}),
            MANAGE_BOARDS,
        ),
        (
            M::PUT,
            "/api/boards/{board}",
            json!({"name": "Renamed"}),
            MANAGE_BOARDS,
        ),
        (
            M::DELETE,
            "/api/boards/{board}",
            none.clone(),
            MANAGE_BOARDS,
        ),
        (M::GET, "/api/boards/{board}/columns", none.clone(), READ),
        (
            M::PUT,
            "/api/boards/{board}/columns",
            json!([
                "Not Started",
                "In Progress",
                "Blocked",
                "Ready for QC",
                "Done",
                "Extra"
            ]),
            MANAGE_BOARDS,
        ),
        (
            M::POST,
            "/api/boards/{board}/columns/rename",
            json!({"from": "Blocked", "to": "Stuck"}),
            MANAGE_BOARDS,
        ),
        (M::GET, "/api/boards/{board}/tickets", none.clone(), READ),
        (M::GET, "/api/boards/default/tickets", none.clone(), READ),
        (M::GET, "/api/tickets?board_id={board}", none.clone(), READ),
        (M::GET, "/api/tickets/{ticket}", none.clone(), READ),
        (
            M::POST,
            "/api/tickets",
            json!({"board_id": "{board}", "title": "New"}),
            CONTRIBUTE,
        ),
        (
            M::PUT,
            "/api/tickets/{ticket}",
            json!({"title": "Changed"}),
            CHANGE_TICKETS,
        ),
        (
            M::POST,
            "/api/tickets/{ticket}/move",
            json!({"column": "In Progress"}),
            CHANGE_TICKETS,
        ),
        (M::POST, "/api/tickets/{ticket}/claim", none.clone(), CLAIM),
        (
            M::POST,
            "/api/tickets/{ticket}/release",
            none.clone(),
            CLAIM,
        ),
        (
            M::DELETE,
            "/api/tickets/{ticket}",
            none.clone(),
            DELETE_TICKETS,
        ),
        (M::GET, "/api/comments/ticket/{ticket}", none.clone(), READ),
        (
            M::POST,
            "/api/comments",
            json!({"ticket_id": "{ticket}", "text": "hi"}),
            CONTRIBUTE,
        ),
        (
            M::DELETE,
            "/api/comments/{comment}",
            none.clone(),
            DELETE_OTHERS_COMMENT,
        ),
        (
            M::GET,
            "/api/history/tickets/{ticket}/history",
            none.clone(),
            READ,
        ),
        (
            M::GET,
            "/api/history/tickets/{ticket}/transitions",
            none.clone(),
            READ,
        ),
        (
            M::GET,
            "/api/history/boards/{board}/activity",
            none.clone(),
            READ,
        ),
        (M::GET, "/api/history/stats", none.clone(), READ),
        (
            M::POST,
            "/api/bulk/tickets/move",
            json!({"ticket_ids": ["{ticket}"], "target_column": "Done"}),
            ANALYSE,
        ),
        (
            M::GET,
            "/api/statistics/boards/{board}/statistics",
            none.clone(),
            ANALYSE,
        ),
        (
            M::GET,
            "/api/statistics/tickets/{ticket}/statistics",
            none.clone(),
            ANALYSE,
        ),
        (
            M::GET,
            "/api/statistics/boards/{board}/performance?days=7",
            none.clone(),
            ANALYSE,
        ),
        (
            M::GET,
            "/api/statistics/boards/{board}/tickets/colors",
            none.clone(),
            ANALYSE,
        ),
        (
            M::GET,
            "/api/statistics/boards/{board}/tickets/colors/realtime?ticket_ids={ticket}",
            none.clone(),
            ANALYSE,
        ),
        (
            M::GET,
            "/api/statistics/boards/{board}/column/Done/statistics",
            none.clone(),
            ANALYSE,
        ),
        (
            M::GET,
            "/api/statistics/boards/{board}/drag-drop/metrics",
            none.clone(),
            ANALYSE,
        ),
        (
            M::GET,
            "/api/statistics/drag-drop/metrics/all",
            none.clone(),
            ANALYSE,
        ),
        (
            M::POST,
            "/api/bulk/tickets/priority",
            json!({"updates": [{"ticket_id": "{ticket}", "priority": 2}]}),
            ANALYSE,
        ),
        (
            M::POST,
            "/api/bulk/tickets/assign",
            json!({"ticket_ids": ["{ticket}"], "assignee": null}),
            ANALYSE,
        ),
        (M::GET, "/api/bulk/operations/status", none.clone(), ANALYSE),
        (
            M::POST,
            "/api/statistics/drag-drop/metrics/clear",
            none.clone(),
            ADMINISTER,
        ),
        (
            M::POST,
            "/api/statistics/statistics/cache/clear",
            none.clone(),
            ADMINISTER,
        ),
        (
            M::GET,
            "/api/statistics/statistics/health",
            none.clone(),
            ANALYSE,
        ),
        (M::GET, "/api/auth/me", none.clone(), ACCOUNT),
        (M::PUT, "/api/auth/me", json!({}), ACCOUNT),
        (M::POST, "/api/auth/logout", none.clone(), ACCOUNT),
        (
            M::POST,
            "/api/auth/register",
            json!({"username": "new-{n}", "email": "new-{n}@example.com", "password": PASSWORD}),
            PUBLIC,
        ),
        (
            M::POST,
            "/api/auth/login",
            json!({"username": "admin", "password": PASSWORD}),
            PUBLIC,
        ),
        (
            M::POST,
            "/api/auth/refresh",
            json!({"refresh_token": "{refresh}"}),
            PUBLIC,
        ),
        (M::GET, "/api/users", none.clone(), ADMINISTER),
        (
            M::PUT,
            "/api/users/{target}",
            json!({"is_active": true}),
            ADMINISTER,
        ),
        (
            M::POST,
            "/api/users/session",
            json!({"username": "Vis"}),
            PUBLIC,
        ),
        (M::GET, "/api/users/session", none.clone(), PUBLIC),
        (
            M::PUT,
            "/api/users/session",
            json!({"username": "Other"}),
            PUBLIC,
        ),
        (M::DELETE, "/api/users/session", none, PUBLIC),
    ]
}

fn fill(text: &str, f: &Fixture, target: i64, n: usize, refresh: &str) -> String {
    text.replace("{board}", &f.board.to_string())
        .replace("{ticket}", &f.ticket.to_string())
        .replace("{comment}", &f.comment.to_string())
        .replace("{target}", &target.to_string())
        .replace("{n}", &n.to_string())
        .replace("{refresh}", refresh)
}

/// The body with placeholders filled in; ids become numbers again.
fn fill_body(body: &Value, f: &Fixture, target: i64, n: usize, refresh: &str) -> Value {
    match body {
        Value::String(s) => {
            let filled = fill(s, f, target, n, refresh);
            filled
                .parse::<i64>()
                .map_or(Value::String(filled), Value::from)
        }
        Value::Array(items) => items
            .iter()
            .map(|v| fill_body(v, f, target, n, refresh))
            .collect(),
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| (k.clone(), fill_body(v, f, target, n, refresh)))
            .collect(),
        other => other.clone(),
    }
}

async fn every_route_for_every_role(app: TestApp) {
    let pm = app.user("pm-1", Role::Pm).await;
    let agent = app.user("agent", Role::Agent).await;
    let viewer = app.user("viewer", Role::Viewer).await;
    let target = app.user("target", Role::Agent).await.id;
    let users: [Option<&TestUser>; 5] = [
        Some(&app.admin),
        Some(&pm),
        Some(&agent),
        Some(&viewer),
        None,
    ];
    let mut failures = Vec::new();
    let mut n = 0;
    for (method, path, body, expected) in rows() {
        for (index, caller) in users.iter().enumerate() {
            n += 1;
            let f = fixture(&app).await;
            // Logging out ends a login: use a fresh one, as does refreshing.
            let fresh = match (path, caller) {
                ("/api/auth/logout" | "/api/auth/refresh", Some(user)) => {
                    Some(app.sign_in(&user.username).await)
                }
                ("/api/auth/refresh", None) => Some(app.sign_in("admin").await),
                _ => None,
            };
            let token_user = match (&fresh, path) {
                (Some(login), "/api/auth/logout") => Some(login),
                _ => *caller,
            };
            let refresh = fresh.as_ref().map_or("", |l| l.refresh_token.as_str());
            let url = fill(path, &f, target, n, refresh);
            let mut request = match token_user {
                Some(user) => app.request_as(user, method.clone(), &url),
                None => app.anonymous(method.clone(), &url),
            };
            if path == "/api/users/session" && method != Method::POST {
                request = request.header("X-Session-Id", &f.session);
            }
            if !body.is_null() {
                request = request.json(&fill_body(&body, &f, target, n, refresh));
            }
            let reply = app.send(request).await;
            let want = expected.as_bytes()[index];
            let ok = match want {
                b'A' => reply.status.is_success(),
                b'D' => reply.status == StatusCode::FORBIDDEN,
                _ => reply.status == StatusCode::UNAUTHORIZED,
            };
            if !ok {
                failures.push(format!(
                    "{method} {path} as {}: expected {}, got {} {}",
                    CALLERS[index], want as char, reply.status, reply.body
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}
