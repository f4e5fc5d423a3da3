//! Use-case tests over the in-memory adapters with a fixed clock, and interaction tests with
//! mocked ports.

use super::*;
use crate::actor::{Actor, Role};
use crate::board::BoardPatch;
use crate::event::EventKind;
use crate::ids::{BoardId, TicketId};
use crate::ports::{MockTicketRepository, Repositories};
use crate::services::NewTicketInput;
use crate::ticket::TicketPatch;
use crate::time::FixedClock;
use crate::values::{AssigneeName, ColumnName, Columns, LongText, Priority, TicketTitle};
use chrono::{Duration, TimeZone, Utc};
use std::sync::Arc;

struct World {
    services: Services,
    clock: Arc<FixedClock>,
    board: BoardId,
}

fn world() -> World {
    let clock = Arc::new(FixedClock::new(
        Utc.with_ymd_and_hms(2026, 11, 1, 9, 0, 0).unwrap(),
    ));
    let services = Services::new(
        crate::memory::repositories(),
        crate::memory::crypto::insecure_crypto(),
        AccountPolicy::default(),
        clock.clone(),
    );
    let board = services
        .boards
        .ensure_first_board()
        .unwrap()
        .unwrap()
        .value
        .board
        .id;
    World {
        services,
        clock,
        board,
    }
}

fn pm() -> Actor {
    Actor::new("pat", Role::Pm)
}

fn agent(name: &str) -> Actor {
    Actor::new(name, Role::Agent)
}

fn new_ticket(board: BoardId, column: Option<&str>) -> NewTicketInput {
    NewTicketInput {
        board_id: board,
        title: TicketTitle::parse("title", "Ship it").unwrap(),
        description: LongText::empty(),
        acceptance_criteria: LongText::empty(),
        priority: Priority::default(),
        assignee: None,
        column: column.map(str::to_owned),
    }
}

fn create(w: &World, actor: &Actor) -> TicketId {
    w.services
        .tickets
        .create(actor, &new_ticket(w.board, None))
        .unwrap()
        .value
        .id
}

#[test]
fn the_first_board_is_created_once() {
    let w = world();
    assert!(w.services.boards.ensure_first_board().unwrap().is_none());
    assert_eq!(w.services.boards.list().unwrap().len(), 1);
}

#[test]
fn create_appends_a_status_row_and_a_ticket_created_event() {
    let w = world();
    let committed = w
        .services
        .tickets
        .create(&pm(), &new_ticket(w.board, Some("done")))
        .unwrap();
    assert_eq!(committed.value.current_column.as_str(), "Done");
    assert_eq!(committed.events.len(), 1);
    assert_eq!(committed.events[0].event, EventKind::TicketCreated);
    assert_eq!(committed.events[0].data.value()["created_by"], "pat");
    let history = w
        .services
        .history
        .for_ticket(committed.value.id, None, 50)
        .unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].new_value.as_deref(), Some("created"));
}

#[test]
fn events_carry_consecutive_per_board_sequence_numbers() {
    let w = world();
    let id = create(&w, &pm());
    let moved = w
        .services
        .tickets
        .move_ticket(&pm(), id, "in progress", None)
        .unwrap();
    let event = &moved.events[0];
    assert_eq!(event.event, EventKind::TicketMoved);
    assert_eq!(event.seq, 3, "board_created, ticket_created, ticket_moved");
    assert_eq!(event.data.value()["from_column"], "Not Started");
    assert_eq!(event.data.value()["to_column"], "In Progress");
    assert_eq!(event.data.value()["moved_by"], "pat");
    assert_eq!(event.data.value()["board_id"], w.board.get());
}

#[test]
fn no_op_writes_commit_nothing() {
    let w = world();
    let id = create(&w, &pm());
    let same = w
        .services
        .tickets
        .move_ticket(&pm(), id, "NOT STARTED", None)
        .unwrap();
    assert!(same.events.is_empty());
    assert_eq!(same.value.version, 1);
    let released = w.services.tickets.release(&pm(), id, None).unwrap();
    assert!(released.events.is_empty());
    let patch = TicketPatch {
        title: Some(TicketTitle::parse("t", "Ship it").unwrap()),
        ..TicketPatch::default()
    };
    assert!(
        w.services
            .tickets
            .update(&pm(), id, &patch, None)
            .unwrap()
            .events
            .is_empty()
    );
}

#[test]
fn time_in_column_uses_the_clock() {
    let w = world();
    create(&w, &pm());
    w.clock.advance(Duration::minutes(90));
    let listing = w.services.tickets.board_tickets(Some(w.board)).unwrap();
    assert!((listing.tickets[0].time_in_column - 5400.0).abs() < f64::EPSILON);
    let path = w
        .services
        .history
        .transitions(listing.tickets[0].id)
        .unwrap();
    assert_eq!(path.current_duration_human, "1h 30m");
}

#[test]
fn stale_if_match_is_refused_and_current_one_applies() {
    let w = world();
    let id = create(&w, &pm());
    let stale = Precondition::Versions(vec![9]);
    let err = w
        .services
        .tickets
        .move_ticket(&pm(), id, "Done", Some(&stale))
        .unwrap_err();
    assert!(matches!(
        err,
        DomainError::PreconditionFailed { current: 1 }
    ));
    let current = Precondition::Versions(vec![1]);
    assert_eq!(
        w.services
            .tickets
            .move_ticket(&pm(), id, "Done", Some(&current))
            .unwrap()
            .value
            .version,
        2
    );
}

