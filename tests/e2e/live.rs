//! The live event stream (contract §10) with a real WebSocket client.

use kanban_api_actix::live::LiveConfig;
use kanban_domain::Role;
use kanban_e2e::{Backend, TestApp, on_both_backends, test_config};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::time::Duration;

on_both_backends!(
    greeting_ping_stats_and_heartbeat_ack,
    every_change_is_announced_after_commit,
    subscribers_of_other_boards_receive_nothing,
    unsubscribing_from_the_last_board_means_nothing,
    resume_with_since_replays_exactly_what_was_missed,
    since_older_than_the_log_requires_a_resync,
    bad_frames_get_an_error_and_the_socket_stays,
    connect_rejects_bad_queries,
    stats_list_connections_and_admin_routes_are_admin_only,
    shutdown_closes_sockets_with_1001,
    subscribe_with_since_replays_even_after_live_events,
    a_clients_close_is_answered,
);

fn event_names(frames: &[Value]) -> Vec<&str> {
    frames
        .iter()
        .map(|f| f["event"].as_str().unwrap_or("?"))
        .collect()
}

async fn greeting_ping_stats_and_heartbeat_ack(app: TestApp) {
    // An account is known by its own name: `username` is for tokenless viewers only.
    let mut ws = app.ws("?client_id=tab-1&username=someone-else").await;
    let hello = ws.next().await;
    assert_eq!(hello["event"], "connected");
    assert_eq!(hello["data"]["client_id"], "tab-1");
    assert_eq!(hello["data"]["username"], "admin");
    assert_eq!(hello["data"]["board_id"], Value::Null);
    assert!(
        hello["data"]["server_time"]
            .as_str()
            .unwrap()
            .ends_with('Z')
    );
    ws.send_json(&json!({"type": "ping"})).await;
    let pong = ws.next().await;
    assert_eq!(pong["type"], "pong");
    assert!(pong["timestamp"].is_string());
    ws.send_json(&json!({"type": "get_stats"})).await;
    let stats = ws.next().await;
    assert_eq!(stats["event"], "stats");
    assert_eq!(stats["data"]["connection"]["client_id"], "tab-1");
    assert_eq!(stats["data"]["server"]["total_connections"], 1);
    ws.send_json(&json!({"type": "heartbeat_response", "heartbeat_id": 7}))
        .await;
    let ack = ws.next().await;
    assert_eq!(ack["event"], "heartbeat_ack");
    assert_eq!(ack["data"]["heartbeat_id"], 7);
    ws.close().await;
}

/// Every kind of change, seen by a client of every board, with the documented fields.
async fn every_change_is_announced_after_commit(app: TestApp) {
    let mut ws = app.ws("").await;
    ws.next().await;
    let board = app
        .create_board(&json!({"name": "Live", "columns": ["Todo", "Doing", "Done"]}))
        .await;
    let b = board["id"].as_i64().unwrap();
    app.put(&format!("/api/boards/{b}"), &json!({"name": "Live 2"}))
        .await;
    app.put(
        &format!("/api/boards/{b}/columns"),
        &json!(["Todo", "Doing", "Done", "Review"]),
    )
    .await;
    let ticket = app
        .create_ticket(&json!({"board_id": b, "title": "T"}))
        .await;
    let t = ticket["id"].as_i64().unwrap();
    app.put(&format!("/api/tickets/{t}"), &json!({"title": "T2"}))
        .await;
    let mover = app.user("mover", Role::Pm).await;
    app.send(
        app.request_as(&mover, Method::POST, &format!("/api/tickets/{t}/move"))
            .json(&json!({"column": "doing"})),
    )
    .await;
    app.post_empty(&format!("/api/tickets/{t}/claim?agent_id=bot"))
        .await;
    app.post_empty(&format!("/api/tickets/{t}/release")).await;
    let comment = app
        .post("/api/comments", &json!({"ticket_id": t, "text": "hi"}))
        .await;
    app.delete(&format!("/api/comments/{}", comment.body["id"]))
        .await;
    app.delete(&format!("/api/tickets/{t}")).await;
    app.delete(&format!("/api/boards/{b}")).await;
    let frames = ws.frames_until_pong().await;
    assert_eq!(
        event_names(&frames),
        [
            "board_created",
            "board_updated",
            "columns_updated",
            "ticket_created",
            "ticket_updated",
            "ticket_moved",
            "ticket_claimed",
            "ticket_released",
            "comment_added",
            "comment_deleted",
            "ticket_deleted",
            "board_deleted",
        ]
    );
    for (index, frame) in frames.iter().enumerate() {
        assert_eq!(frame["board_id"], b, "{frame}");
        assert_eq!(
            frame["data"]["board_id"], b,
            "data carries board_id: {frame}"
        );
        assert_eq!(
            frame["seq"],
            index as i64 + 1,
            "seq increases by one per board event"
        );
        assert!(frame["timestamp"].as_str().unwrap().ends_with('Z'));
    }
    let moved = &frames[5]["data"];
    assert_eq!(
        (moved["from_column"].as_str(), moved["to_column"].as_str()),
        (Some("Todo"), Some("Doing"))
    );
    assert_eq!(moved["moved_by"], "mover");
    assert!(moved["moved_at"].is_string());
    assert_eq!(moved["id"], t);
    assert_eq!(frames[6]["data"]["assignee"], "bot");
    assert_eq!(
        frames[2]["data"]["columns"],
        json!(["Todo", "Doing", "Done", "Review"])
    );
    ws.close().await;
}

