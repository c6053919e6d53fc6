use actix_web::{HttpResponse, delete, get, put, web};
use diesel_async::AsyncConnection;
use validator::Validate;

use super::dto::{FigureUpdate, FiguresQuery, ListFiguresQuery, PrevalenceFigures, SurveyFigure, Target, TargetUpdate};
use crate::auth::Caller;
use crate::db::{DbPool, ReadPool};
use crate::domain::{PeriodKind, RegionCode, RegionLevel, SurveySource, year_bounds};
use crate::error::{ApiError, FieldErrors};
use crate::http::extract::{Json, Query};
use crate::http::precondition::{IfMatch, ok_with_etag};
use crate::records::figure;
use crate::records::region as region_queries;
use crate::records::stats::rates::Disclosure;
use crate::records::stats::{Breakdown, Span, prevalence};

const TAG: &str = "figures";

/// `GET /api/v1/prevalence-figures?region=&year=`: a region's official figures for the year,
/// those of the regions above it, its target (its own or the nearest above) and the prevalence
/// measured from routine measurements, side by side.
#[utoipa::path(
    tag = TAG,
    params(FiguresQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Figures, target and measured prevalence", body = PrevalenceFigures),
        (status = 403, description = "A region outside the caller's scope"),
        (status = 404, description = "No region has this code"),
        (status = 422, description = "A malformed region or year"),
    )
)]
#[get("/prevalence-figures")]
pub async fn figures(
    caller: Caller,
    Query(query): Query<FiguresQuery>,
    pool: web::Data<ReadPool>,
) -> Result<web::Json<PrevalenceFigures>, ApiError> {
    let mut errors = FieldErrors::default();
    let region = query.region.as_deref().and_then(|r| errors.check("region", RegionCode::parse(r)));
    let bounds = errors.check("year", year_bounds(query.year));
    let (from, _) = errors.finish_with(bounds)?;
    let root = caller.aggregate_scope(region)?.code().cloned();
    let mut conn = pool.get().await?;
    let region_name = match &root {
        None => "Indonesia".to_owned(),
        Some(code) => {
            region_queries::find(&mut conn, code)
                .await?
                .ok_or_else(|| ApiError::not_found(text!("no region has code %{code}", code = code)))?
                .name
        }
    };
    // Nearest first: the region, its parent, …, the nation.
    let chain = figure::nearest_first(root.as_ref());
    let surveys = figure::figures_of(&mut conn, &chain[..1], query.year).await?;
    let mut above = figure::figures_of(&mut conn, &chain[1..], query.year).await?;
    above.sort_by_key(|f| std::cmp::Reverse(f.region_code.as_ref().map_or(0, |c| c.as_str().len())));
    let target = figure::nearest_target(&mut conn, &chain, query.year).await?;
    let level = root.as_ref().map_or(RegionLevel::Province, RegionCode::level);
    let span = Span::Calendar { kind: PeriodKind::Year, starts: vec![from] };
    let ask = Breakdown { root: root.as_ref(), level, span: &span, lokus: false };
    let counted = prevalence::prevalence(&mut conn, &ask, Disclosure::new(caller.sees_small_counts())).await?;
    let measured = counted.totals.into_iter().next().filter(|total| total.measured != Some(0));
    Ok(web::Json(PrevalenceFigures {
        region_code: root,
        region_name,
        year: query.year,
        surveys,
        above,
        target,
        measured,
    }))
}

/// `GET /api/v1/survey-figures`: official figures of a region and every region under it
/// (e.g. every district of a province), oldest year first.
#[utoipa::path(
    operation_id = "list_survey_figures",
    tag = TAG,
    params(ListFiguresQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Figures by year and region (at most 10,000)", body = Vec<SurveyFigure>),
        (status = 403, description = "A region outside the caller's scope"),
        (status = 422, description = "A malformed region or year"),
    )
)]
#[get("/survey-figures")]
pub async fn list(
    caller: Caller,
    Query(query): Query<ListFiguresQuery>,
    pool: web::Data<ReadPool>,
) -> Result<web::Json<Vec<SurveyFigure>>, ApiError> {
    let mut errors = FieldErrors::default();
    let region = query.region.as_deref().and_then(|r| errors.check("region", RegionCode::parse(r)));
    if let Some(year) = query.year {
        errors.check("year", year_bounds(year));
    }
    errors.finish()?;
    let root = caller.list_scope(region)?.code().cloned();
    Ok(web::Json(figure::list(&mut *pool.get().await?, root.as_ref(), query.year, query.source).await?))
}

