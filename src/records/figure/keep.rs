//! Writing survey figures and targets, whoever calls: each is kept under its natural key
//! (region or the nation, year, source), written whole through `write::keyed` with the version
//! the caller read (`0` while there is none), and audited under that key.

use serde_json::json;

use super::{FigureUpdate, SurveyFigure, Target, TargetUpdate};
use crate::auth::Caller;
use crate::db::AsyncPgConnection;
use crate::domain::{ExpectedVersion, RegionCode, SurveySource};
use crate::error::{ApiError, FieldErrors};
use crate::records::region as regions;
use crate::records::write;

/// Records what a survey found for a region (`None`: the nation) in a year.
pub async fn put_figure(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    (region, year, source): (Option<&RegionCode>, i32, SurveySource),
    read: ExpectedVersion,
    figure: &FigureUpdate,
) -> Result<SurveyFigure, ApiError> {
    caller.require_figure_writer(region)?;
    known(conn, region).await?;
    let key = figure_key(region, year, source);
    let audit =
        |_: Option<&SurveyFigure>| json!({"stunting_pct": figure.stunting_pct, "stunted_count": figure.stunted_count});
    write::keyed(
        conn,
        caller,
        read,
        ("survey_figure.save", key.as_str(), audit),
        async |conn| Ok(super::find_figure(conn, region, year, source).await?),
        |figure: &SurveyFigure| figure.version,
        async |conn, current| {
            Ok(super::save_figure(conn, current.as_ref(), (region, year, source), figure, caller.id).await?)
        },
    )
    .await
}

/// Removes a figure entered by mistake; the audit trail keeps its value.
pub async fn remove_figure(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    (region, year, source): (Option<&RegionCode>, i32, SurveySource),
    read: ExpectedVersion,
) -> Result<(), ApiError> {
    caller.require_figure_writer(region)?;
    let key = figure_key(region, year, source);
    write::keyed(
        conn,
        caller,
        read,
        (
            "survey_figure.delete",
            key.as_str(),
            |figure: Option<&SurveyFigure>| json!({"stunting_pct": figure.map(|f| f.stunting_pct)}),
        ),
        async |conn| match super::find_figure(conn, region, year, source).await? {
            None => Err(ApiError::not_found(text!("no figure for this region, year and source"))),
            found => Ok(found),
        },
        |figure: &SurveyFigure| figure.version,
        async |conn, current| match current {
            Some(figure) => Ok(super::delete_figure(conn, figure.id).await.map(drop)?),
            None => Ok(()),
        },
    )
    .await
}

/// Sets a region's own prevalence target for a year (`None`: the national one).
pub async fn put_target(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    (region, year): (Option<&RegionCode>, i32),
    read: ExpectedVersion,
    target: &TargetUpdate,
) -> Result<Target, ApiError> {
    caller.require_figure_writer(region)?;
    known(conn, region).await?;
    let key = format!("{}/{year}", region_key(region));
    write::keyed(
        conn,
        caller,
        read,
        ("prevalence_target.save", key.as_str(), |_| json!({"stunting_pct": target.stunting_pct})),
        async |conn| Ok(super::find_target(conn, region, year).await?),
        |target: &Target| target.version,
        async |conn, current| Ok(super::save_target(conn, current.as_ref(), region, year, target, caller.id).await?),
    )
    .await
}

/// What a figure must hold besides its fields' own ranges.
pub fn check_figure(errors: &mut FieldErrors, figure: &FigureUpdate) {
    if figure.stunting_pct.is_none() && figure.stunted_count.is_none() {
        errors
            .add("stunting_pct", text!("give the percentage, the count of stunted children (stunted_count), or both"));
    }
    match (figure.stunted_count, figure.measured_count) {
        (None, Some(_)) => errors.add("measured_count", text!("is the denominator of stunted_count, which is missing")),
        (Some(count), Some(measured)) if count > measured => {
            errors.add("stunted_count", text!("exceeds measured_count"))
        }
        _ => {}
    }
    match (figure.ci_low_pct, figure.ci_high_pct, figure.stunting_pct) {
        (Some(_), Some(_), None) => errors.add("ci_low_pct", text!("an interval needs stunting_pct")),
        (Some(low), Some(high), Some(pct)) if !(low <= pct && pct <= high) => {
            errors.add("ci_low_pct", text!("the interval must hold the value"))
        }
        (Some(_), None, _) | (None, Some(_), _) => {
            errors.add("ci_high_pct", text!("give both ends of the interval, or neither"))
        }
        _ => {}
    }
}

/// `14.03` or `national`: how the audit trail names a region of a figure or target.
fn region_key(region: Option<&RegionCode>) -> &str {
    region.map_or("national", RegionCode::as_str)
}

/// The audit trail's name for a figure: `<region>/<year>/<source>`.
fn figure_key(region: Option<&RegionCode>, year: i32, source: SurveySource) -> String {
    format!("{}/{year}/{}", region_key(region), source.as_str())
}

/// A figure or target of a region the hierarchy does not know is a 404.
async fn known(conn: &mut AsyncPgConnection, region: Option<&RegionCode>) -> Result<(), ApiError> {
    match region {
        Some(code) if !regions::exists(conn, code).await? => {
            Err(ApiError::not_found(text!("no region has code %{code}", code = code)))
        }
        _ => Ok(()),
    }
}
