//! Races the contract promises to win: atomic claims, `If-Match` under contention, and no lost
//! acknowledged write. Several server workers, many clients at once.

use futures::future::join_all;
use kanban_e2e::{TestApp, on_both_backends};
use reqwest::{Method, StatusCode};
use serde_json::json;

on_both_backends!(
    fifty_concurrent_claims_have_exactly_one_winner,
    fifty_concurrent_if_match_updates_have_exactly_one_winner,
    concurrent_creates_are_all_readable,
    concurrent_moves_without_if_match_all_apply,
);

async fn fifty_concurrent_claims_have_exactly_one_winner(app: TestApp) {
    let ticket = app
        .create_ticket(&json!({"board_id": 1, "title": "prize"}))
        .await;
    let id = ticket["id"].as_i64().unwrap();
    let claims = (0..50).map(|i| {
        app.send(app.request(
            Method::POST,
            &format!("/api/tickets/{id}/claim?agent_id=agent-{i}"),
        ))
    });
    let replies = join_all(claims).await;
    let won: Vec<_> = replies
        .iter()
        .filter(|r| r.status == StatusCode::OK)
        .collect();
    let lost = replies
        .iter()
        .filter(|r| r.status == StatusCode::CONFLICT)
        .count();
    assert_eq!(
        (won.len(), lost),
        (1, 49),
        "{:?}",
        replies.iter().map(|r| r.status).collect::<Vec<_>>()
    );
    let winner = won[0].body["assignee"].clone();
    let stored = app.get(&format!("/api/tickets/{id}")).await.body;
    assert_eq!(stored["assignee"], winner);
    assert_eq!(stored["version"], 2);
    let history = app
        .get(&format!(
            "/api/history/tickets/{id}/history?field_name=assignee"
        ))
        .await;
    assert_eq!(
        history.body.as_array().unwrap().len(),
        1,
        "exactly one history row"
    );
    assert_eq!(history.body[0]["new_value"], winner);
}

async fn fifty_concurrent_if_match_updates_have_exactly_one_winner(app: TestApp) {
    let ticket = app
        .create_ticket(&json!({"board_id": 1, "title": "contended"}))
        .await;
    let id = ticket["id"].as_i64().unwrap();
    let updates = (0..50).map(|i| {
        app.send(
            app.request(Method::PUT, &format!("/api/tickets/{id}"))
                .header("If-Match", "\"1\"")
                .json(&json!({"title": format!("writer {i}")})),
        )
    });
    let replies = join_all(updates).await;
    let ok = replies
        .iter()
        .filter(|r| r.status == StatusCode::OK)
        .count();
    let stale = replies
        .iter()
        .filter(|r| r.status == StatusCode::PRECONDITION_FAILED)
        .count();
    assert_eq!(
        (ok, stale),
        (1, 49),
        "{:?}",
        replies.iter().map(|r| r.status).collect::<Vec<_>>()
    );
    let stored = app.get(&format!("/api/tickets/{id}")).await.body;
    assert_eq!(stored["version"], 2);
    let history = app
        .get(&format!(
            "/api/history/tickets/{id}/history?field_name=title"
        ))
        .await;
    assert_eq!(history.body.as_array().unwrap().len(), 1);
}

async fn concurrent_creates_are_all_readable(app: TestApp) {
    let app = &app;
    let clients = (0..32).map(|client| async move {
        let mut ids = Vec::new();
        for n in 0..4 {
            let reply = app
                .post(
                    "/api/tickets",
                    &json!({"board_id": 1, "title": format!("c{client}-{n}")}),
                )
                .await;
            assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
            ids.push(reply.body["id"].as_i64().unwrap());
        }
        ids
    });
    let ids: Vec<i64> = join_all(clients).await.into_iter().flatten().collect();
    assert_eq!(ids.len(), 128);
    let mut unique = ids.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(
        unique.len(),
        128,
        "every acknowledged create has its own id"
    );
    for id in &ids {
        assert_eq!(
            app.get(&format!("/api/tickets/{id}")).await.status,
            StatusCode::OK
        );
    }
    let listing = app.get("/api/tickets?board_id=1&page_size=100").await;
    assert_eq!(listing.body["total"], 128);
}

async fn concurrent_moves_without_if_match_all_apply(app: TestApp) {
    let ticket = app
        .create_ticket(&json!({"board_id": 1, "title": "busy"}))
        .await;
    let id = ticket["id"].as_i64().unwrap();
    let columns = ["In Progress", "Blocked", "Ready for QC", "Done"];
    let moves = (0..20).map(|i| {
        let request = app
            .request(Method::POST, &format!("/api/tickets/{id}/move"))
            .json(&json!({"column": columns[i % columns.len()]}));
        app.send(request)
    });
    let replies = join_all(moves).await;
    assert!(
        replies.iter().all(|r| r.status == StatusCode::OK),
        "{:?}",
        replies.iter().map(|r| r.status).collect::<Vec<_>>()
    );
    let stored = app.get(&format!("/api/tickets/{id}")).await.body;
    let history = app
        .get(&format!(
            "/api/history/tickets/{id}/history?field_name=column&limit=500"
        ))
        .await;
    let rows = history.body.as_array().unwrap();
    assert_eq!(
        stored["version"].as_i64().unwrap(),
        1 + rows.len() as i64,
        "one version per recorded move"
    );
    assert_eq!(
        rows[0]["new_value"], stored["current_column"],
        "the newest row is the current column"
    );
}
