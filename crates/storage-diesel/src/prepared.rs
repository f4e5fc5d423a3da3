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
//!
//! An `UPDATE` run with Diesel's `execute` is never kept all the same: `execute` passes the
//! statement by reference, and a reference asks the statement itself whether it may be kept,
//! which an `UPDATE` always denies. [`execute_prepared`] runs a statement marked `.affecting()`
//! through the path of a query instead, which keeps it, and reads the count of changed rows
//! with SQLite's `changes()` (or [`run_prepared`] without the count). With `RETURNING`, an
//! `UPDATE` or upsert is kept, but SQLite gathers the returned rows in a temporary B-tree opened
//! and freed on every execution (for the event sequence upsert, 3.6 % of the writer's time in
//! moves): reading the row back afterwards, by its key, is cheaper.

use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::Integer;
use diesel::sqlite::{Sqlite, SqliteConnection};
use diesel::{QueryResult, RunQueryDsl};
use std::marker::PhantomData;

/// A statement of one fixed SQL text, kept prepared between executions and found in the cache
/// by the type `Id`. `Rows` says what it yields: its own rows ([`Returned`]), or none
/// ([`Affecting`], run by [`execute_prepared`]).
#[derive(Debug)]
pub(crate) struct PreparedAs<Q, Id, Rows = Returned>(Q, PhantomData<(Id, Rows)>);

/// A kept statement yields the rows it returns.
#[derive(Debug)]
pub(crate) enum Returned {}

/// A kept statement returns no rows; it is run for the rows it changes.
#[derive(Debug)]
pub(crate) enum Affecting {}

/// `.keep_prepared_as::<Id>()` and `.affecting::<Id>()` on any statement.
pub(crate) trait KeepPrepared: Sized {
    /// Marks this statement as safe to keep prepared, found in the cache by the type `Id`: a
    /// type used for this statement alone (an `enum Id {}` declared where the statement is
    /// built), whose SQL text must not depend on its values. Two statements under one `Id`
    /// would run each other's SQL.
    fn keep_prepared_as<Id: 'static>(self) -> PreparedAs<Self, Id> {
        PreparedAs(self, PhantomData)
    }

    /// As [`KeepPrepared::keep_prepared_as`], for a statement that returns no rows (an `UPDATE`
    /// without `RETURNING`), to be run by [`execute_prepared`].
    fn affecting<Id: 'static>(self) -> PreparedAs<Self, Id, Affecting> {
        PreparedAs(self, PhantomData)
    }
}

impl<Q> KeepPrepared for Q {}

impl<Q: QueryFragment<Sqlite>, Id, Rows> QueryFragment<Sqlite> for PreparedAs<Q, Id, Rows> {
    fn walk_ast<'b>(&'b self, pass: AstPass<'_, 'b, Sqlite>) -> QueryResult<()> {
        self.0.walk_ast(pass)
    }

    fn is_safe_to_cache_prepared(&self, _backend: &Sqlite) -> QueryResult<bool> {
        Ok(true)
    }
}

impl<Q, Id: 'static, Rows> QueryId for PreparedAs<Q, Id, Rows> {
    type QueryId = Id;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl<Q: Query, Id> Query for PreparedAs<Q, Id, Returned> {
    type SqlType = Q::SqlType;
}

/// Run as a query so that Diesel keeps it prepared; it yields no rows.
impl<Q, Id> Query for PreparedAs<Q, Id, Affecting> {
    type SqlType = Integer;
}

impl<Q, Id, Rows, Conn> RunQueryDsl<Conn> for PreparedAs<Q, Id, Rows> {}

diesel::define_sql_function! {
    /// SQLite's count of the rows the connection's last `INSERT`, `UPDATE` or `DELETE` changed.
    fn changes() -> Integer;
}

/// Runs `statement` (kept prepared).
pub(crate) fn run_prepared<Q, Id>(
    conn: &mut SqliteConnection,
    statement: PreparedAs<Q, Id, Affecting>,
) -> QueryResult<()>
where
    Q: QueryFragment<Sqlite>,
    Id: 'static,
{
    let _none: Vec<i32> = statement.load(conn)?;
    Ok(())
}

/// Runs `statement` (kept prepared) and returns how many rows it changed.
pub(crate) fn execute_prepared<Q, Id>(
    conn: &mut SqliteConnection,
    statement: PreparedAs<Q, Id, Affecting>,
) -> QueryResult<usize>
where
    Q: QueryFragment<Sqlite>,
    Id: 'static,
{
    run_prepared(conn, statement)?;
    let changed = diesel::select(changes()).get_result::<i32>(conn)?;
    Ok(usize::try_from(changed).unwrap_or_default())
}
