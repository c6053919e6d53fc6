//! The first 1,000 days, part one: the people of the pathway, a child's mother, and the catin
//! screening with its versioned thresholds.

use reqwest::StatusCode;
use serde_json::{Value, json};
use stunting_api::domain::Role;

use crate::common::app::children::{OTHER_VILLAGE, VILLAGE};
use crate::common::{TestApp, problem};

const NIK: &str = "1401014903040002";

fn woman(birth_date: &str) -> Value {
    json!({"village_code": VILLAGE, "sex": "female", "birth_date": birth_date, "name": "Nurhayati"})
}

async fn register(app: &TestApp, token: &str, body: Value) -> Value {
    let response = app.post_json("/api/v1/people", Some(token), &body).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    response.json().await.unwrap()
}

fn id(record: &Value) -> &str {
    record["id"].as_str().unwrap()
}

async fn screen(app: &TestApp, token: &str, person: &Value, body: Value) -> reqwest::Response {
    app.post_json(&format!("/api/v1/people/{}/screenings", id(person)), Some(token), &body).await
}

#[tokio::test]
async fn a_cadre_registers_a_woman_a_retry_finds_her_and_her_nik_is_never_shown() {
    let app = TestApp::spawn().await;
    let cadre = app.token_for(Role::Cadre, Some(VILLAGE)).await;
    let body = json!({"id": "0192b7a4-7777-7000-8000-000000000001", "village_code": VILLAGE, "sex": "female",
                      "birth_date": "2004-03-09", "name": "Nurhayati", "nik": NIK});
    let response = app.post_json("/api/v1/people", Some(&cadre), &body).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(response.headers()["etag"], "\"1\"");
    let text = response.text().await.unwrap();
    assert!(!text.contains(NIK), "{text}");
    let created: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(created["has_nik"], true);

    // The same person again is the stored one; another under her id, or her NIK under
    // another id, is a 409 naming her.
    let again = app.post_json("/api/v1/people", Some(&cadre), &body).await;
    assert_eq!(again.status(), StatusCode::OK);
    let mut other = body.clone();
    other["name"] = json!("Someone Else");
    let clash = problem(app.post_json("/api/v1/people", Some(&cadre), &other).await, StatusCode::CONFLICT).await;
    assert_eq!(clash["existing_id"], created["id"]);
    let mut twin = body.clone();
    twin["id"] = json!("0192b7a4-7777-7000-8000-000000000002");
    let clash = problem(app.post_json("/api/v1/people", Some(&cadre), &twin).await, StatusCode::CONFLICT).await;
    assert_eq!(clash["existing_id"], created["id"]);
    assert_eq!(app.count("SELECT count(*) FROM people").await, 1);

    let trail = app.audit_trail(id(&created)).await;
    assert_eq!(trail.iter().filter(|(action, _)| action == "person.create").count(), 1);
    assert!(trail.iter().all(|(_, details)| !details.to_string().contains("Nurhayati")), "{trail:?}");
}

#[tokio::test]
async fn people_are_personal_data_kept_inside_the_scope_and_away_from_dashboards() {
    let app = TestApp::spawn().await;
    let officer = app.token_for(Role::Officer, Some("14.03")).await;
    let theirs = register(
        &app,
        &officer,
        json!({"village_code": OTHER_VILLAGE, "sex": "female",
        "birth_date": "2001-01-01", "name": "Outside Kampar"}),
    )
    .await;
    let cadre = app.token_for(Role::Cadre, Some(VILLAGE)).await;
    let path = format!("/api/v1/people/{}", id(&theirs));
    problem(app.get(&path, Some(&cadre)).await, StatusCode::FORBIDDEN).await;
    problem(app.get(&format!("{path}/screenings"), Some(&cadre)).await, StatusCode::FORBIDDEN).await;
    let mut elsewhere = woman("2001-01-01");
    elsewhere["village_code"] = json!(OTHER_VILLAGE);
    problem(app.post_json("/api/v1/people", Some(&cadre), &elsewhere).await, StatusCode::FORBIDDEN).await;
    let page: Value = app.get("/api/v1/people", Some(&cadre)).await.json().await.unwrap();
    assert!(page["items"].as_array().unwrap().is_empty());

    let analyst = app.token_for(Role::Analyst, None).await;
    for path in ["/api/v1/people".to_owned(), path.clone(), format!("{path}/screenings")] {
        problem(app.get(&path, Some(&analyst)).await, StatusCode::FORBIDDEN).await;
    }
    problem(app.post_json("/api/v1/people", Some(&analyst), &woman("2001-01-01")).await, StatusCode::FORBIDDEN).await;
}

