//! Bulk operations (contract §7): per-item results, only the valid items changed (with their
//! history rows and live events), batch validation and permissions. The bulk rate limit is in
//! `limits.rs`.

use kanban_domain::Role;
use kanban_e2e::{Reply, TestApp, on_both_backends};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

on_both_backends!(
    moves_report_each_item_and_change_only_the_valid_ones,
    priorities_and_assignments_change_only_the_valid_items,
    bulk_requests_are_validated_as_a_whole,
    only_pm_and_admin_may_use_bulk_operations,
    operations_status_reports_the_configuration,
);

const MISSING: i64 = 999_999;

fn id(value: &Value) -> i64 {
    value["id"].as_i64().unwrap()
}

async fn board(app: &TestApp, name: &str, columns: &[&str]) -> i64 {
    id(&app
        .create_board(&json!({"name": name, "columns": columns}))
        .await)
}

async fn ticket(app: &TestApp, board: i64, column: &str) -> i64 {
    id(&app
        .create_ticket(&json!({"board_id": board, "title": "T", "current_column": column}))
        .await)
}

async fn ticket_now(app: &TestApp, ticket: i64) -> Value {
    let reply = app.get(&format!("/api/tickets/{ticket}")).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    reply.body
}

/// The `field_name` of each history row of a ticket, oldest first.
async fn history_fields(app: &TestApp, ticket: i64) -> Vec<String> {
    let reply = app
        .get(&format!("/api/history/tickets/{ticket}/history"))
        .await;
    let mut fields: Vec<String> = reply
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["field_name"].as_str().unwrap().to_owned())
        .collect();
    fields.reverse();
    fields
}

