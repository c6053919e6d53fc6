use reqwest::StatusCode;
use serde_json::{Value, json};
use stunting_api::domain::Role;

use crate::common::app::children::VILLAGE;
use crate::common::{TestApp, problem};

async fn setup() -> (TestApp, String, Value) {
    let app = TestApp::spawn().await;
    let officer = app.token_for(Role::Officer, Some("14.01")).await;
    let child = app.child_in(&officer, VILLAGE).await;
    (app, officer, child)
}

async fn only_case(app: &TestApp, token: &str, child: &Value) -> Value {
    let cases = app.cases_of(token, child, None).await;
    assert_eq!(cases.len(), 1, "{cases:?}");
    cases.into_iter().next().unwrap()
}

#[tokio::test]
async fn a_case_opens_stays_current_and_resolves_with_the_measurements() {
    let (app, officer, child) = setup().await;
    app.measure_at(&officer, &child, "2025-02-01", -1.5).await;
    assert!(app.cases_of(&officer, &child, None).await.is_empty());

    let opening = app.measure_at(&officer, &child, "2025-05-01", -2.4).await;
    let case = only_case(&app, &officer, &child).await;
    assert_eq!(case["status"], "open");
    assert_eq!(case["severity"], "stunted");
    assert_eq!(case["opened_on"], "2025-05-01");
    assert_eq!(case["opening_measurement_id"], opening["id"]);
    let with_case: Value = app
        .get(&format!("/api/v1/children/{}", child["id"].as_str().unwrap()), Some(&officer))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(with_case["open_case_id"], case["id"]);

    app.measure_at(&officer, &child, "2025-08-01", -3.3).await;
    let case = only_case(&app, &officer, &child).await;
    assert_eq!(case["status"], "open");
    assert_eq!(case["severity"], "severely_stunted");
    assert_eq!(case["latest_measured_on"], "2025-08-01");

    let resolving = app.measure_at(&officer, &child, "2025-11-01", -1.8).await;
    let case = only_case(&app, &officer, &child).await;
    assert_eq!(case["status"], "resolved");
    assert_eq!(case["resolved_on"], "2025-11-01");
    assert_eq!(case["resolving_measurement_id"], resolving["id"]);
}

#[tokio::test]
async fn voiding_the_opening_measurement_recomputes_the_case() {
    let (app, officer, child) = setup().await;
    let first = app.measure_at(&officer, &child, "2025-05-01", -2.5).await;
    app.measure_at(&officer, &child, "2025-08-01", -2.2).await;
    let before = only_case(&app, &officer, &child).await;

    app.void_measurement(&officer, &first).await;
    let after = only_case(&app, &officer, &child).await;
    assert_eq!(after["id"], before["id"], "the same case, its follow-up kept");
    assert_eq!(after["opened_on"], "2025-08-01");
}

#[tokio::test]
async fn a_case_with_no_stunted_measurement_left_disappears() {
    let (app, officer, child) = setup().await;
    let only = app.measure_at(&officer, &child, "2025-05-01", -2.5).await;
    let case = only_case(&app, &officer, &child).await;
    app.void_measurement(&officer, &only).await;
    assert!(app.cases_of(&officer, &child, None).await.is_empty());
    let void = app.cases_of(&officer, &child, Some("void")).await;
    assert_eq!(void.len(), 1);
    assert_eq!(void[0]["id"], case["id"]);
}

#[tokio::test]
async fn voiding_the_resolving_measurement_reopens_the_case() {
    let (app, officer, child) = setup().await;
    app.measure_at(&officer, &child, "2025-05-01", -2.5).await;
    let resolving = app.measure_at(&officer, &child, "2025-08-01", -1.5).await;
    assert_eq!(only_case(&app, &officer, &child).await["status"], "resolved");
    app.void_measurement(&officer, &resolving).await;
    let case = only_case(&app, &officer, &child).await;
    assert_eq!(case["status"], "open");
    assert!(case["resolved_on"].is_null());
}

#[tokio::test]
async fn measurements_arriving_out_of_order_give_the_same_cases() {
    let (app, officer, child) = setup().await;
    app.measure_at(&officer, &child, "2025-11-01", -1.5).await;
    app.measure_at(&officer, &child, "2025-05-01", -2.6).await;
    let case = only_case(&app, &officer, &child).await;
    assert_eq!(case["status"], "resolved");
    assert_eq!(case["opened_on"], "2025-05-01");
    assert_eq!(case["resolved_on"], "2025-11-01");
}

