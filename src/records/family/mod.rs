use crate::auth::Caller;
use crate::auth::policy::Record;
use crate::db::schema::{families_at_risk, lokus_villages, regions};
use crate::domain::page::PageRequest;
use crate::domain::{ExpectedVersion, FamilyId, RegionCode, RiskFactor, Scope, UserId, Verification};
use crate::error::{ApiError, FieldErrors};
use crate::records::access::{Scoped, Visible, Writable};
use crate::records::region_order::in_region_order;
use crate::records::write;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, Bool, Integer, Text, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

pub mod import;
pub mod year_list;

/// The family, if the caller may read it: 404 unless known, 403 outside the caller's scope.
pub async fn find(conn: &mut AsyncPgConnection, caller: &Caller, id: FamilyId) -> Result<Visible<Family>, ApiError> {
    let row = families_at_risk::table.find(id).select(Family::as_select()).first(conn).await.optional()?;
    Visible::check(caller, row, || unknown(id))
}

/// Locks the family's row for the rest of the transaction, if the caller may verify it: its
/// village's cadre or an officer.
pub async fn lock_to_verify(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: FamilyId,
) -> Result<Writable<Family>, ApiError> {
    let row = families_at_risk::table.find(id).select(Family::as_select()).for_update().first(conn).await.optional()?;
    Writable::check_by(row, || unknown(id), |family| caller.require_verifier(&family.village_code))
}

write::versioned!(Family, FamilyId, "family_at_risk", lock_to_verify);

fn unknown(id: FamilyId) -> ApiError {
    ApiError::not_found(text!("no family has id %{id}", id = id))
}

impl Scoped for Family {
    const RECORD: Record = Record::Family;
    fn region(&self) -> &RegionCode {
        &self.village_code
    }
}

#[derive(Debug)]
pub struct FamilyFilter {
    pub year: i32,
    pub verification: Option<Verification>,
    pub lokus: bool,
}

pub async fn list(
    conn: &mut AsyncPgConnection,
    scope: &Scope,
    filter: &FamilyFilter,
    page: &PageRequest<(RegionCode, FamilyId)>,
) -> QueryResult<Vec<Family>> {
    let mut query =
        families_at_risk::table.filter(families_at_risk::year.eq(filter.year)).select(Family::as_select()).into_boxed();
    if let Some((from, to)) = scope.code_range() {
        query =
            query.filter(families_at_risk::village_code.ge(from.to_owned()).and(families_at_risk::village_code.lt(to)));
    }
    if let Some(status) = filter.verification {
        query = query.filter(families_at_risk::verification.eq(status));
    }
    if filter.lokus {
        let lokus =
            lokus_villages::table.filter(lokus_villages::year.eq(filter.year)).select(lokus_villages::village_code);
        query = query.filter(families_at_risk::village_code.eq_any(lokus));
    }
    in_region_order!(query, page, families_at_risk::village_code, families_at_risk::id).load(conn).await
}

/// Of `codes`, the ones that are villages on record.
pub async fn known_villages(conn: &mut AsyncPgConnection, codes: &[String]) -> QueryResult<Vec<String>> {
    regions::table
        .filter(regions::code.eq_any(codes))
        .filter(regions::level.eq("village"))
        .select(regions::code)
        .load(conn)
        .await
}

/// One family in an import.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"family_key": "6203010001000123", "village_code": "62.03.01.2001",
    "risk_factors": ["no_safe_water"], "has_pregnant_woman": false, "has_under_two": true, "has_under_five": true}))]
pub struct FamilyRecord {
    /// The BKKBN family identifier: letters, digits, `.`, `/`, `-`; at most 64.
    pub family_key: String,
    pub village_code: String,
    /// At least one.
    pub risk_factors: Vec<RiskFactor>,
    pub has_pregnant_woman: bool,
    pub has_under_two: bool,
    pub has_under_five: bool,
}

