use actix_web::{HttpResponse, get, post, put, web};
use diesel_async::AsyncConnection;
use validator::Validate;

use super::dto::{Family, FamilyImport, ImportSummary, ListFamiliesQuery, VerificationUpdate};
use crate::auth::Caller;
use crate::auth::policy::Record;
use crate::db::{DbPool, ReadPool};
use crate::domain::page::{Page, PageRequest};
use crate::domain::text;
use crate::domain::{FamilyId, RegionCode, year_bounds};
use crate::error::{ApiError, FieldErrors};
use crate::http::extract::{Json, Query};
use crate::http::precondition::{IfMatch, ok_with_etag, or_current};
use crate::records::family::{self, FamilyFilter, year_list};

const TAG: &str = "families";

/// `POST /api/v1/families-at-risk/import`: loads a province's list of families at risk for a
/// year (integrations, officers). Valid records are written in one transaction; the summary
/// names every record that failed and why. Retrying the same import changes nothing.
#[utoipa::path(
    tag = TAG,
    request_body = FamilyImport,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "What was inserted, updated, left unchanged, and what failed", body = ImportSummary),
        (status = 403, description = "Not an integration, officer or admin"),
        (status = 413, description = "The body is larger than `MAX_BODY_BYTES`"),
        (status = 422, description = "No families, more than 2,000, or a year out of range"),
    )
)]
#[post("/families-at-risk/import")]
pub async fn import(
    caller: Caller,
    Json(body): Json<FamilyImport>,
    pool: web::Data<DbPool>,
) -> Result<web::Json<ImportSummary>, ApiError> {
    caller.require_writer_of(Record::Family)?;
    let mut errors = FieldErrors::from_validation(body.validate());
    errors.check("year", year_bounds(body.year));
    errors.finish()?;

    let mut conn = pool.get().await?;
    let summary = conn
        .transaction::<_, ApiError, _>(async |conn| year_list::replace(conn, &caller, body.year, &body.families).await)
        .await?;
    Ok(web::Json(summary))
}

/// `GET /api/v1/families-at-risk?year=`: families in the caller's scope. Household rows are
/// not for dashboards: analysts read `/stats/families-at-risk`, where small counts are withheld.
#[utoipa::path(
    operation_id = "list_families_at_risk",
    tag = TAG,
    params(ListFamiliesQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of families, by village code, then id", body = Page<Family>),
        (status = 403, description = "An analyst (household rows are not for dashboards), or a region outside the caller's scope"),
        (status = 422, description = "A malformed region, year, limit or cursor"),
    )
)]
#[get("/families-at-risk")]
pub async fn list(
    caller: Caller,
    Query(query): Query<ListFamiliesQuery>,
    pool: web::Data<ReadPool>,
) -> Result<web::Json<Page<Family>>, ApiError> {
    caller.require_child_data()?;
    let mut errors = FieldErrors::default();
    let region = query.region.as_deref().and_then(|r| errors.check("region", RegionCode::parse(r)));
    errors.check("year", year_bounds(query.year));
    errors.finish()?;
    let scope = caller.list_scope(region)?;
    let page = PageRequest::parse(query.limit, query.cursor.as_deref())?;
    let filter =
        FamilyFilter { year: query.year, verification: query.verification, lokus: query.lokus.unwrap_or(false) };
    let rows = family::list(&mut *pool.get().await?, &scope, &filter, &page).await?;
    Ok(web::Json(page.page(rows, |f: &Family| (f.village_code.clone(), f.id))))
}

/// `GET /api/v1/families-at-risk/{id}`: one family.
#[utoipa::path(
    tag = TAG,
    params(("id" = Uuid, Path, description = "Family id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The family", body = Family, headers(("ETag" = String))),
        (status = 403, description = "An analyst, or the family's village is outside the caller's scope"),
        (status = 404, description = "No such family"),
    )
)]
#[get("/families-at-risk/{id}")]
pub async fn get_family(
    caller: Caller,
    path: web::Path<FamilyId>,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, ApiError> {
    let id = *path;
    let family = family::find(&mut *pool.get().await?, &caller, id).await?.into_inner();
    Ok(ok_with_etag(family.version, &family))
}

/// `PUT /api/v1/families-at-risk/{id}/verification`: what the village found (cadres of the
/// village, officers; needs `If-Match`). Resending the same verdict with the same `If-Match`
/// (a retry after a lost answer) answers 200 with the family as recorded.
#[utoipa::path(
    tag = TAG,
    params(
        ("id" = Uuid, Path, description = "Family id"),
        IfMatch,
    ),
    request_body = VerificationUpdate,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Recorded", body = Family, headers(("ETag" = String))),
        (status = 403, description = "Not a cadre or officer of the family's village"),
        (status = 404, description = "No such family"),
        (status = 422, description = "Invalid fields"),
    )
)]
#[put("/families-at-risk/{id}/verification")]
pub async fn verify(
    caller: Caller,
    path: web::Path<FamilyId>,
    if_match: IfMatch,
    Json(body): Json<VerificationUpdate>,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, ApiError> {
    caller.require_verifier_role()?;
    body.validate()?;
    let id = *path;
    let note = text::given(body.note.as_deref());
    let mut conn = pool.get().await?;
    let written = conn
        .transaction::<_, ApiError, _>(async |conn| {
            family::verify(conn, &caller, id, if_match.expected(), body.status, note).await
        })
        .await;
    let shown = async || Ok(family::find(&mut conn, &caller, id).await?.into_inner());
    let family = or_current(written, shown).await?;
    Ok(ok_with_etag(family.version, &family))
}
