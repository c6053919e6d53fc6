//! The shape of a FHIR Bundle as this service writes it, for the contract: the envelope and
//! each resource's type and id. The resources themselves are FHIR R4's (docs/API.md maps them);
//! the tests validate every Bundle against FHIR R4 with `fhir.resources`.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::fhir::BundleType;

/// A FHIR R4 Bundle.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(example = json!({
    "resourceType": "Bundle", "id": "5f0d5f4e-9b7e-4a51-8d53-0f4f3b4f8c11", "type": "collection",
    "timestamp": "2025-03-01T02:00:00Z",
    "entry": [{
        "fullUrl": "urn:uuid:0192b7a4-1111-7000-8000-000000000001",
        "resource": {
            "resourceType": "Observation", "id": "0192b7a4-1111-7000-8000-000000000001", "status": "final",
            "code": {"coding": [{"system": "http://loinc.org", "code": "29463-7", "display": "Body weight"}]},
            "subject": {"reference": "urn:uuid:7b0c2f0e-3c1a-4c55-9f0e-2d7f1a9b8c01"},
            "effectiveDateTime": "2025-02-14T05:00:00Z",
            "valueQuantity": {"value": 8.9, "unit": "kg", "system": "http://unitsofmeasure.org", "code": "kg"}
        }
    }],
    "link": [{"relation": "next", "url": "/api/v1/fhir/growth?region=14.01&limit=100&cursor=WyIxNC4wMSJd"}]
}))]
pub struct Bundle {
    /// Always `Bundle`.
    #[schema(pattern = "^Bundle$")]
    pub resource_type: String,
    pub id: Uuid,
    #[serde(rename = "type")]
    pub kind: BundleType,
    /// When the Bundle was assembled, in UTC.
    pub timestamp: DateTime<Utc>,
    /// Absent from a Bundle with nothing in it (FHIR allows no empty array).
    #[schema(min_items = 1)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entry: Option<Vec<BundleEntry>>,
    /// `next`: the Bundle that follows, when `limit` cut this one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link: Option<Vec<BundleLink>>,
}

/// One resource of a Bundle.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BundleEntry {
    /// `urn:uuid:` and the resource's id: what references inside the Bundle point to.
    #[schema(pattern = "^urn:uuid:[0-9a-f-]{36}$")]
    pub full_url: String,
    pub resource: FhirResource,
    /// In a `transaction` Bundle: a create on condition that no resource has our identifier.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request: Option<BundleRequest>,
}

/// A FHIR R4 resource; the fields beyond its type and id are FHIR's.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FhirResource {
    /// `Patient`, `Location`, `Encounter` or `Observation`.
    #[schema(pattern = "^(Patient|Location|Encounter|Observation)$")]
    pub resource_type: String,
    pub id: Uuid,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BundleRequest {
    /// Always `POST`.
    pub method: String,
    /// The resource type.
    pub url: String,
    /// `identifier=<system>|<value>`: the receiver keeps one resource per identifier.
    pub if_none_exist: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BundleLink {
    /// `next`.
    pub relation: String,
    pub url: String,
}
