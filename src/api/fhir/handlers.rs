use actix_web::{HttpRequest, HttpResponse, get, web};
use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use super::dto::Bundle;
use crate::auth::Caller;
use crate::db::ReadPool;
use crate::domain::page::{self, decode_cursor};
use crate::domain::{ChildId, PersonId, RegionCode};
use crate::error::{ApiError, FieldErrors};
use crate::fhir::Key;
use crate::fhir::antenatal::AntenatalRow;
use crate::fhir::growth::GrowthRow;
use crate::fhir::{BundleType, Systems};
use crate::http::bundle;
use crate::http::extract::Query;
use crate::records::fhir::{self as records, Contacts, Selection};
use crate::records::{child, person};

const TAG: &str = "fhir";

/// What one person's Bundle may narrow.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PersonBundleQuery {
    /// `collection` (default) to read, `transaction` to post to SATUSEHAT.
    #[serde(rename = "type")]
    #[param(rename = "type")]
    pub kind: Option<BundleType>,
    /// Contacts from this day on.
    pub from: Option<NaiveDate>,
    /// Contacts up to and including this day.
    pub to: Option<NaiveDate>,
}

/// What a region's Bundle covers.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RegionBundleQuery {
    /// Only this region (any tier) inside the caller's scope; default the whole scope.
    #[param(example = "14.01")]
    pub region: Option<String>,
    /// Contacts from this day on.
    pub from: Option<NaiveDate>,
    /// Contacts up to and including this day.
    pub to: Option<NaiveDate>,
    /// `collection` (default) to read, `transaction` to post to SATUSEHAT.
    #[serde(rename = "type")]
    #[param(rename = "type")]
    pub kind: Option<BundleType>,
    /// People per Bundle, 1 to 500; the Bundle then links to the next (`link` `next`).
    /// Default: everyone in one Bundle.
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    /// The `cursor` of a `next` link.
    pub cursor: Option<String>,
}

impl PersonBundleQuery {
    /// 403 for a dashboard, 422 for a period that ends before it starts: before the person is
    /// looked up.
    fn check(&self, caller: &Caller) -> Result<(), ApiError> {
        caller.require_child_data()?;
        let mut errors = FieldErrors::default();
        errors.check_order("to", self.from, self.to, text!("must not be before from"));
        errors.finish()
    }

    /// The contacts of person `id`, who lives in `village` (her access already checked).
    fn of(&self, caller: &Caller, id: Uuid, village: &RegionCode) -> Result<Selection, ApiError> {
        let scope = caller.list_scope(Some(village.clone()))?;
        Ok(Selection { scope, subject: Some(id), from: self.from, to: self.to })
    }
}

/// The Bundle of `T` for `selection`.
fn stream<T: Contacts>(
    req: &HttpRequest,
    pool: web::Data<ReadPool>,
    systems: &Systems,
    kind: Option<BundleType>,
    selection: Selection,
    limit: Option<u32>,
    after: Option<Key>,
) -> HttpResponse {
    let read = move |after, people| {
        let (pool, selection) = (pool.clone(), selection.clone());
        async move { Ok(records::page::<T>(&mut *pool.get().await?, &selection, after, people).await?) }
    };
    bundle::answer(req, kind.unwrap_or(BundleType::Collection), systems.clone(), limit, after, read)
}

/// `GET /api/v1/fhir/children/{id}`: the child's growth as a FHIR Bundle: her Patient, her
/// village's Location, and per measurement an Encounter with its weight and length/height
/// Observations.
#[utoipa::path(
    operation_id = "fhir_child_bundle",
    tag = TAG,
    params(("id" = Uuid, Path, description = "Child id"), PersonBundleQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A FHIR R4 Bundle (see docs/API.md for the mapping); without measurements \
            in the period, a Bundle without entries", content((Bundle = "application/fhir+json"))),
        (status = 403, description = "An analyst (no child-level data), or a child outside the caller's scope"),
        (status = 404, description = "No such child"),
        (status = 422, description = "An invalid parameter"),
    )
)]
#[get("/fhir/children/{id}")]
pub async fn child_bundle(
    caller: Caller,
    req: HttpRequest,
    path: web::Path<ChildId>,
    Query(query): Query<PersonBundleQuery>,
    pool: web::Data<ReadPool>,
    systems: web::Data<Systems>,
) -> Result<HttpResponse, ApiError> {
    query.check(&caller)?;
    let child = child::find(&mut *pool.get().await?, &caller, *path).await?;
    let selection = query.of(&caller, child.id.0, &child.village_code)?;
    Ok(stream::<GrowthRow>(&req, pool, &systems, query.kind, selection, None, None))
}