#[tokio::test]
async fn a_correction_needs_the_version_read_and_a_removal_a_reason_and_an_integration_cannot_remove() {
    let app = TestApp::spawn().await;
    let officer = app.token_for(Role::Officer, Some("14.01")).await;
    let person = register(&app, &officer, woman("2003-05-05")).await;
    let path = format!("/api/v1/people/{}", id(&person));
    let rename = json!({"name": "Nurhayati Binti Ahmad"});
    problem(app.patch_json(&path, Some(&officer), Some("\"7\""), &rename).await, StatusCode::PRECONDITION_FAILED).await;
    let changed = app.patch_json(&path, Some(&officer), Some("\"1\""), &rename).await;
    assert_eq!(changed.status(), StatusCode::OK);
    assert_eq!(changed.headers()["etag"], "\"2\"");
    let bad = json!({"birth_date": "1899-12-31"});
    let refused =
        problem(app.patch_json(&path, Some(&officer), Some("\"2\""), &bad).await, StatusCode::UNPROCESSABLE_ENTITY)
            .await;
    assert!(refused.to_string().contains("birth_date"), "{refused}");

    let integration = app.token_for(Role::Integration, Some("14.01")).await;
    let reason = json!({"reason": "registered twice"});
    problem(app.delete_json(&path, Some(&integration), Some("\"2\""), &reason).await, StatusCode::FORBIDDEN).await;
    let removed = app.delete_json(&path, Some(&officer), Some("\"2\""), &reason).await;
    assert_eq!(removed.status(), StatusCode::NO_CONTENT);
    problem(app.get(&path, Some(&officer)).await, StatusCode::NOT_FOUND).await;
}

