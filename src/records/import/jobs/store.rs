//! A job's file, stored in parts as it arrives and dropped when the job ends.

use bytes::Bytes;
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use tokio::sync::mpsc;

use crate::auth::Caller;
use crate::db::DbPool;
use crate::db::schema::{import_job_parts, import_jobs};
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
    diesel::insert_into(import_jobs::table)
        .values((
            import_jobs::id.eq(id),
            import_jobs::user_id.eq(caller.id),
            import_jobs::kind.eq(kind),
            import_jobs::format.eq(options.format.as_str()),
            import_jobs::mode.eq(options.mode.as_str()),
            import_jobs::dry_run.eq(options.dry_run),
            import_jobs::status.eq("receiving"),
        ))
        .execute(conn)
        .await?;
    Ok(id)
}

/// Stores the job's next part.
pub async fn append(conn: &mut AsyncPgConnection, id: ImportJobId, part: i32, bytes: &[u8]) -> QueryResult<()> {
    diesel::insert_into(import_job_parts::table)
        .values((import_job_parts::job_id.eq(id), import_job_parts::part.eq(part), import_job_parts::bytes.eq(bytes)))
        .execute(conn)
        .await
        .map(drop)
}

/// The whole file is stored and reads as `records` records: a worker may take it.
pub async fn queue(conn: &mut AsyncPgConnection, id: ImportJobId, records: u32) -> QueryResult<()> {
    diesel::update(import_jobs::table.find(id))
        .set((import_jobs::status.eq("queued"), import_jobs::records_total.eq(records as i32)))
        .execute(conn)
        .await
        .map(drop)
}

/// A file that was refused (or never arrived whole) leaves nothing behind.
pub async fn discard(conn: &mut AsyncPgConnection, id: ImportJobId) -> QueryResult<()> {
    diesel::delete(import_jobs::table.find(id).filter(import_jobs::status.eq("receiving")))
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
    for part in 0.. {
        let found: Option<Vec<u8>> = import_job_parts::table
            .find((id, part))
            .select(import_job_parts::bytes)
            .first(&mut *pool.get().await?)
            .await
            .optional()?;
        let Some(found) = found else { return Ok(()) };
        if to.send(Bytes::from(found)).await.is_err() {
            return Ok(());
        }
    }
    Ok(())
}

/// The file may hold personal data: it is kept no longer than the job needs it.
pub(super) async fn drop_parts(conn: &mut AsyncPgConnection, id: ImportJobId) -> Result<(), ApiError> {
    diesel::delete(import_job_parts::table.filter(import_job_parts::job_id.eq(id))).execute(conn).await?;
    Ok(())
}
