//! The drag-drop metrics after real moves: successes, failures, boards, totals and clearing.

use super::{create, move_to, ok};
use kanban_domain::Role;
use kanban_e2e::{Reply, TestApp, on_both_backends};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

on_both_backends!(drag_drop_metrics_count_real_moves);

async fn metrics(app: &TestApp, path: &str) -> Value {
    ok(app, &format!("/api/statistics{path}")).await
}

async fn drag_drop_metrics_count_real_moves(app: TestApp) {
    let board = app.create_board(&json!({"name": "Moves"})).await["id"]
        .as_i64()
        .unwrap();
    let other = app.create_board(&json!({"name": "Other"})).await["id"]
        .as_i64()
        .unwrap();
    let ticket = create(&app, board, "T").await;
    let elsewhere = create(&app, other, "E").await;
    let quiet = metrics(&app, &format!("/boards/{board}/drag-drop/metrics")).await;
    assert_eq!(
        quiet,
        json!({"board_id": board, "total_operations": 0, "successful_operations": 0,
               "failed_operations": 0, "average_duration_ms": 0.0, "operations_by_type": {}})
    );
    move_to(&app, ticket, "In Progress").await;
    move_to(&app, ticket, "In Progress").await;
    move_to(&app, elsewhere, "Done").await;
    let moved = |id: i64| format!("/api/tickets/{id}/move");
    let failures: [(Reply, StatusCode); 3] = [
        (
            app.post(&moved(ticket), &json!({"column": "Nowhere"}))
                .await,
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            app.send(
                app.request(Method::POST, &moved(ticket))
                    .header("If-Match", "\"1\"")
                    .json(&json!({"column": "Done"})),
            )
            .await,
            StatusCode::PRECONDITION_FAILED,
        ),
        (
            app.post(&moved(999_999), &json!({"column": "Done"})).await,
            StatusCode::NOT_FOUND,
        ),
    ];
    for (reply, status) in failures {
        assert_eq!(reply.status, status, "{:?}", reply.body);
    }
    // Refused before the move use case (bad body, no permission): not a move operation.
    assert_eq!(
        app.post(&moved(ticket), &json!({"colour": "Done"}))
            .await
            .status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let viewer = app.user("viewer", Role::Viewer).await;
    let refused = app
        .send(
            app.request_as(&viewer, Method::POST, &moved(ticket))
                .json(&json!({"column": "Done"})),
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);

    let one = metrics(&app, &format!("/boards/{board}/drag-drop/metrics")).await;
    assert_eq!(one["board_id"], board);
    assert_eq!(one["total_operations"], 4);
    assert_eq!(one["successful_operations"], 2);
    assert_eq!(one["failed_operations"], 2);
    assert_eq!(one["operations_by_type"], json!({"move": 4}));
    assert!(one["average_duration_ms"].as_f64().unwrap() > 0.0);
    let all = metrics(&app, "/drag-drop/metrics/all").await;
    assert_eq!(
        all["total_operations"], 6,
        "the unknown ticket counts in the totals only"
    );
    assert_eq!(all["successful_operations"], 3);
    assert_eq!(all["failed_operations"], 3);
    assert_eq!(all["operations_by_type"], json!({"move": 6}));
    assert_eq!(all["boards"].as_object().unwrap().len(), 2);
    assert_eq!(all["boards"][board.to_string()]["total_operations"], 4);
    assert_eq!(all["boards"][other.to_string()]["successful_operations"], 1);

    // A bulk move counts each of its tickets: one moved, one already there, one unknown.
    let bulk = app
        .post(
            "/api/bulk/tickets/move",
            &json!({"ticket_ids": [ticket, elsewhere, 999_998], "target_column": "Done"}),
        )
        .await;
    assert_eq!(bulk.status, StatusCode::OK, "{:?}", bulk.body);
    let all = metrics(&app, "/drag-drop/metrics/all").await;
    assert_eq!(all["total_operations"], 9);
    assert_eq!(all["successful_operations"], 5);
    assert_eq!(all["failed_operations"], 4);
    assert_eq!(
        all["operations_by_type"],
        json!({"move": 6, "bulk_move": 3})
    );
    assert_eq!(all["boards"][board.to_string()]["total_operations"], 5);

    let pm = app.user("pm-1", Role::Pm).await;
    let clear = "/api/statistics/drag-drop/metrics/clear";
    assert_eq!(
        app.send(app.request_as(&pm, Method::POST, clear))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        metrics(&app, "/drag-drop/metrics/all").await["total_operations"],
        9
    );
    let cleared = app.post_empty(clear).await;
    assert_eq!(cleared.status, StatusCode::OK);
    assert_eq!(cleared.body["message"], "Drag-drop metrics cleared");
    let after = metrics(&app, "/drag-drop/metrics/all").await;
    assert_eq!(
        after,
        json!({"total_operations": 0, "successful_operations": 0, "failed_operations": 0,
               "average_duration_ms": 0.0, "operations_by_type": {}, "boards": {}})
    );
    move_to(&app, ticket, "Done").await;
    assert_eq!(
        metrics(&app, &format!("/boards/{board}/drag-drop/metrics")).await["total_operations"],
        1
    );
}
