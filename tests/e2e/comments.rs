use kanban_domain::Role;
use kanban_e2e::{TestApp, on_both_backends};
use reqwest::{Method, StatusCode};
use serde_json::json;

on_both_backends!(
    comments_are_added_listed_and_deleted,
    comments_validate_input
);

async fn ticket(app: &TestApp) -> i64 {
    let board = app.create_board(&json!({"name": "B"})).await;
    app.create_ticket(&json!({"board_id": board["id"], "title": "T"}))
        .await["id"]
        .as_i64()
        .unwrap()
}

async fn comments_are_added_listed_and_deleted(app: TestApp) {
    let ticket_id = ticket(&app).await;
    let ann = app.user("ann", Role::Pm).await;
    let first =
        app.send(app.request_as(&ann, Method::POST, "/api/comments/").json(
            &json!({"ticket_id": ticket_id, "text": "First\nline two", "author": "ignored"}),
        ))
        .await;
    assert_eq!(first.status, StatusCode::CREATED, "{:?}", first.body);
    assert_eq!(
        first.body["author"], "ann",
        "the author is the actor, not the body's field"
    );
    assert_eq!(first.body["text"], "First\nline two");
    assert_eq!(first.body["ticket_id"], ticket_id);
    let second = app
        .post(
            "/api/comments",
            &json!({"ticket_id": ticket_id, "text": "Second"}),
        )
        .await;
    let listed = app.get(&format!("/api/comments/ticket/{ticket_id}")).await;
    assert_eq!(listed.status, StatusCode::OK);
    let texts: Vec<&str> = listed
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["text"].as_str().unwrap())
        .collect();
    assert_eq!(texts, ["First\nline two", "Second"], "oldest first");
    let deleted = app
        .delete(&format!("/api/comments/{}", first.body["id"]))
        .await;
    assert_eq!(deleted.status, StatusCode::OK);
    assert!(deleted.body["message"].is_string());
    let listed = app.get(&format!("/api/comments/ticket/{ticket_id}/")).await;
    assert_eq!(listed.body.as_array().unwrap().len(), 1);
    assert_eq!(listed.body[0]["id"], second.body["id"]);
    assert_eq!(
        app.delete(&format!("/api/comments/{}", first.body["id"]))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

async fn comments_validate_input(app: TestApp) {
    let ticket_id = ticket(&app).await;
    for (body, field) in [
        (json!({"ticket_id": ticket_id, "text": ""}), "body.text"),
        (
            json!({"ticket_id": ticket_id, "text": "  \n "}),
            "body.text",
        ),
        (
            json!({"ticket_id": ticket_id, "text": "x".repeat(10_001)}),
            "body.text",
        ),
        (json!({"ticket_id": ticket_id}), "body.text"),
        (json!({"text": "x"}), "body.ticket_id"),
    ] {
        let reply = app.post("/api/comments", &body).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(reply.invalid_fields(), [field]);
    }
    let unknown = app
        .post("/api/comments", &json!({"ticket_id": 999_999, "text": "x"}))
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(
        app.get("/api/comments/ticket/999999").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get(&format!("/api/comments/ticket/{ticket_id}"))
            .await
            .body,
        json!([])
    );
}
