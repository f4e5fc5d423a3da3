use kanban_domain::Role;
use kanban_e2e::{Backend, TestApp, on_both_backends};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

on_both_backends!(
    create_ticket_defaults_and_normalises,
    create_ticket_validates_every_field,
    list_tickets_pages_filters_and_orders,
    list_tickets_rejects_bad_queries,
    update_ticket_records_history_per_field,
    update_ticket_refuses_unknown_fields_and_nulls,
    move_ticket_matches_columns_ignoring_case,
    move_to_unknown_column_is_422_and_changes_nothing,
    claim_and_release,
    if_match_on_ticket_writes,
    delete_ticket_removes_comments_and_history,
    list_pages_follow_every_change_of_their_board,
);

async fn board(app: &TestApp) -> i64 {
    app.create_board(&json!({"name": "Work", "columns": ["Todo", "In Progress", "Done"]}))
        .await["id"]
        .as_i64()
        .unwrap()
}

async fn create_ticket_defaults_and_normalises(app: TestApp) {
    let board_id = board(&app).await;
    let reply = app
        .post(
            "/api/tickets/",
            &json!({"board_id": board_id, "title": "  Fix login  "}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED);
    let ticket = &reply.body;
    assert_eq!(
        reply.header("location"),
        format!("/api/tickets/{}", ticket["id"])
    );
    assert_eq!(reply.header("etag"), "\"1\"");
    assert_eq!(ticket["title"], "Fix login");
    assert_eq!(
        ticket["current_column"], "Todo",
        "the first column by default"
    );
    assert_eq!(ticket["priority"], "1.0");
    assert_eq!(ticket["assignee"], Value::Null);
    assert_eq!(ticket["description"], "");
    assert_eq!(ticket["version"], 1);
    assert_eq!(ticket["created_at"], ticket["column_entered_at"]);
    let full = app
        .create_ticket(&json!({
            "board_id": board_id, "title": "B", "description": "d", "acceptance_criteria": "- works",
            "priority": "2.5", "assignee": "agent-7", "current_column": "IN PROGRESS",
            "created_by": "legacy-field-ignored"
        }))
        .await;
    assert_eq!(
        full["current_column"], "In Progress",
        "stored with the board's spelling"
    );
    assert_eq!(full["priority"], "2.5");
    assert_eq!(full["assignee"], "agent-7");
    assert_eq!(full["acceptance_criteria"], "- works");
    let numeric = app
        .create_ticket(&json!({"board_id": board_id, "title": "C", "priority": 3}))
        .await;
    assert_eq!(numeric["priority"], "3.0");
    let history = app
        .get(&format!("/api/history/tickets/{}/history", full["id"]))
        .await;
    assert_eq!(history.body.as_array().unwrap().len(), 1);
    assert_eq!(history.body[0]["field_name"], "status");
}

async fn create_ticket_validates_every_field(app: TestApp) {
    let board_id = board(&app).await;
    let cases = [
        (json!({"title": "x"}), "body.board_id"),
        (json!({"board_id": board_id}), "body.title"),
        (json!({"board_id": board_id, "title": "   "}), "body.title"),
        (
            json!({"board_id": board_id, "title": "x".repeat(201)}),
            "body.title",
        ),
        (json!({"board_id": board_id, "title": null}), "body.title"),
        (json!({"board_id": "one", "title": "x"}), "body.board_id"),
        (
            json!({"board_id": board_id, "title": "x", "priority": -1}),
            "body.priority",
        ),
        (
            json!({"board_id": board_id, "title": "x", "priority": 1000.5}),
            "body.priority",
        ),
        (
            json!({"board_id": board_id, "title": "x", "priority": "high"}),
            "body.priority",
        ),
        (
            json!({"board_id": board_id, "title": "x", "priority": [1]}),
            "body.priority",
        ),
        (
            json!({"board_id": board_id, "title": "x", "current_column": "Review"}),
            "body.current_column",
        ),
        (
            json!({"board_id": board_id, "title": "x", "description": 5}),
            "body.description",
        ),
    ];
    for (body, field) in cases {
        let reply = app.post("/api/tickets", &body).await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {:?}",
            reply.body
        );
        assert_eq!(reply.invalid_fields(), [field], "{body}");
    }
    let unknown_board = app
        .post("/api/tickets", &json!({"board_id": 987_654, "title": "x"}))
        .await;
    assert_eq!(unknown_board.status, StatusCode::NOT_FOUND);
    let listing = app.get(&format!("/api/tickets?board_id={board_id}")).await;
    assert_eq!(
        listing.body["total"], 0,
        "no invalid request created anything"
    );
}

