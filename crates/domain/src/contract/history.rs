//! Contract of [`HistoryRepository`](crate::ports::HistoryRepository): rows written by the other
//! repositories with the change they describe, read back in the documented orders.

use super::Factory;
use super::fixtures::{actor, apply, at, board, move_ticket, ok, some, ticket};
use crate::actor::{Actor, Role};
use crate::event::EventKind;
use crate::history::{ChangeCounts, HistoryEntry, HistoryField};
use crate::ids::TicketId;
use crate::ports::Repositories;
use crate::ticket::{Ticket, TicketPatch};
use crate::time::Timestamp;
use crate::values::{Priority, TicketTitle};

fn fields(rows: &[HistoryEntry]) -> Vec<&str> {
    rows.iter().map(|r| r.field_name.as_str()).collect()
}

/// Changes the title (and the priority when given) of `ticket` as `by` at `at`.
fn retitle(
    repos: &Repositories,
    ticket: &Ticket,
    title: &str,
    priority: Option<f64>,
    by: &Actor,
    at: Timestamp,
) -> Ticket {
    let patch = TicketPatch {
        title: Some(ok(TicketTitle::parse("title", title), "title")),
        priority: priority.map(|p| ok(Priority::new("priority", p), "priority")),
        ..TicketPatch::default()
    };
    let update = some(ticket.apply_patch(&patch, by, at), "a patch");
    apply(repos, &update, EventKind::TicketUpdated).value
}

/// A ticket's rows newest first (same instant: latest written first), optionally one field, at
/// most `limit`, values as written.
pub fn history_for_ticket_newest_first_with_filter_and_limit(make: Factory<'_>) {
    let repos = make();
    let ops = board(&repos, "Ops", &["Todo", "Doing", "Done"], at(0))
        .value
        .board;
    let task = ticket(&repos, &ops, "task", "Todo", 1.0, at(1));
    let task = retitle(&repos, &task, "task v2", Some(2.5), &actor(), at(2));
    let task = move_ticket(&repos, &task, "Doing", at(3));
    move_ticket(&repos, &task, "Done", at(4));

    let all = ok(repos.history.for_ticket(task.id, None, 50), "all");
    assert_eq!(
        fields(&all),
        ["column", "column", "priority", "title", "status"]
    );
    let instants: Vec<Timestamp> = all.iter().map(|r| r.changed_at).collect();
    assert_eq!(instants, [at(4), at(3), at(2), at(2), at(1)]);
    assert!(
        all.iter()
            .all(|r| r.ticket_id == task.id && r.changed_by == "ann")
    );
    let title = &all[3];
    assert_eq!(title.old_value.as_deref(), Some("task"));
    assert_eq!(title.new_value.as_deref(), Some("task v2"));
    assert_eq!(all[2].old_value.as_deref(), Some("1.0"));
    assert_eq!(all[2].new_value.as_deref(), Some("2.5"));
    assert_eq!(all[0].new_value.as_deref(), Some("Done"));

    let limited = ok(repos.history.for_ticket(task.id, None, 2), "limited");
    assert_eq!(limited, all[..2]);
    let titles = ok(
        repos
            .history
            .for_ticket(task.id, Some(HistoryField::Title), 50),
        "title",
    );
    assert_eq!(titles, [all[3].clone()]);
    let last_move = ok(
        repos
            .history
            .for_ticket(task.id, Some(HistoryField::Column), 1),
        "col",
    );
    assert_eq!(last_move, [all[0].clone()]);
    let none = ok(
        repos.history.for_ticket(TicketId::new(4242), None, 50),
        "missing",
    );
    assert!(none.is_empty());
}

/// A ticket's `column` rows oldest first, and nothing else.
pub fn history_column_changes_oldest_first(make: Factory<'_>) {
    let repos = make();
    let ops = board(&repos, "Ops", &["Todo", "Doing", "Done"], at(0))
        .value
        .board;
    let task = ticket(&repos, &ops, "task", "Todo", 1.0, at(1));
    let task = move_ticket(&repos, &task, "Doing", at(2));
    let task = retitle(&repos, &task, "renamed", None, &actor(), at(3));
    let task = move_ticket(&repos, &task, "Done", at(3));
    let other = ticket(&repos, &ops, "other", "Todo", 1.0, at(1));
    move_ticket(&repos, &other, "Done", at(2));

    let rows = ok(repos.history.column_changes(task.id), "column changes");
    let path: Vec<(Option<&str>, Option<&str>, Timestamp)> = rows
        .iter()
        .map(|r| (r.old_value.as_deref(), r.new_value.as_deref(), r.changed_at))
        .collect();
    assert_eq!(
        path,
        [
            (Some("Todo"), Some("Doing"), at(2)),
            (Some("Doing"), Some("Done"), at(3)),
        ]
    );
    assert!(ok(repos.history.column_changes(TicketId::new(4242)), "none").is_empty());
}

