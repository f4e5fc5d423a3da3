//! Reports over a hand-made board, every number computed by hand.
//!
//! "In Progress" holds four tickets that entered 1, 2, 3 and 10 hours ago: 3600, 7200, 10800
//! and 36000 s. Mean 57600 / 4 = 14400; deviations −10800, −7200, −3600, 21600; squares
//! 648e6 in all, / 3 = 216e6, σ = √216e6 = 14696.938456699067; median (7200 + 10800) / 2 =
//! 9000; 95th percentile rank ⌈3.8⌉ = 4: 36000. z(36000) = 21600 / σ = 1.46969… (warning),
//! z(3600) = −0.73484… (good). "Review" holds one ticket (30 minutes): σ = 0, no z. "Not
//! Started" holds two tickets, always `normal`. "Done" is empty.

use super::*;
use crate::board::Board;
use crate::ids::{BoardId, TicketId};
use crate::ticket::Ticket;
use crate::values::{BoardName, Columns, LongText, Priority, TicketTitle};
use chrono::{Duration, TimeZone, Utc};

const SIGMA: f64 = 14_696.938_456_699_067;

fn now() -> Timestamp {
    Utc.with_ymd_and_hms(2026, 11, 20, 12, 0, 0).unwrap()
}

fn board() -> Board {
    Board {
        id: BoardId::new(7),
        name: BoardName::parse("name", "Flow").unwrap(),
        description: LongText::empty(),
        columns: Columns::parse("columns", &["Not Started", "In Progress", "Review", "Done"])
            .unwrap(),
        created_at: now(),
        updated_at: now(),
        version: 1,
    }
}

fn timing(id: i64, column: &str, minutes_in_column: i64) -> TicketTiming {
    let entered = now() - Duration::minutes(minutes_in_column);
    TicketTiming {
        id: TicketId::new(id),
        title: format!("T{id}"),
        current_column: ColumnName::parse("column", column).unwrap(),
        created_at: entered - Duration::days(1),
        column_entered_at: entered,
    }
}

fn tickets() -> Vec<TicketTiming> {
    vec![
        timing(1, "Not Started", 6000),
        timing(2, "Not Started", 60),
        timing(3, "In Progress", 60),
        timing(4, "In Progress", 120),
        timing(5, "In Progress", 180),
        timing(6, "In Progress", 600),
        timing(7, "Review", 30),
    ]
}

fn times() -> BoardTimes {
    BoardTimes::new(&board().columns, tickets(), now())
}

fn close(actual: f64, expected: f64) {
    assert!(
        (actual - expected).abs() < 1e-9,
        "{actual} is not {expected}"
    );
}

#[test]
fn board_statistics_per_column_in_board_order() {
    let stats = BoardStatistics::build(&board(), &times());
    let json = serde_json::to_string(&stats).unwrap();
    let order: Vec<usize> = [
        "\"Not Started\":",
        "\"In Progress\":",
        "\"Review\":",
        "\"Done\":",
    ]
    .iter()
    .map(|key| json.find(key).unwrap())
    .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{json}");
    let columns = &stats.column_statistics.0;
    let doing = &columns[1];
    assert_eq!(
        *doing,
        ColumnStatistics {
            column_name: "In Progress".into(),
            ticket_count: 4,
            mean_time_seconds: 14_400.0,
            mean_time_hours: 4.0,
            std_deviation_seconds: 14_696.938,
            std_deviation_hours: 4.082,
            median_time_seconds: 9000.0,
            median_time_hours: 2.5,
            min_time_seconds: 3600.0,
            max_time_seconds: 36_000.0,
            percentile_95_seconds: 36_000.0,
            percentile_95_hours: 10.0,
        }
    );
    let review = &columns[2];
    assert_eq!(review.ticket_count, 1);
    assert_eq!(review.mean_time_seconds, 1800.0);
    assert_eq!(review.std_deviation_seconds, 0.0);
    assert_eq!(review.percentile_95_hours, 0.5);
    let done = &columns[3];
    assert_eq!(
        *done,
        ColumnStatistics {
            column_name: "Done".into(),
            ticket_count: 0,
            mean_time_seconds: 0.0,
            mean_time_hours: 0.0,
            std_deviation_seconds: 0.0,
            std_deviation_hours: 0.0,
            median_time_seconds: 0.0,
            median_time_hours: 0.0,
            min_time_seconds: 0.0,
            max_time_seconds: 0.0,
            percentile_95_seconds: 0.0,
            percentile_95_hours: 0.0,
        }
    );
    assert_eq!(stats.board_name, "Flow");
}