async fn subscribers_of_other_boards_receive_nothing(app: TestApp) {
    let a = app.create_board(&json!({"name": "A"})).await["id"]
        .as_i64()
        .unwrap();
    let b = app.create_board(&json!({"name": "B"})).await["id"]
        .as_i64()
        .unwrap();
    let mut ws = app.ws(&format!("?board_id={a}")).await;
    assert_eq!(ws.next().await["data"]["board_id"], a);
    app.create_ticket(&json!({"board_id": b, "title": "elsewhere"}))
        .await;
    app.create_ticket(&json!({"board_id": a, "title": "here"}))
        .await;
    let frames = ws.frames_until_pong().await;
    assert_eq!(frames.len(), 1, "{frames:?}");
    assert_eq!(frames[0]["data"]["title"], "here");
    ws.send_json(&json!({"type": "subscribe_board", "board_id": b}))
        .await;
    assert_eq!(
        ws.next().await,
        json!({"event": "subscribed", "data": {"board_id": b}})
    );
    app.create_ticket(&json!({"board_id": b, "title": "now yes"}))
        .await;
    assert_eq!(ws.next().await["data"]["title"], "now yes");
    ws.close().await;
}

async fn unsubscribing_from_the_last_board_means_nothing(app: TestApp) {
    let a = app.create_board(&json!({"name": "A"})).await["id"]
        .as_i64()
        .unwrap();
    let mut one = app.ws(&format!("?board_id={a}")).await;
    one.next().await;
    one.send_json(&json!({"type": "unsubscribe_board", "board_id": a}))
        .await;
    assert_eq!(
        one.next().await,
        json!({"event": "unsubscribed", "data": {"board_id": a}})
    );
    // A client of every board that unsubscribes from one receives only boards it named.
    let mut all = app.ws("").await;
    all.next().await;
    all.send_json(&json!({"type": "unsubscribe_board", "board_id": a}))
        .await;
    assert_eq!(all.next().await["event"], "unsubscribed");
    app.create_ticket(&json!({"board_id": a, "title": "unseen"}))
        .await;
    app.create_ticket(&json!({"board_id": 1, "title": "unseen too"}))
        .await;
    app.create_board(&json!({"name": "unseen board"})).await;
    assert!(one.frames_until_pong().await.is_empty());
    assert!(all.frames_until_pong().await.is_empty());
    one.close().await;
    all.close().await;
}

async fn resume_with_since_replays_exactly_what_was_missed(app: TestApp) {
    let board = app.create_board(&json!({"name": "Resume"})).await["id"]
        .as_i64()
        .unwrap();
    let mut ws = app.ws(&format!("?board_id={board}")).await;
    ws.next().await;
    let ticket = app
        .create_ticket(&json!({"board_id": board, "title": "seen"}))
        .await;
    let last_seen = ws.next().await["seq"].as_i64().unwrap();
    ws.close().await;
    let t = ticket["id"].as_i64().unwrap();
    for n in 0..20 {
        if n % 2 == 0 {
            app.post(
                &format!("/api/tickets/{t}/move"),
                &json!({"column": if n % 4 == 0 { "Done" } else { "Blocked" }}),
            )
            .await;
        } else {
            app.create_ticket(&json!({"board_id": board, "title": format!("missed {n}")}))
                .await;
        }
    }
    let mut back = app
        .ws(&format!("?board_id={board}&since={last_seen}"))
        .await;
    assert_eq!(back.next().await["event"], "connected");
    let mut replayed = Vec::new();
    for _ in 0..20 {
        replayed.push(back.next().await["seq"].as_i64().unwrap());
    }
    let expected: Vec<i64> = (last_seen + 1..=last_seen + 20).collect();
    assert_eq!(
        replayed, expected,
        "every missed event, in order, no gap, no duplicate"
    );
    app.create_ticket(&json!({"board_id": board, "title": "live again"}))
        .await;
    let live = back.frames_until_pong().await;
    assert_eq!(live.len(), 1, "then live events, without repeats: {live:?}");
    assert_eq!(live[0]["seq"], last_seen + 21);
    back.close().await;
}