/// `GET /api/v1/fhir/people/{id}`: a woman's antenatal care as a FHIR Bundle: her Patient,
/// her village's Location, and per ANC visit an Encounter with its weight, LiLA and Hb
/// Observations.
#[utoipa::path(
    operation_id = "fhir_person_bundle",
    tag = TAG,
    params(("id" = Uuid, Path, description = "Person id"), PersonBundleQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A FHIR R4 Bundle (see docs/API.md for the mapping); without visits in the \
            period, a Bundle without entries", content((Bundle = "application/fhir+json"))),
        (status = 403, description = "An analyst (no personal data), or a person outside the caller's scope"),
        (status = 404, description = "No such person"),
        (status = 422, description = "An invalid parameter"),
    )
)]
#[get("/fhir/people/{id}")]
pub async fn person_bundle(
    caller: Caller,
    req: HttpRequest,
    path: web::Path<PersonId>,
    Query(query): Query<PersonBundleQuery>,
    pool: web::Data<ReadPool>,
    systems: web::Data<Systems>,
) -> Result<HttpResponse, ApiError> {
    query.check(&caller)?;
    let person = person::find(&mut *pool.get().await?, &caller, *path).await?;
    let selection = query.of(&caller, person.id.0, &person.village_code)?;
    Ok(stream::<AntenatalRow>(&req, pool, &systems, query.kind, selection, None, None))
}

impl RegionBundleQuery {
    /// The people asked for, inside the caller's scope (403 for a region outside it), with the
    /// page size and the position after which to start.
    fn parse(&self, caller: &Caller) -> Result<(Selection, Option<u32>, Option<Key>), ApiError> {
        caller.require_child_data()?;
        let mut errors = FieldErrors::default();
        let region = self.region.as_deref().and_then(|r| errors.check("region", RegionCode::parse(r)));
        errors.check_order("to", self.from, self.to, text!("must not be before from"));
        errors.finish()?;
        let limit = self.limit.map(|n| page::limit(Some(n), n)).transpose()?;
        let after = self.cursor.as_deref().map(decode_cursor::<Key>).transpose()?;
        let selection = Selection { scope: caller.list_scope(region)?, subject: None, from: self.from, to: self.to };
        Ok((selection, limit, after))
    }
}

/// `GET /api/v1/fhir/growth`: the growth of every child of a region with a measurement in the
/// period, as one FHIR Bundle (or Bundles of `limit` children, linked), streamed in the order
/// of village and child.
#[utoipa::path(
    operation_id = "fhir_growth_bundle",
    tag = TAG,
    params(RegionBundleQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A FHIR R4 Bundle (see docs/API.md for the mapping); streamed",
            content((Bundle = "application/fhir+json"))),
        (status = 400, description = "A `cursor` this endpoint did not give out"),
        (status = 403, description = "An analyst (no child-level data), or a region outside the caller's scope"),
        (status = 422, description = "An invalid parameter"),
    )
)]
#[get("/fhir/growth")]
pub async fn growth_bundle(
    caller: Caller,
    req: HttpRequest,
    Query(query): Query<RegionBundleQuery>,
    pool: web::Data<ReadPool>,
    systems: web::Data<Systems>,
) -> Result<HttpResponse, ApiError> {
    let (selection, limit, after) = query.parse(&caller)?;
    Ok(stream::<GrowthRow>(&req, pool, &systems, query.kind, selection, limit, after))
}

/// `GET /api/v1/fhir/antenatal`: the antenatal care of every woman of a region with an ANC
/// visit in the period, as one FHIR Bundle (or Bundles of `limit` women, linked), streamed in
/// the order of village and woman.
#[utoipa::path(
    operation_id = "fhir_antenatal_bundle",
    tag = TAG,
    params(RegionBundleQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A FHIR R4 Bundle (see docs/API.md for the mapping); streamed",
            content((Bundle = "application/fhir+json"))),
        (status = 400, description = "A `cursor` this endpoint did not give out"),
        (status = 403, description = "An analyst (no personal data), or a region outside the caller's scope"),
        (status = 422, description = "An invalid parameter"),
    )
)]
#[get("/fhir/antenatal")]
pub async fn antenatal_bundle(
    caller: Caller,
    req: HttpRequest,
    Query(query): Query<RegionBundleQuery>,
    pool: web::Data<ReadPool>,
    systems: web::Data<Systems>,
) -> Result<HttpResponse, ApiError> {
    let (selection, limit, after) = query.parse(&caller)?;
    Ok(stream::<AntenatalRow>(&req, pool, &systems, query.kind, selection, limit, after))
}
