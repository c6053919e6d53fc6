use crate::auth::Caller;
use crate::auth::policy::Record;
use crate::db::audit;
use crate::db::schema::{lokus_villages, teams};
use crate::domain::page::PageRequest;
use crate::domain::{ExpectedVersion, RegionCode, Scope, TeamId, TeamKind, TpkRole};
use crate::error::{ApiError, FieldErrors};
use crate::records::access::{Scoped, Visible, Writable};
use crate::records::region_order::in_region_order;
use crate::records::write;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use validator::Validate;

#[derive(Queryable, Selectable)]
#[diesel(table_name = teams)]
struct TeamRow {
    id: TeamId,
    kind: TeamKind,
    region_code: RegionCode,
    name: String,
    active: bool,
    members: serde_json::Value,
    version: i32,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl TeamRow {
    fn into_team(self) -> QueryResult<Team> {
        let members: Vec<TeamMember> = serde_json::from_value(self.members)
            .map_err(|e| diesel::result::Error::DeserializationError(Box::new(e)))?;
        Ok(Team {
            id: self.id,
            kind: self.kind,
            region_code: self.region_code,
            name: self.name,
            active: self.active,
            members,
            version: self.version,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

fn members_json(members: &[TeamMember]) -> serde_json::Value {
    serde_json::to_value(members).unwrap_or_default()
}

/// The team, if the caller may read it: 404 unless known, 403 outside the caller's access.
pub async fn find(conn: &mut AsyncPgConnection, caller: &Caller, id: TeamId) -> Result<Visible<Team>, ApiError> {
    Visible::check(caller, load(conn, id).await?, || unknown(id))
}

/// The team whatever the caller's access: what a reference to it is checked against.
pub(in crate::records) async fn load(conn: &mut AsyncPgConnection, id: TeamId) -> QueryResult<Option<Team>> {
    let row: Option<TeamRow> = teams::table.find(id).select(TeamRow::as_select()).first(conn).await.optional()?;
    row.map(TeamRow::into_team).transpose()
}

/// The kind and region of the team with this id, if any: what a retried create compares with.
pub async fn identity(conn: &mut AsyncPgConnection, id: TeamId) -> QueryResult<Option<(TeamKind, RegionCode)>> {
    teams::table.find(id).select((teams::kind, teams::region_code)).first(conn).await.optional()
}

/// Locks the team's row for the rest of the transaction, if the caller may change it.
pub async fn lock(conn: &mut AsyncPgConnection, caller: &Caller, id: TeamId) -> Result<Writable<Team>, ApiError> {
    let row: Option<TeamRow> =
        teams::table.find(id).select(TeamRow::as_select()).for_update().first(conn).await.optional()?;
    Writable::check(caller, row.map(TeamRow::into_team).transpose()?, || unknown(id))
}

write::versioned!(Team, TeamId, "team", lock);

fn unknown(id: TeamId) -> ApiError {
    ApiError::not_found(text!("no team has id %{id}", id = id))
}

impl Scoped for Team {
    const RECORD: Record = Record::Team;
    fn region(&self) -> &RegionCode {
        &self.region_code
    }
}

#[derive(Debug, Default)]
pub struct TeamFilter {
    pub kind: Option<TeamKind>,
    pub active: Option<bool>,
    pub lokus_year: Option<i32>,
}

pub async fn list(
    conn: &mut AsyncPgConnection,
    scope: &Scope,
    filter: &TeamFilter,
    page: &PageRequest<(RegionCode, TeamId)>,
) -> QueryResult<Vec<Team>> {
    let mut query = teams::table.select(TeamRow::as_select()).into_boxed();
    if let Some((from, to)) = scope.code_range() {
        query = query.filter(teams::region_code.ge(from.to_owned()).and(teams::region_code.lt(to)));
    }
    if let Some(kind) = filter.kind {
        query = query.filter(teams::kind.eq(kind));
    }
    if let Some(active) = filter.active {
        query = query.filter(teams::active.eq(active));
    }
    if let Some(year) = filter.lokus_year {
        let lokus = lokus_villages::table.filter(lokus_villages::year.eq(year)).select(lokus_villages::village_code);
        query = query.filter(teams::region_code.eq_any(lokus));
    }
    let rows: Vec<TeamRow> = in_region_order!(query, page, teams::region_code, teams::id).load(conn).await?;
    rows.into_iter().map(TeamRow::into_team).collect()
}

/// Changes to a team; absent fields stay. `members` replaces the whole list.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"active": false}))]
pub struct TeamChanges {
    #[validate(length(min = 1, max = 200), custom(function = "crate::domain::text::non_blank"))]
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
    pub active: Option<bool>,
    #[validate(length(max = 100), nested)]
    #[schema(max_items = 100)]
    pub members: Option<Vec<TeamMember>>,
}

pub struct TeamWrite<'a> {
    pub id: TeamId,
    pub kind: TeamKind,
    pub region: &'a RegionCode,
    pub name: &'a str,
    pub active: bool,
    pub members: &'a [TeamMember],
}

/// Creates a team in a region the caller keeps teams in.
/// Registers a team as the caller: the same team sent again under its id is the stored one
/// (`false`: nothing written); another team's id is a 409.
pub async fn create(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    team: &TeamWrite<'_>,
) -> Result<(Team, bool), ApiError> {
    let id = team.id;
    if let Some((kind, existing_region)) = identity(conn, id).await? {
        return if kind == team.kind && existing_region == *team.region {
            Ok((find(conn, caller, id).await?.into_inner(), false))
        } else {
            Err(ApiError::conflict(text!("team id %{id} belongs to another team", id = id)))
        };
    }
    let created = insert(conn, caller, team).await?;
    audit::record(conn, Some(caller.id), "team.create", id, json!({"kind": team.kind, "region": team.region})).await?;
    Ok((created, true))
}

/// Renames a team, replaces its members or marks it (in)active: the changes are judged once
/// the team is locked, against its kind.
pub async fn change(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: TeamId,
    read: ExpectedVersion,
    changes: &TeamChanges,
) -> Result<Team, ApiError> {
    let audit = json!({"name": changes.name.is_some(), "active": changes.active, "members": changes.members.is_some()});
    write::change::<Team, _>(conn, caller, id, read, ("update", audit), async |conn, current| {
        let mut errors = FieldErrors::from_validation(changes.validate());
        if let Some(members) = &changes.members {
            check_members(current.kind, members, &mut errors);
        }
        errors.finish()?;
        let write = TeamWrite {
            id,
            kind: current.kind,
            region: &current.region_code,
            name: changes.name.as_deref().map_or(current.name.as_str(), str::trim),
            active: changes.active.unwrap_or(current.active),
            members: changes.members.as_deref().unwrap_or(&current.members),
        };
        Ok(update(conn, current, &write).await?)
    })
    .await
}

/// Records why `members` cannot be the members of a team of `kind`.
pub fn check_members(kind: TeamKind, members: &[TeamMember], errors: &mut FieldErrors) {
    for (i, member) in members.iter().enumerate() {
        let phone_ok =
            member.phone.as_deref().is_none_or(|p| p.chars().all(|c| c.is_ascii_digit() || "+- ".contains(c)));
        if !phone_ok {
            errors.add(&format!("members[{i}].phone"), text!("may hold only digits, spaces, '+' and '-'"));
        }
    }
    if kind != TeamKind::Tpk {
        return;
    }
    let mut roles = Vec::new();
    for (i, member) in members.iter().enumerate() {
        match member.role.parse::<TpkRole>() {
            Ok(role) => roles.push(role),
            Err(e) => errors.add(&format!("members[{i}].role"), e.into()),
        }
    }
    roles.sort();
    roles.dedup();
    if members.len() != 3 || roles.len() != members.len() {
        errors
            .add("members", text!("a TPK has three members: one midwife, one pkk_cadre and one family_planning_cadre"));
    }
}

async fn insert(conn: &mut AsyncPgConnection, caller: &Caller, team: &TeamWrite<'_>) -> Result<Team, ApiError> {
    caller.require_write(Record::Team, team.region)?;
    let by = caller.id;
    Ok(diesel::insert_into(teams::table)
        .values((
            teams::id.eq(team.id),
            teams::kind.eq(team.kind),
            teams::region_code.eq(team.region),
            teams::name.eq(team.name),
            teams::active.eq(team.active),
            teams::members.eq(members_json(team.members)),
            teams::created_by.eq(by),
        ))
        .returning(TeamRow::as_returning())
        .get_result::<TeamRow>(conn)
        .await?
        .into_team()?)
}

/// Changes a locked team's name, state and members (`team.id` must be the locked one).
async fn update(conn: &mut AsyncPgConnection, locked: &Writable<Team>, team: &TeamWrite<'_>) -> QueryResult<Team> {
    diesel::update(teams::table.find(locked.id))
        .set((
            teams::name.eq(team.name),
            teams::active.eq(team.active),
            teams::members.eq(members_json(team.members)),
            teams::version.eq(teams::version + 1),
            teams::updated_at.eq(Utc::now()),
        ))
        .returning(TeamRow::as_returning())
        .get_result::<TeamRow>(conn)
        .await?
        .into_team()
}

/// A member of a team. `role` is the member's role in the team: for a TPK one each of
/// `midwife`, `pkk_cadre` and `family_planning_cadre`; for a TPPS free text (`ketua`, …).
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Rahmawati", "position": "Bidan desa", "agency": "Puskesmas Kampar",
    "role": "midwife", "phone": "+6281234567890"}))]
pub struct TeamMember {
    #[validate(length(min = 1, max = 200), custom(function = "crate::domain::text::non_blank"))]
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
    #[validate(length(min = 1, max = 100), custom(function = "crate::domain::text::non_blank"))]
    #[schema(min_length = 1, max_length = 100)]
    pub role: String,
    /// A personal contact: never shown to analysts (`null` for them).
    #[validate(length(min = 6, max = 20))]
    #[schema(min_length = 6, max_length = 20, pattern = "^[0-9+ -]+$")]
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
