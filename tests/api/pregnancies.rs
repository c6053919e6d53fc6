//! The first 1,000 days, part two: a pregnancy from HPHT through its antenatal visits to the
//! outcome that registers the child, and the postpartum visits after.

use reqwest::StatusCode;
use serde_json::{Value, json};
use stunting_api::domain::Role;

use crate::common::app::children::VILLAGE;
use crate::common::{TestApp, created, problem};

const LMP: &str = "2025-01-06";

fn id(record: &Value) -> &str {
    record["id"].as_str().unwrap()
}

async fn woman(app: &TestApp, token: &str, sex: &str) -> Value {
    let body = json!({"village_code": VILLAGE, "sex": sex, "birth_date": "2000-02-02", "name": "Nurhayati"});
    created(app.post_json("/api/v1/people", Some(token), &body).await).await
}

async fn open(app: &TestApp, token: &str, person: &Value, lmp: &str) -> reqwest::Response {
    let path = format!("/api/v1/people/{}/pregnancies", id(person));
    app.post_json(&path, Some(token), &json!({"lmp_on": lmp})).await
}

async fn visit(app: &TestApp, token: &str, pregnancy: &Value, body: Value) -> reqwest::Response {
    app.post_json(&format!("/api/v1/pregnancies/{}/anc-visits", id(pregnancy)), Some(token), &body).await
}

async fn end(app: &TestApp, token: &str, pregnancy: &Value, body: Value) -> reqwest::Response {
    app.post_json(&format!("/api/v1/pregnancies/{}/outcome", id(pregnancy)), Some(token), &body).await
}

async fn pregnancy(app: &TestApp, token: &str, pregnancy: &Value) -> Value {
    app.get(&format!("/api/v1/pregnancies/{}", id(pregnancy)), Some(token)).await.json().await.unwrap()
}

/// The six contacts of K6 (weeks 8 and 11, 20, 28, 32 and 36 after HPHT 2025-01-06), two by a
/// doctor, 30 iron tablets each.
const K6: [(&str, &str); 6] = [
    ("2025-03-03", "doctor"),
    ("2025-03-24", "midwife"),
    ("2025-05-26", "midwife"),
    ("2025-07-21", "doctor"),
    ("2025-08-18", "midwife"),
    ("2025-09-15", "midwife"),
];

#[tokio::test]
async fn a_pregnancy_runs_from_hpht_through_k6_to_a_live_birth_that_registers_the_child() {
    let app = TestApp::spawn().await;
    let cadre = app.token_for(Role::Cadre, Some(VILLAGE)).await;
    let mother = woman(&app, &cadre, "female").await;
    let opened = created(open(&app, &cadre, &mother, LMP).await).await;
    assert_eq!(opened["due_on"], "2025-10-13", "HPHT + 280 days");
    assert_eq!(opened["anc"]["k1"], false);

    for (i, (on, examiner)) in K6.iter().enumerate() {
        let mut body = json!({"visited_on": on, "examiner": examiner, "iron_tablets": 30});
        if i == 0 {
            body = json!({"visited_on": on, "examiner": examiner, "iron_tablets": 30, "muac_cm": 23.4,
                          "hb_g_dl": 10.9, "supplementary_food": true});
        }
        let stored = created(visit(&app, &cadre, &opened, body).await).await;
        assert_eq!(stored["contact"], i + 1);
        assert_eq!(stored["iron_tablets_total"], 30 * (i + 1));
    }
    let visits: Value =
        app.get(&format!("/api/v1/pregnancies/{}/anc-visits", id(&opened)), Some(&cadre)).await.json().await.unwrap();
    let trimesters: Vec<i64> = visits.as_array().unwrap().iter().map(|v| v["trimester"].as_i64().unwrap()).collect();
    assert_eq!(trimesters, [1, 1, 2, 3, 3, 3]);
    assert_eq!((&visits[0]["kek"], &visits[0]["anaemia"]), (&json!(true), &json!(true)), "23.4 cm and 10.9 g/dL");
    assert_eq!(visits[1]["kek"], Value::Null, "LiLA not measured");

    let progress = pregnancy(&app, &cadre, &opened).await["anc"].clone();
    assert_eq!(
        progress,
        json!({"contacts": 6, "first_trimester": 2, "second_trimester": 1, "third_trimester": 3, "by_doctor": 2,
               "k1": true, "k4": true, "k6": true, "iron_tablets": 180, "iron_tablets_complete": true,
               "kek": true, "anaemia": true, "last_visit_on": "2025-09-15"})
    );

    let baby_id = "0192b7a4-dddd-7000-8000-000000000001";
    let birth = json!({"outcome": "live_birth", "ended_on": "2025-10-10", "babies": [
        {"id": baby_id, "name": "Bayi Ny. Nurhayati", "sex": "female", "birth_weight_g": 2499, "birth_length_cm": 47.9}]});
    let ended = created(end(&app, &cadre, &opened, birth.clone()).await).await;
    assert_eq!(ended["outcome"], "live_birth");
    assert_eq!(ended["gestational_weeks"], 39);
    assert_eq!(
        ended["babies"],
        json!([{"child_id": baby_id, "birth_weight_g": 2499, "birth_length_cm": 47.9,
                "low_birth_weight": true, "short_at_birth": true}])
    );
    let child: Value = app.get(&format!("/api/v1/children/{baby_id}"), Some(&cadre)).await.json().await.unwrap();
    assert_eq!(
        (&child["mother_id"], &child["birth_date"], &child["village_code"], &child["mother_name"]),
        (&mother["id"], &json!("2025-10-10"), &json!(VILLAGE), &json!("Nurhayati"))
    );

    // The same outcome again is the stored one; another is refused, and so is a visit now.
    let again = end(&app, &cadre, &opened, birth).await;
    assert_eq!(again.status(), StatusCode::OK);
    let other = json!({"outcome": "stillbirth", "ended_on": "2025-10-10"});
    problem(end(&app, &cadre, &opened, other).await, StatusCode::CONFLICT).await;
    let late = json!({"visited_on": "2025-10-11", "examiner": "midwife"});
    problem(visit(&app, &cadre, &opened, late).await, StatusCode::CONFLICT).await;
    assert_eq!(app.count("SELECT count(*) FROM children").await, 1);

    let trail = app.audit_trail(id(&opened)).await;
    let actions: Vec<&str> = trail.iter().map(|(action, _)| action.as_str()).collect();
    assert_eq!(actions, ["pregnancy.create", "pregnancy.outcome"]);
    assert!(trail.iter().all(|(_, details)| !details.to_string().contains("Nurhayati")), "{trail:?}");
    assert_eq!(app.audit_trail(baby_id).await[0].0, "child.create");
}

