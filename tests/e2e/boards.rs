use kanban_e2e::{TestApp, on_both_backends};
use reqwest::{Method, StatusCode};
use serde_json::json;

on_both_backends!(
    first_start_creates_the_default_board,
    create_board_with_defaults_and_location,
    create_board_validates_every_field,
    get_update_and_etag,
    update_refuses_nulls_and_stale_if_match,
    columns_cannot_drop_occupied_column_without_move_to,
    columns_move_to_relocates_tickets_with_history,
    rename_column_moves_tickets_along,
    delete_board_removes_tickets_comments_and_history,
    board_tickets_are_in_board_order,
);

async fn first_start_creates_the_default_board(app: TestApp) {
    let boards = app.get("/api/boards").await;
    assert_eq!(boards.status, StatusCode::OK);
    assert_eq!(boards.body.as_array().unwrap().len(), 1);
    let board = &boards.body[0];
    assert_eq!(board["name"], "My First Board");
    assert_eq!(board["description"], "Welcome to your kanban board!");
    assert_eq!(
        board["columns"],
        json!([
            "Not Started",
            "In Progress",
            "Blocked",
            "Ready for QC",
            "Done"
        ])
    );
    assert_eq!(board["ticket_count"], 0);
    assert_eq!(board["version"], 1);
    let default = app.get("/api/boards/default").await;
    assert_eq!(default.status, StatusCode::OK);
    assert_eq!(default.body["id"], board["id"]);
    assert_eq!(default.header("etag"), "\"1\"");
}

async fn create_board_with_defaults_and_location(app: TestApp) {
    let reply = app.post("/api/boards/", &json!({"name": "  Ops  "})).await;
    assert_eq!(reply.status, StatusCode::CREATED);
    let id = reply.body["id"].as_i64().unwrap();
    assert_eq!(reply.header("location"), format!("/api/boards/{id}"));
    assert_eq!(reply.header("etag"), "\"1\"");
    assert_eq!(reply.body["name"], "Ops");
    assert_eq!(reply.body["description"], "");
    assert_eq!(reply.body["columns"].as_array().unwrap().len(), 5);
    assert!(reply.body["created_at"].as_str().unwrap().ends_with('Z'));
    let custom = app
        .create_board(
            &json!({"name": "Flow", "description": "d", "columns": ["Todo", "Doing", "Done"]}),
        )
        .await;
    assert_eq!(custom["columns"], json!(["Todo", "Doing", "Done"]));
    let list = app.get("/api/boards").await;
    let ids: Vec<i64> = list
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["id"].as_i64().unwrap())
        .collect();
    assert!(
        ids.windows(2).all(|w| w[0] < w[1]),
        "ordered by id: {ids:?}"
    );
    assert_eq!(ids.len(), 3);
}

async fn create_board_validates_every_field(app: TestApp) {
    let cases = [
        (json!({"name": ""}), "body.name"),
        (json!({"name": "x".repeat(201)}), "body.name"),
        (json!({"description": "no name"}), "body.name"),
        (json!({"name": 7}), "body.name"),
        (json!({"name": "A", "columns": []}), "body.columns"),
        (
            json!({"name": "A", "columns": ["Todo", "todo"]}),
            "body.columns[1]",
        ),
        (
            json!({"name": "A", "columns": ["Todo", ""]}),
            "body.columns[1]",
        ),
        (json!({"name": "A", "columns": "Todo"}), "body.columns"),
        (
            json!({"name": "A", "columns": (0..51).map(|i| format!("c{i}")).collect::<Vec<_>>()}),
            "body.columns",
        ),
    ];
    for (body, field) in cases {
        let reply = app.post("/api/boards", &body).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(reply.code(), "VALIDATION_ERROR");
        assert_eq!(reply.invalid_fields(), [field], "{body}");
    }
    assert_eq!(
        app.get("/api/boards").await.body.as_array().unwrap().len(),
        1,
        "nothing created"
    );
}

