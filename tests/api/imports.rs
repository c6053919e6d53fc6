//! Bulk import (`POST /api/v1/imports/{kind}`): the same file twice changes nothing the second
//! time; a dry run writes nothing; `mode=all` with a bad record writes nothing; `mode=each`
//! writes the good records and names the bad ones by position with all their errors, as a
//! single request would; a broken file is a 4xx naming the line; a job survives its instance.

use std::time::Duration;

use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};
use stunting_api::domain::Role;

use crate::common::app::children::{BIRTH, length_for};
use crate::common::{TestApp, problem};

const VILLAGE: &str = "14.01.01.2009";

pub(crate) async fn import(
    app: &TestApp,
    token: &str,
    kind: &str,
    query: &str,
    content_type: &str,
    body: String,
) -> Response {
    app.request(Method::POST, &format!("/api/v1/imports/{kind}{query}"), Some(token))
        .text(content_type, body)
        .send()
        .await
        .unwrap()
}

pub(crate) async fn summary(response: Response) -> Value {
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, 200, "{body}");
    body
}

fn counts(summary: &Value) -> [u64; 5] {
    ["received", "created", "updated", "unchanged", "rejected"].map(|k| summary[k].as_u64().unwrap())
}

async fn measurement_count(app: &TestApp, token: &str, child: &Value) -> usize {
    let path = format!("/api/v1/children/{}/measurements?limit=500", child["id"].as_str().unwrap());
    let page: Value = app.get(&path, Some(token)).await.json().await.unwrap();
    page["items"].as_array().unwrap().len()
}

/// A CSV of measurements: `(child, date, z)` rows, each with its own id.
pub(crate) fn measurements_csv(rows: &[(&Value, &str, f64)]) -> String {
    let mut csv = String::from("id,child_id,measured_on,length_cm,position,weight_kg,oedema,place,measured_by\n");
    for (child, on, z) in rows {
        let id = uuid::Uuid::new_v4();
        let length = length_for(on, *z);
        csv.push_str(&format!(
            "{id},{},{on},{length},lying,8.5,,posyandu,Kader Melati\n",
            child["id"].as_str().unwrap()
        ));
    }
    csv
}

#[tokio::test]
async fn the_same_file_twice_changes_nothing_the_second_time() {
    let app = TestApp::spawn().await;
    let token = app.token_for(Role::Officer, Some("14.01")).await;
    let (a, b) = (app.child_in(&token, VILLAGE).await, app.child_in(&token, VILLAGE).await);
    let csv = measurements_csv(&[(&a, "2025-02-10", -2.5), (&a, "2025-08-12", -1.0), (&b, "2025-02-11", 0.3)]);

    let first = summary(import(&app, &token, "measurements", "", "text/csv", csv.clone()).await).await;
    assert_eq!(counts(&first), [3, 3, 0, 0, 0], "{first}");
    assert_eq!(first["committed"], true);
    // Scored and with its case, as a single request would leave it: opened, then resolved.
    let cases = app.cases_of(&token, &a, None).await;
    assert_eq!(cases.len(), 1, "{cases:?}");
    assert_eq!(cases[0]["status"], "resolved");

    let again = summary(import(&app, &token, "measurements", "", "text/csv", csv).await).await;
    assert_eq!(counts(&again), [3, 0, 0, 3, 0], "{again}");
    assert_eq!(measurement_count(&app, &token, &a).await, 2);
    assert_eq!(measurement_count(&app, &token, &b).await, 1);
    assert_eq!(app.cases_of(&token, &a, None).await.len(), 1);
}

#[tokio::test]
async fn a_measurement_without_an_id_is_known_by_its_child_and_date() {
    let app = TestApp::spawn().await;
    let token = app.token_for(Role::Officer, Some("14.01")).await;
    let child = app.child_in(&token, VILLAGE).await;
    let id = child["id"].as_str().unwrap();
    let record = |length: f64| {
        json!({"child_id": id, "measured_on": "2025-02-10", "length_cm": length,
        "position": "lying", "place": "posyandu"})
    };
    let body = |length| serde_json::to_string(&json!([record(length)])).unwrap();

    let first = summary(import(&app, &token, "measurements", "", "application/json", body(70.0)).await).await;
    assert_eq!(counts(&first), [1, 1, 0, 0, 0], "{first}");
    let again = summary(import(&app, &token, "measurements", "", "application/json", body(70.0)).await).await;
    assert_eq!(counts(&again), [1, 0, 0, 1, 0], "{again}");
    // A corrected length for the same day cannot add a second weighing.
    let corrected = summary(import(&app, &token, "measurements", "", "application/json", body(71.0)).await).await;
    assert_eq!(counts(&corrected), [1, 0, 0, 0, 1], "{corrected}");
    let rejection = &corrected["rejections"][0];
    assert_eq!(rejection["problem"]["status"], 409, "{rejection}");
    assert!(rejection["problem"]["existing_id"].is_string(), "{rejection}");
    assert_eq!(measurement_count(&app, &token, &child).await, 1);
}

