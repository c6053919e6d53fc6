use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::db::schema::regions;
use crate::domain::{RegionCode, RegionLevel};

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

/// A region in a list.
#[derive(Debug, Serialize, Deserialize, ToSchema, Queryable, Selectable)]
#[diesel(table_name = regions)]
#[schema(example = json!({"code": "14.01", "parent_code": "14", "level": "district",
    "name": "Kabupaten Kampar", "retired_at": null}))]
pub struct RegionSummary {
    pub code: RegionCode,
    pub parent_code: Option<RegionCode>,
    pub level: RegionLevel,
    pub name: String,
    /// When the region stopped existing (split, merged or renamed away); `null` while active.
    pub retired_at: Option<DateTime<Utc>>,
}

/// An ancestor of a region.
#[derive(Debug, Serialize, Deserialize, ToSchema, Queryable, Selectable)]
#[diesel(table_name = regions)]
pub struct RegionRef {
    pub code: RegionCode,
    pub level: RegionLevel,
    pub name: String,
}

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = regions)]
pub struct RegionRow {
    pub code: RegionCode,
    pub parent_code: Option<RegionCode>,
    pub level: RegionLevel,
    pub name: String,
    pub retired_at: Option<DateTime<Utc>>,
    pub replaced_by: Vec<String>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// How many active regions of each lower tier a region contains.
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
pub struct RegionCounts {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub district: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subdistrict: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub village: Option<i64>,
}

/// A region with its ancestors and what it contains.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "code": "14.01", "parent_code": "14", "level": "district", "name": "Kabupaten Kampar",
    "retired_at": null, "replaced_by": [], "version": 1,
    "created_at": "2026-11-22T00:00:00Z", "updated_at": "2026-11-22T00:00:00Z",
    "ancestors": [{"code": "14", "level": "province", "name": "Riau"}],
    "contains": {"subdistrict": 21, "village": 250}
}))]
pub struct RegionDetail {
    pub code: RegionCode,
    pub parent_code: Option<RegionCode>,
    pub level: RegionLevel,
    pub name: String,
    pub retired_at: Option<DateTime<Utc>>,
    /// The regions that took over from a retired one (after a split, *pemekaran*).
    #[schema(value_type = Vec<String>, example = json!(["14.10", "14.11"]))]
    pub replaced_by: Vec<String>,
    /// Send it back as `If-Match` to change the region.
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Province first.
    pub ancestors: Vec<RegionRef>,
    pub contains: RegionCounts,
}

/// A new region; its tier and parent follow from the code.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"code": "14.01.22", "name": "Kampar Utara Baru"}))]
pub struct CreateRegion {
    pub code: String,
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Kabupaten Kampar"}))]
pub struct RenameRegion {
    #[validate(length(min = 1, max = 200))]
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
