use reqwest::StatusCode;
use serde_json::{Value, json};
use stunting_api::domain::{Position, Role, Sex};
use stunting_api::growth;

use crate::common::app::children::VILLAGE;
use crate::common::{TestApp, problem};

async fn setup() -> (TestApp, String, Value) {
    let app = TestApp::spawn().await;
    let cadre = app.token_for(Role::Cadre, Some(VILLAGE)).await;
    let child = app.child_in(&cadre, VILLAGE).await;
    (app, cadre, child)
}

#[tokio::test]
async fn the_server_scores_a_measurement_by_the_who_standards() {
    let (app, cadre, child) = setup().await;
    // Born 2024-06-01, measured 2025-08-15: 440 days, 14.5 months.
    let body = json!({"measured_on": "2025-08-15", "length_cm": 70.0, "position": "lying", "weight_kg": 8.2,
                      "place": "posyandu", "measured_by": "Bidan Desa"});
    let response = app.measure(&cadre, &child, body).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let m: Value = response.json().await.unwrap();
    assert_eq!(m["age_days"], 440);
    assert_eq!(m["age_months"], 14.5);
    let haz = growth::haz(Sex::Female, 440, 70.0, Position::Lying).unwrap().value();
    let waz = growth::waz(Sex::Female, 440, 8.2).unwrap().value();
    let whz = growth::whz(Sex::Female, 440, 70.0, Position::Lying, 8.2).unwrap().value();
    assert_eq!(m["length_for_age"]["z"], haz);
    assert_eq!(m["weight_for_age"]["z"], waz);
    assert_eq!(m["weight_for_length"]["z"], whz);
    assert!((-3.0..-2.0).contains(&haz), "the chosen length is stunted: {haz}");
    assert_eq!(m["length_for_age"]["category"], "stunted");
    assert_eq!(m["length_for_age"]["label_id"], "pendek");
    assert_eq!(m["length_for_age"]["implausible"], false);
}