/// `PUT /api/v1/survey-figures/{region}/{year}/{source}`: records an official figure (officers
/// in scope; `national` figures by national accounts). `If-Match: "0"` for a new one.
#[utoipa::path(
    tag = TAG,
    params(
        ("region" = String, Path, description = "Region code, or `national`", example = "14.03"),
        ("year" = i32, Path, description = "Year", example = 2023),
        ("source" = SurveySource, Path, description = "Where the figure comes from"),
        IfMatch,
    ),
    request_body = FigureUpdate,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Recorded", body = SurveyFigure, headers(("ETag" = String))),
        (status = 403, description = "Not an officer, or a region outside the caller's scope"),
        (status = 404, description = "No region has this code"),
        (status = 422, description = "Invalid fields, or a confidence interval that does not hold the value"),
    )
)]
#[put("/survey-figures/{region}/{year}/{source}")]
pub async fn save_figure(
    caller: Caller,
    path: web::Path<(String, i32, String)>,
    if_match: IfMatch,
    Json(body): Json<FigureUpdate>,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, ApiError> {
    let mut errors = FieldErrors::from_validation(body.validate());
    let source = errors.check("source", path.2.parse::<SurveySource>());
    figure::keep::check_figure(&mut errors, &body);
    let (region, year) = region_year(&mut errors, &path.0, path.1);
    let (source, region) = errors.finish_with(source.zip(region))?;
    caller.require_figure_writer(region.as_ref())?;
    let key = (region.as_ref(), year, source);
    let mut conn = pool.get().await?;
    let figure = conn
        .transaction::<_, ApiError, _>(async |conn| {
            figure::keep::put_figure(conn, &caller, key, if_match.expected(), &body).await
        })
        .await?;
    Ok(ok_with_etag(figure.version, &figure))
}

/// `DELETE /api/v1/survey-figures/{region}/{year}/{source}`: removes a figure entered by
/// mistake (officers in scope; needs `If-Match`). The audit trail keeps its value.
#[utoipa::path(
    tag = TAG,
    params(
        ("region" = String, Path, description = "Region code, or `national`", example = "14.03"),
        ("year" = i32, Path, description = "Year", example = 2023),
        ("source" = SurveySource, Path, description = "Where the figure comes from"),
        IfMatch,
    ),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Removed"),
        (status = 403, description = "Not an officer, or a region outside the caller's scope"),
        (status = 404, description = "No such figure"),
        (status = 422, description = "A malformed region, year or source"),
    )
)]
#[delete("/survey-figures/{region}/{year}/{source}")]
pub async fn remove_figure(
    caller: Caller,
    path: web::Path<(String, i32, String)>,
    if_match: IfMatch,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, ApiError> {
    let mut errors = FieldErrors::default();
    let source = errors.check("source", path.2.parse::<SurveySource>());
    let (region, year) = region_year(&mut errors, &path.0, path.1);
    let (source, region) = errors.finish_with(source.zip(region))?;
    caller.require_figure_writer(region.as_ref())?;
    let key = (region.as_ref(), year, source);
    let mut conn = pool.get().await?;
    conn.transaction::<_, ApiError, _>(async |conn| {
        figure::keep::remove_figure(conn, &caller, key, if_match.expected()).await
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `PUT /api/v1/prevalence-targets/{region}/{year}`: sets a region's own target (officers in
/// scope; `national` by national accounts). `If-Match: "0"` when the region has none of its own.
#[utoipa::path(
    tag = TAG,
    params(
        ("region" = String, Path, description = "Region code, or `national`", example = "14.03"),
        ("year" = i32, Path, description = "Year", example = 2024),
        IfMatch,
    ),
    request_body = TargetUpdate,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Recorded", body = Target, headers(("ETag" = String))),
        (status = 403, description = "Not an officer, or a region outside the caller's scope"),
        (status = 404, description = "No region has this code"),
        (status = 422, description = "Invalid fields"),
    )
)]
#[put("/prevalence-targets/{region}/{year}")]
pub async fn save_target(
    caller: Caller,
    path: web::Path<(String, i32)>,
    if_match: IfMatch,
    Json(body): Json<TargetUpdate>,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, ApiError> {
    let mut errors = FieldErrors::from_validation(body.validate());
    let (region, year) = region_year(&mut errors, &path.0, path.1);
    let region = errors.finish_with(region)?;
    caller.require_figure_writer(region.as_ref())?;
    let mut conn = pool.get().await?;
    let target = conn
        .transaction::<_, ApiError, _>(async |conn| {
            figure::keep::put_target(conn, &caller, (region.as_ref(), year), if_match.expected(), &body).await
        })
        .await?;
    Ok(ok_with_etag(target.version, &target))
}

/// The region (`None` for `national`) and year of a path, every error recorded.
fn region_year(errors: &mut FieldErrors, raw: &str, year: i32) -> (Option<Option<RegionCode>>, i32) {
    errors.check("year", year_bounds(year));
    let region = if raw == "national" { Some(None) } else { errors.check("region", RegionCode::parse(raw)).map(Some) };
    (region, year)
}
