//! The feed's retention (migration 000043): changes older than the retention period are
//! deleted oldest first, in feed order, so everything up to one position is gone and everything
//! after it is whole. A change a relay has not yet published stays, however old.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Bool, Integer, Timestamptz};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};

use super::Position;
use crate::db::DbPool;
use crate::db::prepared::KeepPrepared;

/// Changes deleted per transaction: short ones, so writers logging changes never wait long.
const BATCH: i32 = 10_000;

/// The position up to which changes have been deleted; `None` while the feed is whole.
pub async fn trimmed(conn: &mut AsyncPgConnection) -> diesel::QueryResult<Option<Position>> {
    // SQL: xid8, which diesel has no type for, read through its text form.
    Ok(diesel::sql_query("SELECT txid::text::bigint AS txid, seq FROM change_feed_trimmed")
        .prepared()
        .load::<Position>(conn)
        .await?
        .pop())
}

/// Deletes the changes written before `keep` ago, in feed order, up to the first one that is
/// newer or that a relay still has to publish; says how many went.
pub async fn trim(conn: &mut AsyncPgConnection, keep: TimeDelta) -> diesel::QueryResult<usize> {
    #[derive(QueryableByName)]
    struct Head {
        #[diesel(embed)]
        at: Position,
        #[diesel(sql_type = Bool)]
        old: bool,
    }
    let before: DateTime<Utc> = Utc::now() - keep;
    let mut deleted = 0;
    loop {
        // SQL: xid8, which diesel has no type for, read through its text form.
        let relayed: Option<Position> =
            diesel::sql_query("SELECT txid::text::bigint AS txid, seq FROM change_relay ORDER BY txid, seq LIMIT 1")
                .prepared()
                .load::<Position>(conn)
                .await?
                .pop();
        // SQL: xid8, read through its text form; the oldest changes in the feed's key order.
        let head: Vec<Head> = diesel::sql_query(
            "SELECT txid::text::bigint AS txid, seq, changed_at < $1 AS old FROM changes ORDER BY txid, seq LIMIT $2",
        )
        .bind::<Timestamptz, _>(before)
        .bind::<Integer, _>(BATCH)
        .prepared()
        .load(conn)
        .await?;
        let gone = head.iter().take_while(|h| h.old && relayed.is_none_or(|relayed| h.at <= relayed)).count();
        let Some(last) = gone.checked_sub(1).map(|i| head[i].at) else {
            return Ok(deleted);
        };
        conn.transaction::<_, diesel::result::Error, _>(async |conn| {
            // SQL: a row comparison on xid8, which diesel has no type for.
            diesel::sql_query("DELETE FROM changes WHERE (txid, seq) <= ($1::text::xid8, $2)")
                .bind::<BigInt, _>(last.txid)
                .bind::<BigInt, _>(last.seq)
                .execute(conn)
                .await?;
            // SQL: xid8, written through its text form.
            diesel::sql_query(
                "INSERT INTO change_feed_trimmed (txid, seq) VALUES ($1::text::xid8, $2) \
                 ON CONFLICT (only_row) DO UPDATE SET txid = excluded.txid, seq = excluded.seq, trimmed_at = now()",
            )
            .bind::<BigInt, _>(last.txid)
            .bind::<BigInt, _>(last.seq)
            .execute(conn)
            .await
        })
        .await?;
        deleted += gone;
        if gone < BATCH as usize {
            return Ok(deleted);
        }
    }
}

/// Trims the feed every `period` for as long as the service runs (every instance does; the
/// deletes of two at once only meet on rows, and each keeps the feed whole after its position).
pub async fn trim_every(pool: DbPool, keep: TimeDelta, period: Duration) {
    let mut every = tokio::time::interval(period);
    loop {
        every.tick().await;
        let trimmed = async {
            let mut conn = pool.get().await.map_err(|e| anyhow::anyhow!("{e}"))?;
            Ok::<_, anyhow::Error>(trim(&mut conn, keep).await?)
        };
        match trimmed.await {
            Ok(0) => {}
            Ok(deleted) => tracing::info!(deleted, "changes past the feed's retention deleted"),
            Err(error) => tracing::warn!(error = %error, "the change feed could not be trimmed"),
        }
    }
}
