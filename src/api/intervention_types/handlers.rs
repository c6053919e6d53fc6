use actix_web::{HttpResponse, get, patch, post, web};
use diesel_async::AsyncConnection;
use serde_json::json;
use validator::Validate;

use crate::auth::Caller;
use crate::db::DbPool;
use crate::db::audit;
use crate::error::{ApiError, FieldErrors};
use crate::http::extract::Json;
use crate::http::precondition::{IfMatch, created_with_etag, ok_with_etag};
use crate::records::intervention::types::{self, InterventionType, NewInterventionType, TypeChanges};
use crate::records::write;

const TAG: &str = "interventions";

/// `GET /api/v1/intervention-types`: the whole catalogue (a few dozen rows, not paged).
#[utoipa::path(
    operation_id = "list_intervention_types",
    tag = TAG,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Every type, specific first", body = Vec<InterventionType>),
    )
)]
#[get("/intervention-types")]
pub async fn list(_caller: Caller, pool: web::Data<DbPool>) -> Result<web::Json<Vec<InterventionType>>, ApiError> {
    Ok(web::Json(types::list(&mut *pool.get().await?).await?))
}

/// `POST /api/v1/intervention-types`: adds a type (admins).
#[utoipa::path(
    operation_id = "create_intervention_type",
    tag = TAG,
    request_body = NewInterventionType,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Added", body = InterventionType, headers(("Location" = String), ("ETag" = String))),
        (status = 403, description = "Not an admin"),
        (status = 409, description = "The code is taken"),
        (status = 422, description = "Invalid fields"),
    )
)]
#[post("/intervention-types")]
pub async fn create(
    caller: Caller,
    Json(body): Json<NewInterventionType>,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, ApiError> {
    caller.require_admin()?;
    let mut errors = FieldErrors::from_validation(body.validate());
    let code_ok = body.code.starts_with(|c: char| c.is_ascii_lowercase())
        && body.code.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !code_ok {
        errors.add("code", "must be lower case letters, digits and '_', starting with a letter");
    }
    check_target(&mut errors, body.national_target_pct, body.national_target_year);
    errors.finish()?;
    let mut conn = pool.get().await?;
    if types::find(&mut conn, &body.code).await?.is_some() {
        return Err(ApiError::conflict(format!("an intervention type with code {} exists", body.code)));
    }
    let created = conn
        .transaction::<_, ApiError, _>(async |conn| {
            let created = types::insert(conn, &body).await?;
            audit::record(
                conn,
                Some(caller.id),
                "intervention_type.create",
                created.code.clone(),
                json!({ "category": created.category, "target_group": created.target_group }),
            )
            .await?;
            Ok(created)
        })
        .await?;
    Ok(created_with_etag(format!("/api/v1/intervention-types/{}", created.code), created.version, &created))
}

/// `PATCH /api/v1/intervention-types/{code}`: changes a type (admins; needs `If-Match`).
#[utoipa::path(
    operation_id = "update_intervention_type",
    tag = TAG,
    params(
        ("code" = String, Path, description = "Type code", example = "ttd_pregnant"),
        IfMatch,
    ),
    request_body = TypeChanges,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Changed", body = InterventionType, headers(("ETag" = String))),
        (status = 403, description = "Not an admin"),
        (status = 404, description = "No such type"),
        (status = 422, description = "Invalid fields"),
    )
)]
#[patch("/intervention-types/{code}")]
pub async fn update(
    caller: Caller,
    path: web::Path<String>,
    if_match: IfMatch,
    Json(body): Json<TypeChanges>,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, ApiError> {
    caller.require_admin()?;
    body.validate()?;
    let code = path.into_inner();
    let mut conn = pool.get().await?;
    let updated = conn
        .transaction::<_, ApiError, _>(async |conn| {
            let audit = ("update", json!({ "national_target_pct": body.national_target_pct }));
            write::change::<InterventionType, _>(
                conn,
                &caller,
                code,
                if_match.expected(),
                audit,
                async |conn, current| {
                    let mut errors = FieldErrors::default();
                    check_target(
                        &mut errors,
                        body.national_target_pct.or(current.national_target_pct),
                        body.national_target_year.or(current.national_target_year),
                    );
                    errors.finish()?;
                    Ok(types::update(conn, current, &body).await?)
                },
            )
            .await
        })
        .await?;
    Ok(ok_with_etag(updated.version, &updated))
}

/// A target percentage and its year come together.
fn check_target(errors: &mut FieldErrors, pct: Option<f64>, year: Option<i32>) {
    if pct.is_some() != year.is_some() {
        errors.add("national_target_year", "a national target needs both its percentage and its year");
    }
}
