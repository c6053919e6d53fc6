use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::api::stats::prevalence::PrevalenceRow;
use crate::db::schema::{prevalence_targets, survey_figures};
use crate::domain::{FigureId, RegionCode, SurveySource};

/// An official stunting prevalence figure (survey or report) for a region and year.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Queryable, Selectable)]
#[diesel(table_name = survey_figures)]
#[schema(example = json!({
    "id": "0192b7a4-0000-7000-8000-0000000000a1", "region_code": "14.03", "year": 2023, "source": "other",
    "stunting_pct": 8.4, "ci_low_pct": null, "ci_high_pct": null,
    "note": "Stated at the TPPS technical coordination meeting, 5 December 2023", "version": 1,
    "updated_at": "2023-12-05T00:00:00Z"
}))]
pub struct SurveyFigure {
    pub id: FigureId,
    /// `null`: all of Indonesia.
    pub region_code: Option<RegionCode>,
    pub year: i32,
    pub source: SurveySource,
    pub stunting_pct: f64,
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

/// Official figures, the target and the measured prevalence of a region and year, side by side.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "region_code": "14.03", "region_name": "Kabupaten Bengkalis", "year": 2023,
    "surveys": [{"id": "0192b7a4-0000-7000-8000-0000000000a1", "region_code": "14.03", "year": 2023, "source": "other",
                 "stunting_pct": 8.4, "ci_low_pct": null, "ci_high_pct": null,
                 "note": "Stated at the TPPS technical coordination meeting, 5 December 2023", "version": 1,
                 "updated_at": "2023-12-05T00:00:00Z"}],
    "above": [{"id": "00000000-0000-7000-8000-000000002023", "region_code": null, "year": 2023, "source": "ski",
               "stunting_pct": 21.5, "ci_low_pct": null, "ci_high_pct": null, "note": "Survei Kesehatan Indonesia 2023",
               "version": 1, "updated_at": "2026-11-23T00:00:00Z"}],
    "target": null, "measured": null
}))]
pub struct PrevalenceFigures {
    /// `null`: all of Indonesia.
    pub region_code: Option<RegionCode>,
    pub region_name: String,
    pub year: i32,
    /// The region's own official figures for the year.
    pub surveys: Vec<SurveyFigure>,
    /// Official figures of the regions above it (province, then the nation), for comparison.
    pub above: Vec<SurveyFigure>,
    /// The region's target, or the nearest one above it (the national default).
    pub target: Option<Target>,
    /// Prevalence from routine measurements in the year; `null` until children are measured.
    pub measured: Option<PrevalenceRow>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FiguresQuery {
    /// A region code (default: the caller's scope; all of Indonesia for national accounts).
    #[param(example = "14.03")]
    pub region: Option<String>,
    #[param(example = 2023)]
    pub year: i32,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListFiguresQuery {
    /// Figures of this region and every region under it (default: the caller's scope).
    #[param(example = "14")]
    pub region: Option<String>,
    pub year: Option<i32>,
    pub source: Option<SurveySource>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"stunting_pct": 11.0, "note": "Stated by the regent at the Rembuk Stunting, 7 April 2022"}))]
pub struct FigureUpdate {
    #[validate(range(min = 0.0, max = 100.0))]
    #[schema(minimum = 0.0, maximum = 100.0)]
    pub stunting_pct: f64,
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
