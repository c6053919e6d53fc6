//! A job's life after it is queued: a worker claims it under a lease, renews the lease while it
//! runs, and settles it as succeeded, failed, or queued again for another attempt.

use chrono::{DateTime, Utc};
use diesel::dsl::now;
use diesel::prelude::*;
use diesel::sql_types::{Integer, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use super::LEASE;
use super::view::{JOB_COLUMNS, JobRow};
use crate::db::DbPool;
use crate::db::schema::import_jobs;
use crate::domain::ImportJobId;
use crate::error::{ApiError, Problem};
use crate::records::import::Summary;

/// Takes the oldest job that is queued or whose worker stopped renewing its lease. (SQL:
/// diesel's DSL has no UPDATE whose key is a sub-select `FOR UPDATE SKIP LOCKED`.)
pub async fn claim(conn: &mut AsyncPgConnection) -> QueryResult<Option<JobRow>> {
    diesel::sql_query(format!(
        "UPDATE import_jobs SET status = 'running', attempts = attempts + 1, started_at = coalesce(started_at, now()), \
             lease_until = now() + make_interval(secs => $1) \
         WHERE id = (SELECT id FROM import_jobs \
                     WHERE status = 'queued' OR (status = 'running' AND lease_until < now()) \
                     ORDER BY created_at FOR UPDATE SKIP LOCKED LIMIT 1) \
         RETURNING {JOB_COLUMNS}"
    ))
    .bind::<Integer, _>(LEASE.as_secs() as i32)
    .get_result(conn)
    .await
    .optional()
}

/// Holds the job's lease for another `LEASE`. (SQL: the lease is measured by the database's
/// clock, `now() + interval`, which every instance's claim compares with.)
pub async fn renew(conn: &mut AsyncPgConnection, id: ImportJobId) -> QueryResult<usize> {
    diesel::sql_query("UPDATE import_jobs SET lease_until = now() + make_interval(secs => $2) WHERE id = $1")
        .bind::<SqlUuid, _>(id.0)
        .bind::<Integer, _>(LEASE.as_secs() as i32)
        .execute(conn)
        .await
}

pub async fn succeed(pool: &DbPool, id: ImportJobId, summary: &Summary) -> Result<(), ApiError> {
    let mut conn = pool.get().await?;
    // A journaled job counted as it went; a one-transaction job counts now. (SQL: a CASE on
    // the row's own mode chooses which, in the one statement.)
    diesel::sql_query(
        "UPDATE import_jobs SET status = 'succeeded', finished_at = now(), lease_until = NULL, \
             records_done = records_total, \
             created = CASE WHEN mode = 'each' AND NOT dry_run THEN created ELSE $2 END, \
             updated = CASE WHEN mode = 'each' AND NOT dry_run THEN updated ELSE $3 END, \
             unchanged = CASE WHEN mode = 'each' AND NOT dry_run THEN unchanged ELSE $4 END, \
             rejected = CASE WHEN mode = 'each' AND NOT dry_run THEN rejected ELSE $5 END \
         WHERE id = $1",
    )
    .bind::<SqlUuid, _>(id.0)
    .bind::<Integer, _>(summary.created as i32)
    .bind::<Integer, _>(summary.updated as i32)
    .bind::<Integer, _>(summary.unchanged as i32)
    .bind::<Integer, _>(summary.rejected as i32)
    .execute(&mut conn)
    .await?;
    super::journal::keep_rejections(&mut conn, id, &summary.rejections).await?;
    super::store::drop_parts(&mut conn, id).await
}

pub async fn fail(pool: &DbPool, id: ImportJobId, problem: &Problem) -> Result<(), ApiError> {
    let mut conn = pool.get().await?;
    diesel::update(import_jobs::table.find(id))
        .set((
            import_jobs::status.eq("failed"),
            import_jobs::finished_at.eq(now),
            import_jobs::lease_until.eq(None::<DateTime<Utc>>),
            import_jobs::problem.eq(serde_json::to_value(problem).ok()),
        ))
        .execute(&mut conn)
        .await?;
    super::store::drop_parts(&mut conn, id).await
}

pub async fn requeue(pool: &DbPool, id: ImportJobId) -> Result<(), ApiError> {
    diesel::update(import_jobs::table.find(id))
        .set((import_jobs::status.eq("queued"), import_jobs::lease_until.eq(None::<DateTime<Utc>>)))
        .execute(&mut *pool.get().await?)
        .await?;
    Ok(())
}
