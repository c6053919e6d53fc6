//! Raw SQL kept prepared on its connection.
//!
//! Diesel never caches a `sql_query`: its text could be built from values, and a cache keyed
//! by text would then grow without bound. The statements wrapped here are fixed texts (or
//! one of a few), so each connection parses one once and afterwards only binds and runs it,
//! saving a round trip and the parse on every request. Values always go in as binds.

use diesel::pg::Pg;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::result::QueryResult;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

/// `.prepared()`: the query, cached by its text and bind types on each connection that runs it.
pub trait KeepPrepared: QueryFragment<Pg> + Sized {
    fn prepared(self) -> Prepared<Self> {
        Prepared(self)
    }
}

impl<Q: QueryFragment<Pg>> KeepPrepared for Q {}

#[derive(Debug, Clone, Copy)]
pub struct Prepared<Q>(Q);

impl<Q: QueryFragment<Pg>> QueryFragment<Pg> for Prepared<Q> {
    fn walk_ast<'b>(&'b self, pass: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        self.0.walk_ast(pass)
    }

    fn is_safe_to_cache_prepared(&self, _backend: &Pg) -> QueryResult<bool> {
        Ok(true)
    }
}

impl<Q> QueryId for Prepared<Q> {
    type QueryId = ();
    // No static id: the cache is keyed by the SQL text, not by this wrapper's type.
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Q: Query> Query for Prepared<Q> {
    type SqlType = Q::SqlType;
}

/// Runs the rest of the current transaction's prepared statements with their generic plans.
/// PostgreSQL plans a prepared statement for its values at its first five runs on a
/// connection, and some readers' (those of the national summary, for one) keep a custom plan
/// at every call; a reader whose generic plans read the same index ranges at every size of
/// question is planned once per connection instead (docs/benchmarks.md).
pub async fn use_generic_plans(mut conn: &AsyncPgConnection) -> QueryResult<()> {
    // SQL: a setting for this transaction only, which the DSL has no builder for.
    diesel::sql_query("SET LOCAL plan_cache_mode = force_generic_plan").execute(&mut conn).await.map(drop)
}