async fn since_older_than_the_log_requires_a_resync(app: TestApp) {
    let board = app.create_board(&json!({"name": "Old"})).await["id"]
        .as_i64()
        .unwrap();
    for n in 0..3 {
        app.create_ticket(&json!({"board_id": board, "title": format!("t{n}")}))
            .await;
    }
    let events = app.state.services.repositories.events.clone();
    let removed = events
        .prune(chrono::Utc::now() + chrono::Duration::days(1))
        .unwrap();
    assert!(removed >= 4);
    let mut ws = app.ws(&format!("?board_id={board}&since=1")).await;
    ws.next().await;
    let resync = ws.next().await;
    assert_eq!(resync["event"], "resync_required");
    assert_eq!(resync["data"]["board_id"], board);
    assert_eq!(resync["data"]["latest_seq"], 4);
    app.create_ticket(&json!({"board_id": board, "title": "live"}))
        .await;
    assert_eq!(ws.next().await["seq"], 5, "then live events continue");
    let mut ahead = app.ws(&format!("?board_id={board}&since=99")).await;
    ahead.next().await;
    assert_eq!(
        ahead.next().await["event"],
        "resync_required",
        "a since from the future"
    );
    let mut current = app.ws(&format!("?board_id={board}&since=5")).await;
    current.next().await;
    assert!(
        current.frames_until_pong().await.is_empty(),
        "nothing missed, nothing sent"
    );
    ws.close().await;
    ahead.close().await;
    current.close().await;
}

