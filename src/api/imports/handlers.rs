use actix_web::http::header;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, HttpResponse, get, post, web};
use bytes::BytesMut;
use futures_util::StreamExt;
use futures_util::future::{FutureExt, LocalBoxFuture};

use super::dto::{ImportLimits, ImportQuery};
use crate::auth::Caller;
use crate::db::DbPool;
use crate::domain::{ImportJobId, NikKey};
use crate::error::ApiError;
use crate::http::body_deadline;
use crate::http::extract::Query;
use crate::records::budget::import::LineRecord;
use crate::records::bulk::Kind;
use crate::records::child::import::{ChildRow, MeasurementRecord};
use crate::records::family::import::FamilyRow;
use crate::records::import::jobs::{self, JobView, PART_BYTES, Queue};
use crate::records::import::{Format, Input, Mode, Options, Summary};
use crate::records::intervention::import::ReportRecord;

pub(super) const TAG: &str = "imports";

/// What every import route takes: the authenticated caller (401 without a valid token), the
/// query, the body as it arrives and the service's shared parts.
pub struct Received {
    caller: Caller,
    query: ImportQuery,
    req: HttpRequest,
    payload: web::Payload,
    pool: web::Data<DbPool>,
    nik_key: web::Data<NikKey>,
    limits: web::Data<ImportLimits>,
    queue: web::Data<Queue>,
}

impl FromRequest for Received {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        fn shared<T: 'static>(req: &HttpRequest) -> Result<web::Data<T>, ApiError> {
            req.app_data::<web::Data<T>>().cloned().ok_or_else(|| {
                ApiError::Internal(anyhow::anyhow!("{} missing from app data", std::any::type_name::<T>()))
            })
        }
        let caller = Caller::from_request(req, payload);
        let mut rest = || -> Result<_, ApiError> {
            Ok((
                Query::<ImportQuery>::from_request(req, payload).into_inner()?.0,
                web::Payload::from_request(req, payload)
                    .into_inner()
                    .map_err(|_| ApiError::bad_request(text!("the request body could not be read")))?,
                shared(req)?,
                shared(req)?,
                shared(req)?,
                shared(req)?,
            ))
        };
        let rest = rest();
        let req = req.clone();
        async move {
            // In the order the checks ran before: who is calling, then what they sent.
            let caller = caller.await?;
            let (query, payload, pool, nik_key, limits, queue) = rest?;
            Ok(Self { caller, query, req, payload, pool, nik_key, limits, queue })
        }
        .boxed_local()
    }
}

/// `POST /api/v1/imports/children`: children with their weighings, one row per weighing.
#[utoipa::path(
    operation_id = "import_children",
    tag = TAG,
    params(ImportQuery),
    request_body(
        description = "A JSON array of rows, NDJSON (a row per line) or CSV with a header naming the row's fields \
            (`child_id,nik,village_code,sex,birth_date,name,mother_name,measurement_id,measured_on,length_cm,\
            position,weight_kg,oedema,place,measured_by`; the first five with `name` and no weighing fields for a \
            child without a weighing). Up to 100,000 rows.",
        content(
            (Vec<ChildRow> = "application/json"),
            (ChildRow = "application/x-ndjson"),
            (String = "text/csv"),
        ),
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "What became of every row", body = Summary),
        (status = 202, description = "Queued as a job: follow `Location`", body = JobView, headers(("Location" = String))),
        (status = 400, description = "A file that cannot be read on (broken JSON, a CSV row with more or fewer fields than its header, an unclosed quote), naming the line"),
        (status = 403, description = "An analyst"),
        (status = 413, description = "More than 100,000 rows, or a file larger than `MAX_IMPORT_BYTES`"),
        (status = 415, description = "Not JSON, NDJSON or CSV"),
        (status = 422, description = "An invalid parameter, or a CSV header with a missing or unknown column"),
    )
)]
#[post("/imports/children")]
pub async fn import_children(received: Received) -> Result<HttpResponse, ApiError> {
    import(Kind::Children, received).await
}

/// `POST /api/v1/imports/measurements`: measurements of registered children.
#[utoipa::path(
    operation_id = "import_measurements",
    tag = TAG,
    params(ImportQuery),
    request_body(
        description = "A JSON array of measurements, NDJSON (one per line) or CSV with the header \
            `id,child_id,measured_on,length_cm,position,weight_kg,oedema,place,measured_by` (`id`, `weight_kg`, \
            `oedema` and `measured_by` may be left out). Up to 100,000 measurements.",
        content(
            (Vec<MeasurementRecord> = "application/json"),
            (MeasurementRecord = "application/x-ndjson"),
            (String = "text/csv"),
        ),
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "What became of every measurement", body = Summary),
        (status = 202, description = "Queued as a job: follow `Location`", body = JobView, headers(("Location" = String))),
        (status = 400, description = "A file that cannot be read on (broken JSON, a CSV row with more or fewer fields than its header, an unclosed quote), naming the line"),
        (status = 403, description = "An analyst"),
        (status = 413, description = "More than 100,000 measurements, or a file larger than `MAX_IMPORT_BYTES`"),
        (status = 415, description = "Not JSON, NDJSON or CSV"),
        (status = 422, description = "An invalid parameter, or a CSV header with a missing or unknown column"),
    )
)]
#[post("/imports/measurements")]
pub async fn import_measurements(received: Received) -> Result<HttpResponse, ApiError> {
    import(Kind::Measurements, received).await
}

