//! FHIR R4 as SATUSEHAT (Kemenkes) takes it: our records as Patient, Location, Encounter and
//! Observation resources, gathered in a Bundle. Pure mapping, no I/O, like `growth`: the
//! records layer reads the rows, the API streams the Bundle.
//!
//! Every resource has a stable UUID (derived ones, such as a measurement's two Observations,
//! by UUID v5 from the record's id), every entry's `fullUrl` is `urn:uuid:<id>` and references
//! inside a Bundle point there, so a Bundle resent after a retry says the same thing. Each
//! resource also carries our identifier, which a `transaction` Bundle's `ifNoneExist` names:
//! a receiver that already has it keeps one.

pub mod antenatal;
mod codes;
pub mod growth;
mod local_noon;

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use diesel::QueryableByName;
use diesel::sql_types::{Date, Nullable, Text};
use serde::Serialize;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::domain::{RegionCode, Sex};

pub use local_noon::effective_instant;

/// The media type of every FHIR answer.
pub const MEDIA_TYPE: &str = "application/fhir+json";

text_enum! {
    /// What a Bundle is for.
    pub enum BundleType {
        /// A set of resources to read or archive.
        Collection = "collection",
        /// Ready to post to a FHIR server (SATUSEHAT's `/fhir-r4/v1`): each entry a conditional
        /// create on our identifier; a person known by IHS number is referred to, not created.
        Transaction = "transaction",
    }
}

/// The identifier systems our records are named in. With the sender's SATUSEHAT organization
/// id they are SATUSEHAT's own (`http://sys-ids.kemkes.go.id/<kind>/<organization>`);
/// without one, this service's URNs. Made once, at start-up: every resource names one.
#[derive(Debug, Clone)]
pub struct Systems {
    kinds: [(&'static str, String); 5],
    service_provider: Option<String>,
}

impl Default for Systems {
    fn default() -> Self {
        Self::new(None)
    }
}

impl Systems {
    pub fn new(organization: Option<String>) -> Self {
        let system = |kind: &'static str| match &organization {
            Some(org) => (kind, format!("http://sys-ids.kemkes.go.id/{kind}/{org}")),
            None => (kind, format!("urn:stunting-api:{kind}")),
        };
        let kinds = ["child", "person", "encounter", "observation", "location"].map(system);
        Self { kinds, service_provider: organization.map(|org| format!("Organization/{org}")) }
    }

    fn of(&self, kind: &str) -> &str {
        self.kinds.iter().find(|(k, _)| *k == kind).map_or("urn:stunting-api:record", |(_, system)| system)
    }
}

/// SATUSEHAT's system for a patient's IHS number.
pub const IHS_NUMBER_SYSTEM: &str = "https://fhir.kemkes.go.id/id/ihs-number";
/// SATUSEHAT's extension for a Kemendagri administrative code on an address.
pub const ADMINISTRATIVE_CODE: &str = "https://fhir.kemkes.go.id/r4/StructureDefinition/administrativeCode";

/// A person a Bundle is about: a child or a woman.
#[derive(Debug, Clone)]
pub struct Subject {
    pub id: Uuid,
    pub ihs_number: Option<String>,
    pub name: String,
    pub sex: Sex,
    pub birth_date: NaiveDate,
    pub village: RegionCode,
}

/// The person a row is about, with her village, as both kinds of row read them.
#[derive(Debug, QueryableByName)]
pub struct PersonColumns {
    #[diesel(sql_type = Text)]
    pub village_code: RegionCode,
    #[diesel(sql_type = Text)]
    pub village_name: String,
    #[diesel(sql_type = Text)]
    pub sex: Sex,
    #[diesel(sql_type = Date)]
    pub birth_date: NaiveDate,
    #[diesel(sql_type = Text)]
    pub name: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub ihs_number: Option<String>,
}

impl PersonColumns {
    /// Writes her village and her, when new to the Bundle; gives them back for her contacts.
    fn write(&self, id: Uuid, kind: &str, entries: &mut Entries) -> (Subject, Village) {
        let village = Village { code: self.village_code.clone(), name: self.village_name.clone() };
        let subject = Subject {
            id,
            ihs_number: self.ihs_number.clone(),
            name: self.name.clone(),
            sex: self.sex,
            birth_date: self.birth_date,
            village: self.village_code.clone(),
        };
        entries.village(&village);
        entries.subject(&subject, kind);
        (subject, village)
    }
}

/// Where something happened: a village, as a Location.
#[derive(Debug, Clone)]
pub struct Village {
    pub code: RegionCode,
    pub name: String,
}

/// Where a page of a Bundle starts: after this person (her village and id).
pub type Key = (String, Uuid);

/// A row a Bundle is built from: one contact (a weighing, a visit) with its person and village,
/// read in the order of village, person and contact.
pub trait Row {
    /// The row's person and her village: where the next page starts after her.
    fn subject_key(&self) -> Key;
    /// Writes the row's entries, the village and person first when new to the Bundle.
    fn entries(&self, entries: &mut Entries);
}

/// Writes the entries of one Bundle as JSON, each resource with its `fullUrl` and, in a
/// transaction, its `request`, straight from borrowed rows (a Bundle of a province is millions
/// of resources: no tree of values is built for them). Remembers the last person and village
/// it wrote so that rows in key order give each once (a person or village cut by a page
/// boundary comes again in the next Bundle).
#[derive(Debug)]
pub struct Entries {
    pub kind: BundleType,
    systems: Arc<Systems>,
    last_village: Option<RegionCode>,
    last_subject: Option<Uuid>,
    out: Vec<u8>,
    opened: bool,
}

impl Entries {
    pub fn new(kind: BundleType, systems: Systems) -> Self {
        Self {
            kind,
            systems: Arc::new(systems),
            last_village: None,
            last_subject: None,
            out: Vec::new(),
            opened: false,
        }
    }

