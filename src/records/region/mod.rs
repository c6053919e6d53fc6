//! The Kemendagri region hierarchy and its loader.

pub mod import;
pub mod lifecycle;

use crate::auth::Caller;
use crate::db::schema::regions;
use crate::domain::page::PageRequest;
use crate::domain::{RegionCode, RegionLevel};
use crate::error::ApiError;
use crate::records::access::Writable;
use crate::records::write::Versioned;
use chrono::{DateTime, Utc};
use diesel::dsl::count_star;
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use utoipa::ToSchema;

#[derive(Debug, Default)]
pub struct RegionFilter {
    pub level: Option<RegionLevel>,
    pub parent: Option<RegionCode>,
    pub within: Option<RegionCode>,
    pub name_contains: Option<String>,
    pub include_retired: bool,
}

/// One page of regions in code order.
pub async fn list(
    conn: &mut AsyncPgConnection,
    filter: &RegionFilter,
    page: &PageRequest<String>,
) -> QueryResult<Vec<RegionSummary>> {
    let mut query = regions::table.select(RegionSummary::as_select()).into_boxed();
    if let Some(level) = filter.level {
        query = query.filter(regions::level.eq(level));
    }
    if let Some(parent) = &filter.parent {
        query = query.filter(regions::parent_code.eq(parent));
    }
    if let Some(root) = &filter.within {
        query = query.filter(regions::code.ge(root.as_str()).and(regions::code.lt(root.subtree_end())));
    }
    if let Some(text) = &filter.name_contains {
        query = query.filter(regions::name.ilike(format!("%{}%", crate::db::escape_like(text))));
    }
    if !filter.include_retired {
        query = query.filter(regions::retired_at.is_null());
    }
    if let Some(after) = &page.after {
        query = query.filter(regions::code.gt(after));
    }
    query.order(regions::code).limit(page.fetch()).load(conn).await
}

pub async fn find(conn: &mut AsyncPgConnection, code: &RegionCode) -> QueryResult<Option<RegionRow>> {
    regions::table.find(code).select(RegionRow::as_select()).first(conn).await.optional()
}

pub async fn exists(conn: &mut AsyncPgConnection, code: &RegionCode) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(regions::table.find(code))).get_result(conn).await
}

/// Of `codes`, those that name a region (`exists` for a batch).
pub async fn existing(conn: &mut AsyncPgConnection, codes: &[RegionCode]) -> QueryResult<HashSet<RegionCode>> {
    let found: Vec<RegionCode> =
        regions::table.filter(regions::code.eq_any(codes)).select(regions::code).load(conn).await?;
    Ok(found.into_iter().collect())
}

/// The named regions that exist, in code order.
pub async fn refs(conn: &mut AsyncPgConnection, codes: &[RegionCode]) -> QueryResult<Vec<RegionRef>> {
    regions::table
        .filter(regions::code.eq_any(codes))
        .select(RegionRef::as_select())
        .order(regions::code)
        .load(conn)
        .await
}

/// Active regions under `code`, counted per tier: one range scan of the primary key.
pub async fn count_below(conn: &mut AsyncPgConnection, code: &RegionCode) -> QueryResult<RegionCounts> {
    let rows: Vec<(RegionLevel, i64)> = regions::table
        .filter(regions::code.gt(code.as_str()).and(regions::code.lt(code.subtree_end())))
        .filter(regions::retired_at.is_null())
        .group_by(regions::level)
        .select((regions::level, count_star()))
        .load(conn)
        .await?;
    let mut counts = RegionCounts::default();
    for level in code.level().below() {
        let n = rows.iter().find(|(l, _)| l == level).map_or(0, |(_, n)| *n);
        match level {
            RegionLevel::District => counts.district = Some(n),
            RegionLevel::Subdistrict => counts.subdistrict = Some(n),
            RegionLevel::Village => counts.village = Some(n),
            RegionLevel::Province => {}
        }
    }
    Ok(counts)
}

