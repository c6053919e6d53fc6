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
mod place;

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::domain::{RegionCode, Sex};

pub use place::effective_instant;

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
/// without one, this service's URNs.
#[derive(Debug, Clone, Default)]
pub struct Systems {
    organization: Option<String>,
}

impl Systems {
    pub fn new(organization: Option<String>) -> Self {
        Self { organization }
    }

    fn of(&self, kind: &str) -> String {
        match &self.organization {
            Some(org) => format!("http://sys-ids.kemkes.go.id/{kind}/{org}"),
            None => format!("urn:stunting-api:{kind}"),
        }
    }

    /// The organization that provided an encounter, when configured.
    fn service_provider(&self) -> Option<Value> {
        self.organization.as_ref().map(|org| json!({ "reference": format!("Organization/{org}") }))
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

/// Where something happened: a village, as a Location.
#[derive(Debug, Clone)]
pub struct Village {
    pub code: RegionCode,
    pub name: String,
}

/// A row a Bundle is built from: one contact (a weighing, a visit) with its person and village,
/// read in the order of village, person and contact.
pub trait Row {
    /// The row's person and her village: where the next page starts after her.
    fn subject_key(&self) -> (String, Uuid);
    /// The row's entries, the village and person first when new to the Bundle.
    fn entries(&self, entries: &mut Entries, out: &mut Vec<Value>);
}

/// Builds the entries of one Bundle: the resources, with `fullUrl` and, in a transaction,
/// `request`. Remembers the last person and village it wrote so that rows in key order give
/// each once (a person or village cut by a page boundary comes again in the next Bundle).
#[derive(Debug)]
pub struct Entries {
    pub kind: BundleType,
    pub systems: Systems,
    last_village: Option<RegionCode>,
    last_subject: Option<Uuid>,
}

impl Entries {
    pub fn new(kind: BundleType, systems: Systems) -> Self {
        Self { kind, systems, last_village: None, last_subject: None }
    }

    /// The village's Location, unless it was the last one written.
    pub fn village(&mut self, village: &Village, out: &mut Vec<Value>) {
        if self.last_village.as_ref() != Some(&village.code) {
            self.last_village = Some(village.code.clone());
            out.push(self.entry(location(village, &self.systems), "Location", "location", &village.code.to_string()));
        }
    }

    /// The person's Patient, unless it was the last one written or, in a transaction, she has
    /// an IHS number (SATUSEHAT keeps that Patient; we refer to it).
    pub fn subject(&mut self, subject: &Subject, kind: &str, out: &mut Vec<Value>) {
        if self.last_subject == Some(subject.id) {
            return;
        }
        self.last_subject = Some(subject.id);
        if self.kind == BundleType::Transaction && subject.ihs_number.is_some() {
            return;
        }
        out.push(self.entry(patient(subject, kind, &self.systems), "Patient", kind, &subject.id.to_string()));
    }

    /// How a resource refers to the person: her SATUSEHAT Patient in a transaction when she has
    /// an IHS number, otherwise the Patient in this Bundle.
    pub fn subject_reference(&self, subject: &Subject) -> Value {
        match (&subject.ihs_number, self.kind) {
            (Some(ihs), BundleType::Transaction) => json!({ "reference": format!("Patient/{ihs}") }),
            _ => json!({ "reference": urn(subject.id) }),
        }
    }

    /// `resource` as an entry; `kind` and `value` are its identifier (for `ifNoneExist`).
    pub fn entry(&self, resource: Value, resource_type: &str, kind: &str, value: &str) -> Value {
        let id = resource["id"].as_str().map(str::to_owned).unwrap_or_default();
        let mut entry = json!({ "fullUrl": format!("urn:uuid:{id}"), "resource": resource });
        if self.kind == BundleType::Transaction {
            entry["request"] = json!({
                "method": "POST",
                "url": resource_type,
                "ifNoneExist": format!("identifier={}|{value}", self.systems.of(kind)),
            });
        }
        entry
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

impl Contact<'_> {
    fn status(&self, done: &'static str) -> &'static str {
        if self.voided { "entered-in-error" } else { done }
    }

    fn encounter(&self, entries: &Entries, subject: &Subject) -> Value {
        let at = effective_instant(self.day, &self.village.code);
        let mut resource = json!({
            "resourceType": "Encounter",
            "id": self.id,
            "identifier": [identifier(&entries.systems, "encounter", &self.id.to_string())],
            "status": self.status("finished"),
            "class": {
                "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
                "code": self.class.0,
                "display": self.class.1,
            },
            "subject": entries.subject_reference(subject),
            "period": { "start": at, "end": at },
            "location": [{ "location": {
                "reference": urn(location_id(&self.village.code)),
                "display": self.village.name,
            }}],
        });
        if let Some(provider) = entries.systems.service_provider() {
            resource["serviceProvider"] = provider;
        }
        entries.entry(resource, "Encounter", "encounter", &self.id.to_string())
    }

    /// One reading taken at the contact, as an Observation entry.
    fn observation(&self, entries: &Entries, subject: &Subject, reading: Reading) -> Value {
        let id = derived_id(self.id, reading.part);
        let value = format!("{}/{}", self.id, reading.part);
        let mut resource = json!({
            "resourceType": "Observation",
            "id": id,
            "identifier": [identifier(&entries.systems, "observation", &value)],
            "status": self.status("final"),
            "category": [{ "coding": [reading.category.coding()] }],
            "code": { "coding": reading.codes.iter().map(|(code, display)| json!({
                "system": "http://loinc.org", "code": code, "display": display,
            })).collect::<Vec<_>>() },
            "subject": entries.subject_reference(subject),
            "encounter": { "reference": urn(self.id) },
            "effectiveDateTime": effective_instant(self.day, &self.village.code),
            "issued": instant(self.recorded_at),
            "valueQuantity": {
                "value": reading.value,
                "unit": reading.unit,
                "system": "http://unitsofmeasure.org",
                "code": reading.unit,
            },
        });
        if let Some(interpretation) = reading.interpretation {
            resource["interpretation"] = json!([interpretation]);
        }
        entries.entry(resource, "Observation", "observation", &value)
    }
}

/// A quantity observed at a contact.
struct Reading {
    /// Which of the contact's readings (the derived id's part): `weight`, `height`, `muac`, `hb`.
    part: &'static str,
    category: codes::Category,
    /// LOINC codings, most general first.
    codes: Vec<(&'static str, &'static str)>,
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
        assert!(Systems::default().service_provider().is_none());
    }
}