    /// What was written since the last call: `,"entry":[` before the first entry, then the
    /// entries, each after a comma.
    pub fn take(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.out)
    }

    /// Whether any entry was written, so `"entry":[` is open (FHIR allows no empty array).
    pub fn opened(&self) -> bool {
        self.opened
    }

    /// The village's Location, unless it was the last one written.
    pub fn village(&mut self, village: &Village) {
        if self.last_village.as_ref() != Some(&village.code) {
            self.last_village = Some(village.code.clone());
            let resource = location(village, &self.systems);
            self.push("Location", location_id(&village.code), "location", village.code.as_str(), &resource);
        }
    }

    /// The person's Patient, unless it was the last one written or, in a transaction, she has
    /// an IHS number (SATUSEHAT keeps that Patient; we refer to it).
    pub fn subject(&mut self, subject: &Subject, kind: &str) {
        if self.last_subject == Some(subject.id) {
            return;
        }
        self.last_subject = Some(subject.id);
        if self.kind == BundleType::Transaction && subject.ihs_number.is_some() {
            return;
        }
        let resource = patient(subject, kind, &self.systems);
        self.push("Patient", subject.id, kind, &subject.id.to_string(), &resource);
    }

    /// How a resource refers to the person: her SATUSEHAT Patient in a transaction when she has
    /// an IHS number, otherwise the Patient in this Bundle.
    fn subject_reference(&self, subject: &Subject) -> Reference {
        match (&subject.ihs_number, self.kind) {
            (Some(ihs), BundleType::Transaction) => Reference { reference: format!("Patient/{ihs}"), display: None },
            _ => Reference { reference: urn(subject.id), display: None },
        }
    }

