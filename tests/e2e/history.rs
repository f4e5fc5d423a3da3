use kanban_domain::Role;
use kanban_e2e::{TestApp, on_both_backends};
use reqwest::{Method, StatusCode};
use serde_json::json;

on_both_backends!(
    ticket_history_is_newest_first_with_filters,
    transitions_follow_the_moves,
    board_activity_lists_recent_changes,
    stats_count_changes,
    history_queries_are_validated,
);

/// A ticket on a fresh board that was moved twice and retitled, by `ann`.
async fn worked_ticket(app: &TestApp) -> (i64, i64) {
    let board = app
        .create_board(&json!({"name": "B", "columns": ["Todo", "Doing", "Done"]}))
        .await;
    let board_id = board["id"].as_i64().unwrap();
    let ticket = app
        .create_ticket(&json!({"board_id": board_id, "title": "T"}))
        .await;
    let id = ticket["id"].as_i64().unwrap();
    let ann = app.user("ann", Role::Pm).await;
    let as_ann = |method: Method, path: String| app.request_as(&ann, method, &path);
    app.send(
        as_ann(Method::POST, format!("/api/tickets/{id}/move")).json(&json!({"column": "Doing"})),
    )
    .await;
    app.send(as_ann(Method::PUT, format!("/api/tickets/{id}")).json(&json!({"title": "T2"})))
        .await;
    app.send(
        as_ann(Method::POST, format!("/api/tickets/{id}/move")).json(&json!({"column": "Done"})),
    )
    .await;
    (board_id, id)
}

async fn ticket_history_is_newest_first_with_filters(app: TestApp) {
    let (_, id) = worked_ticket(&app).await;
    let all = app.get(&format!("/api/history/tickets/{id}/history")).await;
    assert_eq!(all.status, StatusCode::OK);
    let rows = all.body.as_array().unwrap();
    let fields: Vec<&str> = rows
        .iter()
        .map(|r| r["field_name"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["column", "title", "column", "status"]);
    for key in [
        "id",
        "ticket_id",
        "old_value",
        "new_value",
        "changed_by",
        "changed_at",
    ] {
        assert!(rows[0].get(key).is_some(), "{key}");
    }
    assert_eq!(rows[0]["changed_by"], "ann");
    let limited = app
        .get(&format!("/api/history/tickets/{id}/history?limit=1"))
        .await;
    assert_eq!(limited.body.as_array().unwrap().len(), 1);
    let titles = app
        .get(&format!(
            "/api/history/tickets/{id}/history?field_name=title"
        ))
        .await;
    assert_eq!(titles.body[0]["old_value"], "T");
    assert_eq!(titles.body[0]["new_value"], "T2");
}

async fn transitions_follow_the_moves(app: TestApp) {
    let (_, id) = worked_ticket(&app).await;
    let reply = app
        .get(&format!("/api/history/tickets/{id}/transitions"))
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    let body = &reply.body;
    assert_eq!(body["ticket_id"], id);
    assert_eq!(body["current_column"], "Done");
    assert_eq!(body["total_transitions"], 2);
    assert_eq!(body["transitions"][0]["from_column"], "Todo");
    assert_eq!(body["transitions"][0]["to_column"], "Doing");
    assert_eq!(body["transitions"][1]["to_column"], "Done");
    assert!(
        body["transitions"][0]["duration_human"]
            .as_str()
            .unwrap()
            .ends_with('s')
    );
    assert!(body["current_duration_seconds"].as_f64().unwrap() >= 0.0);
    assert_eq!(
        app.get("/api/history/tickets/999999/transitions")
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

async fn board_activity_lists_recent_changes(app: TestApp) {
    let (board_id, id) = worked_ticket(&app).await;
    let reply = app
        .get(&format!("/api/history/boards/{board_id}/activity"))
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body["board_id"], board_id);
    assert_eq!(reply.body["timeframe_hours"], 24);
    assert_eq!(reply.body["total_activities"], 4);
    let first = &reply.body["activities"][0];
    assert_eq!(first["ticket_id"], id);
    assert_eq!(first["ticket_title"], "T2");
    assert_eq!(first["time_ago"], "just now");
    let limited = app
        .get(&format!(
            "/api/history/boards/{board_id}/activity?hours=1&limit=2"
        ))
        .await;
    assert_eq!(limited.body["total_activities"], 2);
    assert_eq!(
        app.get("/api/history/boards/999999/activity").await.status,
        StatusCode::NOT_FOUND
    );
}

async fn stats_count_changes(app: TestApp) {
    worked_ticket(&app).await;
    let reply = app.get("/api/history/stats?days=7").await;
    assert_eq!(reply.status, StatusCode::OK);
    let body = &reply.body;
    assert_eq!(body["analysis_period_days"], 7);
    assert_eq!(body["total_changes"], 4);
    assert_eq!(
        body["changes_by_field"][0],
        json!({"field": "column", "count": 2})
    );
    let users = body["changes_by_user"].as_array().unwrap();
    assert!(
        users.contains(&json!({"user": "ann", "count": 3})),
        "{users:?}"
    );
    assert_eq!(body["daily_activity"].as_array().unwrap().len(), 1);
    assert_eq!(body["daily_activity"][0]["count"], 4);
}

async fn history_queries_are_validated(app: TestApp) {
    let (board_id, id) = worked_ticket(&app).await;
    let cases = [
        (
            format!("/api/history/tickets/{id}/history?limit=0"),
            "query.limit",
        ),
        (
            format!("/api/history/tickets/{id}/history?limit=501"),
            "query.limit",
        ),
        (
            format!("/api/history/tickets/{id}/history?field_name=colour"),
            "query.field_name",
        ),
        (
            format!("/api/history/boards/{board_id}/activity?hours=169"),
            "query.hours",
        ),
        (
            format!("/api/history/boards/{board_id}/activity?limit=abc"),
            "query.limit",
        ),
        ("/api/history/stats?days=31".to_owned(), "query.days"),
        ("/api/history/stats?days=0".to_owned(), "query.days"),
    ];
    for (path, field) in cases {
        let reply = app.get(&path).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{path}");
        assert_eq!(reply.invalid_fields(), [field], "{path}");
    }
}
