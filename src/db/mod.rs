//! Database access: the pool, the generated schema and the embedded migrations.

pub mod audit;
pub mod migrate;
pub mod pool;
#[rustfmt::skip]
pub mod schema;

pub use diesel_async::AsyncPgConnection;
pub use pool::{DbPool, PoolError, build_pool};
