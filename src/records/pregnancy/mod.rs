//! A pregnancy of a woman of the pathway (the KIA book): opened with HPHT, followed by its
//! antenatal visits (`anc`), closed by its outcome (`outcome`, where a live birth becomes a
//! child), then its postpartum visits (`postpartum`). One open pregnancy per woman; personal
//! data, kept and scoped as the woman's record is.

pub mod anc;
pub mod export;
pub mod import;
pub mod outcome;
pub mod postpartum;

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::Caller;
use crate::auth::policy::Record;
use crate::db::audit;
use crate::db::schema::{anc_visits, births, pregnancies};
use crate::domain::pregnancy::{self, AncSummary, MAX_GESTATION_DAYS};
use crate::domain::{ChildId, ExpectedVersion, PersonId, PregnancyId, PregnancyOutcome, RegionCode, Sex};
use crate::domain::{Contraception, latest_local_date};
use crate::error::{ApiError, FieldErrors};
use crate::records::access;
use crate::records::access::{Scoped, Visible, Writable};
use crate::records::person::{self, PersonAccess};
use crate::records::write;

/// What a write needs to know about the pregnancy it touches.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = pregnancies)]
pub struct PregnancyRecord {
    pub id: PregnancyId,
    pub person_id: PersonId,
    pub village_code: RegionCode,
    pub lmp_on: NaiveDate,
    pub outcome: Option<PregnancyOutcome>,
    pub ended_on: Option<NaiveDate>,
    pub last_visit_on: Option<NaiveDate>,
    pub version: i32,
}

impl Scoped for PregnancyRecord {
    const RECORD: Record = Record::Person;
    fn region(&self) -> &RegionCode {
        &self.village_code
    }
}

write::versioned!(PregnancyRecord, PregnancyId, "pregnancy", lock);

write::removable!(PregnancyRecord, pregnancies);

/// What her antenatal visits add up to, kept on the pregnancy.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AncProgress {
    /// Living antenatal visits.
    pub contacts: i16,
    pub first_trimester: i16,
    pub second_trimester: i16,
    pub third_trimester: i16,
    /// Visits where a doctor examined her.
    pub by_doctor: i16,
    /// At least one visit.
    pub k1: bool,
    /// One visit in the first trimester, one in the second, two in the third.
    pub k4: bool,
    /// Two in the first trimester, one in the second, three in the third, two by a doctor
    /// (Permenkes 21/2021).
    pub k6: bool,
    /// Iron tablets (*TTD*) given over all visits, towards 90.
    pub iron_tablets: i32,
    pub iron_tablets_complete: bool,
    /// KEK (LiLA < 23.5 cm) found at any visit.
    pub kek: bool,
    /// Anaemia (Hb < 11 g/dL) found at any visit.
    pub anaemia: bool,
    pub last_visit_on: Option<NaiveDate>,
}

/// A baby born alive of the pregnancy: its child record and flags.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Queryable, Selectable)]
#[diesel(table_name = births)]
pub struct BirthView {
    /// The child record (`/api/v1/children/{id}`).
    pub child_id: ChildId,
    pub birth_weight_g: i32,
    pub birth_length_cm: f64,
    /// Birth weight below 2,500 g (*BBLR*).
    pub low_birth_weight: bool,
    /// Birth length below 48 cm.
    pub short_at_birth: bool,
}

/// After delivery: which of KF1–KF4 were done, and the contraception chosen.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PostpartumProgress {
    /// KF numbers done (living visits), ascending, each once.
    pub kf_done: Vec<i16>,
    /// KF1 to KF4 all done.
    pub kf_complete: bool,
    /// The method chosen at the latest visit that recorded one (`none`: asked, none chosen).
    pub contraception: Option<Contraception>,
}

