//! What a running job committed, moved in the transaction of each chunk it commits.

use diesel::sql_types::{Array, BigInt, Integer, Jsonb, Nullable, Text, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use super::LEASE;
use crate::db::prepared::KeepPrepared;
use crate::domain::ImportJobId;
use crate::records::import::{Rejection, Summary};

/// A running job's record of what it committed: moved in the transaction of each chunk.
pub struct Journal {
    pub id: ImportJobId,
    /// Records before this index are written (or rejected) and counted.
    pub done: u32,
}

impl Journal {
    /// (SQL: kept prepared on the connection, once per chunk, and the lease measured by the
    /// database's clock.)
    pub(in crate::records::import) async fn advance(
        &self,
        conn: &mut AsyncPgConnection,
        chunk: &Summary,
        end: u32,
    ) -> diesel::QueryResult<()> {
        // SQL: counters added in place and a lease measured by the database clock (now() + interval).
        diesel::sql_query(
            "UPDATE import_jobs SET records_done = $2, created = created + $3, updated = updated + $4, \
             unchanged = unchanged + $5, rejected = rejected + $6, lease_until = now() + make_interval(secs => $7) \
             WHERE id = $1",
        )
        .bind::<SqlUuid, _>(self.id.0)
        .bind::<Integer, _>(end as i32)
        .bind::<Integer, _>(chunk.created as i32)
        .bind::<Integer, _>(chunk.updated as i32)
        .bind::<Integer, _>(chunk.unchanged as i32)
        .bind::<Integer, _>(chunk.rejected as i32)
        .bind::<Integer, _>(LEASE.as_secs() as i32)
        .prepared()
        .execute(&mut *conn)
        .await?;
        keep_rejections(conn, self.id, &chunk.rejections).await
    }
}

pub(super) async fn keep_rejections(
    conn: &mut AsyncPgConnection,
    id: ImportJobId,
    rejections: &[Rejection],
) -> diesel::QueryResult<()> {
    if rejections.is_empty() {
        return Ok(());
    }
    let problems: Vec<serde_json::Value> =
        rejections.iter().map(|r| serde_json::to_value(&r.problem).unwrap_or_default()).collect();
    // SQL: a chunk's rejections go in as five arrays through `unnest`, one statement with five
    // parameters, where the DSL's multi-row insert binds five per rejection.
    diesel::sql_query(
        "INSERT INTO import_job_rejections (job_id, index, line, record_id, problem) \
         SELECT $1, * FROM unnest($2::int[], $3::bigint[], $4::text[], $5::jsonb[]) \
         ON CONFLICT (job_id, index) DO NOTHING",
    )
    .bind::<SqlUuid, _>(id.0)
    .bind::<Array<Integer>, _>(rejections.iter().map(|r| r.index as i32).collect::<Vec<_>>())
    .bind::<Array<Nullable<BigInt>>, _>(rejections.iter().map(|r| r.line.map(|l| l as i64)).collect::<Vec<_>>())
    .bind::<Array<Nullable<Text>>, _>(rejections.iter().map(|r| r.id.clone()).collect::<Vec<_>>())
    .bind::<Array<Jsonb>, _>(problems)
    .execute(conn)
    .await
    .map(drop)
}
