//! Keeping statements prepared that Diesel would otherwise prepare again on every execution.
//!
//! Diesel's statement cache skips every `UPDATE`, every `ON CONFLICT … DO UPDATE` and every raw
//! SQL statement, since some of them render different SQL for different values. The statements
//! of the write path that render one fixed text (the ticket update, the event sequence upsert)
//! are wrapped in [`Prepared`], which tells the cache they are safe to keep. The cache finds such a
//! statement by its type when the type has a static id, so the text must not depend on the
//! values: only wrap statements of one fixed text. Parsing and planning them on each write was a
//! tenth of the writer's time.

use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sqlite::Sqlite;
use diesel::{QueryResult, RunQueryDsl};

/// A statement of one fixed SQL text, kept prepared between executions.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Prepared<Q>(Q);

/// `.keep_prepared()` on any statement.
pub(crate) trait KeepPrepared: Sized {
    /// Marks this statement, whose SQL text does not depend on its values, as safe to keep
    /// prepared.
    fn keep_prepared(self) -> Prepared<Self> {
        Prepared(self)
    }
}

impl<Q> KeepPrepared for Q {}

impl<Q: QueryFragment<Sqlite>> QueryFragment<Sqlite> for Prepared<Q> {
    fn walk_ast<'b>(&'b self, pass: AstPass<'_, 'b, Sqlite>) -> QueryResult<()> {
        self.0.walk_ast(pass)
    }

    fn is_safe_to_cache_prepared(&self, _backend: &Sqlite) -> QueryResult<bool> {
        Ok(true)
    }
}

impl<Q: QueryId> QueryId for Prepared<Q> {
    // The statement's own static type id when it has one: the cache then finds it by that id,
    // without rendering its SQL text on every execution (which is sound because the text is
    // fixed); otherwise the cache keys it by its SQL text.
    type QueryId = Prepared<Q::QueryId>;
    const HAS_STATIC_QUERY_ID: bool = Q::HAS_STATIC_QUERY_ID;
}

impl<Q: Query> Query for Prepared<Q> {
    type SqlType = Q::SqlType;
}

impl<Q, Conn> RunQueryDsl<Conn> for Prepared<Q> {}
