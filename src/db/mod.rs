//! Database access: the pool, the generated schema and the embedded migrations.

pub mod audit;
pub mod idempotency;
pub mod migrate;
pub mod pool;
pub mod prepared;
pub mod secrets;
#[rustfmt::skip]
pub mod schema;

pub use diesel_async::AsyncPgConnection;
pub use pool::{DbPool, PoolError, ReadPool, build_pool};

/// `%`, `_` and `\` typed by a user are literal characters in a LIKE pattern, not wildcards.
pub fn escape_like(text: &str) -> String {
    text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

#[cfg(test)]
mod tests {
    #[test]
    fn like_wildcards_are_escaped() {
        assert_eq!(super::escape_like(r"50%_a\b"), r"50\%\_a\\b");
    }
}
