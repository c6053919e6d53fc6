//! Import kinds of the first 1,000 days: catin screenings, pregnancies with their visits, and
//! TPK visits. Each row names the person it is about, so a file sent again finds the same people.

use actix_web::{HttpResponse, post};

use super::dto::ImportQuery;
use super::handlers::{Received, TAG, import};
use crate::error::ApiError;
use crate::records::bulk::Kind;
use crate::records::import::Summary;
use crate::records::import::jobs::JobView;
use crate::records::person::import::ScreeningRow;
use crate::records::pregnancy::import::PregnancyRow;
use crate::records::tpk_visit::CreateTpkVisit;

/// `POST /api/v1/imports/catin-screenings`: catin screenings as BKKBN's Elsimil lists them, a row
/// per screening with the person screened.
#[utoipa::path(
    operation_id = "import_catin_screenings",
    tag = TAG,
    params(ImportQuery),
    request_body(
        description = "A JSON array of rows, NDJSON (a row per line) or CSV with a header naming the row's fields \
            (`person_id,nik,village_code,sex,birth_date,name,screening_id,screened_on,wedding_planned_on,height_cm,\
            weight_kg,muac_cm,hb_g_dl,smokes,smoke_exposed`; `person_id` or `nik` names the person). Up to 100,000 \
            rows.",
        content(
            (Vec<ScreeningRow> = "application/json"),
            (ScreeningRow = "application/x-ndjson"),
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
#[post("/imports/catin-screenings")]
pub async fn import_catin_screenings(received: Received) -> Result<HttpResponse, ApiError> {
    import(Kind::CatinScreenings, received).await
}

/// `POST /api/v1/imports/pregnancies`: pregnancies with their visits and outcome, a row per
/// event as a KIA register lists them, applied in file order.
#[utoipa::path(
    operation_id = "import_pregnancies",
    tag = TAG,
    params(ImportQuery),
    request_body(
        description = "A JSON array of rows, NDJSON (a row per line) or CSV with a header naming the row's fields \
            (`person_id,nik,village_code,birth_date,name,pregnancy_id,lmp_on,event,event_id,event_on,examiner,\
            weight_kg,muac_cm,hb_g_dl,iron_tablets,supplementary_food,outcome,baby_name,baby_sex,baby_nik,\
            birth_weight_g,birth_length_cm,contraception,exclusive_breastfeeding`). A row records the pregnancy and \
            at most one `event`: `anc_visit`, `outcome` or `postpartum_visit`. Sort the file by woman and date. Up \
            to 100,000 rows.",
        content(
            (Vec<PregnancyRow> = "application/json"),
            (PregnancyRow = "application/x-ndjson"),
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
#[post("/imports/pregnancies")]
pub async fn import_pregnancies(received: Received) -> Result<HttpResponse, ApiError> {
    import(Kind::Pregnancies, received).await
}

/// `POST /api/v1/imports/tpk-visits`: TPK assistance visits, `POST /tpk-visits`'s body each.
#[utoipa::path(
    operation_id = "import_tpk_visits",
    tag = TAG,
    params(ImportQuery),
    request_body(
        description = "A JSON array of visits, NDJSON (one per line) or CSV with the header \
            `id,team_id,person_id,child_id,visited_on,counselling,referral,social_assistance,exclusive_breastfeeding,\
            findings,next_visit_on` (`person_id` or `child_id`; without `id` a visit is known by its team, the \
            person or child and the day). Up to 100,000 visits.",
        content(
            (Vec<CreateTpkVisit> = "application/json"),
            (CreateTpkVisit = "application/x-ndjson"),
            (String = "text/csv"),
        ),
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "What became of every visit", body = Summary),
        (status = 202, description = "Queued as a job: follow `Location`", body = JobView, headers(("Location" = String))),
        (status = 400, description = "A file that cannot be read on (broken JSON, a CSV row with more or fewer fields than its header, an unclosed quote), naming the line"),
        (status = 403, description = "An analyst"),
        (status = 413, description = "More than 100,000 visits, or a file larger than `MAX_IMPORT_BYTES`"),
        (status = 415, description = "Not JSON, NDJSON or CSV"),
        (status = 422, description = "An invalid parameter, or a CSV header with a missing or unknown column"),
    )
)]
#[post("/imports/tpk-visits")]
pub async fn import_tpk_visits(received: Received) -> Result<HttpResponse, ApiError> {
    import(Kind::TpkVisits, received).await
}
