//! Children and measurements arriving in bulk (`POST /imports/children`, `/imports/measurements`):
//! each record is checked and written by the rules of the single requests.

mod batch;

use std::collections::HashMap;

use chrono::NaiveDate;
use diesel_async::AsyncPgConnection;
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use super::measurements::{self, Incoming, Recorded};
use super::scoring::Measured;
use super::{ChildChanges, ChildRecord, NewChild};
use crate::auth::Caller;
use crate::db::audit;
use crate::domain::text;
use crate::domain::{
    ChildId, MeasurementId, Nik, NikKey, Place, Position, PosyanduId, RegionCode, Sex, check_child_birth_date,
    latest_local_date,
};
use crate::error::{ApiError, FieldErrors, Problem};
use crate::records::import::{Columns, OneAtATime, Outcome, Verdict, Writer};
use crate::records::region;

/// A measurement of a registered child: `POST /children/{id}/measurements`'s body with the
/// child's id. Without an `id`, a measurement is known by its child and date.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"id": "3f1d6a52-8e4b-4c1e-a7f3-9b2d4e6c8a10", "child_id": "7b0c2f0e-3c1a-4c55-9f0e-2d7f1a9b8c01",
    "measured_on": "2024-08-15", "length_cm": 78.4, "position": "lying", "weight_kg": 9.1, "oedema": false,
    "place": "posyandu", "measured_by": "Bidan Desa Kumantan"}))]
pub struct MeasurementRecord {
    pub id: Option<Uuid>,
    pub child_id: Uuid,
    pub measured_on: NaiveDate,
    #[validate(range(min = crate::growth::MIN_LENGTH_CM, max = crate::growth::MAX_LENGTH_CM))]
    #[schema(minimum = 38.0, maximum = 130.0)]
    pub length_cm: f64,
    pub position: Position,
    #[validate(range(min = crate::growth::MIN_WEIGHT_KG, max = crate::growth::MAX_WEIGHT_KG))]
    #[schema(minimum = 0.9, maximum = 58.0)]
    pub weight_kg: Option<f64>,
    /// Default false.
    pub oedema: Option<bool>,
    pub place: Place,
    #[validate(length(min = 1, max = 200), custom(function = "crate::domain::text::non_blank"))]
    #[schema(min_length = 1, max_length = 200)]
    pub measured_by: Option<String>,
    /// The posyandu where it was taken.
    pub posyandu_id: Option<Uuid>,
    /// The age the measurer wrote down, in completed months (e-PPGBM's "usia saat ukur"):
    /// checked against the birth date, flagged `age_mismatch` when more than a month off.
    #[validate(range(min = 0, max = 71))]
    #[schema(minimum = 0, maximum = 71)]
    pub reported_age_months: Option<i32>,
}

impl MeasurementRecord {
    fn incoming(&self) -> Result<Incoming, ApiError> {
        let mut errors = FieldErrors::from_validation(self.validate());
        if self.measured_on > latest_local_date() {
            errors.add("measured_on", text!("is in the future"));
        }
        errors.finish()?;
        Ok(Incoming {
            id: self.id.map_or_else(MeasurementId::new, MeasurementId),
            measured: Measured {
                measured_on: self.measured_on,
                length_cm: self.length_cm,
                position: self.position,
                weight_kg: self.weight_kg,
                oedema: self.oedema.unwrap_or(false),
            },
            place: self.place,
            measured_by: text::given(self.measured_by.as_deref()).map(str::to_owned),
            posyandu_id: self.posyandu_id.map(PosyanduId),
            reported_age_months: self.reported_age_months,
        })
    }
}

/// What identifies a measurement within one import.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum MeasurementKey {
    Id(Uuid),
    Day(ChildId, NaiveDate),
}

/// Writes `measurements` in batches (`measurements::record_many`).
#[derive(Default)]
pub struct MeasurementsWriter {
    /// Where each measurement first appeared in this import: a repeat is rejected.
    seen: HashMap<MeasurementKey, u32>,
}

impl MeasurementsWriter {
    /// 409 when the same measurement appeared earlier in the import.
    fn first_time(&mut self, key: MeasurementKey, index: u32) -> Result<(), Box<Problem>> {
        match *self.seen.entry(key).or_insert(index) {
            first if first == index => Ok(()),
            first => {
                Err(ApiError::conflict(text!("repeats the measurement of record %{first}", first = first)).rejection())
            }
        }
    }
}

