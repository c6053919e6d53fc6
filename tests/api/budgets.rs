use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use stunting_api::demo::{KAMPAR_2024_LINES, KAMPAR_2024_REPORTED_TOTAL};
use stunting_api::domain::Role;

use crate::common::app::children::VILLAGE;
use crate::common::{TestApp, problem};

struct Kampar {
    budget: Value,
    lines: Vec<Value>,
    agency: Value,
}

/// Enters the seed document through the API, as a district officer would.
async fn enter_kampar(app: &TestApp, officer: &str) -> Kampar {
    let agency: Value = app
        .post_json(
            "/api/v1/agencies",
            Some(officer),
            &json!({
                "district_code": "14.01", "name": "Dinas P3AP2KB Kabupaten Kampar", "short_name": "DP3AP2KB",
                "sector": "family_planning"
            }),
        )
        .await
        .json()
        .await
        .unwrap();
    let response = app
        .post_json(
            "/api/v1/budgets",
            Some(officer),
            &json!({
                "region_code": "14.01", "fiscal_year": 2024, "funding_source": "dak_non_fisik_bkkbn",
                "title": "DAK Non Fisik BKKBN 2024, Kabupaten Kampar", "reported_total": KAMPAR_2024_REPORTED_TOTAL
            }),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let budget: Value = response.json().await.unwrap();
    let mut lines = Vec::new();
    for line in &KAMPAR_2024_LINES {
        let path = format!("/api/v1/budgets/{}/lines", budget["id"].as_str().unwrap());
        let body = json!({"activity": line.activity, "type_code": line.type_code, "agency_id": agency["id"],
                          "ceiling": line.ceiling, "output_value": line.output_value, "output_unit": line.output_unit});
        let response = app.post_json(&path, Some(officer), &body).await;
        assert_eq!(response.status(), StatusCode::CREATED, "{}", response.text().await.unwrap());
        lines.push(response.json().await.unwrap());
    }
    let budget = app
        .get(&format!("/api/v1/budgets/{}", budget["id"].as_str().unwrap()), Some(officer))
        .await
        .json()
        .await
        .unwrap();
    Kampar { budget, lines, agency }
}

async fn approve(app: &TestApp, token: &str, budget: &Value) -> Value {
    let path = format!("/api/v1/budgets/{}/approve", budget["id"].as_str().unwrap());
    let etag = format!("\"{}\"", budget["version"]);
    let response = app.request(Method::POST, &path, Some(token)).header("If-Match", etag).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK, "{}", response.text().await.unwrap());
    response.json().await.unwrap()
}

async fn spend(app: &TestApp, token: &str, line: &Value, body: Value) -> reqwest::Response {
    let path = format!(
        "/api/v1/budgets/{}/lines/{}/spending",
        line["budget_id"].as_str().unwrap(),
        line["id"].as_str().unwrap()
    );
    app.post_json(&path, Some(token), &body).await
}

