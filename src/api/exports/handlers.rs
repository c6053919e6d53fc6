use actix_web::{HttpRequest, HttpResponse, get, web};
use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::auth::Caller;
use crate::db::ReadPool;
use crate::domain::RegionCode;
use crate::error::{ApiError, FieldErrors};
use crate::http::export;
use crate::http::extract::Query;
use crate::records::child::export::{CaseExport, ChildExport, MeasurementExport};
use crate::records::export::{self as records, Paged, Selection};
use crate::records::pregnancy::export::{PregnancyExport, ScreeningExport, TpkVisitExport};

const TAG: &str = "exports";

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// Only this region (any tier) inside the caller's scope; default the whole scope.
    #[param(example = "14.01")]
    pub region: Option<String>,
    /// From this day on (children: registered; measurements: measured; cases: open on or after;
    /// screenings: taken; pregnancies: HPHT; TPK visits: made).
    pub from: Option<NaiveDate>,
    /// Up to and including this day.
    pub to: Option<NaiveDate>,
}

/// The export of `T` the query asks for.
fn stream<T: Paged>(
    req: &HttpRequest,
    caller: &Caller,
    query: &ExportQuery,
    pool: web::Data<ReadPool>,
    name: &str,
) -> Result<HttpResponse, ApiError> {
    let selection = query.selection(caller)?;
    let read = move |after| {
        let (pool, selection) = (pool.clone(), selection.clone());
        async move { Ok(records::page::<T>(&mut *pool.get().await?, &selection, after).await?) }
    };
    let shape = export::Shape { columns: T::COLUMNS, page: records::PAGE };
    Ok(export::answer(req, name, shape, read, T::key))
}

impl ExportQuery {
    /// The records asked for, inside the caller's scope (403 for a region outside it).
    fn selection(&self, caller: &Caller) -> Result<Selection, ApiError> {
        caller.require_child_data()?;
        let mut errors = FieldErrors::default();
        let region = self.region.as_deref().and_then(|r| errors.check("region", RegionCode::parse(r)));
        errors.check_order("to", self.from, self.to, text!("must not be before from"));
        errors.finish()?;
        Ok(Selection { scope: caller.list_scope(region)?, from: self.from, to: self.to })
    }
}

/// `GET /api/v1/exports/children`: every living child of the scope, as NDJSON or CSV.
#[utoipa::path(
    operation_id = "export_children",
    tag = TAG,
    params(ExportQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The children, a line each (`Accept: text/csv` for CSV with a header row), \
            ordered by village and id; streamed",
            content((ChildExport = "application/x-ndjson"), (String = "text/csv")),
            headers(("Content-Disposition" = String))),
        (status = 403, description = "An analyst (no child-level data), or a region outside the caller's scope"),
        (status = 422, description = "An invalid parameter"),
    )
)]
#[get("/exports/children")]
pub async fn export_children(
    caller: Caller,
    req: HttpRequest,
    Query(query): Query<ExportQuery>,
    pool: web::Data<ReadPool>,
) -> Result<HttpResponse, ApiError> {
    stream::<ChildExport>(&req, &caller, &query, pool, "children")
}

/// `GET /api/v1/exports/measurements`: every measurement of the scope's living children
/// (voided ones with `voided_at`), as NDJSON or CSV.
#[utoipa::path(
    operation_id = "export_measurements",
    tag = TAG,
    params(ExportQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The measurements, a line each (`Accept: text/csv` for CSV with a header row), \
            ordered by village, child and id; streamed",
            content((MeasurementExport = "application/x-ndjson"), (String = "text/csv")),
            headers(("Content-Disposition" = String))),
        (status = 403, description = "An analyst (no child-level data), or a region outside the caller's scope"),
        (status = 422, description = "An invalid parameter"),
    )
)]
#[get("/exports/measurements")]
pub async fn export_measurements(
    caller: Caller,
    req: HttpRequest,
    Query(query): Query<ExportQuery>,
    pool: web::Data<ReadPool>,
) -> Result<HttpResponse, ApiError> {
    stream::<MeasurementExport>(&req, &caller, &query, pool, "measurements")
}

