//! Pregnancies arriving in bulk with their visits (`POST /imports/pregnancies`), a row per event
//! as a KIA register lists them: the woman, her pregnancy, and at most one antenatal visit, the
//! outcome or one postpartum visit. Each row is written by the rules of the single requests, in
//! file order, so a file sorted by woman and date opens, follows and closes each pregnancy.

use chrono::NaiveDate;
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use super::anc::{self, CreateAncVisit};
use super::outcome::{self, NewBaby};
use super::postpartum::{self, CreatePostpartumVisit};
use super::{OpenPregnancy, PregnancyRecord};
use crate::auth::Caller;
use crate::db::schema::{births, children, pregnancies};
use crate::domain::pregnancy::{MAX_BIRTH_LENGTH_CM, MAX_BIRTH_WEIGHT_G, MIN_BIRTH_LENGTH_CM, MIN_BIRTH_WEIGHT_G};
use crate::domain::{ChildId, Contraception, Examiner, Nik, NikKey, PersonId, PregnancyId, PregnancyOutcome, Sex};
use crate::error::{ApiError, FieldErrors};
use crate::records::import::{Columns, OneAtATime, Outcome, Verdict, Writer, each_in_savepoint, on_file};
use crate::records::person::import::Identity;

crate::domain::text_enum! {
    /// What a pregnancy row records besides the pregnancy itself.
    pub enum PregnancyEvent {
        AncVisit = "anc_visit",
        Outcome = "outcome",
        PostpartumVisit = "postpartum_visit",
    }
}

/// A row of a pregnancy register. The woman is known by `person_id`, or else by `nik`; the
/// pregnancy by `pregnancy_id`, or else by the woman and `lmp_on`; a visit by `event_id`, or
/// else by its pregnancy and day; a baby born alive by `event_id` (its child id), or else by
/// its NIK, or else by its name and sex among the babies of the recorded birth. The same row
/// again is unchanged; a different visit on a day on file is a 409 (void it first). A row
/// names one baby: twins are two outcome rows of the same outcome and day, one baby each (the
/// second adds its baby to the birth).
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"person_id": "0192b7a4-7777-7000-8000-000000000001", "nik": "1401014903040002",
    "village_code": "14.01.01.2009", "birth_date": "2004-03-09", "name": "Nurhayati",
    "pregnancy_id": "0192b7a4-9999-7000-8000-000000000001", "lmp_on": "2025-01-06", "event": "anc_visit",
    "event_id": "0192b7a4-aaaa-7000-8000-000000000001", "event_on": "2025-02-17", "examiner": "doctor",
    "weight_kg": 44.5, "muac_cm": 22.8, "hb_g_dl": 10.6, "iron_tablets": 30, "supplementary_food": true}))]
pub struct PregnancyRow {
    pub person_id: Option<Uuid>,
    /// 16 digits; stored only as a keyed hash.
    #[schema(pattern = "^[0-9]{16}$")]
    pub nik: Option<String>,
    pub village_code: String,
    pub birth_date: NaiveDate,
    #[validate(length(min = 1, max = 200), custom(function = "crate::domain::text::non_blank"))]
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    pub pregnancy_id: Option<Uuid>,
    /// HPHT.
    pub lmp_on: NaiveDate,
    /// Without one, the row records the pregnancy alone.
    pub event: Option<PregnancyEvent>,
    /// The visit's id, or (outcome) the baby's child id.
    pub event_id: Option<Uuid>,
    /// The visit's day, or the day the pregnancy ended.
    pub event_on: Option<NaiveDate>,
    /// Visits.
    pub examiner: Option<Examiner>,
    /// Antenatal visits.
    #[schema(minimum = 25.0, maximum = 250.0)]
    pub weight_kg: Option<f64>,
    #[schema(minimum = 10.0, maximum = 60.0)]
    pub muac_cm: Option<f64>,
    #[schema(minimum = 3.0, maximum = 25.0)]
    pub hb_g_dl: Option<f64>,
    #[schema(minimum = 0, maximum = 120)]
    pub iron_tablets: Option<i16>,
    pub supplementary_food: Option<bool>,
    /// The outcome.
    pub outcome: Option<PregnancyOutcome>,
    #[validate(length(min = 1, max = 200), custom(function = "crate::domain::text::non_blank"))]
    #[schema(min_length = 1, max_length = 200)]
    pub baby_name: Option<String>,
    pub baby_sex: Option<Sex>,
    /// 16 digits; stored only as a keyed hash.
    #[schema(pattern = "^[0-9]{16}$")]
    pub baby_nik: Option<String>,
    #[schema(minimum = 300, maximum = 7000)]
    pub birth_weight_g: Option<i32>,
    #[schema(minimum = 20.0, maximum = 65.0)]
    pub birth_length_cm: Option<f64>,
    /// Postpartum visits.
    pub contraception: Option<Contraception>,
    pub exclusive_breastfeeding: Option<bool>,
}

