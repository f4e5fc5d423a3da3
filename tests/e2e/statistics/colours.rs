//! Colour classes of a board's tickets (all, one column, realtime) and one column's report with
//! its thresholds, on the board of `flow_board`.

use super::{create, flow_board, move_to, ok};
use kanban_domain::time::FixedClock;
use kanban_e2e::{TestApp, on_both_backends_with_clock};
use serde_json::{Value, json};
use std::sync::Arc;

on_both_backends_with_clock!(
    ticket_colours_and_realtime,
    column_statistics_with_thresholds
);

async fn ticket_colours_and_realtime(app: TestApp, clock: Arc<FixedClock>) {
    let flow = flow_board(&app, &clock).await;
    let all = ok(
        &app,
        &format!("/api/statistics/boards/{}/tickets/colors", flow.board),
    )
    .await;
    assert_eq!(all["board_name"], "Flow");
    assert_eq!(all["filter_column"], Value::Null);
    assert_eq!(all["total_tickets"], 15);
    assert_eq!(
        all["color_summary"],
        json!({"normal": 5, "good": 8, "warning": 1, "critical": 1})
    );
    let order: Vec<&str> = all["ticket_colors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["title"].as_str().unwrap())
        .collect();
    assert_eq!(
        order,
        [
            "G", "A", "B", "C", "E", "D", "H", "I", "J", "K", "L", "M", "P", "Q", "F"
        ]
    );
    assert_eq!(
        all["ticket_colors"][1],
        json!({"ticket_id": flow.id("A"), "title": "A", "current_column": "In Progress",
               "color_class": "warning", "z_score": 1.025, "time_in_column_hours": 9.0})
    );
    assert_eq!(all["ticket_colors"][0]["z_score"], Value::Null);
    assert_eq!(all["ticket_colors"][11]["color_class"], "critical");
    assert_eq!(all["ticket_colors"][12]["time_in_column_hours"], 249.0);

    let doing = ok(
        &app,
        &format!(
            "/api/statistics/boards/{}/tickets/colors?column=in%20progress",
            flow.board
        ),
    )
    .await;
    assert_eq!(doing["filter_column"], "In Progress");
    assert_eq!(doing["total_tickets"], 4);
    assert_eq!(
        doing["color_summary"],
        json!({"normal": 0, "good": 3, "warning": 1, "critical": 0})
    );
    assert_eq!(doing["ticket_colors"][3]["z_score"], -1.317);

    let other = app.create_board(&json!({"name": "Other"})).await["id"]
        .as_i64()
        .unwrap();
    let stranger = create(&app, other, "elsewhere").await;
    let query = format!(
        "ticket_ids={}&ticket_ids={},{}&ticket_ids={stranger}&ticket_ids={}",
        flow.id("M"),
        flow.id("A"),
        flow.id("G"),
        flow.id("M")
    );
    let realtime = ok(
        &app,
        &format!(
            "/api/statistics/boards/{}/tickets/colors/realtime?{query}",
            flow.board
        ),
    )
    .await;
    let at = "2026-11-12T19:00:00.000Z";
    assert_eq!(
        realtime,
        json!({"board_id": flow.board, "ticket_colors": [
            {"ticket_id": flow.id("M"), "color_class": "critical", "z_score": 2.041,
             "time_in_column_seconds": 28800.0, "updated_at": at},
            {"ticket_id": flow.id("A"), "color_class": "warning", "z_score": 1.025,
             "time_in_column_seconds": 32400.0, "updated_at": at},
            {"ticket_id": flow.id("G"), "color_class": "normal", "z_score": null,
             "time_in_column_seconds": 36000.0, "updated_at": at},
        ]})
    );
    let none = ok(
        &app,
        &format!(
            "/api/statistics/boards/{}/tickets/colors/realtime",
            flow.board
        ),
    )
    .await;
    assert_eq!(none["ticket_colors"], json!([]));
}

async fn column_statistics_with_thresholds(app: TestApp, clock: Arc<FixedClock>) {
    let flow = flow_board(&app, &clock).await;
    let path = |column: &str| {
        format!(
            "/api/statistics/boards/{}/column/{column}/statistics",
            flow.board
        )
    };
    let review = ok(&app, &path("review")).await;
    assert_eq!(review["board_id"], flow.board);
    assert_eq!(review["column_name"], "Review");
    assert_eq!(review["ticket_count"], 6);
    assert_eq!(review["statistics"]["mean_time_seconds"], 10800.0);
    assert_eq!(review["statistics"]["std_deviation_seconds"], 8818.163);
    assert_eq!(review["statistics"]["column_name"], "Review");
    assert_eq!(
        review["color_distribution"],
        json!({"normal": 0, "good": 5, "warning": 0, "critical": 1})
    );
    // 10800 + σ and 10800 + 2σ.
    assert_eq!(
        review["thresholds"],
        json!({"warning_threshold_seconds": 19618.163, "danger_threshold_seconds": 28436.326})
    );
    let waiting = ok(&app, &path("Not%20Started")).await;
    assert_eq!(waiting["column_name"], "Not Started");
    assert_eq!(waiting["color_distribution"]["normal"], 1);
    assert_eq!(
        waiting["thresholds"],
        json!({"warning_threshold_seconds": 36000.0, "danger_threshold_seconds": 36000.0})
    );
    let done = ok(&app, &path("DONE")).await;
    assert_eq!(
        done["color_distribution"],
        json!({"normal": 3, "good": 0, "warning": 0, "critical": 0})
    );
    // Emptied: zeros.
    move_to(&app, flow.id("D"), "Review").await;
    let blocked = ok(&app, &path("Blocked")).await;
    assert_eq!(blocked["ticket_count"], 0);
    assert_eq!(blocked["statistics"]["max_time_seconds"], 0.0);
    assert_eq!(blocked["thresholds"]["danger_threshold_seconds"], 0.0);
    assert_eq!(
        blocked["color_distribution"],
        json!({"normal": 0, "good": 0, "warning": 0, "critical": 0})
    );
}
