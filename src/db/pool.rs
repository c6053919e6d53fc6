//! The deadpool pools of async diesel connections. Handlers take a connection for one query or
//! transaction and hand it back; nothing blocks an actix worker. Writes, and reads whose
//! answer a write depends on (a record and its ETag), use `DbPool` on `DATABASE_URL`;
//! aggregates and lists use `ReadPool`, which is a streaming replica when
//! `DATABASE_READ_URL` is set and the same pool otherwise.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

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
///
/// While the replica cannot be reached (stopped, being rebuilt, a network break) reads go to
/// the primary: a dashboard gets fresher data rather than none. A failed checkout sends reads
/// to the primary for `REPLICA_RETRY`; the first read after that tries the replica again.
#[derive(Clone)]
pub struct ReadPool {
    primary: DbPool,
    replica: Option<DbPool>,
    /// When reads may try the replica again (milliseconds since `epoch`), 0 while it answers.
    retry_at: Arc<AtomicU64>,
    epoch: Instant,
}

/// How long reads stay on the primary after the replica failed to give a connection.
const REPLICA_RETRY: Duration = Duration::from_secs(2);

impl ReadPool {
    pub fn new(primary: DbPool, replica: Option<DbPool>) -> Self {
        Self { primary, replica, retry_at: Arc::new(AtomicU64::new(0)), epoch: Instant::now() }
    }

    /// A connection to the replica, or to the primary while the replica is unreachable.
    pub async fn get(&self) -> Result<Connection, PoolError> {
        if let Some(replica) = &self.replica
            && self.epoch.elapsed().as_millis() as u64 >= self.retry_at.load(Ordering::Relaxed)
        {
            match replica.get().await {
                Ok(conn) => return Ok(conn),
                Err(error) => {
                    let retry_at = self.epoch.elapsed() + REPLICA_RETRY;
                    self.retry_at.store(retry_at.as_millis() as u64, Ordering::Relaxed);
                    tracing::warn!(%error, "the read replica gave no connection; reading from the primary");
                }
            }
        }
        self.primary.get().await
    }

    /// The replica's own pool, for the readiness check.
    pub fn replica(&self) -> Option<&DbPool> {
        self.replica.as_ref()
    }
}

/// A pooled connection, handed back when dropped.
pub type Connection = deadpool::managed::Object<AsyncDieselConnectionManager<AsyncPgConnection>>;

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
