//! `GET /regions/{code}/summary`: every tile agrees with the stats endpoint it summarises.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use stunting_api::domain::Role;

use crate::common::app::children::VILLAGE;
use crate::common::{TestApp, problem};

/// The Kampar total of a stats answer for 2024.
async fn stats_total(app: &TestApp, token: &str, path: &str) -> Value {
    let answer = app.get(path, Some(token)).await;
    assert_eq!(answer.status(), StatusCode::OK, "{path}");
    answer.json().await.unwrap()
}

#[tokio::test]
async fn a_region_summary_holds_every_tile_and_each_agrees_with_its_drill_down() {
    let app = TestApp::spawn().await;
    let officer = app.token_for(Role::Officer, Some("14.01")).await;
    for z in [-2.5, -1.0, -3.4] {
        let child = app.child_in(&officer, VILLAGE).await;
        app.measure_at(&officer, &child, "2024-10-01", z).await;
    }
    app.tpk_in(&officer, VILLAGE).await;
    let figure = json!({"stunted_count": 679});
    let path = "/api/v1/survey-figures/14.01/2023/e_ppgbm";
    assert_eq!(app.put_json(path, Some(&officer), Some("\"0\""), &figure).await.status(), StatusCode::OK);
    let lokus =
        json!({"decision": "Rembuk Stunting", "decided_on": "2024-01-01", "villages": [{"village_code": VILLAGE}]});
    assert_eq!(app.put_json("/api/v1/lokus/14.01/2024", Some(&officer), Some("\"0\""), &lokus).await.status(), 200);
    let budget = json!({"region_code": "14.01", "fiscal_year": 2024, "funding_source": "apbd_district",
                        "title": "APBD 2024 stunting"});
    let budget: Value = app.post_json("/api/v1/budgets", Some(&officer), &budget).await.json().await.unwrap();
    let lines = format!("/api/v1/budgets/{}/lines", budget["id"].as_str().unwrap());
    let line = json!({"activity": "PMT lokal", "type_code": "pmt_pregnant_kek", "ceiling": 50_000_000});
    assert_eq!(app.post_json(&lines, Some(&officer), &line).await.status(), StatusCode::CREATED);
    let approve = format!("/api/v1/budgets/{}/approve", budget["id"].as_str().unwrap());
    let approved =
        app.request(Method::POST, &approve, Some(&officer)).header("If-Match", "\"2\"").send().await.unwrap();
    assert_eq!(approved.status(), StatusCode::OK, "{}", approved.text().await.unwrap());
    let woman = json!({"village_code": VILLAGE, "sex": "female", "birth_date": "2000-01-01", "name": "Nurhayati"});
    let woman: Value = app.post_json("/api/v1/people", Some(&officer), &woman).await.json().await.unwrap();
    let screenings = format!("/api/v1/people/{}/screenings", woman["id"].as_str().unwrap());
    let anaemic = json!({"screened_on": "2024-05-05", "hb_g_dl": 10.0});
    assert_eq!(app.post_json(&screenings, Some(&officer), &anaemic).await.status(), StatusCode::CREATED);

    let response = app.get("/api/v1/regions/14.01/summary?year=2024", Some(&officer)).await;
    assert_eq!(response.status(), StatusCode::OK);
    let etag = response.headers()["etag"].to_str().unwrap().to_owned();
    let summary: Value = response.json().await.unwrap();
    assert_eq!((summary["region_name"].as_str(), summary["year"].as_i64()), (Some("Kabupaten Kampar"), Some(2024)));

    let prevalence = &summary["prevalence"];
    assert_eq!(
        (prevalence["measured"]["measured"].as_i64(), prevalence["measured"]["stunted"].as_i64()),
        (Some(3), Some(2))
    );
    let stats = stats_total(&app, &officer, "/api/v1/stats/prevalence?year=2024").await;
    assert_eq!(prevalence["measured"], stats["total"]);
    let trend: Vec<&str> =
        prevalence["trend"].as_array().unwrap().iter().map(|r| r["period_start"].as_str().unwrap()).collect();
    assert_eq!(trend, ["2020-01-01", "2021-01-01", "2022-01-01", "2023-01-01", "2024-01-01"]);
    assert_eq!(prevalence["reported"][0]["stunted_count"], 679, "the reported series beside the measured one");
    assert!(prevalence["target"]["stunting_pct"].is_number(), "the national target applies: {prevalence}");

    let cases = stats_total(&app, &officer, "/api/v1/stats/cases?year=2024").await;
    assert_eq!(summary["cases"], cases["totals"][0]);
    assert_eq!(summary["cases"]["open"], 2);

    let coverage = stats_total(&app, &officer, "/api/v1/stats/interventions?year=2024").await;
    for (tile, group) in summary["coverage"].as_array().unwrap().iter().zip(coverage["categories"].as_array().unwrap())
    {
        assert_eq!((&tile["category"], &tile["totals"]), (&group["category"], &group["totals"]));
    }
    let budgets = stats_total(&app, &officer, "/api/v1/stats/budgets?year=2024").await;
    let ceiling: i64 = budgets["rows"].as_array().unwrap().iter().map(|r| r["ceiling"].as_i64().unwrap()).sum();
    assert_eq!((summary["budget"]["ceiling"].as_i64(), ceiling), (Some(50_000_000), 50_000_000));
    let teams = stats_total(&app, &officer, "/api/v1/stats/teams").await;
    assert_eq!(summary["teams"], teams["total"]);
    assert_eq!(summary["lokus_villages"], 1);
    let pathway = stats_total(&app, &officer, "/api/v1/stats/pathway?year=2024").await;
    let tile = &summary["first_1000_days"]["indicators"];
    assert_eq!(tile, &pathway["totals"][0]["indicators"]);
    assert_eq!((&tile[0]["indicator"], &tile[0]["numerator"]), (&json!("catin_at_risk"), &json!(1)), "{tile}");
    assert_eq!(summary["convergence"]["districts"], 1, "Kampar is one district");

    let again = app
        .request(Method::GET, "/api/v1/regions/14.01/summary?year=2024", Some(&officer))
        .header("If-None-Match", &etag);
    assert_eq!(again.send().await.unwrap().status(), StatusCode::NOT_MODIFIED);

    // Analysts may ask; the rules of each tile hold (small counts withheld below district).
    let analyst = app.token_for(Role::Analyst, Some("14.01")).await;
    let village: Value =
        app.get(&format!("/api/v1/regions/{VILLAGE}/summary?year=2024"), Some(&analyst)).await.json().await.unwrap();
    assert_eq!(village["prevalence"]["measured"]["suppressed"], true, "{village}");
    assert!(village["prevalence"]["measured"]["stunted"].is_null());

    problem(app.get("/api/v1/regions/14.03/summary?year=2024", Some(&officer)).await, StatusCode::FORBIDDEN).await;
    problem(app.get("/api/v1/regions/national/summary?year=2024", Some(&officer)).await, StatusCode::FORBIDDEN).await;
    let e = problem(
        app.get("/api/v1/regions/14.x/summary?year=1900", Some(&officer)).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(e["errors"].as_array().unwrap().len(), 2, "{e}");
    problem(app.get("/api/v1/regions/14.01.99/summary?year=2024", Some(&officer)).await, StatusCode::NOT_FOUND).await;
    let national = app.token_for(Role::Analyst, None).await;
    let country: Value =
        app.get("/api/v1/regions/national/summary?year=2024", Some(&national)).await.json().await.unwrap();
    assert_eq!(
        (country["region_code"].clone(), country["prevalence"]["measured"]["measured"].as_i64()),
        (Value::Null, Some(3))
    );
}
