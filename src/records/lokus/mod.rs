use crate::auth::Caller;
use crate::db::schema::{lokus_decisions, lokus_villages, regions};
use crate::domain::text;
use crate::domain::{ExpectedVersion, RegionCode, RegionLevel, UserId};
use crate::error::{ApiError, FieldErrors};
use crate::records::region as region_records;
use crate::records::write;
use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use validator::Validate;

/// A district's lokus villages for a year and the decision that set them.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "district_code": "17.04", "year": 2022, "decision": "Rembuk Stunting Kabupaten Kaur", "decided_on": "2022-04-07",
    "version": 1, "updated_at": "2022-04-08T01:00:00Z",
    "villages": [{"village_code": "17.04.01.2001", "village_name": "Tanjung Iman", "reason": "prevalensi tertinggi"}]
}))]
pub struct LokusList {
    pub district_code: RegionCode,
    pub year: i32,
    /// `null` until a decision is recorded.
    pub decision: Option<String>,
    pub decided_on: Option<NaiveDate>,
    /// `0` until a decision is recorded: send `If-Match: "0"` to record the first.
    pub version: i32,
    pub updated_at: Option<DateTime<Utc>>,
    /// By code.
    pub villages: Vec<LokusVillage>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Queryable)]
pub struct LokusVillage {
    pub village_code: RegionCode,
    pub village_name: String,
    pub reason: Option<String>,
}

/// The whole list, replacing the one on record.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"decision": "Rembuk Stunting Kabupaten Kaur", "decided_on": "2022-04-07",
    "villages": [{"village_code": "17.04.01.2001", "reason": "prevalensi tertinggi"}]}))]
pub struct LokusReplacement {
    /// What set the list, e.g. the Rembuk Stunting or a regent's decree (SK Bupati).
    #[validate(length(min = 1, max = 300), custom(function = "crate::domain::text::non_blank"))]
    #[schema(min_length = 1, max_length = 300)]
    pub decision: String,
    pub decided_on: Option<NaiveDate>,
    /// Villages of the district, each once; at most 1,000.
    #[validate(length(max = 1000), nested)]
    #[schema(max_items = 1000)]
    pub villages: Vec<LokusEntry>,
}

#[derive(Debug, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LokusEntry {
    pub village_code: String,
    #[validate(length(max = 1000))]
    #[schema(max_length = 1000)]
    pub reason: Option<String>,
}

#[derive(Queryable)]
struct Decision {
    decision: String,
    decided_on: Option<NaiveDate>,
    version: i32,
    updated_at: DateTime<Utc>,
}

/// Sets district `district`'s whole lokus list for `year` and the decision behind it (its
/// officers): every village of the district, known, and listed once.
pub async fn set(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    (district, year): (&RegionCode, i32),
    read: ExpectedVersion,
    replacement: &LokusReplacement,
) -> Result<LokusList, ApiError> {
    caller.require_district_officer(district)?;
    let mut errors = FieldErrors::from_validation(replacement.validate());
    let mut villages: Vec<(RegionCode, Option<String>)> = Vec::with_capacity(replacement.villages.len());
    for (i, entry) in replacement.villages.iter().enumerate() {
        let field = format!("villages[{i}].village_code");
        match RegionCode::parse(&entry.village_code) {
            Ok(code) if code.level() != RegionLevel::Village => errors.add(&field, text!("must be a village code")),
            Ok(code) if !district.contains(&code) => {
                errors.add(&field, text!("is not in district %{district}", district = district))
            }
            Ok(code) if villages.iter().any(|(c, _)| *c == code) => errors.add(&field, text!("is listed twice")),
            Ok(code) => {
                let reason = text::given(entry.reason.as_deref()).map(str::to_owned);
                villages.push((code, reason));
            }
            Err(e) => errors.add(&field, e.into()),
        }
    }
    region_records::require_known(conn, district, "district")
        .await
        .map_err(|_| ApiError::not_found(text!("no district has code %{district}", district = district)))?;
    let codes: Vec<&RegionCode> = villages.iter().map(|(c, _)| c).collect();
    for unknown in unknown_villages(conn, &codes).await? {
        let i = replacement.villages.iter().position(|e| e.village_code == unknown.as_str()).unwrap_or_default();
        errors.add(&format!("villages[{i}].village_code"), text!("no village has code %{unknown}", unknown = unknown));
    }
    errors.finish()?;
    let key = format!("{district}/{year}");
    let changes = json!({"villages": villages.len(), "decision": replacement.decision.trim()});
    write::keyed(
        conn,
        caller,
        read,
        ("lokus.replace", key.as_str(), |_| changes),
        async |conn| Ok(lock_decision(conn, district, year).await?),
        |version: &i32| *version,
        async |conn, current| {
            let existed = current.is_some();
            replace(conn, district, year, replacement, &villages, existed, caller.id).await?;
            Ok(find(conn, district, year).await?)
        },
    )
    .await
}