#[tokio::test]
async fn the_kampar_document_shows_its_discrepancy() {
    let app = TestApp::spawn().await;
    let officer = app.token_for(Role::Officer, Some("14.01")).await;
    let kampar = enter_kampar(&app, &officer).await;
    let reconciliation = &kampar.budget["reconciliation"];
    assert_eq!(reconciliation["lines_total"], 4_230_900_000_i64);
    assert_eq!(reconciliation["reported_total"], 3_900_900_000_i64);
    assert_eq!(reconciliation["difference"], 330_000_000_i64);
    assert_eq!(reconciliation["has_discrepancy"], true);

    let flagged: Value = app.get("/api/v1/budgets?has_discrepancy=true", Some(&officer)).await.json().await.unwrap();
    assert_eq!(flagged["items"].as_array().unwrap().len(), 1);
    let clean: Value = app.get("/api/v1/budgets?has_discrepancy=false", Some(&officer)).await.json().await.unwrap();
    assert!(clean["items"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn an_agency_named_by_budget_lines_stays() {
    let app = TestApp::spawn().await;
    let officer = app.token_for(Role::Officer, Some("14.01")).await;
    let kampar = enter_kampar(&app, &officer).await;
    let path = format!("/api/v1/agencies/{}", kampar.agency["id"].as_str().unwrap());
    let refused = app.request(Method::DELETE, &path, Some(&officer)).header("If-Match", "\"1\"").send().await;
    let problem = problem(refused.unwrap(), StatusCode::CONFLICT).await;
    assert!(problem["detail"].as_str().unwrap().contains("budget lines"), "{problem}");
    let agencies: Value = app.get("/api/v1/agencies?district=14.01", Some(&officer)).await.json().await.unwrap();
    assert!(agencies.as_array().unwrap().iter().any(|a| a["id"] == kampar.agency["id"]), "{agencies}");
}

#[tokio::test]
async fn aggregates_break_down_by_source_agency_and_category() {
    let app = TestApp::spawn().await;
    let officer = app.token_for(Role::Officer, Some("14.01")).await;
    let kampar = enter_kampar(&app, &officer).await;
    let draft: Value = app
        .get("/api/v1/stats/budgets?region=14.01&level=district&year=2024", Some(&officer))
        .await
        .json()
        .await
        .unwrap();
    assert!(draft["rows"].as_array().unwrap().is_empty(), "drafts do not count");
    approve(&app, &officer, &kampar.budget).await;
    assert_eq!(
        spend(&app, &officer, &kampar.lines[0], json!({"amount": 1_386_000_000_i64, "spent_on": "2024-06-30"}))
            .await
            .status(),
        StatusCode::CREATED
    );
    // One stunted child in Kampar.
    let child = app.child_in(&officer, VILLAGE).await;
    app.measure_at(&officer, &child, "2025-05-01", -2.5).await;

    let analyst = app.token_for(Role::Analyst, Some("14")).await;
    let stats: Value =
        app.get("/api/v1/stats/budgets?region=14&level=district&year=2024", Some(&analyst)).await.json().await.unwrap();
    let rows = stats["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 1);
    let row = &rows[0];
    assert_eq!(row["region_code"], "14.01");
    assert_eq!(row["ceiling"], 4_230_900_000_i64);
    assert_eq!(row["realised"], 1_386_000_000_i64);
    assert_eq!(row["absorption_pct"], 32.76);
    assert_eq!(
        row["by_funding_source"],
        json!([{
            "funding_source": "dak_non_fisik_bkkbn", "ceiling": 4_230_900_000_i64, "realised": 1_386_000_000_i64,
            "absorption_pct": 32.76
        }])
    );
    assert_eq!(row["by_agency"][0]["agency_id"], kampar.agency["id"]);
    assert_eq!(row["by_agency"][0]["agency_short_name"], "DP3AP2KB");
    let category = |c: Value| {
        row["by_category"].as_array().unwrap().iter().find(|x| x["category"] == c).unwrap()["ceiling"].clone()
    };
    assert_eq!(category(json!("specific")), 2_772_000_000_i64);
    assert_eq!(category(json!("sensitive")), 630_000_000_i64);
    assert_eq!(category(Value::Null), 828_900_000_i64);
    assert_eq!(row["stunted_children"], 1);
    assert_eq!(row["realised_per_stunted_child"], 1_386_000_000_i64);
}

#[tokio::test]
async fn spending_fills_absorption_and_stops_at_the_ceiling() {
    let app = TestApp::spawn().await;
    let officer = app.token_for(Role::Officer, Some("14.01")).await;
    let kampar = enter_kampar(&app, &officer).await;
    let audit_line = &kampar.lines[2];
    let early = spend(&app, &officer, audit_line, json!({"amount": 1000, "spent_on": "2024-02-01"})).await;
    problem(early, StatusCode::CONFLICT).await;
    approve(&app, &officer, &kampar.budget).await;

    let half = spend(&app, &officer, audit_line, json!({"amount": 43_650_000, "spent_on": "2024-05-01"})).await;
    assert_eq!(half.status(), StatusCode::CREATED);
    let outcome: Value = half.json().await.unwrap();
    assert_eq!(outcome["line"]["realised"], 43_650_000);
    assert_eq!(outcome["line"]["absorption_pct"], 50.0);

    let over = spend(&app, &officer, audit_line, json!({"amount": 50_000_000, "spent_on": "2024-09-01"})).await;
    let body = problem(over, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(body["errors"][0]["field"], "amount");
    let approved = spend(
        &app,
        &officer,
        audit_line,
        json!({"amount": 50_000_000, "spent_on": "2024-09-01", "approved_overrun": true}),
    )
    .await;
    assert_eq!(approved.status(), StatusCode::CREATED);
    let path = format!(
        "/api/v1/budgets/{}/lines/{}/spending",
        kampar.budget["id"].as_str().unwrap(),
        audit_line["id"].as_str().unwrap()
    );
    let entries: Vec<Value> = app.get(&path, Some(&officer)).await.json().await.unwrap();
    assert_eq!(entries.len(), 2);
    let doc: Value = app
        .get(&format!("/api/v1/budgets/{}", kampar.budget["id"].as_str().unwrap()), Some(&officer))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(doc["realised_total"], 93_650_000);
}

#[tokio::test]
async fn approval_freezes_lines_and_a_revision_keeps_the_approved_version() {
    let app = TestApp::spawn().await;
    let officer = app.token_for(Role::Officer, Some("14.01")).await;
    let kampar = enter_kampar(&app, &officer).await;
    let approved = approve(&app, &officer, &kampar.budget).await;
    assert_eq!(approved["status"], "approved");
    let id = kampar.budget["id"].as_str().unwrap();
    let new_line = json!({"activity": "Sosialisasi", "ceiling": 10_000_000});
    problem(
        app.post_json(&format!("/api/v1/budgets/{id}/lines"), Some(&officer), &new_line).await,
        StatusCode::CONFLICT,
    )
    .await;
    let line_path = format!("/api/v1/budgets/{id}/lines/{}", kampar.lines[1]["id"].as_str().unwrap());
    problem(
        app.patch_json(&line_path, Some(&officer), Some("\"1\""), &json!({"ceiling": 1})).await,
        StatusCode::CONFLICT,
    )
    .await;

    let etag = format!("\"{}\"", approved["version"]);
    let revised = app
        .request(Method::POST, &format!("/api/v1/budgets/{id}/revise"), Some(&officer))
        .header("If-Match", etag)
        .send()
        .await
        .unwrap();
    assert_eq!(revised.status(), StatusCode::OK);
    let revised: Value = revised.json().await.unwrap();
    assert_eq!(revised["status"], "revised");
    assert_eq!(revised["revision"], 1);
    let changed = app.patch_json(&line_path, Some(&officer), Some("\"1\""), &json!({"ceiling": 100_000_000})).await;
    assert_eq!(changed.status(), StatusCode::OK);

    let history: Vec<Value> =
        app.get(&format!("/api/v1/budgets/{id}/revisions"), Some(&officer)).await.json().await.unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0]["snapshot"]["document"]["reconciliation"]["lines_total"], 4_230_900_000_i64);
    assert_eq!(history[0]["snapshot"]["lines"][1]["ceiling"], 111_600_000);
    let now: Value = app.get(&format!("/api/v1/budgets/{id}"), Some(&officer)).await.json().await.unwrap();
    assert_eq!(now["reconciliation"]["lines_total"], 4_230_900_000_i64 - 111_600_000 + 100_000_000);
    approve(&app, &officer, &now).await;
}

#[tokio::test]
async fn amounts_are_whole_non_negative_rupiah() {
    let app = TestApp::spawn().await;
    let officer = app.token_for(Role::Officer, Some("14.01")).await;
    let kampar = enter_kampar(&app, &officer).await;
    let id = kampar.budget["id"].as_str().unwrap();
    for ceiling in [json!(-1), json!(1.5), json!("100"), json!(1e30)] {
        let body = problem(
            app.post_json(
                &format!("/api/v1/budgets/{id}/lines"),
                Some(&officer),
                &json!({"activity": "x", "ceiling": ceiling}),
            )
            .await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_eq!(body["errors"][0]["field"], "ceiling", "{body}");
    }
    let bad_total = json!({
        "region_code": "14.01", "fiscal_year": 2024, "funding_source": "apbn", "title": "x", "reported_total": -5
    });
    problem(app.post_json("/api/v1/budgets", Some(&officer), &bad_total).await, StatusCode::UNPROCESSABLE_ENTITY).await;
    approve(&app, &officer, &kampar.budget).await;
    for amount in [json!(-5), json!(0.5)] {
        let body = problem(
            spend(&app, &officer, &kampar.lines[0], json!({"amount": amount, "spent_on": "2024-03-01"})).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_eq!(body["errors"][0]["field"], "amount");
    }
}

#[tokio::test]
async fn no_total_passes_the_largest_amount_and_a_refused_line_leaves_nothing() {
    let app = TestApp::spawn().await;
    let officer = app.token_for(Role::Officer, Some("14.01")).await;
    let kampar = enter_kampar(&app, &officer).await;
    let id = kampar.budget["id"].as_str().unwrap();
    let lines = format!("/api/v1/budgets/{id}/lines");
    let max = 1_000_000_000_000_000_i64;
    let total = kampar.budget["reconciliation"]["lines_total"].as_i64().unwrap();

    // Each line is a valid amount; together they would pass Rp 10^15.
    let body = problem(
        app.post_json(&lines, Some(&officer), &json!({"activity": "typo", "ceiling": max})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(body["errors"][0]["field"], "ceiling", "{body}");
    let after: Value = app.get(&format!("/api/v1/budgets/{id}"), Some(&officer)).await.json().await.unwrap();
    assert_eq!(after["reconciliation"]["lines_total"], total, "the refused line is not counted");
    assert_eq!(after["version"], kampar.budget["version"], "nothing was written");

    // Up to the cap is fine.
    let fits = json!({"activity": "the rest", "ceiling": max - total});
    assert_eq!(app.post_json(&lines, Some(&officer), &fits).await.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn if_match_any_is_not_a_version() {
    let app = TestApp::spawn().await;
    let officer = app.token_for(Role::Officer, Some("14.01")).await;
    let kampar = enter_kampar(&app, &officer).await;
    let path = format!("/api/v1/budgets/{}", kampar.budget["id"].as_str().unwrap());
    let any = app.patch_json(&path, Some(&officer), Some("*"), &json!({"title": "overwritten"})).await;
    let body = problem(any, StatusCode::PRECONDITION_REQUIRED).await;
    assert!(body["detail"].as_str().unwrap().contains("ETag"), "{body}");
    let garbled = app.patch_json(&path, Some(&officer), Some("version one"), &json!({"title": "x"})).await;
    problem(garbled, StatusCode::BAD_REQUEST).await;
}

#[tokio::test]
async fn budgets_respect_roles_and_scope() {
    let app = TestApp::spawn().await;
    let officer = app.token_for(Role::Officer, Some("14.01")).await;
    let kampar = enter_kampar(&app, &officer).await;
    let path = format!("/api/v1/budgets/{}", kampar.budget["id"].as_str().unwrap());
    let doc =
        json!({"region_code": "14.01", "fiscal_year": 2025, "funding_source": "apbd_district", "title": "APBD 2025"});

    let bengkalis = app.token_for(Role::Officer, Some("14.03")).await;
    problem(app.post_json("/api/v1/budgets", Some(&bengkalis), &doc).await, StatusCode::FORBIDDEN).await;
    problem(app.get(&path, Some(&bengkalis)).await, StatusCode::FORBIDDEN).await;
    for role in [Role::Analyst, Role::Integration] {
        let token = app.token_for(role, Some("14")).await;
        assert_eq!(app.get(&path, Some(&token)).await.status(), StatusCode::OK, "{role:?} reads");
        problem(app.post_json("/api/v1/budgets", Some(&token), &doc).await, StatusCode::FORBIDDEN).await;
    }
    let cadre = app.token_for(Role::Cadre, Some(VILLAGE)).await;
    problem(app.get(&path, Some(&cadre)).await, StatusCode::FORBIDDEN).await;
    let village_doc = json!({
        "region_code": VILLAGE, "fiscal_year": 2024, "funding_source": "dana_desa", "title": "APBDes Kumantan 2024"
    });
    let apbdes: Value = app.post_json("/api/v1/budgets", Some(&officer), &village_doc).await.json().await.unwrap();
    let cadre_view = app.get(&format!("/api/v1/budgets/{}", apbdes["id"].as_str().unwrap()), Some(&cadre)).await;
    assert_eq!(cadre_view.status(), StatusCode::OK, "a cadre reads their village's budget");
    let listed: Value = app.get("/api/v1/budgets", Some(&cadre)).await.json().await.unwrap();
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);

    let outside = json!({"activity": "x", "ceiling": 1, "village_codes": ["14.03.01.1001"]});
    let body = problem(
        app.post_json(&format!("{path}/lines"), Some(&officer), &outside).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(body["errors"][0]["field"], "village_codes[0]");
}

#[tokio::test]
async fn activities_name_the_budget_lines_that_fund_them() {
    let app = TestApp::spawn().await;
    let officer = app.token_for(Role::Officer, Some("14")).await;
    let kampar = enter_kampar(&app, &officer).await;
    let family_assistance = kampar.lines[0]["id"].clone();
    let body = json!({"type_code": "tpk_home_visit", "region_code": VILLAGE, "year": 2024, "target": 40,
                      "budget_line_ids": [family_assistance]});
    let created = app.post_json("/api/v1/interventions", Some(&officer), &body).await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let activity: Value = created.json().await.unwrap();
    assert_eq!(activity["budget_line_ids"], json!([family_assistance]));

    let unknown = json!({"type_code": "tpk_home_visit", "region_code": VILLAGE, "year": 2024, "target": 1,
                         "budget_line_ids": ["00000000-0000-7000-8000-00000000abcd"]});
    let body = problem(
        app.post_json("/api/v1/interventions", Some(&officer), &unknown).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(body["errors"][0]["field"], "budget_line_ids[0]");
    let elsewhere = json!({"type_code": "tpk_home_visit", "region_code": "14.03.01.1001", "year": 2024, "target": 1,
                           "budget_line_ids": [family_assistance]});
    problem(app.post_json("/api/v1/interventions", Some(&officer), &elsewhere).await, StatusCode::UNPROCESSABLE_ENTITY)
        .await;

    let path = format!("/api/v1/interventions/{}", activity["id"].as_str().unwrap());
    let etag = format!("\"{}\"", activity["version"]);
    let second = kampar.lines[3]["id"].clone();
    let updated: Value = app
        .patch_json(&path, Some(&officer), Some(&etag), &json!({"budget_line_ids": [second]}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(updated["budget_line_ids"], json!([second]));
    let listed: Value = app.get("/api/v1/interventions?region=14.01", Some(&officer)).await.json().await.unwrap();
    assert_eq!(listed["items"][0]["budget_line_ids"], json!([second]));
}