/// What a row records besides its pregnancy, checked.
enum Event {
    None,
    AncVisit(CreateAncVisit),
    Outcome { kind: PregnancyOutcome, ended_on: NaiveDate, baby: Option<NewBaby> },
    PostpartumVisit(CreatePostpartumVisit),
}

impl PregnancyRow {
    fn identity(&self) -> Identity<'_> {
        Identity {
            person_id: self.person_id,
            nik: self.nik.as_deref(),
            village_code: &self.village_code,
            sex: None,
            birth_date: self.birth_date,
            name: &self.name,
        }
    }

    /// The event, or a 422 naming each field that is missing for it or belongs to another.
    fn event(&self, nik_key: &NikKey) -> Result<Event, ApiError> {
        use PregnancyEvent::*;
        let mut errors = FieldErrors::from_validation(self.validate());
        let given: [(&str, bool, &[PregnancyEvent]); 16] = [
            ("event_id", self.event_id.is_some(), &[AncVisit, Outcome, PostpartumVisit]),
            ("event_on", self.event_on.is_some(), &[AncVisit, Outcome, PostpartumVisit]),
            ("examiner", self.examiner.is_some(), &[AncVisit, PostpartumVisit]),
            ("weight_kg", self.weight_kg.is_some(), &[AncVisit]),
            ("muac_cm", self.muac_cm.is_some(), &[AncVisit]),
            ("hb_g_dl", self.hb_g_dl.is_some(), &[AncVisit]),
            ("iron_tablets", self.iron_tablets.is_some(), &[AncVisit]),
            ("supplementary_food", self.supplementary_food.is_some(), &[AncVisit]),
            ("outcome", self.outcome.is_some(), &[Outcome]),
            ("baby_name", self.baby_name.is_some(), &[Outcome]),
            ("baby_sex", self.baby_sex.is_some(), &[Outcome]),
            ("baby_nik", self.baby_nik.is_some(), &[Outcome]),
            ("birth_weight_g", self.birth_weight_g.is_some(), &[Outcome]),
            ("birth_length_cm", self.birth_length_cm.is_some(), &[Outcome]),
            ("contraception", self.contraception.is_some(), &[PostpartumVisit]),
            ("exclusive_breastfeeding", self.exclusive_breastfeeding.is_some(), &[PostpartumVisit]),
        ];
        for (field, is_given, events) in given {
            if is_given && !self.event.is_some_and(|e| events.contains(&e)) {
                let of = events.iter().map(|e| e.as_str()).collect::<Vec<_>>().join(" or ");
                errors.add(field, text!("belongs to a row whose `event` is %{of}", of = of));
            }
        }
        let on = match (self.event, self.event_on) {
            (Some(_), None) => missing(&mut errors, "event_on"),
            (_, on) => on,
        };
        let examiner = match self.event {
            Some(AncVisit | PostpartumVisit) if self.examiner.is_none() => missing(&mut errors, "examiner"),
            _ => self.examiner,
        };
        let event = match (self.event, on) {
            (None, _) => Some(Event::None),
            (Some(_), None) => None,
            (Some(AncVisit), Some(visited_on)) => examiner.map(|examiner| {
                Event::AncVisit(CreateAncVisit {
                    id: self.event_id,
                    visited_on,
                    examiner,
                    weight_kg: self.weight_kg,
                    muac_cm: self.muac_cm,
                    hb_g_dl: self.hb_g_dl,
                    iron_tablets: self.iron_tablets,
                    supplementary_food: self.supplementary_food,
                })
            }),
            (Some(PostpartumVisit), Some(visited_on)) => examiner.map(|examiner| {
                Event::PostpartumVisit(CreatePostpartumVisit {
                    id: self.event_id,
                    visited_on,
                    examiner,
                    contraception: self.contraception,
                    exclusive_breastfeeding: self.exclusive_breastfeeding,
                })
            }),
            (Some(Outcome), Some(ended_on)) => {
                let kind = self.outcome.or_else(|| missing(&mut errors, "outcome"));
                let baby = self.baby(&mut errors, nik_key);
                kind.map(|kind| Event::Outcome { kind, ended_on, baby })
            }
        };
        errors.finish_with(event)
    }

    /// The baby born alive the row names, when it names one: all its fields, or none.
    fn baby(&self, errors: &mut FieldErrors, nik_key: &NikKey) -> Option<NewBaby> {
        let named = self.baby_name.is_some()
            || self.baby_sex.is_some()
            || self.birth_weight_g.is_some()
            || self.birth_length_cm.is_some();
        if !named {
            return None;
        }
        let name = self.baby_name.as_deref().map(str::trim).map(str::to_owned).or_else(|| missing(errors, "baby_name"));
        let sex = self.baby_sex.or_else(|| missing(errors, "baby_sex"));
        let weight = self.birth_weight_g.or_else(|| missing(errors, "birth_weight_g"));
        let length = self.birth_length_cm.or_else(|| missing(errors, "birth_length_cm"));
        if let Some(w) = weight.filter(|w| !(MIN_BIRTH_WEIGHT_G..=MAX_BIRTH_WEIGHT_G).contains(w)) {
            errors.add(
                "birth_weight_g",
                text!(
                    "must be between %{min} and %{max} grams (was %{weight})",
                    min = MIN_BIRTH_WEIGHT_G,
                    max = MAX_BIRTH_WEIGHT_G,
                    weight = w
                ),
            );
        }
        if let Some(l) = length.filter(|l| !(MIN_BIRTH_LENGTH_CM..=MAX_BIRTH_LENGTH_CM).contains(l)) {
            errors.add(
                "birth_length_cm",
                text!(
                    "must be between %{min} and %{max} cm (was %{length})",
                    min = MIN_BIRTH_LENGTH_CM,
                    max = MAX_BIRTH_LENGTH_CM,
                    length = l
                ),
            );
        }
        let nik_hash = self.baby_nik.as_deref().and_then(|n| errors.check("baby_nik", Nik::parse(n)));
        Some(NewBaby {
            id: self.event_id.map_or_else(ChildId::new, ChildId),
            name: name?,
            sex: sex?,
            birth_weight_g: weight?,
            birth_length_cm: length?,
            nik_hash: nik_hash.map(|n| n.keyed_hash(nik_key)),
        })
    }
}

