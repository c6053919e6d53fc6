//! FHIR R4 for SATUSEHAT (`GET /api/v1/fhir/...`): Bundles of a child's growth and a mother's
//! antenatal care, one person's or a region's, with the SATUSEHAT elements checked here
//! (`satusehat_checks`) and FHIR R4 itself checked by `fhir.resources` in `tests/contract/run`.

use std::collections::{HashMap, HashSet};

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use stunting_api::domain::Role;

use crate::common::app::children::VILLAGE;
use crate::common::{TestApp, created, problem};

const FHIR: &str = "application/fhir+json";

async fn fetch_bundle(app: &TestApp, token: &str, path: &str) -> Value {
    let response = app.request(Method::GET, path, Some(token)).header("accept", FHIR).send().await.unwrap();
    assert_eq!(response.status(), 200, "{path}");
    assert_eq!(response.headers()["content-type"], FHIR);
    let bundle: Value = response.json().await.unwrap();
    satusehat_checks(&bundle);
    bundle
}

fn resources<'a>(bundle: &'a Value, kind: &str) -> Vec<&'a Value> {
    entries(bundle).iter().map(|e| &e["resource"]).filter(|r| r["resourceType"] == kind).collect()
}

fn entries(bundle: &Value) -> &[Value] {
    bundle["entry"].as_array().map_or(&[], Vec::as_slice)
}

/// What SATUSEHAT asks beyond FHIR R4, and what makes a Bundle whole: every entry's `fullUrl`
/// is `urn:uuid:` and its resource's id, once; every `urn:uuid:` reference finds its entry;
/// Observations carry LOINC, a UCUM quantity and a UTC `effectiveDateTime`; addresses carry
/// the four Kemendagri tiers; a transaction's entries are conditional creates.
fn satusehat_checks(bundle: &Value) {
    assert_eq!(bundle["resourceType"], "Bundle");
    let mut urls = HashSet::new();
    for entry in entries(bundle) {
        let resource = &entry["resource"];
        assert_eq!(entry["fullUrl"], format!("urn:uuid:{}", resource["id"].as_str().unwrap()));
        assert!(urls.insert(entry["fullUrl"].as_str().unwrap().to_owned()), "{} twice", entry["fullUrl"]);
        if bundle["type"] == "transaction" {
            assert_eq!(entry["request"]["method"], "POST");
            assert_eq!(entry["request"]["url"], resource["resourceType"]);
            let condition = entry["request"]["ifNoneExist"].as_str().unwrap();
            let ours = resource["identifier"].as_array().unwrap().iter().find(|i| i["use"] == "usual").unwrap();
            assert_eq!(
                condition,
                format!("identifier={}|{}", ours["system"].as_str().unwrap(), ours["value"].as_str().unwrap())
            );
        } else {
            assert!(entry.get("request").is_none());
        }
        match resource["resourceType"].as_str().unwrap() {
            "Observation" => {
                assert_eq!(resource["code"]["coding"][0]["system"], "http://loinc.org");
                assert_eq!(resource["valueQuantity"]["system"], "http://unitsofmeasure.org");
                let at = resource["effectiveDateTime"].as_str().unwrap();
                assert!(at.ends_with('Z') && at.len() == 20, "{at} is no UTC instant");
            }
            "Patient" => administrative_codes(&resource["address"][0]),
            "Location" => administrative_codes(&resource["address"]),
            _ => {}
        }
    }
    let mut references = Vec::new();
    collect_references(bundle, &mut references);
    for reference in references {
        if reference.starts_with("urn:uuid:") {
            assert!(urls.contains(&reference), "{reference} points outside the Bundle");
        } else {
            assert!(reference.starts_with("Patient/P") || reference.starts_with("Organization/"), "{reference}");
        }
    }
}

fn administrative_codes(address: &Value) {
    let parts = &address["extension"][0];
    assert_eq!(parts["url"], "https://fhir.kemkes.go.id/r4/StructureDefinition/administrativeCode");
    let tiers: Vec<&str> = parts["extension"].as_array().unwrap().iter().map(|p| p["url"].as_str().unwrap()).collect();
    assert_eq!(tiers, ["province", "city", "district", "village"]);
}