#[tokio::test]
async fn officers_record_follow_up_and_the_audit() {
    let (app, officer, child) = setup().await;
    app.measure_at(&officer, &child, "2025-05-01", -2.5).await;
    let case = only_case(&app, &officer, &child).await;
    let path = format!("/api/v1/cases/{}", case["id"].as_str().unwrap());
    let change = json!({
        "assigned_team": "TPK Kumantan 2",
        "notes": "home visit every two weeks",
        "audit": {"audited_on": "2025-06-10", "findings": "low dietary diversity",
                  "likely_causes": ["inadequate complementary feeding"], "recommendation": "PMT 90 days"}
    });
    problem(app.patch_json(&path, Some(&officer), None, &change).await, StatusCode::PRECONDITION_REQUIRED).await;
    let response = app.patch_json(&path, Some(&officer), Some("\"1\""), &change).await;
    assert_eq!(response.status(), StatusCode::OK);
    let updated: Value = response.json().await.unwrap();
    assert_eq!(updated["assigned_team"], "TPK Kumantan 2");
    assert_eq!(updated["audit"]["likely_causes"], json!(["inadequate complementary feeding"]));
    assert_eq!(updated["version"], 2);

    // A new measurement keeps the follow-up.
    app.measure_at(&officer, &child, "2025-08-01", -2.3).await;
    let case = only_case(&app, &officer, &child).await;
    assert_eq!(case["assigned_team"], "TPK Kumantan 2");
    problem(
        app.patch_json(&path, Some(&officer), Some("\"2\""), &json!({"notes": "x"})).await,
        StatusCode::PRECONDITION_FAILED,
    )
    .await;
}

