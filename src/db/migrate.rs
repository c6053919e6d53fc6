//! Migrations are embedded in the binary and run through diesel-async's connection wrapper,
//! so the binary needs no libpq.

use diesel::Connection;
use diesel_async::AsyncPgConnection;
use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

type SyncPg = AsyncConnectionWrapper<AsyncPgConnection>;

/// Applies pending migrations; returns how many ran. The sync harness runs on a blocking
/// thread, where the wrapper drives the async connection on the current runtime.
pub async fn run_pending(database_url: &str) -> anyhow::Result<usize> {
    with_sync_connection(database_url, |conn| conn.run_pending_migrations(MIGRATIONS).map(|applied| applied.len()))
        .await
}

/// Reverts every migration (used by the test that checks they are reversible).
pub async fn revert_all(database_url: &str) -> anyhow::Result<usize> {
    with_sync_connection(database_url, |conn| conn.revert_all_migrations(MIGRATIONS).map(|reverted| reverted.len()))
        .await
}

type HarnessResult<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

async fn with_sync_connection<T: Send + 'static>(
    database_url: &str,
    work: impl FnOnce(&mut SyncPg) -> HarnessResult<T> + Send + 'static,
) -> anyhow::Result<T> {
    let url = database_url.to_owned();
    tokio::task::spawn_blocking(move || {
        let mut conn = SyncPg::establish(&url)?;
        work(&mut conn).map_err(|e| anyhow::anyhow!("migration failed: {e}"))
    })
    .await?
}
