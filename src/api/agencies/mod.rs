//! Government agencies (*OPD*) of a district: who is responsible for an activity or a
//! budget line. Read by everyone whose scope touches the district; kept by its officers.

mod handlers;
pub mod queries;

pub use queries::Agency;
use utoipa_actix_web::service_config::ServiceConfig;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(handlers::list).service(handlers::create).service(handlers::update).service(handlers::delete);
}

/// Records in `errors` why `agency_id` cannot be responsible in `region`: unknown, or of a
/// district that neither contains the region nor lies inside it.
pub async fn check_serves(
    conn: &mut crate::db::AsyncPgConnection,
    id: crate::domain::AgencyId,
    region: &crate::domain::RegionCode,
    errors: &mut crate::error::FieldErrors,
) -> diesel::QueryResult<()> {
    match queries::find(conn, id).await? {
        None => errors.add("agency_id", format!("no agency has id {id}")),
        Some(a) if !a.district_code.overlaps(region) => {
            errors.add("agency_id", format!("the agency belongs to district {}, not to {region}", a.district_code))
        }
        Some(_) => {}
    }
    Ok(())
}
