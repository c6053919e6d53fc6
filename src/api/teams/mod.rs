//! Teams: TPPS coordination teams at every tier and TPK family assistance teams (three members)
//! in villages. Cases are assigned to a TPK; counts per tier are in `/stats/teams`.

mod dto;
mod handlers;

pub use dto::{Team, TeamMember};
use utoipa_actix_web::service_config::ServiceConfig;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(handlers::list).service(handlers::get_team).service(handlers::create).service(handlers::update);
}
