//! Keeping statements prepared that Diesel would otherwise prepare again on every execution.
//!
//! Diesel's statement cache skips every `UPDATE`, every `ON CONFLICT … DO UPDATE` and every raw
//! SQL statement, since some of them render different SQL for different values. Parsing and
//! planning the statements of the write path on each write was a tenth of the writer's time. And
//! Diesel gives no `UPDATE` or `INSERT` a static id, so even a cached one had its SQL text
//! rendered on every execution to be looked up (4 % of the writer's time for the ticket update
//! alone).
//!
//! The statements of the write path that render one fixed text (the ticket insert and update,
//! the event sequence upsert, the event and history inserts) are wrapped in [`PreparedAs`], which
//! tells the cache they are safe to keep and names them by a marker type of their own: one
//! uninhabited `enum` declared at the one call site. The cache then finds the statement by that
//! type, without rendering anything.

use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sqlite::Sqlite;
use diesel::{QueryResult, RunQueryDsl};
use std::marker::PhantomData;

/// A statement of one fixed SQL text, kept prepared between executions and found in the cache
/// by the type `Id`.
#[derive(Debug)]
pub(crate) struct PreparedAs<Q, Id>(Q, PhantomData<Id>);

/// `.keep_prepared_as::<Id>()` on any statement.
pub(crate) trait KeepPrepared: Sized {
    /// Marks this statement as safe to keep prepared, found in the cache by the type `Id`: a
    /// type used for this statement alone (an `enum Id {}` declared where the statement is
    /// built), whose SQL text must not depend on its values. Two statements under one `Id`
    /// would run each other's SQL.
    fn keep_prepared_as<Id: 'static>(self) -> PreparedAs<Self, Id> {
        PreparedAs(self, PhantomData)
    }
}

impl<Q> KeepPrepared for Q {}

impl<Q: QueryFragment<Sqlite>, Id> QueryFragment<Sqlite> for PreparedAs<Q, Id> {
    fn walk_ast<'b>(&'b self, pass: AstPass<'_, 'b, Sqlite>) -> QueryResult<()> {
        self.0.walk_ast(pass)
    }

    fn is_safe_to_cache_prepared(&self, _backend: &Sqlite) -> QueryResult<bool> {
        Ok(true)
    }
}

impl<Q, Id: 'static> QueryId for PreparedAs<Q, Id> {
    type QueryId = Id;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl<Q: Query, Id> Query for PreparedAs<Q, Id> {
    type SqlType = Q::SqlType;
}

impl<Q, Id, Conn> RunQueryDsl<Conn> for PreparedAs<Q, Id> {}
