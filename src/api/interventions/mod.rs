//! Intervention activities: a type delivered in a region over a period by a responsible
//! agency, with a target count (*sasaran*) and monthly progress reports.

mod dto;
mod handlers;
pub mod queries;

pub use dto::InterventionView;
use utoipa_actix_web::service_config::ServiceConfig;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(handlers::list)
        .service(handlers::create)
        .service(handlers::get)
        .service(handlers::update)
        .service(handlers::delete)
        .service(handlers::list_reports)
        .service(handlers::report);
}

/// Coverage as a percentage, two decimals; `None` when there is no target to cover.
pub fn coverage_pct(reached: i64, target: i64) -> Option<f64> {
    (target > 0).then(|| (reached as f64 / target as f64 * 10_000.0).round() / 100.0)
}

/// How far coverage falls short of the national target, in percentage points (negative: above).
pub fn gap_pct(coverage: Option<f64>, national: Option<f64>) -> Option<f64> {
    Some(((national? - coverage?) * 100.0).round() / 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coverage_and_gap() {
        assert_eq!(coverage_pct(45, 60), Some(75.0));
        assert_eq!(coverage_pct(1, 3), Some(33.33));
        assert_eq!(coverage_pct(5, 0), None);
        assert_eq!(gap_pct(Some(75.0), Some(90.0)), Some(15.0));
        assert_eq!(gap_pct(Some(95.5), Some(90.0)), Some(-5.5));
        assert_eq!(gap_pct(Some(75.0), None), None);
    }
}
