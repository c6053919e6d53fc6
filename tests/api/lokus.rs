use chrono::Datelike;
use reqwest::StatusCode;
use serde_json::{Value, json};
use stunting_api::domain::Role;

use crate::common::app::children::VILLAGE;
use crate::common::{TestApp, problem};

/// Two villages of Kampar (`VILLAGE` is the lokus one) and one of Bengkalis.
const NOT_LOKUS: &str = "14.01.02.2001";
const BENGKALIS_VILLAGE: &str = "14.03.01.1001";

fn this_year() -> i32 {
    (chrono::Utc::now() + chrono::Duration::hours(9)).year()
}

async fn set_lokus(app: &TestApp, token: &str, year: i32, if_match: &str, villages: Value) -> reqwest::Response {
    let body = json!({
        "decision": "Rembuk Stunting Kabupaten Kampar", "decided_on": format!("{year}-01-01"), "villages": villages
    });
    app.put_json(&format!("/api/v1/lokus/14.01/{year}"), Some(token), Some(if_match), &body).await
}

#[tokio::test]
async fn a_district_sets_its_lokus_villages_by_a_decision() {
    let app = TestApp::spawn().await;
    let officer = app.token_for(Role::Officer, Some("14.01")).await;
    let empty: Value = app.get("/api/v1/lokus/14.01/2022", Some(&officer)).await.json().await.unwrap();
    assert_eq!((empty["version"].as_i64(), empty["villages"].as_array().unwrap().len()), (Some(0), 0));

    let villages = json!([{"village_code": VILLAGE, "reason": "prevalensi tertinggi"}, {"village_code": NOT_LOKUS}]);
    let set = set_lokus(&app, &officer, 2022, "\"0\"", villages).await;
    assert_eq!(set.status(), StatusCode::OK, "{}", set.text().await.unwrap());
    assert_eq!(set.headers()["etag"], "\"1\"");
    let list: Value = set.json().await.unwrap();
    assert_eq!(list["decision"], "Rembuk Stunting Kabupaten Kampar");
    assert_eq!(list["villages"][0]["village_code"], VILLAGE);
    assert_eq!(list["villages"][0]["reason"], "prevalensi tertinggi");
    assert!(list["villages"][0]["village_name"].as_str().is_some_and(|n| !n.is_empty()));

    // Villages outside the district, unknown, or twice; every one is named.
    let wrong = json!([{"village_code": BENGKALIS_VILLAGE}, {"village_code": "14.01.01.2999"},
                       {"village_code": VILLAGE}, {"village_code": VILLAGE}, {"village_code": "14.01.01"}]);
    let body = problem(set_lokus(&app, &officer, 2022, "\"1\"", wrong).await, StatusCode::UNPROCESSABLE_ENTITY).await;
    let fields: Vec<&str> = body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    for field in
        ["villages[0].village_code", "villages[1].village_code", "villages[3].village_code", "villages[4].village_code"]
    {
        assert!(fields.contains(&field), "{field} in {fields:?}");
    }
    problem(set_lokus(&app, &officer, 2022, "\"0\"", json!([])).await, StatusCode::PRECONDITION_FAILED).await;
    let bengkalis = app.token_for(Role::Officer, Some("14.03")).await;
    problem(set_lokus(&app, &bengkalis, 2022, "\"1\"", json!([])).await, StatusCode::FORBIDDEN).await;
    problem(app.get("/api/v1/lokus/14.01/2022", Some(&bengkalis)).await, StatusCode::FORBIDDEN).await;

    let replaced = set_lokus(&app, &officer, 2022, "\"1\"", json!([{"village_code": NOT_LOKUS}])).await;
    let replaced: Value = replaced.json().await.unwrap();
    assert_eq!(replaced["version"], 2);
    assert_eq!(replaced["villages"].as_array().unwrap().len(), 1);
    assert_eq!(app.audit_trail("14.01/2022").await.len(), 2);
    let overview: Value =
        app.get("/api/v1/convergence?region=14.01&year=2022", Some(&officer)).await.json().await.unwrap();
    assert_eq!(overview["districts"][0]["lokus_villages"], 1);
}

