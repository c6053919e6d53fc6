//! The village health posts (posyandu): a register per village. Children are registered to one
//! of their village's posyandu, and a measurement may name the one where it was taken; SKDN is
//! counted per posyandu (`stats::skdn`).

use crate::auth::Caller;
use crate::auth::policy::Record;
use crate::db::audit;
use crate::db::schema::posyandu;
use crate::domain::page::PageRequest;
use crate::domain::{ExpectedVersion, PosyanduId, RegionCode, Scope};
use crate::error::{ApiError, FieldErrors};
use crate::records::access::{Scoped, Visible, Writable};
use crate::records::region_order::in_region_order;
use crate::records::write;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::HashSet;
use utoipa::ToSchema;
use validator::Validate;

/// A posyandu of a village.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Queryable, Selectable)]
#[diesel(table_name = posyandu)]
#[schema(example = json!({
    "id": "0192b7a4-0000-7000-8000-0000000000a1", "village_code": "14.01.01.2009", "name": "Posyandu Melati",
    "active": true, "version": 1, "created_at": "2024-01-10T00:00:00Z", "updated_at": "2024-01-10T00:00:00Z"
}))]
pub struct Posyandu {
    pub id: PosyanduId,
    pub village_code: RegionCode,
    pub name: String,
    /// An inactive posyandu keeps its children and its history; no new child is registered to it.
    pub active: bool,
    /// Send it back as `If-Match` to change the posyandu.
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Scoped for Posyandu {
    const RECORD: Record = Record::Posyandu;
    fn region(&self) -> &RegionCode {
        &self.village_code
    }
}

/// The posyandu, if the caller may read it: 404 unless known, 403 outside the caller's access.
pub async fn find(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: PosyanduId,
) -> Result<Visible<Posyandu>, ApiError> {
    Visible::check(caller, load(conn, id).await?, || unknown(id))
}

async fn load(conn: &mut AsyncPgConnection, id: PosyanduId) -> QueryResult<Option<Posyandu>> {
    posyandu::table.find(id).select(Posyandu::as_select()).first(conn).await.optional()
}

/// Locks the posyandu's row for the rest of the transaction, if the caller may change it.
pub async fn lock(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: PosyanduId,
) -> Result<Writable<Posyandu>, ApiError> {
    let row = posyandu::table.find(id).select(Posyandu::as_select()).for_update().first(conn).await.optional()?;
    Writable::check(caller, row, || unknown(id))
}

write::versioned!(Posyandu, PosyanduId, "posyandu", lock);

fn unknown(id: PosyanduId) -> ApiError {
    ApiError::not_found(text!("no posyandu has id %{id}", id = id))
}

/// Why `id` cannot be the posyandu of a child of `village` (`field` names it): it must exist,
/// be active and be the village's own. A child's posyandu counts her in its SKDN, which is part
/// of her village's.
pub async fn check_for_child(
    conn: &mut AsyncPgConnection,
    id: PosyanduId,
    village: &RegionCode,
    field: &str,
    errors: &mut FieldErrors,
) -> QueryResult<()> {
    match load(conn, id).await? {
        None => errors.add(field, text!("no posyandu has id %{id}", id = id)),
        Some(p) if p.village_code != *village => errors.add(
            field,
            text!(
                "the posyandu is in village %{village_code}, not the child's %{village}",
                village_code = p.village_code,
                village = village
            ),
        ),
        Some(p) if !p.active => errors.add(field, text!("the posyandu is inactive")),
        Some(_) => {}
    }
    Ok(())
}

/// Why `id` cannot be named as the place of a measurement the caller records: it must exist and
/// be one the caller may read (a child may be weighed at a neighbouring village's posyandu).
pub async fn check_for_measurement(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: PosyanduId,
    field: &str,
    errors: &mut FieldErrors,
) -> QueryResult<()> {
    // Outside the caller's reach is "unknown" too: the answer confirms nothing.
    if !readable(conn, caller, std::iter::once(id)).await?.contains(&id) {
        errors.add(field, text!("no posyandu has id %{id}", id = id));
    }
    Ok(())
}

/// Of `ids`, those a child of the given village may be registered to (`check_for_child`
/// finds no fault): what a batch of new children may name, looked up once.
pub async fn open_to_children(
    conn: &mut AsyncPgConnection,
    wanted: &[(PosyanduId, &RegionCode)],
) -> QueryResult<HashSet<(PosyanduId, RegionCode)>> {
    if wanted.is_empty() {
        return Ok(HashSet::new());
    }
    let ids: Vec<PosyanduId> = wanted.iter().map(|(id, _)| *id).collect();
    let found: Vec<(PosyanduId, RegionCode)> = posyandu::table
        .filter(posyandu::id.eq_any(&ids))
        .filter(posyandu::active)
        .select((posyandu::id, posyandu::village_code))
        .load(conn)
        .await?;
    Ok(found.into_iter().collect())
}

/// Of `ids`, those that name a posyandu the caller may read: what a batch of measurements may
/// name, looked up once.
pub async fn readable(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    ids: impl Iterator<Item = PosyanduId>,
) -> QueryResult<HashSet<PosyanduId>> {
    let mut ids: Vec<PosyanduId> = ids.collect();
    if ids.is_empty() {
        return Ok(HashSet::new());
    }
    ids.sort_unstable();
    ids.dedup();
    let found: Vec<(PosyanduId, RegionCode)> = posyandu::table
        .filter(posyandu::id.eq_any(&ids))
        .select((posyandu::id, posyandu::village_code))
        .load(conn)
        .await?;
    Ok(found.into_iter().filter(|(_, v)| caller.require_read(Record::Posyandu, v).is_ok()).map(|(id, _)| id).collect())
}

#[derive(Debug, Default)]
pub struct PosyanduFilter {
    pub active: Option<bool>,
}

/// Posyandu in `scope` by village, then id.
pub async fn list(
    conn: &mut AsyncPgConnection,
    scope: &Scope,
    filter: &PosyanduFilter,
    page: &PageRequest<(RegionCode, PosyanduId)>,
) -> QueryResult<Vec<Posyandu>> {
    let mut query = posyandu::table.select(Posyandu::as_select()).into_boxed();
    if let Some((from, to)) = scope.code_range() {
        query = query.filter(posyandu::village_code.ge(from.to_owned()).and(posyandu::village_code.lt(to)));
    }
    if let Some(active) = filter.active {
        query = query.filter(posyandu::active.eq(active));
    }
    in_region_order!(query, page, posyandu::village_code, posyandu::id).load(conn).await
}

/// A new posyandu, checked by the handler.
pub struct PosyanduWrite<'a> {
    pub id: PosyanduId,
    pub village: &'a RegionCode,
    pub name: &'a str,
    pub active: bool,
}