/// A pregnancy as the API shows it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "id": "0192b7a4-9999-7000-8000-000000000001", "person_id": "0192b7a4-7777-7000-8000-000000000001",
    "village_code": "14.01.01.2009", "lmp_on": "2025-01-06", "due_on": "2025-10-13", "gestational_weeks": 20,
    "outcome": null, "ended_on": null,
    "anc": { "contacts": 3, "first_trimester": 2, "second_trimester": 1, "third_trimester": 0, "by_doctor": 1,
             "k1": true, "k4": false, "k6": false, "iron_tablets": 60, "iron_tablets_complete": false,
             "kek": true, "anaemia": false, "last_visit_on": "2025-05-20" },
    "babies": [], "postpartum": null, "version": 1,
    "created_at": "2025-02-10T02:00:00Z", "updated_at": "2025-05-20T02:00:00Z"
}))]
pub struct PregnancyView {
    pub id: PregnancyId,
    pub person_id: PersonId,
    /// Her village, moved with her.
    pub village_code: RegionCode,
    /// First day of the last menstrual period (*HPHT*).
    pub lmp_on: NaiveDate,
    /// Estimated delivery date (*HPL*): HPHT + 280 days.
    pub due_on: NaiveDate,
    /// Completed weeks today while open; at the outcome once ended.
    pub gestational_weeks: i64,
    pub outcome: Option<PregnancyOutcome>,
    pub ended_on: Option<NaiveDate>,
    pub anc: AncProgress,
    /// Babies born alive, each a child record linked to her.
    pub babies: Vec<BirthView>,
    /// Present once the pregnancy ended in a delivery (a live birth or a stillbirth).
    pub postpartum: Option<PostpartumProgress>,
    /// Send it back as `If-Match` to correct or remove the pregnancy.
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Scoped for PregnancyView {
    const RECORD: Record = Record::Person;
    fn region(&self) -> &RegionCode {
        &self.village_code
    }
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = pregnancies)]
struct PregnancyRow {
    id: PregnancyId,
    person_id: PersonId,
    village_code: RegionCode,
    lmp_on: NaiveDate,
    due_on: NaiveDate,
    outcome: Option<PregnancyOutcome>,
    ended_on: Option<NaiveDate>,
    anc_contacts: i16,
    anc_first_trimester: i16,
    anc_second_trimester: i16,
    anc_third_trimester: i16,
    anc_by_doctor: i16,
    iron_tablets: i32,
    kek: bool,
    anaemia: bool,
    last_visit_on: Option<NaiveDate>,
    kf_done: i16,
    contraception: Option<Contraception>,
    version: i32,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl PregnancyRow {
    /// After a delivery: the KF numbers done (bit k−1 of `kf_done` for KFk) and the method.
    fn postpartum(&self) -> Option<PostpartumProgress> {
        let delivered = matches!(self.outcome, Some(PregnancyOutcome::LiveBirth | PregnancyOutcome::Stillbirth));
        let kf_done: Vec<i16> = (1..=4).filter(|kf| self.kf_done & (1 << (kf - 1)) != 0).collect();
        delivered.then(|| PostpartumProgress {
            kf_complete: pregnancy::kf_complete(&kf_done),
            kf_done,
            contraception: self.contraception,
        })
    }

    fn into_view(self, babies: Vec<BirthView>) -> PregnancyView {
        let postpartum = self.postpartum();
        let summary = AncSummary {
            contacts: self.anc_contacts,
            by_trimester: [self.anc_first_trimester, self.anc_second_trimester, self.anc_third_trimester],
            by_doctor: self.anc_by_doctor,
            iron_tablets: self.iron_tablets,
            kek: self.kek,
            anaemia: self.anaemia,
        };
        let until = self.ended_on.unwrap_or_else(latest_local_date);
        PregnancyView {
            id: self.id,
            person_id: self.person_id,
            village_code: self.village_code,
            lmp_on: self.lmp_on,
            due_on: self.due_on,
            gestational_weeks: pregnancy::gestational_days(self.lmp_on, until).max(0) / 7,
            outcome: self.outcome,
            ended_on: self.ended_on,
            anc: AncProgress {
                contacts: summary.contacts,
                first_trimester: summary.by_trimester[0],
                second_trimester: summary.by_trimester[1],
                third_trimester: summary.by_trimester[2],
                by_doctor: summary.by_doctor,
                k1: summary.k1(),
                k4: summary.k4(),
                k6: summary.k6(),
                iron_tablets: summary.iron_tablets,
                iron_tablets_complete: summary.iron_complete(),
                kek: summary.kek,
                anaemia: summary.anaemia,
                last_visit_on: self.last_visit_on,
            },
            babies,
            postpartum,
            version: self.version,
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
    }
}

fn unknown(id: PregnancyId) -> ApiError {
    ApiError::not_found(text!("no pregnancy has id %{id}", id = id))
}

/// The pregnancy, if the caller may read it: 404 unless known and living, 403 outside the
/// caller's access.
pub async fn find(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: PregnancyId,
) -> Result<Visible<PregnancyView>, ApiError> {
    let row = pregnancies::table
        .find(id)
        .filter(pregnancies::deleted_at.is_null())
        .select(PregnancyRow::as_select())
        .first(conn)
        .await
        .optional()?;
    let view = match row {
        Some(row) => Some(view_of(conn, row).await?),
        None => None,
    };
    Visible::check(caller, view, || unknown(id))
}

/// A locked pregnancy as the API shows it, after a write.
pub async fn reload(
    conn: &mut AsyncPgConnection,
    pregnancy: &Writable<PregnancyRecord>,
) -> Result<PregnancyView, ApiError> {
    let row = pregnancies::table.find(pregnancy.id).select(PregnancyRow::as_select()).first(conn).await?;
    Ok(view_of(conn, row).await?)
}

async fn view_of(conn: &mut AsyncPgConnection, row: PregnancyRow) -> QueryResult<PregnancyView> {
    let babies = births::table
        .filter(births::pregnancy_id.eq(row.id))
        .select(BirthView::as_select())
        .order(births::child_id)
        .load(conn)
        .await?;
    Ok(row.into_view(babies))
}

/// Her living pregnancies, oldest first.
pub async fn list_of(conn: &mut AsyncPgConnection, person: &impl PersonAccess) -> QueryResult<Vec<PregnancyView>> {
    let rows: Vec<PregnancyRow> = pregnancies::table
        .filter(pregnancies::person_id.eq(person.person_id()))
        .filter(pregnancies::deleted_at.is_null())
        .order((pregnancies::lmp_on, pregnancies::id))
        .select(PregnancyRow::as_select())
        .load(conn)
        .await?;
    let mut views = Vec::with_capacity(rows.len());
    for row in rows {
        views.push(view_of(conn, row).await?);
    }
    Ok(views)
}

/// Locks the pregnancy's row for the rest of the transaction, if the caller may write about
/// the woman: every write about a pregnancy (its visits, outcome) goes through here.
pub async fn lock(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: PregnancyId,
) -> Result<Writable<PregnancyRecord>, ApiError> {
    let row = pregnancies::table
        .find(id)
        .filter(pregnancies::deleted_at.is_null())
        .select(PregnancyRecord::as_select())
        .for_update()
        .first(conn)
        .await
        .optional()?;
    Writable::check(caller, row, || unknown(id))
}

/// A pregnancy to open.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({ "id": "0192b7a4-9999-7000-8000-000000000001", "lmp_on": "2025-01-06" }))]
pub struct OpenPregnancy {
    /// Offline clients may bring their own id: the same pregnancy sent again is answered 200.
    pub id: Option<Uuid>,
    /// First day of the last menstrual period (*HPHT*): not in the future, not before her
    /// tenth birthday, after her previous pregnancy ended.
    pub lmp_on: NaiveDate,
}

/// Opens a pregnancy of woman `person_id`, in the caller's transaction. The same pregnancy sent
/// again under its id is the stored one (`false`: nothing written); 409 while she has another
/// open pregnancy (`existing_id` names it) or when the id is another record's.
pub async fn open(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    person_id: PersonId,
    body: &OpenPregnancy,
) -> Result<(PregnancyView, bool), ApiError> {
    let woman = person::lock(conn, caller, person_id).await?;
    let id = body.id.map_or_else(PregnancyId::new, PregnancyId);
    let existing = pregnancies::table.find(id).select(PregnancyRecord::as_select()).first(conn).await.optional()?;
    if let Some(existing) = existing {
        let hers = existing.person_id == person_id;
        return match hers && existing.lmp_on == body.lmp_on {
            true => Ok((find(conn, caller, id).await?.into_inner(), false)),
            false => Err(access::id_taken_under(hers, text!("pregnancy"), id.0)),
        };
    }
    let mut errors = FieldErrors::default();
    if woman.sex != Sex::Female {
        errors.add("person_id", text!("must name a woman"));
    }
    check_lmp(&mut errors, woman.birth_date, body.lmp_on);
    let latest: Option<PregnancyRecord> = pregnancies::table
        .filter(pregnancies::person_id.eq(person_id))
        .filter(pregnancies::deleted_at.is_null())
        .order(pregnancies::lmp_on.desc())
        .select(PregnancyRecord::as_select())
        .first(conn)
        .await
        .optional()?;
    if let Some(latest) = &latest {
        match latest.ended_on {
            None => {
                return Err(ApiError::DuplicateOf {
                    detail: text!("she has an open pregnancy (%{id}); record its outcome first", id = latest.id),
                    existing_id: latest.id.0,
                });
            }
            Some(ended) if body.lmp_on <= ended => {
                errors.add("lmp_on", text!("is not after her previous pregnancy ended (%{ended})", ended = ended));
            }
            Some(_) => {}
        }
    }
    errors.finish()?;
    diesel::insert_into(pregnancies::table)
        .values((
            pregnancies::id.eq(id),
            pregnancies::person_id.eq(person_id),
            pregnancies::village_code.eq(&woman.village_code),
            pregnancies::lmp_on.eq(body.lmp_on),
            pregnancies::due_on.eq(pregnancy::due_date(body.lmp_on)),
            pregnancies::created_by.eq(caller.id),
        ))
        .execute(conn)
        .await?;
    audit::record(conn, Some(caller.id), "pregnancy.create", id, json!({ "person_id": person_id })).await?;
    let locked = lock(conn, caller, id).await?;
    Ok((reload(conn, &locked).await?, true))
}

/// HPHT: not in the future, not before she was ten.
fn check_lmp(errors: &mut FieldErrors, birth_date: NaiveDate, lmp_on: NaiveDate) {
    if lmp_on > latest_local_date() {
        errors.add("lmp_on", text!("is in the future"));
    } else if crate::domain::catin::age_years(birth_date, lmp_on) < 10 {
        errors.add("lmp_on", text!("is before her tenth birthday"));
    }
}

/// Corrects the HPHT of open pregnancy `id` (If-Match): the due date, every visit's trimester
/// and the kept counts follow; 409 once it has ended; 422 when a visit would fall before the
/// new HPHT or past 44 weeks.
pub async fn correct_lmp(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: PregnancyId,
    read: ExpectedVersion,
    lmp_on: NaiveDate,
) -> Result<PregnancyView, ApiError> {
    let audit = ("update", json!({ "fields": ["lmp_on"] }));
    write::change::<PregnancyRecord, _>(conn, caller, id, read, audit, async |conn, current| {
        if let Some(ended) = current.ended_on {
            return Err(ApiError::conflict(text!(
                "the pregnancy ended on %{ended}; its HPHT is kept as it was",
                ended = ended
            )));
        }
        let woman = person::lock(conn, caller, current.person_id).await?;
        let mut errors = FieldErrors::default();
        check_lmp(&mut errors, woman.birth_date, lmp_on);
        let previous_end: Option<Option<NaiveDate>> = pregnancies::table
            .filter(pregnancies::person_id.eq(current.person_id))
            .filter(pregnancies::deleted_at.is_null())
            .filter(pregnancies::id.ne(id))
            .select(diesel::dsl::max(pregnancies::ended_on))
            .first(conn)
            .await
            .optional()?;
        if let Some(ended) = previous_end.flatten().filter(|ended| lmp_on <= *ended) {
            errors.add("lmp_on", text!("is not after her previous pregnancy ended (%{ended})", ended = ended));
        }
        let visits: Vec<NaiveDate> = anc_visits::table
            .filter(anc_visits::pregnancy_id.eq(id))
            .filter(anc_visits::voided_at.is_null())
            .select(anc_visits::visited_on)
            .load(conn)
            .await?;
        if let Some(first) = visits.iter().min().filter(|first| **first < lmp_on) {
            errors.add("lmp_on", text!("is after her visit of %{first}", first = first));
        }
        if let Some(last) =
            visits.iter().max().filter(|last| pregnancy::gestational_days(lmp_on, **last) > MAX_GESTATION_DAYS)
        {
            errors.add("lmp_on", text!("puts her visit of %{last} past 44 weeks", last = last));
        }
        errors.finish()?;
        diesel::update(pregnancies::table.find(id))
            .set((
                pregnancies::lmp_on.eq(lmp_on),
                pregnancies::due_on.eq(pregnancy::due_date(lmp_on)),
                pregnancies::version.eq(pregnancies::version + 1),
                pregnancies::updated_at.eq(Utc::now()),
            ))
            .execute(conn)
            .await?;
        anc::recount(conn, id, lmp_on).await?;
        reload(conn, current).await
    })
    .await
}

/// Removes pregnancy `id` (entered in error) for `reason`: it stays, out of every list and
/// count, with its visits. A child born of it keeps its own record.
pub async fn remove(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: PregnancyId,
    read: ExpectedVersion,
    reason: &str,
) -> Result<(), ApiError> {
    write::remove::<PregnancyRecord>(conn, caller, id, read, Some(reason)).await
}
