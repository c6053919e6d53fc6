//! The province's assessment score of a district for a year.

use crate::db::schema::convergence_assessments;
use crate::domain::text;
use crate::domain::{RegionCode, UserId};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

#[derive(Queryable)]
struct AssessmentRow {
    score: f64,
    notes: Option<String>,
    version: i32,
    updated_at: DateTime<Utc>,
}

impl From<AssessmentRow> for Assessment {
    fn from(r: AssessmentRow) -> Self {
        Assessment { score: r.score, notes: r.notes, version: r.version, updated_at: r.updated_at }
    }
}

pub async fn assessment(
    conn: &mut AsyncPgConnection,
    district: &RegionCode,
    year: i32,
    lock: bool,
) -> QueryResult<Option<Assessment>> {
    let query = convergence_assessments::table.find((district, year)).select((
        convergence_assessments::score,
        convergence_assessments::notes,
        convergence_assessments::version,
        convergence_assessments::updated_at,
    ));
    let row: Option<AssessmentRow> =
        if lock { query.for_update().first(conn).await.optional()? } else { query.first(conn).await.optional()? };
    Ok(row.map(Assessment::from))
}

/// Records the score: inserts the first one (a concurrent first score makes this one fail on
/// the primary key), or bumps the version of the one there, whose row the caller holds locked.
pub async fn save_assessment(
    conn: &mut AsyncPgConnection,
    (district, year): (&RegionCode, i32),
    existed: bool,
    body: &AssessmentUpdate,
    by: UserId,
) -> QueryResult<Assessment> {
    let notes = text::given(body.notes.as_deref());
    let returned = (
        convergence_assessments::score,
        convergence_assessments::notes,
        convergence_assessments::version,
        convergence_assessments::updated_at,
    );
    let row: AssessmentRow = if existed {
        diesel::update(convergence_assessments::table.find((district, year)))
            .set((
                convergence_assessments::score.eq(body.score),
                convergence_assessments::notes.eq(notes),
                convergence_assessments::assessed_by.eq(by),
                convergence_assessments::version.eq(convergence_assessments::version + 1),
                convergence_assessments::updated_at.eq(Utc::now()),
            ))
            .returning(returned)
            .get_result(conn)
            .await?
    } else {
        diesel::insert_into(convergence_assessments::table)
            .values((
                convergence_assessments::district_code.eq(district),
                convergence_assessments::year.eq(year),
                convergence_assessments::score.eq(body.score),
                convergence_assessments::notes.eq(notes),
                convergence_assessments::assessed_by.eq(by),
            ))
            .returning(returned)
            .get_result(conn)
            .await?
    };
    Ok(row.into())
}

/// The province's performance assessment of a district for a year.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"score": 87.5, "notes": "all 8 actions documented", "version": 1,
    "updated_at": "2022-03-01T00:00:00Z"}))]
pub struct Assessment {
    /// 0 to 100.
    pub score: f64,
    pub notes: Option<String>,
    pub version: i32,
    pub updated_at: DateTime<Utc>,
}

/// The province's score for a district.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"score": 87.5, "notes": "all 8 actions documented"}))]
pub struct AssessmentUpdate {
    #[validate(range(min = 0.0, max = 100.0))]
    #[schema(minimum = 0.0, maximum = 100.0)]
    pub score: f64,
    #[validate(length(max = 4000))]
    #[schema(max_length = 4000)]
    pub notes: Option<String>,
}
