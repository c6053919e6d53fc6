//! A person of the first 1,000 days who is not a child under five: a woman (and a man screened
//! as catin). Identified like a child: the NIK only as a keyed hash, one living record per NIK;
//! personal data, for the people who care for her. Her catin screenings are in `screening`;
//! a child names her as its mother.

pub mod import;
pub mod screening;
pub mod thresholds;

use crate::records::region_order::in_region_order;
use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::auth::policy::Record;
use crate::db::audit;
use crate::db::schema::{anc_visits, catin_screenings, people, postpartum_visits, pregnancies, tpk_visits};
use crate::domain::page::PageRequest;
use crate::domain::{ExpectedVersion, PersonId, RegionCode, Scope, Sex, UserId};
use crate::error::{ApiError, FieldErrors};
use crate::records::access::{self, Scoped, Visible, Writable};
use crate::records::write;

/// What a write needs to know about the person it touches.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = people)]
pub struct PersonRecord {
    pub id: PersonId,
    pub village_code: RegionCode,
    pub sex: Sex,
    pub birth_date: NaiveDate,
    pub name: String,
    pub nik_hash: Option<Vec<u8>>,
    pub wedding_planned_on: Option<NaiveDate>,
    pub version: i32,
}

/// A person as the API shows her. The NIK is never shown: `has_nik` says whether one is on file.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Queryable)]
#[schema(example = json!({
    "id": "0192b7a4-7777-7000-8000-000000000001", "village_code": "14.01.01.2009", "sex": "female",
    "birth_date": "2004-03-09", "name": "Nurhayati", "has_nik": true, "ihs_number": "P02478375538", "wedding_planned_on": "2025-06-14", "version": 1,
    "created_at": "2025-01-10T02:00:00Z", "updated_at": "2025-01-10T02:00:00Z"
}))]
pub struct PersonView {
    pub id: PersonId,
    /// The village (desa/kelurahan) she lives in.
    pub village_code: RegionCode,
    pub sex: Sex,
    pub birth_date: NaiveDate,
    pub name: String,
    pub has_nik: bool,
    /// Her SATUSEHAT patient id, when an officer or integration has recorded it: what a FHIR
    /// export names her by.
    pub ihs_number: Option<String>,
    /// A bride- or groom-to-be's planned wedding: the worklist asks for the catin screening
    /// before it.
    pub wedding_planned_on: Option<NaiveDate>,
    /// Send it back as `If-Match` to change or remove the person.
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

macro_rules! view_columns {
    () => {
        (
            people::id,
            people::village_code,
            people::sex,
            people::birth_date,
            people::name,
            people::nik_hash.is_not_null(),
            people::ihs_number,
            people::wedding_planned_on,
            people::version,
            people::created_at,
            people::updated_at,
        )
    };
}

impl Scoped for PersonView {
    const RECORD: Record = Record::Person;
    fn region(&self) -> &RegionCode {
        &self.village_code
    }
}

impl Scoped for PersonRecord {
    const RECORD: Record = Record::Person;
    fn region(&self) -> &RegionCode {
        &self.village_code
    }
}

/// A person the caller may read or write: what gives access to her screenings.
pub trait PersonAccess {
    fn person_id(&self) -> PersonId;
}

impl PersonAccess for Visible<PersonView> {
    fn person_id(&self) -> PersonId {
        self.id
    }
}

impl PersonAccess for Writable<PersonRecord> {
    fn person_id(&self) -> PersonId {
        self.id
    }
}

fn unknown(id: PersonId) -> ApiError {
    ApiError::not_found(text!("no person has id %{id}", id = id))
}

/// The person, if the caller may read her: 404 unless known and living, 403 outside the
/// caller's access.
pub async fn find(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: PersonId,
) -> Result<Visible<PersonView>, ApiError> {
    Visible::check(caller, load(conn, id).await?, || unknown(id))
}

async fn load(conn: &mut AsyncPgConnection, id: PersonId) -> QueryResult<Option<PersonView>> {
    people::table.find(id).filter(people::deleted_at.is_null()).select(view_columns!()).first(conn).await.optional()
}

/// A locked person as the API shows her, after a write.
pub async fn reload(conn: &mut AsyncPgConnection, person: &Writable<PersonRecord>) -> Result<PersonView, ApiError> {
    load(conn, person.id).await?.ok_or_else(|| unknown(person.id))
}

/// Locks the person's row for the rest of the transaction, if the caller may write about her:
/// every write about one person (her record, her screenings) goes through here.
pub async fn lock(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: PersonId,
) -> Result<Writable<PersonRecord>, ApiError> {
    let row = people::table
        .find(id)
        .filter(people::deleted_at.is_null())
        .select(PersonRecord::as_select())
        .for_update()
        .first(conn)
        .await
        .optional()?;
    Writable::check(caller, row, || unknown(id))
}

write::versioned!(PersonRecord, PersonId, "person", lock);

write::removable!(PersonRecord, people);

/// A planned wedding before the person was born is a typing error.
pub fn check_wedding(errors: &mut FieldErrors, birth_date: NaiveDate, wedding: Option<NaiveDate>) {
    if wedding.is_some_and(|wedding| wedding <= birth_date) {
        errors.add("wedding_planned_on", text!("is not after the birth date"));
    }
}

/// A mother a child may name: a living woman the caller may read. 422 on `field` otherwise, so
/// a link never points at a removed record, a man, or a person the caller cannot see.
pub async fn check_mother(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: PersonId,
    field: &str,
) -> Result<(), ApiError> {
    let mother = match load(conn, id).await? {
        Some(person) => person,
        None => return Err(ApiError::invalid(field, text!("no person has id %{id}", id = id))),
    };
    if caller.require_read(Record::Person, &mother.village_code).is_err() {
        return Err(ApiError::invalid(field, text!("person %{id} is outside your scope", id = id)));
    }
    if mother.sex != Sex::Female {
        return Err(ApiError::invalid(field, text!("must name a woman")));
    }
    Ok(())
}

/// A new person, as `register` stores her.
#[derive(Insertable)]
#[diesel(table_name = people)]
pub struct NewPerson<'a> {
    pub id: PersonId,
    pub village_code: &'a RegionCode,
    pub sex: Sex,
    pub birth_date: NaiveDate,
    pub name: &'a str,
    pub nik_hash: Option<Vec<u8>>,
    pub wedding_planned_on: Option<NaiveDate>,
    pub created_by: UserId,
}

