//! Families at risk arriving as an import kind (`POST /imports/families-at-risk`): the rules of
//! `POST /families-at-risk/import`, a year per record, new families added and known ones (same
//! year and `family_key`) updated in one statement per year and chunk.

use std::collections::HashMap;

use diesel_async::AsyncPgConnection;
use serde::{Deserialize, Deserializer};
use serde_json::json;
use utoipa::ToSchema;

use super::{FamilyRecord, ImportColumns, check, check_on_record, known_villages, upsert, villages_of};
use crate::auth::Caller;
use crate::db::audit;
use crate::domain::{RiskFactor, year_bounds};
use crate::error::{ApiError, FieldErrors};
use crate::records::import::{Columns, Outcome, Verdict, Writer};
use crate::records::stats::code_bounds;

/// A family at risk in a year's list.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"year": 2022, "family_key": "6203010001000123", "village_code": "62.03.01.2001",
    "risk_factors": ["no_safe_water"], "has_pregnant_woman": false, "has_under_two": true, "has_under_five": true}))]
pub struct FamilyRow {
    pub year: i32,
    /// The BKKBN family identifier: letters, digits, `.`, `/`, `-`; at most 64.
    pub family_key: String,
    pub village_code: String,
    /// At least one; in CSV, separated by `;`.
    #[serde(deserialize_with = "list_or_text")]
    pub risk_factors: Vec<RiskFactor>,
    pub has_pregnant_woman: bool,
    pub has_under_two: bool,
    pub has_under_five: bool,
}

/// A JSON array of names, or (CSV) the names in one field, separated by `;`.
fn list_or_text<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<RiskFactor>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Given {
        List(Vec<RiskFactor>),
        Text(String),
    }
    match Given::deserialize(deserializer)? {
        Given::List(list) => Ok(list),
        Given::Text(text) => text
            .split(';')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(|t| t.parse().map_err(serde::de::Error::custom))
            .collect(),
    }
}

impl FamilyRow {
    fn record(&self) -> FamilyRecord {
        FamilyRecord {
            family_key: self.family_key.clone(),
            village_code: self.village_code.clone(),
            risk_factors: self.risk_factors.clone(),
            has_pregnant_woman: self.has_pregnant_woman,
            has_under_two: self.has_under_two,
            has_under_five: self.has_under_five,
        }
    }
}

/// Writes families a year at a time per chunk.
#[derive(Default)]
pub struct FamiliesWriter {
    /// Where each (year, family) first appeared in this import: a repeat is rejected.
    seen: HashMap<(i32, String), u32>,
}

impl Writer for FamiliesWriter {
    type Record = FamilyRow;
    const COLUMNS: &'static Columns = &Columns {
        known: &[
            "year",
            "family_key",
            "village_code",
            "risk_factors",
            "has_pregnant_woman",
            "has_under_two",
            "has_under_five",
        ],
        required: &[
            "year",
            "family_key",
            "village_code",
            "risk_factors",
            "has_pregnant_woman",
            "has_under_two",
            "has_under_five",
        ],
    };

    fn id_of(record: &FamilyRow) -> Option<String> {
        Some(record.family_key.clone())
    }

    async fn write(
        &mut self,
        conn: &mut AsyncPgConnection,
        caller: &Caller,
        chunk: &[(u32, FamilyRow)],
    ) -> Result<Vec<Verdict>, ApiError> {
        let codes: Vec<String> = chunk.iter().map(|(_, f)| f.village_code.clone()).collect();
        let villages = known_villages(conn, &codes).await?;
        let mut on_record: HashMap<(i32, String), String> = HashMap::new();
        let mut years: Vec<i32> = chunk.iter().map(|(_, f)| f.year).collect();
        years.sort_unstable();
        years.dedup();
        for year in &years {
            let keys: Vec<String> =
                chunk.iter().filter(|(_, f)| f.year == *year).map(|(_, f)| f.family_key.clone()).collect();
            for (key, village) in villages_of(conn, *year, &keys).await? {
                on_record.insert((*year, key), village);
            }
        }

        let mut verdicts: Vec<Option<Verdict>> = Vec::with_capacity(chunk.len());
        let mut columns: HashMap<i32, ImportColumns> = HashMap::new();
        for (index, row) in chunk {
            let mut errors = FieldErrors::default();
            errors.check("year", year_bounds(row.year));
            let record = row.record();
            errors.merge(check(caller, &record, &villages));
            let key = (row.year, row.family_key.clone());
            match *self.seen.entry(key.clone()).or_insert(*index) {
                first if first != *index => {
                    errors.add("family_key", text!("repeats the family of record %{first}", first = first))
                }
                _ => {}
            }
            check_on_record(caller, on_record.get(&key).map(String::as_str), &mut errors);
            if let Err(error) = errors.finish() {
                verdicts.push(Some(Err(error.rejection())));
                continue;
            }
            columns.entry(row.year).or_default().push(&record);
            verdicts.push(None);
        }

        let (low, high) = code_bounds(caller.scope.code());
        let mut written: HashMap<(i32, String), bool> = HashMap::new();
        for (year, rows) in &columns {
            let stored = upsert(conn, *year, rows, &low, &high).await?;
            let inserted = stored.iter().filter(|w| w.inserted).count();
            let changes = json!({"received": rows.ids.len(), "inserted": inserted, "updated": stored.len() - inserted});
            audit::record(conn, Some(caller.id), "family_at_risk.import", year, changes).await?;
            written.extend(stored.into_iter().map(|w| ((*year, w.family_key), w.inserted)));
        }
        Ok(chunk
            .iter()
            .zip(verdicts)
            .map(|((_, row), verdict)| {
                verdict.unwrap_or_else(|| match written.get(&(row.year, row.family_key.clone())) {
                    Some(true) => Ok(Outcome::Created),
                    Some(false) => Ok(Outcome::Updated),
                    None => Ok(Outcome::Unchanged),
                })
            })
            .collect())
    }
}