fn ticket(timing: &TicketTiming) -> Ticket {
    Ticket {
        id: timing.id,
        board_id: BoardId::new(7),
        title: TicketTitle::parse("title", &timing.title).unwrap(),
        description: LongText::empty(),
        acceptance_criteria: LongText::empty(),
        priority: Priority::default(),
        assignee: None,
        current_column: timing.current_column.clone(),
        created_at: timing.created_at,
        updated_at: timing.column_entered_at,
        column_entered_at: timing.column_entered_at,
        version: 1,
    }
}

fn column_times(column: &str) -> BoardTimes {
    let peers = tickets()
        .into_iter()
        .filter(|t| t.current_column.as_str() == column)
        .collect();
    BoardTimes::new(&board().columns, peers, now())
}

#[test]
fn ticket_statistics_against_its_column() {
    let slowest = ticket(&timing(6, "In Progress", 600));
    let stats = TicketStatistics::build(&slowest, &column_times("In Progress"), 3);
    assert_eq!(stats.time_in_current_column_seconds, 36_000.0);
    assert_eq!(stats.time_in_current_column_hours, 10.0);
    assert_eq!(stats.time_in_current_column_days, 0.417);
    // Created one day before it entered: 36000 + 86400.
    assert_eq!(stats.total_age_seconds, 122_400.0);
    assert_eq!(stats.total_age_hours, 34.0);
    assert_eq!(stats.total_age_days, 1.417);
    assert_eq!(stats.column_transitions, 3);
    // 21600 / σ = 1.469693845669907.
    assert_eq!(stats.z_score, Some(1.47));
    // Below: 3, equal: 1 → 3.5 / 4.
    assert_eq!(stats.percentile_rank, 87.5);
    assert_eq!(stats.color_classification, ColorClass::Warning);
    assert!(!stats.is_outlier);

    let lone = ticket(&timing(7, "Review", 30));
    let stats = TicketStatistics::build(&lone, &column_times("Review"), 0);
    assert_eq!(stats.z_score, None);
    assert_eq!(stats.percentile_rank, 50.0);
    assert_eq!(stats.color_classification, ColorClass::Normal);
    let json = serde_json::to_value(&stats).unwrap();
    assert_eq!(json["z_score"], serde_json::Value::Null);
    assert_eq!(json["color_classification"], "normal");
}

#[test]
fn a_critical_outlier() {
    // Five tickets of 1 h and one of 2 h: mean 4200, squares 5·600² + 3000² = 10.8e6, / 5,
    // σ = √2.16e6 = 1469.6938…; z(7200) = 3000 / σ = 2.0412 (critical, outlier).
    let mut peers: Vec<TicketTiming> = (1..=5).map(|id| timing(id, "Review", 60)).collect();
    peers.push(timing(6, "Review", 120));
    let times = BoardTimes::new(&board().columns, peers.clone(), now());
    let stats = TicketStatistics::build(&ticket(&peers[5]), &times, 1);
    assert_eq!(stats.z_score, Some(2.041));
    assert_eq!(stats.color_classification, ColorClass::Critical);
    assert!(stats.is_outlier);
    assert_eq!(stats.percentile_rank, round3(5.5 / 6.0 * 100.0));
    let report = ColumnReport::build(board().id, &peers[0].current_column, &times);
    assert_eq!(
        report.color_distribution,
        ColorCounts {
            normal: 0,
            good: 5,
            warning: 0,
            critical: 1
        }
    );
}

