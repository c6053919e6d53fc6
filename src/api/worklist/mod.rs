//! The worklist: what a village's cadres, a posyandu or a TPK should do next, from the rules in
//! `domain::worklist`.

mod dto;
mod handlers;

use utoipa_actix_web::service_config::ServiceConfig;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(handlers::get_worklist);
}
