//! Contract §6, `/api/statistics`, end to end on a fixed clock: every number of every route is
//! checked against values computed by hand (see `flow_board` for the timeline), on both backends.
//! Colours and column reports, the drag-drop metrics, and the routes' errors and roles are in
//! the submodules.

mod colours;
mod drag_drop;
mod errors;

use chrono::Duration;
use kanban_domain::time::FixedClock;
use kanban_e2e::{TestApp, on_both_backends_with_clock};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;

on_both_backends_with_clock!(
    board_statistics_per_column,
    ticket_statistics_against_the_column,
    performance_over_windows,
    statistics_are_never_stale,
    an_empty_board_is_all_zeros,
);

/// A board on the fixed clock. At t0 tickets P and Q are created; P enters Done at t0 + 1 h, Q
/// at t0 + 2 h. Ten days later (T1 = t0 + 10 d) tickets A–G and H–M are created in Not Started;
/// then, in hours after T1: A → In Progress at 1, B at 2, C at 3, D → Blocked at 4, E → In
/// Progress and F → Done at 5, M → Review at 2, H–L → Review at 8. "Now" is T1 + 10 h
/// (2026-11-12T19:00:00.000Z).
///
/// Times in column now, in seconds: Not Started G 36000; In Progress A 32400, B 28800, C 25200,
/// E 18000; Blocked D 21600; Review M 28800, H–L 7200; Done P 896400 (10 d 9 h), Q 892800, F 18000.
pub(super) struct Flow {
    pub(super) board: i64,
    ids: HashMap<&'static str, i64>,
}

impl Flow {
    pub(super) fn id(&self, name: &str) -> i64 {
        self.ids[name]
    }
}

fn hours(n: i64) -> Duration {
    Duration::hours(n)
}

pub(super) async fn create(app: &TestApp, board: i64, title: &str) -> i64 {
    app.create_ticket(&json!({"board_id": board, "title": title}))
        .await["id"]
        .as_i64()
        .unwrap()
}