#[tokio::test]
async fn a_dry_run_writes_nothing() {
    let app = TestApp::spawn().await;
    let token = app.token_for(Role::Officer, Some("14.01")).await;
    let child = app.child_in(&token, VILLAGE).await;
    let csv = measurements_csv(&[(&child, "2025-02-10", -2.5), (&child, "2025-08-12", -2.6)]);

    let dry = summary(import(&app, &token, "measurements", "?dry_run=true", "text/csv", csv).await).await;
    assert_eq!(counts(&dry), [2, 2, 0, 0, 0], "{dry}");
    assert_eq!(dry["committed"], false);
    assert_eq!(measurement_count(&app, &token, &child).await, 0);
    assert!(app.cases_of(&token, &child, None).await.is_empty());
}

#[tokio::test]
async fn mode_all_with_one_bad_record_writes_nothing() {
    let app = TestApp::spawn().await;
    let token = app.token_for(Role::Officer, Some("14.01")).await;
    let child = app.child_in(&token, VILLAGE).await;
    let mut csv = measurements_csv(&[(&child, "2025-02-10", -1.0), (&child, "2025-08-12", -1.0)]);
    csv.push_str(&format!(
        "{},{},2025-09-01,300,lying,,,posyandu,\n",
        uuid::Uuid::new_v4(),
        child["id"].as_str().unwrap()
    ));

    let all = summary(import(&app, &token, "measurements", "?mode=all", "text/csv", csv).await).await;
    assert_eq!(counts(&all), [3, 2, 0, 0, 1], "{all}");
    assert_eq!(all["committed"], false);
    assert_eq!(all["rejections"][0]["line"], 4);
    assert_eq!(measurement_count(&app, &token, &child).await, 0);
}