async fn list_tickets_pages_filters_and_orders(app: TestApp) {
    let board_id = board(&app).await;
    for (title, priority, column) in [
        ("a", 5, "Done"),
        ("b", 10, "Todo"),
        ("c", 2, "Todo"),
        ("d", 2, "In Progress"),
        ("e", 2, "Todo"),
    ] {
        app.create_ticket(&json!({"board_id": board_id, "title": title, "priority": priority, "current_column": column}))
            .await;
    }
    let all = app.get(&format!("/api/tickets?board_id={board_id}")).await;
    assert_eq!(all.status, StatusCode::OK);
    let titles: Vec<&str> = all.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["title"].as_str().unwrap())
        .collect();
    assert_eq!(
        titles,
        ["c", "e", "b", "d", "a"],
        "column position, numeric priority, id"
    );
    assert_eq!(all.body["total"], 5);
    assert_eq!(
        (all.body["page"].clone(), all.body["page_size"].clone()),
        (json!(1), json!(50))
    );
    let page2 = app
        .get(&format!(
            "/api/tickets/?board_id={board_id}&page=2&page_size=2"
        ))
        .await;
    let titles: Vec<&str> = page2.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["b", "d"]);
    assert_eq!(page2.body["total_pages"], 3);
    assert_eq!(
        (
            page2.body["has_next"].clone(),
            page2.body["has_previous"].clone()
        ),
        (json!(true), json!(true))
    );
    let column = app
        .get(&format!("/api/tickets?board_id={board_id}&column=todo"))
        .await;
    assert_eq!(column.body["total"], 3);
    let e = &all.body["items"][1];
    app.post_empty(&format!("/api/tickets/{}/claim?agent_id=bot-1", e["id"]))
        .await;
    let mine = app
        .get(&format!("/api/tickets?board_id={board_id}&assignee=bot-1"))
        .await;
    assert_eq!(mine.body["total"], 1);
    assert_eq!(mine.body["items"][0]["id"], e["id"]);
    let beyond = app
        .get(&format!("/api/tickets?board_id={board_id}&page=9"))
        .await;
    assert_eq!(beyond.status, StatusCode::OK);
    assert_eq!(beyond.body["items"], json!([]));
}

async fn list_tickets_rejects_bad_queries(app: TestApp) {
    let board_id = board(&app).await;
    let cases = [
        (String::from("/api/tickets"), "query.board_id"),
        ("/api/tickets?board_id=abc".to_owned(), "query.board_id"),
        (
            format!("/api/tickets?board_id={board_id}&page_size=101"),
            "query.page_size",
        ),
        (
            format!("/api/tickets?board_id={board_id}&page_size=0"),
            "query.page_size",
        ),
        (
            format!("/api/tickets?board_id={board_id}&page=0"),
            "query.page",
        ),
        (
            format!("/api/tickets?board_id={board_id}&page=-1"),
            "query.page",
        ),
        (
            format!("/api/tickets?board_id={board_id}&column=Nope"),
            "query.column",
        ),
    ];
    for (path, field) in cases {
        let reply = app.get(&path).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{path}");
        assert_eq!(reply.invalid_fields(), [field], "{path}");
    }
    // An unknown board is 404 however it is asked for (the board is read only when nothing
    // matched); an existing empty board is an empty page.
    for path in [
        "/api/tickets?board_id=99999",
        "/api/tickets?board_id=99999&assignee=bot-1",
        "/api/tickets?board_id=99999&page=3",
        "/api/tickets?board_id=99999&column=Todo",
    ] {
        let reply = app.get(path).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(reply.code(), "NOT_FOUND", "{path}");
    }
    let empty = app.create_board(&json!({"name": "Empty"})).await;
    let reply = app
        .get(&format!("/api/tickets?board_id={}", empty["id"]))
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(
        (
            reply.body["total"].as_u64(),
            reply.body["items"].as_array().map(Vec::len)
        ),
        (Some(0), Some(0))
    );
}