#[test]
fn agents_change_only_unassigned_or_their_own_tickets() {
    let w = world();
    let id = create(&w, &pm());
    let ann = agent("ann");
    let bob = agent("bob");
    assert!(
        w.services
            .tickets
            .move_ticket(&bob, id, "Blocked", None)
            .is_ok(),
        "unassigned"
    );
    let for_other = AssigneeName::parse("a", "bob").unwrap();
    assert!(matches!(
        w.services.tickets.claim(&ann, id, Some(&for_other), None),
        Err(DomainError::Forbidden(_))
    ));
    w.services.tickets.claim(&ann, id, None, None).unwrap();
    assert!(matches!(
        w.services.tickets.move_ticket(&bob, id, "Done", None),
        Err(DomainError::Forbidden(_))
    ));
    assert!(matches!(
        w.services.tickets.release(&bob, id, None),
        Err(DomainError::Forbidden(_))
    ));
    assert!(
        w.services
            .tickets
            .move_ticket(&ann, id, "Done", None)
            .is_ok()
    );
    assert!(
        w.services.tickets.release(&pm(), id, None).is_ok(),
        "a pm may release anyone's ticket"
    );
    let viewer = Actor::new("vic", Role::Viewer);
    assert!(matches!(
        w.services
            .tickets
            .create(&viewer, &new_ticket(w.board, None)),
        Err(DomainError::Forbidden(_))
    ));
}

#[test]
fn comments_are_deleted_by_their_author_or_a_manager() {
    let w = world();
    let id = create(&w, &pm());
    let text = crate::values::CommentText::parse("text", "hi").unwrap();
    let comment = w
        .services
        .comments
        .add(&agent("ann"), id, &text)
        .unwrap()
        .value;
    assert!(matches!(
        w.services.comments.delete(&agent("bob"), comment.id),
        Err(DomainError::Forbidden(_))
    ));
    assert!(
        w.services
            .comments
            .delete(&agent("ann"), comment.id)
            .is_ok()
    );
}

#[test]
fn removing_a_column_with_move_to_relocates_and_reports_moves() {
    let w = world();
    let id = w
        .services
        .tickets
        .create(&pm(), &new_ticket(w.board, Some("Blocked")))
        .unwrap()
        .value
        .id;
    let columns = Columns::parse("columns", &["Not Started", "In Progress", "Done"]).unwrap();
    let refused = w
        .services
        .boards
        .set_columns(&pm(), w.board, &columns, None, None)
        .unwrap_err();
    assert!(matches!(refused, DomainError::ColumnNotEmpty { .. }));
    let committed = w
        .services
        .boards
        .set_columns(&pm(), w.board, &columns, Some("in progress"), None)
        .unwrap();
    let kinds: Vec<EventKind> = committed.events.iter().map(|e| e.event).collect();
    assert_eq!(kinds, [EventKind::ColumnsUpdated, EventKind::TicketMoved]);
    assert_eq!(
        w.services.tickets.get(id).unwrap().current_column.as_str(),
        "In Progress"
    );
}

#[test]
fn board_patch_reports_name_and_column_changes_separately() {
    let w = world();
    let patch = BoardPatch {
        name: Some(crate::values::BoardName::parse("name", "Renamed").unwrap()),
        columns: Some(Columns::parse("columns", &["Todo", "Done"]).unwrap()),
        ..BoardPatch::default()
    };
    let committed = w
        .services
        .boards
        .update(&pm(), w.board, &patch, None)
        .unwrap();
    let kinds: Vec<EventKind> = committed.events.iter().map(|e| e.event).collect();
    assert_eq!(kinds, [EventKind::BoardUpdated, EventKind::ColumnsUpdated]);
    let renamed = ColumnName::parse("to", "Finished").unwrap();
    let committed = w
        .services
        .boards
        .rename_column(&pm(), w.board, "done", &renamed, None)
        .unwrap();
    assert_eq!(committed.value.board.columns.names(), ["Todo", "Finished"]);
    assert_eq!(committed.events[0].data.value()["renamed"]["from"], "Done");
}

/// A ticket repository whose every update loses the race: the service must give up after a
/// bounded number of attempts and never write anything else.
#[test]
fn a_write_that_keeps_losing_the_race_gives_up_with_conflict() {
    let w = world();
    let id = create(&w, &pm());
    let ticket = w.services.tickets.get(id).unwrap();
    let mut tickets = MockTicketRepository::new();
    tickets
        .expect_get()
        .returning(move |_| Ok(Some(ticket.clone())));
    tickets
        .expect_update()
        .times(MAX_ATTEMPTS)
        .returning(|_, _, _| Err(StoreError::Conflict));
    let real = w.services.repositories.clone();
    let repositories = Repositories {
        tickets: Arc::new(tickets),
        ..real
    };
    let services = Services::new(
        repositories,
        crate::memory::crypto::insecure_crypto(),
        AccountPolicy::default(),
        w.clock.clone(),
    );
    let err = services.tickets.claim(&pm(), id, None, None).unwrap_err();
    assert!(matches!(err, DomainError::Conflict));
}

/// When nothing changes, storage is not asked to write at all.
#[test]
fn a_no_op_move_never_reaches_storage() {
    let w = world();
    let id = create(&w, &pm());
    let ticket = w.services.tickets.get(id).unwrap();
    let mut tickets = MockTicketRepository::new();
    tickets
        .expect_get()
        .returning(move |_| Ok(Some(ticket.clone())));
    tickets.expect_update().never();
    let repositories = Repositories {
        tickets: Arc::new(tickets),
        ..w.services.repositories.clone()
    };
    let services = Services::new(
        repositories,
        crate::memory::crypto::insecure_crypto(),
        AccountPolicy::default(),
        w.clock.clone(),
    );
    let committed = services
        .tickets
        .move_ticket(&pm(), id, "not started", None)
        .unwrap();
    assert!(committed.events.is_empty());
}
