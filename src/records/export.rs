//! Bulk export, whatever the kind: everything in a scope (and a period), a page at a time by a
//! keyset on the record's village and id. Each kind (`child::export`, `pregnancy::export`, …)
//! says its query and columns.

use chrono::NaiveDate;
use diesel::QueryableByName;
use diesel::pg::Pg;
use diesel::sql_types::{Date, Integer, Nullable, Text, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::Serialize;
use uuid::Uuid;

use crate::domain::Scope;
use crate::records::stats::code_bounds;

/// Which records: in the scope, and (when given) of a period.
#[derive(Debug, Clone)]
pub struct Selection {
    pub scope: Scope,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

/// A page's position: the last row's village, record and (for measurements, whose record is
/// the child) measurement.
pub type Key = (String, Uuid, Uuid);

/// A kind of record an export pages through. Its `SQL` takes the same parameters for every
/// kind: the scope's bounds ($1, $2), the position after which to read ($3 to $5; a kind
/// whose key has two parts leaves $5 alone), the period ($6, $7) and the page size ($8).
pub trait Paged: Serialize + QueryableByName<Pg> + Send + 'static {
    const SQL: &'static str;
    /// The CSV header: the record's fields in order, flat, so that a CSV row is the record.
    const COLUMNS: &'static [&'static str];
    fn key(&self) -> Key;
}

/// Rows read per query.
pub const PAGE: u32 = 1_000;

/// The page of `T` after `after`.
pub async fn page<T: Paged>(
    conn: &mut AsyncPgConnection,
    selection: &Selection,
    after: Option<Key>,
) -> diesel::QueryResult<Vec<T>> {
    let (low, high) = code_bounds(selection.scope.code());
    let (village, record, within) = after.unwrap_or_default();
    // SQL: keyset paging on a row comparison, (village, record) > ($3, $4), which the DSL cannot write.
    diesel::sql_query(T::SQL)
        .bind::<Text, _>(low)
        .bind::<Text, _>(high)
        .bind::<Text, _>(village)
        .bind::<SqlUuid, _>(record)
        .bind::<SqlUuid, _>(within)
        .bind::<Nullable<Date>, _>(selection.from)
        .bind::<Nullable<Date>, _>(selection.to)
        .bind::<Integer, _>(PAGE as i32)
        .load(conn)
        .await
}