fn collect_references(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(reference)) = map.get("reference") {
                out.push(reference.clone());
            }
            map.values().for_each(|v| collect_references(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| collect_references(v, out)),
        _ => {}
    }
}

fn coded<'a>(concept: &'a Value, system: &str) -> Option<&'a str> {
    concept["coding"].as_array()?.iter().find(|c| c["system"] == system)?["code"].as_str()
}

const LOINC: &str = "http://loinc.org";
const KEMENKES: &str = "http://terminology.kemkes.go.id/CodeSystem/clinical-term";
const HL7: &str = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation";

#[tokio::test]
async fn a_childs_bundle_carries_her_patient_village_and_growth_coded_as_satusehat_reads_them() {
    let app = TestApp::spawn().await;
    let officer = app.token_for(Role::Officer, Some("14.01")).await;
    let child = app.child_in(&officer, VILLAGE).await;
    let id = child["id"].as_str().unwrap();
    let stunted = app.measure_at(&officer, &child, "2025-02-10", -2.5).await;
    let body = json!({"measured_on": "2025-03-10", "length_cm": 70.0, "weight_kg": 8.0, "position": "lying", "place": "home_visit"});
    let weighed = created(app.measure(&officer, &child, body).await).await;
    let voided = app.measure_at(&officer, &child, "2025-04-10", -1.0).await;
    assert!(app.void_measurement(&officer, &voided).await.status().is_success());

    let bundle = fetch_bundle(&app, &officer, &format!("/api/v1/fhir/children/{id}")).await;
    assert_eq!(bundle["type"], "collection");
    let [patient] = resources(&bundle, "Patient")[..] else { panic!("one Patient: {bundle}") };
    assert_eq!(patient["id"], id);
    assert_eq!(patient["gender"], "female");
    assert_eq!(patient["birthDate"], child["birth_date"]);
    assert_eq!(patient["name"][0]["text"], "Siti Aminah");
    assert_eq!(patient["identifier"], json!([{"use": "usual", "system": "urn:stunting-api:child", "value": id}]));
    let village: Vec<&Value> = patient["address"][0]["extension"][0]["extension"].as_array().unwrap().iter().collect();
    assert_eq!(village[3], &json!({"url": "village", "valueCode": "1401012009"}));
    assert_eq!(village[1], &json!({"url": "city", "valueCode": "1401"}));
    let [location] = resources(&bundle, "Location")[..] else { panic!("one Location") };
    assert_eq!(location["identifier"][0]["value"], VILLAGE);
    assert_eq!(resources(&bundle, "Encounter").len(), 3, "a contact per measurement, the voided one too");

    let observations = resources(&bundle, "Observation");
    let of = |measurement: &Value, loinc: &str| -> Value {
        let encounter = format!("urn:uuid:{}", measurement["id"].as_str().unwrap());
        (*observations
            .iter()
            .find(|o| o["encounter"]["reference"] == encounter && coded(&o["code"], LOINC) == Some(loinc))
            .unwrap_or_else(|| panic!("no {loinc} for {encounter}")))
        .clone()
    };
    let height = of(&stunted, "8302-2");
    assert_eq!(height["status"], "final");
    assert!(height["code"]["coding"].as_array().unwrap().iter().any(|c| c["code"] == "8306-3"), "lying");
    assert_eq!(height["valueQuantity"]["value"], stunted["length_cm"]);
    assert_eq!(height["valueQuantity"]["code"], "cm");
    assert_eq!(height["effectiveDateTime"], "2025-02-10T05:00:00Z", "local noon in WIB");
    assert_eq!(height["subject"]["reference"], format!("urn:uuid:{id}"));
    assert_eq!(coded(&height["interpretation"][0], KEMENKES), Some("OI000012"), "pendek");
    assert_eq!(coded(&height["interpretation"][0], HL7), Some("L"));
    assert_eq!(height["interpretation"][0]["text"], "pendek");

    let weight = of(&weighed, "29463-7");
    assert_eq!(weight["valueQuantity"]["value"], 8.0);
    assert_eq!(weight["valueQuantity"]["unit"], "kg");
    let expected = weighed["weight_for_age"]["category"].as_str().unwrap();
    let hl7 = match expected {
        "normal" => "N",
        "underweight" => "L",
        "severely_underweight" => "LL",
        _ => "H",
    };
    assert_eq!(coded(&weight["interpretation"][0], HL7), Some(hl7), "{weighed}");
    assert_eq!(weight["interpretation"][0]["text"], weighed["weight_for_age"]["label_id"]);
    let home: Vec<&Value> = resources(&bundle, "Encounter").into_iter().filter(|e| e["id"] == weighed["id"]).collect();
    assert_eq!(home[0]["class"]["code"], "HH", "a home visit");
    assert_eq!(of(&voided, "8302-2")["status"], "entered-in-error");

    let march =
        fetch_bundle(&app, &officer, &format!("/api/v1/fhir/children/{id}?from=2025-03-01&to=2025-03-31")).await;
    assert_eq!(resources(&march, "Encounter").len(), 1);
    let none = fetch_bundle(&app, &officer, &format!("/api/v1/fhir/children/{id}?from=2026-01-01")).await;
    assert!(none.get("entry").is_none(), "no empty entry array: {none}");
}