pub(super) async fn move_to(app: &TestApp, id: i64, column: &str) {
    let reply = app
        .post(
            &format!("/api/tickets/{id}/move"),
            &json!({"column": column}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
}

pub(super) async fn flow_board(app: &TestApp, clock: &FixedClock) -> Flow {
    let board = app
        .create_board(&json!({
            "name": "Flow",
            "columns": ["Not Started", "In Progress", "Blocked", "Review", "Done"]
        }))
        .await["id"]
        .as_i64()
        .unwrap();
    let mut ids = HashMap::new();
    for name in ["P", "Q"] {
        ids.insert(name, create(app, board, name).await);
    }
    clock.advance(hours(1));
    move_to(app, ids["P"], "Done").await;
    clock.advance(hours(1));
    move_to(app, ids["Q"], "done").await;
    clock.advance(Duration::days(10) - hours(2));
    for name in [
        "A", "B", "C", "D", "E", "F", "G", "H", "I", "J", "K", "L", "M",
    ] {
        ids.insert(name, create(app, board, name).await);
    }
    let plan: [(i64, &[(&str, &str)]); 6] = [
        (1, &[("A", "In Progress")]),
        (1, &[("B", "In Progress"), ("M", "Review")]),
        (1, &[("C", "In Progress")]),
        (1, &[("D", "Blocked")]),
        (1, &[("E", "In Progress"), ("F", "Done")]),
        (
            3,
            &[
                ("H", "Review"),
                ("I", "Review"),
                ("J", "Review"),
                ("K", "Review"),
                ("L", "Review"),
            ],
        ),
    ];
    for (after, moves) in plan {
        clock.advance(hours(after));
        for (name, column) in moves {
            move_to(app, ids[name], column).await;
        }
    }
    clock.advance(hours(2));
    Flow { board, ids }
}

pub(super) async fn ok(app: &TestApp, path: &str) -> Value {
    let reply = app.get(path).await;
    assert_eq!(reply.status, StatusCode::OK, "{path}: {:?}", reply.body);
    reply.body
}

async fn board_statistics_per_column(app: TestApp, clock: Arc<FixedClock>) {
    let flow = flow_board(&app, &clock).await;
    let body = ok(
        &app,
        &format!("/api/statistics/boards/{}/statistics", flow.board),
    )
    .await;
    assert_eq!(body["board_id"], flow.board);
    assert_eq!(body["board_name"], "Flow");
    let columns = &body["column_statistics"];
    assert_eq!(columns.as_object().unwrap().len(), 5);
    let stats = |count: u64, [mean, sd, median, min, max, p95]: [f64; 6], hours: [f64; 4]| {
        json!({
            "ticket_count": count,
            "mean_time_seconds": mean, "mean_time_hours": hours[0],
            "std_deviation_seconds": sd, "std_deviation_hours": hours[1],
            "median_time_seconds": median, "median_time_hours": hours[2],
            "min_time_seconds": min, "max_time_seconds": max,
            "percentile_95_seconds": p95, "percentile_95_hours": hours[3],
        })
    };
    let expected = [
        (
            "Not Started",
            stats(
                1,
                [36000.0, 0.0, 36000.0, 36000.0, 36000.0, 36000.0],
                [10.0, 0.0, 10.0, 10.0],
            ),
        ),
        // Mean 104400 / 4; σ = √(113.4e6 / 3); median (25200 + 28800) / 2; p95 rank ⌈3.8⌉ = 4.
        (
            "In Progress",
            stats(
                4,
                [26100.0, 6148.17, 27000.0, 18000.0, 32400.0, 32400.0],
                [7.25, 1.708, 7.5, 9.0],
            ),
        ),
        (
            "Blocked",
            stats(
                1,
                [21600.0, 0.0, 21600.0, 21600.0, 21600.0, 21600.0],
                [6.0, 0.0, 6.0, 6.0],
            ),
        ),
        // Mean 64800 / 6; σ = √(388.8e6 / 5); p95 rank ⌈5.7⌉ = 6.
        (
            "Review",
            stats(
                6,
                [10800.0, 8818.163, 7200.0, 7200.0, 28800.0, 28800.0],
                [3.0, 2.449, 2.0, 8.0],
            ),
        ),
        // Mean 1807200 / 3; σ = √(512291.52e6 / 2).
        (
            "Done",
            stats(
                3,
                [602400.0, 506108.447, 892800.0, 18000.0, 896400.0, 896400.0],
                [167.333, 140.586, 248.0, 249.0],
            ),
        ),
    ];
    for (name, mut want) in expected {
        want["column_name"] = json!(name);
        assert_eq!(columns[name], want, "{name}");
    }
}

async fn ticket_statistics_against_the_column(app: TestApp, clock: Arc<FixedClock>) {
    let flow = flow_board(&app, &clock).await;
    let stats = |name: &str| format!("/api/statistics/tickets/{}/statistics", flow.id(name));
    let a = ok(&app, &stats("A")).await;
    assert_eq!(
        a,
        json!({
            "ticket_id": flow.id("A"),
            "current_column": "In Progress",
            "time_in_current_column_seconds": 32400.0,
            "time_in_current_column_hours": 9.0,
            "time_in_current_column_days": 0.375,
            "total_age_seconds": 36000.0,
            "total_age_hours": 10.0,
            "total_age_days": 0.417,
            "column_transitions": 1,
            // 6300 / 6148.17…
            "z_score": 1.025,
            // Below 3, equal 1: 3.5 / 4.
            "percentile_rank": 87.5,
            "color_classification": "warning",
            "is_outlier": false,
        })
    );
    let m = ok(&app, &stats("M")).await;
    assert_eq!(m["z_score"], 2.041);
    assert_eq!(m["color_classification"], "critical");
    assert_eq!(m["is_outlier"], true);
    assert_eq!(m["percentile_rank"], 91.667);
    let h = ok(&app, &stats("H")).await;
    assert_eq!(
        (h["z_score"].clone(), h["color_classification"].clone()),
        (json!(-0.408), json!("good"))
    );
    assert_eq!(h["percentile_rank"], 41.667);
    // Done is a finish column: z is defined, the class stays normal.
    let f = ok(&app, &stats("F")).await;
    assert_eq!(f["z_score"], -1.155);
    assert_eq!(f["color_classification"], "normal");
    assert_eq!(f["time_in_current_column_seconds"], 18000.0);
    assert_eq!(f["total_age_seconds"], 36000.0);
    let p = ok(&app, &stats("P")).await;
    assert_eq!(p["total_age_seconds"], 900_000.0);
    assert_eq!(p["total_age_days"], 10.417);
    assert_eq!(p["time_in_current_column_days"], 10.375);
    let g = ok(&app, &stats("G")).await;
    assert_eq!(g["z_score"], Value::Null);
    assert_eq!(g["percentile_rank"], 50.0);
    assert_eq!(g["color_classification"], "normal");
    assert_eq!(g["column_transitions"], 0);
    assert_eq!(g["is_outlier"], false);
}

async fn performance_over_windows(app: TestApp, clock: Arc<FixedClock>) {
    let flow = flow_board(&app, &clock).await;
    let path = |days: u32| {
        format!(
            "/api/statistics/boards/{}/performance?days={days}",
            flow.board
        )
    };
    // 30 days: P, Q and F completed (3600, 7200 and 18000 s after creation), 15 created.
    let month = ok(&app, &path(30)).await;
    assert_eq!(
        month,
        json!({
            "board_id": flow.board,
            "board_name": "Flow",
            "analysis_period_days": 30,
            "tickets_created": 15,
            "tickets_completed": 3,
            "completion_rate": 20.0,
            "average_completion_time_seconds": 9600.0,
            "average_completion_time_days": 0.111,
            "throughput_per_day": 0.1,
            "current_backlog": 12,
            "blocked_tickets": 1,
            // F in the last week, P and Q in the one before: 1 < 0.8 · 2.
            "velocity_trend": "declining",
            "last_week_completed": 1,
            "previous_week_completed": 2,
        })
    );
    let default = ok(
        &app,
        &format!("/api/statistics/boards/{}/performance", flow.board),
    )
    .await;
    assert_eq!(default, month, "30 days by default");
    // 7 days: only F (created 13 tickets ago, 5 h to finish).
    let week = ok(&app, &path(7)).await;
    assert_eq!(week["tickets_created"], 13);
    assert_eq!(week["tickets_completed"], 1);
    assert_eq!(week["completion_rate"], 7.692);
    assert_eq!(week["average_completion_time_seconds"], 18000.0);
    assert_eq!(week["average_completion_time_days"], 0.208);
    assert_eq!(week["throughput_per_day"], 0.143);
    assert_eq!(
        week["previous_week_completed"], 2,
        "weeks do not depend on days"
    );
    let day = ok(&app, &path(1)).await;
    assert_eq!(day["tickets_completed"], 1);
    assert_eq!(day["throughput_per_day"], 1.0);
    // Eight more days: F is in the week before, nothing in the last one.
    clock.advance(Duration::days(8));
    let later = ok(&app, &path(30)).await;
    assert_eq!(later["last_week_completed"], 0);
    assert_eq!(later["previous_week_completed"], 1);
    assert_eq!(later["velocity_trend"], "declining");
}

async fn statistics_are_never_stale(app: TestApp, clock: Arc<FixedClock>) {
    let flow = flow_board(&app, &clock).await;
    let path = format!("/api/statistics/boards/{}/statistics", flow.board);
    let before = ok(&app, &path).await;
    assert_eq!(
        before["column_statistics"]["In Progress"]["ticket_count"],
        4
    );
    move_to(&app, flow.id("A"), "Done").await;
    let after = ok(&app, &path).await;
    let doing = &after["column_statistics"]["In Progress"];
    assert_eq!(doing["ticket_count"], 3);
    // B, C, E: 28800, 25200, 18000.
    assert_eq!(doing["mean_time_seconds"], 24000.0);
    assert_eq!(after["column_statistics"]["Done"]["ticket_count"], 4);
    assert_eq!(after["column_statistics"]["Done"]["min_time_seconds"], 0.0);
    clock.advance(Duration::minutes(30));
    let later = ok(&app, &path).await;
    assert_eq!(
        later["column_statistics"]["In Progress"]["mean_time_seconds"],
        25800.0
    );
    let perf = ok(
        &app,
        &format!("/api/statistics/boards/{}/performance", flow.board),
    )
    .await;
    assert_eq!(perf["tickets_completed"], 4);
    let cleared = app
        .post_empty("/api/statistics/statistics/cache/clear")
        .await;
    assert_eq!(cleared.status, StatusCode::OK);
    assert!(
        cleared.body["message"]
            .as_str()
            .unwrap()
            .contains("computed")
    );
}

async fn an_empty_board_is_all_zeros(app: TestApp, _clock: Arc<FixedClock>) {
    let board = app
        .create_board(&json!({"name": "Empty", "columns": ["Todo", "Done"]}))
        .await["id"]
        .as_i64()
        .unwrap();
    let stats = ok(&app, &format!("/api/statistics/boards/{board}/statistics")).await;
    let todo = &stats["column_statistics"]["Todo"];
    assert_eq!(todo["ticket_count"], 0);
    assert_eq!(todo["percentile_95_hours"], 0.0);
    let perf = ok(
        &app,
        &format!("/api/statistics/boards/{board}/performance?days=365"),
    )
    .await;
    assert_eq!(perf["analysis_period_days"], 365);
    assert_eq!(perf["tickets_created"], 0);
    assert_eq!(perf["completion_rate"], 0.0);
    assert_eq!(perf["average_completion_time_seconds"], 0.0);
    assert_eq!(perf["velocity_trend"], "stable");
    let colors = ok(
        &app,
        &format!("/api/statistics/boards/{board}/tickets/colors"),
    )
    .await;
    assert_eq!(colors["total_tickets"], 0);
    assert_eq!(
        colors["color_summary"],
        json!({"normal": 0, "good": 0, "warning": 0, "critical": 0})
    );
}
