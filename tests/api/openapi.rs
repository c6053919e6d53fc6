//! The checked-in contract must be what the code generates. To update it after a change:
//! `cargo run -- openapi --output openapi/openapi.json`.

use serde_json::{Value, json};

#[test]
fn checked_in_document_matches_the_code() {
    let generated = stunting_api::api::openapi::document_json().unwrap();
    let checked_in = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/openapi.json"))
        .expect("openapi/openapi.json exists");
    assert!(
        generated == checked_in,
        "openapi/openapi.json is out of date: run `cargo run -- openapi --output openapi/openapi.json`"
    );
}

#[test]
fn every_protected_operation_documents_its_errors() {
    let doc: Value = serde_json::to_value(stunting_api::api::openapi::document()).unwrap();
    let mut checked = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let responses = operation["responses"].as_object().unwrap();
            assert!(operation["summary"].is_string() || operation["description"].is_string(), "{method} {path}");
            if operation.get("security").is_some() {
                assert!(responses.contains_key("401"), "{method} {path} lacks its 401");
                checked += 1;
            }
            for (status, response) in responses {
                let response = match response["$ref"].as_str() {
                    Some(pointer) => doc.pointer(pointer.trim_start_matches('#')).expect("a shared response"),
                    None => response,
                };
                if status.starts_with('4') || status.starts_with('5') {
                    assert!(
                        response["content"]["application/problem+json"].is_object(),
                        "{method} {path} {status} is not documented as problem+json"
                    );
                }
            }
        }
    }
    assert!(checked >= 10, "only {checked} protected operations found");
}

/// Generated clients name a function after each operationId: a repeated one silently drops an
/// operation from the client (a second `create` in one tag overwrites the first).
#[test]
fn every_operation_has_its_own_operation_id() {
    let doc: Value = serde_json::to_value(stunting_api::api::openapi::document()).unwrap();
    let mut seen = std::collections::BTreeMap::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let id = operation["operationId"].as_str().unwrap_or_else(|| panic!("{method} {path} has no operationId"));
            if let Some(other) = seen.insert(id.to_owned(), format!("{method} {path}")) {
                panic!("operationId {id} names both {other} and {method} {path}");
            }
        }
    }
}

#[test]
fn bearer_scheme_is_declared() {
    let doc: Value = serde_json::to_value(stunting_api::api::openapi::document()).unwrap();
    assert_eq!(doc["components"]["securitySchemes"]["bearer"]["scheme"], "bearer");
}

/// The names a `text_enum!` sends and accepts, as its schema in the document lists them.
fn document_enum(doc: &Value, name: &str) -> Vec<String> {
    let values = doc["components"]["schemas"][name]["enum"].as_array();
    let values = values.unwrap_or_else(|| panic!("{name} is not an enum in the document"));
    values.iter().map(|v| v.as_str().expect("enum values are strings").to_owned()).collect()
}

fn wire_names<T: serde::Serialize>(all: &[T]) -> Vec<String> {
    all.iter().map(|v| serde_json::to_value(v).unwrap().as_str().expect("serialises as a string").to_owned()).collect()
}

#[test]
fn every_enum_lists_the_names_serde_sends() {
    use stunting_api::dhis2::{DataSet, ImportStrategy};
    use stunting_api::domain::worklist::{Reason, Subject, Urgency};
    use stunting_api::domain::*;
    use stunting_api::fhir::BundleType;
    use stunting_api::growth::GrowthCategory;
    use stunting_api::http::health::ReplicaState;
    use stunting_api::records::import::Mode;
    use stunting_api::records::import::jobs::JobStatus;
    use stunting_api::records::pregnancy::import::PregnancyEvent;
    use stunting_api::records::stats::pathway::PathwayIndicator;
    use stunting_api::records::stats::skdn::AreaLevel;
    use utoipa::ToSchema;

    let doc: Value = serde_json::from_str(include_str!("../../openapi/openapi.json")).unwrap();
    macro_rules! check {
        ($($ty:ty),+ $(,)?) => {{
            let mut checked = std::collections::BTreeSet::new();
            $(
                let name = <$ty as ToSchema>::name().into_owned();
                assert_eq!(document_enum(&doc, &name), wire_names(<$ty>::ALL), "{name}: document vs serde");
                for text in wire_names(<$ty>::ALL) {
                    let parsed: $ty = serde_json::from_value(Value::String(text.clone())).unwrap();
                    assert_eq!(parsed.as_str(), text, "{name}: serde, as_str and the database disagree");
                }
                checked.insert(name);
            )+
            checked
        }};
    }
    let checked = check!(
        ActionStatus,
        AgencySector,
        AreaLevel,
        BudgetStatus,
        BundleType,
        CaseSeverity,
        CaseStatus,
        CloseReason,
        CountSource,
        CountUnit,
        DataSet,
        DocumentKind,
        FundingSource,
        GrowthCategory,
        ImportStrategy,
        InterventionCategory,
        JobStatus,
        Mode,
        PeriodKind,
        Place,
        Position,
        RegionLevel,
        ReplicaState,
        RiskFactor,
        CatinRisk,
        Contraception,
        Examiner,
        PathwayIndicator,
        PathwayStage,
        PregnancyEvent,
        PregnancyOutcome,
        QualityFlag,
        Reason,
        Role,
        Sex,
        Subject,
        SurveySource,
        TargetGroup,
        TeamKind,
        Urgency,
        Verification,
    );
    // A named enum this test does not know would go unchecked: list it above.
    for (name, schema) in doc["components"]["schemas"].as_object().unwrap() {
        if schema.get("enum").is_some() {
            assert!(checked.contains(name), "{name} is an enum this test does not check");
        }
    }
}