#[test]
fn colours_of_every_ticket_and_their_summary() {
    let colours = TicketColors::build(&board(), &times(), None);
    assert_eq!(colours.total_tickets, 7);
    assert_eq!(colours.filter_column, None);
    let classes: Vec<(i64, ColorClass)> = colours
        .ticket_colors
        .iter()
        .map(|c| (c.ticket_id.get(), c.color_class))
        .collect();
    assert_eq!(
        classes,
        [
            (1, ColorClass::Normal),
            (2, ColorClass::Normal),
            (3, ColorClass::Good),
            (4, ColorClass::Good),
            (5, ColorClass::Good),
            (6, ColorClass::Warning),
            (7, ColorClass::Normal),
        ]
    );
    assert_eq!(
        colours.color_summary,
        ColorCounts {
            normal: 3,
            good: 3,
            warning: 1,
            critical: 0
        }
    );
    // Not Started: 360000 and 3600 s, mean 181800, σ = 178200·√2; z = ±1/√2, yet normal.
    assert_eq!(colours.ticket_colors[0].z_score, Some(0.707));
    assert_eq!(colours.ticket_colors[0].time_in_column_hours, 100.0);
    // z(3600) = −10800 / σ.
    assert_eq!(
        colours.ticket_colors[2].z_score,
        Some(round3(-10_800.0 / SIGMA))
    );
    assert_eq!(colours.ticket_colors[2].z_score, Some(-0.735));
    assert_eq!(colours.ticket_colors[6].z_score, None);
    assert_eq!(colours.ticket_colors[3].title, "T4");

    let review = ColumnName::parse("column", "Review").unwrap();
    let filtered = TicketColors::build(&board(), &column_times("Review"), Some(&review));
    assert_eq!(filtered.filter_column.as_deref(), Some("Review"));
    assert_eq!(filtered.total_tickets, 1);
}

#[test]
fn realtime_colours_in_asked_order_once_each() {
    let ids: Vec<TicketId> = [6, 3, 6, 999, 7].into_iter().map(TicketId::new).collect();
    let realtime = RealtimeColors::build(BoardId::new(7), &times(), &ids);
    let seen: Vec<(i64, ColorClass, f64)> = realtime
        .ticket_colors
        .iter()
        .map(|c| (c.ticket_id.get(), c.color_class, c.time_in_column_seconds))
        .collect();
    assert_eq!(
        seen,
        [
            (6, ColorClass::Warning, 36_000.0),
            (3, ColorClass::Good, 3600.0),
            (7, ColorClass::Normal, 1800.0),
        ]
    );
    assert!(realtime.ticket_colors.iter().all(|c| c.updated_at == now()));
    let json = serde_json::to_value(&realtime).unwrap();
    assert_eq!(
        json["ticket_colors"][0]["updated_at"],
        "2026-11-20T12:00:00.000Z"
    );
    assert_eq!(json["ticket_colors"][0]["z_score"], 1.47);
}

#[test]
fn column_report_with_thresholds() {
    let doing = ColumnName::parse("column", "In Progress").unwrap();
    let report = ColumnReport::build(board().id, &doing, &column_times("In Progress"));
    assert_eq!(report.ticket_count, 4);
    assert_eq!(report.statistics.mean_time_seconds, 14_400.0);
    close(
        report.thresholds.warning_threshold_seconds,
        round3(14_400.0 + SIGMA),
    );
    assert_eq!(report.thresholds.warning_threshold_seconds, 29_096.938);
    assert_eq!(report.thresholds.danger_threshold_seconds, 43_793.877);
    assert_eq!(
        report.color_distribution,
        ColorCounts {
            normal: 0,
            good: 3,
            warning: 1,
            critical: 0
        }
    );
    let done = ColumnName::parse("column", "Done").unwrap();
    let empty = ColumnReport::build(board().id, &done, &column_times("Done"));
    assert_eq!(empty.ticket_count, 0);
    assert_eq!(empty.statistics.mean_time_seconds, 0.0);
    assert_eq!(empty.thresholds.warning_threshold_seconds, 0.0);
    assert_eq!(empty.thresholds.danger_threshold_seconds, 0.0);
    assert_eq!(empty.color_distribution, ColorCounts::default());
}

#[test]
fn time_in_column_is_never_negative() {
    let future = TicketTiming {
        column_entered_at: now() + Duration::minutes(5),
        ..timing(1, "Review", 0)
    };
    let times = BoardTimes::new(&board().columns, vec![future], now());
    assert_eq!(times.tickets()[0].seconds, 0.0);
}
