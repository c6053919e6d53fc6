use actix_web::http::header;
use actix_web::{HttpResponse, get, post, web};
use diesel_async::AsyncConnection;
use validator::Validate;

use crate::auth::Caller;
use crate::db::DbPool;
use crate::domain::text;
use crate::domain::{ChildId, InterventionId, ServiceId, latest_local_date};
use crate::error::{ApiError, FieldErrors};
use crate::http::extract::Json;
use crate::records::child as children;
use crate::records::child::services::{self, CreateService, NewService, ServiceView};

const TAG: &str = "children";

/// `GET /api/v1/children/{id}/services`: every service the child received, oldest first.
#[utoipa::path(
    operation_id = "list_services",
    tag = TAG,
    params(("id" = Uuid, Path, description = "Child id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The child's services", body = Vec<ServiceView>),
        (status = 403, description = "An analyst, or a child outside the caller's scope"),
        (status = 404, description = "No such child"),
        (status = 422, description = "A malformed id"),
    )
)]
#[get("/children/{id}/services")]
pub async fn list(
    caller: Caller,
    path: web::Path<ChildId>,
    pool: web::Data<DbPool>,
) -> Result<web::Json<Vec<ServiceView>>, ApiError> {
    let mut conn = pool.get().await?;
    let child = children::find(&mut conn, &caller, *path).await?;
    Ok(web::Json(services::for_child(&mut conn, &child, None).await?))
}

/// `POST /api/v1/children/{id}/services`: records a service the child received.
#[utoipa::path(
    operation_id = "create_service",
    tag = TAG,
    params(("id" = Uuid, Path, description = "Child id")),
    request_body = CreateService,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Recorded", body = ServiceView, headers(("Location" = String))),
        (status = 200, description = "Already recorded with this id (a retry)", body = ServiceView),
        (status = 403, description = "An analyst, or a child outside the caller's scope"),
        (status = 404, description = "No such child"),
        (status = 409, description = "A different service already has this id"),
        (status = 422, description = "Unknown type, a type not given to children or not at this age, a date in the future or before birth, or an activity of another type, place or period"),
    )
)]
#[post("/children/{id}/services")]
pub async fn create(
    caller: Caller,
    path: web::Path<ChildId>,
    Json(body): Json<CreateService>,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, ApiError> {
    caller.require_child_data()?;
    let mut errors = FieldErrors::from_validation(body.validate());
    if body.given_on > latest_local_date() {
        errors.add("given_on", text!("is in the future"));
    }
    errors.finish()?;
    let child_id = *path;
    let id = body.id.map_or_else(ServiceId::new, ServiceId);
    let activity = body.intervention_id.map(InterventionId);
    let given_by = text::given(body.given_by.as_deref());
    let note = text::given(body.note.as_deref());
    let new = NewService {
        id,
        type_code: &body.type_code,
        given_on: body.given_on,
        intervention_id: activity,
        given_by,
        note,
        recorded_by: caller.id,
    };
    let mut conn = pool.get().await?;
    let (view, created) =
        conn.transaction::<_, ApiError, _>(async |conn| services::record(conn, &caller, child_id, &new).await).await?;
    if created {
        Ok(HttpResponse::Created()
            .insert_header((header::LOCATION, format!("/api/v1/children/{child_id}/services")))
            .json(view))
    } else {
        Ok(HttpResponse::Ok().json(view))
    }
}
