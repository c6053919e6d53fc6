use crate::domain::PosyanduId;
use actix_web::http::header;
use actix_web::{HttpResponse, delete, get, post, web};
use chrono::NaiveDate;
use diesel_async::AsyncConnection;
use validator::Validate;

use super::dto::{CheckMeasurement, CreateMeasurement, GrowthChart, ListMeasurementsQuery, MeasurementView};
use crate::api::children::RemovalReason;
use crate::auth::Caller;
use crate::db::DbPool;
use crate::domain::page::{Page, PageRequest};
use crate::domain::text;
use crate::domain::{ChildId, MeasurementId, latest_local_date};
use crate::error::{ApiError, FieldErrors};
use crate::http::extract::{Json, Query};
use crate::records::child as children;
use crate::records::child::measurements::{self, Incoming};
use crate::records::child::scoring::Measured;

const TAG: &str = "measurements";

/// `GET /api/v1/children/{id}/measurements`: the child's measurements by date.
#[utoipa::path(
    operation_id = "list_measurements",
    tag = TAG,
    params(("id" = Uuid, Path, description = "Child id"), ListMeasurementsQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of measurements, oldest first", body = Page<MeasurementView>),
        (status = 400, description = "A cursor this list did not give out"),
        (status = 403, description = "An analyst, or a child outside the caller's scope"),
        (status = 404, description = "No such child"),
        (status = 422, description = "An invalid parameter"),
    )
)]
#[get("/children/{id}/measurements")]
pub async fn list(
    caller: Caller,
    path: web::Path<ChildId>,
    Query(query): Query<ListMeasurementsQuery>,
    pool: web::Data<DbPool>,
) -> Result<web::Json<Page<MeasurementView>>, ApiError> {
    let page = PageRequest::<(NaiveDate, MeasurementId)>::parse(query.limit, query.cursor.as_deref())?;
    let mut conn = pool.get().await?;
    let child = children::find(&mut conn, &caller, *path).await?;
    let rows = measurements::list(&mut conn, &child, query.include_voided.unwrap_or(false), &page).await?;
    let page = page.page(rows, |m| (m.measured_on, m.id));
    Ok(web::Json(Page { items: page.items.into_iter().map(Into::into).collect(), next_cursor: page.next_cursor }))
}

/// `POST /api/v1/children/{id}/measurements`: records a measurement; the server scores it and
/// opens, updates or resolves the child's stunting case.
#[utoipa::path(
    operation_id = "create_measurement",
    tag = TAG,
    params(("id" = Uuid, Path, description = "Child id")),
    request_body = CreateMeasurement,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Recorded and scored", body = MeasurementView, headers(("Location" = String))),
        (status = 200, description = "The same measurement was already recorded with this id (a retry)", body = MeasurementView),
        (status = 403, description = "An analyst, or a child outside the caller's scope"),
        (status = 404, description = "No such child"),
        (status = 409, description = "A different measurement already has this id"),
        (status = 422, description = "Invalid fields: a date in the future or before birth, an age of 60 months or more, a length outside 38–130 cm, a weight outside 0.9–58 kg, a missing position"),
    )
)]
#[post("/children/{id}/measurements")]
pub async fn create(
    caller: Caller,
    path: web::Path<ChildId>,
    Json(body): Json<CreateMeasurement>,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, ApiError> {
    caller.require_child_data()?;
    let mut errors = FieldErrors::from_validation(body.validate());
    if body.measured_on > latest_local_date() {
        errors.add("measured_on", text!("is in the future"));
    }
    errors.finish()?;
    let child_id = *path;
    let incoming = Incoming {
        id: body.id.map_or_else(MeasurementId::new, MeasurementId),
        measured: Measured {
            measured_on: body.measured_on,
            length_cm: body.length_cm,
            position: body.position,
            weight_kg: body.weight_kg,
            oedema: body.oedema,
        },
        place: body.place,
        measured_by: text::given(body.measured_by.as_deref()).map(str::to_owned),
        posyandu_id: body.posyandu_id.map(PosyanduId),
        reported_age_months: body.reported_age_months,
    };
    let mut conn = pool.get().await?;
    let (row, created) = conn
        .transaction::<_, ApiError, _>(async |conn| measurements::record(conn, &caller, child_id, &incoming).await)
        .await?;
    let view = MeasurementView::from(row);
    if created {
        Ok(HttpResponse::Created()
            .insert_header((header::LOCATION, format!("/api/v1/children/{child_id}/measurements/{}", view.id)))
            .json(view))
    } else {
        Ok(HttpResponse::Ok().json(view))
    }
}

/// `GET /api/v1/children/{id}/measurements/{measurement_id}`: one measurement.
#[utoipa::path(
    operation_id = "get_measurement",
    tag = TAG,
    params(("id" = Uuid, Path, description = "Child id"), ("measurement_id" = Uuid, Path, description = "Measurement id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The measurement", body = MeasurementView),
        (status = 403, description = "An analyst, or a child outside the caller's scope"),
        (status = 404, description = "No such child or measurement"),
        (status = 422, description = "A malformed id"),
    )
)]
#[get("/children/{id}/measurements/{measurement_id}")]
pub async fn get(
    caller: Caller,
    path: web::Path<(ChildId, MeasurementId)>,
    pool: web::Data<DbPool>,
) -> Result<web::Json<MeasurementView>, ApiError> {
    let (child_id, id) = path.into_inner();
    let mut conn = pool.get().await?;
    let child = children::find(&mut conn, &caller, child_id).await?;
    let row = measurements::find(&mut conn, &child, id).await?;
    Ok(web::Json(row.into()))
}

