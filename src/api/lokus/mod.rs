//! Lokus (priority) villages: each year a district designates the villages where it
//! concentrates interventions, by a decision such as its Rembuk Stunting. Stats and lists
//! take `lokus=true` to keep to them.

mod handlers;

use utoipa_actix_web::service_config::ServiceConfig;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(handlers::get_lokus).service(handlers::replace);
}
