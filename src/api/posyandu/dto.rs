use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::domain::PosyanduId;

pub use crate::records::posyandu::{Posyandu, PosyanduChanges};

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"id": "0192b7a4-0000-7000-8000-0000000000a1", "village_code": "14.01.01.2009",
    "name": "Posyandu Melati"}))]
pub struct NewPosyandu {
    /// Optional client-chosen id: a retry with the same id answers with the posyandu on record.
    pub id: Option<PosyanduId>,
    /// A village-tier region code.
    pub village_code: String,
    #[validate(length(min = 1, max = 200), custom(function = "crate::domain::text::non_blank"))]
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    /// Default `true`.
    pub active: Option<bool>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListPosyanduQuery {
    /// Posyandu in this region (any tier) and under it.
    #[param(example = "14.01.01.2009")]
    pub region: Option<String>,
    pub active: Option<bool>,
    /// Page size, 1 to 500 (default 50).
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}
