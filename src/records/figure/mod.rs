pub mod keep;

use crate::db::schema::{prevalence_targets, survey_figures};
use crate::domain::text;
use crate::domain::{FigureId, RegionCode, SurveySource, UserId};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

/// Figures of exactly these regions (`None`: the nation) for `year`, by source.
pub async fn figures_of(
    conn: &mut AsyncPgConnection,
    regions: &[Option<RegionCode>],
    year: i32,
) -> QueryResult<Vec<SurveyFigure>> {
    let codes: Vec<&str> = regions.iter().flatten().map(RegionCode::as_str).collect();
    let mut query =
        survey_figures::table.filter(survey_figures::year.eq(year)).select(SurveyFigure::as_select()).into_boxed();
    query = if regions.contains(&None) {
        query.filter(survey_figures::region_code.eq_any(codes).or(survey_figures::region_code.is_null()))
    } else {
        query.filter(survey_figures::region_code.eq_any(codes))
    };
    query.order((survey_figures::region_code.desc(), survey_figures::source)).load(conn).await
}

/// Figures of `root` and every region under it (the whole country and the national figures
/// when `None`).
pub async fn list(
    conn: &mut AsyncPgConnection,
    root: Option<&RegionCode>,
    year: Option<i32>,
    source: Option<SurveySource>,
) -> QueryResult<Vec<SurveyFigure>> {
    let mut query = survey_figures::table.select(SurveyFigure::as_select()).into_boxed();
    if let Some(code) = root {
        query = query
            .filter(survey_figures::region_code.ge(code.to_string()))
            .filter(survey_figures::region_code.lt(code.subtree_end()));
    }
    if let Some(year) = year {
        query = query.filter(survey_figures::year.eq(year));
    }
    if let Some(source) = source {
        query = query.filter(survey_figures::source.eq(source));
    }
    query
        .order((survey_figures::year, survey_figures::region_code.asc().nulls_first(), survey_figures::source))
        .limit(10_000)
        .load(conn)
        .await
}

/// Figures of exactly `region` (`None`: the nation) from `first` to `last` year, by year and
/// source.
pub async fn series_of(
    conn: &mut AsyncPgConnection,
    region: Option<&RegionCode>,
    first: i32,
    last: i32,
) -> QueryResult<Vec<SurveyFigure>> {
    let query = survey_figures::table
        .filter(survey_figures::year.between(first, last))
        .select(SurveyFigure::as_select())
        .order((survey_figures::year, survey_figures::source))
        .into_boxed();
    match region {
        Some(code) => query.filter(survey_figures::region_code.eq(code)).load(conn).await,
        None => query.filter(survey_figures::region_code.is_null()).load(conn).await,
    }
}

pub async fn find_figure(
    conn: &mut AsyncPgConnection,
    region: Option<&RegionCode>,
    year: i32,
    source: SurveySource,
) -> QueryResult<Option<SurveyFigure>> {
    let query = survey_figures::table
        .filter(survey_figures::year.eq(year))
        .filter(survey_figures::source.eq(source))
        .select(SurveyFigure::as_select())
        .for_update();
    match region {
        Some(code) => query.filter(survey_figures::region_code.eq(code)).first(conn).await.optional(),
        None => query.filter(survey_figures::region_code.is_null()).first(conn).await.optional(),
    }
}