#[tokio::test]
async fn a_child_names_its_mother_only_as_a_living_woman_the_caller_may_read() {
    let app = TestApp::spawn().await;
    let officer = app.token_for(Role::Officer, Some("14.01")).await;
    let mother = register(&app, &officer, woman("2000-02-02")).await;
    let child = json!({"village_code": VILLAGE, "sex": "male", "birth_date": "2025-01-15", "name": "Rizki",
                       "mother_id": id(&mother)});
    let created = app.register_child(&officer, child.clone()).await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let created: Value = created.json().await.unwrap();
    assert_eq!(created["mother_id"], mother["id"]);

    let man = register(
        &app,
        &officer,
        json!({"village_code": VILLAGE, "sex": "male", "birth_date": "1999-09-09",
        "name": "Ahmad"}),
    )
    .await;
    let child_path = format!("/api/v1/children/{}", id(&created));
    let relink = json!({"mother_id": id(&man)});
    let refused = problem(
        app.patch_json(&child_path, Some(&officer), Some("\"1\""), &relink).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert!(refused.to_string().contains("mother_id"), "{refused}");

    let outsider = app.token_for(Role::Officer, Some("14.03")).await;
    let far = register(
        &app,
        &outsider,
        json!({"village_code": OTHER_VILLAGE, "sex": "female",
        "birth_date": "1998-08-08", "name": "Far Away"}),
    )
    .await;
    let mut theirs = child.clone();
    theirs["mother_id"] = far["id"].clone();
    problem(app.register_child(&officer, theirs).await, StatusCode::UNPROCESSABLE_ENTITY).await;

    let unlinked = app.patch_json(&child_path, Some(&officer), Some("\"1\""), &json!({"mother_id": null})).await;
    assert_eq!(unlinked.status(), StatusCode::OK);
    assert_eq!(unlinked.json::<Value>().await.unwrap()["mother_id"], Value::Null);
}

/// Every risk factor at its threshold's edge, through HTTP: "below" is strict, age and LiLA are
/// judged for women, haemoglobin by sex, and what was not measured raises nothing.
#[tokio::test]
async fn the_server_derives_each_risk_factor_at_its_edge() {
    let app = TestApp::spawn().await;
    let cadre = app.token_for(Role::Cadre, Some(VILLAGE)).await;
    // Born 2005-06-15: 19 on 2025-06-14, 20 the day after.
    let her = register(&app, &cadre, woman("2005-06-15")).await;
    let him = register(
        &app,
        &cadre,
        json!({"village_code": VILLAGE, "sex": "male", "birth_date": "2007-01-01",
        "name": "Budi"}),
    )
    .await;
    let cases = [
        (&her, json!({"screened_on": "2025-06-14"}), vec!["too_young"]),
        (&her, json!({"screened_on": "2025-06-15"}), vec![]),
        // 155 cm and 44.0 kg is a BMI of 18.3; 44.5 kg is 18.5.
        (&her, json!({"screened_on": "2025-06-15", "height_cm": 155.0, "weight_kg": 44.0}), vec!["underweight"]),
        (&her, json!({"screened_on": "2025-06-15", "height_cm": 155.0, "weight_kg": 44.5}), vec![]),
        (&her, json!({"screened_on": "2025-06-15", "muac_cm": 23.4}), vec!["kek"]),
        (&her, json!({"screened_on": "2025-06-15", "muac_cm": 23.5}), vec![]),
        (&her, json!({"screened_on": "2025-06-15", "hb_g_dl": 11.9}), vec!["anaemia"]),
        (&her, json!({"screened_on": "2025-06-15", "hb_g_dl": 12.0}), vec![]),
        (&her, json!({"screened_on": "2025-06-15", "smoke_exposed": true}), vec!["smoke"]),
        // A man of 18: no age or LiLA factor; anaemia below 13.
        (&him, json!({"screened_on": "2025-06-15", "muac_cm": 20.0, "hb_g_dl": 12.9}), vec!["anaemia"]),
        (&him, json!({"screened_on": "2025-06-15", "hb_g_dl": 13.0}), vec![]),
    ];
    for (person, body, expected) in cases {
        let response = screen(&app, &cadre, person, body.clone()).await;
        assert_eq!(response.status(), StatusCode::CREATED, "{body}");
        let screening: Value = response.json().await.unwrap();
        assert_eq!(screening["risk_factors"], json!(expected), "{body}");
        assert_eq!(screening["at_risk"], json!(!expected.is_empty()), "{body}");
        assert_eq!(screening["thresholds_version"], 1);
    }
    let listed: Value =
        app.get(&format!("/api/v1/people/{}/screenings", id(&her)), Some(&cadre)).await.json().await.unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 9);
    assert_eq!(listed[2]["bmi"], 18.3);
    assert_eq!(listed[0]["age_years"], 19);
}