fn missing<T>(errors: &mut FieldErrors, field: &str) -> Option<T> {
    errors.add(field, text!("is required for this row's `event`"));
    None
}

/// Writes pregnancy rows one at a time, each in its own savepoint: a row is written whole (the
/// woman, her pregnancy and its event) or not at all.
pub struct PregnanciesWriter {
    nik_key: NikKey,
}

impl PregnanciesWriter {
    pub fn new(nik_key: &NikKey) -> Self {
        Self { nik_key: nik_key.clone() }
    }
}

impl OneAtATime for PregnanciesWriter {
    type Record = PregnancyRow;

    async fn one(
        &self,
        conn: &mut AsyncPgConnection,
        caller: &Caller,
        row: &PregnancyRow,
    ) -> Result<Outcome, ApiError> {
        let event = row.event(&self.nik_key)?;
        let (woman, woman_outcome) = row.identity().resolve(conn, caller, &self.nik_key).await?;
        pregnancy_and_event(conn, caller, row, woman, woman_outcome, event).await.map_err(in_row_terms)
    }
}

/// The row's pregnancy (opened when new) and its event.
async fn pregnancy_and_event(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    row: &PregnancyRow,
    woman: PersonId,
    woman_outcome: Outcome,
    event: Event,
) -> Result<Outcome, ApiError> {
    let known = match row.pregnancy_id {
        Some(id) => Some(id),
        None => of_lmp(conn, woman, row.lmp_on).await?.map(|p| p.0),
    };
    let (pregnancy, opened) =
        super::open(conn, caller, woman, &OpenPregnancy { id: known, lmp_on: row.lmp_on }).await?;
    let pregnancy = pregnancy.id;
    let so_far = woman_outcome.and(Outcome::of_write(opened));
    let written = match event {
        Event::None => false,
        Event::AncVisit(mut visit) => {
            let on_day = match visit.id {
                Some(_) => None,
                None => anc::living_on(conn, pregnancy, visit.visited_on).await?,
            };
            visit.id = visit.id.or(on_day);
            let recorded = anc::record(conn, caller, pregnancy, &visit).await;
            recorded.map_err(|e| if on_day.is_some() { on_file(e, text!("visit of that day")) } else { e })?.1
        }
        Event::PostpartumVisit(mut visit) => {
            let on_day = match visit.id {
                Some(_) => None,
                None => postpartum::living_on(conn, pregnancy, visit.visited_on).await?,
            };
            visit.id = visit.id.or(on_day);
            let recorded = postpartum::record(conn, caller, pregnancy, &visit).await;
            recorded.map_err(|e| if on_day.is_some() { on_file(e, text!("visit of that day")) } else { e })?.1
        }
        Event::Outcome { kind, ended_on, mut baby } => {
            if let Some(baby) = baby.as_mut().filter(|_| row.event_id.is_none()) {
                // Without the baby's id: a baby of the recorded birth, if the row names one.
                if let Some(born) = baby_on_file(conn, pregnancy, baby).await? {
                    baby.id = born;
                }
            }
            let ended = outcome::Outcome { outcome: kind, ended_on, babies: baby.into_iter().collect() };
            outcome::record(conn, caller, pregnancy, &ended, outcome::Babies::OneAtATime).await?.1
        }
    };
    Ok(if written { Outcome::Created } else { so_far })
}

