use chrono::Utc;
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use super::dto::{FigureUpdate, SurveyFigure, Target, TargetUpdate};
use crate::db::schema::{prevalence_targets, survey_figures};
use crate::domain::{FigureId, RegionCode, SurveySource, UserId};

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

pub async fn save_figure(
    conn: &mut AsyncPgConnection,
    current: Option<&SurveyFigure>,
    key: (Option<&RegionCode>, i32, SurveySource),
    body: &FigureUpdate,
    by: UserId,
) -> QueryResult<SurveyFigure> {
    let note = body.note.as_deref().map(str::trim).filter(|n| !n.is_empty());
    let values = (
        survey_figures::stunting_pct.eq(body.stunting_pct),
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

pub async fn delete_figure(conn: &mut AsyncPgConnection, id: FigureId) -> QueryResult<usize> {
    diesel::delete(survey_figures::table.find(id)).execute(conn).await
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

pub async fn save_target(
    conn: &mut AsyncPgConnection,
    current: Option<&Target>,
    region: Option<&RegionCode>,
    year: i32,
    body: &TargetUpdate,
    by: UserId,
) -> QueryResult<Target> {
    let basis = body.basis.as_deref().map(str::trim).filter(|b| !b.is_empty());
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
