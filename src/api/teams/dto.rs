use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::domain::{RegionCode, TeamId, TeamKind};

/// A member of a team. `role` is the member's role in the team: for a TPK one each of
/// `midwife`, `pkk_cadre` and `family_planning_cadre`; for a TPPS free text (`ketua`, …).
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Rahmawati", "position": "Bidan desa", "agency": "Puskesmas Kampar",
    "role": "midwife", "phone": "+6281234567890"}))]
pub struct TeamMember {
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    /// Their job (*jabatan*).
    #[validate(length(max = 200))]
    #[schema(max_length = 200)]
    pub position: Option<String>,
    /// Their agency or organisation.
    #[validate(length(max = 200))]
    #[schema(max_length = 200)]
    pub agency: Option<String>,
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100)]
    pub role: String,
    /// A personal contact: never shown to analysts (`null` for them).
    #[validate(length(min = 6, max = 20))]
    #[schema(min_length = 6, max_length = 20)]
    pub phone: Option<String>,
}

/// A TPPS coordination team (any tier) or a TPK family assistance team (a village).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "id": "0192b7a4-0000-7000-8000-0000000000e1", "kind": "tpk", "region_code": "14.01.01.2009",
    "name": "TPK Kumantan 2", "active": true, "members": [
        {"name": "Rahmawati", "position": "Bidan desa", "agency": "Puskesmas Kampar", "role": "midwife", "phone": null},
        {"name": "Yusnidar", "position": null, "agency": "TP PKK Desa", "role": "pkk_cadre", "phone": null},
        {"name": "Hendri", "position": null, "agency": "PPKBD", "role": "family_planning_cadre", "phone": null}],
    "version": 1, "created_at": "2024-01-10T00:00:00Z", "updated_at": "2024-01-10T00:00:00Z"
}))]
pub struct Team {
    pub id: TeamId,
    pub kind: TeamKind,
    pub region_code: RegionCode,
    pub name: String,
    pub active: bool,
    pub members: Vec<TeamMember>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Team {
    /// Personal contacts are for the people who work with the team, not for dashboards.
    pub fn without_contacts(mut self) -> Self {
        for member in &mut self.members {
            member.phone = None;
        }
        self
    }
}

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
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    /// Default `true`.
    pub active: Option<bool>,
    #[validate(length(max = 100), nested)]
    #[schema(max_items = 100)]
    pub members: Vec<TeamMember>,
}

/// Changes to a team; absent fields stay. `members` replaces the whole list.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"active": false}))]
pub struct TeamChanges {
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
    pub active: Option<bool>,
    #[validate(length(max = 100), nested)]
    #[schema(max_items = 100)]
    pub members: Option<Vec<TeamMember>>,
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
