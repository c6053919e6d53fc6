//! The deadpool pools of async diesel connections. Handlers take a connection for one query or
//! transaction and hand it back; nothing blocks an actix worker. Writes, and reads whose
//! answer a write depends on (a record and its ETag), use `DbPool` on `DATABASE_URL`;
//! aggregates and lists use `ReadPool`, which is a streaming replica when
//! `DATABASE_READ_URL` is set and the same pool otherwise.

use std::time::Duration;

use diesel::ConnectionError;
use diesel_async::pooled_connection::deadpool::Pool;
use diesel_async::pooled_connection::{AsyncDieselConnectionManager, ManagerConfig, RecyclingMethod};
use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};
use futures_util::FutureExt;
use futures_util::future::BoxFuture;

pub type DbPool = Pool<AsyncPgConnection>;
pub type PoolError = diesel_async::pooled_connection::deadpool::PoolError;

/// Connections for reads that may trail the primary by the replica's lag: aggregates and
/// lists. A replica refuses writes, so nothing written can go through it by mistake.
#[derive(Clone)]
pub struct ReadPool(DbPool);

impl ReadPool {
    pub fn new(pool: DbPool) -> Self {
        Self(pool)
    }
}

impl std::ops::Deref for ReadPool {
    type Target = DbPool;

    fn deref(&self) -> &DbPool {
        &self.0
    }
}

/// A pool of `max_size` connections whose statements PostgreSQL cancels after
/// `statement_timeout_ms` (`DATABASE_STATEMENT_TIMEOUT_MS`).
pub fn build_pool(database_url: &str, max_size: usize, statement_timeout_ms: u64) -> anyhow::Result<DbPool> {
    let mut config = ManagerConfig::default();
    config.custom_setup = Box::new(move |url| establish(url, statement_timeout_ms));
    // No test query on every checkout (it cost a round trip per request, up to half a small
    // read's time). A connection the server closed fails its first query with a 503 that asks
    // the client to retry, and the pool discards it when it comes back broken.
    config.recycling_method = RecyclingMethod::Fast;
    let manager = AsyncDieselConnectionManager::<AsyncPgConnection>::new_with_config(database_url, config);
    Pool::builder(manager)
        .max_size(max_size)
        // The connection handed back last is handed out first: under a light load the same few
        // connections serve every request, with their prepared statements and the trigger
        // functions' plans warm, instead of each of the pool's connections paying its first
        // run in turn.
        .queue_mode(deadpool::managed::QueueMode::Lifo)
        .runtime(deadpool::Runtime::Tokio1)
        .wait_timeout(Some(Duration::from_secs(5)))
        .create_timeout(Some(Duration::from_secs(5)))
        .recycle_timeout(Some(Duration::from_secs(5)))
        .build()
        .map_err(|e| anyhow::anyhow!("cannot build the database pool: {e}"))
}

fn establish(url: &str, statement_timeout_ms: u64) -> BoxFuture<'_, Result<AsyncPgConnection, ConnectionError>> {
    async move {
        let mut conn = AsyncPgConnection::establish(url).await?;
        conn.batch_execute(&format!(
            "SET statement_timeout = {statement_timeout_ms}; SET application_name = 'stunting-api'; SET TIME ZONE 'UTC'"
        ))
        .await
        .map_err(ConnectionError::CouldntSetupConfiguration)?;
        Ok(conn)
    }
    .boxed()
}
