//! The per-item decisions of the bulk use cases over the in-memory adapters with a fixed clock,
//! and their interaction with the batch port through mocks.

use super::*;
use crate::actor::Role;
use crate::event::EventKind;
use crate::history::HistoryField;
use crate::memory::crypto::insecure_crypto;
use crate::ports::MockTicketRepository;
use crate::services::{AccountPolicy, NewBoardInput, NewTicketInput, Services};
use crate::time::FixedClock;
use crate::values::{BoardName, Columns, LongText, TicketTitle};
use chrono::{TimeZone, Utc};

struct World {
    services: Services,
    clock: Arc<FixedClock>,
    /// Columns `Todo`, `Doing`, `Done`.
    plain: BoardId,
    /// Columns `Backlog`, `DONE`: shares only "done" with `plain`, in another spelling.
    other: BoardId,
}

fn pm() -> Actor {
    Actor::new("pat", Role::Pm)
}

fn board(services: &Services, name: &str, columns: &[&str]) -> BoardId {
    let input = NewBoardInput {
        name: BoardName::parse("name", name).unwrap(),
        description: LongText::empty(),
        columns: Some(Columns::parse("columns", columns).unwrap()),
    };
    services
        .boards
        .create(&pm(), &input)
        .unwrap()
        .value
        .board
        .id
}

fn world() -> World {
    let clock = Arc::new(FixedClock::new(
        Utc.with_ymd_and_hms(2026, 11, 1, 9, 0, 0).unwrap(),
    ));
    let services = Services::new(
        crate::memory::repositories(),
        insecure_crypto(),
        AccountPolicy::default(),
        clock.clone(),
    );
    let plain = board(&services, "Plain", &["Todo", "Doing", "Done"]);
    let other = board(&services, "Other", &["Backlog", "DONE"]);
    World {
        services,
        clock,
        plain,
        other,
    }
}

fn ticket(w: &World, board: BoardId) -> TicketId {
    let input = NewTicketInput {
        board_id: board,
        title: TicketTitle::parse("title", "Task").unwrap(),
        description: LongText::empty(),
        acceptance_criteria: LongText::empty(),
        priority: Priority::default(),
        assignee: None,
        column: None,
    };
    w.services.tickets.create(&pm(), &input).unwrap().value.id
}

fn history(w: &World, id: TicketId, field: HistoryField) -> Vec<crate::history::HistoryEntry> {
    w.services
        .repositories
        .history
        .for_ticket(id, Some(field), 50)
        .unwrap()
}

#[test]
fn moves_succeed_or_fail_per_item_and_only_the_valid_ones_change() {
    let w = world();
    let a = ticket(&w, w.plain);
    let b = ticket(&w, w.other);
    let c = ticket(&w, w.plain);
    let missing = TicketId::new(9999);
    let committed = w
        .services
        .bulk
        .move_tickets(&pm(), &[a, missing, b, c], "doing")
        .unwrap();
    let items = &committed.value.items;
    assert_eq!(committed.value.successful(), 2);
    assert_eq!(committed.value.failed(), 2);
    assert_eq!(
        items.iter().map(|i| i.ticket_id).collect::<Vec<_>>(),
        [a, missing, b, c]
    );
    assert_eq!(
        items[0].outcome.as_ref().unwrap().current_column.as_str(),
        "Doing"
    );
    assert_eq!(items[1].outcome, Err("Ticket not found".to_owned()));
    assert!(items[1].before.is_none());
    let refused = items[2].outcome.as_ref().unwrap_err();
    assert!(
        refused.contains("'doing' is not a column of board"),
        "{refused}"
    );
    assert!(refused.contains("Backlog, DONE"), "{refused}");
    assert_eq!(
        items[2].before.as_ref().unwrap().current_column.as_str(),
        "Backlog"
    );
    // Persisted: the valid ones moved with one `column` row each, the refused one did not.
    let get = |id| w.services.tickets.get(id).unwrap();
    assert_eq!(get(a).current_column.as_str(), "Doing");
    assert_eq!(get(c).version, 2);
    assert_eq!(get(b).current_column.as_str(), "Backlog");
    assert_eq!(get(b).version, 1);
    assert_eq!(history(&w, a, HistoryField::Column).len(), 1);
    assert!(history(&w, b, HistoryField::Column).is_empty());
    // One `ticket_moved` per moved ticket, consecutive on the board, in request order.
    let kinds: Vec<_> = committed.events.iter().map(|e| e.event).collect();
    assert_eq!(kinds, [EventKind::TicketMoved, EventKind::TicketMoved]);
    let seqs: Vec<_> = committed.events.iter().map(|e| e.seq).collect();
    assert_eq!(
        seqs,
        [4, 5],
        "board_created, two ticket_created, then the moves"
    );
    assert_eq!(committed.events[0].data.value()["id"], a.get());
    assert_eq!(committed.events[0].data.value()["from_column"], "Todo");
    assert_eq!(committed.events[0].data.value()["to_column"], "Doing");
    assert_eq!(committed.events[0].data.value()["moved_by"], "pat");
}