#[tokio::test]
async fn a_screening_refuses_what_does_not_fit_the_person() {
    let app = TestApp::spawn().await;
    let cadre = app.token_for(Role::Cadre, Some(VILLAGE)).await;
    let her = register(&app, &cadre, woman("2005-06-15")).await;
    for (body, field) in [
        (json!({"screened_on": "2999-01-01"}), "screened_on"),
        (json!({"screened_on": "2005-01-01"}), "screened_on"),
        (json!({"screened_on": "2012-01-01"}), "screened_on"),
        (json!({"screened_on": "2025-06-15", "wedding_planned_on": "2025-06-01"}), "wedding_planned_on"),
        (json!({"screened_on": "2025-06-15", "hb_g_dl": 2.0}), "hb_g_dl"),
        (json!({"screened_on": "2025-06-15", "muac_cm": 70.0}), "muac_cm"),
    ] {
        let refused = problem(screen(&app, &cadre, &her, body.clone()).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert!(refused.to_string().contains(field), "{body}: {refused}");
    }
    assert_eq!(app.count("SELECT count(*) FROM catin_screenings").await, 0);
}

/// A new version of the thresholds judges new screenings; an old verdict stays as it was.
#[tokio::test]
async fn a_new_threshold_judges_what_comes_after_and_rewrites_nothing_before() {
    let app = TestApp::spawn().await;
    let cadre = app.token_for(Role::Cadre, Some(VILLAGE)).await;
    let her = register(&app, &cadre, woman("2000-01-01")).await;
    let body = json!({"id": "0192b7a4-8888-7000-8000-000000000001", "screened_on": "2025-03-01", "hb_g_dl": 11.5});
    let first: Value = screen(&app, &cadre, &her, body.clone()).await.json().await.unwrap();
    assert_eq!(first["risk_factors"], json!(["anaemia"]));

    let admin = app.token_for(Role::Admin, None).await;
    let officer = app.token_for(Role::Officer, None).await;
    let lower = json!({"min_age_women": 20, "max_age_women": 35, "min_bmi": 18.5, "min_muac_cm": 23.5,
                       "min_hb_women": 11.0, "min_hb_men": 13.0, "source": "Elsimil training module 2024"});
    problem(
        app.put_json("/api/v1/catin-thresholds", Some(&officer), Some("\"1\""), &lower).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    let mut backwards = lower.clone();
    backwards["min_age_women"] = json!(30);
    backwards["max_age_women"] = json!(30);
    problem(
        app.put_json("/api/v1/catin-thresholds", Some(&admin), Some("\"1\""), &backwards).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    let set = app.put_json("/api/v1/catin-thresholds", Some(&admin), Some("\"1\""), &lower).await;
    assert_eq!(set.status(), StatusCode::OK);
    assert_eq!(set.headers()["etag"], "\"2\"");
    problem(
        app.put_json("/api/v1/catin-thresholds", Some(&admin), Some("\"1\""), &lower).await,
        StatusCode::PRECONDITION_FAILED,
    )
    .await;

    // A retry of the first screening is still the first, judged as it was.
    let retried = screen(&app, &cadre, &her, body).await;
    assert_eq!(retried.status(), StatusCode::OK);
    let retried: Value = retried.json().await.unwrap();
    assert_eq!(
        (retried["thresholds_version"].clone(), retried["risk_factors"].clone()),
        (json!(1), json!(["anaemia"]))
    );
    let second: Value =
        screen(&app, &cadre, &her, json!({"screened_on": "2025-04-01", "hb_g_dl": 11.5})).await.json().await.unwrap();
    assert_eq!((second["thresholds_version"].clone(), second["at_risk"].clone()), (json!(2), json!(false)));

    let versions = app.get("/api/v1/catin-thresholds", Some(&cadre)).await;
    assert_eq!(versions.headers()["etag"], "\"2\"");
    let versions: Value = versions.json().await.unwrap();
    assert_eq!(versions[1]["source"], "Elsimil training module 2024");
    assert_eq!(versions[0]["min_hb_women"], 12.0);
}

#[tokio::test]
async fn a_voided_screening_stays_on_record_and_every_write_reaches_the_change_feed() {
    let app = TestApp::spawn().await;
    let cadre = app.token_for(Role::Cadre, Some(VILLAGE)).await;
    let her = register(&app, &cadre, woman("2000-01-01")).await;
    let screening: Value =
        screen(&app, &cadre, &her, json!({"screened_on": "2025-03-01", "smokes": true})).await.json().await.unwrap();
    let path = format!("/api/v1/people/{}/screenings/{}", id(&her), id(&screening));
    let reason = json!({"reason": "entered for the wrong person"});
    let voided = app.delete_json(&path, Some(&cadre), None, &reason).await;
    assert_eq!(voided.status(), StatusCode::OK);
    assert_eq!(voided.json::<Value>().await.unwrap()["voided_reason"], "entered for the wrong person");
    problem(app.delete_json(&path, Some(&cadre), None, &reason).await, StatusCode::CONFLICT).await;

    let list = format!("/api/v1/people/{}/screenings", id(&her));
    let living: Value = app.get(&list, Some(&cadre)).await.json().await.unwrap();
    assert!(living.as_array().unwrap().is_empty());
    let all: Value = app.get(&format!("{list}?include_voided=true"), Some(&cadre)).await.json().await.unwrap();
    assert_eq!(all.as_array().unwrap().len(), 1);

    let ours = |c: &&Value| c["id"] == her["id"] || c["id"] == screening["id"];
    let (feed, _) =
        crate::changes::drain_until(&app, &cadre, None, 100, |items| items.iter().filter(ours).count() >= 3).await;
    let seen: Vec<(String, bool)> = feed
        .iter()
        .filter(ours)
        .map(|c| (c["entity"].as_str().unwrap().to_owned(), c["removed"].as_bool().unwrap()))
        .collect();
    assert_eq!(
        seen,
        vec![("person".to_owned(), false), ("catin_screening".to_owned(), false), ("catin_screening".to_owned(), true)]
    );
}

/// A person who moves takes her screenings along: they are counted and synced where she lives.
#[tokio::test]
async fn a_move_takes_her_screenings_to_her_new_village() {
    let app = TestApp::spawn().await;
    let officer = app.token_for(Role::Officer, Some("14.01")).await;
    let her = register(&app, &officer, woman("2000-01-01")).await;
    let screening: Value =
        screen(&app, &officer, &her, json!({"screened_on": "2025-03-01"})).await.json().await.unwrap();
    let moved = json!({"village_code": "14.01.01.2010"});
    let path = format!("/api/v1/people/{}", id(&her));
    assert_eq!(app.patch_json(&path, Some(&officer), Some("\"1\""), &moved).await.status(), StatusCode::OK);
    let sql = format!(
        "SELECT count(*) FROM catin_screenings WHERE id = '{}' AND village_code = '14.01.01.2010'",
        id(&screening)
    );
    assert_eq!(app.count(&sql).await, 1);
    // The old village's cadre no longer reaches her; the new one's does.
    let old = app.token_for(Role::Cadre, Some(VILLAGE)).await;
    problem(app.get(&path, Some(&old)).await, StatusCode::FORBIDDEN).await;
    let new = app.token_for(Role::Cadre, Some("14.01.01.2010")).await;
    assert_eq!(app.get(&format!("{path}/screenings"), Some(&new)).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_catin_carries_her_planned_wedding_which_must_follow_her_birth() {
    let app = TestApp::spawn().await;
    let cadre = app.token_for(Role::Cadre, Some(VILLAGE)).await;
    let mut body = woman("2004-03-09");
    body["wedding_planned_on"] = json!("2026-06-14");
    let her = register(&app, &cadre, body.clone()).await;
    assert_eq!(her["wedding_planned_on"], "2026-06-14");
    let path = format!("/api/v1/people/{}", id(&her));
    let moved = app.patch_json(&path, Some(&cadre), Some("\"1\""), &json!({"wedding_planned_on": "2026-07-01"})).await;
    assert_eq!(moved.status(), StatusCode::OK);
    let off: Value = app
        .patch_json(&path, Some(&cadre), Some("\"2\""), &json!({"wedding_planned_on": null}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!((off["wedding_planned_on"].clone(), off["version"].clone()), (json!(null), json!(3)));
    let audit = app.audit_trail(id(&her)).await;
    assert!(audit.iter().all(|(_, entry)| !entry.to_string().contains("2026-0")), "no date in the trail: {audit:?}");

    body["wedding_planned_on"] = json!("2004-03-09");
    let refused =
        problem(app.post_json("/api/v1/people", Some(&cadre), &body).await, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(refused["errors"][0]["field"], "wedding_planned_on");
    let early = json!({"wedding_planned_on": "2003-01-01"});
    let refused =
        problem(app.patch_json(&path, Some(&cadre), Some("\"3\""), &early).await, StatusCode::UNPROCESSABLE_ENTITY)
            .await;
    assert_eq!(refused["errors"][0]["field"], "wedding_planned_on");
}