#[tokio::test]
async fn an_ihs_number_is_set_by_officers_and_names_the_patient_a_transaction_refers_to() {
    let app = TestApp::spawn().await;
    let officer = app.token_for(Role::Officer, Some("14.01")).await;
    let cadre = app.token_for(Role::Cadre, Some(VILLAGE)).await;
    let child = app.child_in(&cadre, VILLAGE).await;
    let other = app.child_in(&cadre, VILLAGE).await;
    let id = child["id"].as_str().unwrap();
    app.measure_at(&cadre, &child, "2025-02-10", -1.0).await;
    let path = format!("/api/v1/children/{id}");
    let number = json!({"ihs_number": "P02478375538"});

    problem(app.patch_json(&path, Some(&cadre), Some("\"1\""), &number).await, StatusCode::FORBIDDEN).await;
    let bad = problem(
        app.patch_json(&path, Some(&officer), Some("\"1\""), &json!({"ihs_number": "02478375538"})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(bad["errors"][0]["field"], "ihs_number", "{bad}");
    let set = app.patch_json(&path, Some(&officer), Some("\"1\""), &number).await;
    assert_eq!(set.status(), 200);
    let set: Value = set.json().await.unwrap();
    assert_eq!(set["ihs_number"], "P02478375538");
    let trail = app.audit_trail(id).await;
    assert!(!format!("{trail:?}").contains("P02478375538"), "the number stays out of the audit trail");
    let other_path = format!("/api/v1/children/{}", other["id"].as_str().unwrap());
    let taken =
        problem(app.patch_json(&other_path, Some(&officer), Some("\"1\""), &number).await, StatusCode::CONFLICT).await;
    assert_eq!(taken["existing_id"], id);

    let collection = fetch_bundle(&app, &officer, &format!("/api/v1/fhir/children/{id}")).await;
    let [patient] = resources(&collection, "Patient")[..] else { panic!("one Patient") };
    assert_eq!(
        patient["identifier"][0],
        json!({"use": "official", "system": "https://fhir.kemkes.go.id/id/ihs-number", "value": "P02478375538"})
    );

    let transaction = fetch_bundle(&app, &officer, &format!("/api/v1/fhir/children/{id}?type=transaction")).await;
    assert_eq!(transaction["type"], "transaction");
    assert!(resources(&transaction, "Patient").is_empty(), "SATUSEHAT keeps her Patient");
    for observation in resources(&transaction, "Observation") {
        assert_eq!(observation["subject"]["reference"], "Patient/P02478375538");
    }
    // Without a number, the transaction creates her Patient on condition.
    let unnamed = fetch_bundle(
        &app,
        &officer,
        &format!("/api/v1/fhir/children/{}?type=transaction", other["id"].as_str().unwrap()),
    )
    .await;
    assert!(unnamed.get("entry").is_none(), "no measurements, no entries");
}

#[tokio::test]
async fn a_regions_growth_comes_in_linked_bundles_with_every_child_once_and_none_outside() {
    let app = TestApp::spawn().await;
    let officer = app.token_for(Role::Officer, Some("14.01")).await;
    let mut ids = HashSet::new();
    for village in [VILLAGE, "14.01.01.2010", VILLAGE, "14.01.01.2010", VILLAGE] {
        let child = app.child_in(&officer, village).await;
        app.measure_at(&officer, &child, "2025-02-10", -1.0).await;
        app.measure_at(&officer, &child, "2025-03-10", -2.1).await;
        ids.insert(child["id"].as_str().unwrap().to_owned());
    }
    let outside_scope = app.token_for(Role::Officer, Some("14.03")).await;
    let far = app.child_in(&outside_scope, "14.03.01.1001").await;
    app.measure_at(&outside_scope, &far, "2025-02-10", -1.0).await;
    let unmeasured = app.child_in(&officer, VILLAGE).await;

    let whole = fetch_bundle(&app, &officer, "/api/v1/fhir/growth?from=2025-01-01&to=2025-12-31").await;
    let patients: HashSet<String> =
        resources(&whole, "Patient").iter().map(|p| p["id"].as_str().unwrap().to_owned()).collect();
    assert_eq!(patients, ids, "every measured child of the scope, once; no one outside it or unmeasured");
    assert!(!patients.contains(unmeasured["id"].as_str().unwrap()));
    assert_eq!(resources(&whole, "Observation").len(), 10);
    assert_eq!(resources(&whole, "Location").len(), 2);

    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut next = Some("/api/v1/fhir/growth?from=2025-01-01&to=2025-12-31&limit=2&type=transaction".to_owned());
    let mut bundles = 0;
    while let Some(path) = next.take() {
        let page = fetch_bundle(&app, &officer, &path).await;
        bundles += 1;
        let here = resources(&page, "Patient");
        assert!(here.len() <= 2, "{page}");
        for patient in here {
            *seen.entry(patient["id"].as_str().unwrap().to_owned()).or_default() += 1;
        }
        next = page["link"][0]["url"].as_str().map(str::to_owned);
        if next.is_some() {
            assert_eq!(page["link"][0]["relation"], "next");
        }
    }
    assert_eq!(bundles, 3, "2 + 2 + 1 children");
    assert_eq!(seen.len(), 5);
    assert!(seen.values().all(|n| *n == 1), "a child came twice: {seen:?}");

    let analyst = app.token_for(Role::Analyst, Some("14.01")).await;
    problem(app.get("/api/v1/fhir/growth", Some(&analyst)).await, StatusCode::FORBIDDEN).await;
    problem(app.get("/api/v1/fhir/growth?region=14.03", Some(&officer)).await, StatusCode::FORBIDDEN).await;
    let far_path = format!("/api/v1/fhir/children/{}", far["id"].as_str().unwrap());
    problem(app.get(&far_path, Some(&officer)).await, StatusCode::FORBIDDEN).await;
    problem(app.get("/api/v1/fhir/growth?limit=0", Some(&officer)).await, StatusCode::UNPROCESSABLE_ENTITY).await;
    problem(app.get("/api/v1/fhir/growth?cursor=nonsense", Some(&officer)).await, StatusCode::BAD_REQUEST).await;
    problem(
        app.get("/api/v1/fhir/growth?from=2025-02-01&to=2025-01-01", Some(&officer)).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
}

#[tokio::test]
async fn a_mothers_antenatal_visits_carry_lila_and_hb_with_kek_and_anaemia() {
    let app = TestApp::spawn().await;
    let cadre = app.token_for(Role::Cadre, Some(VILLAGE)).await;
    let body = json!({"village_code": VILLAGE, "sex": "female", "birth_date": "2000-02-02", "name": "Nurhayati"});
    let mother = created(app.post_json("/api/v1/people", Some(&cadre), &body).await).await;
    let mother_id = mother["id"].as_str().unwrap();
    let opened = created(
        app.post_json(
            &format!("/api/v1/people/{mother_id}/pregnancies"),
            Some(&cadre),
            &json!({"lmp_on": "2025-01-06"}),
        )
        .await,
    )
    .await;
    let visits = format!("/api/v1/pregnancies/{}/anc-visits", opened["id"].as_str().unwrap());
    let visit = json!({"visited_on": "2025-03-03", "examiner": "midwife", "iron_tablets": 30, "weight_kg": 48.5,
        "muac_cm": 22.0, "hb_g_dl": 10.2});
    let stored = created(app.post_json(&visits, Some(&cadre), &visit).await).await;

    let bundle = fetch_bundle(&app, &cadre, &format!("/api/v1/fhir/people/{mother_id}")).await;
    assert_eq!(resources(&bundle, "Patient")[0]["id"], mother_id);
    let [encounter] = resources(&bundle, "Encounter")[..] else { panic!("one visit: {bundle}") };
    assert_eq!(encounter["id"], stored["id"]);
    assert_eq!(encounter["class"]["code"], "AMB");
    let observations = resources(&bundle, "Observation");
    let by_code = |loinc: &str| observations.iter().find(|o| coded(&o["code"], LOINC) == Some(loinc)).copied();
    let muac = by_code("56072-2").expect("LiLA");
    assert_eq!(muac["valueQuantity"]["value"], 22.0);
    assert_eq!(coded(&muac["interpretation"][0], HL7), Some("L"), "LiLA under 23.5 cm is KEK");
    let hb = by_code("718-7").expect("Hb");
    assert_eq!(hb["valueQuantity"]["code"], "g/dL");
    assert_eq!(coded(&hb["interpretation"][0], HL7), Some("L"), "Hb under 11 g/dL is anaemia");
    assert_eq!(hb["category"][0]["coding"][0]["code"], "laboratory");
    assert_eq!(by_code("29463-7").expect("weight")["valueQuantity"]["value"], 48.5);

    let region = fetch_bundle(&app, &cadre, "/api/v1/fhir/antenatal?from=2025-01-01").await;
    assert_eq!(resources(&region, "Encounter").len(), 1);
    let later = fetch_bundle(&app, &cadre, "/api/v1/fhir/antenatal?from=2025-04-01").await;
    assert!(later.get("entry").is_none());
}

#[tokio::test]
async fn with_an_organization_id_records_are_named_in_satusehat_systems_and_provided_by_it() {
    let app = TestApp::spawn_with(&["--satusehat-organization-id", "10000004"]).await;
    let officer = app.token_for(Role::Officer, Some("14.01")).await;
    let child = app.child_in(&officer, VILLAGE).await;
    app.measure_at(&officer, &child, "2025-02-10", -1.0).await;

    let path = format!("/api/v1/fhir/children/{}?type=transaction", child["id"].as_str().unwrap());
    let bundle = fetch_bundle(&app, &officer, &path).await;
    let [encounter] = resources(&bundle, "Encounter")[..] else { panic!("one Encounter") };
    assert_eq!(encounter["serviceProvider"]["reference"], "Organization/10000004");
    assert_eq!(encounter["identifier"][0]["system"], "http://sys-ids.kemkes.go.id/encounter/10000004");
    for observation in resources(&bundle, "Observation") {
        assert_eq!(observation["identifier"][0]["system"], "http://sys-ids.kemkes.go.id/observation/10000004");
    }
    let [location] = resources(&bundle, "Location")[..] else { panic!("one Location") };
    assert_eq!(location["identifier"][0]["system"], "http://sys-ids.kemkes.go.id/location/10000004");
}