/// A single request's 422 in the row's words: its visit date and the day it ended are both
/// `event_on`, a baby is `baby_…`.
fn in_row_terms(error: ApiError) -> ApiError {
    let ApiError::Validation(mut errors) = error else { return error };
    for error in &mut errors {
        let column = match error.field.as_str() {
            "visited_on" | "ended_on" => "event_on",
            "babies" => "baby_name",
            _ => continue,
        };
        error.field = column.to_owned();
    }
    ApiError::Validation(errors)
}

/// The woman's living pregnancy with this HPHT: a row's natural key.
async fn of_lmp(conn: &mut AsyncPgConnection, woman: PersonId, lmp_on: NaiveDate) -> QueryResult<Option<PregnancyId>> {
    pregnancies::table
        .filter(pregnancies::person_id.eq(woman))
        .filter(pregnancies::lmp_on.eq(lmp_on))
        .filter(pregnancies::deleted_at.is_null())
        .select(PregnancyRecord::as_select())
        .first(conn)
        .await
        .optional()
        .map(|found| found.map(|p| p.id))
}

/// The baby born of the pregnancy a row without `event_id` names: by its NIK, or else by its
/// name and sex (a register lists twins a row each, each with its own name).
async fn baby_on_file(
    conn: &mut AsyncPgConnection,
    pregnancy: PregnancyId,
    baby: &NewBaby,
) -> QueryResult<Option<ChildId>> {
    let query = births::table
        .inner_join(children::table)
        .filter(births::pregnancy_id.eq(pregnancy))
        .select(births::child_id)
        .into_boxed();
    let query = match &baby.nik_hash {
        Some(hash) => query.filter(children::nik_hash.eq(hash)),
        None => query.filter(children::name.eq(&baby.name)).filter(children::sex.eq(baby.sex)),
    };
    query.first(conn).await.optional()
}

impl Writer for PregnanciesWriter {
    type Record = PregnancyRow;
    const COLUMNS: &'static Columns = &Columns {
        known: &[
            "person_id",
            "nik",
            "village_code",
            "birth_date",
            "name",
            "pregnancy_id",
            "lmp_on",
            "event",
            "event_id",
            "event_on",
            "examiner",
            "weight_kg",
            "muac_cm",
            "hb_g_dl",
            "iron_tablets",
            "supplementary_food",
            "outcome",
            "baby_name",
            "baby_sex",
            "baby_nik",
            "birth_weight_g",
            "birth_length_cm",
            "contraception",
            "exclusive_breastfeeding",
        ],
        required: &["village_code", "birth_date", "name", "lmp_on"],
    };

    fn id_of(record: &PregnancyRow) -> Option<String> {
        record.event_id.or(record.pregnancy_id).map(|id| id.to_string())
    }

    async fn write(
        &mut self,
        conn: &mut AsyncPgConnection,
        caller: &Caller,
        chunk: &[(u32, PregnancyRow)],
    ) -> Result<Vec<Verdict>, ApiError> {
        each_in_savepoint(self, conn, caller, chunk).await
    }
}