async fn save_figure(
    conn: &mut AsyncPgConnection,
    current: Option<&SurveyFigure>,
    key: (Option<&RegionCode>, i32, SurveySource),
    body: &FigureUpdate,
    by: UserId,
) -> QueryResult<SurveyFigure> {
    let note = text::given(body.note.as_deref());
    let values = (
        survey_figures::stunting_pct.eq(body.stunting_pct),
        survey_figures::stunted_count.eq(body.stunted_count),
        survey_figures::measured_count.eq(body.measured_count),
        survey_figures::ci_low_pct.eq(body.ci_low_pct),
        survey_figures::ci_high_pct.eq(body.ci_high_pct),
        survey_figures::note.eq(note),
        survey_figures::updated_by.eq(by),
    );
    match current {
        Some(figure) => {
            diesel::update(survey_figures::table.find(figure.id))
                .set((
                    values,
                    survey_figures::version.eq(survey_figures::version + 1),
                    survey_figures::updated_at.eq(Utc::now()),
                ))
                .returning(SurveyFigure::as_returning())
                .get_result(conn)
                .await
        }
        None => {
            let (region, year, source) = key;
            diesel::insert_into(survey_figures::table)
                .values((
                    survey_figures::id.eq(FigureId::new()),
                    survey_figures::region_code.eq(region),
                    survey_figures::year.eq(year),
                    survey_figures::source.eq(source),
                    values,
                ))
                .returning(SurveyFigure::as_returning())
                .get_result(conn)
                .await
        }
    }
}

async fn delete_figure(conn: &mut AsyncPgConnection, id: FigureId) -> QueryResult<usize> {
    diesel::delete(survey_figures::table.find(id)).execute(conn).await
}

/// `root`, then each region above it, then the nation (`None`): where a figure or target is
/// looked for, nearest first.
pub fn nearest_first(root: Option<&RegionCode>) -> Vec<Option<RegionCode>> {
    let mut chain = vec![root.cloned()];
    if let Some(code) = root {
        chain.extend(code.ancestors().into_iter().rev().map(Some));
        chain.push(None);
    }
    chain
}

/// The target for `year` of the first of `regions` (nearest first; `None` is the nation)
/// that has one.
pub async fn nearest_target(
    conn: &mut AsyncPgConnection,
    regions: &[Option<RegionCode>],
    year: i32,
) -> QueryResult<Option<Target>> {
    let targets: Vec<Target> = prevalence_targets::table
        .filter(prevalence_targets::year.eq(year))
        .filter(
            prevalence_targets::region_code
                .eq_any(regions.iter().flatten().map(RegionCode::as_str).collect::<Vec<_>>())
                .or(prevalence_targets::region_code.is_null()),
        )
        .select(Target::as_select())
        .load(conn)
        .await?;
    Ok(regions.iter().find_map(|region| targets.iter().find(|t| t.region_code == *region).cloned()))
}

pub async fn find_target(
    conn: &mut AsyncPgConnection,
    region: Option<&RegionCode>,
    year: i32,
) -> QueryResult<Option<Target>> {
    let query =
        prevalence_targets::table.filter(prevalence_targets::year.eq(year)).select(Target::as_select()).for_update();
    match region {
        Some(code) => query.filter(prevalence_targets::region_code.eq(code)).first(conn).await.optional(),
        None => query.filter(prevalence_targets::region_code.is_null()).first(conn).await.optional(),
    }
}

async fn save_target(
    conn: &mut AsyncPgConnection,
    current: Option<&Target>,
    region: Option<&RegionCode>,
    year: i32,
    body: &TargetUpdate,
    by: UserId,
) -> QueryResult<Target> {
    let basis = text::given(body.basis.as_deref());
    let values = (
        prevalence_targets::stunting_pct.eq(body.stunting_pct),
        prevalence_targets::basis.eq(basis),
        prevalence_targets::updated_by.eq(by),
    );
    match current {
        Some(target) => {
            diesel::update(prevalence_targets::table.find(target.id))
                .set((
                    values,
                    prevalence_targets::version.eq(prevalence_targets::version + 1),
                    prevalence_targets::updated_at.eq(Utc::now()),
                ))
                .returning(Target::as_returning())
                .get_result(conn)
                .await
        }
        None => {
            diesel::insert_into(prevalence_targets::table)
                .values((
                    prevalence_targets::id.eq(FigureId::new()),
                    prevalence_targets::region_code.eq(region),
                    prevalence_targets::year.eq(year),
                    values,
                ))
                .returning(Target::as_returning())
                .get_result(conn)
                .await
        }
    }
}