#[test]
fn a_column_is_resolved_on_each_tickets_own_board() {
    let w = world();
    let a = ticket(&w, w.plain);
    let b = ticket(&w, w.other);
    let committed = w
        .services
        .bulk
        .move_tickets(&pm(), &[a, b], "done")
        .unwrap();
    let columns: Vec<_> = committed
        .value
        .items
        .iter()
        .map(|i| i.outcome.as_ref().unwrap().current_column.to_string())
        .collect();
    assert_eq!(columns, ["Done", "DONE"]);
    let per_board: Vec<_> = committed
        .events
        .iter()
        .map(|e| (e.board_id, e.seq))
        .collect();
    assert_eq!(per_board, [(w.plain, 3), (w.other, 3)]);
}

#[test]
fn a_move_to_the_current_column_succeeds_without_a_change() {
    let w = world();
    let a = ticket(&w, w.plain);
    let committed = w.services.bulk.move_tickets(&pm(), &[a], "TODO").unwrap();
    assert_eq!(committed.value.successful(), 1);
    assert!(committed.events.is_empty());
    assert_eq!(w.services.tickets.get(a).unwrap().version, 1);
    assert!(history(&w, a, HistoryField::Column).is_empty());
}

#[test]
fn priorities_are_set_per_ticket_with_history_and_ticket_updated() {
    let w = world();
    let a = ticket(&w, w.plain);
    let b = ticket(&w, w.plain);
    let updates = [
        (a, Priority::new("priority", 3.5).unwrap()),
        (b, Priority::default()),
    ];
    let committed = w.services.bulk.set_priorities(&pm(), &updates).unwrap();
    assert_eq!(committed.value.successful(), 2);
    let after = committed.value.items[0].outcome.as_ref().unwrap();
    assert_eq!(after.priority.to_string(), "3.5");
    assert_eq!(after.version, 2);
    let rows = history(&w, a, HistoryField::Priority);
    assert_eq!(
        (rows[0].old_value.as_deref(), rows[0].new_value.as_deref()),
        (Some("1.0"), Some("3.5"))
    );
    assert!(
        history(&w, b, HistoryField::Priority).is_empty(),
        "unchanged"
    );
    assert_eq!(committed.events.len(), 1);
    assert_eq!(committed.events[0].event, EventKind::TicketUpdated);
    assert_eq!(
        committed.events[0].data.value()["changes"],
        serde_json::json!(["priority"])
    );
}

#[test]
fn assignment_sets_or_clears_like_the_update_route() {
    let w = world();
    let a = ticket(&w, w.plain);
    let b = ticket(&w, w.plain);
    let bot = AssigneeName::parse("assignee", "bot").unwrap();
    let assigned = w.services.bulk.assign(&pm(), &[a, b], Some(&bot)).unwrap();
    assert_eq!(assigned.value.successful(), 2);
    assert_eq!(assigned.events.len(), 2);
    assert!(
        assigned
            .events
            .iter()
            .all(|e| e.event == EventKind::TicketUpdated
                && e.data.value()["changes"][0] == "assignee")
    );
    // Reassigning needs no release first; clearing writes a null value.
    let cleared = w.services.bulk.assign(&pm(), &[a], None).unwrap();
    assert_eq!(
        cleared.value.items[0].outcome.as_ref().unwrap().assignee,
        None
    );
    let rows = history(&w, a, HistoryField::Assignee);
    assert_eq!(
        (rows[0].old_value.as_deref(), rows[0].new_value.as_deref()),
        (Some("bot"), None)
    );
    assert_eq!(
        (rows[1].old_value.as_deref(), rows[1].new_value.as_deref()),
        (None, Some("bot"))
    );
}

