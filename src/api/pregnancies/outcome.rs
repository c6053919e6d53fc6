use actix_web::{HttpResponse, post, web};
use chrono::NaiveDate;
use diesel_async::AsyncConnection;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use super::handlers::TAG;
use crate::auth::Caller;
use crate::db::DbPool;
use crate::domain::{ChildId, Nik, NikKey, PregnancyId, PregnancyOutcome, Sex};
use crate::error::{ApiError, FieldErrors};
use crate::http::extract::Json;
use crate::http::precondition::{created_with_etag, ok_with_etag};
use crate::records::pregnancy::PregnancyView;
use crate::records::pregnancy::outcome::{self, NewBaby, Outcome};

/// A baby born alive: registered as a child of the mother's village, born on the outcome's date.
#[derive(Debug, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "id": "0192b7a4-dddd-7000-8000-000000000001", "name": "Bayi Ny. Nurhayati", "sex": "female",
    "birth_weight_g": 2400, "birth_length_cm": 47.0
}))]
pub struct BabyBorn {
    /// The child's id; offline clients bring their own so a retry finds it.
    pub id: Option<Uuid>,
    #[validate(length(min = 1, max = 200), custom(function = "crate::domain::text::non_blank"))]
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    pub sex: Sex,
    /// Below 2,500 g is low birth weight.
    #[validate(range(min = crate::domain::pregnancy::MIN_BIRTH_WEIGHT_G, max = crate::domain::pregnancy::MAX_BIRTH_WEIGHT_G))]
    #[schema(minimum = 300, maximum = 7000)]
    pub birth_weight_g: i32,
    /// Below 48 cm is short at birth.
    #[validate(range(min = crate::domain::pregnancy::MIN_BIRTH_LENGTH_CM, max = crate::domain::pregnancy::MAX_BIRTH_LENGTH_CM))]
    #[schema(minimum = 20.0, maximum = 65.0)]
    pub birth_length_cm: f64,
    /// 16 digits; write-only, kept as a keyed hash.
    #[schema(pattern = "^[0-9]{16}$")]
    pub nik: Option<String>,
}

/// How the pregnancy ended.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "outcome": "live_birth", "ended_on": "2025-10-10",
    "babies": [{ "id": "0192b7a4-dddd-7000-8000-000000000001", "name": "Bayi Ny. Nurhayati", "sex": "female",
                 "birth_weight_g": 2400, "birth_length_cm": 47.0 }]
}))]
pub struct RecordOutcome {
    pub outcome: PregnancyOutcome,
    /// The day of the delivery or loss: on or after HPHT and the last visit, within 44 weeks,
    /// not in the future.
    pub ended_on: NaiveDate,
    /// The babies born alive: at least one for a live birth; none for a stillbirth or a
    /// miscarriage; any for a maternal death. Default none.
    #[validate(length(max = 4), nested)]
    #[schema(max_items = 4)]
    #[serde(default)]
    pub babies: Vec<BabyBorn>,
}

/// `POST /api/v1/pregnancies/{id}/outcome`: records how the pregnancy ended and closes it. Each
/// baby born alive becomes a child record linked to the mother, flagged for low birth weight
/// and short length.
#[utoipa::path(
    operation_id = "record_pregnancy_outcome",
    tag = TAG,
    params(("id" = Uuid, Path, description = "Pregnancy id")),
    request_body = RecordOutcome,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Recorded; the pregnancy is closed", body = PregnancyView, headers(("Location" = String), ("ETag" = String))),
        (status = 200, description = "The same outcome was already recorded (a retry)", body = PregnancyView),
        (status = 403, description = "An analyst, or a woman outside the caller's scope"),
        (status = 404, description = "No such pregnancy"),
        (status = 409, description = "The pregnancy already ended otherwise, or a baby's id or NIK is another child's"),
        (status = 422, description = "Invalid fields: a date before HPHT or the last visit, in the future or past 44 weeks; a miscarriage at 22 weeks or later (a stillbirth before); babies that do not fit the outcome"),
    )
)]
#[post("/pregnancies/{id}/outcome")]
pub async fn record(
    caller: Caller,
    path: web::Path<PregnancyId>,
    Json(body): Json<RecordOutcome>,
    pool: web::Data<DbPool>,
    nik_key: web::Data<NikKey>,
) -> Result<HttpResponse, ApiError> {
    caller.require_child_data()?;
    let mut errors = FieldErrors::from_validation(body.validate());
    let babies: Vec<NewBaby> = body
        .babies
        .iter()
        .enumerate()
        .map(|(i, baby)| NewBaby {
            id: baby.id.map_or_else(ChildId::new, ChildId),
            name: baby.name.trim().to_owned(),
            sex: baby.sex,
            birth_weight_g: baby.birth_weight_g,
            birth_length_cm: baby.birth_length_cm,
            nik_hash: baby
                .nik
                .as_deref()
                .and_then(|n| errors.check(&format!("babies[{i}].nik"), Nik::parse(n)))
                .map(|n| n.keyed_hash(&nik_key)),
        })
        .collect();
    errors.finish()?;
    let id = *path;
    let ended = Outcome { outcome: body.outcome, ended_on: body.ended_on, babies };
    let mut conn = pool.get().await?;
    let (view, created) = conn
        .transaction::<_, ApiError, _>(async |conn| {
            outcome::record(conn, &caller, id, &ended, outcome::Babies::AllAtOnce).await
        })
        .await?;
    match created {
        true => Ok(created_with_etag(format!("/api/v1/pregnancies/{id}"), view.version, &view)),
        false => Ok(ok_with_etag(view.version, &view)),
    }
}
