//! Regions: the Kemendagri hierarchy (province, district, subdistrict, village) every other
//! record hangs from. Readable by every signed-in caller (it is public reference data);
//! changed only by admins.

mod dto;
mod handlers;
mod summary;

pub use dto::{RegionDetail, RegionSummary};

use crate::domain::{RegionCode, RegionLevel};
use crate::error::ApiError;
use utoipa_actix_web::service_config::ServiceConfig;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(handlers::list)
        .service(handlers::create)
        .service(handlers::get)
        .service(handlers::children)
        .service(summary::region_summary)
        .service(handlers::rename)
        .service(handlers::retire);
}

/// A `{district}/{year}` path: a district code and a year in range, or a 422 naming each.
pub fn district_and_year(path: &(String, i32)) -> Result<(RegionCode, i32), ApiError> {
    let mut errors = crate::error::FieldErrors::default();
    let district = errors.check(
        "district",
        parse_at(&path.0, RegionLevel::District, "district").map_err(|_| text!("must be a district code like 14.03")),
    );
    errors.check("year", crate::domain::year_bounds(path.1));
    Ok((errors.finish_with(district)?, path.1))
}

/// `raw` as a code of `level`, or a 422 on `field` saying what was expected.
pub fn parse_at(raw: &str, level: RegionLevel, field: &str) -> Result<RegionCode, ApiError> {
    RegionCode::parse(raw)
        .ok()
        .filter(|c| c.level() == level)
        .ok_or_else(|| ApiError::invalid(field, text!("must be a %{level} code", level = level.as_str())))
}