#[test]
fn batches_are_checked_before_anything_is_read() {
    let ids = |range: std::ops::RangeInclusive<i64>| range.map(TicketId::new).collect::<Vec<_>>();
    let fields = |ids: &[TicketId], batch| {
        check_batch(ids, batch)
            .unwrap_err()
            .into_iter()
            .map(|e| (e.field, e.kind))
            .collect::<Vec<_>>()
    };
    assert!(check_batch(&ids(1..=100), TICKET_IDS).is_ok());
    assert_eq!(
        fields(&[], TICKET_IDS),
        [("ticket_ids".to_owned(), "too_short")]
    );
    assert_eq!(
        fields(&ids(1..=101), TICKET_IDS),
        [("ticket_ids".to_owned(), "too_long")]
    );
    let mixed = [1, 0, 1, -4].map(TicketId::new);
    assert_eq!(
        fields(&mixed, UPDATES),
        [
            ("updates[1].ticket_id".to_owned(), "out_of_range"),
            ("updates[2].ticket_id".to_owned(), "duplicate"),
            ("updates[3].ticket_id".to_owned(), "out_of_range"),
        ]
    );
    let w = world();
    let err = w
        .services
        .bulk
        .move_tickets(&pm(), &ids(1..=101), "Done")
        .unwrap_err();
    assert!(matches!(err, DomainError::Validation(_)));
}

#[test]
fn only_pm_and_admin_may_run_bulk_operations() {
    let w = world();
    let a = ticket(&w, w.plain);
    for role in [Role::Agent, Role::Viewer] {
        let actor = Actor::new("someone", role);
        let err = w
            .services
            .bulk
            .move_tickets(&actor, &[a], "Done")
            .unwrap_err();
        assert!(matches!(err, DomainError::Forbidden(_)), "{role}");
    }
    let admin = Actor::new("root", Role::Admin);
    assert!(w.services.bulk.move_tickets(&admin, &[a], "Done").is_ok());
}

/// Services over the real in-memory store, except for `tickets`.
fn with_tickets(w: &World, tickets: MockTicketRepository) -> Services {
    let repositories = Repositories {
        tickets: Arc::new(tickets),
        ..w.services.repositories.clone()
    };
    Services::new(
        repositories,
        insecure_crypto(),
        AccountPolicy::default(),
        w.clock.clone(),
    )
}

#[test]
fn a_batch_with_nothing_to_change_never_reaches_storage() {
    let w = world();
    let a = ticket(&w, w.plain);
    let current = w.services.tickets.get(a).unwrap();
    let mut tickets = MockTicketRepository::new();
    tickets
        .expect_get()
        .returning(move |id| Ok((id == current.id).then(|| current.clone())));
    tickets.expect_update_many().never();
    let services = with_tickets(&w, tickets);
    let committed = services
        .bulk
        .move_tickets(&pm(), &[a, TicketId::new(77)], "todo")
        .unwrap();
    assert_eq!(
        (committed.value.successful(), committed.value.failed()),
        (1, 1)
    );
}

#[test]
fn a_lost_race_re_decides_the_whole_batch_a_bounded_number_of_times() {
    let w = world();
    let a = ticket(&w, w.plain);
    let current = w.services.tickets.get(a).unwrap();
    let mut tickets = MockTicketRepository::new();
    tickets
        .expect_get()
        .times(super::super::MAX_ATTEMPTS)
        .returning(move |_| Ok(Some(current.clone())));
    tickets
        .expect_update_many()
        .times(super::super::MAX_ATTEMPTS)
        .returning(|_| Err(crate::error::StoreError::Conflict));
    let services = with_tickets(&w, tickets);
    let err = services.bulk.move_tickets(&pm(), &[a], "Done").unwrap_err();
    assert!(matches!(err, DomainError::Conflict));
}

#[test]
fn a_storage_failure_fails_the_whole_request() {
    let w = world();
    let a = ticket(&w, w.plain);
    let mut tickets = MockTicketRepository::new();
    tickets
        .expect_get()
        .returning(|_| Err(crate::error::StoreError::Internal("disk on fire".into())));
    tickets.expect_update_many().never();
    let services = with_tickets(&w, tickets);
    let err = services.bulk.move_tickets(&pm(), &[a], "Done").unwrap_err();
    assert!(matches!(err, DomainError::Internal(_)));
}