impl Writer for MeasurementsWriter {
    type Record = MeasurementRecord;
    const COLUMNS: &'static Columns = &Columns {
        known: &[
            "id",
            "child_id",
            "measured_on",
            "length_cm",
            "position",
            "weight_kg",
            "oedema",
            "place",
            "measured_by",
            "posyandu_id",
        ],
        required: &["child_id", "measured_on", "length_cm", "position", "place"],
    };

    fn id_of(record: &MeasurementRecord) -> Option<String> {
        record.id.map(|id| id.to_string())
    }

    async fn write(
        &mut self,
        conn: &mut AsyncPgConnection,
        caller: &Caller,
        chunk: &[(u32, MeasurementRecord)],
    ) -> Result<Vec<Verdict>, ApiError> {
        let mut verdicts: Vec<Option<Verdict>> = Vec::with_capacity(chunk.len());
        let mut items = Vec::new();
        let mut keyed = Vec::new();
        for (index, record) in chunk {
            let child = ChildId(record.child_id);
            let checked = record.incoming().map_err(|e| e.rejection()).and_then(|incoming| {
                let key = match record.id {
                    Some(id) => MeasurementKey::Id(id),
                    None => MeasurementKey::Day(child, record.measured_on),
                };
                self.first_time(key, *index)?;
                Ok(incoming)
            });
            match checked {
                Ok(incoming) => {
                    keyed.push(record.id.is_some());
                    items.push((child, incoming));
                    verdicts.push(None);
                }
                Err(problem) => verdicts.push(Some(Err(problem))),
            }
        }
        let mut recorded = measurements::record_many(conn, caller, &items, &keyed).await?.into_iter();
        Ok(verdicts
            .into_iter()
            .map(|v| {
                v.unwrap_or_else(|| match recorded.next() {
                    Some(Ok(Recorded::Created)) => Ok(Outcome::Created),
                    Some(Ok(Recorded::Unchanged)) => Ok(Outcome::Unchanged),
                    Some(Err(problem)) => Err(problem),
                    None => Err(ApiError::Internal(anyhow::anyhow!("a verdict is missing")).rejection()),
                })
            })
            .collect())
    }
}

/// A row of an e-PPGBM style export: a child and (when `measured_on` is given) one weighing.
/// The child is known by `child_id`, or else by `nik`; sending the same file again finds the
/// same children. A row whose child fields differ from the stored child corrects it.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"child_id": "7b0c2f0e-3c1a-4c55-9f0e-2d7f1a9b8c01", "nik": "1401015405230001",
    "village_code": "14.01.01.2009", "sex": "female", "birth_date": "2023-05-14", "name": "Siti Aminah",
    "mother_name": "Nurhayati", "measurement_id": "3f1d6a52-8e4b-4c1e-a7f3-9b2d4e6c8a10",
    "measured_on": "2024-08-15", "length_cm": 78.4, "position": "lying", "weight_kg": 9.1, "oedema": false,
    "place": "posyandu", "measured_by": "Bidan Desa Kumantan"}))]
pub struct ChildRow {
    pub child_id: Option<Uuid>,
    /// 16 digits; stored only as a keyed hash.
    #[schema(pattern = "^[0-9]{16}$")]
    pub nik: Option<String>,
    pub village_code: String,
    pub sex: Sex,
    pub birth_date: NaiveDate,
    #[validate(length(min = 1, max = 200), custom(function = "crate::domain::text::non_blank"))]
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    #[validate(length(min = 1, max = 200), custom(function = "crate::domain::text::non_blank"))]
    #[schema(min_length = 1, max_length = 200)]
    pub mother_name: Option<String>,
    /// The posyandu of her village she is registered to.
    pub posyandu_id: Option<Uuid>,
    /// Whether she has a KMS or KIA book.
    pub kia_book: Option<bool>,
    pub measurement_id: Option<Uuid>,
    /// The weighing's date; the other weighing fields are read only with it.
    pub measured_on: Option<NaiveDate>,
    #[validate(range(min = crate::growth::MIN_LENGTH_CM, max = crate::growth::MAX_LENGTH_CM))]
    #[schema(minimum = 38.0, maximum = 130.0)]
    pub length_cm: Option<f64>,
    pub position: Option<Position>,
    #[validate(range(min = crate::growth::MIN_WEIGHT_KG, max = crate::growth::MAX_WEIGHT_KG))]
    #[schema(minimum = 0.9, maximum = 58.0)]
    pub weight_kg: Option<f64>,
    pub oedema: Option<bool>,
    pub place: Option<Place>,
    #[validate(length(min = 1, max = 200), custom(function = "crate::domain::text::non_blank"))]
    #[schema(min_length = 1, max_length = 200)]
    pub measured_by: Option<String>,
    /// The age the measurer wrote down, in completed months (e-PPGBM's "usia saat ukur"):
    /// checked against the birth date, flagged `age_mismatch` when more than a month off.
    #[validate(range(min = 0, max = 71))]
    #[schema(minimum = 0, maximum = 71)]
    pub reported_age_months: Option<i32>,
}

