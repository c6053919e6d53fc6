//! A job's file, stored in parts as it arrives and dropped when the job ends.

use bytes::Bytes;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Integer, Text, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use tokio::sync::mpsc;

use crate::auth::Caller;
use crate::db::DbPool;
use crate::domain::ImportJobId;
use crate::error::ApiError;
use crate::records::import::Options;

/// Starts storing a job's file.
pub async fn begin(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    kind: &str,
    options: Options,
) -> QueryResult<ImportJobId> {
    let id = ImportJobId::new();
    diesel::sql_query(
        "INSERT INTO import_jobs (id, user_id, kind, format, mode, dry_run, status) \
         VALUES ($1, $2, $3, $4, $5, $6, 'receiving')",
    )
    .bind::<SqlUuid, _>(id.0)
    .bind::<SqlUuid, _>(caller.id.0)
    .bind::<Text, _>(kind)
    .bind::<Text, _>(options.format.as_str())
    .bind::<Text, _>(options.mode.as_str())
    .bind::<Bool, _>(options.dry_run)
    .execute(conn)
    .await?;
    Ok(id)
}

/// Stores the job's next part.
pub async fn append(conn: &mut AsyncPgConnection, id: ImportJobId, part: i32, bytes: &[u8]) -> QueryResult<()> {
    diesel::sql_query("INSERT INTO import_job_parts (job_id, part, bytes) VALUES ($1, $2, $3)")
        .bind::<SqlUuid, _>(id.0)
        .bind::<Integer, _>(part)
        .bind::<diesel::sql_types::Bytea, _>(bytes)
        .execute(conn)
        .await
        .map(drop)
}

/// The whole file is stored and reads as `records` records: a worker may take it.
pub async fn queue(conn: &mut AsyncPgConnection, id: ImportJobId, records: u32) -> QueryResult<()> {
    diesel::sql_query("UPDATE import_jobs SET status = 'queued', records_total = $2 WHERE id = $1")
        .bind::<SqlUuid, _>(id.0)
        .bind::<Integer, _>(records as i32)
        .execute(conn)
        .await
        .map(drop)
}

/// A file that was refused (or never arrived whole) leaves nothing behind.
pub async fn discard(conn: &mut AsyncPgConnection, id: ImportJobId) -> QueryResult<()> {
    diesel::sql_query("DELETE FROM import_jobs WHERE id = $1 AND status = 'receiving'")
        .bind::<SqlUuid, _>(id.0)
        .execute(conn)
        .await
        .map(drop)
}

/// Sends the job's parts, in order, one read at a time.
pub(in crate::records::import) async fn feed(
    pool: &DbPool,
    id: ImportJobId,
    to: &mpsc::Sender<Bytes>,
) -> Result<(), ApiError> {
    #[derive(QueryableByName)]
    struct Part {
        #[diesel(sql_type = diesel::sql_types::Bytea)]
        bytes: Vec<u8>,
    }
    for part in 0.. {
        let found: Option<Part> =
            diesel::sql_query("SELECT bytes FROM import_job_parts WHERE job_id = $1 AND part = $2")
                .bind::<SqlUuid, _>(id.0)
                .bind::<Integer, _>(part)
                .get_result(&mut *pool.get().await?)
                .await
                .optional()?;
        let Some(found) = found else { return Ok(()) };
        if to.send(Bytes::from(found.bytes)).await.is_err() {
            return Ok(());
        }
    }
    Ok(())
}

/// The file may hold personal data: it is kept no longer than the job needs it.
pub(super) async fn drop_parts(conn: &mut AsyncPgConnection, id: ImportJobId) -> Result<(), ApiError> {
    diesel::sql_query("DELETE FROM import_job_parts WHERE job_id = $1").bind::<SqlUuid, _>(id.0).execute(conn).await?;
    Ok(())
}
