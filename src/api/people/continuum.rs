use actix_web::{get, web};

use crate::auth::Caller;
use crate::db::DbPool;
use crate::domain::PersonId;
use crate::error::ApiError;
use crate::records::continuum::{self, Continuum};

/// `GET /api/v1/people/{id}/continuum`: one woman's path through the first 1,000 days in one
/// answer: her catin screenings, her pregnancies with every visit, the TPK's visits, and her
/// children with their birth, latest measurement and visits.
#[utoipa::path(
    operation_id = "get_continuum",
    tag = "people",
    params(("id" = Uuid, Path, description = "Person id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Her continuum", body = Continuum),
        (status = 403, description = "An analyst, or a person outside the caller's scope"),
        (status = 404, description = "No such person (or she was removed)"),
        (status = 422, description = "A malformed id"),
    )
)]
#[get("/people/{id}/continuum")]
pub async fn person(
    caller: Caller,
    path: web::Path<PersonId>,
    pool: web::Data<DbPool>,
) -> Result<web::Json<Continuum>, ApiError> {
    Ok(web::Json(continuum::of_person(&mut *pool.get().await?, &caller, *path).await?))
}
