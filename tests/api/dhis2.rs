//! DHIS2 aggregate exchange (`/api/v1/dhis2/dataValueSets`): kept aggregates out as data value
//! sets, survey figures and intervention reports in, tested with DHIS2's own documented
//! examples (`tests/fixtures/dhis2/`) and with the same narratives told in our codes.

use std::collections::BTreeMap;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use stunting_api::domain::Role;

use crate::common::app::children::VILLAGE;
use crate::common::{TestApp, problem};

const PATH: &str = "/api/v1/dhis2/dataValueSets";
/// Another village of Kampar, in another subdistrict.
const VILLAGE_B: &str = "14.01.02.2001";

fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/dhis2/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

async fn export(app: &TestApp, token: &str, query: &str) -> Vec<Value> {
    let response = app.get(&format!("{PATH}?{query}"), Some(token)).await;
    assert_eq!(response.status(), StatusCode::OK, "{query}");
    assert_eq!(response.headers()["content-type"], "application/json");
    let set: Value = response.json().await.unwrap();
    set["dataValues"].as_array().unwrap().clone()
}

/// `(dataElement, period, orgUnit, combination)` → value.
fn by_key(values: &[Value]) -> BTreeMap<(String, String, String, String), String> {
    let text = |v: &Value, k: &str| v[k].as_str().unwrap_or_default().to_owned();
    let mut map = BTreeMap::new();
    for v in values {
        let combo = format!("{}{}", text(v, "categoryOptionCombo"), text(v, "attributeOptionCombo"));
        let key = (text(v, "dataElement"), text(v, "period"), text(v, "orgUnit"), combo);
        assert!(map.insert(key.clone(), text(v, "value")).is_none(), "{key:?} twice");
    }
    map
}

fn value_of(values: &[Value], element: &str, period: &str, unit: &str) -> Option<String> {
    values
        .iter()
        .find(|v| v["dataElement"] == element && v["period"] == period && v["orgUnit"] == unit)
        .map(|v| v["value"].as_str().unwrap().to_owned())
}

async fn import(app: &TestApp, token: &str, query: &str, body: &Value) -> Value {
    let path = if query.is_empty() { PATH.to_owned() } else { format!("{PATH}?{query}") };
    let response = app.post_json(&path, Some(token), body).await;
    assert_eq!(response.status(), StatusCode::OK);
    let message: Value = response.json().await.unwrap();
    assert_eq!(message["httpStatusCode"], 200);
    assert_eq!(message["response"]["responseType"], "ImportSummary");
    message
}

fn counts(message: &Value) -> (u64, u64, u64) {
    let count = &message["response"]["importCount"];
    (count["imported"].as_u64().unwrap(), count["updated"].as_u64().unwrap(), count["ignored"].as_u64().unwrap())
}