/// The region with its ancestors and per-tier counts; `None` when the code is unknown.
pub async fn detail(conn: &mut AsyncPgConnection, code: &RegionCode) -> QueryResult<Option<RegionDetail>> {
    let Some(row) = find(conn, code).await? else { return Ok(None) };
    let ancestors = refs(conn, &code.ancestors()).await?;
    let contains = count_below(conn, code).await?;
    Ok(Some(RegionDetail {
        code: row.code,
        parent_code: row.parent_code,
        level: row.level,
        name: row.name,
        retired_at: row.retired_at,
        replaced_by: row.replaced_by,
        version: row.version,
        created_at: row.created_at,
        updated_at: row.updated_at,
        ancestors,
        contains,
    }))
}

#[derive(Insertable)]
#[diesel(table_name = regions)]
pub struct NewRegion<'a> {
    pub code: &'a RegionCode,
    pub parent_code: Option<RegionCode>,
    pub level: RegionLevel,
    pub name: &'a str,
}

impl<'a> NewRegion<'a> {
    pub fn new(code: &'a RegionCode, name: &'a str) -> Self {
        Self { code, parent_code: code.parent(), level: code.level(), name }
    }
}

pub async fn insert(conn: &mut AsyncPgConnection, region: &NewRegion<'_>) -> QueryResult<()> {
    diesel::insert_into(regions::table).values(region).execute(conn).await.map(drop)
}

impl Versioned for RegionRow {
    type Id = RegionCode;
    const ENTITY: &'static str = "region";
    fn version(&self) -> i32 {
        self.version
    }
    /// The register of regions: only an admin changes it.
    async fn lock(conn: &mut AsyncPgConnection, caller: &Caller, code: RegionCode) -> Result<Writable<Self>, ApiError> {
        let row =
            regions::table.find(&code).select(RegionRow::as_select()).for_update().first(conn).await.optional()?;
        Writable::check_by(row, || unknown(&code), |_| caller.require_admin())
    }
}

pub fn unknown(code: &RegionCode) -> ApiError {
    ApiError::not_found(text!("no region has code %{code}", code = code))
}

pub async fn rename(conn: &mut AsyncPgConnection, region: &Writable<RegionRow>, name: &str) -> QueryResult<()> {
    diesel::update(regions::table.find(&region.code))
        .set((regions::name.eq(name), regions::version.eq(regions::version + 1), regions::updated_at.eq(Utc::now())))
        .execute(conn)
        .await
        .map(drop)
}

pub async fn count_active_below(conn: &mut AsyncPgConnection, code: &RegionCode) -> QueryResult<i64> {
    regions::table
        .filter(regions::code.gt(code.as_str()).and(regions::code.lt(code.subtree_end())))
        .filter(regions::retired_at.is_null())
        .count()
        .get_result(conn)
        .await
}

/// Retires the region (and, with `descendants`, every active region under it).
pub async fn retire(
    conn: &mut AsyncPgConnection,
    code: &RegionCode,
    replaced_by: &[RegionCode],
    descendants: bool,
) -> QueryResult<usize> {
    let now = Utc::now();
    let successors: Vec<String> = replaced_by.iter().map(ToString::to_string).collect();
    let mut retired = diesel::update(regions::table.find(code).filter(regions::retired_at.is_null()))
        .set((
            regions::retired_at.eq(now),
            regions::replaced_by.eq(&successors),
            regions::version.eq(regions::version + 1),
            regions::updated_at.eq(now),
        ))
        .execute(conn)
        .await?;
    if descendants {
        retired += diesel::update(
            regions::table
                .filter(regions::code.gt(code.as_str()).and(regions::code.lt(code.subtree_end())))
                .filter(regions::retired_at.is_null()),
        )
        .set((regions::retired_at.eq(now), regions::version.eq(regions::version + 1), regions::updated_at.eq(now)))
        .execute(conn)
        .await?;
    }
    Ok(retired)
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

/// A 422 on `field` unless a region has this code: every write that names a region checks it so.
pub async fn require_known(conn: &mut AsyncPgConnection, code: &RegionCode, field: &str) -> Result<(), ApiError> {
    if exists(conn, code).await? {
        Ok(())
    } else {
        Err(ApiError::invalid(field, text!("no region has code %{code}", code = code)))
    }
}