/// Registers a posyandu as the caller: the same posyandu sent again under its id is the stored
/// one (`false`: nothing written); another posyandu's id is a 409.
pub async fn create(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    new: &PosyanduWrite<'_>,
) -> Result<(Posyandu, bool), ApiError> {
    let id = new.id;
    if let Some(existing) = load(conn, id).await? {
        return if existing.village_code == *new.village && existing.name == new.name {
            Ok((find(conn, caller, id).await?.into_inner(), false))
        } else {
            Err(ApiError::conflict(text!("posyandu id %{id} belongs to another posyandu", id = id)))
        };
    }
    caller.require_write(Record::Posyandu, new.village)?;
    let created = diesel::insert_into(posyandu::table)
        .values((
            posyandu::id.eq(id),
            posyandu::village_code.eq(new.village),
            posyandu::name.eq(new.name),
            posyandu::active.eq(new.active),
            posyandu::created_by.eq(caller.id),
        ))
        .returning(Posyandu::as_returning())
        .get_result(conn)
        .await?;
    audit::record(conn, Some(caller.id), "posyandu.create", id, json!({"village": new.village})).await?;
    Ok((created, true))
}

/// Changes to a posyandu; absent fields stay. Its village never changes: its history is the
/// village's.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"active": false}))]
pub struct PosyanduChanges {
    #[validate(length(min = 1, max = 200), custom(function = "crate::domain::text::non_blank"))]
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
    pub active: Option<bool>,
}

/// Renames a posyandu or marks it (in)active.
pub async fn change(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: PosyanduId,
    read: ExpectedVersion,
    changes: &PosyanduChanges,
) -> Result<Posyandu, ApiError> {
    FieldErrors::from_validation(changes.validate()).finish()?;
    let audit = json!({"name": changes.name.is_some(), "active": changes.active});
    write::change::<Posyandu, _>(conn, caller, id, read, ("update", audit), async |conn, current| {
        Ok(diesel::update(posyandu::table.find(current.id))
            .set((
                posyandu::name.eq(changes.name.as_deref().map_or(current.name.as_str(), str::trim)),
                posyandu::active.eq(changes.active.unwrap_or(current.active)),
                posyandu::version.eq(posyandu::version + 1),
                posyandu::updated_at.eq(Utc::now()),
            ))
            .returning(Posyandu::as_returning())
            .get_result(conn)
            .await?)
    })
    .await
}