#[tokio::test]
async fn only_officers_and_admins_record_follow_up() {
    let (app, officer, child) = setup().await;
    app.measure_at(&officer, &child, "2025-05-01", -2.5).await;
    let case = only_case(&app, &officer, &child).await;
    let path = format!("/api/v1/cases/{}", case["id"].as_str().unwrap());
    let cadre = app.token_for(Role::Cadre, Some(VILLAGE)).await;
    assert_eq!(app.get(&path, Some(&cadre)).await.status(), StatusCode::OK, "cadres read their village's cases");
    problem(app.patch_json(&path, Some(&cadre), Some("\"1\""), &json!({"notes": "x"})).await, StatusCode::FORBIDDEN)
        .await;
    let elsewhere = app.token_for(Role::Officer, Some("14.03")).await;
    problem(app.get(&path, Some(&elsewhere)).await, StatusCode::FORBIDDEN).await;
    problem(
        app.patch_json(&path, Some(&elsewhere), Some("\"1\""), &json!({"notes": "x"})).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    let analyst = app.token_for(Role::Analyst, Some("14")).await;
    problem(app.get(&path, Some(&analyst)).await, StatusCode::FORBIDDEN).await;
}

#[tokio::test]
async fn closing_by_hand_and_a_later_relapse() {
    let (app, officer, child) = setup().await;
    app.measure_at(&officer, &child, "2025-05-01", -2.5).await;
    let case = only_case(&app, &officer, &child).await;
    let path = format!("/api/v1/cases/{}", case["id"].as_str().unwrap());
    let early = json!({"close": {"reason": "moved_away", "closed_on": "2025-04-01"}});
    problem(app.patch_json(&path, Some(&officer), Some("\"1\""), &early).await, StatusCode::UNPROCESSABLE_ENTITY).await;
    let bad_reason = json!({"close": {"reason": "bored"}});
    problem(app.patch_json(&path, Some(&officer), Some("\"1\""), &bad_reason).await, StatusCode::UNPROCESSABLE_ENTITY)
        .await;

    let close = json!({"close": {"reason": "moved_away", "closed_on": "2025-06-01", "note": "moved to Pekanbaru"}});
    let closed: Value = app.patch_json(&path, Some(&officer), Some("\"1\""), &close).await.json().await.unwrap();
    assert_eq!(closed["status"], "closed");
    assert_eq!(closed["close_reason"], "moved_away");
    problem(app.patch_json(&path, Some(&officer), Some("\"2\""), &close).await, StatusCode::CONFLICT).await;

    app.measure_at(&officer, &child, "2025-09-01", -2.4).await;
    let cases = app.cases_of(&officer, &child, None).await;
    assert_eq!(cases.len(), 2);
    assert_eq!(cases.iter().filter(|c| c["status"] == "open").count(), 1);
    assert_eq!(cases.iter().find(|c| c["id"] == case["id"]).unwrap()["status"], "closed");
}

#[tokio::test]
async fn lists_filter_by_status_severity_dates_and_region() {
    let app = TestApp::spawn().await;
    let admin = app.token_for(Role::Admin, None).await;
    let kampar = app.child_in(&admin, VILLAGE).await;
    let bengkalis = app.child_in(&admin, "14.03.01.1001").await;
    app.measure_at(&admin, &kampar, "2025-05-01", -3.5).await;
    app.measure_at(&admin, &bengkalis, "2025-07-01", -2.5).await;
    let ids = |page: Value| -> Vec<Value> {
        page["items"].as_array().unwrap().iter().map(|c| c["child_id"].clone()).collect()
    };
    let get = |q: &'static str| {
        let app = &app;
        let admin = admin.clone();
        async move { app.get(&format!("/api/v1/cases?{q}"), Some(&admin)).await.json::<Value>().await.unwrap() }
    };
    assert_eq!(ids(get("region=14.01").await), [kampar["id"].clone()]);
    assert_eq!(ids(get("severity=severely_stunted").await), [kampar["id"].clone()]);
    assert_eq!(ids(get("opened_from=2025-06-01").await), [bengkalis["id"].clone()]);
    assert_eq!(ids(get("status=open&region=14").await).len(), 2);
    assert!(ids(get("status=resolved").await).is_empty());
    let with_case: Value = get("x=1").await;
    assert_eq!(with_case["items"].as_array().unwrap().len(), 2);
    let children: Value = app.get("/api/v1/children?has_open_case=true", Some(&admin)).await.json().await.unwrap();
    assert_eq!(children["items"].as_array().unwrap().len(), 2);
    let none: Value = app.get("/api/v1/children?has_open_case=false", Some(&admin)).await.json().await.unwrap();
    assert!(none["items"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn case_stats_count_open_cases_at_each_period_end_and_what_happened_in_it() {
    let (app, officer, first) = setup().await;
    // First child: stunted in February, severely in March, resolved in August.
    app.measure_at(&officer, &first, "2025-02-10", -2.5).await;
    app.measure_at(&officer, &first, "2025-03-10", -3.2).await;
    app.measure_at(&officer, &first, "2025-08-10", -1.0).await;
    // Second child: stunted in March, followed by a TPK, moved away in May.
    let second = app.child_in(&officer, VILLAGE).await;
    app.measure_at(&officer, &second, "2025-03-12", -2.4).await;
    let case = only_case(&app, &officer, &second).await;
    let team = app.tpk_in(&officer, VILLAGE).await;
    let path = format!("/api/v1/cases/{}", case["id"].as_str().unwrap());
    let assigned = app.patch_json(&path, Some(&officer), Some("\"1\""), &json!({"assigned_team_id": team["id"]})).await;
    assert_eq!(assigned.status(), StatusCode::OK);
    let close = json!({"close": {"reason": "moved_away", "closed_on": "2025-05-20"}});
    assert_eq!(app.patch_json(&path, Some(&officer), Some("\"2\""), &close).await.status(), StatusCode::OK);

    let stats: Value =
        app.get("/api/v1/stats/cases?year=2025&period=quarter", Some(&officer)).await.json().await.unwrap();
    assert_eq!((stats["level"].as_str(), stats["source"].as_str()), (Some("subdistrict"), Some("kept")));
    let totals = stats["totals"].as_array().unwrap();
    let figures =
        |q: usize, fields: &[&str]| fields.iter().map(|f| totals[q][*f].as_i64().unwrap()).collect::<Vec<_>>();
    let fields = ["open", "open_stunted", "open_severely_stunted", "open_assigned", "opened", "resolved", "closed"];
    assert_eq!(figures(0, &fields), [2, 1, 1, 1, 2, 0, 0], "Q1: both open, the first severely: {stats}");
    assert_eq!(figures(1, &fields), [1, 0, 1, 0, 0, 0, 1], "Q2: the second closed");
    assert_eq!(figures(2, &fields), [0, 0, 0, 0, 0, 1, 0], "Q3: the first resolved");
    assert_eq!(totals[1]["closed_moved_away"], 1);
    assert_eq!(stats["rows"][0]["region_code"], "14.01.01");

    // A range that is no calendar period is counted from the cases, with the same meaning.
    let range: Value =
        app.get("/api/v1/stats/cases?from=2025-03&to=2025-05", Some(&officer)).await.json().await.unwrap();
    assert_eq!(range["source"], "rows");
    assert_eq!(
        (
            range["totals"][0]["open"].as_i64(),
            range["totals"][0]["opened"].as_i64(),
            range["totals"][0]["closed"].as_i64()
        ),
        (Some(1), Some(1), Some(1)),
        "{range}"
    );

    // Analysts may ask; below district level their counts from 1 to 4 are withheld.
    let analyst = app.token_for(Role::Analyst, Some("14.01")).await;
    let villages: Value =
        app.get("/api/v1/stats/cases?year=2025&level=village", Some(&analyst)).await.json().await.unwrap();
    let row = &villages["rows"][0];
    assert_eq!((row["opened"].clone(), row["suppressed"].clone()), (Value::Null, json!(true)), "{villages}");
    assert_eq!(villages["totals"][0]["opened"], 2, "the district's own total is shown");
}