#[tokio::test]
async fn a_standing_toddler_under_two_is_corrected_by_seven_millimetres() {
    let (app, cadre, child) = setup().await;
    let standing: Value = app
        .measure(
            &cadre,
            &child,
            json!({"measured_on": "2025-06-01", "length_cm": 70.0, "position": "standing", "place": "posyandu"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let lying: Value = app
        .measure(
            &cadre,
            &child,
            json!({"measured_on": "2025-06-02", "length_cm": 70.7, "position": "lying", "place": "posyandu"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let (a, b) = (standing["length_for_age"]["z"].as_f64().unwrap(), lying["length_for_age"]["z"].as_f64().unwrap());
    assert!((a - b).abs() < 0.05, "{a} vs {b}");
}

#[tokio::test]
async fn bad_measurements_are_422_naming_the_field() {
    let (app, cadre, child) = setup().await;
    let base = json!({
        "measured_on": "2025-08-15", "length_cm": 72.0, "position": "lying", "weight_kg": 8.0, "place": "posyandu"
    });
    let cases = [
        ("measured_on", json!({"measured_on": "2099-01-01"})),
        ("measured_on", json!({"measured_on": "2024-05-31"})),
        ("measured_on", json!({"measured_on": "2029-06-02"})),
        ("length_cm", json!({"length_cm": 37.9})),
        ("length_cm", json!({"length_cm": 130.1})),
        ("weight_kg", json!({"weight_kg": 0.5})),
        ("weight_kg", json!({"weight_kg": 58.5})),
        ("position", json!({"position": "sitting"})),
        ("place", json!({"place": "market"})),
    ];
    for (field, change) in cases {
        let mut body = base.clone();
        body.as_object_mut().unwrap().extend(change.as_object().unwrap().clone());
        let response = app.measure(&cadre, &child, body).await;
        let problem_body = problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(problem_body["errors"][0]["field"], field, "{problem_body}");
    }
    let mut missing = base.clone();
    missing.as_object_mut().unwrap().remove("position");
    let body = problem(app.measure(&cadre, &child, missing).await, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert!(body["errors"][0]["message"].as_str().unwrap().contains("position"), "{body}");
    let page: Value = app
        .get(&format!("/api/v1/children/{}/measurements", child["id"].as_str().unwrap()), Some(&cadre))
        .await
        .json()
        .await
        .unwrap();
    assert!(page["items"].as_array().unwrap().is_empty(), "nothing half-written");
}

#[tokio::test]
async fn an_implausible_value_is_stored_flagged_and_opens_no_case() {
    let (app, cadre, child) = setup().await;
    let response = app
        .measure(
            &cadre,
            &child,
            json!({"measured_on": "2025-12-01", "length_cm": 50.0, "position": "lying", "place": "posyandu"}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let m: Value = response.json().await.unwrap();
    assert!(m["length_for_age"]["z"].as_f64().unwrap() < -6.0);
    assert_eq!(m["length_for_age"]["implausible"], true);
    assert!(app.cases_of(&cadre, &child, None).await.is_empty());
}

#[tokio::test]
async fn oedema_leaves_weight_indicators_out() {
    let (app, cadre, child) = setup().await;
    let m: Value = app
        .measure(
            &cadre,
            &child,
            json!({
                "measured_on": "2025-08-15", "length_cm": 74.0, "position": "lying", "weight_kg": 8.0, "oedema": true,
                "place": "puskesmas"
            }),
        )
        .await
        .json()
        .await
        .unwrap();
    assert!(m["length_for_age"].is_object());
    assert!(m["weight_for_age"].is_null() && m["weight_for_length"].is_null());
}

#[tokio::test]
async fn an_offline_retry_with_the_same_id_records_once() {
    let (app, cadre, child) = setup().await;
    let body = json!({
        "id": "0f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a", "measured_on": "2025-08-15", "length_cm": 74.0,
        "position": "lying", "place": "posyandu"
    });
    assert_eq!(app.measure(&cadre, &child, body.clone()).await.status(), StatusCode::CREATED);
    assert_eq!(app.measure(&cadre, &child, body.clone()).await.status(), StatusCode::OK);
    let mut changed = body;
    changed["length_cm"] = json!(75.0);
    problem(app.measure(&cadre, &child, changed).await, StatusCode::CONFLICT).await;
}

#[tokio::test]
async fn voiding_keeps_the_record_and_needs_a_reason() {
    let (app, cadre, child) = setup().await;
    let m = app.measure_at(&cadre, &child, "2025-08-15", -1.0).await;
    let path = format!("/api/v1/children/{}/measurements/{}", child["id"].as_str().unwrap(), m["id"].as_str().unwrap());
    let no_reason = app.request(reqwest::Method::DELETE, &path, Some(&cadre)).json(&json!({})).send().await.unwrap();
    problem(no_reason, StatusCode::UNPROCESSABLE_ENTITY).await;
    let voided = app.void_measurement(&cadre, &m).await;
    assert_eq!(voided.status(), StatusCode::OK);
    let voided: Value = voided.json().await.unwrap();
    assert_eq!(voided["voided_reason"], "entered wrongly");
    problem(app.void_measurement(&cadre, &m).await, StatusCode::CONFLICT).await;

    let list = format!("/api/v1/children/{}/measurements", child["id"].as_str().unwrap());
    let page: Value = app.get(&list, Some(&cadre)).await.json().await.unwrap();
    assert!(page["items"].as_array().unwrap().is_empty());
    let all: Value = app.get(&format!("{list}?include_voided=true"), Some(&cadre)).await.json().await.unwrap();
    assert_eq!(all["items"].as_array().unwrap().len(), 1);
    assert_eq!(app.get(&path, Some(&cadre)).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn the_growth_chart_is_the_valid_series_in_date_order() {
    let (app, cadre, child) = setup().await;
    let later = app.measure_at(&cadre, &child, "2025-12-01", -1.5).await;
    let earlier = app.measure_at(&cadre, &child, "2025-06-01", -1.0).await;
    let wrong = app.measure_at(&cadre, &child, "2025-09-01", 0.0).await;
    app.void_measurement(&cadre, &wrong).await;
    let chart: Value = app
        .get(&format!("/api/v1/children/{}/growth", child["id"].as_str().unwrap()), Some(&cadre))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(chart["sex"], "female");
    let ids: Vec<&Value> = chart["points"].as_array().unwrap().iter().map(|p| &p["measurement_id"]).collect();
    assert_eq!(ids, [&earlier["id"], &later["id"]]);
    assert!(chart["points"][0]["haz"].as_f64().is_some());
}

#[tokio::test]
async fn measurements_page_by_date() {
    let (app, cadre, child) = setup().await;
    for on in ["2025-03-01", "2025-01-01", "2025-02-01"] {
        app.measure_at(&cadre, &child, on, -1.0).await;
    }
    let base = format!("/api/v1/children/{}/measurements", child["id"].as_str().unwrap());
    let first: Value = app.get(&format!("{base}?limit=2"), Some(&cadre)).await.json().await.unwrap();
    let dates: Vec<&str> =
        first["items"].as_array().unwrap().iter().map(|m| m["measured_on"].as_str().unwrap()).collect();
    assert_eq!(dates, ["2025-01-01", "2025-02-01"]);
    let cursor = first["next_cursor"].as_str().unwrap();
    let second: Value = app.get(&format!("{base}?limit=2&cursor={cursor}"), Some(&cadre)).await.json().await.unwrap();
    assert_eq!(second["items"][0]["measured_on"], "2025-03-01");
    assert!(second["next_cursor"].is_null());
}

#[tokio::test]
async fn a_new_birth_date_rescores_everything_or_is_refused() {
    let (app, cadre, child) = setup().await;
    let m = app.measure_at(&cadre, &child, "2025-06-01", -1.0).await;
    let path = format!("/api/v1/children/{}", child["id"].as_str().unwrap());
    let response = app.patch_json(&path, Some(&cadre), Some("\"1\""), &json!({"birth_date": "2024-03-01"})).await;
    assert_eq!(response.status(), StatusCode::OK);
    let rescored: Value = app
        .get(&format!("{path}/measurements/{}", m["id"].as_str().unwrap()), Some(&cadre))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(rescored["age_days"], 457);
    assert!(rescored["length_for_age"]["z"].as_f64().unwrap() < m["length_for_age"]["z"].as_f64().unwrap());

    let after = app.patch_json(&path, Some(&cadre), Some("\"2\""), &json!({"birth_date": "2025-07-01"})).await;
    let body = problem(after, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(body["errors"][0]["field"], "birth_date");
}
