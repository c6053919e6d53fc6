//! People arriving in bulk with their records: the person a row is about, and catin screenings
//! as BKKBN's Elsimil lists them (`POST /imports/catin-screenings`), a row per screening.

use chrono::NaiveDate;
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use super::screening::{self, CreateScreening};
use super::{NewPerson, PersonChanges, PersonRecord};
use crate::auth::Caller;
use crate::db::schema::people;
use crate::domain::{ExpectedVersion, Nik, NikKey, PersonId, RegionCode, Sex};
use crate::error::{ApiError, FieldErrors};
use crate::records::import::{Columns, OneAtATime, Outcome, Verdict, Writer, each_in_savepoint, on_file};
use crate::records::region;

/// Who a row is about: a person known by her id, or else by her NIK, so that a file sent again
/// finds the same people. A new one is registered; one whose fields differ from the row is
/// corrected (or moved), as `PATCH /people/{id}` would.
pub struct Identity<'a> {
    pub person_id: Option<Uuid>,
    pub nik: Option<&'a str>,
    pub village_code: &'a str,
    /// `None` (a pregnancy register, which names women only): a woman when new; the sex on file
    /// is left as it is.
    pub sex: Option<Sex>,
    pub birth_date: NaiveDate,
    pub name: &'a str,
}

impl Identity<'_> {
    /// The person, registered or corrected as the row says, and what that wrote.
    pub async fn resolve(
        &self,
        conn: &mut AsyncPgConnection,
        caller: &Caller,
        nik_key: &NikKey,
    ) -> Result<(PersonId, Outcome), ApiError> {
        let mut errors = FieldErrors::default();
        let village = errors.check("village_code", RegionCode::parse_village(self.village_code));
        let nik = self.nik.and_then(|n| errors.check("nik", Nik::parse(n)));
        if self.person_id.is_none() && self.nik.is_none() {
            errors.add(
                "person_id",
                text!("give the person's id or NIK, so that a file sent again finds the same person"),
            );
        }
        errors.check("birth_date", crate::domain::check_person_birth_date(self.birth_date));
        let village = errors.finish_with(village)?;
        caller.require_in_scope(&village)?;
        region::require_known(conn, &village, "village_code").await?;
        let new = NewPerson {
            id: self.person_id.map_or_else(PersonId::new, PersonId),
            village_code: &village,
            sex: self.sex.unwrap_or(Sex::Female),
            birth_date: self.birth_date,
            name: self.name.trim(),
            nik_hash: nik.map(|n| n.keyed_hash(nik_key)),
            wedding_planned_on: None,
            created_by: caller.id,
        };
        let Some(current) = living(conn, self.person_id, new.nik_hash.as_ref()).await? else {
            let (person, _) = super::register(conn, caller, &new).await?;
            return Ok((person.id, Outcome::Created));
        };
        let changes = changes_from(&current, &new, self.sex);
        if changes == PersonChanges::default() {
            super::lock(conn, caller, current.id).await?;
            return Ok((current.id, Outcome::Unchanged));
        }
        super::change(conn, caller, current.id, ExpectedVersion(current.version), &changes).await?;
        Ok((current.id, Outcome::Updated))
    }
}

/// The living person the row names: by her id, or else by her NIK.
async fn living(
    conn: &mut AsyncPgConnection,
    id: Option<Uuid>,
    nik_hash: Option<&Vec<u8>>,
) -> QueryResult<Option<PersonRecord>> {
    let query = people::table.filter(people::deleted_at.is_null()).select(PersonRecord::as_select()).into_boxed();
    let query = match (id, nik_hash) {
        (Some(id), _) => query.filter(people::id.eq(PersonId(id))),
        (None, Some(hash)) => query.filter(people::nik_hash.eq(hash)),
        (None, None) => return Ok(None),
    };
    query.first(conn).await.optional()
}

/// The fields of `new` that differ from the stored person (her sex only when the row gives one).
fn changes_from(current: &PersonRecord, new: &NewPerson<'_>, sex: Option<Sex>) -> PersonChanges {
    PersonChanges {
        village_code: (current.village_code != *new.village_code).then(|| new.village_code.clone()),
        sex: sex.filter(|sex| *sex != current.sex),
        birth_date: (current.birth_date != new.birth_date).then_some(new.birth_date),
        name: (current.name != new.name).then(|| new.name.to_owned()),
        // A row without a NIK leaves the one on file.
        nik_hash: (new.nik_hash.is_some() && current.nik_hash != new.nik_hash).then(|| new.nik_hash.clone()),
        // Set through `/people` only: a screening's own date says which wedding it prepares for.
        wedding_planned_on: None,
        ihs_number: None,
    }
}

