//! Contract of [`HealthProbe`](crate::ports::HealthProbe).

use super::Factory;
use super::fixtures::{at, board, column, move_ticket, ok, ticket, ticket_in};
use super::users::user;
use crate::actor::Role;
use crate::comment::NewComment;
use crate::values::CommentText;

/// A fresh store answers and is empty; the inventory then counts every kind of row, and tickets
/// per column name across boards.
pub fn health_probe_and_inventory_count_everything(make: Factory<'_>) {
    let repos = make();
    ok(repos.health.probe(), "probe");
    let empty = ok(repos.health.inventory(), "empty inventory");
    assert_eq!(empty, crate::ports::Inventory::default());

    let a = board(&repos, "A", &["Todo", "Done"], at(0)).value.board;
    let b = board(&repos, "B", &["Todo", "Review"], at(0)).value.board;
    let a1 = ticket(&repos, &a, "a1", "Todo", 1.0, at(1));
    ticket(&repos, &a, "a2", "Todo", 1.0, at(1));
    ticket(&repos, &b, "b1", "Review", 1.0, at(1));
    ticket(&repos, &b, "b2", "Todo", 1.0, at(1));
    // In a column its board does not have (possible only in imported data): counted by name.
    ticket_in(&repos, &b, "b3", column("Archive"), 1.0, at(1));
    move_ticket(&repos, &a1, "Done", at(2));
    let comment = NewComment {
        ticket_id: a1.id,
        text: ok(CommentText::parse("text", "hi"), "text"),
        author: "ann".into(),
        at: at(3),
    };
    ok(
        repos.comments.create(&comment, Box::new(|_| Vec::new())),
        "comment",
    );
    user(&repos, "ann", Role::Agent);
    user(&repos, "bob", Role::Viewer);

    let inventory = ok(repos.health.inventory(), "inventory");
    assert_eq!(
        (
            inventory.boards,
            inventory.tickets,
            inventory.comments,
            inventory.users,
            // Five creations and one move.
            inventory.history_entries,
        ),
        (2, 5, 1, 2, 6)
    );
    assert_eq!(
        inventory.tickets_by_column,
        [
            ("Archive".to_owned(), 1),
            ("Done".to_owned(), 1),
            ("Review".to_owned(), 1),
            // One on each board.
            ("Todo".to_owned(), 2)
        ]
    );
}