async fn bad_frames_get_an_error_and_the_socket_stays(app: TestApp) {
    let mut ws = app.ws("").await;
    ws.next().await;
    for bad in [
        "{",
        "[1, 2]",
        "\"text\"",
        r#"{"type": "dance"}"#,
        r#"{"no": "type"}"#,
        r#"{"type": "subscribe_board"}"#,
        r#"{"type": "unsubscribe_board", "board_id": "x"}"#,
    ] {
        ws.send_text(bad).await;
        let reply = ws.next().await;
        assert_eq!(reply["event"], "error", "{bad}");
        assert!(
            reply["data"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty())
        );
    }
    ws.send_binary(vec![1, 2, 3]).await;
    assert_eq!(ws.next().await["event"], "error");
    assert!(
        ws.frames_until_pong().await.is_empty(),
        "still open and answering"
    );
    ws.close().await;
    let mut greedy = app.ws("").await;
    greedy.next().await;
    let padding = "x".repeat(70_000);
    greedy
        .send_text(&format!(r#"{{"type": "ping", "pad": "{padding}"}}"#))
        .await;
    assert_eq!(
        greedy.closed().await.code,
        Some(1009),
        "frames over 64 KiB close the socket"
    );
}

async fn connect_rejects_bad_queries(app: TestApp) {
    let plain = app.get("/ws/connect?since=3").await;
    assert_eq!(plain.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(plain.invalid_fields(), ["query.since"]);
    assert_eq!(
        app.get("/ws/connect?board_id=0").await.invalid_fields(),
        ["query.board_id"]
    );
    assert_eq!(
        app.get("/ws/connect?board_id=424242").await.status,
        StatusCode::NOT_FOUND
    );
    let not_upgrade = app.get("/ws/connect").await;
    assert_eq!(
        (not_upgrade.status, not_upgrade.code()),
        (StatusCode::BAD_REQUEST, "BAD_REQUEST")
    );
    assert!(
        kanban_e2e::ws::WsClient::connect(&app.ws_url("?board_id=424242"))
            .await
            .is_err()
    );
}

async fn stats_list_connections_and_admin_routes_are_admin_only(app: TestApp) {
    let mut ws = app.ws("?client_id=watcher").await;
    ws.next().await;
    let stats = app.get("/ws/stats").await;
    assert_eq!(stats.status, StatusCode::OK);
    assert_eq!(stats.body["total_connections"], 1);
    assert_eq!(stats.body["connections"][0]["client_id"], "watcher");
    assert!(stats.body["total_messages_sent"].as_u64().unwrap() >= 1);
    assert!(stats.body["connections"][0]["connected_duration_seconds"].is_number());
    let pm = app.user("pat", Role::Pm).await;
    let as_pm = |method: Method, path: &str| app.request_as(&pm, method, path);
    let broadcast = app
        .send(as_pm(Method::POST, "/ws/broadcast").json(&json!({"message": "hi"})))
        .await;
    assert_eq!(
        broadcast.status,
        StatusCode::FORBIDDEN,
        "a pm is not an admin"
    );
    assert_eq!(
        app.send(as_pm(Method::POST, "/ws/cleanup")).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.send(as_pm(Method::GET, "/ws/stats")).await.status,
        StatusCode::OK
    );
    let nobody = app.send(app.anonymous(Method::GET, "/ws/stats")).await;
    assert_eq!(nobody.status, StatusCode::UNAUTHORIZED);
    ws.close().await;
}

async fn shutdown_closes_sockets_with_1001(app: TestApp) {
    let mut ws = app.ws("").await;
    ws.next().await;
    app.state.live.shut_down();
    assert_eq!(ws.closed().await.code, Some(1001));
}

async fn admin_broadcast_and_cleanup(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut ws = app.ws("?board_id=1").await;
    ws.next().await;
    let sent = app
        .post("/ws/broadcast", &json!({"message": "maintenance at noon"}))
        .await;
    assert_eq!(
        (sent.status, sent.body["recipients"].clone()),
        (StatusCode::OK, json!(1))
    );
    let notice = ws.next().await;
    assert_eq!(notice["event"], "broadcast");
    assert_eq!(notice["data"]["message"], "maintenance at noon");
    assert_eq!(
        app.post("/ws/broadcast", &json!({"message": " "}))
            .await
            .status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let cleaned = app.post_empty("/ws/cleanup?timeout_seconds=0").await;
    assert_eq!(cleaned.body["closed_connections"], 1);
    assert_eq!(ws.closed().await.code, Some(1000));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_broadcast_and_cleanup_in_memory() {
    admin_broadcast_and_cleanup(Backend::Memory).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_broadcast_and_cleanup_sqlite() {
    admin_broadcast_and_cleanup(Backend::Sqlite).await;
}

/// Heartbeats every 50 ms: a client that answers stays, one that does not is closed after three.
async fn heartbeats(backend: Backend) {
    let live = LiveConfig {
        heartbeat_interval: Duration::from_millis(50),
        ..LiveConfig::default()
    };
    let app = TestApp::spawn_live(backend, test_config(), live).await;
    let mut silent = app.ws("").await;
    let mut lively = app.ws("").await;
    lively.next().await;
    for _ in 0..5 {
        let beat = loop {
            let frame = lively.next_frame().await.expect("stays open");
            if frame["event"] == "heartbeat" {
                break frame;
            }
        };
        lively.send_json(&json!({"type": "heartbeat_response", "heartbeat_id": beat["data"]["heartbeat_id"]})).await;
    }
    let mut beats = 0;
    let closed = loop {
        match silent.next_frame().await {
            Ok(frame) if frame["event"] == "heartbeat" => beats += 1,
            Ok(_) => {}
            Err(closed) => break closed,
        }
    };
    assert_eq!((beats, closed.code), (3, Some(1008)), "{closed:?}");
    assert!(
        lively.next_frame().await.is_ok(),
        "the answering client is still connected"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn heartbeats_in_memory() {
    heartbeats(Backend::Memory).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn heartbeats_sqlite() {
    heartbeats(Backend::Sqlite).await;
}

/// A client that stops reading is closed with 1013 while another receives every event.
///
/// Each event carries 40 KB; the stalled client's socket buffers hold at most a few MB, so it falls
/// more than `queue_capacity` behind well before the last event, while the reading client, even
/// on a busy machine, stays within it.
async fn slow_client_is_closed_and_never_delays_others(backend: Backend) {
    let live = LiveConfig {
        queue_capacity: 128,
        send_timeout: Duration::from_secs(2),
        ..LiveConfig::default()
    };
    let app = TestApp::spawn_live(backend, test_config(), live).await;
    let board = app.create_board(&json!({"name": "Busy"})).await["id"]
        .as_i64()
        .unwrap();
    let query = format!("?board_id={board}");
    let mut slow = kanban_e2e::ws::WsClient::connect_with_small_buffer(
        &app.ws_url(&query),
        app.socket_address(),
    )
    .await;
    let mut fast = app.ws(&query).await;
    fast.next().await;
    const TICKETS: i64 = 400;
    let reader = tokio::spawn(async move {
        let mut seqs = Vec::new();
        while seqs.len() < TICKETS as usize {
            seqs.push(fast.next().await["seq"].as_i64().unwrap());
        }
        seqs
    });
    let bulky = "x".repeat(20_000);
    for n in 0..TICKETS {
        let body = json!({"board_id": board, "title": format!("t{n}"), "description": bulky, "acceptance_criteria": bulky});
        app.create_ticket(&body).await;
    }
    let seqs = reader.await.unwrap();
    // Seq 1 is the board's own creation, before either client connected.
    assert_eq!(
        seqs,
        (2..=TICKETS + 1).collect::<Vec<_>>(),
        "the fast client got every event in order"
    );
    let closed = slow.closed().await;
    assert_eq!(closed.code, Some(1013), "{closed:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_client_is_closed_and_never_delays_others_in_memory() {
    slow_client_is_closed_and_never_delays_others(Backend::Memory).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_client_is_closed_and_never_delays_others_sqlite() {
    slow_client_is_closed_and_never_delays_others(Backend::Sqlite).await;
}

async fn subscribe_with_since_replays_even_after_live_events(app: TestApp) {
    let mut ws = app.ws("").await;
    ws.next().await;
    let board = app.create_board(&json!({"name": "Both"})).await["id"]
        .as_i64()
        .unwrap();
    for n in 0..3 {
        app.create_ticket(&json!({"board_id": board, "title": format!("t{n}")}))
            .await;
    }
    let live: Vec<i64> = ws
        .frames_until_pong()
        .await
        .iter()
        .map(|f| f["seq"].as_i64().unwrap())
        .collect();
    assert_eq!(live, [1, 2, 3, 4]);
    ws.send_json(&json!({"type": "subscribe_board", "board_id": board, "since": 1}))
        .await;
    assert_eq!(ws.next().await["event"], "subscribed");
    let replayed: Vec<i64> = ws
        .frames_until_pong()
        .await
        .iter()
        .map(|f| f["seq"].as_i64().unwrap())
        .collect();
    assert_eq!(
        replayed,
        [2, 3, 4],
        "what the client asked for, from its since"
    );
    ws.send_json(&json!({"type": "subscribe_board", "board_id": 987_654}))
        .await;
    let refused = ws.next().await;
    assert_eq!(refused["event"], "error");
    assert!(
        refused["data"]["message"]
            .as_str()
            .unwrap()
            .contains("not found")
    );
    ws.close().await;
}

async fn a_clients_close_is_answered(app: TestApp) {
    let mut ws = app.ws("").await;
    ws.next().await;
    ws.send_close().await;
    assert_eq!(
        ws.closed().await.code,
        Some(1000),
        "a clean close, not a dropped socket"
    );
}

/// The upgrade needs a valid token (query or bearer header) unless anonymous reads are enabled.
async fn connecting_needs_a_token(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let refused = kanban_e2e::ws::WsClient::connect(&app.ws_url_without_token("")).await;
    assert!(refused.is_err(), "no token, no stream");
    let plain = app.send(app.anonymous(Method::GET, "/ws/connect")).await;
    assert_eq!(
        (plain.status, plain.code()),
        (StatusCode::UNAUTHORIZED, "UNAUTHORIZED")
    );
    let forged = app
        .send(app.anonymous(Method::GET, "/ws/connect?token=not.a.token"))
        .await;
    assert_eq!(forged.status, StatusCode::UNAUTHORIZED);
    let viewer = app.user("vera", Role::Viewer).await;
    let url = format!(
        "{}?token={}",
        app.ws_url_without_token(""),
        viewer.access_token
    );
    let mut ws = kanban_e2e::ws::WsClient::connect(&url)
        .await
        .expect("a viewer may watch");
    assert_eq!(ws.next().await["data"]["username"], "vera");
    ws.close().await;

    let mut config = test_config();
    config.auth.anonymous = kanban_api_actix::AnonymousAccess::Read;
    let open = TestApp::spawn_with(backend, config).await;
    let url = open.ws_url_without_token("?username=wall-screen");
    let mut ws = kanban_e2e::ws::WsClient::connect(&url)
        .await
        .expect("anonymous reads are on");
    assert_eq!(ws.next().await["data"]["username"], "wall-screen");
    ws.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connecting_needs_a_token_in_memory() {
    connecting_needs_a_token(Backend::Memory).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connecting_needs_a_token_sqlite() {
    connecting_needs_a_token(Backend::Sqlite).await;
}
