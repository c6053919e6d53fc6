//! A child with everything recorded about them: measurements (scored against the WHO
//! standards), the stunting cases they open and close, and the services the child received.

pub mod cases;
pub mod export;
pub mod import;
pub mod measurements;
pub mod quality;
pub mod scoring;
pub mod services;

use crate::auth::Caller;
use crate::auth::policy::Record;
use crate::db::audit;
use crate::db::schema::{self, children, lokus_villages};
use crate::domain::page::PageRequest;
use crate::domain::{CaseId, CaseStatus, ChildId, ExpectedVersion, PersonId, PosyanduId, RegionCode, Scope, Sex};
use crate::error::{ApiError, FieldErrors, Problem};
use crate::records::access::{self, Scoped, Visible, Writable};
use crate::records::person;
use crate::records::posyandu;
use crate::records::region_order::in_region_order;
use crate::records::write;
use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use diesel::dsl::{exists, not};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

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
    pub mother_id: Option<PersonId>,
    pub nik_hash: Option<Vec<u8>>,
    pub posyandu_id: Option<PosyanduId>,
    pub kia_book: Option<bool>,
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
            children::mother_id,
            children::nik_hash.is_not_null(),
            children::ihs_number,
            children::posyandu_id,
            children::kia_book,
            schema::cases::table
                .filter(schema::cases::child_id.eq(children::id))
                .filter(schema::cases::status.eq(CaseStatus::Open))
                .select(schema::cases::id)
                .single_value(),
            children::version,
            children::created_at,
            children::updated_at,
        )
    };
}

/// The child, if the caller may read it: 404 unless known and living, 403 outside the
/// caller's access.
pub async fn find(conn: &mut AsyncPgConnection, caller: &Caller, id: ChildId) -> Result<Visible<ChildView>, ApiError> {
    Visible::check(caller, load(conn, id).await?, || unknown(id))
}

/// The living children that name woman `mother` as their mother, in id order, whatever the
/// caller's access (the caller judges each).
pub async fn of_mother(conn: &mut AsyncPgConnection, mother: PersonId) -> QueryResult<Vec<ChildView>> {
    children::table
        .filter(children::mother_id.eq(mother))
        .filter(children::deleted_at.is_null())
        .select(view_columns!())
        .order(children::id)
        .load(conn)
        .await
}

/// A locked child as the API shows it, after a write.
pub async fn reload(conn: &mut AsyncPgConnection, child: &Writable<ChildRecord>) -> Result<ChildView, ApiError> {
    load(conn, child.id).await?.ok_or_else(|| unknown(child.id))
}

async fn load(conn: &mut AsyncPgConnection, id: ChildId) -> QueryResult<Option<ChildView>> {
    children::table.find(id).filter(children::deleted_at.is_null()).select(view_columns!()).first(conn).await.optional()
}

/// Locks the child's row for the rest of the transaction, if the caller may write about the
/// child: every write about one child (measurements, cases, services, the child itself) goes
/// through here, so they cannot interleave.
pub async fn lock(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: ChildId,
) -> Result<Writable<ChildRecord>, ApiError> {
    let row = children::table
        .find(id)
        .filter(children::deleted_at.is_null())
        .select(ChildRecord::as_select())
        .for_update()
        .first(conn)
        .await
        .optional()?;
    Writable::check(caller, row, || unknown(id))
}

/// `lock` for many children at once, in id order (so two batches cannot deadlock): each id's
/// verdict, the locked child or why the caller may not write about it.
pub async fn lock_many(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    ids: &[ChildId],
) -> QueryResult<HashMap<ChildId, Result<Writable<ChildRecord>, Box<Problem>>>> {
    let mut rows: HashMap<ChildId, ChildRecord> = children::table
        .filter(children::id.eq_any(ids))
        .filter(children::deleted_at.is_null())
        .select(ChildRecord::as_select())
        .order(children::id)
        .for_update()
        .load(conn)
        .await?
        .into_iter()
        .map(|c| (c.id, c))
        .collect();
    let mut unique = ids.to_vec();
    unique.sort_unstable();
    unique.dedup();
    Ok(unique
        .into_iter()
        .map(|id| (id, Writable::check(caller, rows.remove(&id), || unknown(id)).map_err(|e| e.rejection())))
        .collect())
}