async fn update_ticket_records_history_per_field(app: TestApp) {
    let board_id = board(&app).await;
    let ticket = app
        .create_ticket(&json!({"board_id": board_id, "title": "Old", "description": "x"}))
        .await;
    let path = format!("/api/tickets/{}", ticket["id"]);
    let ann = app.user("ann", Role::Pm).await;
    let updated = app
        .send(app.request_as(&ann, Method::PUT, &path).json(
            &json!({"title": "New", "description": "", "priority": 4, "changed_by": "ignored"}),
        ))
        .await;
    assert_eq!(updated.status, StatusCode::OK, "{:?}", updated.body);
    assert_eq!(updated.body["title"], "New");
    assert_eq!(updated.body["description"], "");
    assert_eq!(updated.body["priority"], "4.0");
    assert_eq!(updated.body["version"], 2);
    assert_eq!(updated.header("etag"), "\"2\"");
    let history = app
        .get(&format!("/api/history/tickets/{}/history", ticket["id"]))
        .await
        .body;
    let fields: Vec<&str> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["field_name"].as_str().unwrap())
        .collect();
    assert_eq!(fields.len(), 4, "{fields:?}");
    for field in ["title", "description", "priority", "status"] {
        assert!(fields.contains(&field), "{field} in {fields:?}");
    }
    let description = history
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["field_name"] == "description")
        .unwrap();
    assert_eq!(
        description["new_value"], "",
        "empty strings are recorded as they are"
    );
    assert_eq!(description["changed_by"], "ann");
    let unchanged = app.put(&path, &json!({"title": "New"})).await;
    assert_eq!(unchanged.body["version"], 2, "no change, no new version");
    let cleared = app.put(&path, &json!({"assignee": "bot"})).await;
    assert_eq!(cleared.body["assignee"], "bot");
    let cleared = app.put(&path, &json!({"assignee": null})).await;
    assert_eq!(cleared.body["assignee"], Value::Null);
    assert_eq!(
        app.put("/api/tickets/999999", &json!({"title": "x"}))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

async fn update_ticket_refuses_unknown_fields_and_nulls(app: TestApp) {
    let board_id = board(&app).await;
    let ticket = app
        .create_ticket(&json!({"board_id": board_id, "title": "T"}))
        .await;
    let path = format!("/api/tickets/{}", ticket["id"]);
    for (body, field) in [
        (json!({"title": null}), "body.title"),
        (json!({"priority": null}), "body.priority"),
        (json!({"colour": "red"}), "body.colour"),
        (json!({"current_column": "Done"}), "body.current_column"),
        (json!({"title": ""}), "body.title"),
    ] {
        let reply = app.put(&path, &body).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(reply.invalid_fields(), [field], "{body}");
    }
    assert_eq!(app.get(&path).await.body["version"], 1, "nothing changed");
}

async fn move_ticket_matches_columns_ignoring_case(app: TestApp) {
    let board_id = board(&app).await;
    let ticket = app
        .create_ticket(&json!({"board_id": board_id, "title": "T"}))
        .await;
    let path = format!("/api/tickets/{}/move", ticket["id"]);
    let moved = app
        .post(
            &path,
            &json!({"column": "in progress", "moved_by": "legacy"}),
        )
        .await;
    assert_eq!(moved.status, StatusCode::OK, "{:?}", moved.body);
    assert_eq!(moved.body["current_column"], "In Progress");
    assert_eq!(moved.body["version"], 2);
    assert_ne!(moved.body["column_entered_at"], ticket["column_entered_at"]);
    let again = app.post(&path, &json!({"column": "IN PROGRESS"})).await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(
        again.body["version"], 2,
        "a move to the same column is a no-op"
    );
    let history = app
        .get(&format!(
            "/api/history/tickets/{}/history?field_name=column",
            ticket["id"]
        ))
        .await;
    assert_eq!(
        history.body.as_array().unwrap().len(),
        1,
        "and writes no history"
    );
    assert_eq!(
        app.post("/api/tickets/999999/move", &json!({"column": "Done"}))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let missing = app.post(&path, &json!({})).await;
    assert_eq!(missing.invalid_fields(), ["body.column"]);
}

async fn move_to_unknown_column_is_422_and_changes_nothing(app: TestApp) {
    let board_id = board(&app).await;
    let ticket = app
        .create_ticket(&json!({"board_id": board_id, "title": "T"}))
        .await;
    let reply = app
        .post(
            &format!("/api/tickets/{}/move", ticket["id"]),
            &json!({"column": "Review"}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(reply.invalid_fields(), ["body.column"]);
    let after = app
        .get(&format!("/api/tickets/{}", ticket["id"]))
        .await
        .body;
    assert_eq!(after, ticket, "nothing changed");
    let history = app
        .get(&format!("/api/history/tickets/{}/history", ticket["id"]))
        .await;
    assert_eq!(history.body.as_array().unwrap().len(), 1);
}

async fn claim_and_release(app: TestApp) {
    let board_id = board(&app).await;
    let ticket = app
        .create_ticket(&json!({"board_id": board_id, "title": "T"}))
        .await;
    let claim = format!("/api/tickets/{}/claim", ticket["id"]);
    let release = format!("/api/tickets/{}/release", ticket["id"]);
    let agent = app.user("agent-1", Role::Agent).await;
    let claimed = app.send(app.request_as(&agent, Method::POST, &claim)).await;
    assert_eq!(claimed.status, StatusCode::OK);
    assert_eq!(
        claimed.body["assignee"], "agent-1",
        "defaults to the caller"
    );
    let again = app.post_empty(&format!("{claim}?agent_id=agent-2")).await;
    assert_eq!(
        (again.status, again.code()),
        (StatusCode::CONFLICT, "CONFLICT")
    );
    let released = app.post_empty(&release).await;
    assert_eq!(released.status, StatusCode::OK);
    assert_eq!(released.body["assignee"], Value::Null);
    let idle = app.post_empty(&release).await;
    assert_eq!(
        (idle.status, idle.body["version"].clone()),
        (StatusCode::OK, released.body["version"].clone())
    );
    let for_other = app.post_empty(&format!("{claim}?agent_id=agent-2")).await;
    assert_eq!(for_other.body["assignee"], "agent-2");
    let empty_agent = app
        .post_empty(&format!("/api/tickets/{}/claim?agent_id=%01", ticket["id"]))
        .await;
    assert_eq!(empty_agent.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        app.post_empty("/api/tickets/999999/claim").await.status,
        StatusCode::NOT_FOUND
    );
    let history = app
        .get(&format!(
            "/api/history/tickets/{}/history?field_name=assignee",
            ticket["id"]
        ))
        .await;
    assert_eq!(
        history.body.as_array().unwrap().len(),
        3,
        "claim, release, claim"
    );
}

async fn if_match_on_ticket_writes(app: TestApp) {
    let board_id = board(&app).await;
    let ticket = app
        .create_ticket(&json!({"board_id": board_id, "title": "T"}))
        .await;
    let id = &ticket["id"];
    let stale =
        |method: Method, path: String| app.request(method, &path).header("If-Match", "\"5\"");
    let cases = [
        stale(Method::PUT, format!("/api/tickets/{id}")).json(&json!({"title": "x"})),
        stale(Method::POST, format!("/api/tickets/{id}/move")).json(&json!({"column": "Done"})),
        stale(Method::POST, format!("/api/tickets/{id}/claim")),
        stale(Method::POST, format!("/api/tickets/{id}/release")),
        stale(Method::DELETE, format!("/api/tickets/{id}")),
    ];
    for request in cases {
        let reply = app.send(request).await;
        assert_eq!(reply.status, StatusCode::PRECONDITION_FAILED);
        assert_eq!(reply.code(), "PRECONDITION_FAILED");
    }
    assert_eq!(
        app.get(&format!("/api/tickets/{id}")).await.body,
        ticket,
        "nothing changed"
    );
    let current = app
        .send(
            app.request(Method::PUT, &format!("/api/tickets/{id}"))
                .header("If-Match", "W/\"1\"")
                .json(&json!({"title": "x"})),
        )
        .await;
    assert_eq!(current.status, StatusCode::OK);
    let any = app
        .send(
            app.request(Method::POST, &format!("/api/tickets/{id}/move"))
                .header("If-Match", "*")
                .json(&json!({"column": "Done"})),
        )
        .await;
    assert_eq!(any.status, StatusCode::OK);
}

async fn delete_ticket_removes_comments_and_history(app: TestApp) {
    let board_id = board(&app).await;
    let ticket = app
        .create_ticket(&json!({"board_id": board_id, "title": "T"}))
        .await;
    let id = ticket["id"].as_i64().unwrap();
    let comment = app
        .post("/api/comments", &json!({"ticket_id": id, "text": "hi"}))
        .await;
    let deleted = app.delete(&format!("/api/tickets/{id}")).await;
    assert_eq!(deleted.status, StatusCode::OK);
    assert!(deleted.body["message"].is_string());
    assert_eq!(
        app.get(&format!("/api/tickets/{id}")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.delete(&format!("/api/tickets/{id}")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get(&format!("/api/history/tickets/{id}/history"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let gone = app
        .delete(&format!("/api/comments/{}", comment.body["id"]))
        .await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    assert_eq!(
        app.get(&format!("/api/boards/{board_id}")).await.body["ticket_count"],
        0
    );
}

/// Pages are kept encoded until their board changes: every kind of change shows at once.
async fn list_pages_follow_every_change_of_their_board(app: TestApp) {
    let board_id = board(&app).await;
    let other = board(&app).await;
    let page = || async {
        let reply = app
            .get(&format!("/api/tickets?board_id={board_id}&page_size=10"))
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
        assert_eq!(
            reply.headers["content-type"].to_str().unwrap(),
            "application/json; charset=utf-8"
        );
        let items: Vec<(String, String, Value)> = reply.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| {
                let title = t["title"].as_str().unwrap().to_owned();
                let column = t["current_column"].as_str().unwrap().to_owned();
                (title, column, t["assignee"].clone())
            })
            .collect();
        (items, reply.body["total"].as_u64().unwrap())
    };
    let entry = |title: &str, column: &str, assignee: Value| {
        (title.to_owned(), column.to_owned(), assignee)
    };
    let id_of = |ticket: &Value| ticket["id"].as_i64().unwrap();
    let a = app
        .create_ticket(&json!({"board_id": board_id, "title": "a"}))
        .await;
    assert_eq!(page().await, (vec![entry("a", "Todo", Value::Null)], 1));
    assert_eq!(page().await, page().await, "the same page again");

    let b = app
        .create_ticket(&json!({"board_id": board_id, "title": "b"}))
        .await;
    let (items, total) = page().await;
    assert_eq!((items.len(), total), (2, 2), "created");

    let moved = app
        .post(
            &format!("/api/tickets/{}/move", id_of(&a)),
            &json!({"column": "Done"}),
        )
        .await;
    assert_eq!(moved.status, StatusCode::OK);
    assert_eq!(
        page().await.0,
        [
            entry("b", "Todo", Value::Null),
            entry("a", "Done", Value::Null)
        ],
        "moved"
    );

    let claimed = app
        .post_empty(&format!("/api/tickets/{}/claim?agent_id=bot-1", id_of(&b)))
        .await;
    assert_eq!(claimed.status, StatusCode::OK);
    assert_eq!(
        page().await.0[0],
        entry("b", "Todo", json!("bot-1")),
        "claimed"
    );
    // Each ticket of a page, encoded afresh (b) or kept from an earlier page (a, unchanged since
    // its move), is the ticket as its own `GET` has it.
    let listed = app.get(&format!("/api/tickets?board_id={board_id}")).await;
    for item in listed.body["items"].as_array().unwrap() {
        let own = app.get(&format!("/api/tickets/{}", id_of(item))).await;
        assert_eq!(*item, own.body);
    }

    let renamed = app
        .post(
            &format!("/api/boards/{board_id}/columns/rename"),
            &json!({"from": "Done", "to": "Shipped"}),
        )
        .await;
    assert_eq!(renamed.status, StatusCode::OK, "{:?}", renamed.body);
    assert_eq!(
        page().await.0[1],
        entry("a", "Shipped", Value::Null),
        "column renamed"
    );

    // A change on another board leaves this board's pages as they were.
    app.create_ticket(&json!({"board_id": other, "title": "elsewhere"}))
        .await;
    assert_eq!(page().await.1, 2);

    let deleted = app.delete(&format!("/api/tickets/{}", id_of(&b))).await;
    assert!(deleted.status.is_success(), "{:?}", deleted.body);
    assert_eq!(
        page().await,
        (vec![entry("a", "Shipped", Value::Null)], 1),
        "deleted"
    );
}

/// Two servers on one database file, as two instances behind a load balancer: what one changes,
/// the other answers with at once, though it had the ticket and the page in memory (each keeps
/// reads only while the database's WAL index shows no commit since, by any process).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_server_on_the_same_file_answers_every_change_at_once() {
    let first = TestApp::spawn(Backend::Sqlite).await;
    let second = first.beside().await;
    let board_id = board(&first).await;
    let ticket = first
        .create_ticket(&json!({"board_id": board_id, "title": "shared"}))
        .await;
    let path = format!("/api/tickets/{}", ticket["id"]);
    let page = format!("/api/tickets?board_id={board_id}");
    for _ in 0..2 {
        assert_eq!(
            seen(&second, &path, &page).await,
            ("Todo".to_owned(), "\"1\"".to_owned())
        );
    }

    let moved = first
        .post(&format!("{path}/move"), &json!({"column": "Done"}))
        .await;
    assert_eq!(moved.status, StatusCode::OK, "{:?}", moved.body);
    assert_eq!(
        seen(&second, &path, &page).await,
        ("Done".to_owned(), "\"2\"".to_owned())
    );

    let back = second
        .post(&format!("{path}/move"), &json!({"column": "In Progress"}))
        .await;
    assert_eq!(back.status, StatusCode::OK, "{:?}", back.body);
    assert_eq!(
        seen(&first, &path, &page).await,
        ("In Progress".to_owned(), "\"3\"".to_owned())
    );
    assert_eq!(
        seen(&second, &path, &page).await,
        ("In Progress".to_owned(), "\"3\"".to_owned())
    );

    let renamed = first.put(&path, &json!({"title": "renamed"})).await;
    assert_eq!(renamed.status, StatusCode::OK, "{:?}", renamed.body);
    assert_eq!(second.get(&path).await.body["title"], "renamed");
}

/// A ticket's column and ETag as `app` answers them, checking that its page agrees.
async fn seen(app: &TestApp, path: &str, page: &str) -> (String, String) {
    let one = app.get(path).await;
    assert_eq!(one.status, StatusCode::OK, "{:?}", one.body);
    let listed = app.get(page).await;
    assert_eq!(listed.status, StatusCode::OK, "{:?}", listed.body);
    assert_eq!(
        listed.body["items"][0], one.body,
        "the page and the ticket agree"
    );
    (
        one.body["current_column"].as_str().unwrap().to_owned(),
        one.header("etag").to_owned(),
    )
}
