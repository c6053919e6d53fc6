//! A pregnancy's antenatal care (ANC) as SATUSEHAT takes it: per visit an Encounter in the
//! mother's village and an Observation each for what was measured: body weight (`29463-7`),
//! mid-upper-arm circumference (LiLA, `56072-2`, interpreted low when the visit found KEK) and
//! haemoglobin (`718-7`, interpreted low when it found anaemia). A voided visit is sent
//! `entered-in-error`.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::QueryableByName;
use diesel::sql_types::{Bool, Date, Double, Nullable, Timestamptz, Uuid as SqlUuid};
use uuid::Uuid;

use super::codes::{self, Category};
use super::{Contact, Entries, Key, PersonColumns, Reading, Row};

/// One antenatal visit of a living pregnancy, with the mother and her village.
#[derive(Debug, QueryableByName)]
pub struct AntenatalRow {
    #[diesel(sql_type = SqlUuid)]
    pub person_id: Uuid,
    #[diesel(embed)]
    pub person: PersonColumns,
    #[diesel(sql_type = SqlUuid)]
    pub visit_id: Uuid,
    #[diesel(sql_type = Date)]
    pub visited_on: NaiveDate,
    #[diesel(sql_type = Nullable<Double>)]
    pub weight_kg: Option<f64>,
    #[diesel(sql_type = Nullable<Double>)]
    pub muac_cm: Option<f64>,
    #[diesel(sql_type = Nullable<Double>)]
    pub hb_g_dl: Option<f64>,
    #[diesel(sql_type = Nullable<Bool>)]
    pub kek: Option<bool>,
    #[diesel(sql_type = Nullable<Bool>)]
    pub anaemia: Option<bool>,
    #[diesel(sql_type = Bool)]
    pub voided: bool,
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
}

impl Row for AntenatalRow {
    fn subject_key(&self) -> Key {
        (self.person.village_code.to_string(), self.person_id)
    }

    fn entries(&self, entries: &mut Entries) {
        let (mother, village) = self.person.write(self.person_id, "person", entries);
        let contact = Contact {
            id: self.visit_id,
            class: ("AMB", "ambulatory"),
            day: self.visited_on,
            village: &village,
            recorded_at: self.created_at,
            voided: self.voided,
        };
        let readings = [
            self.weight_kg.map(|value| Reading {
                part: "weight",
                category: Category::VitalSigns,
                codes: &[codes::BODY_WEIGHT],
                value,
                unit: "kg",
                interpretation: None,
            }),
            self.muac_cm.map(|value| Reading {
                part: "muac",
                category: Category::VitalSigns,
                codes: &[codes::MUAC],
                value,
                unit: "cm",
                interpretation: self.kek.map(|kek| codes::flag_interpretation(kek, "KEK (kurang energi kronis)")),
            }),
            self.hb_g_dl.map(|value| Reading {
                part: "hb",
                category: Category::Laboratory,
                codes: &[codes::HAEMOGLOBIN],
                value,
                unit: "g/dL",
                interpretation: self.anaemia.map(|anaemia| codes::flag_interpretation(anaemia, "anemia")),
            }),
        ];
        let readings: Vec<Reading> = readings.into_iter().flatten().collect();
        contact.write(entries, &mother, &readings);
    }
}