/// Every example in the document, wherever it stands, validates against the schema it
/// illustrates: a client developer copies examples first.
#[test]
fn every_example_validates_against_its_own_schema() {
    use crate::common::contract;

    fn walk(node: &Value, at: &str, checked: &mut usize) {
        match node {
            Value::Object(map) => {
                let schema_keys = ["type", "$ref", "oneOf", "allOf", "anyOf", "properties", "enum", "items"];
                let examples = map.get("example").into_iter().chain(
                    map.get("examples")
                        .and_then(Value::as_object)
                        .into_iter()
                        .flat_map(|named| named.values().filter_map(|e| e.get("value"))),
                );
                for example in examples {
                    // A parameter or media type carries its schema beside the example; a
                    // schema is its own.
                    let schema = match map.get("schema") {
                        Some(schema) => schema.clone(),
                        None if schema_keys.iter().any(|k| map.contains_key(*k)) => {
                            let mut own = map.clone();
                            own.remove("example");
                            Value::Object(own)
                        }
                        None => continue,
                    };
                    contract::validate(&format!("the example at {at}"), &schema, example);
                    *checked += 1;
                }
                for (key, child) in map {
                    walk(child, &format!("{at}/{key}"), checked);
                }
            }
            Value::Array(items) => {
                for (i, child) in items.iter().enumerate() {
                    walk(child, &format!("{at}/{i}"), checked);
                }
            }
            _ => {}
        }
    }

    let mut checked = 0;
    walk(contract::document(), "#", &mut checked);
    assert!(checked >= 100, "only {checked} examples found");
}

/// Every JSON body the service takes refuses unknown fields (serde's `deny_unknown_fields`), and
/// the document must say so, or a client would think a misspelt field is merely ignored.
#[test]
fn every_json_request_body_is_a_closed_object() {
    let doc: Value = serde_json::to_value(stunting_api::api::openapi::document()).unwrap();
    let schemas = &doc["components"]["schemas"];
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let Some(schema) = operation["requestBody"]["content"]["application/json"].get("schema") else { continue };
            // An import takes an array of records: each record is the closed object.
            let schema = if schema["type"] == "array" { &schema["items"] } else { schema };
            let name = schema["$ref"].as_str().expect("request bodies are named schemas").rsplit('/').next().unwrap();
            let schema = &schemas[name];
            let objects: Vec<&Value> = match schema["oneOf"].as_array() {
                Some(variants) => variants.iter().collect(),
                None => vec![schema],
            };
            for object in objects {
                assert_eq!(object["additionalProperties"], false, "{method} {path}: {name} is open");
            }
        }
    }
}

/// What shared code refuses is stated where a generated request would meet it, so a request
/// valid by the document is not refused for a rule the document hides (issue 14, item 7):
/// malformed bodies, bodies too slow or too large or of another type, and invalid fields on every
/// operation with a body; a stale or malformed `If-Match` on every conditional write; 429 on
/// every limited operation; a pattern on every region code and every id in a path.
#[test]
fn every_enforced_rule_is_in_the_document() {
    let doc: Value = serde_json::to_value(stunting_api::api::openapi::document()).unwrap();
    let mut missing = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let responses = operation["responses"].as_object().unwrap();
            let mut untyped = Vec::new();
            let mut expect = |status: &str, why: &str| {
                if !responses.contains_key(status) {
                    missing.push(format!("{method} {path}: {status} ({why})"));
                }
            };
            if operation.get("requestBody").is_some() {
                for status in ["400", "408", "413", "415", "422"] {
                    expect(status, "it takes a body");
                }
            }
            if !path.starts_with("/health") && path != "/metrics" {
                expect("429", "rate-limited");
            }
            for parameter in operation["parameters"].as_array().into_iter().flatten() {
                let name = parameter["name"].as_str().unwrap_or_default();
                if name == "If-Match" {
                    expect("400", "a malformed If-Match");
                    expect("412", "a stale If-Match");
                }
                if parameter["in"] == "path" {
                    let schema = &parameter["schema"];
                    let bounded = schema["minimum"].is_number() && schema["maximum"].is_number();
                    let typed = schema["format"] == "uuid"
                        || schema["pattern"].is_string()
                        || schema.get("$ref").is_some()
                        || bounded;
                    let free_text = name == "source" || (name == "code" && path.contains("intervention-types"));
                    if !typed && !free_text {
                        untyped.push(format!("{method} {path}: path parameter `{name}` has no format or pattern"));
                    }
                    expect("422", "a malformed path parameter");
                }
            }
            missing.extend(untyped);
        }
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}