#[tokio::test]
async fn kept_prevalence_goes_out_per_period_code_and_tier_and_agrees_with_the_stats() {
    let app = TestApp::spawn().await;
    let officer = app.token_for(Role::Officer, Some("14.01")).await;
    for (village, z) in [(VILLAGE, -2.5), (VILLAGE, -3.5), (VILLAGE, 0.0), (VILLAGE_B, -2.2)] {
        let child = app.child_in(&officer, village).await;
        app.measure_at(&officer, &child, "2025-02-10", z).await;
    }
    let values = export(
        &app,
        &officer,
        "dataSet=STUNTING_PREVALENCE&period=2025&period=2025S1&period=2025Q1&period=202502&period=202503\
         &orgUnit=14.01&children=true&idScheme=CODE",
    )
    .await;
    for period in ["2025", "2025S1", "2025Q1", "202502"] {
        for (unit, measured, stunted, severe) in [
            ("14.01", "4", "3", "1"),
            ("14.01.01", "3", "2", "1"),
            ("14.01.01.2009", "3", "2", "1"),
            ("14.01.02.2001", "1", "1", "0"),
        ] {
            assert_eq!(
                value_of(&values, "STUNTING_MEASURED", period, unit).as_deref(),
                Some(measured),
                "{period} {unit}"
            );
            assert_eq!(
                value_of(&values, "STUNTING_STUNTED", period, unit).as_deref(),
                Some(stunted),
                "{period} {unit}"
            );
            assert_eq!(value_of(&values, "STUNTING_SEVERELY_STUNTED", period, unit).as_deref(), Some(severe));
        }
    }
    // Nothing measured in March: no values for it.
    assert!(values.iter().all(|v| v["period"] != "202503"));
    // The district's values are the dashboard's.
    let stats: Value = app
        .get("/api/v1/stats/prevalence?region=14.01&level=district&year=2025", Some(&officer))
        .await
        .json()
        .await
        .unwrap();
    let row = &stats["rows"][0];
    for (element, field) in [
        ("STUNTING_MEASURED", "measured"),
        ("STUNTING_STUNTED", "stunted"),
        ("STUNTING_WEIGHED", "weighed"),
        ("STUNTING_WASTING_MEASURED", "wasting_measured"),
    ] {
        assert_eq!(value_of(&values, element, "2025", "14.01"), Some(row[field].to_string()), "{element}");
    }

    // Without children, the org unit alone; with a level, only that tier beneath it.
    let own = export(&app, &officer, "dataSet=STUNTING_PREVALENCE&period=2025&orgUnit=14.01").await;
    assert!(!own.is_empty() && own.iter().all(|v| v["orgUnit"] == "14.01"));
    let twice = export(&app, &officer, "dataSet=STUNTING_PREVALENCE&period=2025&orgUnit=14.01&orgUnit=14.01").await;
    assert_eq!(twice, own, "an org unit named twice is answered once");
    let villages = export(&app, &officer, "dataSet=STUNTING_PREVALENCE&period=2025&orgUnit=14.01&level=village").await;
    let units: std::collections::BTreeSet<&str> = villages.iter().map(|v| v["orgUnit"].as_str().unwrap()).collect();
    assert_eq!(units.into_iter().collect::<Vec<_>>(), [VILLAGE, VILLAGE_B]);

    // An analyst gets no count from 1 to 4 below district level: those values are left out.
    let analyst = app.token_for(Role::Analyst, None).await;
    let seen = export(&app, &analyst, "dataSet=STUNTING_PREVALENCE&period=2025&orgUnit=14.01&children=true").await;
    assert_eq!(value_of(&seen, "STUNTING_STUNTED", "2025", "14.01").as_deref(), Some("3"));
    assert_eq!(value_of(&seen, "STUNTING_MEASURED", "2025", "14.01.01").as_deref(), None);
    assert_eq!(value_of(&seen, "STUNTING_STUNTED", "2025", VILLAGE).as_deref(), None);
    assert_eq!(value_of(&seen, "STUNTING_SEVERELY_STUNTED", "2025", VILLAGE_B).as_deref(), Some("0"));
    for v in &seen {
        let unit = v["orgUnit"].as_str().unwrap();
        let count: i64 = v["value"].as_str().unwrap().parse().unwrap();
        assert!(unit.len() <= 5 || !(1..=4).contains(&count), "{v}");
    }
    // National accounts read the nation's totals under `national`.
    let nation = export(&app, &analyst, "dataSet=STUNTING_PREVALENCE&period=2025&orgUnit=national").await;
    assert_eq!(value_of(&nation, "STUNTING_MEASURED", "2025", "national").as_deref(), Some("4"));
}