fn unknown(id: ChildId) -> ApiError {
    ApiError::not_found(text!("no child has id %{id}", id = id))
}

/// A child the caller may read or write: what gives access to the child's measurements,
/// cases and services.
pub trait ChildAccess {
    fn child_id(&self) -> ChildId;
}

impl ChildAccess for Visible<ChildView> {
    fn child_id(&self) -> ChildId {
        self.id
    }
}

impl ChildAccess for Writable<ChildRecord> {
    fn child_id(&self) -> ChildId {
        self.id
    }
}

impl Scoped for ChildView {
    const RECORD: Record = Record::Child;
    fn region(&self) -> &RegionCode {
        &self.village_code
    }
}

impl Scoped for ChildRecord {
    const RECORD: Record = Record::Child;
    fn region(&self) -> &RegionCode {
        &self.village_code
    }
}

/// Any child with this id, deleted or not (ids are never reused): what a retried create
/// compares with.
pub(crate) async fn find_any(conn: &mut AsyncPgConnection, id: ChildId) -> QueryResult<Option<ChildRecord>> {
    children::table.find(id).select(ChildRecord::as_select()).first(conn).await.optional()
}

/// Of `ids`, those that name a child, deleted or not (`find_any` for a batch), each with
/// whether it is living.
pub(crate) async fn known_ids(conn: &mut AsyncPgConnection, ids: &[ChildId]) -> QueryResult<HashMap<ChildId, bool>> {
    let found: Vec<(ChildId, bool)> = children::table
        .filter(children::id.eq_any(ids))
        .select((children::id, children::deleted_at.is_null()))
        .load(conn)
        .await?;
    Ok(found.into_iter().collect())
}

/// The living children with these NIK hashes (`find_by_nik` for a batch).
pub(crate) async fn living_by_nik(
    conn: &mut AsyncPgConnection,
    nik_hashes: &[Vec<u8>],
) -> QueryResult<HashMap<Vec<u8>, ChildId>> {
    let found: Vec<(Option<Vec<u8>>, ChildId)> = children::table
        .filter(children::nik_hash.eq_any(nik_hashes))
        .filter(children::deleted_at.is_null())
        .select((children::nik_hash, children::id))
        .load(conn)
        .await?;
    Ok(found.into_iter().filter_map(|(hash, id)| Some((hash?, id))).collect())
}