/// Why one record of an import cannot be written.
pub fn check(caller: &Caller, record: &FamilyRecord, villages: &[String]) -> FieldErrors {
    let mut errors = FieldErrors::default();
    let key_ok = (1..=64).contains(&record.family_key.len())
        && record.family_key.chars().all(|c| c.is_ascii_alphanumeric() || "./-".contains(c));
    if !key_ok {
        errors.add("family_key", text!("must be 1 to 64 letters, digits, '.', '/' or '-'"));
    }
    match RegionCode::parse(&record.village_code) {
        Err(e) => errors.add("village_code", e.into()),
        Ok(code) if !caller.scope.contains(&code) => {
            errors.add("village_code", text!("%{code} is outside your scope", code = code))
        }
        Ok(code) if !villages.contains(&record.village_code) => {
            errors.add("village_code", text!("no village has code %{code}", code = code))
        }
        Ok(_) => {}
    }
    if record.risk_factors.is_empty() {
        errors.add("risk_factors", text!("a family at risk has at least one risk factor"));
    }
    if !record.has_pregnant_woman && !record.has_under_five {
        errors.add("has_under_five", text!("a family at risk has a pregnant woman or a child under five"));
    }
    if record.has_under_two && !record.has_under_five {
        errors.add("has_under_five", text!("a child under two is also under five"));
    }
    errors
}

/// The village each of `keys` is on record in for `year`, where it is.
pub async fn villages_of(
    conn: &mut AsyncPgConnection,
    year: i32,
    keys: &[String],
) -> QueryResult<Vec<(String, String)>> {
    families_at_risk::table
        .filter(families_at_risk::year.eq(year))
        .filter(families_at_risk::family_key.eq_any(keys))
        .select((families_at_risk::family_key, families_at_risk::village_code))
        .load(conn)
        .await
}

/// Columns of the valid records of an import, one vector per column.
#[derive(Debug, Default)]
pub struct ImportColumns {
    pub ids: Vec<uuid::Uuid>,
    pub keys: Vec<String>,
    pub villages: Vec<String>,
    /// Risk factors joined with `,` (arrays of arrays do not unnest row by row).
    pub risk_factors: Vec<String>,
    pub pregnant: Vec<bool>,
    pub under_two: Vec<bool>,
    pub under_five: Vec<bool>,
}

impl ImportColumns {
    /// Adds a valid record under a new id (its risk factors sorted, each once).
    pub fn push(&mut self, record: &FamilyRecord) {
        self.ids.push(FamilyId::new().0);
        self.keys.push(record.family_key.clone());
        self.villages.push(record.village_code.clone());
        let mut factors: Vec<&str> = record.risk_factors.iter().map(|f| f.as_str()).collect();
        factors.sort_unstable();
        factors.dedup();
        self.risk_factors.push(factors.join(","));
        self.pregnant.push(record.has_pregnant_woman);
        self.under_two.push(record.has_under_two);
        self.under_five.push(record.has_under_five);
    }
}

/// Records in `errors` a family the year's list already keeps in `village`, when that village
/// is outside the caller's scope: a list may not move another region's family.
pub fn check_on_record(caller: &Caller, village: Option<&str>, errors: &mut FieldErrors) {
    if village.is_some_and(|v| !RegionCode::parse(v).is_ok_and(|v| caller.scope.contains(&v))) {
        errors.add("family_key", text!("is on record for this year in a village outside your scope"));
    }
}

#[derive(QueryableByName)]
pub struct Written {
    #[diesel(sql_type = Text)]
    pub family_key: String,
    #[diesel(sql_type = Bool)]
    pub inserted: bool,
}