impl NewPerson<'_> {
    /// A retry: the same person, field for field.
    fn same_as(&self, existing: &PersonRecord) -> bool {
        existing.village_code == *self.village_code
            && existing.sex == self.sex
            && existing.birth_date == self.birth_date
            && existing.name == self.name
            && existing.nik_hash == self.nik_hash
            && existing.wedding_planned_on == self.wedding_planned_on
    }
}

/// Registers a person, in the caller's transaction: the same person sent again under her id is
/// the stored one (`false`: nothing was written); a different one under a used id, or a NIK
/// another living person has, is a 409 naming that record (when the caller may see it).
pub async fn register(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    new: &NewPerson<'_>,
) -> Result<(PersonView, bool), ApiError> {
    caller.require_write(Record::Person, new.village_code)?;
    let id = new.id;
    let existing = people::table.find(id).select(PersonRecord::as_select()).first(conn).await.optional()?;
    if let Some(existing) = existing {
        return match new.same_as(&existing) && caller.scope.contains(&existing.village_code) {
            true => Ok((find(conn, caller, id).await?.into_inner(), false)),
            false => Err(access::id_taken(caller, text!("person"), id.0, &existing.village_code)),
        };
    }
    if let Some(hash) = &new.nik_hash {
        refuse_nik_of_another(conn, caller, hash, None).await?;
    }
    let row =
        diesel::insert_into(people::table).values(new).returning(PersonRecord::as_returning()).get_result(conn).await?;
    let person = Writable::check(caller, Some(row), || unknown(id))?;
    let entry = json!({ "village_code": new.village_code, "nik": new.nik_hash.is_some() });
    audit::record(conn, Some(caller.id), "person.create", id, entry).await?;
    Ok((reload(conn, &person).await?, true))
}

/// 409 when a living person other than `except` has this NIK (`access::nik_taken`).
async fn refuse_nik_of_another(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    nik_hash: &[u8],
    except: Option<PersonId>,
) -> Result<(), ApiError> {
    let mut query = people::table
        .filter(people::nik_hash.eq(nik_hash))
        .filter(people::deleted_at.is_null())
        .select((people::id, people::village_code))
        .into_boxed();
    if let Some(id) = except {
        query = query.filter(people::id.ne(id));
    }
    let Some((other, village)) = query.first::<(PersonId, RegionCode)>(conn).await.optional()? else {
        return Ok(());
    };
    Err(access::nik_taken(caller, text!("person"), other.0, &village))
}

/// Changes to a person; `None` leaves a field as it is.
#[derive(Debug, Default, PartialEq, AsChangeset)]
#[diesel(table_name = people)]
pub struct PersonChanges {
    pub village_code: Option<RegionCode>,
    pub sex: Option<Sex>,
    pub birth_date: Option<NaiveDate>,
    pub name: Option<String>,
    pub nik_hash: Option<Option<Vec<u8>>>,
    pub wedding_planned_on: Option<Option<NaiveDate>>,
    pub ihs_number: Option<Option<String>>,
}