/// `GET /api/v1/exports/cases`: every stunting case of the scope's living children (voided
/// ones with status `void`) open at some time in the period, as NDJSON or CSV.
#[utoipa::path(
    operation_id = "export_cases",
    tag = TAG,
    params(ExportQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The cases, a line each (`Accept: text/csv` for CSV with a header row), \
            ordered by village and id; streamed",
            content((CaseExport = "application/x-ndjson"), (String = "text/csv")),
            headers(("Content-Disposition" = String))),
        (status = 403, description = "An analyst (no child-level data), or a region outside the caller's scope"),
        (status = 422, description = "An invalid parameter"),
    )
)]
#[get("/exports/cases")]
pub async fn export_cases(
    caller: Caller,
    req: HttpRequest,
    Query(query): Query<ExportQuery>,
    pool: web::Data<ReadPool>,
) -> Result<HttpResponse, ApiError> {
    stream::<CaseExport>(&req, &caller, &query, pool, "cases")
}

/// `GET /api/v1/exports/screenings`: every catin screening of the scope's living people taken in the period (voided ones with `voided_at`), as NDJSON or CSV.
#[utoipa::path(
    operation_id = "export_screenings",
    tag = TAG,
    params(ExportQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The screenings, a line each (`Accept: text/csv` for CSV with a header row), \
            ordered by village and id; streamed",
            content((ScreeningExport = "application/x-ndjson"), (String = "text/csv")),
            headers(("Content-Disposition" = String))),
        (status = 403, description = "An analyst (no personal data), or a region outside the caller's scope"),
        (status = 422, description = "An invalid parameter"),
    )
)]
#[get("/exports/screenings")]
pub async fn export_screenings(
    caller: Caller,
    req: HttpRequest,
    Query(query): Query<ExportQuery>,
    pool: web::Data<ReadPool>,
) -> Result<HttpResponse, ApiError> {
    stream::<ScreeningExport>(&req, &caller, &query, pool, "screenings")
}

/// `GET /api/v1/exports/pregnancies`: every living pregnancy of the scope with HPHT in the period, with what its visits and outcome add up to, as NDJSON or CSV.
#[utoipa::path(
    operation_id = "export_pregnancies",
    tag = TAG,
    params(ExportQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The pregnancies, a line each (`Accept: text/csv` for CSV with a header row), \
            ordered by village and id; streamed",
            content((PregnancyExport = "application/x-ndjson"), (String = "text/csv")),
            headers(("Content-Disposition" = String))),
        (status = 403, description = "An analyst (no personal data), or a region outside the caller's scope"),
        (status = 422, description = "An invalid parameter"),
    )
)]
#[get("/exports/pregnancies")]
pub async fn export_pregnancies(
    caller: Caller,
    req: HttpRequest,
    Query(query): Query<ExportQuery>,
    pool: web::Data<ReadPool>,
) -> Result<HttpResponse, ApiError> {
    stream::<PregnancyExport>(&req, &caller, &query, pool, "pregnancies")
}

/// `GET /api/v1/exports/tpk-visits`: every TPK visit of the scope made in the period (voided ones with `voided_at`), as NDJSON or CSV.
#[utoipa::path(
    operation_id = "export_tpk_visits",
    tag = TAG,
    params(ExportQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The visits, a line each (`Accept: text/csv` for CSV with a header row), \
            ordered by village and id; streamed",
            content((TpkVisitExport = "application/x-ndjson"), (String = "text/csv")),
            headers(("Content-Disposition" = String))),
        (status = 403, description = "An analyst (no personal data), or a region outside the caller's scope"),
        (status = 422, description = "An invalid parameter"),
    )
)]
#[get("/exports/tpk-visits")]
pub async fn export_tpk_visits(
    caller: Caller,
    req: HttpRequest,
    Query(query): Query<ExportQuery>,
    pool: web::Data<ReadPool>,
) -> Result<HttpResponse, ApiError> {
    stream::<TpkVisitExport>(&req, &caller, &query, pool, "tpk-visits")
}