/// Inserts new families and updates changed ones in one statement; identical ones are not
/// touched (and not returned). A family that moves village goes back to `pending`. Only rows
/// in [low, high) are updated, whatever was checked before.
pub async fn upsert(
    conn: &mut AsyncPgConnection,
    year: i32,
    rows: &ImportColumns,
    low: &str,
    high: &str,
) -> QueryResult<Vec<Written>> {
    // SQL: a chunk inserted from `unnest` arrays in one statement, with a conditional upsert.
    diesel::sql_query(
        "INSERT INTO families_at_risk AS f (id, year, family_key, village_code, risk_factors, \
                has_pregnant_woman, has_under_two, has_under_five) \
         SELECT id, $1, key, village, string_to_array(rf, ','), p, u2, u5 \
         FROM unnest($2::uuid[], $3::text[], $4::text[], $5::text[], $6::bool[], $7::bool[], $8::bool[]) \
              AS t(id, key, village, rf, p, u2, u5) \
         ON CONFLICT (year, family_key) DO UPDATE SET \
           village_code = EXCLUDED.village_code, risk_factors = EXCLUDED.risk_factors, \
           has_pregnant_woman = EXCLUDED.has_pregnant_woman, has_under_two = EXCLUDED.has_under_two, \
           has_under_five = EXCLUDED.has_under_five, \
           verification = CASE WHEN f.village_code = EXCLUDED.village_code THEN f.verification ELSE 'pending' END, \
           verification_note = CASE WHEN f.village_code = EXCLUDED.village_code THEN f.verification_note END, \
           verified_by = CASE WHEN f.village_code = EXCLUDED.village_code THEN f.verified_by END, \
           verified_at = CASE WHEN f.village_code = EXCLUDED.village_code THEN f.verified_at END, \
           version = f.version + 1, updated_at = now() \
         WHERE f.village_code >= $9 AND f.village_code < $10 \
           AND (f.village_code, f.risk_factors, f.has_pregnant_woman, f.has_under_two, f.has_under_five) \
               IS DISTINCT FROM (EXCLUDED.village_code, EXCLUDED.risk_factors, EXCLUDED.has_pregnant_woman, \
                                 EXCLUDED.has_under_two, EXCLUDED.has_under_five) \
         RETURNING f.family_key, (xmax = 0) AS inserted",
    )
    .bind::<Integer, _>(year)
    .bind::<Array<SqlUuid>, _>(&rows.ids)
    .bind::<Array<Text>, _>(&rows.keys)
    .bind::<Array<Text>, _>(&rows.villages)
    .bind::<Array<Text>, _>(&rows.risk_factors)
    .bind::<Array<Bool>, _>(&rows.pregnant)
    .bind::<Array<Bool>, _>(&rows.under_two)
    .bind::<Array<Bool>, _>(&rows.under_five)
    .bind::<Text, _>(low)
    .bind::<Text, _>(high)
    .load(conn)
    .await
}

/// Records what the village found about family `id` as the caller. An offline app resending
/// the verdict it already recorded, with the version it had read, gets it back unchanged.
pub async fn verify(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: FamilyId,
    read: ExpectedVersion,
    status: Verification,
    note: Option<&str>,
) -> Result<Family, ApiError> {
    let same_verdict = |current: &Writable<Family>| {
        let same = current.verification == status
            && current.verification_note.as_deref() == note
            && current.verified_by == Some(caller.id);
        same.then(|| (**current).clone())
    };
    let audit = ("verify", serde_json::json!({"status": status}));
    write::change_or_replay(conn, caller, id, read, audit, same_verdict, async |conn, current| {
        Ok(set_verification(conn, current, status, note, caller.id).await?)
    })
    .await
}

async fn set_verification(
    conn: &mut AsyncPgConnection,
    family: &Writable<Family>,
    status: Verification,
    note: Option<&str>,
    by: UserId,
) -> QueryResult<Family> {
    let pending = status == Verification::Pending;
    diesel::update(families_at_risk::table.find(family.id))
        .set((
            families_at_risk::verification.eq(status),
            families_at_risk::verification_note.eq(note),
            families_at_risk::verified_by.eq((!pending).then_some(by)),
            families_at_risk::verified_at.eq((!pending).then(Utc::now)),
            families_at_risk::version.eq(families_at_risk::version + 1),
            families_at_risk::updated_at.eq(Utc::now()),
        ))
        .returning(Family::as_returning())
        .get_result(conn)
        .await
}

/// A family at risk of stunting from the BKKBN family data, and what the village found.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Queryable, Selectable)]
#[diesel(table_name = families_at_risk)]
#[schema(example = json!({
    "id": "0192b7a4-0000-7000-8000-0000000000f1", "year": 2022, "family_key": "6203010001000123",
    "village_code": "62.03.01.2001", "risk_factors": ["no_safe_water", "births_under_2_years_apart"],
    "has_pregnant_woman": false, "has_under_two": true, "has_under_five": true,
    "verification": "verified", "verification_note": null,
    "verified_by": "0192b7a4-0000-7000-8000-000000000101", "verified_at": "2022-07-01T03:00:00Z",
    "version": 2, "created_at": "2022-06-06T00:00:00Z", "updated_at": "2022-07-01T03:00:00Z"
}))]
pub struct Family {
    pub id: FamilyId,
    /// The year of the BKKBN family data (*pendataan keluarga*).
    pub year: i32,
    /// The BKKBN family identifier.
    pub family_key: String,
    pub village_code: RegionCode,
    #[schema(value_type = Vec<RiskFactor>)]
    pub risk_factors: Vec<String>,
    pub has_pregnant_woman: bool,
    pub has_under_two: bool,
    pub has_under_five: bool,
    pub verification: Verification,
    pub verification_note: Option<String>,
    pub verified_by: Option<UserId>,
    pub verified_at: Option<DateTime<Utc>>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}
