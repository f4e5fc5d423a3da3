//! Contract of [`CommentRepository`](crate::ports::CommentRepository).

use super::Factory;
use super::fixtures::{all_events, at, board, event, ok, seqs, some, ticket};
use crate::comment::{Comment, NewComment};
use crate::error::StoreError;
use crate::event::EventKind;
use crate::ids::{CommentId, TicketId};
use crate::values::CommentText;

fn new_comment(ticket_id: TicketId, text: &str, minutes: i64) -> NewComment {
    NewComment {
        ticket_id,
        text: ok(CommentText::parse("text", text), "text"),
        author: "ann".into(),
        at: at(minutes),
    }
}

/// Comments come back oldest first and field for field; a comment on a missing ticket is not
/// found and writes nothing; deleting removes exactly one comment.
pub fn comments_oldest_first_create_and_delete(make: Factory<'_>) {
    let repos = make();
    let ops = board(&repos, "Ops", &["Todo"], at(0)).value.board;
    let task = ticket(&repos, &ops, "task", "Todo", 1.0, at(1));
    let other = ticket(&repos, &ops, "other", "Todo", 1.0, at(1));
    let added = move |c: &Comment| vec![event(ops.id, EventKind::CommentAdded, c.created_at)];

    let first = ok(
        repos
            .comments
            .create(&new_comment(task.id, " first\n", 2), Box::new(added)),
        "create",
    );
    assert_eq!(seqs(&first.events), [4]);
    let first = first.value;
    assert_eq!(first.text.as_str(), " first\n");
    assert_eq!(
        (first.ticket_id, first.author.as_str(), first.created_at),
        (task.id, "ann", at(2))
    );
    let second = ok(
        repos
            .comments
            .create(&new_comment(task.id, "second", 2), Box::new(added)),
        "c",
    )
    .value;
    let third = ok(
        repos
            .comments
            .create(&new_comment(task.id, "third ✓", 5), Box::new(added)),
        "c",
    )
    .value;
    ok(
        repos
            .comments
            .create(&new_comment(other.id, "elsewhere", 3), Box::new(added)),
        "c",
    );

    let listed = ok(repos.comments.list_for_ticket(task.id), "list");
    assert_eq!(listed, [first.clone(), second.clone(), third.clone()]);
    assert_eq!(
        some(ok(repos.comments.get(second.id), "get"), "comment"),
        second
    );
    assert!(ok(repos.comments.get(CommentId::new(4242)), "get missing").is_none());

    let events_before = all_events(&repos, ops.id);
    let missing = repos.comments.create(
        &new_comment(TicketId::new(4242), "lost", 6),
        Box::new(added),
    );
    assert!(matches!(missing, Err(StoreError::NotFound)), "{missing:?}");
    assert_eq!(all_events(&repos, ops.id), events_before);

    let deleted = [event(ops.id, EventKind::CommentDeleted, at(7))];
    let committed = ok(repos.comments.delete(second.id, &deleted), "delete");
    assert_eq!(seqs(&committed.events), [events_before.len() as i64 + 1]);
    assert_eq!(
        ok(repos.comments.list_for_ticket(task.id), "list"),
        [first, third]
    );
    assert!(ok(repos.comments.get(second.id), "get").is_none());
    let again = repos.comments.delete(second.id, &deleted);
    assert!(matches!(again, Err(StoreError::NotFound)), "{again:?}");
    assert_eq!(all_events(&repos, ops.id).len(), events_before.len() + 1);
}
