//! The catin screening's thresholds, versioned: sources disagree (on haemoglobin above all), so
//! they are settings an admin changes with their source named, and every screening keeps the
//! version it was judged under. A change adds a version; none is ever edited.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use validator::Validate;

use crate::auth::Caller;
use crate::db::schema::catin_thresholds;
use crate::domain::{CatinThresholds, ExpectedVersion, UserId};
use crate::error::ApiError;
use crate::records::write;

/// One version of the thresholds, with where its values come from.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Queryable, Selectable)]
#[diesel(table_name = catin_thresholds)]
#[schema(example = json!({
    "version": 1, "min_age_women": 20, "max_age_women": 35, "min_bmi": 18.5, "min_muac_cm": 23.5,
    "min_hb_women": 12.0, "min_hb_men": 13.0,
    "source": "Age 20-35: BKKBN Elsimil. BMI < 18.5: WHO. LiLA < 23.5 cm: Kemenkes KEK. Hb: WHO 2011.",
    "created_by": null, "created_at": "2026-12-04T00:00:00Z"
}))]
pub struct ThresholdsVersion {
    /// Send it back as `If-Match` to set the next version.
    pub version: i32,
    /// A woman younger than this is at risk (`too_young`).
    pub min_age_women: i16,
    /// A woman older than this is at risk (`too_old`).
    pub max_age_women: i16,
    /// A body mass index below this is `underweight`.
    pub min_bmi: f64,
    /// A woman's LiLA below this is `kek` (chronic energy deficiency).
    pub min_muac_cm: f64,
    /// A woman's haemoglobin below this (g/dL) is `anaemia`.
    pub min_hb_women: f64,
    /// A man's haemoglobin below this (g/dL) is `anaemia`.
    pub min_hb_men: f64,
    /// Where the values come from.
    pub source: String,
    pub created_by: Option<UserId>,
    pub created_at: DateTime<Utc>,
}

impl ThresholdsVersion {
    pub fn thresholds(&self) -> CatinThresholds {
        CatinThresholds {
            min_age_women: self.min_age_women,
            max_age_women: self.max_age_women,
            min_bmi: self.min_bmi,
            min_muac_cm: self.min_muac_cm,
            min_hb_women: self.min_hb_women,
            min_hb_men: self.min_hb_men,
        }
    }
}

/// The next version of the thresholds: every value, and its source.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[validate(schema(function = "ages_in_order"))]
#[schema(example = json!({
    "min_age_women": 20, "max_age_women": 35, "min_bmi": 18.5, "min_muac_cm": 23.5,
    "min_hb_women": 11.0, "min_hb_men": 13.0,
    "source": "Hb < 11 g/dL for women as the district's Elsimil training material (2024) states"
}))]
pub struct NewThresholds {
    #[validate(range(min = 10, max = 30))]
    #[schema(minimum = 10, maximum = 30)]
    pub min_age_women: i16,
    #[validate(range(min = 30, max = 60))]
    #[schema(minimum = 30, maximum = 60)]
    pub max_age_women: i16,
    #[validate(range(min = 10.0, max = 30.0))]
    #[schema(minimum = 10.0, maximum = 30.0)]
    pub min_bmi: f64,
    #[validate(range(min = 15.0, max = 35.0))]
    #[schema(minimum = 15.0, maximum = 35.0)]
    pub min_muac_cm: f64,
    #[validate(range(min = 7.0, max = 16.0))]
    #[schema(minimum = 7.0, maximum = 16.0)]
    pub min_hb_women: f64,
    #[validate(range(min = 7.0, max = 18.0))]
    #[schema(minimum = 7.0, maximum = 18.0)]
    pub min_hb_men: f64,
    /// Where the values come from: a regulation, a guideline, a training module.
    #[validate(length(min = 3, max = 2000), custom(function = "crate::domain::text::non_blank"))]
    #[schema(min_length = 3, max_length = 2000)]
    pub source: String,
}

fn ages_in_order(t: &NewThresholds) -> Result<(), validator::ValidationError> {
    match t.min_age_women < t.max_age_women {
        true => Ok(()),
        false => {
            Err(validator::ValidationError::new("ages")
                .with_message("min_age_women must be below max_age_women".into()))
        }
    }
}

/// Every version, oldest first; the last is the one new screenings are judged by.
pub async fn all(conn: &mut AsyncPgConnection) -> QueryResult<Vec<ThresholdsVersion>> {
    catin_thresholds::table.select(ThresholdsVersion::as_select()).order(catin_thresholds::version).load(conn).await
}

/// The version new screenings are judged by (migration 000023 always leaves one).
pub async fn current(conn: &mut AsyncPgConnection) -> QueryResult<ThresholdsVersion> {
    latest(conn, false).await
}

/// The last version, locked for the rest of the transaction when `lock`.
async fn latest(conn: &mut AsyncPgConnection, lock: bool) -> QueryResult<ThresholdsVersion> {
    let query = catin_thresholds::table.select(ThresholdsVersion::as_select()).order(catin_thresholds::version.desc());
    if lock { query.for_update().first(conn).await } else { query.first(conn).await }
}

/// Sets the next version (admins only), if the caller read the current one (`If-Match`): 412
/// when another change came first. Screenings already recorded keep the version they were
/// judged under.
pub async fn set(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    read: ExpectedVersion,
    new: &NewThresholds,
) -> Result<ThresholdsVersion, ApiError> {
    caller.require_admin()?;
    let lock = async |conn: &mut AsyncPgConnection| -> Result<Option<ThresholdsVersion>, ApiError> {
        Ok(Some(latest(conn, true).await?))
    };
    let changes = |before: Option<&ThresholdsVersion>| json!({ "from_version": before.map(|b| b.version), "source": new.source.trim() });
    write::keyed(
        conn,
        caller,
        read,
        ("catin_thresholds.set", "catin_thresholds", changes),
        lock,
        |current| current.version,
        async |conn, current| {
            let version = current.map_or(1, |c| c.version + 1);
            Ok(diesel::insert_into(catin_thresholds::table)
                .values((
                    catin_thresholds::version.eq(version),
                    catin_thresholds::min_age_women.eq(new.min_age_women),
                    catin_thresholds::max_age_women.eq(new.max_age_women),
                    catin_thresholds::min_bmi.eq(new.min_bmi),
                    catin_thresholds::min_muac_cm.eq(new.min_muac_cm),
                    catin_thresholds::min_hb_women.eq(new.min_hb_women),
                    catin_thresholds::min_hb_men.eq(new.min_hb_men),
                    catin_thresholds::source.eq(new.source.trim()),
                    catin_thresholds::created_by.eq(caller.id),
                ))
                .returning(ThresholdsVersion::as_returning())
                .get_result(conn)
                .await?)
        },
    )
    .await
}
