use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::domain::{RegionCode, SurveySource};
use crate::records::stats::prevalence::PrevalenceRow;

pub use crate::records::figure::{FigureUpdate, SurveyFigure, Target, TargetUpdate};

/// Official figures, the target and the measured prevalence of a region and year, side by side.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "region_code": "14.03", "region_name": "Kabupaten Bengkalis", "year": 2023,
    "surveys": [{"id": "0192b7a4-0000-7000-8000-0000000000a1", "region_code": "14.03", "year": 2023, "source": "other",
                 "stunting_pct": 8.4, "stunted_count": null, "measured_count": null, "ci_low_pct": null, "ci_high_pct": null,
                 "note": "Stated at the TPPS technical coordination meeting, 5 December 2023", "version": 1,
                 "updated_at": "2023-12-05T00:00:00Z"}],
    "above": [{"id": "00000000-0000-7000-8000-000000002023", "region_code": null, "year": 2023, "source": "ski",
               "stunting_pct": 21.5, "stunted_count": null, "measured_count": null, "ci_low_pct": null,
               "ci_high_pct": null, "note": "Survei Kesehatan Indonesia 2023",
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