/// A row, checked: the child as it should be stored, and its weighing.
struct CheckedRow {
    village: RegionCode,
    nik_hash: Option<Vec<u8>>,
    weighing: Option<Incoming>,
}

impl ChildRow {
    fn check(&self, nik_key: &NikKey) -> Result<CheckedRow, ApiError> {
        let mut errors = FieldErrors::from_validation(self.validate());
        let village = errors.check("village_code", RegionCode::parse_village(&self.village_code));
        let nik = self.nik.as_deref().and_then(|n| errors.check("nik", Nik::parse(n)));
        if self.child_id.is_none() && self.nik.is_none() {
            errors.add("child_id", text!("give the child's id or NIK, so that a file sent again finds the same child"));
        }
        errors.check("birth_date", check_child_birth_date(self.birth_date));
        let weighing = match self.measured_on {
            Some(measured_on) => {
                if measured_on > latest_local_date() {
                    errors.add("measured_on", text!("is in the future"));
                }
                let length_cm = self.length_cm.or_else(|| missing(&mut errors, "length_cm"));
                let position = self.position.or_else(|| missing(&mut errors, "position"));
                let place = self.place.or_else(|| missing(&mut errors, "place"));
                match (length_cm, position, place) {
                    (Some(length_cm), Some(position), Some(place)) => Some(Incoming {
                        id: self.measurement_id.map_or_else(MeasurementId::new, MeasurementId),
                        measured: Measured {
                            measured_on,
                            length_cm,
                            position,
                            weight_kg: self.weight_kg,
                            oedema: self.oedema.unwrap_or(false),
                        },
                        place,
                        measured_by: text::given(self.measured_by.as_deref()).map(str::to_owned),
                        // The child's posyandu: an e-PPGBM row is her weighing there.
                        posyandu_id: self.posyandu_id.map(PosyanduId),
                        reported_age_months: self.reported_age_months,
                    }),
                    _ => None,
                }
            }
            None => {
                for (field, given) in [
                    ("measurement_id", self.measurement_id.is_some()),
                    ("length_cm", self.length_cm.is_some()),
                    ("position", self.position.is_some()),
                    ("weight_kg", self.weight_kg.is_some()),
                    ("place", self.place.is_some()),
                    ("reported_age_months", self.reported_age_months.is_some()),
                ] {
                    if given {
                        errors.add(field, text!("is a weighing field; give `measured_on` with it"));
                    }
                }
                None
            }
        };
        let village = errors.finish_with(village)?;
        Ok(CheckedRow { village, nik_hash: nik.map(|n| n.keyed_hash(nik_key)), weighing })
    }

    /// The child as the row gives it, under `id`.
    fn as_new_child<'a>(&'a self, checked: &'a CheckedRow, id: ChildId, caller: &Caller) -> NewChild<'a> {
        NewChild {
            id,
            village_code: &checked.village,
            sex: self.sex,
            birth_date: self.birth_date,
            name: self.name.trim(),
            mother_name: text::given(self.mother_name.as_deref()),
            // The file names no mother's record; a linked one stays linked.
            mother_id: None,
            nik_hash: checked.nik_hash.clone(),
            posyandu_id: self.posyandu_id.map(PosyanduId),
            kia_book: self.kia_book,
            created_by: caller.id,
        }
    }
}

fn missing<T>(errors: &mut FieldErrors, field: &str) -> Option<T> {
    errors.add(field, text!("is required with `measured_on`"));
    None
}

/// Writes `children` rows: set-based where it can (`batch`), else one at a time, each in its own
/// savepoint, so a row is written whole or not at all.
pub struct ChildrenWriter {
    nik_key: NikKey,
}

