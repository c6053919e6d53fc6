//! How far a relay has published the feed (migration 000041): one row per target, moved
//! forward only after the target has acknowledged everything up to it.

use chrono::{DateTime, Utc};
use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Nullable, Text, Timestamptz};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use super::Position;
use crate::db::prepared::KeepPrepared;

/// Where `target`'s relay resumes: the beginning of the feed for a new target.
pub async fn position(conn: &mut AsyncPgConnection, target: &str) -> diesel::QueryResult<Position> {
    // SQL: xid8, which diesel has no type for, read through its text form.
    diesel::sql_query(
        "WITH made AS (INSERT INTO change_relay (target) VALUES ($1) ON CONFLICT (target) DO NOTHING \
                       RETURNING txid, seq) \
         SELECT txid::text::bigint AS txid, seq FROM made \
         UNION ALL SELECT txid::text::bigint, seq FROM change_relay WHERE target = $1",
    )
    .bind::<Text, _>(target)
    .prepared()
    .get_result(conn)
    .await
}

/// Records that `target` holds every change up to `at`. Never moves backwards: a relay that
/// lost its lock while another went further leaves the further position.
pub async fn advance(conn: &mut AsyncPgConnection, target: &str, at: Position) -> diesel::QueryResult<()> {
    // SQL: xid8, which diesel has no type for, written through its text form.
    diesel::sql_query(
        "UPDATE change_relay SET txid = $2::text::xid8, seq = $3, relayed_at = now() \
         WHERE target = $1 AND (txid, seq) < ($2::text::xid8, $3)",
    )
    .bind::<Text, _>(target)
    .bind::<BigInt, _>(at.txid)
    .bind::<BigInt, _>(at.seq)
    .prepared()
    .execute(conn)
    .await?;
    Ok(())
}

/// When the oldest change `target` has not published was written (`None`: it holds them all).
/// One step along the feed's key, however far behind the relay is.
pub async fn oldest_waiting(conn: &mut AsyncPgConnection, target: &str) -> diesel::QueryResult<Option<DateTime<Utc>>> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = Nullable<Timestamptz>)]
        changed_at: Option<DateTime<Utc>>,
    }
    // SQL: a row comparison on xid8, which diesel has no type for.
    let row: Row = diesel::sql_query(
        "SELECT (SELECT k.changed_at FROM changes k \
                 WHERE (k.txid, k.seq) > (coalesce(r.txid, '0'), coalesce(r.seq, 0)) \
                 ORDER BY k.txid, k.seq LIMIT 1) AS changed_at \
         FROM (SELECT 1) one LEFT JOIN change_relay r ON r.target = $1",
    )
    .bind::<Text, _>(target)
    .prepared()
    .get_result(conn)
    .await?;
    Ok(row.changed_at)
}

/// Takes `target`'s relay lock for this session if no other session holds it: one relay per
/// target publishes at a time, whatever the number of instances. Released when the session
/// ends, so a relay that dies hands over at once. Two keys, apart from the one-key locks.
pub async fn try_lock(conn: &mut AsyncPgConnection, target: &str) -> diesel::QueryResult<bool> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        locked: bool,
    }
    // SQL: a session advisory lock, a function call diesel has no DSL for.
    let row: Row = diesel::sql_query("SELECT pg_try_advisory_lock(hashtext('change_relay'), hashtext($1)) AS locked")
        .bind::<Text, _>(target)
        .get_result(conn)
        .await?;
    Ok(row.locked)
}