#[tokio::test]
async fn visits_come_in_date_order_a_retry_is_the_stored_visit_and_a_void_recounts() {
    let app = TestApp::spawn().await;
    let cadre = app.token_for(Role::Cadre, Some(VILLAGE)).await;
    let mother = woman(&app, &cadre, "female").await;
    let opened = created(open(&app, &cadre, &mother, LMP).await).await;
    let first = json!({"id": "0192b7a4-aaaa-7000-8000-000000000001", "visited_on": "2025-03-03",
                       "examiner": "doctor", "iron_tablets": 30});
    let stored = created(visit(&app, &cadre, &opened, first.clone()).await).await;
    assert_eq!(visit(&app, &cadre, &opened, first.clone()).await.status(), StatusCode::OK, "a retry");
    let mut changed = first.clone();
    changed["iron_tablets"] = json!(60);
    problem(visit(&app, &cadre, &opened, changed).await, StatusCode::CONFLICT).await;
    created(visit(&app, &cadre, &opened, json!({"visited_on": "2025-05-26", "examiner": "midwife"})).await).await;

    for (on, why) in [("2025-04-01", "before the pregnancy's last visit"), ("2025-01-05", "before HPHT")] {
        let refused = problem(
            visit(&app, &cadre, &opened, json!({"visited_on": on, "examiner": "midwife"})).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_eq!(refused["errors"][0]["field"], "visited_on");
        assert!(refused.to_string().contains(why), "{refused}");
    }
    let future = json!({"visited_on": "2099-01-01", "examiner": "midwife"});
    problem(visit(&app, &cadre, &opened, future).await, StatusCode::UNPROCESSABLE_ENTITY).await;
    let bad = json!({"visited_on": "2025-06-01", "examiner": "shaman", "hb_g_dl": 2.0});
    problem(visit(&app, &cadre, &opened, bad).await, StatusCode::UNPROCESSABLE_ENTITY).await;

    let path = format!("/api/v1/pregnancies/{}/anc-visits/{}", id(&opened), id(&stored));
    let reason = json!({"reason": "entered for the wrong woman"});
    let voided = app.delete_json(&path, Some(&cadre), None, &reason).await;
    assert_eq!(voided.status(), StatusCode::OK);
    problem(app.delete_json(&path, Some(&cadre), None, &reason).await, StatusCode::CONFLICT).await;
    let anc = pregnancy(&app, &cadre, &opened).await["anc"].clone();
    assert_eq!((&anc["contacts"], &anc["first_trimester"], &anc["iron_tablets"]), (&json!(1), &json!(0), &json!(0)));
    let all: Value = app
        .get(&format!("/api/v1/pregnancies/{}/anc-visits?include_voided=true", id(&opened)), Some(&cadre))
        .await
        .json()
        .await
        .unwrap();
    let contacts: Vec<&Value> = all.as_array().unwrap().iter().map(|v| &v["contact"]).collect();
    assert_eq!(contacts, [&Value::Null, &json!(1)], "the voided visit takes no number");
}

#[tokio::test]
async fn one_open_pregnancy_per_woman_and_each_outcome_fits_its_weeks() {
    let app = TestApp::spawn().await;
    let officer = app.token_for(Role::Officer, Some("14.01")).await;
    let mother = woman(&app, &officer, "female").await;
    let man = woman(&app, &officer, "male").await;
    let refused = problem(open(&app, &officer, &man, LMP).await, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(refused["errors"][0]["field"], "person_id");
    problem(open(&app, &officer, &mother, "2099-01-01").await, StatusCode::UNPROCESSABLE_ENTITY).await;
    problem(open(&app, &officer, &mother, "2005-01-01").await, StatusCode::UNPROCESSABLE_ENTITY).await;

    let first = created(open(&app, &officer, &mother, LMP).await).await;
    let twice = problem(open(&app, &officer, &mother, "2025-02-01").await, StatusCode::CONFLICT).await;
    assert_eq!(twice["existing_id"], first["id"]);

    // 23 weeks after HPHT: a loss is a stillbirth, never a miscarriage; no babies but for a birth.
    let checks = [
        (json!({"outcome": "miscarriage", "ended_on": "2025-06-16"}), "outcome"),
        (json!({"outcome": "stillbirth", "ended_on": "2025-03-03"}), "outcome"),
        (json!({"outcome": "live_birth", "ended_on": "2025-10-10"}), "babies"),
        (
            json!({"outcome": "live_birth", "ended_on": "2024-12-31", "babies": [
            {"name": "Bayi", "sex": "male", "birth_weight_g": 3000, "birth_length_cm": 50.0}]}),
            "ended_on",
        ),
        (
            json!({"outcome": "stillbirth", "ended_on": "2025-10-10", "babies": [
            {"name": "Bayi", "sex": "male", "birth_weight_g": 3000, "birth_length_cm": 50.0}]}),
            "babies",
        ),
    ];
    for (body, field) in checks {
        let refused = problem(end(&app, &officer, &first, body.clone()).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(refused["errors"][0]["field"], field, "{body}");
    }
    created(end(&app, &officer, &first, json!({"outcome": "miscarriage", "ended_on": "2025-03-03"})).await).await;
    let overlapping =
        problem(open(&app, &officer, &mother, "2025-03-01").await, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(overlapping["errors"][0]["field"], "lmp_on");
    let next = created(open(&app, &officer, &mother, "2025-05-01").await).await;
    let listed: Value =
        app.get(&format!("/api/v1/people/{}/pregnancies", id(&mother)), Some(&officer)).await.json().await.unwrap();
    let ids: Vec<&Value> = listed.as_array().unwrap().iter().map(|p| &p["id"]).collect();
    assert_eq!(ids, [&first["id"], &next["id"]]);
    assert_eq!(app.count("SELECT count(*) FROM children").await, 0, "a miscarriage registers no child");
}

#[tokio::test]
async fn postpartum_visits_take_their_kf_from_the_days_since_the_delivery() {
    let app = TestApp::spawn().await;
    let cadre = app.token_for(Role::Cadre, Some(VILLAGE)).await;
    let mother = woman(&app, &cadre, "female").await;
    let opened = created(open(&app, &cadre, &mother, LMP).await).await;
    let path = format!("/api/v1/pregnancies/{}/postpartum-visits", id(&opened));
    let kf1 = json!({"visited_on": "2025-10-11", "examiner": "midwife", "exclusive_breastfeeding": true});
    problem(app.post_json(&path, Some(&cadre), &kf1).await, StatusCode::CONFLICT).await;
    let birth = json!({"outcome": "live_birth", "ended_on": "2025-10-10", "babies": [
        {"name": "Bayi", "sex": "male", "birth_weight_g": 3100, "birth_length_cm": 49.0}]});
    let ended = created(end(&app, &cadre, &opened, birth).await).await;
    assert_eq!(ended["babies"][0]["low_birth_weight"], false);
    assert_eq!(ended["postpartum"], json!({"kf_done": [], "kf_complete": false, "contraception": null}));

    let days = [("2025-10-11", 1), ("2025-10-13", 2), ("2025-10-20", 3), ("2025-11-21", 4)];
    for (on, kf) in days {
        let body = json!({"visited_on": on, "examiner": "midwife", "contraception": "implant"});
        let stored = created(app.post_json(&path, Some(&cadre), &body).await).await;
        assert_eq!(stored["kf"], kf, "{on}");
    }
    let late = json!({"visited_on": "2025-11-22", "examiner": "midwife"});
    let refused = problem(app.post_json(&path, Some(&cadre), &late).await, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert!(refused.to_string().contains("43 days"), "{refused}");
    let postpartum = pregnancy(&app, &cadre, &opened).await["postpartum"].clone();
    assert_eq!(postpartum, json!({"kf_done": [1, 2, 3, 4], "kf_complete": true, "contraception": "implant"}));

    let listed: Value = app.get(&path, Some(&cadre)).await.json().await.unwrap();
    let kf2 = format!("{path}/{}", id(&listed[1]));
    let voided = app.delete_json(&kf2, Some(&cadre), None, &json!({"reason": "another mother's visit"})).await;
    assert_eq!(voided.status(), StatusCode::OK);
    let postpartum = pregnancy(&app, &cadre, &opened).await["postpartum"].clone();
    assert_eq!((&postpartum["kf_done"], &postpartum["kf_complete"]), (&json!([1, 3, 4]), &json!(false)));
}

#[tokio::test]
async fn a_corrected_hpht_needs_the_version_read_and_moves_the_trimesters() {
    let app = TestApp::spawn().await;
    let officer = app.token_for(Role::Officer, Some("14.01")).await;
    let mother = woman(&app, &officer, "female").await;
    let opened = created(open(&app, &officer, &mother, LMP).await).await;
    // Week 12 after 2025-01-06: the first trimester; after a HPHT four weeks earlier, the second.
    created(visit(&app, &officer, &opened, json!({"visited_on": "2025-03-31", "examiner": "midwife"})).await).await;
    let path = format!("/api/v1/pregnancies/{}", id(&opened));
    let earlier = json!({"lmp_on": "2024-12-09"});
    problem(app.patch_json(&path, Some(&officer), Some("\"5\""), &earlier).await, StatusCode::PRECONDITION_FAILED)
        .await;
    let corrected = app.patch_json(&path, Some(&officer), Some("\"1\""), &earlier).await;
    assert_eq!(corrected.status(), StatusCode::OK);
    let corrected: Value = corrected.json().await.unwrap();
    assert_eq!((&corrected["due_on"], &corrected["version"]), (&json!("2025-09-15"), &json!(2)));
    assert_eq!((&corrected["anc"]["first_trimester"], &corrected["anc"]["second_trimester"]), (&json!(0), &json!(1)));
    let after_visit = json!({"lmp_on": "2025-04-01"});
    let refused = problem(
        app.patch_json(&path, Some(&officer), Some("\"2\""), &after_visit).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert!(refused.to_string().contains("after her visit"), "{refused}");

    let reason = json!({"reason": "entered twice"});
    let removed = app.delete_json(&path, Some(&officer), Some("\"2\""), &reason).await;
    assert_eq!(removed.status(), StatusCode::NO_CONTENT);
    problem(app.get(&path, Some(&officer)).await, StatusCode::NOT_FOUND).await;
    created(open(&app, &officer, &mother, LMP).await).await;
}

#[tokio::test]
async fn pregnancies_are_personal_data_and_move_with_the_woman() {
    let app = TestApp::spawn().await;
    let officer = app.token_for(Role::Officer, Some("14.01")).await;
    let mother = woman(&app, &officer, "female").await;
    let opened = created(open(&app, &officer, &mother, LMP).await).await;
    created(visit(&app, &officer, &opened, json!({"visited_on": "2025-03-03", "examiner": "doctor"})).await).await;
    let path = format!("/api/v1/pregnancies/{}", id(&opened));

    let analyst = app.token_for(Role::Analyst, Some("14.01")).await;
    let elsewhere = app.token_for(Role::Cadre, Some("14.01.02.2001")).await;
    for token in [&analyst, &elsewhere] {
        problem(app.get(&path, Some(token)).await, StatusCode::FORBIDDEN).await;
        problem(app.get(&format!("{path}/anc-visits"), Some(token)).await, StatusCode::FORBIDDEN).await;
        let body = json!({"visited_on": "2025-04-01", "examiner": "midwife"});
        problem(visit(&app, token, &opened, body).await, StatusCode::FORBIDDEN).await;
    }

    let moved = "14.01.02.2001";
    let person = format!("/api/v1/people/{}", id(&mother));
    let response = app.patch_json(&person, Some(&officer), Some("\"1\""), &json!({"village_code": moved})).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(pregnancy(&app, &officer, &opened).await["village_code"], moved);
    let visit_village = app
        .count(&format!(
            "SELECT count(*) FROM anc_visits WHERE village_code = '{moved}' AND pregnancy_id = '{}'",
            id(&opened)
        ))
        .await;
    assert_eq!(visit_village, 1, "her visits moved with her");
    let there = app.get(&path, Some(&elsewhere)).await;
    assert_eq!(there.status(), StatusCode::OK, "her new village's cadre cares for her now");
}

#[tokio::test]
async fn the_continuum_joins_her_screening_pregnancy_visits_tpk_and_child_with_its_growth() {
    let app = TestApp::spawn().await;
    let officer = app.token_for(Role::Officer, Some("14.01")).await;
    let cadre = app.token_for(Role::Cadre, Some(VILLAGE)).await;
    let mother = woman(&app, &cadre, "female").await;
    let screening = json!({"screened_on": "2024-10-01", "muac_cm": 22.0});
    created(app.post_json(&format!("/api/v1/people/{}/screenings", id(&mother)), Some(&cadre), &screening).await).await;
    let team = app.tpk_in(&officer, VILLAGE).await;
    let tpk =
        json!({"team_id": team["id"], "person_id": mother["id"], "visited_on": "2024-10-02", "counselling": true});
    created(app.post_json("/api/v1/tpk-visits", Some(&cadre), &tpk).await).await;
    let opened = created(open(&app, &cadre, &mother, LMP).await).await;
    for (on, examiner) in K6 {
        let body = json!({"visited_on": on, "examiner": examiner, "muac_cm": 22.9, "iron_tablets": 10});
        created(visit(&app, &cadre, &opened, body).await).await;
    }
    let baby = "0192b7a4-dddd-7000-8000-000000000002";
    let birth = json!({"outcome": "live_birth", "ended_on": "2025-10-10", "babies": [
        {"id": baby, "name": "Bayi", "sex": "male", "birth_weight_g": 3300, "birth_length_cm": 50.5}]});
    created(end(&app, &cadre, &opened, birth).await).await;
    let weighing = json!({"measured_on": "2025-11-10", "length_cm": 54.0, "weight_kg": 4.4, "position": "lying",
                          "place": "posyandu"});
    created(app.post_json(&format!("/api/v1/children/{baby}/measurements"), Some(&cadre), &weighing).await).await;

    let path = format!("/api/v1/people/{}/continuum", id(&mother));
    let continuum: Value = app.get(&path, Some(&cadre)).await.json().await.unwrap();
    assert_eq!(continuum["person"]["id"], mother["id"]);
    assert_eq!(continuum["screenings"][0]["risk_factors"], json!(["kek"]));
    assert_eq!(continuum["tpk_visits"][0]["stage"], "catin");
    let history = &continuum["pregnancies"][0];
    assert_eq!(history["anc_visits"].as_array().unwrap().len(), 6);
    assert_eq!((&history["pregnancy"]["anc"]["k6"], &history["pregnancy"]["anc"]["kek"]), (&json!(true), &json!(true)));
    let child = &continuum["children"][0];
    assert_eq!((&child["child"]["id"], &child["birth"]["birth_weight_g"]), (&json!(baby), &json!(3300)));
    assert_eq!(child["measurements"], 1);
    assert_eq!(child["latest_measurement"]["measured_on"], "2025-11-10");
    assert!(child["latest_measurement"]["length_for_age"]["z"].is_number(), "{child}");

    // From the child, the mother's pregnancy at a glance.
    let born: Value = app.get(&format!("/api/v1/children/{baby}/birth"), Some(&cadre)).await.json().await.unwrap();
    assert_eq!((&born["pregnancy"]["id"], &born["pregnancy"]["anc"]["iron_tablets"]), (&opened["id"], &json!(60)));
    assert_eq!(born["birth"]["low_birth_weight"], false);
    let analyst = app.token_for(Role::Analyst, Some("14.01")).await;
    problem(app.get(&path, Some(&analyst)).await, StatusCode::FORBIDDEN).await;
    problem(app.get(&format!("/api/v1/children/{baby}/birth"), Some(&analyst)).await, StatusCode::FORBIDDEN).await;
}