/// `POST /api/v1/imports/intervention-reports`: months' figures for intervention activities.
#[utoipa::path(
    operation_id = "import_intervention_reports",
    tag = TAG,
    params(ImportQuery),
    request_body(
        description = "A JSON array of reports, NDJSON (one per line) or CSV with the header \
            `id,intervention_id,month,reached,note,correction` (`id`, `note` and `correction` may be left out). \
            Up to 100,000 reports.",
        content(
            (Vec<ReportRecord> = "application/json"),
            (ReportRecord = "application/x-ndjson"),
            (String = "text/csv"),
        ),
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "What became of every report", body = Summary),
        (status = 202, description = "Queued as a job: follow `Location`", body = JobView, headers(("Location" = String))),
        (status = 400, description = "A file that cannot be read on (broken JSON, a CSV row with more or fewer fields than its header, an unclosed quote), naming the line"),
        (status = 403, description = "Not an officer, cadre, integration or admin"),
        (status = 413, description = "More than 100,000 reports, or a file larger than `MAX_IMPORT_BYTES`"),
        (status = 415, description = "Not JSON, NDJSON or CSV"),
        (status = 422, description = "An invalid parameter, or a CSV header with a missing or unknown column"),
    )
)]
#[post("/imports/intervention-reports")]
pub async fn import_intervention_reports(received: Received) -> Result<HttpResponse, ApiError> {
    import(Kind::InterventionReports, received).await
}

/// `POST /api/v1/imports/families-at-risk`: BKKBN's families at risk, a year per record.
#[utoipa::path(
    operation_id = "import_families_at_risk",
    tag = TAG,
    params(ImportQuery),
    request_body(
        description = "A JSON array of families, NDJSON (one per line) or CSV with the header \
            `year,family_key,village_code,risk_factors,has_pregnant_woman,has_under_two,has_under_five` \
            (risk factors separated by `;`). Up to 100,000 families.",
        content(
            (Vec<FamilyRow> = "application/json"),
            (FamilyRow = "application/x-ndjson"),
            (String = "text/csv"),
        ),
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "What became of every family", body = Summary),
        (status = 202, description = "Queued as a job: follow `Location`", body = JobView, headers(("Location" = String))),
        (status = 400, description = "A file that cannot be read on (broken JSON, a CSV row with more or fewer fields than its header, an unclosed quote), naming the line"),
        (status = 403, description = "Not an integration, officer or admin"),
        (status = 413, description = "More than 100,000 families, or a file larger than `MAX_IMPORT_BYTES`"),
        (status = 415, description = "Not JSON, NDJSON or CSV"),
        (status = 422, description = "An invalid parameter, or a CSV header with a missing or unknown column"),
    )
)]
#[post("/imports/families-at-risk")]
pub async fn import_families_at_risk(received: Received) -> Result<HttpResponse, ApiError> {
    import(Kind::FamiliesAtRisk, received).await
}

/// `POST /api/v1/imports/budget-lines`: lines of budget documents (DAK, APBD, Dana Desa).
#[utoipa::path(
    operation_id = "import_budget_lines",
    tag = TAG,
    params(ImportQuery),
    request_body(
        description = "A JSON array of lines, NDJSON (one per line) or CSV with the header \
            `id,budget_id,activity,type_code,agency_id,ceiling,output_value,output_unit,village_codes` (village \
            codes separated by `;`; only `budget_id`, `activity` and `ceiling` are required). Up to 100,000 lines.",
        content(
            (Vec<LineRecord> = "application/json"),
            (LineRecord = "application/x-ndjson"),
            (String = "text/csv"),
        ),
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "What became of every line", body = Summary),
        (status = 202, description = "Queued as a job: follow `Location`", body = JobView, headers(("Location" = String))),
        (status = 400, description = "A file that cannot be read on (broken JSON, a CSV row with more or fewer fields than its header, an unclosed quote), naming the line"),
        (status = 403, description = "Not an officer or admin"),
        (status = 413, description = "More than 100,000 lines, or a file larger than `MAX_IMPORT_BYTES`"),
        (status = 415, description = "Not JSON, NDJSON or CSV"),
        (status = 422, description = "An invalid parameter, or a CSV header with a missing or unknown column"),
    )
)]
#[post("/imports/budget-lines")]
pub async fn import_budget_lines(received: Received) -> Result<HttpResponse, ApiError> {
    import(Kind::BudgetLines, received).await
}

