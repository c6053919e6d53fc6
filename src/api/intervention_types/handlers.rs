use actix_web::{HttpResponse, get, patch, post, web};
use diesel_async::AsyncConnection;
use validator::Validate;

use crate::auth::Caller;
use crate::db::DbPool;
use crate::error::ApiError;
use crate::http::extract::Json;
use crate::http::precondition::{IfMatch, created_with_etag, ok_with_etag};
use crate::records::intervention::types::{self, InterventionType, NewInterventionType, TypeChanges};

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
    let mut conn = pool.get().await?;
    let created = conn.transaction::<_, ApiError, _>(async |conn| types::create(conn, &caller, &body).await).await?;
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
            types::change(conn, &caller, code, if_match.expected(), &body).await
        })
        .await?;
    Ok(ok_with_etag(updated.version, &updated))
}
