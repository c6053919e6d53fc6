//! Input a hostile or careless client sends that the service must refuse, each with an answer
//! that names what is wrong and reveals nothing of records outside the caller's scope.

use reqwest::StatusCode;
use serde_json::{Value, json};
use stunting_api::domain::Role;

use crate::common::app::children::VILLAGE;
use crate::common::{TestApp, problem};

fn child(birth_date: &str) -> Value {
    json!({"village_code": VILLAGE, "sex": "female", "birth_date": birth_date, "name": "Siti Aminah"})
}

#[tokio::test]
async fn a_birth_date_no_child_can_have_is_refused() {
    let app = TestApp::spawn().await;
    let officer = app.token_for(Role::Officer, Some("14.01")).await;
    for birth_date in ["0000-01-01", "1900-01-01", "2000-01-01"] {
        let refused =
            problem(app.register_child(&officer, child(birth_date)).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(refused["errors"][0]["field"], "birth_date", "{birth_date}: {refused}");
    }
    let registered: Value = app.register_child(&officer, child("2024-06-01")).await.json().await.unwrap();
    let path = format!("/api/v1/children/{}", registered["id"].as_str().unwrap());
    let moved = app.patch_json(&path, Some(&officer), Some("\"1\""), &json!({"birth_date": "1900-01-01"})).await;
    let refused = problem(moved, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(refused["errors"][0]["field"], "birth_date", "{refused}");
    let woman = json!({"village_code": VILLAGE, "sex": "female", "birth_date": "0000-01-01", "name": "Nurhayati"});
    let refused =
        problem(app.post_json("/api/v1/people", Some(&officer), &woman).await, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(refused["errors"][0]["field"], "birth_date", "{refused}");
}

#[tokio::test]
async fn a_value_of_the_wrong_kind_is_a_422_naming_its_field() {
    let app = TestApp::spawn().await;
    let officer = app.token_for(Role::Officer, Some("14.01")).await;
    for sex in [json!(true), json!(1), json!(["female"]), json!(null)] {
        let mut body = child("2024-06-01");
        body["sex"] = sex.clone();
        let refused = problem(app.register_child(&officer, body).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(refused["errors"][0]["field"], "sex", "{sex}: {refused}");
    }
    // Not JSON at all is still a 400.
    let broken = app
        .request(reqwest::Method::POST, "/api/v1/children", Some(&officer))
        .text("application/json", "{\"sex\": tru".into());
    problem(broken.send().await.unwrap(), StatusCode::BAD_REQUEST).await;
}

#[tokio::test]
async fn the_id_of_a_child_outside_the_scope_is_not_confirmed() {
    let app = TestApp::spawn().await;
    let kampar = app.token_for(Role::Officer, Some("14.01")).await;
    let bengkalis = app.token_for(Role::Officer, Some("14.03")).await;
    let theirs: Value = app.register_child(&kampar, child("2024-06-01")).await.json().await.unwrap();
    let mut same_id = child("2024-07-01");
    same_id["village_code"] = json!("14.03.01.1001");
    same_id["id"] = theirs["id"].clone();
    let refused = problem(app.register_child(&bengkalis, same_id.clone()).await, StatusCode::CONFLICT).await;
    assert!(refused.get("existing_id").is_none(), "{refused}");
    assert!(!refused["detail"].as_str().unwrap().contains("child"), "{refused}");
    // Inside the scope, the conflict names the record, so an app can reconcile.
    let mut clash = child("2024-07-01");
    clash["id"] = theirs["id"].clone();
    let named = problem(app.register_child(&kampar, clash).await, StatusCode::CONFLICT).await;
    assert_eq!(named["existing_id"], theirs["id"]);
    let mut resent = child("2024-06-01");
    resent["id"] = theirs["id"].clone();
    assert_eq!(
        app.register_child(&kampar, resent).await.status(),
        StatusCode::OK,
        "a retry is answered with the child"
    );
}

#[tokio::test]
async fn the_id_of_a_measurement_under_another_child_is_not_confirmed() {
    let app = TestApp::spawn().await;
    let kampar = app.token_for(Role::Officer, Some("14.01")).await;
    let bengkalis = app.token_for(Role::Officer, Some("14.03")).await;
    let theirs = app.child_in(&kampar, VILLAGE).await;
    let measured = app.measure_at(&kampar, &theirs, "2025-03-01", -1.0).await;
    let ours = app.child_in(&bengkalis, "14.03.01.1001").await;
    let body = |on: &str| json!({"id": measured["id"], "measured_on": on, "length_cm": 80.0, "position": "lying", "place": "posyandu"});
    // Another district's child's measurement id: a plain 409, not "a measurement", not its id.
    let refused = problem(app.measure(&bengkalis, &ours, body("2025-03-02")).await, StatusCode::CONFLICT).await;
    assert!(refused.get("existing_id").is_none(), "{refused}");
    assert!(!refused["detail"].as_str().unwrap().contains("measurement"), "{refused}");
    // The same child's: named, so an app can reconcile.
    let named = problem(app.measure(&kampar, &theirs, body("2025-03-02")).await, StatusCode::CONFLICT).await;
    assert_eq!(named["existing_id"], measured["id"]);
}