/// Reads the file as it arrives: a small one is imported at once; from `MAX_BODY_BYTES` on
/// (or when asked) it is stored as a job's parts and answered 202. Either way the file's
/// structure is checked before any record is written.
pub(super) async fn import(kind: Kind, mut r: Received) -> Result<HttpResponse, ApiError> {
    kind.require(&r.caller)?;
    let options = Options {
        format: format_of(&r.req)?,
        mode: r.query.mode.unwrap_or(Mode::Each),
        dry_run: r.query.dry_run.unwrap_or(false),
    };
    let declared = r.req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<usize>().ok());
    if declared.is_some_and(|n| n > r.limits.max_bytes) {
        return Err(too_large(&r.limits));
    }
    let as_job = r.query.background.unwrap_or(false) || declared.is_some_and(|n| n > r.limits.at_once_bytes);
    let mut memory = BytesMut::new();
    let mut stored_as: Option<(ImportJobId, i32)> = None;
    let mut received = 0usize;
    let stored = async {
        while let Some(chunk) = r.payload.next().await {
            let chunk = chunk.map_err(|e| body_deadline::unreadable(&e))?;
            received += chunk.len();
            if received > r.limits.max_bytes {
                return Err(too_large(&r.limits));
            }
            memory.extend_from_slice(&chunk);
            if stored_as.is_none() && (as_job || memory.len() > r.limits.at_once_bytes) {
                stored_as = Some((jobs::begin(&mut *r.pool.get().await?, &r.caller, kind.as_str(), options).await?, 0));
            }
            if let Some((id, part)) = &mut stored_as {
                while memory.len() >= PART_BYTES {
                    let bytes = memory.split_to(PART_BYTES);
                    jobs::append(&mut *r.pool.get().await?, *id, *part, &bytes).await?;
                    *part += 1;
                }
            }
        }
        if let Some((id, part)) = stored_as
            && !memory.is_empty()
        {
            jobs::append(&mut *r.pool.get().await?, id, part, &memory).await?;
        }
        Ok(())
    }
    .await;
    let Some((id, _)) = stored_as else {
        stored?;
        let input = Input::Memory(memory.freeze());
        kind.check(&r.pool, options.format, &input).await?;
        let summary = kind.run(&r.pool, &r.caller, &r.nik_key, options, &input, None).await?;
        return Ok(HttpResponse::Ok().json(summary));
    };
    let queued = async {
        stored?;
        let records = kind.check(&r.pool, options.format, &Input::Job(id)).await?;
        jobs::queue(&mut *r.pool.get().await?, id, records).await?;
        Ok::<_, ApiError>(())
    }
    .await;
    if let Err(error) = queued {
        if let Ok(mut conn) = r.pool.get().await {
            let _ = jobs::discard(&mut conn, id).await;
        }
        return Err(error);
    }
    r.queue.wake();
    let view = jobs::find(&mut *r.pool.get().await?, &r.caller, id).await?;
    Ok(HttpResponse::Accepted().insert_header((header::LOCATION, format!("/api/v1/imports/{id}"))).json(view))
}

/// The format the `Content-Type` names; 415 for anything else (or a charset other than UTF-8).
fn format_of(req: &HttpRequest) -> Result<Format, ApiError> {
    let refuse = || {
        ApiError::UnsupportedMediaType(text!(
            "send `application/json` (an array), `application/x-ndjson` or `text/csv`, in UTF-8"
        ))
    };
    let mime: mime::Mime = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .ok_or_else(refuse)?;
    if mime.get_param(mime::CHARSET).is_some_and(|c| c != mime::UTF_8) {
        return Err(refuse());
    }
    match mime.essence_str() {
        "application/json" => Ok(Format::Json),
        "application/x-ndjson" | "application/jsonl" => Ok(Format::Ndjson),
        "text/csv" => Ok(Format::Csv),
        _ => Err(refuse()),
    }
}

fn too_large(limits: &ImportLimits) -> ApiError {
    ApiError::PayloadTooLarge(text!(
        "an import file may be at most %{max_bytes} bytes (`MAX_IMPORT_BYTES`)",
        max_bytes = limits.max_bytes
    ))
}

/// `GET /api/v1/imports/{id}`: an import job's progress, then its summary.
#[utoipa::path(
    operation_id = "get_import_job",
    tag = TAG,
    params(("id" = Uuid, Path, description = "Job id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The job", body = JobView),
        (status = 403, description = "A job another account sent"),
        (status = 404, description = "No job with this id"),
        (status = 422, description = "A malformed id"),
    )
)]
#[get("/imports/{id}")]
pub async fn get_job(
    caller: Caller,
    path: web::Path<ImportJobId>,
    pool: web::Data<DbPool>,
) -> Result<web::Json<JobView>, ApiError> {
    Ok(web::Json(jobs::find(&mut *pool.get().await?, &caller, *path).await?))
}
