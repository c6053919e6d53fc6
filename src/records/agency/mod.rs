use crate::auth::Caller;
use crate::auth::policy::Record;
use crate::db::audit;
use crate::db::schema::{agencies, budget_lines, interventions};
use crate::domain::{AgencyId, AgencySector, ExpectedVersion, RegionCode};
use crate::error::ApiError;
use crate::records::access::{Scoped, Writable};
use crate::records::write;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Queryable, Selectable)]
#[diesel(table_name = agencies)]
#[schema(example = json!({
    "id": "0192b7a4-0000-7000-8000-000000000001", "district_code": "14.01",
    "name": "Dinas Pengendalian Penduduk, Keluarga Berencana, Pemberdayaan Perempuan dan Perlindungan Anak",
    "short_name": "DP3AP2KB", "sector": "family_planning", "version": 1,
    "created_at": "2026-11-22T00:00:00Z", "updated_at": "2026-11-22T00:00:00Z"
}))]
pub struct Agency {
    pub id: AgencyId,
    pub district_code: RegionCode,
    pub name: String,
    pub short_name: String,
    pub sector: AgencySector,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"district_code": "14.01", "name": "Dinas Kesehatan Kabupaten Kampar",
    "short_name": "Dinkes", "sector": "health"}))]
pub struct NewAgency {
    /// A district (kabupaten/kota) code.
    pub district_code: String,
    #[validate(length(min = 1, max = 200), custom(function = "crate::domain::text::non_blank"))]
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    #[validate(length(min = 1, max = 40), custom(function = "crate::domain::text::non_blank"))]
    #[schema(min_length = 1, max_length = 40)]
    pub short_name: String,
    pub sector: AgencySector,
}

#[derive(Debug, Deserialize, Validate, ToSchema, AsChangeset)]
#[diesel(table_name = agencies)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Dinas Kesehatan Kabupaten Kampar"}))]
pub struct AgencyChanges {
    #[validate(length(min = 1, max = 200), custom(function = "crate::domain::text::non_blank"))]
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
    #[validate(length(min = 1, max = 40), custom(function = "crate::domain::text::non_blank"))]
    #[schema(min_length = 1, max_length = 40)]
    pub short_name: Option<String>,
    pub sector: Option<AgencySector>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListAgenciesQuery {
    /// The district (required unless the caller's scope is one district or less).
    #[param(example = "14.01")]
    pub district: Option<String>,
}

pub async fn list(conn: &mut AsyncPgConnection, district: &RegionCode) -> QueryResult<Vec<Agency>> {
    agencies::table
        .filter(agencies::district_code.eq(district))
        .select(Agency::as_select())
        .order(agencies::short_name)
        .load(conn)
        .await
}

/// The agency whatever the caller's access: what a reference to it is checked against.
async fn load(conn: &mut AsyncPgConnection, id: AgencyId) -> QueryResult<Option<Agency>> {
    agencies::table.find(id).select(Agency::as_select()).first(conn).await.optional()
}

/// The agency, if the caller may change it (officers whose scope covers its district).
pub async fn lock(conn: &mut AsyncPgConnection, caller: &Caller, id: AgencyId) -> Result<Writable<Agency>, ApiError> {
    let row = agencies::table.find(id).select(Agency::as_select()).for_update().first(conn).await.optional()?;
    Writable::check(caller, row, || ApiError::not_found(text!("no agency has id %{id}", id = id)))
}

impl Scoped for Agency {
    const RECORD: Record = Record::Agency;
    fn region(&self) -> &RegionCode {
        &self.district_code
    }
}

/// Adds an agency to a district as the caller (who may write there); a short name the district
/// already has is a 409.
pub async fn create(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    district: &RegionCode,
    new: &NewAgency,
) -> Result<Agency, ApiError> {
    caller.require_write(Record::Agency, district)?;
    let agency = insert(conn, district, new).await.map_err(|e| match ApiError::from(e) {
        ApiError::Conflict(_) => ApiError::conflict(text!("the district already has an agency with this short name")),
        other => other,
    })?;
    audit::record(conn, Some(caller.id), "agency.create", agency.id, json!({})).await?;
    Ok(agency)
}

/// Renames or re-sectors an agency.
pub async fn change(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: AgencyId,
    read: ExpectedVersion,
    changes: &AgencyChanges,
) -> Result<Agency, ApiError> {
    write::change::<Agency, _>(conn, caller, id, read, ("update", json!({})), async |conn, current| {
        Ok(update(conn, current, changes).await?)
    })
    .await
}

/// Removes an agency no activity or budget line names.
pub async fn remove(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: AgencyId,
    read: ExpectedVersion,
) -> Result<(), ApiError> {
    write::change::<Agency, _>(conn, caller, id, read, ("delete", json!({})), async |conn, current| {
        delete(conn, current).await
    })
    .await
}

async fn insert(conn: &mut AsyncPgConnection, district: &RegionCode, new: &NewAgency) -> QueryResult<Agency> {
    diesel::insert_into(agencies::table)
        .values((
            agencies::id.eq(AgencyId::new()),
            agencies::district_code.eq(district),
            agencies::name.eq(new.name.trim()),
            agencies::short_name.eq(new.short_name.trim()),
            agencies::sector.eq(new.sector),
        ))
        .returning(Agency::as_returning())
        .get_result(conn)
        .await
}

write::versioned!(Agency, AgencyId, "agency", lock);

async fn update(
    conn: &mut AsyncPgConnection,
    agency: &Writable<Agency>,
    changes: &AgencyChanges,
) -> QueryResult<Agency> {
    diesel::update(agencies::table.find(agency.id))
        .set((changes, agencies::version.eq(agencies::version + 1), agencies::updated_at.eq(Utc::now())))
        .returning(Agency::as_returning())
        .get_result(conn)
        .await
}

/// Deletes an agency no activity or budget line names: a name in a directory, which leaves
/// nothing behind that a record points to (the audit trail keeps the deletion).
async fn delete(conn: &mut AsyncPgConnection, agency: &Writable<Agency>) -> Result<(), ApiError> {
    let by_activity = interventions::table.filter(interventions::agency_id.eq(agency.id));
    let by_line = budget_lines::table.filter(budget_lines::agency_id.eq(agency.id));
    let (activities, lines): (bool, bool) =
        diesel::select((diesel::dsl::exists(by_activity), diesel::dsl::exists(by_line))).get_result(conn).await?;
    if activities || lines {
        let named_by = if activities { "activities" } else { "budget lines" };
        return Err(ApiError::conflict(text!(
            "%{named_by} name this agency as responsible; reassign them first",
            named_by = named_by
        )));
    }
    diesel::delete(agencies::table.find(agency.id)).execute(conn).await?;
    Ok(())
}

/// Records in `errors` why `agency_id` cannot be responsible in `region`: unknown, or of a
/// district that neither contains the region nor lies inside it.
pub async fn check_serves(
    conn: &mut crate::db::AsyncPgConnection,
    id: crate::domain::AgencyId,
    region: &crate::domain::RegionCode,
    errors: &mut crate::error::FieldErrors,
) -> diesel::QueryResult<()> {
    match load(conn, id).await? {
        None => errors.add("agency_id", text!("no agency has id %{id}", id = id)),
        Some(a) if !a.district_code.overlaps(region) => errors.add(
            "agency_id",
            text!(
                "the agency belongs to district %{district_code}, not to %{region}",
                district_code = a.district_code,
                region = region
            ),
        ),
        Some(_) => {}
    }
    Ok(())
}
