use actix_web::{get, web};

use crate::auth::Caller;
use crate::db::DbPool;
use crate::domain::ChildId;
use crate::error::ApiError;
use crate::records::continuum::{self, ChildBirth};

/// `GET /api/v1/children/{id}/birth`: how a child came into the world, at a glance: its birth
/// weight and length with their flags, and the pregnancy it was born of (the mother's
/// antenatal care, KEK, anaemia and iron tablets).
#[utoipa::path(
    operation_id = "get_child_birth",
    tag = "children",
    params(("id" = Uuid, Path, description = "Child id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Its birth and the pregnancy it was born of (`null` when not recorded)", body = ChildBirth),
        (status = 403, description = "An analyst, or a child outside the caller's scope"),
        (status = 404, description = "No such child (or it was removed)"),
        (status = 422, description = "A malformed id"),
    )
)]
#[get("/children/{id}/birth")]
pub async fn child_birth(
    caller: Caller,
    path: web::Path<ChildId>,
    pool: web::Data<DbPool>,
) -> Result<web::Json<ChildBirth>, ApiError> {
    Ok(web::Json(continuum::of_child(&mut *pool.get().await?, &caller, *path).await?))
}