/// An official stunting figure (survey or report) for a region and year: a percentage, a
/// count of stunted children, or both.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Queryable, Selectable)]
#[diesel(table_name = survey_figures)]
#[schema(example = json!({
    "id": "0192b7a4-0000-7000-8000-0000000000a1", "region_code": "14.03", "year": 2023, "source": "other",
    "stunting_pct": 8.4, "stunted_count": null, "measured_count": null, "ci_low_pct": null, "ci_high_pct": null,
    "note": "Stated at the TPPS technical coordination meeting, 5 December 2023", "version": 1,
    "updated_at": "2023-12-05T00:00:00Z"
}))]
pub struct SurveyFigure {
    pub id: FigureId,
    /// `null`: all of Indonesia.
    pub region_code: Option<RegionCode>,
    pub year: i32,
    pub source: SurveySource,
    /// The reported prevalence; `null` when the report gives a count only.
    pub stunting_pct: Option<f64>,
    /// The reported number of stunted children, where the report gives one.
    pub stunted_count: Option<i32>,
    /// The children the count is out of, where the report says.
    pub measured_count: Option<i32>,
    /// The published 95% confidence interval, where there is one.
    pub ci_low_pct: Option<f64>,
    pub ci_high_pct: Option<f64>,
    pub note: Option<String>,
    pub version: i32,
    pub updated_at: DateTime<Utc>,
}

/// A stunting prevalence target for a region and year.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Queryable, Selectable)]
#[diesel(table_name = prevalence_targets)]
#[schema(example = json!({"id": "00000000-0000-7000-8000-000000012024", "region_code": null, "year": 2024,
    "stunting_pct": 14.0, "basis": "Perpres 72/2021", "version": 1, "updated_at": "2026-11-23T00:00:00Z"}))]
pub struct Target {
    pub id: FigureId,
    /// `null`: the national target, which applies where a region sets none.
    pub region_code: Option<RegionCode>,
    pub year: i32,
    pub stunting_pct: f64,
    /// The regulation or plan that sets it.
    pub basis: Option<String>,
    pub version: i32,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"stunting_pct": 11.0, "note": "Stated by the regent at the Rembuk Stunting, 7 April 2022"}))]
pub struct FigureUpdate {
    /// The reported prevalence; give it, `stunted_count`, or both.
    #[validate(range(min = 0.0, max = 100.0))]
    #[schema(minimum = 0.0, maximum = 100.0)]
    pub stunting_pct: Option<f64>,
    /// The reported number of stunted children (Kampar: 1,300 → 679 → 605).
    #[validate(range(min = 0, max = 100_000_000))]
    #[schema(minimum = 0, maximum = 100_000_000)]
    pub stunted_count: Option<i32>,
    /// The children the count is out of, when the report says; needs `stunted_count`.
    #[validate(range(min = 1, max = 100_000_000))]
    #[schema(minimum = 1, maximum = 100_000_000)]
    pub measured_count: Option<i32>,
    #[validate(range(min = 0.0, max = 100.0))]
    #[schema(minimum = 0.0, maximum = 100.0)]
    pub ci_low_pct: Option<f64>,
    #[validate(range(min = 0.0, max = 100.0))]
    #[schema(minimum = 0.0, maximum = 100.0)]
    pub ci_high_pct: Option<f64>,
    #[validate(length(max = 1000))]
    #[schema(max_length = 1000)]
    pub note: Option<String>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"stunting_pct": 12.0, "basis": "RPJMD Kabupaten Bengkalis 2021-2026"}))]
pub struct TargetUpdate {
    #[validate(range(min = 0.0, max = 100.0))]
    #[schema(minimum = 0.0, maximum = 100.0)]
    pub stunting_pct: f64,
    #[validate(length(max = 300))]
    #[schema(max_length = 300)]
    pub basis: Option<String>,
}