/// A catin screening as Elsimil lists it: the person screened and what was measured. The
/// screening is known by `screening_id`, or else by the person and the day: the same findings
/// again are unchanged; other findings for a day on file are a 409 (a screening is voided,
/// never edited).
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"person_id": "0192b7a4-7777-7000-8000-000000000001", "nik": "1401014903040002",
    "village_code": "14.01.01.2009", "sex": "female", "birth_date": "2004-03-09", "name": "Nurhayati",
    "screening_id": "0192b7a4-8888-7000-8000-000000000001", "screened_on": "2025-03-01",
    "wedding_planned_on": "2025-06-14", "height_cm": 150.0, "weight_kg": 40.0, "muac_cm": 22.5, "hb_g_dl": 11.2,
    "smokes": false, "smoke_exposed": true}))]
pub struct ScreeningRow {
    pub person_id: Option<Uuid>,
    /// 16 digits; stored only as a keyed hash.
    #[schema(pattern = "^[0-9]{16}$")]
    pub nik: Option<String>,
    pub village_code: String,
    pub sex: Sex,
    pub birth_date: NaiveDate,
    #[validate(length(min = 1, max = 200), custom(function = "crate::domain::text::non_blank"))]
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    pub screening_id: Option<Uuid>,
    pub screened_on: NaiveDate,
    pub wedding_planned_on: Option<NaiveDate>,
    #[schema(minimum = 100.0, maximum = 220.0)]
    pub height_cm: Option<f64>,
    #[schema(minimum = 25.0, maximum = 250.0)]
    pub weight_kg: Option<f64>,
    /// LiLA.
    #[schema(minimum = 10.0, maximum = 60.0)]
    pub muac_cm: Option<f64>,
    /// Hb, g/dL.
    #[schema(minimum = 3.0, maximum = 25.0)]
    pub hb_g_dl: Option<f64>,
    pub smokes: Option<bool>,
    pub smoke_exposed: Option<bool>,
}

impl ScreeningRow {
    pub fn identity(&self) -> Identity<'_> {
        Identity {
            person_id: self.person_id,
            nik: self.nik.as_deref(),
            village_code: &self.village_code,
            sex: Some(self.sex),
            birth_date: self.birth_date,
            name: &self.name,
        }
    }

    fn screening(&self, id: Option<Uuid>) -> CreateScreening {
        CreateScreening {
            id,
            screened_on: self.screened_on,
            wedding_planned_on: self.wedding_planned_on,
            height_cm: self.height_cm,
            weight_kg: self.weight_kg,
            muac_cm: self.muac_cm,
            hb_g_dl: self.hb_g_dl,
            smokes: self.smokes,
            smoke_exposed: self.smoke_exposed,
        }
    }
}

/// Writes screening rows one at a time, each in its own savepoint: a row is written whole (the
/// person and her screening) or not at all.
pub struct ScreeningsWriter {
    nik_key: NikKey,
}

impl ScreeningsWriter {
    pub fn new(nik_key: &NikKey) -> Self {
        Self { nik_key: nik_key.clone() }
    }
}

impl OneAtATime for ScreeningsWriter {
    type Record = ScreeningRow;

    async fn one(
        &self,
        conn: &mut AsyncPgConnection,
        caller: &Caller,
        row: &ScreeningRow,
    ) -> Result<Outcome, ApiError> {
        FieldErrors::from_validation(row.validate()).finish()?;
        let (person, person_outcome) = row.identity().resolve(conn, caller, &self.nik_key).await?;
        let on_day = match row.screening_id {
            Some(_) => None,
            None => screening::living_on(conn, person, row.screened_on).await?,
        };
        let body = row.screening(row.screening_id.or(on_day));
        let (_, created) = screening::record(conn, caller, person, &body)
            .await
            .map_err(|e| if on_day.is_some() { on_file(e, text!("screening of that day")) } else { e })?;
        Ok(person_outcome.and(Outcome::of_write(created)))
    }
}

impl Writer for ScreeningsWriter {
    type Record = ScreeningRow;
    const COLUMNS: &'static Columns = &Columns {
        known: &[
            "person_id",
            "nik",
            "village_code",
            "sex",
            "birth_date",
            "name",
            "screening_id",
            "screened_on",
            "wedding_planned_on",
            "height_cm",
            "weight_kg",
            "muac_cm",
            "hb_g_dl",
            "smokes",
            "smoke_exposed",
        ],
        required: &["village_code", "sex", "birth_date", "name", "screened_on"],
    };

    fn id_of(record: &ScreeningRow) -> Option<String> {
        record.screening_id.or(record.person_id).map(|id| id.to_string())
    }

    async fn write(
        &mut self,
        conn: &mut AsyncPgConnection,
        caller: &Caller,
        chunk: &[(u32, ScreeningRow)],
    ) -> Result<Vec<Verdict>, ApiError> {
        each_in_savepoint(self, conn, caller, chunk).await
    }
}
