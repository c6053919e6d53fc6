//! A province's list of families at risk for a year, sent whole (`POST
//! /families-at-risk/import`): new families are added, known ones (same year and
//! `family_key`) updated, identical ones left alone, so a retried list changes nothing. Each
//! family is judged on its own; the ones that fail are reported with their reasons.

use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use super::{FamilyRecord, ImportColumns};
use crate::auth::Caller;
use crate::db::AsyncPgConnection;
use crate::db::audit;
use crate::error::{ApiError, FieldError};

/// What an import did, and exactly which records failed and why.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"received": 3, "inserted": 1, "updated": 1, "unchanged": 0, "failed": [
    {"index": 2, "family_key": "X", "errors": [{"field": "village_code", "message": "no village has code 62.03.99.2001"}]}]}))]
pub struct ImportSummary {
    pub received: usize,
    pub inserted: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub failed: Vec<FailedRecord>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct FailedRecord {
    /// Position in `families`, from 0.
    pub index: usize,
    pub family_key: String,
    pub errors: Vec<FieldError>,
}

/// Writes `families` as the caller's list for `year`, in the caller's transaction.
pub async fn replace(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    year: i32,
    families: &[FamilyRecord],
) -> Result<ImportSummary, ApiError> {
    let codes: Vec<String> = families.iter().map(|f| f.village_code.clone()).collect();
    let villages = super::known_villages(conn, &codes).await?;
    let keys: Vec<String> = families.iter().map(|f| f.family_key.clone()).collect();
    let on_record = super::villages_of(conn, year, &keys).await?;

    let mut failed = Vec::new();
    let mut columns = ImportColumns::default();
    for (index, record) in families.iter().enumerate() {
        let mut errors = super::check(caller, record, &villages);
        if columns.keys.contains(&record.family_key) {
            errors.add("family_key", text!("appears twice in this import"));
        }
        let on_record_in = on_record.iter().find(|(k, _)| *k == record.family_key).map(|(_, v)| v.as_str());
        super::check_on_record(caller, on_record_in, &mut errors);
        let errors = errors.into_vec();
        if !errors.is_empty() {
            failed.push(FailedRecord { index, family_key: record.family_key.clone(), errors });
            continue;
        }
        columns.push(record);
    }
    let (low, high) = crate::records::stats::code_bounds(caller.scope.code());
    let written =
        if columns.ids.is_empty() { Vec::new() } else { super::upsert(conn, year, &columns, &low, &high).await? };
    let inserted = written.iter().filter(|w| w.inserted).count();
    let summary = ImportSummary {
        received: families.len(),
        inserted,
        updated: written.len() - inserted,
        unchanged: columns.ids.len() - written.len(),
        failed,
    };
    audit::record(
        conn,
        Some(caller.id),
        "family_at_risk.import",
        year,
        json!({"received": summary.received, "inserted": summary.inserted, "updated": summary.updated,
               "failed": summary.failed.len()}),
    )
    .await?;
    Ok(summary)
}