    /// Writes `resource` as an entry; `kind` and `value` are its identifier (for `ifNoneExist`).
    fn push(&mut self, resource_type: &str, id: Uuid, kind: &str, value: &str, resource: &impl Serialize) {
        use std::io::Write;
        let out = &mut self.out;
        out.extend_from_slice(if self.opened { b"," } else { br#","entry":["# });
        self.opened = true;
        // Writing into a Vec cannot fail, nor can serialising these resources (no maps with
        // non-string keys).
        let _ = write!(out, r#"{{"fullUrl":"urn:uuid:{id}","resource":"#);
        let _ = serde_json::to_writer(&mut *out, resource);
        if self.kind == BundleType::Transaction {
            let condition = format!("identifier={}|{value}", self.systems.of(kind));
            let _ = write!(out, r#","request":{{"method":"POST","url":"{resource_type}","ifNoneExist":"#);
            let _ = serde_json::to_writer(&mut *out, &condition);
            out.push(b'}');
        }
        out.push(b'}');
    }
}

/// A reference to a resource of this Bundle.
pub fn urn(id: Uuid) -> String {
    format!("urn:uuid:{id}")
}

/// The UUID of a resource derived from record `id` (`part` tells which): the same every time.
pub fn derived_id(id: Uuid, part: &str) -> Uuid {
    Uuid::new_v5(&id, part.as_bytes())
}

/// An instant as FHIR writes it, in UTC.
pub fn instant(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Our identifier of a record.
fn identifier(systems: &Systems, kind: &str, value: &str) -> Value {
    json!({ "use": "usual", "system": systems.of(kind), "value": value })
}

#[derive(Serialize)]
struct Identifier<'a> {
    #[serde(rename = "use")]
    usage: &'static str,
    system: &'a str,
    value: &'a str,
}

#[derive(Serialize)]
struct Reference {
    reference: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    display: Option<String>,
}

#[derive(Serialize)]
struct Coding<'a> {
    system: &'a str,
    code: &'a str,
    display: &'a str,
}

#[derive(Serialize)]
struct CodeableConcept<'a> {
    coding: &'a [Coding<'a>],
}

/// The `administrativeCode` extension of an address in a village: each tier's Kemendagri
/// code, without dots, as SATUSEHAT writes them (`33`, `3374`, `337401`, `3374011001`).
fn administrative_code(village: &RegionCode) -> Value {
    let tiers = ["province", "city", "district", "village"];
    let mut codes: Vec<RegionCode> = village.ancestors();
    codes.push(village.clone());
    let parts: Vec<Value> = tiers
        .iter()
        .zip(&codes)
        .map(|(tier, code)| json!({ "url": tier, "valueCode": code.as_str().replace('.', "") }))
        .collect();
    json!({ "url": ADMINISTRATIVE_CODE, "extension": parts })
}

fn location(village: &Village, systems: &Systems) -> Value {
    json!({
        "resourceType": "Location",
        "id": location_id(&village.code),
        "identifier": [identifier(systems, "location", village.code.as_str())],
        "status": "active",
        "name": village.name,
        "description": format!("Desa/kelurahan {} ({})", village.name, village.code),
        "mode": "instance",
        "physicalType": { "coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/location-physical-type",
            "code": "area",
            "display": "Area",
        }]},
        "address": { "use": "work", "country": "ID", "extension": [administrative_code(&village.code)] },
    })
}

fn patient(subject: &Subject, kind: &str, systems: &Systems) -> Value {
    let mut identifiers = Vec::new();
    if let Some(ihs) = &subject.ihs_number {
        identifiers.push(json!({ "use": "official", "system": IHS_NUMBER_SYSTEM, "value": ihs }));
    }
    identifiers.push(identifier(systems, kind, &subject.id.to_string()));
    json!({
        "resourceType": "Patient",
        "id": subject.id,
        "identifier": identifiers,
        "active": true,
        "name": [{ "use": "official", "text": subject.name }],
        "gender": subject.sex.as_str(),
        "birthDate": subject.birth_date,
        "address": [{ "use": "home", "country": "ID", "extension": [administrative_code(&subject.village)] }],
    })
}

/// A contact in the village: a weighing, an antenatal visit.
struct Contact<'a> {
    /// The Encounter's id: the record's own.
    id: Uuid,
    /// HL7 v3 ActCode class: `AMB` at a post or clinic, `HH` at home, `FLD` in the field.
    class: (&'static str, &'static str),
    day: NaiveDate,
    village: &'a Village,
    /// When the record was written, in UTC (the Observation's `issued`).
    recorded_at: DateTime<Utc>,
    voided: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct EncounterResource<'a> {
    resource_type: &'static str,
    id: Uuid,
    identifier: [Identifier<'a>; 1],
    status: &'static str,
    class: Coding<'a>,
    subject: Reference,
    period: Period<'a>,
    location: [EncounterLocation; 1],
    #[serde(skip_serializing_if = "Option::is_none")]
    service_provider: Option<Reference>,
}

#[derive(Serialize)]
struct Period<'a> {
    start: &'a str,
    end: &'a str,
}

