//! Children under five: the people the programme exists for. Personal data: readable by
//! those who care for the child (cadres in their village, officers and integrations in their
//! scope, admins), never by dashboards. The NIK is write-only.

mod birth;
mod dto;
mod handlers;

pub use dto::RemovalReason;
use utoipa_actix_web::service_config::ServiceConfig;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(handlers::list)
        .service(handlers::create)
        .service(handlers::get)
        .service(handlers::update)
        .service(handlers::delete)
        .service(birth::child_birth);
}