impl ChildrenWriter {
    pub fn new(nik_key: &NikKey) -> Self {
        Self { nik_key: nik_key.clone() }
    }
}

impl OneAtATime for ChildrenWriter {
    type Record = ChildRow;

    async fn one(&self, conn: &mut AsyncPgConnection, caller: &Caller, row: &ChildRow) -> Result<Outcome, ApiError> {
        let checked = row.check(&self.nik_key)?;
        caller.require_in_scope(&checked.village)?;
        region::require_known(conn, &checked.village, "village_code").await?;
        let known = match (row.child_id, &checked.nik_hash) {
            (Some(id), _) => super::find_any(conn, ChildId(id)).await?.map(|c| c.id),
            (None, Some(hash)) => super::find_by_nik(conn, hash, None).await?,
            (None, None) => None,
        };
        let new = row.as_new_child(&checked, known.or(row.child_id.map(ChildId)).unwrap_or_default(), caller);
        let child_outcome = match known {
            None => {
                super::register(conn, caller, &new).await?;
                Outcome::Created
            }
            Some(id) => {
                let current = super::lock(conn, caller, id).await?;
                if new.same_as(&current) {
                    Outcome::Unchanged
                } else {
                    let changes = changes_from(&current, &new);
                    super::correct(conn, caller, &current, &changes).await?;
                    audit::record(conn, Some(caller.id), "child.update", id, json!({ "import": true })).await?;
                    Outcome::Updated
                }
            }
        };
        let Some(weighing) = &checked.weighing else { return Ok(child_outcome) };
        let recorded = weigh(conn, caller, new.id, weighing, row.measurement_id.is_some()).await?;
        Ok(child_outcome.and(Outcome::of_write(matches!(recorded, Recorded::Created))))
    }
}

/// Records the row's weighing; without an id it is known by its child and date.
async fn weigh(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    child: ChildId,
    weighing: &Incoming,
    keyed: bool,
) -> Result<Recorded, ApiError> {
    let mut verdicts = measurements::record_many(conn, caller, &[(child, weighing.clone())], &[keyed]).await?;
    match verdicts.pop() {
        Some(Ok(recorded)) => Ok(recorded),
        Some(Err(problem)) => Err(ApiError::Answered(problem)),
        None => Err(ApiError::Internal(anyhow::anyhow!("a verdict is missing"))),
    }
}

/// The fields of `new` that differ from the stored child.
fn changes_from(current: &ChildRecord, new: &NewChild<'_>) -> ChildChanges {
    ChildChanges {
        village_code: (current.village_code != *new.village_code).then(|| new.village_code.clone()),
        sex: (current.sex != new.sex).then_some(new.sex),
        birth_date: (current.birth_date != new.birth_date).then_some(new.birth_date),
        name: (current.name != new.name).then(|| new.name.to_owned()),
        mother_name: (current.mother_name.as_deref() != new.mother_name).then(|| new.mother_name.map(str::to_owned)),
        mother_id: None,
        nik_hash: (current.nik_hash != new.nik_hash).then(|| new.nik_hash.clone()),
        // A file that names no posyandu or book says nothing about them.
        posyandu_id: new.posyandu_id.filter(|p| current.posyandu_id != Some(*p)).map(Some),
        kia_book: new.kia_book.filter(|k| current.kia_book != Some(*k)).map(Some),
        // Set through `PATCH /children/{id}` only, by the roles that may.
        ihs_number: None,
    }
}

impl Writer for ChildrenWriter {
    type Record = ChildRow;
    const COLUMNS: &'static Columns = &Columns {
        known: &[
            "child_id",
            "nik",
            "village_code",
            "sex",
            "birth_date",
            "name",
            "mother_name",
            "posyandu_id",
            "kia_book",
            "measurement_id",
            "measured_on",
            "length_cm",
            "position",
            "weight_kg",
            "oedema",
            "place",
            "measured_by",
        ],
        required: &["village_code", "sex", "birth_date", "name"],
    };

    fn id_of(record: &ChildRow) -> Option<String> {
        record.child_id.map(|id| id.to_string())
    }

    async fn write(
        &mut self,
        conn: &mut AsyncPgConnection,
        caller: &Caller,
        chunk: &[(u32, ChildRow)],
    ) -> Result<Vec<Verdict>, ApiError> {
        batch::write(self, conn, caller, chunk).await
    }
}