#[tokio::test]
async fn lokus_true_keeps_stats_and_lists_to_the_lokus_villages() {
    let app = TestApp::spawn().await;
    let officer = app.token_for(Role::Officer, Some("14.01")).await;
    for year in [2025, this_year()] {
        let response = set_lokus(&app, &officer, year, "\"0\"", json!([{"village_code": VILLAGE}])).await;
        assert_eq!(response.status(), StatusCode::OK);
    }
    let in_lokus = app.child_in(&officer, VILLAGE).await;
    app.measure_at(&officer, &in_lokus, "2025-08-01", -2.5).await;
    let elsewhere = app.child_in(&officer, NOT_LOKUS).await;
    app.measure_at(&officer, &elsewhere, "2025-08-01", -2.5).await;
    let healthy = app.child_in(&officer, NOT_LOKUS).await;
    app.measure_at(&officer, &healthy, "2025-08-01", 0.0).await;

    let analyst = app.token_for(Role::Analyst, Some("14.01")).await;
    let all: Value = app.get("/api/v1/stats/prevalence?year=2025", Some(&analyst)).await.json().await.unwrap();
    assert_eq!((all["total"]["measured"].as_i64(), all["total"]["stunted"].as_i64()), (Some(3), Some(2)));
    let lokus: Value =
        app.get("/api/v1/stats/prevalence?year=2025&lokus=true", Some(&analyst)).await.json().await.unwrap();
    assert_eq!((lokus["total"]["measured"].as_i64(), lokus["total"]["stunted"].as_i64()), (Some(1), Some(1)));
    // Another year's lokus list does not apply.
    let other_year: Value =
        app.get("/api/v1/stats/prevalence?year=2024&lokus=true", Some(&analyst)).await.json().await.unwrap();
    assert_eq!(other_year["total"]["measured"], 0);
    // The children under two, people of the pathway from June 2024: twelve months each in 2025,
    // the lokus village's alone with lokus=true, none for a year the village was no lokus.
    let people = async |query: &str| {
        let path = format!("/api/v1/stats/pathway?indicators=tpk_assisted&{query}");
        let answer: Value = app.get(&path, Some(&officer)).await.json().await.unwrap();
        answer["totals"][0]["indicators"][0]["denominator"].as_i64().unwrap()
    };
    assert_eq!(people("year=2025").await, 36);
    assert_eq!(people("year=2025&lokus=true").await, 12);
    assert_eq!(people("year=2024").await, 21);
    assert_eq!(people("year=2024&lokus=true").await, 0);

    let children: Value = app.get("/api/v1/children?lokus=true", Some(&officer)).await.json().await.unwrap();
    let ids: Vec<&Value> = children["items"].as_array().unwrap().iter().map(|c| &c["id"]).collect();
    assert_eq!(ids, [&in_lokus["id"]]);
    let cases: Value = app.get("/api/v1/cases?lokus=true", Some(&officer)).await.json().await.unwrap();
    let case_children: Vec<&Value> = cases["items"].as_array().unwrap().iter().map(|c| &c["child_id"]).collect();
    assert_eq!(case_children, [&in_lokus["id"]]);
    let all_cases: Value = app.get("/api/v1/cases", Some(&officer)).await.json().await.unwrap();
    assert_eq!(all_cases["items"].as_array().unwrap().len(), 2);

    for region in [VILLAGE, NOT_LOKUS] {
        let body = json!({"type_code": "growth_monitoring", "region_code": region, "year": 2025, "target": 100});
        assert_eq!(app.post_json("/api/v1/interventions", Some(&officer), &body).await.status(), StatusCode::CREATED);
    }
    let activities: Value =
        app.get("/api/v1/interventions?year=2025&lokus=true", Some(&officer)).await.json().await.unwrap();
    let regions: Vec<&Value> = activities["items"].as_array().unwrap().iter().map(|a| &a["region_code"]).collect();
    assert_eq!(regions, [&json!(VILLAGE)]);
    let coverage: Value =
        app.get("/api/v1/stats/interventions?year=2025&lokus=true", Some(&analyst)).await.json().await.unwrap();
    assert_eq!(coverage["categories"][0]["totals"][0]["target"], 100);
    let coverage: Value = app.get("/api/v1/stats/interventions?year=2025", Some(&analyst)).await.json().await.unwrap();
    assert_eq!(coverage["categories"][0]["totals"][0]["target"], 200);
}

#[tokio::test]
async fn lokus_budgets_are_those_of_lokus_villages_and_lines_that_name_one() {
    let app = TestApp::spawn().await;
    let officer = app.token_for(Role::Officer, Some("14.01")).await;
    let response = set_lokus(&app, &officer, 2025, "\"0\"", json!([{"village_code": VILLAGE}])).await;
    assert_eq!(response.status(), StatusCode::OK);
    // A village budget in the lokus village, one elsewhere, and a district budget with one
    // line naming the lokus village and one naming none.
    let budgets = [
        (VILLAGE, "dana_desa", vec![(100, vec![])]),
        (NOT_LOKUS, "dana_desa", vec![(1_000, vec![])]),
        ("14.01", "apbd_district", vec![(10_000, vec![VILLAGE]), (100_000, vec![])]),
    ];
    for (region, source, lines) in budgets {
        let body =
            json!({"region_code": region, "fiscal_year": 2025, "funding_source": source, "title": "Anggaran stunting"});
        let budget: Value = app.post_json("/api/v1/budgets", Some(&officer), &body).await.json().await.unwrap();
        let id = budget["id"].as_str().unwrap();
        for (ceiling, villages) in lines {
            let line = json!({"activity": "Kegiatan", "ceiling": ceiling, "village_codes": villages});
            let response = app.post_json(&format!("/api/v1/budgets/{id}/lines"), Some(&officer), &line).await;
            assert_eq!(response.status(), StatusCode::CREATED, "{}", response.text().await.unwrap());
        }
        let version =
            app.get(&format!("/api/v1/budgets/{id}"), Some(&officer)).await.json::<Value>().await.unwrap()["version"]
                .clone();
        let approve = app
            .request(reqwest::Method::POST, &format!("/api/v1/budgets/{id}/approve"), Some(&officer))
            .header("If-Match", format!("\"{version}\""))
            .send()
            .await
            .unwrap();
        assert_eq!(approve.status(), StatusCode::OK);
    }
    let analyst = app.token_for(Role::Analyst, Some("14.01")).await;
    let ceiling = async |query: &str| -> i64 {
        let stats: Value = app
            .get(&format!("/api/v1/stats/budgets?region=14.01&level=district&year=2025{query}"), Some(&analyst))
            .await
            .json()
            .await
            .unwrap();
        stats["rows"][0]["ceiling"].as_i64().unwrap()
    };
    assert_eq!(ceiling("").await, 111_100);
    assert_eq!(ceiling("&lokus=true").await, 10_100);
}