/// Every length and weight a request may carry is bounded in the document by the bounds the
/// code checks (`growth::MIN_LENGTH_CM` …), and the table's CHECK constraint holds the same.
#[test]
fn measurement_bounds_are_the_growth_bounds() {
    use stunting_api::growth::{MAX_LENGTH_CM, MAX_WEIGHT_KG, MIN_LENGTH_CM, MIN_WEIGHT_KG};
    let doc: Value = serde_json::to_value(stunting_api::api::openapi::document()).unwrap();
    let bounds = [("length_cm", MIN_LENGTH_CM, MAX_LENGTH_CM), ("weight_kg", MIN_WEIGHT_KG, MAX_WEIGHT_KG)];
    let mut seen = 0;
    let mut wrong = Vec::new();
    for (name, schema) in doc["components"]["schemas"].as_object().unwrap() {
        for (field, min, max) in bounds {
            // A child's measurement: the shapes with a length (a catin's weight has its own bounds).
            if schema["properties"].get("length_cm").is_none() {
                continue;
            }
            let Some(property) = schema["properties"].get(field) else { continue };
            // Answers report what was stored; only what a caller sends is bounded.
            if property.get("minimum").is_none() && property.get("maximum").is_none() {
                continue;
            }
            seen += 1;
            if property["minimum"].as_f64() != Some(min) || property["maximum"].as_f64() != Some(max) {
                wrong.push(format!("{name}.{field}: {property}"));
            }
        }
    }
    assert!(seen >= 6, "expected the three request shapes' lengths and weights, found {seen}");
    assert!(wrong.is_empty(), "bounds that differ from growth's: {wrong:#?}");
    let children =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/2026-11-22-000002_children/up.sql"))
            .unwrap();
    for check in [
        format!("CHECK (length_cm BETWEEN {MIN_LENGTH_CM} AND {MAX_LENGTH_CM})"),
        format!("CHECK (weight_kg BETWEEN {MIN_WEIGHT_KG} AND {MAX_WEIGHT_KG})"),
    ] {
        assert!(children.contains(&check), "the measurements table does not say {check}");
    }
}

/// A baby's birth weight and length are bounded alike wherever a caller sends them (a baby of
/// `POST /pregnancies/{id}/outcome`, a row of a KIA register), by `domain::pregnancy`'s bounds.
#[test]
fn birth_bounds_are_the_domain_bounds() {
    use stunting_api::domain::pregnancy::{
        MAX_BIRTH_LENGTH_CM, MAX_BIRTH_WEIGHT_G, MIN_BIRTH_LENGTH_CM, MIN_BIRTH_WEIGHT_G,
    };
    let doc: Value = serde_json::to_value(stunting_api::api::openapi::document()).unwrap();
    let bounds = [
        ("birth_weight_g", f64::from(MIN_BIRTH_WEIGHT_G), f64::from(MAX_BIRTH_WEIGHT_G)),
        ("birth_length_cm", MIN_BIRTH_LENGTH_CM, MAX_BIRTH_LENGTH_CM),
    ];
    let mut seen = 0;
    for (name, schema) in doc["components"]["schemas"].as_object().unwrap() {
        for (field, min, max) in bounds {
            let Some(property) = schema["properties"].get(field) else { continue };
            if property.get("minimum").is_none() && property.get("maximum").is_none() {
                continue;
            }
            seen += 1;
            assert_eq!((property["minimum"].as_f64(), property["maximum"].as_f64()), (Some(min), Some(max)), "{name}");
        }
    }
    assert_eq!(seen, 4, "a baby born and a pregnancy row, each with a weight and a length");
}

/// DHIS2's repeated parameters: the document's patterns accept exactly the periods and org
/// units the service reads.
#[test]
fn dhis2_periods_and_org_units_are_documented_as_read() {
    use stunting_api::dhis2::Period;
    use stunting_api::domain::RegionCode;
    let doc: Value = serde_json::to_value(stunting_api::api::openapi::document()).unwrap();
    let parameters = doc["paths"]["/api/v1/dhis2/dataValueSets"]["get"]["parameters"].as_array().unwrap();
    let items = |name: &str| {
        let parameter = parameters.iter().find(|p| p["name"] == name).unwrap();
        jsonschema::validator_for(&parameter["schema"]["items"]).unwrap()
    };
    let period = items("period");
    for year in ["1999", "2000", "2025", "2100", "2101", "20x5"] {
        for rest in ["", "00", "01", "09", "10", "12", "13", "Q0", "Q1", "Q4", "Q5", "S0", "S1", "S2", "S3", "W1", "1"]
        {
            let code = format!("{year}{rest}");
            assert_eq!(period.is_valid(&json!(code)), Period::parse(&code).is_ok(), "{code}");
        }
    }
    let unit = items("orgUnit");
    for code in
        ["national", "14", "14.01", "14.01.01", "14.01.01.2009", "nation", "14.1", "DiszpKrYNg8", "", "national14"]
    {
        let read = code == "national" || RegionCode::parse(code).is_ok();
        assert_eq!(unit.is_valid(&json!(code)), read, "{code}");
    }
}