/// The version of the district's decision for the year, its row locked for the rest of the
/// transaction; `None` while there is no decision (a replacement then writes the first one).
pub async fn lock_decision(conn: &mut AsyncPgConnection, district: &RegionCode, year: i32) -> QueryResult<Option<i32>> {
    lokus_decisions::table
        .find((district, year))
        .select(lokus_decisions::version)
        .for_update()
        .first(conn)
        .await
        .optional()
}

pub async fn find(conn: &mut AsyncPgConnection, district: &RegionCode, year: i32) -> QueryResult<LokusList> {
    let decision: Option<Decision> = lokus_decisions::table
        .find((district, year))
        .select((
            lokus_decisions::decision,
            lokus_decisions::decided_on,
            lokus_decisions::version,
            lokus_decisions::updated_at,
        ))
        .first(conn)
        .await
        .optional()?;
    let villages = lokus_villages::table
        .inner_join(regions::table.on(regions::code.eq(lokus_villages::village_code)))
        .filter(lokus_villages::district_code.eq(district).and(lokus_villages::year.eq(year)))
        .select((lokus_villages::village_code, regions::name, lokus_villages::reason))
        .order(lokus_villages::village_code)
        .load(conn)
        .await?;
    Ok(LokusList {
        district_code: district.clone(),
        year,
        decision: decision.as_ref().map(|d| d.decision.clone()),
        decided_on: decision.as_ref().and_then(|d| d.decided_on),
        version: decision.as_ref().map_or(0, |d| d.version),
        updated_at: decision.map(|d| d.updated_at),
        villages,
    })
}

/// Of `codes`, those that are not villages on record.
pub async fn unknown_villages(conn: &mut AsyncPgConnection, codes: &[&RegionCode]) -> QueryResult<Vec<RegionCode>> {
    let known: Vec<RegionCode> = regions::table
        .filter(regions::code.eq_any(codes.iter().map(|c| c.as_str())))
        .select(regions::code)
        .load(conn)
        .await?;
    Ok(codes.iter().filter(|c| !known.contains(c)).map(|c| (*c).clone()).collect())
}

/// Replaces the decision and its villages; the caller holds the decision's row lock (or
/// there was none, and a concurrent first write makes this one fail on the primary key).
pub async fn replace(
    conn: &mut AsyncPgConnection,
    district: &RegionCode,
    year: i32,
    body: &LokusReplacement,
    villages: &[(RegionCode, Option<String>)],
    existed: bool,
    by: UserId,
) -> QueryResult<()> {
    let decision = body.decision.trim();
    if existed {
        diesel::update(lokus_decisions::table.find((district, year)))
            .set((
                lokus_decisions::decision.eq(decision),
                lokus_decisions::decided_on.eq(body.decided_on),
                lokus_decisions::updated_by.eq(by),
                lokus_decisions::version.eq(lokus_decisions::version + 1),
                lokus_decisions::updated_at.eq(Utc::now()),
            ))
            .execute(conn)
            .await?;
        diesel::delete(
            lokus_villages::table.filter(lokus_villages::district_code.eq(district).and(lokus_villages::year.eq(year))),
        )
        .execute(conn)
        .await?;
    } else {
        diesel::insert_into(lokus_decisions::table)
            .values((
                lokus_decisions::district_code.eq(district),
                lokus_decisions::year.eq(year),
                lokus_decisions::decision.eq(decision),
                lokus_decisions::decided_on.eq(body.decided_on),
                lokus_decisions::updated_by.eq(by),
            ))
            .execute(conn)
            .await?;
    }
    let rows: Vec<_> = villages
        .iter()
        .map(|(code, reason)| {
            (
                lokus_villages::village_code.eq(code),
                lokus_villages::year.eq(year),
                lokus_villages::district_code.eq(district),
                lokus_villages::reason.eq(reason.as_deref()),
            )
        })
        .collect();
    diesel::insert_into(lokus_villages::table).values(rows).execute(conn).await.map(drop)
}