#[tokio::test]
async fn mode_each_writes_the_good_records_and_names_the_bad_one_with_all_its_errors() {
    let app = TestApp::spawn().await;
    let token = app.token_for(Role::Officer, Some("14.01")).await;
    let child = app.child_in(&token, VILLAGE).await;
    let id = child["id"].as_str().unwrap();
    let bad = json!({"child_id": id, "measured_on": "2025-03-01", "length_cm": 300, "position": "lying",
        "weight_kg": 90, "place": "posyandu"});
    let records = json!([
        {"child_id": id, "measured_on": "2025-02-10", "length_cm": 70.0, "position": "lying", "place": "posyandu"},
        bad,
        {"child_id": id, "measured_on": "2025-08-12", "length_cm": 74.0, "position": "lying", "place": "home_visit"},
    ]);
    let ndjson: String = records.as_array().unwrap().iter().map(|r| format!("{r}\n")).collect();

    let each = summary(import(&app, &token, "measurements", "?mode=each", "application/x-ndjson", ndjson).await).await;
    assert_eq!(counts(&each), [3, 2, 0, 0, 1], "{each}");
    let rejection = &each["rejections"][0];
    assert_eq!((rejection["index"].as_u64(), rejection["line"].as_u64()), (Some(1), Some(2)), "{rejection}");
    assert_eq!(measurement_count(&app, &token, &child).await, 2);

    // Exactly what the single request answers for the same measurement.
    let mut single = bad.clone();
    single.as_object_mut().unwrap().remove("child_id");
    let alone = problem(app.measure(&token, &child, single).await, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(rejection["problem"]["errors"], alone["errors"], "{rejection}");
    assert_eq!(alone["errors"].as_array().unwrap().len(), 2, "{alone}");
}

#[tokio::test]
async fn records_are_checked_against_the_callers_scope_and_role() {
    let app = TestApp::spawn().await;
    let kampar = app.token_for(Role::Officer, Some("14.01")).await;
    let elsewhere = app.token_for(Role::Officer, Some("62.03")).await;
    let child = app.child_in(&kampar, VILLAGE).await;
    let csv = measurements_csv(&[(&child, "2025-02-10", -1.0)]);

    let outside = summary(import(&app, &elsewhere, "measurements", "", "text/csv", csv.clone()).await).await;
    assert_eq!(counts(&outside), [1, 0, 0, 0, 1], "{outside}");
    assert_eq!(outside["rejections"][0]["problem"]["status"], 403);
    let unknown = measurements_csv(&[(&json!({"id": uuid::Uuid::new_v4().to_string()}), "2025-02-10", -1.0)]);
    let missing = summary(import(&app, &kampar, "measurements", "", "text/csv", unknown).await).await;
    assert_eq!(missing["rejections"][0]["problem"]["status"], 404, "{missing}");

    let analyst = app.token_for(Role::Analyst, Some("14.01")).await;
    problem(import(&app, &analyst, "measurements", "", "text/csv", csv).await, StatusCode::FORBIDDEN).await;
    assert_eq!(measurement_count(&app, &kampar, &child).await, 0);
}

#[tokio::test]
async fn a_broken_file_is_refused_naming_the_line_and_writes_nothing() {
    let app = TestApp::spawn().await;
    let token = app.token_for(Role::Officer, Some("14.01")).await;
    let child = app.child_in(&token, VILLAGE).await;
    let good = measurements_csv(&[(&child, "2025-02-10", -1.0)]);
    let row = good.lines().nth(1).unwrap().to_owned();

    let missing = "child_id,measured_on,length_cm,position\n".to_owned()
        + &format!("{},2025-02-10,70,lying\n", child["id"].as_str().unwrap());
    let body =
        problem(import(&app, &token, "measurements", "", "text/csv", missing).await, StatusCode::UNPROCESSABLE_ENTITY)
            .await;
    assert!(body["errors"][0]["message"].as_str().unwrap().contains("line 1: the required column `place`"), "{body}");

    let unknown = good.replacen("measured_by", "measured_by,colour", 1);
    let body =
        problem(import(&app, &token, "measurements", "", "text/csv", unknown).await, StatusCode::UNPROCESSABLE_ENTITY)
            .await;
    assert!(body["errors"][0]["message"].as_str().unwrap().contains("`colour`"), "{body}");

    let extra = format!("{good}{row},surplus\n");
    let body =
        problem(import(&app, &token, "measurements", "", "text/csv", extra).await, StatusCode::BAD_REQUEST).await;
    assert!(body["detail"].as_str().unwrap().starts_with("line 3 has 10 fields"), "{body}");

    let quote = format!("{good}{}\n{row}\n", row.replace(",posyandu,", ",\"posyandu,"));
    let body =
        problem(import(&app, &token, "measurements", "", "text/csv", quote).await, StatusCode::BAD_REQUEST).await;
    assert!(body["detail"].as_str().unwrap().starts_with("line 3 "), "{body}");

    // A quote opened in the last field is never closed: the csv crate would take the rest of
    // the file as its value and the row as whole.
    let (head, _) = row.rsplit_once(',').unwrap();
    let open = format!("{good}{head},\"Bidan Desa\n");
    let body = problem(import(&app, &token, "measurements", "", "text/csv", open).await, StatusCode::BAD_REQUEST).await;
    assert!(body["detail"].as_str().unwrap().starts_with("line 3: a quote is left open"), "{body}");

    let json = "[{\"child_id\": 1},".to_owned();
    let body =
        problem(import(&app, &token, "measurements", "", "application/json", json).await, StatusCode::BAD_REQUEST)
            .await;
    assert!(body["detail"].as_str().unwrap().starts_with("line 1: "), "{body}");

    problem(import(&app, &token, "measurements", "", "text/plain", good).await, StatusCode::UNSUPPORTED_MEDIA_TYPE)
        .await;
    assert_eq!(measurement_count(&app, &token, &child).await, 0);
}

/// e-PPGBM's layout: a row per weighing, the child's fields repeated on each.
pub(crate) fn eppgbm(rows: &[(&str, &str, &str, &str)]) -> String {
    let mut csv = String::from(
        "child_id,nik,village_code,sex,birth_date,name,mother_name,measured_on,length_cm,position,place\n",
    );
    for (child_id, nik, name, on) in rows {
        let length = length_for(on, -1.0);
        csv.push_str(&format!(
            "{child_id},{nik},{VILLAGE},female,{BIRTH},{name},Nurhayati,{on},{length},lying,posyandu\n"
        ));
    }
    csv
}

#[tokio::test]
async fn children_rows_register_children_with_their_weighings_and_a_resend_finds_them() {
    let app = TestApp::spawn().await;
    let token = app.token_for(Role::Officer, Some("14.01")).await;
    let siti = uuid::Uuid::new_v4().to_string();
    let rows = [
        (siti.as_str(), "", "Siti Aminah", "2025-02-10"),
        (siti.as_str(), "", "Siti Aminah", "2025-08-12"),
        ("", "1401015405240001", "Dewi Lestari", "2025-02-11"),
        ("", "1401015405240001", "Dewi Lestari", "2025-08-13"),
    ];
    let first = summary(import(&app, &token, "children", "", "text/csv", eppgbm(&rows)).await).await;
    assert_eq!(counts(&first), [4, 4, 0, 0, 0], "{first}");
    let page: Value = app.get("/api/v1/children?region=14.01", Some(&token)).await.json().await.unwrap();
    let children = page["items"].as_array().unwrap();
    assert_eq!(children.len(), 2, "{page}");
    for child in children {
        assert_eq!(measurement_count(&app, &token, child).await, 2);
    }

    let again = summary(import(&app, &token, "children", "", "text/csv", eppgbm(&rows)).await).await;
    assert_eq!(counts(&again), [4, 0, 0, 4, 0], "{again}");

    // The district fixes a name and sends the file again: the child is corrected, not twinned.
    let fixed =
        rows.map(|(id, nik, name, on)| (id, nik, if name == "Dewi Lestari" { "Dewi Lestary" } else { name }, on));
    let resent = summary(import(&app, &token, "children", "", "text/csv", eppgbm(&fixed)).await).await;
    assert_eq!(counts(&resent), [4, 0, 1, 3, 0], "{resent}");
    let page: Value = app.get("/api/v1/children?region=14.01&q=Lestary", Some(&token)).await.json().await.unwrap();
    assert_eq!(page["items"].as_array().unwrap().len(), 1, "{page}");

    // A row without an id or NIK could not be found again: refused, with every problem named.
    let anonymous = eppgbm(&[("", "", "Tanpa Nama", "2025-02-10")]).replace(",lying,", ",sideways,");
    let refused = summary(import(&app, &token, "children", "", "text/csv", anonymous).await).await;
    let fields: Vec<&str> = refused["rejections"][0]["problem"]["errors"]
        .as_array()
        .map(|e| e.iter().filter_map(|e| e["field"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(refused["rejections"][0]["line"], 2, "{refused}");
    assert!(fields.contains(&"position"), "{refused}");
}

async fn wait_for_job(app: &TestApp, token: &str, location: &str) -> Value {
    for _ in 0..200 {
        let job: Value = app.get(location, Some(token)).await.json().await.unwrap();
        if job["status"] == "succeeded" || job["status"] == "failed" {
            return job;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the job did not finish");
}

#[tokio::test]
async fn a_job_is_run_by_another_instance_when_its_own_stops() {
    // The first instance runs no jobs, as if it stopped right after answering 202.
    let app = TestApp::spawn_with(&["--import-workers", "0"]).await;
    let token = app.token_for(Role::Officer, Some("14.01")).await;
    let child = app.child_in(&token, VILLAGE).await;
    let csv = measurements_csv(&[(&child, "2025-02-10", -2.5), (&child, "2025-08-12", -2.4)]);
    let queued = import(&app, &token, "measurements", "?background=true", "text/csv", csv.clone()).await;
    assert_eq!(queued.status(), 202);
    let location = queued.headers()["location"].to_str().unwrap().to_owned();
    let job: Value = queued.json().await.unwrap();
    assert_eq!((job["status"].as_str(), job["records_total"].as_u64()), (Some("queued"), Some(2)), "{job}");

    let second = TestApp::spawn_on(&app.database_url, &[]).await;
    let done = wait_for_job(&second, &token, &location).await;
    assert_eq!(done["status"], "succeeded", "{done}");
    assert_eq!(counts(&done["summary"]), [2, 2, 0, 0, 0], "{done}");
    assert_eq!(measurement_count(&app, &token, &child).await, 2);

    // A job whose worker died mid-way (its lease ran out) is taken up again where its journal
    // stands: the record it committed is not written twice.
    let csv = measurements_csv(&[(&child, "2025-03-10", -2.5), (&child, "2025-04-12", -2.4)]);
    let queued = import(&app, &token, "measurements", "?background=true", "text/csv", csv).await;
    let location = queued.headers()["location"].to_str().unwrap().to_owned();
    let id = location.rsplit('/').next().unwrap();
    app.execute(&format!(
        "UPDATE import_jobs SET status = 'running', attempts = 1, lease_until = now() - interval '1 second', \
         records_done = 1, unchanged = 1 WHERE id = '{id}'"
    ))
    .await;
    let done = wait_for_job(&second, &token, &location).await;
    assert_eq!(counts(&done["summary"]), [2, 1, 0, 1, 0], "{done}");
    assert_eq!(measurement_count(&app, &token, &child).await, 3);
}

#[tokio::test]
async fn a_file_larger_than_the_body_limit_runs_as_a_job_and_another_caller_cannot_see_it() {
    let app = TestApp::spawn_with(&["--max-body-bytes", "2048"]).await;
    let token = app.token_for(Role::Officer, Some("14.01")).await;
    let child = app.child_in(&token, VILLAGE).await;
    let days: Vec<String> = (1..=28).map(|d| format!("2025-02-{d:02}")).collect();
    let rows: Vec<(&Value, &str, f64)> = days.iter().map(|d| (&child, d.as_str(), -1.0)).collect();
    let queued = import(&app, &token, "measurements", "", "text/csv", measurements_csv(&rows)).await;
    assert_eq!(queued.status(), 202);
    let location = queued.headers()["location"].to_str().unwrap().to_owned();
    let done = wait_for_job(&app, &token, &location).await;
    assert_eq!(counts(&done["summary"]), [28, 28, 0, 0, 0], "{done}");
    let parts = app.count("SELECT count(*) FROM import_job_parts").await;
    assert_eq!(parts, 0, "the file is dropped when the job ends");

    let other = app.token_for(Role::Officer, Some("14.01")).await;
    problem(app.get(&location, Some(&other)).await, StatusCode::FORBIDDEN).await;
}

#[tokio::test]
async fn an_import_sent_again_under_its_idempotency_key_is_answered_from_the_first() {
    let app = TestApp::spawn().await;
    let token = app.token_for(Role::Officer, Some("14.01")).await;
    let child = app.child_in(&token, VILLAGE).await;
    let csv = measurements_csv(&[(&child, "2025-02-10", -1.0)]);
    let send = |body: String| {
        app.request(Method::POST, "/api/v1/imports/measurements", Some(&token))
            .header("Idempotency-Key", "import-2025-02")
            .text("text/csv", body)
            .send()
    };
    let first = summary(send(csv.clone()).await.unwrap()).await;
    let replay = send(csv.clone()).await.unwrap();
    assert_eq!(replay.headers()["idempotent-replayed"], "true");
    assert_eq!(summary(replay).await, first);
    let other = measurements_csv(&[(&child, "2025-03-10", -1.0)]);
    problem(send(other).await.unwrap(), StatusCode::UNPROCESSABLE_ENTITY).await;
}

#[tokio::test]
async fn monthly_reports_arrive_by_the_rules_of_a_single_report_and_a_correction_updates() {
    let app = TestApp::spawn().await;
    let token = app.token_for(Role::Officer, Some("14.01")).await;
    let body = json!({"type_code": "growth_monitoring", "region_code": VILLAGE, "year": 2024, "target": 100});
    let activity: Value = app.post_json("/api/v1/interventions", Some(&token), &body).await.json().await.unwrap();
    let id = activity["id"].as_str().unwrap();
    let csv = |march: i64, correction: &str| {
        format!(
            "intervention_id,month,reached,correction\n{id},2024-01,10,\n{id},2024-02,20,\n{id},2024-03,{march},{correction}\n{id},2025-01,5,\n"
        )
    };

    let first = summary(import(&app, &token, "intervention-reports", "", "text/csv", csv(30, "")).await).await;
    assert_eq!(counts(&first), [4, 3, 0, 0, 1], "{first}");
    assert_eq!(first["rejections"][0]["line"], 5, "outside the activity's year: {first}");
    let again = summary(import(&app, &token, "intervention-reports", "", "text/csv", csv(30, "")).await).await;
    assert_eq!(counts(&again), [4, 0, 0, 3, 1], "{again}");
    // A different March figure is refused as a single report would be, until it is a correction.
    let refused = summary(import(&app, &token, "intervention-reports", "", "text/csv", csv(35, "")).await).await;
    assert_eq!(refused["rejections"][0]["problem"]["status"], 409, "{refused}");
    let corrected = summary(import(&app, &token, "intervention-reports", "", "text/csv", csv(35, "true")).await).await;
    assert_eq!(counts(&corrected), [4, 0, 1, 2, 1], "{corrected}");
    let activity: Value = app.get(&format!("/api/v1/interventions/{id}"), Some(&token)).await.json().await.unwrap();
    assert_eq!(activity["reached"], 65, "{activity}");
}

#[tokio::test]
async fn families_at_risk_are_an_import_kind_with_a_year_per_record() {
    let app = TestApp::spawn().await;
    let token = app.token_for(Role::Integration, Some("62.03")).await;
    let csv = |factors: &str| {
        format!(
            "year,family_key,village_code,risk_factors,has_pregnant_woman,has_under_two,has_under_five\n\
             2022,6203-0001,62.03.01.1006,{factors},false,true,true\n\
             2023,6203-0001,62.03.01.1006,no_safe_water,true,false,false\n\
             2022,6203-0002,14.01.01.2009,no_safe_water,true,false,false\n"
        )
    };
    let first =
        summary(import(&app, &token, "families-at-risk", "", "text/csv", csv("no_safe_water;mother_under_20")).await)
            .await;
    assert_eq!(counts(&first), [3, 2, 0, 0, 1], "{first}");
    assert_eq!(first["rejections"][0]["id"], "6203-0002");
    let again =
        summary(import(&app, &token, "families-at-risk", "", "text/csv", csv("mother_under_20;no_safe_water")).await)
            .await;
    assert_eq!(counts(&again), [3, 0, 0, 2, 1], "{again}");
    let changed = summary(import(&app, &token, "families-at-risk", "", "text/csv", csv("no_safe_water")).await).await;
    assert_eq!(counts(&changed), [3, 0, 1, 1, 1], "{changed}");
    let page: Value = app.get("/api/v1/families-at-risk?year=2023", Some(&token)).await.json().await.unwrap();
    assert_eq!(page["items"].as_array().unwrap().len(), 1, "{page}");
}

#[tokio::test]
async fn budget_lines_are_added_by_the_rules_of_a_single_line_and_known_by_their_activity() {
    let app = TestApp::spawn().await;
    let token = app.token_for(Role::Officer, Some("14.01")).await;
    let body =
        json!({"region_code": "14.01", "fiscal_year": 2025, "funding_source": "apbd_district", "title": "APBD 2025"});
    let budget: Value = app.post_json("/api/v1/budgets", Some(&token), &body).await.json().await.unwrap();
    let id = budget["id"].as_str().unwrap();
    let csv = |ceiling: i64| {
        format!(
            "budget_id,activity,ceiling,village_codes\n\
             {id},Pemberian makanan tambahan,{ceiling},14.01.01.2009;14.01.01.2010\n\
             {id},Kelas ibu hamil,50000000,\n\
             {id},Sanitasi,-5,\n"
        )
    };
    let first = summary(import(&app, &token, "budget-lines", "", "text/csv", csv(250_000_000)).await).await;
    assert_eq!(counts(&first), [3, 2, 0, 0, 1], "{first}");
    assert_eq!(first["rejections"][0]["problem"]["errors"][0]["field"], "ceiling", "{first}");
    let again = summary(import(&app, &token, "budget-lines", "", "text/csv", csv(250_000_000)).await).await;
    assert_eq!(counts(&again), [3, 0, 0, 2, 1], "{again}");
    let changed = summary(import(&app, &token, "budget-lines", "", "text/csv", csv(300_000_000)).await).await;
    assert_eq!(changed["rejections"][0]["problem"]["status"], 409, "{changed}");
    let budget: Value = app.get(&format!("/api/v1/budgets/{id}"), Some(&token)).await.json().await.unwrap();
    assert_eq!(budget["reconciliation"]["lines_total"], 300_000_000, "{budget}");

    let cadre = app.token_for(Role::Cadre, Some(VILLAGE)).await;
    problem(import(&app, &cadre, "budget-lines", "", "text/csv", csv(1)).await, StatusCode::FORBIDDEN).await;
}
