//! The TPK's assistance visits: to whom, by which team, at which stage of the pathway, and
//! carried to an offline app by the change feed.

use reqwest::StatusCode;
use serde_json::{Value, json};
use stunting_api::domain::Role;

use crate::changes::drain_until;
use crate::common::app::children::VILLAGE;
use crate::common::{TestApp, created, problem};

const OTHER_KAMPAR_VILLAGE: &str = "14.01.02.2001";

fn id(record: &Value) -> &str {
    record["id"].as_str().unwrap()
}

async fn record(app: &TestApp, token: &str, body: &Value) -> reqwest::Response {
    app.post_json("/api/v1/tpk-visits", Some(token), body).await
}

#[tokio::test]
async fn a_visit_takes_her_stage_from_her_records_on_the_day() {
    let app = TestApp::spawn().await;
    let officer = app.token_for(Role::Officer, Some("14.01")).await;
    let cadre = app.token_for(Role::Cadre, Some(VILLAGE)).await;
    let team = app.tpk_in(&officer, VILLAGE).await;
    let her = json!({"village_code": VILLAGE, "sex": "female", "birth_date": "2000-02-02", "name": "Nurhayati"});
    let her = created(app.post_json("/api/v1/people", Some(&cadre), &her).await).await;
    let path = format!("/api/v1/people/{}/pregnancies", id(&her));
    let pregnancy = created(app.post_json(&path, Some(&cadre), &json!({"lmp_on": "2025-01-06"})).await).await;
    let baby = "0192b7a4-dddd-7000-8000-000000000009";
    let birth = json!({"outcome": "live_birth", "ended_on": "2025-10-10", "babies": [
        {"id": baby, "name": "Bayi", "sex": "female", "birth_weight_g": 3000, "birth_length_cm": 49.0}]});
    let outcome = format!("/api/v1/pregnancies/{}/outcome", id(&pregnancy));
    created(app.post_json(&outcome, Some(&cadre), &birth).await).await;

    let visit = |on: &str| {
        json!({"team_id": team["id"], "person_id": her["id"], "visited_on": on, "counselling": true,
               "findings": "  LiLA 22.5 cm  ", "next_visit_on": "2027-01-01"})
    };
    let stages =
        [("2024-12-01", "catin"), ("2025-01-06", "pregnant"), ("2025-10-10", "postpartum"), ("2025-11-22", "catin")];
    for (on, stage) in stages {
        let stored = created(record(&app, &cadre, &visit(on)).await).await;
        assert_eq!((&stored["stage"], &stored["village_code"]), (&json!(stage), &json!(VILLAGE)), "{on}");
        assert_eq!(stored["findings"], "LiLA 22.5 cm");
    }
    let to_baby = json!({"team_id": team["id"], "child_id": baby, "visited_on": "2025-12-01",
                         "exclusive_breastfeeding": true, "referral": true});
    let stored = created(record(&app, &cadre, &to_baby).await).await;
    assert_eq!(
        (&stored["stage"], &stored["referral"], &stored["counselling"]),
        (&json!("child_under_two"), &json!(true), &json!(false))
    );

    let mut too_old = to_baby.clone();
    too_old["visited_on"] = json!("2026-06-01");
    let refused = problem(record(&app, &cadre, &too_old).await, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(refused["errors"][0]["field"], "exclusive_breastfeeding", "past six months");
    too_old["exclusive_breastfeeding"] = Value::Null;
    created(record(&app, &cadre, &too_old).await).await;
    let mut catin_breastfeeding = visit("2024-12-01");
    catin_breastfeeding["exclusive_breastfeeding"] = json!(true);
    problem(record(&app, &cadre, &catin_breastfeeding).await, StatusCode::UNPROCESSABLE_ENTITY).await;

    let page: Value = app
        .get(&format!("/api/v1/tpk-visits?person_id={}&from=2025-01-01", id(&her)), Some(&cadre))
        .await
        .json()
        .await
        .unwrap();
    let days: Vec<&Value> = page["items"].as_array().unwrap().iter().map(|v| &v["visited_on"]).collect();
    assert_eq!(days, [&json!("2025-01-06"), &json!("2025-10-10"), &json!("2025-11-22")]);
}

#[tokio::test]
async fn only_an_active_tpk_of_her_village_visits_her_and_every_field_is_checked() {
    let app = TestApp::spawn().await;
    let officer = app.token_for(Role::Officer, Some("14.01")).await;
    let team = app.tpk_in(&officer, VILLAGE).await;
    let elsewhere = app.tpk_in(&officer, OTHER_KAMPAR_VILLAGE).await;
    let child = app.child_in(&officer, VILLAGE).await;
    let her = json!({"village_code": VILLAGE, "sex": "female", "birth_date": "2000-02-02", "name": "Nurhayati"});
    let her = created(app.post_json("/api/v1/people", Some(&officer), &her).await).await;
    let good = json!({"team_id": team["id"], "person_id": her["id"], "visited_on": "2025-03-10"});
    let with = |field: &str, value: Value| {
        let mut body = good.clone();
        body[field] = value;
        body
    };
    let checks = [
        (with("team_id", elsewhere["id"].clone()), "team_id"),
        (with("team_id", json!(uuid::Uuid::now_v7())), "team_id"),
        (with("child_id", child["id"].clone()), "person_id"),
        (with("next_visit_on", json!("2025-03-10")), "next_visit_on"),
        (with("visited_on", json!("2099-01-01")), "visited_on"),
        (with("findings", json!("x".repeat(2001))), "findings"),
    ];
    for (body, field) in checks {
        let refused = problem(record(&app, &officer, &body).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(refused["errors"][0]["field"], field, "{body}");
    }
    // A child born 2024-06-01 is two on 2026-06-01.
    let old = json!({"team_id": team["id"], "child_id": child["id"], "visited_on": "2026-06-01"});
    let refused = problem(record(&app, &officer, &old).await, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(refused["errors"][0]["field"], "child_id");

    let inactive = app
        .patch_json(&format!("/api/v1/teams/{}", id(&team)), Some(&officer), Some("\"1\""), &json!({"active": false}))
        .await;
    assert_eq!(inactive.status(), StatusCode::OK);
    let refused = problem(record(&app, &officer, &good).await, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert!(refused.to_string().contains("not active"), "{refused}");
    assert_eq!(app.count("SELECT count(*) FROM tpk_visits").await, 0);
}

#[tokio::test]
async fn visits_are_personal_data_retried_safely_voided_with_a_reason_and_synced_with_tombstones() {
    let app = TestApp::spawn().await;
    let officer = app.token_for(Role::Officer, Some("14.01")).await;
    let cadre = app.token_for(Role::Cadre, Some(VILLAGE)).await;
    let team = app.tpk_in(&officer, VILLAGE).await;
    let child = app.child_in(&cadre, VILLAGE).await;
    let body = json!({"id": "0192b7a4-cccc-7000-8000-000000000001", "team_id": team["id"], "child_id": child["id"],
                      "visited_on": "2025-03-10", "social_assistance": true});
    let stored = created(record(&app, &cadre, &body).await).await;
    assert_eq!(record(&app, &cadre, &body).await.status(), StatusCode::OK, "a retry");
    let mut other = body.clone();
    other["social_assistance"] = json!(false);
    problem(record(&app, &cadre, &other).await, StatusCode::CONFLICT).await;

    let path = format!("/api/v1/tpk-visits/{}", id(&stored));
    let analyst = app.token_for(Role::Analyst, Some("14.01")).await;
    let outsider = app.token_for(Role::Cadre, Some(OTHER_KAMPAR_VILLAGE)).await;
    for token in [&analyst, &outsider] {
        problem(app.get(&path, Some(token)).await, StatusCode::FORBIDDEN).await;
        problem(record(&app, token, &body).await, StatusCode::FORBIDDEN).await;
    }
    problem(app.get("/api/v1/tpk-visits", Some(&analyst)).await, StatusCode::FORBIDDEN).await;
    let theirs: Value = app.get("/api/v1/tpk-visits", Some(&outsider)).await.json().await.unwrap();
    assert!(theirs["items"].as_array().unwrap().is_empty());

    let reason = json!({"reason": "visited another child"});
    let voided = app.delete_json(&path, Some(&cadre), None, &reason).await;
    assert_eq!(voided.status(), StatusCode::OK);
    problem(app.delete_json(&path, Some(&cadre), None, &reason).await, StatusCode::CONFLICT).await;
    let listed: Value = app.get("/api/v1/tpk-visits", Some(&cadre)).await.json().await.unwrap();
    assert!(listed["items"].as_array().unwrap().is_empty(), "a voided visit leaves the list");
    let shown: Value = app.get(&path, Some(&cadre)).await.json().await.unwrap();
    assert_eq!(shown["voided_reason"], "visited another child");

    let tombstone = |items: &[Value]| items.iter().any(|i| i["entity"] == "tpk_visit" && i["removed"] == true);
    let (items, _) = drain_until(&app, &cadre, None, 100, tombstone).await;
    let mine: Vec<&Value> = items.iter().filter(|i| i["id"] == stored["id"]).collect();
    assert_eq!(mine.len(), 2, "written, then voided: {items:?}");
    assert_eq!((&mine[0]["removed"], &mine[1]["removed"]), (&json!(false), &json!(true)));
    let trail = app.audit_trail(id(&stored)).await;
    let actions: Vec<&str> = trail.iter().map(|(action, _)| action.as_str()).collect();
    assert_eq!(actions, ["tpk_visit.create", "tpk_visit.void"]);
}