#[derive(Serialize)]
struct EncounterLocation {
    location: Reference,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ObservationResource<'a> {
    resource_type: &'static str,
    id: Uuid,
    identifier: [Identifier<'a>; 1],
    status: &'static str,
    category: [CodeableConcept<'a>; 1],
    code: CodeableConcept<'a>,
    subject: Reference,
    encounter: Reference,
    effective_date_time: &'a str,
    issued: &'a str,
    value_quantity: Quantity<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    interpretation: Option<[&'a Value; 1]>,
}

#[derive(Serialize)]
struct Quantity<'a> {
    value: f64,
    unit: &'a str,
    system: &'static str,
    code: &'a str,
}

impl Contact<'_> {
    fn status(&self, done: &'static str) -> &'static str {
        if self.voided { "entered-in-error" } else { done }
    }

    /// Writes the contact's Encounter and its readings' Observations.
    fn write(&self, entries: &mut Entries, subject: &Subject, readings: &[Reading]) {
        let at = effective_instant(self.day, &self.village.code);
        let id = self.id.to_string();
        let systems = Arc::clone(&entries.systems);
        let encounter = EncounterResource {
            resource_type: "Encounter",
            id: self.id,
            identifier: [Identifier { usage: "usual", system: systems.of("encounter"), value: &id }],
            status: self.status("finished"),
            class: Coding {
                system: "http://terminology.hl7.org/CodeSystem/v3-ActCode",
                code: self.class.0,
                display: self.class.1,
            },
            subject: entries.subject_reference(subject),
            period: Period { start: &at, end: &at },
            location: [EncounterLocation {
                location: Reference {
                    reference: urn(location_id(&self.village.code)),
                    display: Some(self.village.name.clone()),
                },
            }],
            service_provider: systems.service_provider.clone().map(|reference| Reference { reference, display: None }),
        };
        entries.push("Encounter", self.id, "encounter", &id, &encounter);
        let issued = instant(self.recorded_at);
        for reading in readings {
            let value = format!("{id}/{}", reading.part);
            let category = reading.category.coding();
            let codes: Vec<Coding> = reading
                .codes
                .iter()
                .map(|(code, display)| Coding { system: "http://loinc.org", code, display })
                .collect();
            let observation = ObservationResource {
                resource_type: "Observation",
                id: derived_id(self.id, reading.part),
                identifier: [Identifier { usage: "usual", system: systems.of("observation"), value: &value }],
                status: self.status("final"),
                category: [CodeableConcept { coding: std::slice::from_ref(&category) }],
                code: CodeableConcept { coding: &codes },
                subject: entries.subject_reference(subject),
                encounter: Reference { reference: urn(self.id), display: None },
                effective_date_time: &at,
                issued: &issued,
                value_quantity: Quantity {
                    value: reading.value,
                    unit: reading.unit,
                    system: "http://unitsofmeasure.org",
                    code: reading.unit,
                },
                interpretation: reading.interpretation.as_ref().map(|i| [i]),
            };
            entries.push("Observation", observation.id, "observation", &value, &observation);
        }
    }
}

/// A quantity observed at a contact.
struct Reading {
    /// Which of the contact's readings (the derived id's part): `weight`, `height`, `muac`, `hb`.
    part: &'static str,
    category: codes::Category,
    /// LOINC codings, most general first.
    codes: &'static [(&'static str, &'static str)],
    value: f64,
    /// UCUM unit.
    unit: &'static str,
    interpretation: Option<Value>,
}

/// A village's Location id.
fn location_id(village: &RegionCode) -> Uuid {
    derived_id(Uuid::nil(), &format!("village {village}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_names_each_tier_by_its_kemendagri_code_without_dots() {
        let code = administrative_code(&RegionCode::parse("33.74.01.1001").unwrap());
        let tiers: Vec<(&str, &str)> = code["extension"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| (t["url"].as_str().unwrap(), t["valueCode"].as_str().unwrap()))
            .collect();
        assert_eq!(tiers, [("province", "33"), ("city", "3374"), ("district", "337401"), ("village", "3374011001")]);
    }

    #[test]
    fn a_derived_id_is_the_same_every_time_and_differs_by_part() {
        let record = Uuid::new_v4();
        assert_eq!(derived_id(record, "weight"), derived_id(record, "weight"));
        assert_ne!(derived_id(record, "weight"), derived_id(record, "height"));
        assert_ne!(derived_id(record, "weight"), record);
    }

    #[test]
    fn identifiers_are_satusehat_s_with_an_organization_and_ours_without() {
        assert_eq!(
            Systems::new(Some("10000004".into())).of("observation"),
            "http://sys-ids.kemkes.go.id/observation/10000004"
        );
        assert_eq!(Systems::default().of("observation"), "urn:stunting-api:observation");
        assert!(Systems::default().service_provider.is_none());
    }
}