fn result_of(reply: &Reply, ticket: i64) -> &Value {
    reply.body["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["ticket_id"] == ticket)
        .unwrap()
}

async fn moves_report_each_item_and_change_only_the_valid_ones(app: TestApp) {
    let work = board(&app, "Work", &["Todo", "In Progress", "Done"]).await;
    let other = board(&app, "Other", &["Backlog", "Shipped"]).await;
    let a1 = ticket(&app, work, "Todo").await;
    let a2 = ticket(&app, work, "Todo").await;
    let there = ticket(&app, work, "In Progress").await;
    let b1 = ticket(&app, other, "Backlog").await;
    let mut ws = app.ws(&format!("?board_id={work}")).await;
    assert_eq!(ws.next().await["event"], "connected");

    let reply = app
        .post(
            "/api/bulk/tickets/move",
            &json!({"ticket_ids": [a1, MISSING, b1, there, a2], "target_column": "in progress"}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    let body = &reply.body;
    assert_eq!(
        (
            &body["total_requested"],
            &body["successful_moves"],
            &body["failed_moves"]
        ),
        (&json!(5), &json!(3), &json!(2))
    );
    assert!(body["execution_time_ms"].as_f64().unwrap() >= 0.0);
    let order: Vec<i64> = body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["ticket_id"].as_i64().unwrap())
        .collect();
    assert_eq!(
        order,
        [a1, MISSING, b1, there, a2],
        "results in request order"
    );
    assert_eq!(
        result_of(&reply, a1),
        &json!({"ticket_id": a1, "success": true, "error": null,
                "old_column": "Todo", "new_column": "In Progress"})
    );
    assert_eq!(
        result_of(&reply, MISSING),
        &json!({"ticket_id": MISSING, "success": false, "error": "Ticket not found",
                "old_column": null, "new_column": null})
    );
    let refused = result_of(&reply, b1);
    assert_eq!(refused["success"], false);
    assert_eq!(refused["old_column"], "Backlog");
    assert_eq!(refused["new_column"], Value::Null);
    let error = refused["error"].as_str().unwrap();
    assert!(error.contains("not a column of board"), "{error}");
    assert!(error.contains("Backlog, Shipped"), "{error}");
    let unchanged = result_of(&reply, there);
    assert_eq!(unchanged["success"], true, "already there is a success");
    assert_eq!(
        (&unchanged["old_column"], &unchanged["new_column"]),
        (&json!("In Progress"), &json!("In Progress"))
    );

    // Persisted: the valid ones moved (board spelling), the others did not change at all.
    for moved in [a1, a2] {
        let now = ticket_now(&app, moved).await;
        assert_eq!(
            (&now["current_column"], &now["version"]),
            (&json!("In Progress"), &json!(2))
        );
        assert_eq!(history_fields(&app, moved).await, ["status", "column"]);
    }
    for untouched in [b1, there] {
        assert_eq!(ticket_now(&app, untouched).await["version"], 1);
        assert_eq!(history_fields(&app, untouched).await, ["status"]);
    }
    let rows = app
        .get(&format!(
            "/api/history/tickets/{a1}/history?field_name=column"
        ))
        .await;
    assert_eq!(rows.body[0]["old_value"], "Todo");
    assert_eq!(rows.body[0]["new_value"], "In Progress");
    assert_eq!(rows.body[0]["changed_by"], "admin");

    // One `ticket_moved` per moved ticket, with consecutive seqs, as single moves announce.
    let frames = ws.frames_until_pong().await;
    let names: Vec<&str> = frames
        .iter()
        .map(|f| f["event"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["ticket_moved", "ticket_moved"], "{frames:?}");
    let seq = frames[0]["seq"].as_i64().unwrap();
    assert_eq!(frames[1]["seq"].as_i64().unwrap(), seq + 1);
    assert_eq!(seq, 5, "board_created and three ticket_created came first");
    let moved: Vec<&Value> = frames.iter().map(|f| &f["data"]["id"]).collect();
    assert_eq!(moved, [&json!(a1), &json!(a2)]);
    assert_eq!(frames[0]["data"]["from_column"], "Todo");
    assert_eq!(frames[0]["data"]["to_column"], "In Progress");
    assert_eq!(frames[0]["data"]["moved_by"], "admin");
    ws.close().await;
}

async fn priorities_and_assignments_change_only_the_valid_items(app: TestApp) {
    let work = board(&app, "Work", &["Todo", "Done"]).await;
    let a = ticket(&app, work, "Todo").await;
    let b = ticket(&app, work, "Todo").await;
    let mut ws = app.ws(&format!("?board_id={work}")).await;
    ws.next().await;

    let reply = app
        .post(
            "/api/bulk/tickets/priority",
            &json!({"updates": [
                {"ticket_id": a, "priority": "2.5"},
                {"ticket_id": MISSING, "priority": 3},
                {"ticket_id": b, "priority": 1},
            ]}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    assert_eq!(reply.body["operation_type"], "priority_update");
    assert_eq!(
        (
            &reply.body["total_requested"],
            &reply.body["successful_operations"],
            &reply.body["failed_operations"]
        ),
        (&json!(3), &json!(2), &json!(1))
    );
    assert_eq!(
        result_of(&reply, a),
        &json!({"ticket_id": a, "success": true, "error": null,
                "old_value": "1.0", "new_value": "2.5"})
    );
    assert_eq!(result_of(&reply, MISSING)["error"], "Ticket not found");
    assert_eq!(result_of(&reply, b)["new_value"], "1.0", "unchanged");
    assert_eq!(ticket_now(&app, a).await["priority"], "2.5");
    assert_eq!(history_fields(&app, a).await, ["status", "priority"]);
    assert_eq!(history_fields(&app, b).await, ["status"]);

    let reply = app
        .post(
            "/api/bulk/tickets/assign",
            &json!({"ticket_ids": [a, MISSING, b], "assignee": "bot"}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    assert_eq!(reply.body["operation_type"], "assignment");
    assert_eq!(reply.body["successful_operations"], 2);
    assert_eq!(
        result_of(&reply, b),
        &json!({"ticket_id": b, "success": true, "error": null,
                "old_value": null, "new_value": "bot"})
    );
    for t in [a, b] {
        assert_eq!(ticket_now(&app, t).await["assignee"], "bot");
    }
    assert_eq!(history_fields(&app, b).await, ["status", "assignee"]);

    let cleared = app
        .post(
            "/api/bulk/tickets/assign",
            &json!({"ticket_ids": [a], "assignee": null}),
        )
        .await;
    assert_eq!(cleared.status, StatusCode::OK, "{:?}", cleared.body);
    assert_eq!(result_of(&cleared, a)["old_value"], "bot");
    assert_eq!(result_of(&cleared, a)["new_value"], Value::Null);
    assert_eq!(ticket_now(&app, a).await["assignee"], Value::Null);
    let rows = app
        .get(&format!(
            "/api/history/tickets/{a}/history?field_name=assignee"
        ))
        .await;
    assert_eq!(rows.body[0]["old_value"], "bot");
    assert_eq!(rows.body[0]["new_value"], Value::Null);

    // The same `ticket_updated` events as the update route, consecutive on the board.
    let frames = ws.frames_until_pong().await;
    let changes: Vec<(&str, &Value, &Value)> = frames
        .iter()
        .map(|f| {
            (
                f["event"].as_str().unwrap(),
                &f["data"]["id"],
                &f["data"]["changes"],
            )
        })
        .collect();
    assert_eq!(
        changes,
        [
            ("ticket_updated", &json!(a), &json!(["priority"])),
            ("ticket_updated", &json!(a), &json!(["assignee"])),
            ("ticket_updated", &json!(b), &json!(["assignee"])),
            ("ticket_updated", &json!(a), &json!(["assignee"])),
        ]
    );
    let seqs: Vec<i64> = frames.iter().map(|f| f["seq"].as_i64().unwrap()).collect();
    assert_eq!(seqs, [4, 5, 6, 7]);
    ws.close().await;
}

async fn bulk_requests_are_validated_as_a_whole(app: TestApp) {
    let work = board(&app, "Work", &["Todo", "Done"]).await;
    let a = ticket(&app, work, "Todo").await;
    let too_many: Vec<i64> = std::iter::once(a).chain(1_000..1_100).collect();
    let cases = [
        (
            "/api/bulk/tickets/move",
            json!({"ticket_ids": too_many, "target_column": "Done"}),
            vec!["body.ticket_ids"],
        ),
        (
            "/api/bulk/tickets/move",
            json!({"ticket_ids": [], "target_column": "Done"}),
            vec!["body.ticket_ids"],
        ),
        (
            "/api/bulk/tickets/move",
            json!({"ticket_ids": [a, a], "target_column": "Done"}),
            vec!["body.ticket_ids[1]"],
        ),
        (
            "/api/bulk/tickets/move",
            json!({"ticket_ids": [a, 0], "target_column": "Done"}),
            vec!["body.ticket_ids[1]"],
        ),
        (
            "/api/bulk/tickets/move",
            json!({"ticket_ids": [a], "target_column": " "}),
            vec!["body.target_column"],
        ),
        (
            "/api/bulk/tickets/move",
            json!({"ticket_ids": [a]}),
            vec!["body.target_column"],
        ),
        (
            "/api/bulk/tickets/move",
            json!({"ticket_ids": [a, "two"], "target_column": "Done"}),
            vec!["body.ticket_ids[1]"],
        ),
        (
            "/api/bulk/tickets/priority",
            json!({"updates": (0..101).map(|n| json!({"ticket_id": a + n, "priority": 1})).collect::<Vec<_>>()}),
            vec!["body.updates"],
        ),
        (
            "/api/bulk/tickets/priority",
            json!({"updates": [{"ticket_id": a, "priority": 5000}, {"ticket_id": a, "priority": "x"}]}),
            vec![
                "body.updates[1].ticket_id",
                "body.updates[0].priority",
                "body.updates[1].priority",
            ],
        ),
        (
            "/api/bulk/tickets/assign",
            json!({"ticket_ids": [a]}),
            vec!["body.assignee"],
        ),
        (
            "/api/bulk/tickets/assign",
            json!({"ticket_ids": [], "assignee": "x".repeat(101)}),
            vec!["body.ticket_ids", "body.assignee"],
        ),
    ];
    for (path, body, fields) in cases {
        let reply = app.post(path, &body).await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{path} {body}: {:?}",
            reply.body
        );
        assert_eq!(reply.code(), "VALIDATION_ERROR");
        assert_eq!(reply.invalid_fields(), fields, "{path} {body}");
    }
    let malformed = app
        .send(
            app.request(Method::POST, "/api/bulk/tickets/move")
                .header("content-type", "application/json")
                .body("{\"ticket_ids\": ["),
        )
        .await;
    assert_eq!(malformed.status, StatusCode::UNPROCESSABLE_ENTITY);
    // Nothing of a refused request was applied.
    let now = ticket_now(&app, a).await;
    assert_eq!(
        (&now["current_column"], &now["version"], &now["priority"]),
        (&json!("Todo"), &json!(1), &json!("1.0"))
    );
    assert_eq!(history_fields(&app, a).await, ["status"]);
}

async fn only_pm_and_admin_may_use_bulk_operations(app: TestApp) {
    let work = board(&app, "Work", &["Todo", "Done"]).await;
    let a = ticket(&app, work, "Todo").await;
    let pm = app.user("pam", Role::Pm).await;
    let agent = app.user("agent", Role::Agent).await;
    let viewer = app.user("viewer", Role::Viewer).await;
    let move_body = json!({"ticket_ids": [a], "target_column": "Done"});
    let routes = [
        (Method::POST, "/api/bulk/tickets/move", move_body.clone()),
        (
            Method::POST,
            "/api/bulk/tickets/priority",
            json!({"updates": [{"ticket_id": a, "priority": 2}]}),
        ),
        (
            Method::POST,
            "/api/bulk/tickets/assign",
            json!({"ticket_ids": [a], "assignee": "bot"}),
        ),
        (Method::GET, "/api/bulk/operations/status", Value::Null),
    ];
    for (method, path, body) in &routes {
        let with_body = |request: reqwest::RequestBuilder| {
            if body.is_null() {
                request
            } else {
                request.json(body)
            }
        };
        for user in [&agent, &viewer] {
            let reply = app
                .send(with_body(app.request_as(user, method.clone(), path)))
                .await;
            assert_eq!(
                reply.status,
                StatusCode::FORBIDDEN,
                "{path} as {}",
                user.username
            );
            assert_eq!(reply.code(), "FORBIDDEN");
        }
        let reply = app
            .send(with_body(app.anonymous(method.clone(), path)))
            .await;
        assert_eq!(
            reply.status,
            StatusCode::UNAUTHORIZED,
            "{path} without a token"
        );
        assert_eq!(reply.header("www-authenticate"), "Bearer");
    }
    assert_eq!(
        ticket_now(&app, a).await["version"],
        1,
        "refused calls change nothing"
    );
    for (method, path, body) in routes {
        let mut request = app.request_as(&pm, method, path);
        if !body.is_null() {
            request = request.json(&body);
        }
        assert_eq!(
            app.send(request).await.status,
            StatusCode::OK,
            "{path} as pm"
        );
    }
    let now = ticket_now(&app, a).await;
    assert_eq!(
        (&now["current_column"], &now["priority"], &now["assignee"]),
        (&json!("Done"), &json!("2.0"), &json!("bot"))
    );
    assert_eq!(
        history_fields(&app, a).await,
        ["status", "column", "priority", "assignee"]
    );
    let rows = app.get(&format!("/api/history/tickets/{a}/history")).await;
    assert_eq!(rows.body[0]["changed_by"], "pam");
}

async fn operations_status_reports_the_configuration(app: TestApp) {
    let reply = app.get("/api/bulk/operations/status/").await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    assert_eq!(
        reply.body,
        json!({
            "status": "operational",
            "rate_limits": {"enabled": false, "requests_per_minute": 10, "per": "user"},
            "max_batch_size": 100,
            "supported_operations": ["move", "priority_update", "assignment"],
        })
    );
}
