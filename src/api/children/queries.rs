use chrono::{NaiveDate, Utc};
use diesel::dsl::{exists, not};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use super::dto::{ChildView, NewChild};
use crate::db::schema::{cases, children, lokus_villages};
use crate::domain::{CaseStatus, ChildId, RegionCode, Scope, Sex, UserId};
use crate::http::pagination::PageRequest;

/// What a write needs to know about the child it touches.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = children)]
pub struct ChildRecord {
    pub id: ChildId,
    pub village_code: RegionCode,
    pub sex: Sex,
    pub birth_date: NaiveDate,
    pub name: String,
    pub mother_name: Option<String>,
    pub nik_hash: Option<Vec<u8>>,
    pub version: i32,
}

macro_rules! view_columns {
    () => {
        (
            children::id,
            children::village_code,
            children::sex,
            children::birth_date,
            children::name,
            children::mother_name,
            children::nik_hash.is_not_null(),
            cases::table
                .filter(cases::child_id.eq(children::id))
                .filter(cases::status.eq(CaseStatus::Open))
                .select(cases::id)
                .single_value(),
            children::version,
            children::created_at,
            children::updated_at,
        )
    };
}

/// The child, unless unknown or deleted.
pub async fn find(conn: &mut AsyncPgConnection, id: ChildId) -> QueryResult<Option<ChildView>> {
    children::table.find(id).filter(children::deleted_at.is_null()).select(view_columns!()).first(conn).await.optional()
}

/// Locks the child's row for the rest of the transaction: every write about one child
/// (measurements, cases, the child itself) goes through here, so they cannot interleave.
pub async fn lock(conn: &mut AsyncPgConnection, id: ChildId) -> QueryResult<Option<ChildRecord>> {
    children::table
        .find(id)
        .filter(children::deleted_at.is_null())
        .select(ChildRecord::as_select())
        .for_update()
        .first(conn)
        .await
        .optional()
}

/// Any child with this id, deleted or not (ids are never reused).
pub async fn find_any(conn: &mut AsyncPgConnection, id: ChildId) -> QueryResult<Option<ChildRecord>> {
    children::table.find(id).select(ChildRecord::as_select()).first(conn).await.optional()
}

/// The living record with this NIK hash, other than `except`.
pub async fn find_by_nik(
    conn: &mut AsyncPgConnection,
    nik_hash: &[u8],
    except: Option<ChildId>,
) -> QueryResult<Option<ChildId>> {
    let mut query = children::table
        .filter(children::nik_hash.eq(nik_hash))
        .filter(children::deleted_at.is_null())
        .select(children::id)
        .into_boxed();
    if let Some(id) = except {
        query = query.filter(children::id.ne(id));
    }
    query.first(conn).await.optional()
}

pub async fn insert(conn: &mut AsyncPgConnection, child: &NewChild<'_>) -> QueryResult<()> {
    diesel::insert_into(children::table).values(child).execute(conn).await.map(drop)
}

#[derive(Debug, Default)]
pub struct ChildFilter {
    pub sex: Option<Sex>,
    pub born_from: Option<NaiveDate>,
    pub born_to: Option<NaiveDate>,
    pub name_contains: Option<String>,
    pub has_open_case: Option<bool>,
    /// Only lokus villages of this year.
    pub lokus_year: Option<i32>,
}

/// Living children in `scope`, in id order.
pub async fn list(
    conn: &mut AsyncPgConnection,
    scope: &Scope,
    filter: &ChildFilter,
    page: &PageRequest<ChildId>,
) -> QueryResult<Vec<ChildView>> {
    let mut query = children::table.filter(children::deleted_at.is_null()).select(view_columns!()).into_boxed();
    if let Some((from, to)) = scope.code_range() {
        query = query.filter(children::village_code.ge(from.to_owned()).and(children::village_code.lt(to)));
    }
    if let Some(sex) = filter.sex {
        query = query.filter(children::sex.eq(sex));
    }
    if let Some(from) = filter.born_from {
        query = query.filter(children::birth_date.ge(from));
    }
    if let Some(to) = filter.born_to {
        query = query.filter(children::birth_date.le(to));
    }
    if let Some(text) = &filter.name_contains {
        query = query.filter(children::name.ilike(format!("%{}%", crate::db::escape_like(text))));
    }
    let open_case = cases::table
        .filter(cases::child_id.eq(children::id))
        .filter(cases::status.eq(CaseStatus::Open))
        .select(cases::id);
    if let Some(year) = filter.lokus_year {
        let lokus = lokus_villages::table.filter(lokus_villages::year.eq(year)).select(lokus_villages::village_code);
        query = query.filter(children::village_code.eq_any(lokus));
    }
    match filter.has_open_case {
        Some(true) => query = query.filter(exists(open_case)),
        Some(false) => query = query.filter(not(exists(open_case))),
        None => {}
    }
    if let Some(after) = page.after {
        query = query.filter(children::id.gt(after));
    }
    query.order(children::id).limit(page.fetch()).load(conn).await
}

/// Changes to a child; `None` leaves a field as it is.
#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = children)]
pub struct ChildChanges {
    pub village_code: Option<RegionCode>,
    pub sex: Option<Sex>,
    pub birth_date: Option<NaiveDate>,
    pub name: Option<String>,
    pub mother_name: Option<Option<String>>,
    pub nik_hash: Option<Option<Vec<u8>>>,
}

/// Applies `changes` to a locked child and moves its cases along to a new village.
pub async fn update(conn: &mut AsyncPgConnection, id: ChildId, changes: &ChildChanges) -> QueryResult<()> {
    diesel::update(children::table.find(id))
        .set((changes, children::version.eq(children::version + 1), children::updated_at.eq(Utc::now())))
        .execute(conn)
        .await?;
    if let Some(village) = &changes.village_code {
        diesel::update(cases::table.filter(cases::child_id.eq(id)))
            .set(cases::village_code.eq(village))
            .execute(conn)
            .await?;
    }
    Ok(())
}

pub async fn soft_delete(conn: &mut AsyncPgConnection, id: ChildId, by: UserId, reason: &str) -> QueryResult<()> {
    let now = Utc::now();
    diesel::update(children::table.find(id))
        .set((
            children::deleted_at.eq(now),
            children::deleted_by.eq(by),
            children::deleted_reason.eq(reason),
            children::version.eq(children::version + 1),
            children::updated_at.eq(now),
        ))
        .execute(conn)
        .await
        .map(drop)
}
