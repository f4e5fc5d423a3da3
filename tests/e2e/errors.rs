use kanban_e2e::{TestApp, on_both_backends};
use reqwest::{Method, StatusCode};
use serde_json::json;

on_both_backends!(
    unknown_paths_are_404_envelopes,
    whole_numbers_written_as_decimals_are_ids,
    wrong_methods_are_405_envelopes,
    bodies_must_be_json_within_the_limit,
    malformed_and_mistyped_input_is_422,
    trailing_slash_is_optional,
    request_ids_are_generated_or_echoed,
    root_describes_the_service,
);

fn assert_envelope(reply: &kanban_e2e::Reply, status: StatusCode, code: &str) {
    assert_eq!(reply.status, status, "{:?}", reply.body);
    assert_eq!(reply.code(), code);
    let error = &reply.body["error"];
    assert!(error["message"].as_str().is_some_and(|m| !m.is_empty()));
    assert!(error["error_id"].as_str().unwrap().starts_with("err_"));
    assert!(error["timestamp"].as_i64().unwrap() > 1_700_000_000);
    assert_eq!(
        reply.header("content-type"),
        "application/json; charset=utf-8"
    );
}

async fn unknown_paths_are_404_envelopes(app: TestApp) {
    for path in [
        "/nope",
        "/api",
        "/api/boards/1/nothing",
        "/api/tickets/1/2/3",
    ] {
        assert_envelope(&app.get(path).await, StatusCode::NOT_FOUND, "NOT_FOUND");
    }
    let posted = app.post("/api/unknown", &json!({})).await;
    assert_envelope(&posted, StatusCode::NOT_FOUND, "NOT_FOUND");
    assert_envelope(
        &app.get("/api/tickets/999999").await,
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
    );
    let not_an_id = app.get("/api/tickets/abc").await;
    assert_envelope(
        &not_an_id,
        StatusCode::UNPROCESSABLE_ENTITY,
        "VALIDATION_ERROR",
    );
    assert_eq!(not_an_id.invalid_fields(), ["path.ticket_id"]);
    let a_fraction = app.get("/api/tickets/1.5").await;
    assert_eq!(a_fraction.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(a_fraction.invalid_fields(), ["path.ticket_id"]);
}

/// A whole number written as a decimal is an integer (as JSON Schema counts them, and as ids in
/// bodies are read), in the path as in the body.
async fn whole_numbers_written_as_decimals_are_ids(app: TestApp) {
    let board = app.create_board(&json!({"name": "Ids"})).await;
    let ticket = app
        .create_ticket(&json!({"board_id": board["id"], "title": "Seven"}))
        .await;
    let id = ticket["id"].as_i64().unwrap();
    for path in [
        format!("/api/tickets/{id}.0"),
        format!("/api/tickets/{id}e0"),
    ] {
        let reply = app.get(&path).await;
        assert_eq!(reply.status, StatusCode::OK, "{path}: {:?}", reply.body);
        assert_eq!(reply.body["id"], id);
    }
    let body = |text: String| serde_json::from_str::<serde_json::Value>(&text).unwrap();
    let prioritised = app
        .post(
            "/api/bulk/tickets/priority",
            &body(format!(
                r#"{{"updates": [{{"ticket_id": {id}.0, "priority": 3}}]}}"#
            )),
        )
        .await;
    assert_eq!(prioritised.status, StatusCode::OK, "{:?}", prioritised.body);
    assert_eq!(prioritised.body["results"][0]["new_value"], "3.0");
    let assigned = app
        .post(
            "/api/bulk/tickets/assign",
            &body(format!(r#"{{"ticket_ids": [{id}.0], "assignee": "ann"}}"#)),
        )
        .await;
    assert_eq!(assigned.status, StatusCode::OK, "{:?}", assigned.body);
    assert_eq!(assigned.body["results"][0]["new_value"], "ann");
}

async fn wrong_methods_are_405_envelopes(app: TestApp) {
    let cases = [
        (Method::PATCH, "/api/boards"),
        (Method::DELETE, "/api/tickets"),
        (Method::GET, "/api/comments"),
        (Method::PUT, "/api/history/stats"),
    ];
    for (method, path) in cases {
        let reply = app.send(app.request(method, path)).await;
        assert_envelope(&reply, StatusCode::METHOD_NOT_ALLOWED, "METHOD_NOT_ALLOWED");
        assert!(
            !reply.header("allow").is_empty(),
            "{path} names the allowed methods"
        );
    }
}

async fn bodies_must_be_json_within_the_limit(app: TestApp) {
    let form = app
        .send(
            app.request(Method::POST, "/api/boards")
                .header("content-type", "text/plain")
                .body("{\"name\": \"x\"}"),
        )
        .await;
    assert_envelope(
        &form,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "UNSUPPORTED_MEDIA_TYPE",
    );
    let none = app
        .send(
            app.request(Method::POST, "/api/boards")
                .body("{\"name\": \"x\"}"),
        )
        .await;
    assert_envelope(
        &none,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "UNSUPPORTED_MEDIA_TYPE",
    );
    let huge = json!({"name": "x", "description": "y".repeat(1024 * 1024)});
    assert_envelope(
        &app.post("/api/boards", &huge).await,
        StatusCode::PAYLOAD_TOO_LARGE,
        "PAYLOAD_TOO_LARGE",
    );
    let suffixed = app
        .send(
            app.request(Method::POST, "/api/boards")
                .header("content-type", "application/json; charset=utf-8")
                .body("{\"name\": \"ok\"}"),
        )
        .await;
    assert_eq!(suffixed.status, StatusCode::CREATED);
    assert_eq!(
        app.get("/api/boards").await.body.as_array().unwrap().len(),
        2,
        "only the valid one"
    );
}

async fn malformed_and_mistyped_input_is_422(app: TestApp) {
    let raw = |body: &'static str| {
        app.request(Method::POST, "/api/tickets")
            .header("content-type", "application/json")
            .body(body)
    };
    for body in [
        "{",
        "not json",
        "",
        "[1, 2]",
        "\"text\"",
        "{\"board_id\": 1, \"title\": \"x\"} extra",
        "null",
    ] {
        let reply = app.send(raw(body)).await;
        assert_envelope(&reply, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_ERROR");
        assert!(!reply.invalid_fields().is_empty(), "{body}");
    }
    let out_of_range = app
        .send(raw("{\"board_id\": 1e400, \"title\": \"x\"}"))
        .await;
    assert_envelope(
        &out_of_range,
        StatusCode::UNPROCESSABLE_ENTITY,
        "VALIDATION_ERROR",
    );
    let huge_id = app
        .send(raw(
            "{\"board_id\": 99999999999999999999, \"title\": \"x\"}",
        ))
        .await;
    assert_envelope(
        &huge_id,
        StatusCode::UNPROCESSABLE_ENTITY,
        "VALIDATION_ERROR",
    );
    let many = app
        .post(
            "/api/tickets",
            &json!({"board_id": 1, "title": "", "priority": 5000}),
        )
        .await;
    assert_eq!(
        many.invalid_fields(),
        ["body.title", "body.priority"],
        "every invalid field is reported"
    );
}

async fn trailing_slash_is_optional(app: TestApp) {
    for path in [
        "/api/boards",
        "/api/boards/",
        "/api/boards/1",
        "/api/boards/1/",
        "/api/boards/default/tickets/",
    ] {
        assert_eq!(app.get(path).await.status, StatusCode::OK, "{path}");
    }
    let created = app
        .post("/api/tickets/", &json!({"board_id": 1, "title": "x"}))
        .await;
    assert_eq!(created.status, StatusCode::CREATED);
}

async fn request_ids_are_generated_or_echoed(app: TestApp) {
    let generated = app.get("/api/boards").await;
    assert!(generated.header("x-request-id").starts_with("req_"));
    let echoed = app
        .send(
            app.request(Method::GET, "/nope")
                .header("X-Request-Id", "trace-42.a"),
        )
        .await;
    assert_eq!(echoed.header("x-request-id"), "trace-42.a", "on errors too");
    let refused = app
        .send(
            app.request(Method::GET, "/api/boards")
                .header("X-Request-Id", "bad id with spaces"),
        )
        .await;
    assert!(refused.header("x-request-id").starts_with("req_"));
}

async fn root_describes_the_service(app: TestApp) {
    let reply = app.get("/").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body["message"], "Agent Kanban Board API");
    assert_eq!(
        reply.header("content-type"),
        "application/json; charset=utf-8"
    );
    assert!(reply.body["version"].is_string());
}