#[tokio::test]
async fn an_export_names_what_is_wrong_with_its_parameters() {
    let app = TestApp::spawn().await;
    let officer = app.token_for(Role::Officer, Some("14.01")).await;
    for (query, field) in [
        ("period=2025&orgUnit=14.01", "dataSet"),
        ("dataSet=STUNTING_PREVALENCE&orgUnit=14.01", "period"),
        ("dataSet=STUNTING_PREVALENCE&period=2025", "orgUnit"),
        ("dataSet=pBOMPrpg1QX&period=2025&orgUnit=14.01", "dataSet"),
        ("dataSet=STUNTING_PREVALENCE&period=2025W1&orgUnit=14.01", "period"),
        ("dataSet=STUNTING_PREVALENCE&period=2025&orgUnit=DiszpKrYNg8", "orgUnit"),
        ("dataSet=STUNTING_PREVALENCE&period=2025&orgUnit=14.01&idScheme=UID", "idScheme"),
        ("dataSet=STUNTING_PREVALENCE&period=2025&orgUnit=14.01.01&level=district", "level"),
        ("dataSet=STUNTING_PREVALENCE&period=2025&orgUnit=14.01&children=maybe", "children"),
    ] {
        let body =
            problem(app.get(&format!("{PATH}?{query}"), Some(&officer)).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(body["errors"][0]["field"], field, "{query}: {body}");
    }
    let outside =
        app.get(&format!("{PATH}?dataSet=STUNTING_PREVALENCE&period=2025&orgUnit=14.03"), Some(&officer)).await;
    problem(outside, StatusCode::FORBIDDEN).await;
    let nation =
        app.get(&format!("{PATH}?dataSet=STUNTING_PREVALENCE&period=2025&orgUnit=national"), Some(&officer)).await;
    problem(nation, StatusCode::FORBIDDEN).await;
    let admin = app.token_for(Role::Admin, None).await;
    let unknown = app.get(&format!("{PATH}?dataSet=STUNTING_PREVALENCE&period=2025&orgUnit=14.99"), Some(&admin)).await;
    problem(unknown, StatusCode::NOT_FOUND).await;
}

/// DHIS2's documented examples as DHIS2 would send them: their uids name nothing here, so
/// every value is ignored with a conflict naming it, in DHIS2's summary shape; nothing is kept.
#[tokio::test]
async fn dhis2_s_documented_payloads_are_read_and_answered_in_its_summary_shape() {
    let app = TestApp::spawn().await;
    let admin = app.token_for(Role::Admin, None).await;
    let set = import(&app, &admin, "", &fixture("data-value-set.json")).await;
    assert_eq!(counts(&set), (0, 0, 3));
    assert_eq!(set["status"], "ERROR");
    assert_eq!(
        set["response"]["conflicts"],
        json!([{"object": "pBOMPrpg1QX", "property": "dataSet",
        "value": "no data set has code pBOMPrpg1QX", "indexes": [0, 1, 2]}])
    );
    let bulk =
        import(&app, &admin, "dryRun=false&importStrategy=CREATE_AND_UPDATE", &fixture("bulk-data-values.json")).await;
    assert_eq!(counts(&bulk), (0, 0, 4));
    assert_eq!(bulk["response"]["conflicts"][0]["object"], "f7n9E0hX8qk");
    assert_eq!(bulk["response"]["conflicts"][0]["indexes"], json!([0, 1, 2, 3]));
    // A DHIS2 answer read back in: our export's shape is DHIS2's.
    let read = import(&app, &admin, "", &fixture("read-data-value-set.json")).await;
    assert_eq!(counts(&read), (0, 0, 3));
    // Every element of our summary is one DHIS2 documents, of the same JSON type.
    let documented = fixture("import-summary.json");
    let ours = &bulk["response"];
    for (key, value) in ours.as_object().unwrap() {
        if key == "conflicts" {
            continue;
        }
        let theirs = &documented[key];
        assert_eq!(std::mem::discriminant(theirs), std::mem::discriminant(value), "{key}");
    }
    for key in ["imported", "updated", "ignored", "deleted"] {
        assert!(ours["importCount"][key].is_u64(), "{key}");
    }
    for key in ["idSchemes", "dryRun", "importStrategy"] {
        assert_eq!(
            std::mem::discriminant(&documented["importOptions"][key]),
            std::mem::discriminant(&ours["importOptions"][key])
        );
    }
}

async fn activity(app: &TestApp, token: &str, region: &str) -> Value {
    let body = json!({"type_code": "growth_monitoring", "region_code": region, "year": 2025, "target": 100});
    let response = app.post_json("/api/v1/interventions", Some(token), &body).await;
    assert_eq!(response.status(), StatusCode::CREATED, "{}", response.text().await.unwrap());
    response.json().await.unwrap()
}

async fn reached(app: &TestApp, token: &str, activity: &Value) -> i64 {
    let path = format!("/api/v1/interventions/{}", activity["id"].as_str().unwrap());
    let now: Value = app.get(&path, Some(token)).await.json().await.unwrap();
    now["reached"].as_i64().unwrap()
}

/// The documented narrative ("Sending bulks of data values") told in our codes: one value
/// sent, then four of which one is the first again and one names an org unit that is not
/// ours: imported 2, updated 1, ignored 1, as the manual says.
#[tokio::test]
async fn intervention_reports_come_in_as_the_manual_tells_and_a_resend_changes_nothing() {
    let app = TestApp::spawn().await;
    let officer = app.token_for(Role::Officer, Some("14.01")).await;
    let here = activity(&app, &officer, VILLAGE).await;
    let there = activity(&app, &officer, VILLAGE_B).await;
    let first = json!({"dataSet": "STUNTING_INTERVENTIONS", "completeDate": "2025-02-03", "period": "202501",
        "orgUnit": VILLAGE, "dataValues": [
            {"dataElement": "INTERVENTION_REACHED", "categoryOptionCombo": "growth_monitoring", "value": "12"}]});
    let integration = app.token_for(Role::Integration, Some("14.01")).await;
    assert_eq!(counts(&import(&app, &integration, "", &first).await), (1, 0, 0));
    let value = |period: &str, unit: &str, v: Value| {
        json!({"dataElement": "INTERVENTION_REACHED", "categoryOptionCombo": "growth_monitoring",
               "period": period, "orgUnit": unit, "value": v})
    };
    let bulk = json!({"dataValues": [
        value("202501", VILLAGE, json!("12")),
        value("202501", VILLAGE_B, json!("14")),
        value("202502", VILLAGE, json!(16)),
        value("202502", "14.03.01.1001", json!("18")),
    ]});
    let summary = import(&app, &integration, "idScheme=code", &bulk).await;
    assert_eq!(counts(&summary), (2, 1, 1));
    assert_eq!(summary["status"], "WARNING");
    let conflict = &summary["response"]["conflicts"][0];
    assert_eq!((conflict["object"].as_str(), conflict["property"].as_str()), (Some("14.03.01.1001"), Some("orgUnit")));
    assert_eq!(conflict["indexes"], json!([3]));
    assert_eq!((reached(&app, &officer, &here).await, reached(&app, &officer, &there).await), (28, 14));

    // Sent again: every month was reported before, nothing is added.
    let reports = app.count("SELECT count(*) FROM intervention_reports").await;
    assert_eq!(counts(&import(&app, &integration, "", &bulk).await), (0, 3, 1));
    assert_eq!(app.count("SELECT count(*) FROM intervention_reports").await, reports);
    assert_eq!(reached(&app, &officer, &here).await, 28);
    // A changed figure is a correction; the old one stays as history.
    let corrected = json!({"dataValues": [value("202502", VILLAGE, json!("20"))]});
    assert_eq!(counts(&import(&app, &integration, "", &corrected).await), (0, 1, 0));
    assert_eq!(reached(&app, &officer, &here).await, 32);
    assert_eq!(app.count("SELECT count(*) FROM intervention_reports").await, reports + 1);
    // CREATE leaves kept months alone; a dry run counts and keeps nothing.
    let create = import(&app, &integration, "importStrategy=CREATE", &corrected).await;
    assert_eq!((counts(&create), create["status"].as_str()), ((0, 0, 1), Some("ERROR")));
    let march = json!({"dataValues": [value("202503", VILLAGE, json!("7"))]});
    let dry = import(&app, &integration, "dryRun=true", &march).await;
    assert_eq!((counts(&dry), dry["response"]["importOptions"]["dryRun"].as_bool()), ((1, 0, 0), Some(true)));
    assert_eq!(reached(&app, &officer, &here).await, 32);

    // What came in goes out: the year's reach of the village, beside its target.
    let out = export(&app, &officer, "dataSet=STUNTING_INTERVENTIONS&period=2025&orgUnit=14.01&level=village").await;
    let out = by_key(&out);
    let key = |element: &str, unit: &str| {
        (element.to_owned(), "2025".to_owned(), unit.to_owned(), "growth_monitoring".to_owned())
    };
    assert_eq!(out.get(&key("INTERVENTION_REACHED", VILLAGE)).map(String::as_str), Some("32"));
    assert_eq!(out.get(&key("INTERVENTION_TARGET", VILLAGE)).map(String::as_str), Some("100"));
    assert_eq!(out.get(&key("INTERVENTION_REACHED", VILLAGE_B)).map(String::as_str), Some("14"));
}

#[tokio::test]
async fn values_that_cannot_be_taken_are_each_ignored_with_a_conflict_naming_why() {
    let app = TestApp::spawn().await;
    let officer = app.token_for(Role::Officer, Some("14.01")).await;
    activity(&app, &officer, VILLAGE).await;
    let reach = |period: &str, coc: Option<&str>, v: &str| {
        json!({"dataElement": "INTERVENTION_REACHED", "categoryOptionCombo": coc, "period": period,
               "orgUnit": VILLAGE, "value": v})
    };
    let body = json!({"dataValues": [
        {"dataElement": "STUNTING_STUNTED", "period": "2025", "orgUnit": "14.01", "value": "3"},
        {"dataElement": "NO_SUCH_ELEMENT", "period": "2025", "orgUnit": "14.01", "value": "3"},
        reach("2025Q1", Some("growth_monitoring"), "5"),
        reach("202502", None, "5"),
        reach("202502", Some("ttd_pregnant"), "5"),
        reach("202502", Some("growth_monitoring"), "-5"),
        reach("203001", Some("growth_monitoring"), "5"),
        {"dataElement": "SURVEY_STUNTING_PCT", "period": "2024", "orgUnit": "14.01", "value": "8.4"},
        {"dataElement": "SURVEY_STUNTING_PCT", "period": "2024", "orgUnit": "14.01", "attributeOptionCombo": "ssgi",
         "value": "140"},
        {"dataElement": "SURVEY_STUNTING_PCT", "period": "202401", "orgUnit": "14.01", "attributeOptionCombo": "ssgi",
         "value": "8.4"},
        {"dataElement": "SURVEY_MEASURED", "period": "2024", "orgUnit": "14.01", "attributeOptionCombo": "ski",
         "value": "7200"},
        reach("202502", Some("growth_monitoring"), "9"),
    ]});
    let figures = app.count("SELECT count(*) FROM survey_figures").await;
    let summary = import(&app, &officer, "", &body).await;
    assert_eq!(counts(&summary), (1, 0, 11));
    let conflicts = summary["response"]["conflicts"].as_array().unwrap();
    let at = |index: usize| -> (&str, &str) {
        let c = conflicts.iter().find(|c| c["indexes"].as_array().unwrap().contains(&json!(index))).unwrap();
        (c["property"].as_str().unwrap(), c["value"].as_str().unwrap())
    };
    assert_eq!(at(0), ("dataElement", "is computed from the records and cannot be imported"));
    assert_eq!(at(1).0, "dataElement");
    assert_eq!(at(2).0, "period");
    assert_eq!(at(3).0, "categoryOptionCombo");
    assert!(at(4).1.starts_with("no activity of type ttd_pregnant"), "{}", at(4).1);
    assert_eq!(at(5).0, "value");
    assert_eq!(at(6), ("period", "is in the future"));
    assert_eq!(at(7).0, "attributeOptionCombo");
    assert_eq!(at(8), ("value", "must be a percentage from 0 to 100"));
    assert_eq!(at(9).0, "period");
    // A count's denominator without the count: the figure's own rule, said as a conflict.
    assert!(at(10).1.contains("measured_count"), "{}", at(10).1);
    assert_eq!(app.count("SELECT count(*) FROM survey_figures").await, figures);

    // Whole-request faults are problems: the wrong role, scheme or size.
    let cadre = app.token_for(Role::Cadre, Some(VILLAGE)).await;
    problem(app.post_json(PATH, Some(&cadre), &body).await, StatusCode::FORBIDDEN).await;
    let analyst = app.token_for(Role::Analyst, None).await;
    problem(app.post_json(PATH, Some(&analyst), &body).await, StatusCode::FORBIDDEN).await;
    let uid = app.post_json(&format!("{PATH}?orgUnitIdScheme=UID"), Some(&officer), &body).await;
    assert_eq!(problem(uid, StatusCode::UNPROCESSABLE_ENTITY).await["errors"][0]["field"], "orgUnitIdScheme");
    let many: Vec<Value> = (0..10_001).map(|_| json!({"dataElement": "SURVEY_STUNTED"})).collect();
    let too_many = app.post_json(PATH, Some(&officer), &json!({"dataValues": many})).await;
    assert_eq!(problem(too_many, StatusCode::UNPROCESSABLE_ENTITY).await["errors"][0]["field"], "dataValues");
    let unknown_field = json!({"dataValues": [], "dataSetUid": "x"});
    problem(app.post_json(PATH, Some(&officer), &unknown_field).await, StatusCode::UNPROCESSABLE_ENTITY).await;
    let broken = app.request(Method::POST, PATH, Some(&officer)).header("content-type", "application/json");
    let response = broken.body("{\"dataValues\": [").send().await.unwrap();
    problem(response, StatusCode::BAD_REQUEST).await;
}

#[tokio::test]
async fn survey_figures_come_in_by_source_and_go_out_as_they_are_kept() {
    let app = TestApp::spawn().await;
    let officer = app.token_for(Role::Officer, Some("14.01")).await;
    let body = json!({"dataSet": "STUNTING_SURVEY", "period": "2024", "orgUnit": "14.01", "attributeOptionCombo": "ssgi",
        "dataValues": [
            {"dataElement": "SURVEY_STUNTING_PCT", "value": "8.4"},
            {"dataElement": "SURVEY_STUNTED", "value": 605},
            {"dataElement": "SURVEY_MEASURED", "value": "7200"},
            {"dataElement": "SURVEY_STUNTED", "orgUnit": "14.01.01", "value": "120", "comment": "Bangkinang"}]});
    let summary = import(&app, &officer, "", &body).await;
    assert_eq!((counts(&summary), summary["status"].as_str()), ((4, 0, 0), Some("OK")));
    let kept: Value =
        app.get("/api/v1/survey-figures?region=14.01&year=2024", Some(&officer)).await.json().await.unwrap();
    let kampar = kept.as_array().unwrap().iter().find(|f| f["region_code"] == "14.01").unwrap();
    assert_eq!((kampar["source"].as_str(), kampar["stunting_pct"].as_f64()), (Some("ssgi"), Some(8.4)));
    assert_eq!((kampar["stunted_count"].as_i64(), kampar["measured_count"].as_i64()), (Some(605), Some(7200)));
    // Each figure written by its endpoint's rules, audited as such.
    assert_eq!(app.count("SELECT count(*) FROM audit_log WHERE action = 'survey_figure.save'").await, 2);

    // A new percentage updates the figure and keeps its counts.
    let update = json!({"dataValues": [{"dataElement": "SURVEY_STUNTING_PCT", "period": "2024", "orgUnit": "14.01",
        "attributeOptionCombo": "ssgi", "value": "8.1"}]});
    assert_eq!(counts(&import(&app, &officer, "", &update).await), (0, 1, 0));
    let out = export(&app, &officer, "dataSet=STUNTING_SURVEY&period=2024&orgUnit=14.01&children=true").await;
    let out = by_key(&out);
    let key = |element: &str, unit: &str| (element.to_owned(), "2024".to_owned(), unit.to_owned(), "ssgi".to_owned());
    assert_eq!(out.get(&key("SURVEY_STUNTING_PCT", "14.01")).map(String::as_str), Some("8.1"));
    assert_eq!(out.get(&key("SURVEY_STUNTED", "14.01")).map(String::as_str), Some("605"));
    assert_eq!(out.get(&key("SURVEY_STUNTED", "14.01.01")).map(String::as_str), Some("120"));
    assert_eq!(out.len(), 4);
    // Figures are yearly: a month asks for none.
    assert!(export(&app, &officer, "dataSet=STUNTING_SURVEY&period=202401&orgUnit=14.01").await.is_empty());

    // An integration may report reach but not set official figures: its values are conflicts.
    let integration = app.token_for(Role::Integration, Some("14.01")).await;
    let refused = import(&app, &integration, "", &update).await;
    assert_eq!(counts(&refused), (0, 0, 1));
    assert!(refused["response"]["conflicts"][0]["value"].as_str().unwrap().contains("integration"));
}

#[tokio::test]
async fn the_posyandu_s_monthly_weighing_goes_out_as_its_dashboard_counts_it() {
    let app = TestApp::spawn().await;
    let officer = app.token_for(Role::Officer, Some("14.01")).await;
    let posyandu = json!({"village_code": VILLAGE, "name": "Posyandu Melati"});
    let posyandu: Value = app.post_json("/api/v1/posyandu", Some(&officer), &posyandu).await.json().await.unwrap();
    for (n, weights) in [[Some(8.0), Some(8.6)], [Some(7.9), None], [None, Some(8.1)]].iter().enumerate() {
        let child = app.child_in(&officer, VILLAGE).await;
        let path = format!("/api/v1/children/{}", child["id"].as_str().unwrap());
        let book = json!({"posyandu_id": posyandu["id"], "kia_book": n != 1});
        assert_eq!(app.patch_json(&path, Some(&officer), Some("\"1\""), &book).await.status(), StatusCode::OK);
        for (day, weight) in ["2025-02-12", "2025-03-12"].iter().zip(weights) {
            let Some(weight) = weight else { continue };
            let body = json!({"measured_on": day, "length_cm": 70.0, "position": "lying", "weight_kg": weight,
                              "place": "posyandu", "posyandu_id": posyandu["id"]});
            assert_eq!(app.measure(&officer, &child, body).await.status(), StatusCode::CREATED);
        }
    }
    let values =
        export(&app, &officer, "dataSet=STUNTING_SKDN&period=202502&period=202503&orgUnit=14.01&children=true").await;
    assert_eq!(value_of(&values, "SKDN_D", "202503", VILLAGE).as_deref(), Some("2"));
    assert_eq!(value_of(&values, "SKDN_N", "202503", VILLAGE).as_deref(), Some("1"));
    assert_eq!(value_of(&values, "SKDN_B", "202503", VILLAGE).as_deref(), Some("1"));
    // Every tier's values are the dashboard's rows.
    let mut compared = 0;
    for level in ["district", "subdistrict", "village"] {
        let path = format!("/api/v1/stats/skdn?region=14.01&level={level}&from=2025-02&to=2025-03&period=month");
        let stats: Value = app.get(&path, Some(&officer)).await.json().await.unwrap();
        for row in stats["rows"].as_array().unwrap() {
            let period = row["period_start"].as_str().unwrap()[..7].replace('-', "");
            let unit = row["region_code"].as_str().unwrap();
            for (element, field) in [
                ("SKDN_S", "under_fives"),
                ("SKDN_K", "kia_book"),
                ("SKDN_D", "weighed"),
                ("SKDN_N", "rose"),
                ("SKDN_T", "not_rose"),
                ("SKDN_O", "missed_last_month"),
                ("SKDN_B", "first_weighing"),
                ("SKDN_2T", "two_t"),
                ("SKDN_BGM", "bgm"),
            ] {
                assert_eq!(value_of(&values, element, &period, unit), Some(row[field].to_string()), "{element} {unit}");
                compared += 1;
            }
        }
    }
    assert_eq!(compared, 2 * 3 * 9);
}
