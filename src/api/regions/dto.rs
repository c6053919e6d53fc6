use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::domain::RegionLevel;

pub use crate::records::region::{RegionDetail, RegionSummary};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListRegionsQuery {
    /// Only regions of this tier.
    pub level: Option<RegionLevel>,
    /// Only the direct children of this region.
    #[param(example = "14")]
    pub parent: Option<String>,
    /// Only this region and the regions under it, at any depth.
    #[param(example = "14.01")]
    pub within: Option<String>,
    /// Case-insensitive search in the name.
    #[param(example = "kampar")]
    pub q: Option<String>,
    /// Include retired regions (default false).
    pub include_retired: Option<bool>,
    /// Page size, 1 to 500 (default 50).
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ChildrenQuery {
    /// Include retired regions (default false).
    pub include_retired: Option<bool>,
    /// Page size, 1 to 500 (default 50).
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// A new region; its tier and parent follow from the code.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"code": "14.01.22", "name": "Kampar Utara Baru"}))]
pub struct CreateRegion {
    pub code: String,
    #[validate(length(min = 1, max = 200), custom(function = "crate::domain::text::non_blank"))]
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Kabupaten Kampar"}))]
pub struct RenameRegion {
    #[validate(length(min = 1, max = 200), custom(function = "crate::domain::text::non_blank"))]
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"replaced_by": ["14.01.22", "14.01.23"], "include_descendants": false}))]
pub struct RetireRegion {
    /// The regions that replace this one (they must exist).
    #[serde(default)]
    #[validate(length(max = 100))]
    #[schema(max_items = 100)]
    pub replaced_by: Vec<String>,
    /// Retire every active region under this one too. Without it, a region that still has
    /// active regions under it cannot be retired (409).
    #[serde(default)]
    pub include_descendants: bool,
}
