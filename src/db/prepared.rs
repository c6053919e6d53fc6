//! Raw SQL kept prepared on its connection.
//!
//! Diesel never caches a `sql_query`: its text could be built from values, and a cache keyed
//! by text would then grow without bound. The statements wrapped here are fixed texts (or
//! one of a few), so each connection parses one once and afterwards only binds and runs it,
//! saving a round trip and the parse on every request. Values always go in as binds.

use diesel::pg::Pg;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::result::QueryResult;

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