async fn get_update_and_etag(app: TestApp) {
    let board = app
        .create_board(&json!({"name": "Ops", "description": "old"}))
        .await;
    let id = board["id"].as_i64().unwrap();
    let path = format!("/api/boards/{id}");
    let fetched = app.get(&path).await;
    assert_eq!(
        (fetched.status, fetched.header("etag")),
        (StatusCode::OK, "\"1\"")
    );
    let updated = app.put(&path, &json!({"description": "new"})).await;
    assert_eq!(updated.status, StatusCode::OK);
    assert_eq!(
        updated.body["name"], "Ops",
        "unsent fields keep their value"
    );
    assert_eq!(updated.body["description"], "new");
    assert_eq!(updated.body["version"], 2);
    assert_eq!(updated.header("etag"), "\"2\"");
    let same = app.put(&path, &json!({"description": "new"})).await;
    assert_eq!(
        same.body["version"], 2,
        "a change to the same values changes nothing"
    );
    assert_eq!(
        app.get("/api/boards/999999").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.put("/api/boards/999999", &json!({"name": "x"}))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let missing = app.delete("/api/boards/999999").await;
    assert_eq!(
        (missing.status, missing.code()),
        (StatusCode::NOT_FOUND, "NOT_FOUND")
    );
}

async fn update_refuses_nulls_and_stale_if_match(app: TestApp) {
    let board = app.create_board(&json!({"name": "Ops"})).await;
    let path = format!("/api/boards/{}", board["id"]);
    for (body, field) in [
        (json!({"name": null}), "body.name"),
        (json!({"columns": null}), "body.columns"),
    ] {
        let reply = app.put(&path, &body).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(reply.invalid_fields(), [field]);
    }
    let stale = app
        .send(
            app.request(Method::PUT, &path)
                .header("If-Match", "\"7\"")
                .json(&json!({"name": "New"})),
        )
        .await;
    assert_eq!(
        (stale.status, stale.code()),
        (StatusCode::PRECONDITION_FAILED, "PRECONDITION_FAILED")
    );
    let fresh = app
        .send(
            app.request(Method::PUT, &path)
                .header("If-Match", "\"1\"")
                .json(&json!({"name": "New"})),
        )
        .await;
    assert_eq!(fresh.status, StatusCode::OK);
    assert_eq!(app.get(&path).await.body["name"], "New");
    let stale_delete = app
        .send(
            app.request(Method::DELETE, &path)
                .header("If-Match", "\"1\""),
        )
        .await;
    assert_eq!(stale_delete.status, StatusCode::PRECONDITION_FAILED);
    assert_eq!(
        app.get(&path).await.status,
        StatusCode::OK,
        "a failed delete deletes nothing"
    );
}

async fn columns_cannot_drop_occupied_column_without_move_to(app: TestApp) {
    let board = app
        .create_board(&json!({"name": "Ops", "columns": ["Todo", "Doing", "Done"]}))
        .await;
    let id = board["id"].as_i64().unwrap();
    app.create_ticket(&json!({"board_id": id, "title": "t", "current_column": "doing"}))
        .await;
    let path = format!("/api/boards/{id}/columns");
    let refused = app.put(&path, &json!(["Todo", "Done"])).await;
    assert_eq!(
        (refused.status, refused.code()),
        (StatusCode::CONFLICT, "CONFLICT")
    );
    assert!(
        refused.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Doing")
    );
    assert_eq!(
        app.get(&path).await.body,
        json!(["Todo", "Doing", "Done"]),
        "unchanged"
    );
    let reordered = app
        .put(&path, &json!(["Done", "Doing", "Todo", "Review"]))
        .await;
    assert_eq!(reordered.status, StatusCode::OK);
    assert_eq!(
        reordered.body["columns"],
        json!(["Done", "Doing", "Todo", "Review"])
    );
    assert!(reordered.body["message"].is_string());
    let invalid = app.put(&path, &json!(["A", "a"])).await;
    assert_eq!(invalid.invalid_fields(), ["body[1]"]);
    let not_array = app.put(&path, &json!({"columns": ["A"]})).await;
    assert_eq!(not_array.status, StatusCode::UNPROCESSABLE_ENTITY);
}

async fn columns_move_to_relocates_tickets_with_history(app: TestApp) {
    let board = app
        .create_board(&json!({"name": "Ops", "columns": ["Todo", "Doing", "Done"]}))
        .await;
    let id = board["id"].as_i64().unwrap();
    let ticket = app
        .create_ticket(&json!({"board_id": id, "title": "t", "current_column": "Doing"}))
        .await;
    let path = format!("/api/boards/{id}/columns");
    let bad_target = app
        .put(&format!("{path}?move_to=Doing"), &json!(["Todo", "Done"]))
        .await;
    assert_eq!(bad_target.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad_target.invalid_fields(), ["query.move_to"]);
    let moved = app
        .put(&format!("{path}?move_to=todo"), &json!(["Todo", "Done"]))
        .await;
    assert_eq!(moved.status, StatusCode::OK, "{:?}", moved.body);
    let after = app.get(&format!("/api/tickets/{}", ticket["id"])).await;
    assert_eq!(after.body["current_column"], "Todo");
    assert_eq!(after.body["version"], 2);
    let history = app
        .get(&format!(
            "/api/history/tickets/{}/history?field_name=column",
            ticket["id"]
        ))
        .await;
    assert_eq!(history.body[0]["old_value"], "Doing");
    assert_eq!(history.body[0]["new_value"], "Todo");
}

async fn rename_column_moves_tickets_along(app: TestApp) {
    let board = app
        .create_board(&json!({"name": "Ops", "columns": ["Todo", "Doing", "Done"]}))
        .await;
    let id = board["id"].as_i64().unwrap();
    let ticket = app
        .create_ticket(&json!({"board_id": id, "title": "t", "current_column": "Doing"}))
        .await;
    let path = format!("/api/boards/{id}/columns/rename");
    let renamed = app
        .post(&path, &json!({"from": "doing", "to": "In Progress"}))
        .await;
    assert_eq!(renamed.status, StatusCode::OK, "{:?}", renamed.body);
    assert_eq!(
        renamed.body["columns"],
        json!(["Todo", "In Progress", "Done"])
    );
    let after = app
        .get(&format!("/api/tickets/{}", ticket["id"]))
        .await
        .body;
    assert_eq!(after["current_column"], "In Progress");
    assert_eq!(
        after["column_entered_at"], ticket["column_entered_at"],
        "a rename is not a move"
    );
    let unknown = app.post(&path, &json!({"from": "Nope", "to": "X"})).await;
    assert_eq!(unknown.invalid_fields(), ["body.from"]);
    let taken = app
        .post(&path, &json!({"from": "Todo", "to": "done"}))
        .await;
    assert_eq!(taken.invalid_fields(), ["body.to"]);
}

async fn delete_board_removes_tickets_comments_and_history(app: TestApp) {
    let board = app.create_board(&json!({"name": "Doomed"})).await;
    let id = board["id"].as_i64().unwrap();
    let ticket = app
        .create_ticket(&json!({"board_id": id, "title": "t"}))
        .await;
    let tid = ticket["id"].as_i64().unwrap();
    app.post("/api/comments", &json!({"ticket_id": tid, "text": "hello"}))
        .await;
    let deleted = app.delete(&format!("/api/boards/{id}")).await;
    assert_eq!(deleted.status, StatusCode::OK);
    assert!(deleted.body["message"].is_string());
    assert_eq!(
        app.get(&format!("/api/boards/{id}")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get(&format!("/api/tickets/{tid}")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get(&format!("/api/comments/ticket/{tid}")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get(&format!("/api/history/tickets/{tid}/history"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let stats = app.get("/api/history/stats").await;
    assert_eq!(
        stats.body["total_changes"], 0,
        "history rows are gone too: {:?}",
        stats.body
    );
    let recreated = app.create_board(&json!({"name": "Next"})).await;
    assert!(
        recreated["id"].as_i64().unwrap() > id,
        "ids are never reused"
    );
}

async fn board_tickets_are_in_board_order(app: TestApp) {
    let board = app
        .create_board(&json!({"name": "Ops", "columns": ["Todo", "Doing"]}))
        .await;
    let id = board["id"].as_i64().unwrap();
    let doing = app
        .create_ticket(&json!({"board_id": id, "title": "d", "current_column": "Doing"}))
        .await;
    let low = app
        .create_ticket(&json!({"board_id": id, "title": "p10", "priority": 10}))
        .await;
    let high = app
        .create_ticket(&json!({"board_id": id, "title": "p2", "priority": "2"}))
        .await;
    let listing = app.get(&format!("/api/boards/{id}/tickets")).await;
    assert_eq!(listing.status, StatusCode::OK);
    assert_eq!(listing.body["board_name"], "Ops");
    assert_eq!(listing.body["total_tickets"], 3);
    let ids: Vec<&serde_json::Value> = listing.body["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| &t["id"])
        .collect();
    assert_eq!(ids, [&high["id"], &low["id"], &doing["id"]]);
    let first = &listing.body["tickets"][0];
    assert!(first.get("acceptance_criteria").is_none());
    assert!(first["time_in_column"].as_f64().unwrap() >= 0.0);
    let default = app.get("/api/boards/default/tickets").await;
    assert_eq!(default.status, StatusCode::OK);
    assert_eq!(default.body["board_name"], "My First Board");
    assert_eq!(
        app.get("/api/boards/424242/tickets").await.status,
        StatusCode::NOT_FOUND
    );
}
