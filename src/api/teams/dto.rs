use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::domain::{TeamId, TeamKind};

pub use crate::records::team::{Team, TeamChanges, TeamMember};

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"kind": "tpk", "region_code": "14.01.01.2009", "name": "TPK Kumantan 2", "members": [
    {"name": "Rahmawati", "position": "Bidan desa", "agency": "Puskesmas Kampar", "role": "midwife"},
    {"name": "Yusnidar", "agency": "TP PKK Desa", "role": "pkk_cadre"},
    {"name": "Hendri", "agency": "PPKBD", "role": "family_planning_cadre"}]}))]
pub struct NewTeam {
    /// Optional client-chosen id: a retry with the same id answers with the team on record.
    pub id: Option<TeamId>,
    pub kind: TeamKind,
    /// A village for a TPK; any region for a TPPS.
    pub region_code: String,
    #[validate(length(min = 1, max = 200), custom(function = "crate::domain::text::non_blank"))]
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    /// Default `true`.
    pub active: Option<bool>,
    #[validate(length(max = 100), nested)]
    #[schema(max_items = 100)]
    pub members: Vec<TeamMember>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListTeamsQuery {
    /// Teams in this region (any tier) and under it.
    #[param(example = "14.01")]
    pub region: Option<String>,
    pub kind: Option<TeamKind>,
    pub active: Option<bool>,
    /// `true`: only teams of lokus villages of the current year.
    pub lokus: Option<bool>,
    /// Page size, 1 to 500 (default 50).
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}