/// `DELETE /api/v1/children/{id}/measurements/{measurement_id}`: voids a wrong measurement,
/// with a reason. It stays on record; the child's cases are recomputed without it.
#[utoipa::path(
    tag = TAG,
    params(("id" = Uuid, Path, description = "Child id"), ("measurement_id" = Uuid, Path, description = "Measurement id")),
    request_body = RemovalReason,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Voided", body = MeasurementView),
        (status = 403, description = "An analyst, or a child outside the caller's scope"),
        (status = 404, description = "No such child or measurement"),
        (status = 409, description = "Already voided"),
        (status = 422, description = "No reason given"),
    )
)]
#[delete("/children/{id}/measurements/{measurement_id}")]
pub async fn void(
    caller: Caller,
    path: web::Path<(ChildId, MeasurementId)>,
    Json(body): Json<RemovalReason>,
    pool: web::Data<DbPool>,
) -> Result<web::Json<MeasurementView>, ApiError> {
    caller.require_child_data()?;
    body.validate()?;
    let (child_id, id) = path.into_inner();
    let reason = body.reason.trim().to_owned();
    let mut conn = pool.get().await?;
    let row = conn
        .transaction::<_, ApiError, _>(async |conn| measurements::void(conn, &caller, child_id, id, &reason).await)
        .await?;
    Ok(web::Json(row.into()))
}

/// `POST /api/v1/children/{id}/measurements/{measurement_id}/check`: an officer checked a
/// measurement the data checks flagged and keeps it as recorded, with a note. It counts again
/// in prevalence and the child's cases; its flags stay, with who checked it and when.
#[utoipa::path(
    operation_id = "check_measurement",
    tag = TAG,
    params(("id" = Uuid, Path, description = "Child id"), ("measurement_id" = Uuid, Path, description = "Measurement id")),
    request_body = CheckMeasurement,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Checked", body = MeasurementView),
        (status = 403, description = "Not an officer, or a child outside the caller's scope"),
        (status = 404, description = "No such child or measurement"),
        (status = 409, description = "No data-check flag to check, voided, or checked already"),
        (status = 422, description = "No note given"),
    )
)]
#[post("/children/{id}/measurements/{measurement_id}/check")]
pub async fn check(
    caller: Caller,
    path: web::Path<(ChildId, MeasurementId)>,
    Json(body): Json<CheckMeasurement>,
    pool: web::Data<DbPool>,
) -> Result<web::Json<MeasurementView>, ApiError> {
    caller.require_quality_checker()?;
    body.validate()?;
    let (child_id, id) = path.into_inner();
    let note = body.note.trim().to_owned();
    let mut conn = pool.get().await?;
    let row = conn
        .transaction::<_, ApiError, _>(async |conn| measurements::check(conn, &caller, child_id, id, &note).await)
        .await?;
    Ok(web::Json(row.into()))
}

/// `GET /api/v1/children/{id}/growth`: the child's valid measurements as a growth-chart series.
#[utoipa::path(
    tag = TAG,
    params(("id" = Uuid, Path, description = "Child id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The series, oldest first", body = GrowthChart),
        (status = 403, description = "An analyst, or a child outside the caller's scope"),
        (status = 404, description = "No such child"),
        (status = 422, description = "A malformed id"),
    )
)]
#[get("/children/{id}/growth")]
pub async fn growth(
    caller: Caller,
    path: web::Path<ChildId>,
    pool: web::Data<DbPool>,
) -> Result<web::Json<GrowthChart>, ApiError> {
    let mut conn = pool.get().await?;
    let child = children::find(&mut conn, &caller, *path).await?;
    let points = measurements::growth_points(&mut conn, &child).await?;
    Ok(web::Json(GrowthChart { child_id: child.id, sex: child.sex, birth_date: child.birth_date, points }))
}