/// Registers many new children at once (an import's chunk), each already checked by the rules
/// of `register` (unknown id and NIK, the caller may write in the village, a posyandu open to
/// it): one insert and one audit statement, so the kept counts and the feed move once.
pub(crate) async fn register_many(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    new: &[NewChild<'_>],
) -> QueryResult<()> {
    if new.is_empty() {
        return Ok(());
    }
    diesel::insert_into(children::table).values(new).execute(conn).await?;
    let lines = new.iter().map(|c| (c.id.to_string(), c.village_code, created_note(c))).collect();
    audit::record_many(conn, Some(caller.id), "child.create", lines).await
}

fn created_note(new: &NewChild<'_>) -> serde_json::Value {
    serde_json::json!({ "village_code": new.village_code, "nik": new.nik_hash.is_some() })
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

/// Registers a child in a village the caller may write about; the new row is the caller's to
/// write to for the rest of the transaction (nobody else sees it before it commits).
pub async fn insert(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    child: &NewChild<'_>,
) -> Result<Writable<ChildRecord>, ApiError> {
    caller.require_write(Record::Child, child.village_code)?;
    let row = diesel::insert_into(children::table)
        .values(child)
        .returning(ChildRecord::as_returning())
        .get_result(conn)
        .await?;
    Writable::check(caller, Some(row), || unknown(child.id))
}

/// Registers a child, in the caller's transaction: the same child sent again under its id is
/// the stored one (`false`: nothing was written); a different child under a used id, or a NIK
/// another living child has, is a 409 naming that child.
pub async fn register(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    new: &NewChild<'_>,
) -> Result<(ChildView, bool), ApiError> {
    let id = new.id;
    if let Some(existing) = find_any(conn, id).await? {
        return if new.same_as(&existing) && caller.scope.contains(&existing.village_code) {
            Ok((find(conn, caller, id).await?.into_inner(), false))
        } else {
            Err(access::id_taken(caller, text!("child"), id.0, &existing.village_code))
        };
    }
    if let Some(hash) = &new.nik_hash {
        refuse_nik_of_another(conn, caller, hash, None).await?;
    }
    if let Some(mother) = new.mother_id {
        person::check_mother(conn, caller, mother, "mother_id").await?;
    }
    if let Some(id) = new.posyandu_id {
        let mut errors = FieldErrors::default();
        posyandu::check_for_child(conn, id, new.village_code, "posyandu_id", &mut errors).await?;
        errors.finish()?;
    }
    let child = insert(conn, caller, new).await?;
    audit::record(conn, Some(caller.id), "child.create", id, created_note(new)).await?;
    Ok((reload(conn, &child).await?, true))
}

/// 409 when a living child other than `except` has this NIK (`access::nik_taken`).
async fn refuse_nik_of_another(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    nik_hash: &[u8],
    except: Option<ChildId>,
) -> Result<(), ApiError> {
    let Some(other) = find_by_nik(conn, nik_hash, except).await? else {
        return Ok(());
    };
    let village: RegionCode = children::table.find(other).select(children::village_code).first(conn).await?;
    Err(access::nik_taken(caller, text!("child"), other.0, &village))
}

/// 409 when a living child other than `except` has this IHS number (`access::ihs_number_taken`).
async fn refuse_ihs_number_of_another(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    number: &str,
    except: ChildId,
) -> Result<(), ApiError> {
    let other: Option<(ChildId, RegionCode)> = children::table
        .filter(children::ihs_number.eq(number))
        .filter(children::deleted_at.is_null())
        .filter(children::id.ne(except))
        .select((children::id, children::village_code))
        .first(conn)
        .await
        .optional()?;
    match other {
        Some((other, village)) => Err(access::ihs_number_taken(caller, text!("child"), other.0, &village)),
        None => Ok(()),
    }
}

/// Corrects child `id` as the caller: locked, its version checked, corrected (see `correct`) and
/// audited without personal values.
pub async fn change(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: ChildId,
    read: ExpectedVersion,
    changes: &ChildChanges,
) -> Result<ChildView, ApiError> {
    let audit = ("update", describe(changes));
    write::change::<ChildRecord, _>(conn, caller, id, read, audit, async |conn, current| {
        correct(conn, caller, current, changes).await?;
        reload(conn, current).await
    })
    .await
}

/// Removes child `id` for `reason`: the record stays, out of every list and aggregate.
pub async fn remove(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: ChildId,
    read: ExpectedVersion,
    reason: &str,
) -> Result<(), ApiError> {
    write::remove::<ChildRecord>(conn, caller, id, read, Some(reason)).await
}

/// What the audit trail keeps of a change: which fields changed; values only where they are
/// not personal (names, birth dates and NIKs stay out of the trail).
fn describe(changes: &ChildChanges) -> serde_json::Value {
    let mut fields = Vec::new();
    for (name, changed) in [
        ("sex", changes.sex.is_some()),
        ("birth_date", changes.birth_date.is_some()),
        ("name", changes.name.is_some()),
        ("mother_name", changes.mother_name.is_some()),
        ("mother_id", changes.mother_id.is_some()),
        ("nik", changes.nik_hash.is_some()),
        ("posyandu_id", changes.posyandu_id.is_some()),
        ("kia_book", changes.kia_book.is_some()),
        ("ihs_number", changes.ihs_number.is_some()),
    ] {
        if changed {
            fields.push(name);
        }
    }
    json!({ "fields": fields, "village_code": changes.village_code })
}

/// Corrects a locked child (`change` bumps its version and audits it): a
/// new sex or birth date rescores every measurement and recomputes the cases; 422 when a
/// measurement would then fall before birth or past 60 months.
pub async fn correct(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    current: &Writable<ChildRecord>,
    changes: &ChildChanges,
) -> Result<(), ApiError> {
    if let Some(Some(hash)) = &changes.nik_hash {
        refuse_nik_of_another(conn, caller, hash, Some(current.id)).await?;
    }
    if let Some(given) = &changes.ihs_number {
        caller.require_ihs_number_writer()?;
        if let Some(number) = given {
            refuse_ihs_number_of_another(conn, caller, number, current.id).await?;
        }
    }
    if let Some(Some(mother)) = changes.mother_id {
        person::check_mother(conn, caller, mother, "mother_id").await?;
    }
    let village = changes.village_code.as_ref().unwrap_or(&current.village_code);
    let mut changes = changes.clone();
    match changes.posyandu_id {
        Some(Some(id)) => {
            let mut errors = FieldErrors::default();
            posyandu::check_for_child(conn, id, village, "posyandu_id", &mut errors).await?;
            errors.finish()?;
        }
        // A child who moves to another village leaves her posyandu, unless the move names one.
        None if *village != current.village_code && current.posyandu_id.is_some() => changes.posyandu_id = Some(None),
        _ => {}
    }
    let changes = &changes;
    update(conn, caller, current, changes).await?;
    let sex = changes.sex.unwrap_or(current.sex);
    let birth_date = changes.birth_date.unwrap_or(current.birth_date);
    if sex != current.sex || birth_date != current.birth_date {
        if let Err(bad) = measurements::rescore(conn, current, sex, birth_date).await? {
            return Err(ApiError::invalid(
                "birth_date",
                text!("the measurement of %{measured_on} %{error}", measured_on = bad.measured_on, error => bad.error.into()),
            ));
        }
        let village = changes.village_code.as_ref().unwrap_or(&current.village_code);
        cases::sync_cases(conn, current, village).await?;
    }
    Ok(())
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

/// Living children in `scope`, by village, then id.
pub async fn list(
    conn: &mut AsyncPgConnection,
    scope: &Scope,
    filter: &ChildFilter,
    page: &PageRequest<(RegionCode, ChildId)>,
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
    let open_case = schema::cases::table
        .filter(schema::cases::child_id.eq(children::id))
        .filter(schema::cases::status.eq(CaseStatus::Open))
        .select(schema::cases::id);
    if let Some(year) = filter.lokus_year {
        let lokus = lokus_villages::table.filter(lokus_villages::year.eq(year)).select(lokus_villages::village_code);
        query = query.filter(children::village_code.eq_any(lokus));
    }
    match filter.has_open_case {
        Some(true) => query = query.filter(exists(open_case)),
        Some(false) => query = query.filter(not(exists(open_case))),
        None => {}
    }
    in_region_order!(query, page, children::village_code, children::id).load(conn).await
}

/// Changes to a child; `None` leaves a field as it is.
#[derive(Debug, Default, Clone, AsChangeset)]
#[diesel(table_name = children)]
pub struct ChildChanges {
    pub village_code: Option<RegionCode>,
    pub sex: Option<Sex>,
    pub birth_date: Option<NaiveDate>,
    pub name: Option<String>,
    pub mother_name: Option<Option<String>>,
    pub mother_id: Option<Option<PersonId>>,
    pub nik_hash: Option<Option<Vec<u8>>>,
    pub posyandu_id: Option<Option<PosyanduId>>,
    pub kia_book: Option<Option<bool>>,
    pub ihs_number: Option<Option<String>>,
}

/// Applies `changes` to a locked child and moves its cases and TPK visits along to a new village.
/// A new village must be one the caller may write about too.
pub async fn update(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    child: &Writable<ChildRecord>,
    changes: &ChildChanges,
) -> Result<(), ApiError> {
    if let Some(village) = &changes.village_code {
        caller.require_write(Record::Child, village)?;
    }
    let id = child.id;
    diesel::update(children::table.find(id))
        .set((changes, children::version.eq(children::version + 1), children::updated_at.eq(Utc::now())))
        .execute(conn)
        .await?;
    if let Some(village) = &changes.village_code {
        diesel::update(schema::cases::table.filter(schema::cases::child_id.eq(id)))
            .set(schema::cases::village_code.eq(village))
            .execute(conn)
            .await?;
        diesel::update(schema::tpk_visits::table.filter(schema::tpk_visits::child_id.eq(id)))
            .set(schema::tpk_visits::village_code.eq(village))
            .execute(conn)
            .await?;
    }
    Ok(())
}

write::versioned!(ChildRecord, ChildId, "child", lock);

write::removable!(ChildRecord, children);

/// A child as the API shows it. The NIK is never shown: `has_nik` says whether one is on file.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Queryable)]
#[schema(example = json!({
    "id": "7b0c2f0e-3c1a-4c55-9f0e-2d7f1a9b8c01", "village_code": "14.01.01.2009", "sex": "female",
    "birth_date": "2023-05-14", "name": "Siti Aminah", "mother_name": "Nurhayati",
    "mother_id": "0192b7a4-7777-7000-8000-000000000001", "has_nik": true, "ihs_number": "P02478375538",
    "posyandu_id": "0192b7a4-0000-7000-8000-0000000000a1", "kia_book": true, "open_case_id": null, "version": 1,
    "created_at": "2024-08-15T02:30:00Z", "updated_at": "2024-08-15T02:30:00Z"
}))]
pub struct ChildView {
    pub id: ChildId,
    /// The village (desa/kelurahan) the child lives in.
    pub village_code: RegionCode,
    pub sex: Sex,
    pub birth_date: NaiveDate,
    pub name: String,
    pub mother_name: Option<String>,
    /// The mother's record (`/api/v1/people/{id}`), when she is registered.
    pub mother_id: Option<PersonId>,
    pub has_nik: bool,
    /// Her SATUSEHAT patient id, when an officer or integration has recorded it: what a FHIR
    /// export names her by.
    pub ihs_number: Option<String>,
    /// The posyandu of her village she is registered to: she counts in its SKDN.
    pub posyandu_id: Option<PosyanduId>,
    /// Whether she has a KMS or KIA book (`null`: not known): K of SKDN.
    pub kia_book: Option<bool>,
    /// The child's open stunting case, if any.
    pub open_case_id: Option<CaseId>,
    /// Send it back as `If-Match` to change or delete the child.
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl NewChild<'_> {
    /// A retry: the same child, field for field.
    pub fn same_as(&self, existing: &ChildRecord) -> bool {
        existing.village_code == *self.village_code
            && existing.sex == self.sex
            && existing.birth_date == self.birth_date
            && existing.name == self.name
            && existing.mother_name.as_deref() == self.mother_name
            // A sender that names no mother says nothing about her (an import, a retry of a
            // create from before she was linked).
            && (self.mother_id.is_none() || existing.mother_id == self.mother_id)
            && existing.nik_hash == self.nik_hash
            // Nor does one that names no posyandu or book.
            && (self.posyandu_id.is_none() || existing.posyandu_id == self.posyandu_id)
            && (self.kia_book.is_none() || existing.kia_book == self.kia_book)
    }
}

#[derive(Insertable)]
#[diesel(table_name = children)]
pub struct NewChild<'a> {
    pub id: ChildId,
    pub village_code: &'a RegionCode,
    pub sex: Sex,
    pub birth_date: NaiveDate,
    pub name: &'a str,
    pub mother_name: Option<&'a str>,
    pub mother_id: Option<PersonId>,
    pub nik_hash: Option<Vec<u8>>,
    pub posyandu_id: Option<PosyanduId>,
    pub kia_book: Option<bool>,
    pub created_by: crate::domain::UserId,
}