/// Corrects or moves person `id` (If-Match): a new village must be one the caller may write
/// about too, and her screenings move with her. Audited without personal values.
pub async fn change(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: PersonId,
    read: ExpectedVersion,
    changes: &PersonChanges,
) -> Result<PersonView, ApiError> {
    let audit = ("update", describe(changes));
    write::change::<PersonRecord, _>(conn, caller, id, read, audit, async |conn, current| {
        if let Some(village) = &changes.village_code {
            caller.require_write(Record::Person, village)?;
        }
        if let Some(Some(hash)) = &changes.nik_hash {
            refuse_nik_of_another(conn, caller, hash, Some(id)).await?;
        }
        if let Some(given) = &changes.ihs_number {
            caller.require_ihs_number_writer()?;
            if let Some(number) = given {
                refuse_ihs_number_of_another(conn, caller, number, id).await?;
            }
        }
        let mut errors = FieldErrors::default();
        check_wedding(
            &mut errors,
            changes.birth_date.unwrap_or(current.birth_date),
            changes.wedding_planned_on.flatten(),
        );
        errors.finish()?;
        diesel::update(people::table.find(id))
            .set((changes, people::version.eq(people::version + 1), people::updated_at.eq(Utc::now())))
            .execute(conn)
            .await?;
        if let Some(village) = &changes.village_code {
            move_records(conn, id, village).await?;
        }
        reload(conn, current).await
    })
    .await
}

/// 409 when a living person other than `except` has this IHS number.
async fn refuse_ihs_number_of_another(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    number: &str,
    except: PersonId,
) -> Result<(), ApiError> {
    let other: Option<(PersonId, RegionCode)> = people::table
        .filter(people::ihs_number.eq(number))
        .filter(people::deleted_at.is_null())
        .filter(people::id.ne(except))
        .select((people::id, people::village_code))
        .first(conn)
        .await
        .optional()?;
    match other {
        Some((other, village)) => Err(access::ihs_number_taken(caller, text!("person"), other.0, &village)),
        None => Ok(()),
    }
}

/// Moves every record about person `id` to her new village, where it is counted and synced:
/// her screenings, pregnancies with their visits, and the TPK's visits to her.
async fn move_records(conn: &mut AsyncPgConnection, id: PersonId, village: &RegionCode) -> QueryResult<()> {
    diesel::update(catin_screenings::table.filter(catin_screenings::person_id.eq(id)))
        .set(catin_screenings::village_code.eq(village))
        .execute(conn)
        .await?;
    let hers = pregnancies::table.filter(pregnancies::person_id.eq(id)).select(pregnancies::id);
    diesel::update(anc_visits::table.filter(anc_visits::pregnancy_id.eq_any(hers)))
        .set(anc_visits::village_code.eq(village))
        .execute(conn)
        .await?;
    diesel::update(postpartum_visits::table.filter(postpartum_visits::pregnancy_id.eq_any(hers)))
        .set(postpartum_visits::village_code.eq(village))
        .execute(conn)
        .await?;
    diesel::update(pregnancies::table.filter(pregnancies::person_id.eq(id)))
        .set(pregnancies::village_code.eq(village))
        .execute(conn)
        .await?;
    diesel::update(tpk_visits::table.filter(tpk_visits::person_id.eq(id)))
        .set(tpk_visits::village_code.eq(village))
        .execute(conn)
        .await?;
    Ok(())
}

/// What the audit trail keeps of a change: which fields changed; values only where they are
/// not personal.
fn describe(changes: &PersonChanges) -> serde_json::Value {
    let fields: Vec<&str> = [
        ("sex", changes.sex.is_some()),
        ("birth_date", changes.birth_date.is_some()),
        ("name", changes.name.is_some()),
        ("nik", changes.nik_hash.is_some()),
        ("wedding_planned_on", changes.wedding_planned_on.is_some()),
        ("ihs_number", changes.ihs_number.is_some()),
    ]
    .into_iter()
    .filter_map(|(name, changed)| changed.then_some(name))
    .collect();
    json!({ "fields": fields, "village_code": changes.village_code })
}

/// Removes person `id` for `reason`: the record stays, out of every list; a child that names
/// her keeps the link.
pub async fn remove(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: PersonId,
    read: ExpectedVersion,
    reason: &str,
) -> Result<(), ApiError> {
    write::remove::<PersonRecord>(conn, caller, id, read, Some(reason)).await
}

#[derive(Debug, Default)]
pub struct PersonFilter {
    pub sex: Option<Sex>,
    pub name_contains: Option<String>,
}

/// Living people in `scope`, by village, then id.
pub async fn list(
    conn: &mut AsyncPgConnection,
    scope: &Scope,
    filter: &PersonFilter,
    page: &PageRequest<(RegionCode, PersonId)>,
) -> QueryResult<Vec<PersonView>> {
    let mut query = people::table.filter(people::deleted_at.is_null()).select(view_columns!()).into_boxed();
    if let Some((from, to)) = scope.code_range() {
        query = query.filter(people::village_code.ge(from.to_owned()).and(people::village_code.lt(to)));
    }
    if let Some(sex) = filter.sex {
        query = query.filter(people::sex.eq(sex));
    }
    if let Some(text) = &filter.name_contains {
        query = query.filter(people::name.ilike(format!("%{}%", crate::db::escape_like(text))));
    }
    in_region_order!(query, page, people::village_code, people::id).load(conn).await
}
