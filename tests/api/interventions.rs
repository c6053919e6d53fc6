use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use stunting_api::domain::Role;

use crate::common::app::children::VILLAGE;
use crate::common::{TestApp, problem};

/// Two villages in two subdistricts of Kampar, and one in Bengkalis.
const VILLAGE_B: &str = "14.01.02.2001";
const BENGKALIS_VILLAGE: &str = "14.03.01.1001";

async fn activity(app: &TestApp, token: &str, type_code: &str, region: &str, target: i64) -> Value {
    let response = app
        .post_json(
            "/api/v1/interventions",
            Some(token),
            &json!({"type_code": type_code, "region_code": region, "year": 2024, "target": target}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED, "{}", response.text().await.unwrap());
    response.json().await.unwrap()
}

async fn report(app: &TestApp, token: &str, activity: &Value, month: &str, reached: i64) -> reqwest::Response {
    let path = format!("/api/v1/interventions/{}/reports", activity["id"].as_str().unwrap());
    app.post_json(&path, Some(token), &json!({"month": month, "reached": reached})).await
}

#[tokio::test]
async fn the_catalogue_holds_the_perpres_targets_and_only_admins_extend_it() {
    let app = TestApp::spawn().await;
    let cadre = app.token_for(Role::Cadre, Some(VILLAGE)).await;
    let types: Vec<Value> = app.get("/api/v1/intervention-types", Some(&cadre)).await.json().await.unwrap();
    assert!(types.len() >= 20);
    let ttd = types.iter().find(|t| t["code"] == "ttd_pregnant").unwrap();
    assert_eq!(ttd["national_target_pct"], 80.0);
    assert_eq!(ttd["category"], "specific");
    assert!(types.iter().any(|t| t["category"] == "sensitive" && t["code"] == "safe_drinking_water"));

    let new = json!({"code": "zinc_supplementation", "name_id": "Suplementasi zinc", "name_en": "Zinc supplementation",
                     "category": "specific", "target_group": "under_five", "unit": "persons"});
    let officer = app.token_for(Role::Officer, Some("14")).await;
    problem(app.post_json("/api/v1/intervention-types", Some(&officer), &new).await, StatusCode::FORBIDDEN).await;
    let admin = app.token_for(Role::Admin, None).await;
    assert_eq!(app.post_json("/api/v1/intervention-types", Some(&admin), &new).await.status(), StatusCode::CREATED);
    problem(app.post_json("/api/v1/intervention-types", Some(&admin), &new).await, StatusCode::CONFLICT).await;
    let half_target = json!({"national_target_pct": 50.0});
    let body = problem(
        app.patch_json("/api/v1/intervention-types/zinc_supplementation", Some(&admin), Some("\"1\""), &half_target)
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(body["errors"][0]["field"], "national_target_year");
    let target = json!({"national_target_pct": 50.0, "national_target_year": 2029});
    let updated =
        app.patch_json("/api/v1/intervention-types/zinc_supplementation", Some(&admin), Some("\"1\""), &target).await;
    assert_eq!(updated.status(), StatusCode::OK);
}

#[tokio::test]
async fn district_officers_keep_their_agencies() {
    let app = TestApp::spawn().await;
    let kampar = app.token_for(Role::Officer, Some("14.01")).await;
    let dinkes = json!({
        "district_code": "14.01", "name": "Dinas Kesehatan Kabupaten Kampar", "short_name": "Dinkes",
        "sector": "health"
    });
    let created = app.post_json("/api/v1/agencies", Some(&kampar), &dinkes).await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let agency: Value = created.json().await.unwrap();
    problem(app.post_json("/api/v1/agencies", Some(&kampar), &dinkes).await, StatusCode::CONFLICT).await;

    let bengkalis = app.token_for(Role::Officer, Some("14.03")).await;
    problem(app.post_json("/api/v1/agencies", Some(&bengkalis), &dinkes).await, StatusCode::FORBIDDEN).await;
    let cadre = app.token_for(Role::Cadre, Some(VILLAGE)).await;
    problem(app.post_json("/api/v1/agencies", Some(&cadre), &dinkes).await, StatusCode::FORBIDDEN).await;
    let listed: Vec<Value> = app.get("/api/v1/agencies", Some(&cadre)).await.json().await.unwrap();
    assert_eq!(listed.len(), 1, "a cadre reads their district's agencies");
    problem(app.get("/api/v1/agencies?district=14.03", Some(&cadre)).await, StatusCode::FORBIDDEN).await;
    problem(app.get("/api/v1/agencies?district=14.03.01", Some(&bengkalis)).await, StatusCode::UNPROCESSABLE_ENTITY)
        .await;

    let mut with_agency = json!({"type_code": "growth_monitoring", "region_code": VILLAGE, "year": 2024, "target": 10});
    with_agency["agency_id"] = agency["id"].clone();
    assert_eq!(app.post_json("/api/v1/interventions", Some(&kampar), &with_agency).await.status(), StatusCode::CREATED);
    activity(&app, &kampar, "basic_immunisation", VILLAGE, 10).await;
    // The agency's action plan: only its own activities.
    let plan: Value = app
        .get(&format!("/api/v1/interventions?agency_id={}", agency["id"].as_str().unwrap()), Some(&kampar))
        .await
        .json()
        .await
        .unwrap();
    let types: Vec<&Value> = plan["items"].as_array().unwrap().iter().map(|a| &a["type_code"]).collect();
    assert_eq!(types, [&json!("growth_monitoring")]);
    let path = format!("/api/v1/agencies/{}", agency["id"].as_str().unwrap());
    let in_use = app.request(Method::DELETE, &path, Some(&kampar)).header("If-Match", "\"1\"").send().await.unwrap();
    problem(in_use, StatusCode::CONFLICT).await;

    // Spaces alone are no name (they were trimmed to "" and broke the table's check: a 500).
    let mut blank = dinkes.clone();
    blank["name"] = json!(" \u{3000} ");
    blank["short_name"] = json!("Bappeda");
    let refused =
        problem(app.post_json("/api/v1/agencies", Some(&kampar), &blank).await, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(refused["errors"][0]["field"], "name", "{refused}");
    let renamed = app.patch_json(&path, Some(&kampar), Some("\"1\""), &json!({"short_name": "\t"})).await;
    let refused = problem(renamed, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(refused["errors"][0]["field"], "short_name", "{refused}");
}

#[tokio::test]
async fn activities_are_planned_by_officers_inside_their_scope() {
    let app = TestApp::spawn().await;
    let officer = app.token_for(Role::Officer, Some("14.01")).await;
    let planned = activity(&app, &officer, "growth_monitoring", VILLAGE, 120).await;
    assert_eq!(planned["period_start"], "2024-01-01");
    assert_eq!(planned["period_end"], "2024-12-31");
    assert_eq!(planned["reached"], 0);
    assert_eq!(planned["coverage_pct"], 0.0);
    assert_eq!(planned["national_target_pct"], 90.0);

    let cadre = app.token_for(Role::Cadre, Some(VILLAGE)).await;
    let body = json!({"type_code": "growth_monitoring", "region_code": VILLAGE, "year": 2024, "target": 5});
    problem(app.post_json("/api/v1/interventions", Some(&cadre), &body).await, StatusCode::FORBIDDEN).await;
    let elsewhere =
        json!({"type_code": "growth_monitoring", "region_code": BENGKALIS_VILLAGE, "year": 2024, "target": 5});
    problem(app.post_json("/api/v1/interventions", Some(&officer), &elsewhere).await, StatusCode::FORBIDDEN).await;

    for (body, field) in [
        (json!({"type_code": "growth_monitoring", "region_code": VILLAGE, "year": 2024, "target": -1}), "target"),
        (json!({"type_code": "levitation", "region_code": VILLAGE, "year": 2024, "target": 1}), "type_code"),
        (
            json!({
                "type_code": "growth_monitoring", "region_code": VILLAGE, "period_start": "2024-06-01",
                "period_end": "2024-01-01", "target": 1
            }),
            "period_end",
        ),
        (json!({"type_code": "growth_monitoring", "region_code": VILLAGE, "target": 1}), "period_start"),
        (json!({"type_code": "growth_monitoring", "region_code": "14.1", "year": 2024, "target": 1}), "region_code"),
    ] {
        let response = app.post_json("/api/v1/interventions", Some(&officer), &body).await;
        let problem_body = problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(problem_body["errors"][0]["field"], field, "{problem_body}");
    }

    // Reads: the cadre sees their village's activity and district-wide ones, analysts too.
    activity(&app, &officer, "safe_drinking_water", "14.01", 5000).await;
    let seen: Value = app.get("/api/v1/interventions", Some(&cadre)).await.json().await.unwrap();
    assert_eq!(seen["items"].as_array().unwrap().len(), 2);
    let analyst = app.token_for(Role::Analyst, Some("14.01")).await;
    let seen: Value = app.get("/api/v1/interventions?category=sensitive", Some(&analyst)).await.json().await.unwrap();
    assert_eq!(seen["items"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn monthly_reports_add_up_and_corrections_keep_history() {
    let app = TestApp::spawn().await;
    let officer = app.token_for(Role::Officer, Some("14.01")).await;
    let planned = activity(&app, &officer, "growth_monitoring", VILLAGE, 120).await;
    let cadre = app.token_for(Role::Cadre, Some(VILLAGE)).await;

    for (month, reached) in [("2024-01", 30), ("2024-02", 36), ("2024-03", 30)] {
        assert_eq!(report(&app, &cadre, &planned, month, reached).await.status(), StatusCode::CREATED);
    }
    let path = format!("/api/v1/interventions/{}", planned["id"].as_str().unwrap());
    let now: Value = app.get(&path, Some(&cadre)).await.json().await.unwrap();
    assert_eq!(now["reached"], 96);
    assert_eq!(now["coverage_pct"], 80.0);
    assert_eq!(now["gap_pct"], 10.0);

    let twice = report(&app, &cadre, &planned, "2024-02", 40).await;
    let body = problem(twice, StatusCode::CONFLICT).await;
    assert!(body["detail"].as_str().unwrap().contains("correction"));
    let correction = app
        .post_json(
            &format!("{path}/reports"),
            Some(&cadre),
            &json!({"month": "2024-02", "reached": 40, "correction": true}),
        )
        .await;
    assert_eq!(correction.status(), StatusCode::CREATED);
    let outcome: Value = correction.json().await.unwrap();
    assert_eq!(outcome["intervention"]["reached"], 100);
    let reports: Vec<Value> = app.get(&format!("{path}/reports"), Some(&cadre)).await.json().await.unwrap();
    let february: Vec<&Value> = reports.iter().filter(|r| r["month"] == "2024-02").collect();
    assert_eq!(february.len(), 2);
    assert!(february.iter().any(|r| r["reached"] == 36 && r["superseded_at"].is_string()));

    for (month, reached, field) in [("2023-12", 5, "month"), ("2025-01", 5, "month"), ("2024-04", -5, "reached")] {
        let body =
            problem(report(&app, &cadre, &planned, month, reached).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(body["errors"][0]["field"], field);
    }
    let analyst = app.token_for(Role::Analyst, Some("14.01")).await;
    problem(report(&app, &analyst, &planned, "2024-04", 5).await, StatusCode::FORBIDDEN).await;
    let other_cadre = app.token_for(Role::Cadre, Some(VILLAGE_B)).await;
    problem(report(&app, &other_cadre, &planned, "2024-04", 5).await, StatusCode::FORBIDDEN).await;
}

#[tokio::test]
async fn shrinking_the_period_cannot_orphan_reports() {
    let app = TestApp::spawn().await;
    let officer = app.token_for(Role::Officer, Some("14.01")).await;
    let planned = activity(&app, &officer, "growth_monitoring", VILLAGE, 120).await;
    report(&app, &officer, &planned, "2024-11", 10).await;
    let path = format!("/api/v1/interventions/{}", planned["id"].as_str().unwrap());
    let current: Value = app.get(&path, Some(&officer)).await.json().await.unwrap();
    let etag = format!("\"{}\"", current["version"]);
    let shrink = app.patch_json(&path, Some(&officer), Some(&etag), &json!({"period_end": "2024-06-30"})).await;
    problem(shrink, StatusCode::UNPROCESSABLE_ENTITY).await;
    let retarget = app.patch_json(&path, Some(&officer), Some(&etag), &json!({"target": 200})).await;
    assert_eq!(retarget.status(), StatusCode::OK);
}

#[tokio::test]
async fn village_reports_add_up_to_subdistricts_and_the_district() {
    let app = TestApp::spawn().await;
    let officer = app.token_for(Role::Officer, Some("14")).await;
    let a = activity(&app, &officer, "growth_monitoring", VILLAGE, 100).await;
    let b = activity(&app, &officer, "growth_monitoring", VILLAGE_B, 50).await;
    let c = activity(&app, &officer, "growth_monitoring", BENGKALIS_VILLAGE, 80).await;
    let district_wide = activity(&app, &officer, "safe_drinking_water", "14.01", 1000).await;
    report(&app, &officer, &a, "2024-03", 60).await;
    report(&app, &officer, &a, "2024-04", 30).await;
    report(&app, &officer, &b, "2024-03", 20).await;
    report(&app, &officer, &c, "2024-03", 80).await;
    report(&app, &officer, &district_wide, "2024-05", 400).await;
    // A 2025 activity and a report outside the asked period do not count.
    let next_year = app
        .post_json(
            "/api/v1/interventions",
            Some(&officer),
            &json!({"type_code": "growth_monitoring", "region_code": VILLAGE, "year": 2025, "target": 999}),
        )
        .await;
    assert_eq!(next_year.status(), StatusCode::CREATED);

    let analyst = app.token_for(Role::Analyst, Some("14.01")).await;
    let stats: Value = app.get("/api/v1/stats/interventions?year=2024", Some(&analyst)).await.json().await.unwrap();
    assert_eq!(stats["region_code"], "14.01");
    assert_eq!(stats["level"], "subdistrict");
    let specific = stats["categories"].as_array().unwrap().iter().find(|c| c["category"] == "specific").unwrap();
    let rows = specific["rows"].as_array().unwrap();
    let row = |code: &str| {
        rows.iter().find(|r| r["region_code"] == code && r["type_code"] == "growth_monitoring").unwrap().clone()
    };
    assert_eq!((row("14.01.01")["target"].as_i64(), row("14.01.01")["reached"].as_i64()), (Some(100), Some(90)));
    assert_eq!(row("14.01.01")["coverage_pct"], 90.0);
    assert_eq!(row("14.01.01")["gap_pct"], 0.0);
    assert_eq!((row("14.01.02")["target"].as_i64(), row("14.01.02")["reached"].as_i64()), (Some(50), Some(20)));
    assert!(rows.iter().all(|r| r["region_code"].as_str().unwrap().starts_with("14.01")), "Bengkalis stays out");
    let total = specific["totals"].as_array().unwrap().iter().find(|t| t["type_code"] == "growth_monitoring").unwrap();
    assert_eq!((total["target"].as_i64(), total["reached"].as_i64()), (Some(150), Some(110)));
    assert_eq!(total["coverage_pct"], 73.33);

    let sensitive = stats["categories"].as_array().unwrap().iter().find(|c| c["category"] == "sensitive").unwrap();
    let water = &sensitive["rows"][0];
    assert_eq!(water["region_code"], "14.01");
    assert_eq!(water["region_level"], "district", "a district-wide activity keeps its own row");
    assert_eq!(water["reached"], 400);

    let riau: Value = app
        .get("/api/v1/stats/interventions?region=14&level=district&year=2024", Some(&officer))
        .await
        .json()
        .await
        .unwrap();
    let riau_specific =
        riau["categories"].as_array().unwrap().iter().find(|c| c["category"] == "specific").unwrap().clone();
    let kampar =
        riau_specific["rows"].as_array().unwrap().iter().find(|r| r["region_code"] == "14.01").unwrap().clone();
    assert_eq!(
        (kampar["target"].as_i64(), kampar["reached"].as_i64()),
        (Some(150), Some(110)),
        "the district adds its villages"
    );
    let q1: Value = app
        .get("/api/v1/stats/interventions?region=14&level=district&from=2024-03&to=2024-03", Some(&officer))
        .await
        .json()
        .await
        .unwrap();
    let q1_specific =
        q1["categories"].as_array().unwrap().iter().find(|c| c["category"] == "specific").unwrap().clone();
    let kampar_march =
        q1_specific["rows"].as_array().unwrap().iter().find(|r| r["region_code"] == "14.01").unwrap().clone();
    assert_eq!(kampar_march["reached"], 80, "only March's reports");

    problem(app.get("/api/v1/stats/interventions?region=14.03&year=2024", Some(&analyst)).await, StatusCode::FORBIDDEN)
        .await;
    problem(
        app.get("/api/v1/stats/interventions?level=province&year=2024", Some(&analyst)).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    problem(app.get("/api/v1/stats/interventions", Some(&analyst)).await, StatusCode::UNPROCESSABLE_ENTITY).await;
}

#[tokio::test]
async fn services_fit_the_child_and_show_on_the_case() {
    let app = TestApp::spawn().await;
    let cadre = app.token_for(Role::Cadre, Some(VILLAGE)).await;
    let child = app.child_in(&cadre, VILLAGE).await;
    app.measure_at(&cadre, &child, "2025-05-01", -2.5).await;
    let path = format!("/api/v1/children/{}/services", child["id"].as_str().unwrap());

    let before = app.post_json(&path, Some(&cadre), &json!({"type_code": "vitamin_a", "given_on": "2025-02-01"})).await;
    assert_eq!(before.status(), StatusCode::CREATED);
    let food = json!({
        "id": "5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d", "type_code": "pmt_undernourished_children",
        "given_on": "2025-05-10", "given_by": "Kader Melati"
    });
    assert_eq!(app.post_json(&path, Some(&cadre), &food).await.status(), StatusCode::CREATED);
    assert_eq!(app.post_json(&path, Some(&cadre), &food).await.status(), StatusCode::OK, "a retry records once");

    for (body, field) in [
        (json!({"type_code": "ttd_pregnant", "given_on": "2025-05-10"}), "type_code"),
        (json!({"type_code": "exclusive_breastfeeding", "given_on": "2026-09-01"}), "type_code"),
        (json!({"type_code": "vitamin_a", "given_on": "2024-01-01"}), "given_on"),
        (json!({"type_code": "nothing", "given_on": "2025-05-10"}), "type_code"),
    ] {
        let body = problem(app.post_json(&path, Some(&cadre), &body).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(body["errors"][0]["field"], field, "{body}");
    }
    let officer = app.token_for(Role::Officer, Some("14.01")).await;
    let water = activity(&app, &officer, "safe_drinking_water", VILLAGE, 10).await;
    let wrong_activity = json!({"type_code": "vitamin_a", "given_on": "2024-08-01", "intervention_id": water["id"]});
    problem(app.post_json(&path, Some(&cadre), &wrong_activity).await, StatusCode::UNPROCESSABLE_ENTITY).await;

    let analyst = app.token_for(Role::Analyst, Some("14.01")).await;
    problem(app.get(&path, Some(&analyst)).await, StatusCode::FORBIDDEN).await;
    let all: Vec<Value> = app.get(&path, Some(&cadre)).await.json().await.unwrap();
    assert_eq!(all.len(), 2);

    let case = app.cases_of(&officer, &child, None).await.remove(0);
    let detail: Value =
        app.get(&format!("/api/v1/cases/{}", case["id"].as_str().unwrap()), Some(&officer)).await.json().await.unwrap();
    let since: Vec<&str> =
        detail["services_since_opened"].as_array().unwrap().iter().map(|s| s["type_code"].as_str().unwrap()).collect();
    assert_eq!(since, ["pmt_undernourished_children"], "the February vitamin A came before the case");
}