/// A board's rows since an instant (inclusive), newest first, at most `limit`, each with its
/// ticket's current title; other boards' rows excluded.
pub fn history_board_activity(make: Factory<'_>) {
    let repos = make();
    let a = board(&repos, "A", &["Todo", "Done"], at(0)).value.board;
    let b = board(&repos, "B", &["Todo", "Done"], at(0)).value.board;
    let a1 = ticket(&repos, &a, "a1", "Todo", 1.0, at(0));
    let b1 = ticket(&repos, &b, "b1", "Todo", 1.0, at(1));
    let a1 = move_ticket(&repos, &a1, "Done", at(2));
    ticket(&repos, &a, "a2", "Todo", 1.0, at(3));
    move_ticket(&repos, &b1, "Done", at(4));
    retitle(&repos, &a1, "a1 renamed", None, &actor(), at(10));

    let activity = ok(repos.history.board_activity(a.id, at(2), 10), "activity");
    let seen: Vec<(&str, &str, Timestamp)> = activity
        .iter()
        .map(|(row, title)| (row.field_name.as_str(), title.as_str(), row.changed_at))
        .collect();
    assert_eq!(
        seen,
        [
            ("title", "a1 renamed", at(10)),
            ("status", "a2", at(3)),
            ("column", "a1 renamed", at(2)),
        ]
    );
    let limited = ok(repos.history.board_activity(a.id, at(2), 2), "limited");
    assert_eq!(limited, activity[..2]);
    let other = ok(repos.history.board_activity(b.id, at(0), 10), "other board");
    assert_eq!(
        fields(&other.iter().map(|(r, _)| r.clone()).collect::<Vec<_>>()),
        ["column", "status"]
    );
    assert!(other.iter().all(|(_, title)| title == "b1"));
    assert!(ok(repos.history.board_activity(a.id, at(11), 10), "later").is_empty());
}

fn sorted(mut counts: ChangeCounts) -> ChangeCounts {
    counts.by_field.sort();
    counts.by_user.sort();
    counts.by_day.sort();
    counts
}

/// Counts since an instant (inclusive) by field, by user and by UTC day.
pub fn history_change_counts(make: Factory<'_>) {
    let repos = make();
    let bob = Actor::new("bob", Role::Agent);
    let ops = board(&repos, "Ops", &["Todo", "Done"], at(0)).value.board;
    ticket(&repos, &ops, "old", "Todo", 1.0, at(-24 * 60));
    let task = ticket(&repos, &ops, "task", "Todo", 1.0, at(0));
    // 2026-03-01T23:59:00.123Z, then 2026-03-02T00:00:00.123Z.
    let task = move_ticket(&repos, &task, "Done", at(11 * 60 + 59));
    retitle(&repos, &task, "task v2", Some(3.0), &bob, at(12 * 60));

    let counts = sorted(ok(repos.history.change_counts(at(-1)), "counts"));
    let pairs = |list: &[(&str, u64)]| -> Vec<(String, u64)> {
        list.iter().map(|(k, n)| ((*k).to_owned(), *n)).collect()
    };
    assert_eq!(
        counts,
        ChangeCounts {
            total: 4,
            by_field: pairs(&[("column", 1), ("priority", 1), ("status", 1), ("title", 1)]),
            by_user: pairs(&[("ann", 2), ("bob", 2)]),
            by_day: pairs(&[("2026-03-01", 2), ("2026-03-02", 2)]),
        }
    );
    let exact = sorted(ok(repos.history.change_counts(at(12 * 60)), "counts"));
    assert_eq!(
        exact.total, 2,
        "the lower bound is inclusive to the millisecond"
    );
    assert_eq!(exact.by_user, pairs(&[("bob", 2)]));
    let none = ok(repos.history.change_counts(at(13 * 60)), "counts");
    assert_eq!(none, ChangeCounts::default());
}

/// The newest rows across every board, newest first, at most `limit`, each with its ticket's
/// current title.
pub fn history_recent_activity_spans_boards(make: Factory<'_>) {
    let repos = make();
    let a = board(&repos, "A", &["Todo", "Done"], at(0)).value.board;
    let b = board(&repos, "B", &["Todo", "Done"], at(0)).value.board;
    let a1 = ticket(&repos, &a, "a1", "Todo", 1.0, at(1));
    let b1 = ticket(&repos, &b, "b1", "Todo", 1.0, at(2));
    move_ticket(&repos, &a1, "Done", at(3));
    move_ticket(&repos, &b1, "Done", at(4));

    let recent = ok(repos.history.recent_activity(3), "recent");
    let seen: Vec<(&str, &str, Timestamp)> = recent
        .iter()
        .map(|(row, title)| (row.field_name.as_str(), title.as_str(), row.changed_at))
        .collect();
    assert_eq!(
        seen,
        [
            ("column", "b1", at(4)),
            ("column", "a1", at(3)),
            ("status", "b1", at(2)),
        ]
    );
    assert_eq!(ok(repos.history.recent_activity(10), "all").len(), 4);
}
