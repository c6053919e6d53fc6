//! The intervention catalogue: specific and sensitive types, their target group, what they
//! count and the national coverage target (Perpres 72/2021). Read by everyone, kept by admins.

mod handlers;
pub mod queries;

pub use queries::InterventionType;
use utoipa_actix_web::service_config::ServiceConfig;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(handlers::list).service(handlers::create).service(handlers::update);
}

/// Records in `errors` that no intervention type has `code`.
pub async fn check_known(
    conn: &mut crate::db::AsyncPgConnection,
    code: &str,
    errors: &mut crate::error::FieldErrors,
) -> diesel::QueryResult<()> {
    if queries::find(conn, code).await?.is_none() {
        errors.add("type_code", format!("no intervention type has code {code}"));
    }
    Ok(())
}
