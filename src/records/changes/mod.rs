//! The change feed: what was written in a scope after a position (migration 000017).
//!
//! A position is a transaction id and a place in the log. Rows are read only below the
//! oldest transaction still running, where the log can no longer grow, so a reader that moves
//! past a position has seen every row before it, whatever order transactions commit in.

use chrono::{DateTime, Utc};
use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Bool, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::db::prepared::KeepPrepared;

pub mod relayed;
pub mod trimmed;

/// A place in the feed: everything up to and including it has been read. Read from SQL as
/// `txid::text::bigint AS txid, seq` (xid8 has no cast to bigint; its text form does).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default, QueryableByName)]
pub struct Position {
    #[diesel(sql_type = BigInt)]
    pub txid: i64,
    #[diesel(sql_type = BigInt)]
    pub seq: i64,
}

impl Position {
    /// `<txid>-<seq>`, the form tokens take on the wire.
    pub fn token(&self) -> String {
        format!("{}-{}", self.txid, self.seq)
    }

    pub fn parse(token: &str) -> Option<Self> {
        let (txid, seq) = token.split_once('-')?;
        let digits = |s: &str| !s.is_empty() && s.len() <= 19 && s.bytes().all(|b| b.is_ascii_digit());
        (digits(txid) && digits(seq)).then_some(())?;
        Some(Self { txid: txid.parse().ok()?, seq: seq.parse().ok()? })
    }
}

/// One record written.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "change": "812-5", "entity": "child", "id": "0192b7a4-1111-7000-8000-000000000001",
    "region_code": "14.01.01.2009", "removed": false, "changed_at": "2025-02-10T03:00:00Z"
}))]
pub struct Change {
    /// This change's position: a `since` that resumes right after it.
    pub change: String,
    /// `child`, `measurement`, `case`, `intervention`, `intervention_report`, `team`,
    /// `family_at_risk`, `budget`, `budget_line` or `budget_spending`.
    pub entity: String,
    /// The record's id: read it at its resource for its current state.
    pub id: Uuid,
    pub region_code: String,
    /// A tombstone: the record was removed, voided, superseded or deleted.
    pub removed: bool,
    pub changed_at: DateTime<Utc>,
}

#[derive(QueryableByName)]
struct Row {
    #[diesel(sql_type = BigInt)]
    horizon: i64,
    #[diesel(sql_type = Nullable<BigInt>)]
    txid: Option<i64>,
    #[diesel(sql_type = Nullable<BigInt>)]
    seq: Option<i64>,
    #[diesel(sql_type = Nullable<Text>)]
    entity: Option<String>,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    record_id: Option<Uuid>,
    #[diesel(sql_type = Nullable<Text>)]
    region_code: Option<String>,
    #[diesel(sql_type = Nullable<Bool>)]
    removed: Option<bool>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    changed_at: Option<DateTime<Utc>>,
}

/// A page of the feed and where the next one starts.
pub struct Page {
    pub changes: Vec<Change>,
    pub next: Position,
    /// A full page: more may be waiting at once.
    pub more: bool,
}

/// Where a reader of the current snapshot resumes the feed: every change below it is in the
/// snapshot, so a client that read a view in this transaction and follows the feed from here
/// misses nothing (it may see again a change it already holds).
/// Takes the connection shared, so it can go out in a pipeline with the view's reads.
pub async fn horizon(mut conn: &AsyncPgConnection) -> diesel::QueryResult<Position> {
    #[derive(QueryableByName)]
    struct Horizon {
        #[diesel(sql_type = BigInt)]
        horizon: i64,
    }
    // SQL: snapshot functions (pg_current_snapshot, xid8) that diesel has no types for.
    let row: Horizon = diesel::sql_query("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint AS horizon")
        .prepared()
        .get_result(&mut conn)
        .await?;
    Ok(Position { txid: row.horizon, seq: 0 })
}

/// Up to `limit` changes inside [low, high) after `since`, oldest first.
pub async fn after(
    conn: &mut AsyncPgConnection,
    since: Position,
    low: &str,
    high: &str,
    limit: i64,
) -> diesel::QueryResult<Page> {
    // xid8 has no cast to bigint; its text form does. Transaction ids stay below 2^63.
    // SQL: snapshot functions (pg_current_snapshot, xid8) that diesel has no types for.
    let rows: Vec<Row> = diesel::sql_query(
        "WITH h AS (SELECT pg_snapshot_xmin(pg_current_snapshot()) AS xmin) \
         SELECT h.xmin::text::bigint AS horizon, c.txid, c.seq, c.entity, c.record_id, c.region_code, \
                c.removed, c.changed_at \
         FROM h LEFT JOIN LATERAL ( \
           SELECT k.txid::text::bigint AS txid, k.seq, k.entity, k.record_id, k.region_code, k.removed, k.changed_at \
           FROM changes k \
           WHERE (k.txid, k.seq) > ($1::text::xid8, $2) AND k.txid < h.xmin \
             AND k.region_code >= $3 AND k.region_code < $4 \
           ORDER BY k.txid, k.seq LIMIT $5 \
         ) c ON true",
    )
    .bind::<BigInt, _>(since.txid)
    .bind::<BigInt, _>(since.seq)
    .bind::<Text, _>(low)
    .bind::<Text, _>(high)
    .bind::<BigInt, _>(limit)
    .prepared()
    .load(conn)
    .await?;
    let horizon = rows.as_slice().first().map_or(0, |r| r.horizon);
    let mut last = None;
    let changes: Vec<Change> = rows
        .into_iter()
        .filter_map(|r| {
            let at = Position { txid: r.txid?, seq: r.seq? };
            last = Some(at);
            Some(Change {
                change: at.token(),
                entity: r.entity?,
                id: r.record_id?,
                region_code: r.region_code?,
                removed: r.removed?,
                changed_at: r.changed_at?,
            })
        })
        .collect();
    let more = changes.len() as i64 == limit;
    let next = match (more, last) {
        // Rows after the last one may still be below the horizon: resume right after it.
        (true, Some(last)) => last,
        // Everything below the horizon in this scope has been read: resume at the horizon,
        // which only moves forward (it is never behind a position already handed out).
        _ => since.max(Position { txid: horizon, seq: 0 }),
    };
    Ok(Page { changes, next, more })
}

#[cfg(test)]
mod tests {
    use super::Position;

    #[test]
    fn tokens_round_trip_and_refuse_anything_else() {
        let at = Position { txid: 812, seq: 5 };
        assert_eq!(Position::parse(&at.token()), Some(at));
        for bad in ["", "812", "812-", "-5", "a-5", "812-5-1", "+812-5", "99999999999999999999-1"] {
            assert_eq!(Position::parse(bad), None, "{bad}");
        }
    }
}
