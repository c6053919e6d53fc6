use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::domain::Verification;

pub use crate::records::family::year_list::ImportSummary;
pub use crate::records::family::{Family, FamilyRecord};

/// A province's list for a year: new families are added, known ones (same year and
/// `family_key`) updated, identical ones left alone, so a retried import changes nothing.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"year": 2022, "families": [
    {"family_key": "6203010001000123", "village_code": "62.03.01.1006", "risk_factors": ["no_safe_water"],
     "has_pregnant_woman": false, "has_under_two": true, "has_under_five": true},
    {"family_key": "6203010001000124", "village_code": "62.03.01.1007",
     "risk_factors": ["mother_under_20", "no_proper_latrine"],
     "has_pregnant_woman": true, "has_under_two": false, "has_under_five": false}]}))]
pub struct FamilyImport {
    #[schema(minimum = 2000, maximum = 2100)]
    pub year: i32,
    /// 1 to 2,000 families (about 0.5 MB, inside the default `MAX_BODY_BYTES`).
    #[validate(length(min = 1, max = 2000))]
    #[schema(min_items = 1, max_items = 2000)]
    pub families: Vec<FamilyRecord>,
}

/// What the village found.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"status": "not_found", "note": "moved to Palangka Raya in 2021"}))]
pub struct VerificationUpdate {
    /// `pending` withdraws an earlier verdict.
    pub status: Verification,
    #[validate(length(max = 2000))]
    #[schema(max_length = 2000)]
    pub note: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListFamiliesQuery {
    /// Families in this region (any tier).
    #[param(example = "62.03")]
    pub region: Option<String>,
    #[param(example = 2022)]
    pub year: i32,
    pub verification: Option<Verification>,
    /// `true`: only lokus villages of `year`.
    pub lokus: Option<bool>,
    /// Page size, 1 to 500 (default 50).
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}
