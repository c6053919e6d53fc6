//! A child's growth as SATUSEHAT takes it: per weighing an Encounter in her village and an
//! Observation each for body weight (LOINC `29463-7`, interpreted as weight-for-age) and body
//! length or height (`8302-2` with lying `8306-3` or standing `8308-9`, interpreted as
//! length/height-for-age). A voided measurement is sent `entered-in-error`, so a receiver that
//! has it learns of the void; an implausible z-score is sent without an interpretation.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::QueryableByName;
use diesel::sql_types::{Bool, Date, Double, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use serde_json::Value;
use uuid::Uuid;

use super::codes::{self, Category};
use super::{Contact, Entries, Key, PersonColumns, Reading, Row};
use crate::domain::{Place, Position, ZScore};
use crate::growth::Indicator;

/// One measurement of a living child, with the child and her village.
#[derive(Debug, QueryableByName)]
pub struct GrowthRow {
    #[diesel(sql_type = SqlUuid)]
    pub child_id: Uuid,
    #[diesel(embed)]
    pub person: PersonColumns,
    #[diesel(sql_type = SqlUuid)]
    pub measurement_id: Uuid,
    #[diesel(sql_type = Date)]
    pub measured_on: NaiveDate,
    #[diesel(sql_type = Double)]
    pub length_cm: f64,
    #[diesel(sql_type = Text)]
    pub position: Position,
    #[diesel(sql_type = Nullable<Double>)]
    pub weight_kg: Option<f64>,
    #[diesel(sql_type = Text)]
    pub place: Place,
    #[diesel(sql_type = Nullable<Double>)]
    pub haz: Option<f64>,
    #[diesel(sql_type = Nullable<Double>)]
    pub waz: Option<f64>,
    #[diesel(sql_type = Bool)]
    pub voided: bool,
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
}

impl Row for GrowthRow {
    fn subject_key(&self) -> Key {
        (self.person.village_code.to_string(), self.child_id)
    }

    fn entries(&self, entries: &mut Entries) {
        let (child, village) = self.person.write(self.child_id, "child", entries);
        let contact = Contact {
            id: self.measurement_id,
            class: class_of(self.place),
            day: self.measured_on,
            village: &village,
            recorded_at: self.created_at,
            voided: self.voided,
        };
        let weight = self.weight_kg.map(|weight| Reading {
            part: "weight",
            category: Category::VitalSigns,
            codes: &[codes::BODY_WEIGHT],
            value: weight,
            unit: "kg",
            interpretation: interpretation(Indicator::WeightForAge, self.waz),
        });
        let height = Reading {
            part: "height",
            category: Category::VitalSigns,
            codes: match self.position {
                Position::Lying => &[codes::BODY_HEIGHT, codes::BODY_HEIGHT_LYING],
                Position::Standing => &[codes::BODY_HEIGHT, codes::BODY_HEIGHT_STANDING],
            },
            value: self.length_cm,
            unit: "cm",
            interpretation: interpretation(Indicator::LengthForAge, self.haz),
        };
        let readings: Vec<Reading> = weight.into_iter().chain([height]).collect();
        contact.write(entries, &child, &readings);
    }
}

/// The category of a plausible z-score (the stored score is `null` when implausible or not
/// computable).
fn interpretation(indicator: Indicator, z: Option<f64>) -> Option<Value> {
    let z = ZScore::new(z?)?;
    (!indicator.is_implausible(z)).then(|| codes::growth_interpretation(indicator, indicator.category(z)))
}

/// HL7's encounter class of where the child was measured.
fn class_of(place: Place) -> (&'static str, &'static str) {
    match place {
        Place::Posyandu => ("FLD", "field"),
        Place::HomeVisit => ("HH", "home health"),
        Place::Puskesmas | Place::Import => ("AMB", "ambulatory"),
    }
}
