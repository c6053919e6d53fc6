//! The kept prevalence and case counts against a recount from the rows: after random sequences
//! of writes, voids, rescorings, moves, case follow-up and removals, and under concurrent
//! writers in one village.

use std::collections::BTreeMap;

use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Date, Text};
use diesel_async::RunQueryDsl;
use futures_util::future::join_all;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use stunting_api::domain::{PeriodKind, RegionLevel, Role};
use stunting_api::records::stats::prevalence::{self, Counts};
use stunting_api::records::stats::{Breakdown, Span};

use crate::common::TestApp;
use crate::common::app::children::VILLAGE;

/// Villages in two subdistricts of one district and in a second district.
const VILLAGES: [&str; 4] = [VILLAGE, "14.01.01.2010", "14.01.02.2001", "14.03.01.1001"];

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Rows of the kept table `kept` that differ from its recount, both ways; kept rows where
/// `something` is false (every count zero) stand for nothing kept.
pub(crate) async fn drift(app: &TestApp, kept: &str, recount: &str, something: &str) -> i64 {
    let mut conn = app.pool.get().await.unwrap();
    diesel::sql_query(format!(
        "SELECT count(*) AS n FROM ( \
           (SELECT * FROM {kept} WHERE {something} EXCEPT ALL SELECT * FROM {recount}) \
           UNION ALL \
           (SELECT * FROM {recount} EXCEPT ALL SELECT * FROM {kept})) d"
    ))
    .get_result::<Count>(&mut conn)
    .await
    .unwrap()
    .n
}

/// Kept prevalence rows that differ from the recount, both ways (all-zero kept rows are nothing kept).
async fn differences(app: &TestApp) -> i64 {
    drift(app, "prevalence_counts", "prevalence_from_rows()", "(measured, stunted, severely_stunted, weighed, underweight, wasting_measured, wasted) <> (0, 0, 0, 0, 0, 0, 0)").await
}

/// Kept case rows that differ from the recount, both ways (all-zero kept rows are nothing kept).
async fn case_differences(app: &TestApp) -> i64 {
    drift(app, "case_counts", "case_counts_from_rows()", "(opened, resolved, closed_moved_away, closed_died, closed_reached_60_months, closed_other, audited, net_open, net_open_severe, net_open_assigned) <> (0, 0, 0, 0, 0, 0, 0, 0, 0, 0)").await
}

#[derive(diesel::QueryableByName)]
struct CaseRecount {
    #[diesel(sql_type = Date)]
    period_start: chrono::NaiveDate,
    #[diesel(sql_type = Text)]
    area: String,
    #[diesel(sql_type = BigInt)]
    open: i64,
    #[diesel(sql_type = BigInt)]
    opened: i64,
    #[diesel(sql_type = BigInt)]
    closed: i64,
    #[diesel(sql_type = BigInt)]
    assigned: i64,
}

/// (period start, region) → (open at the end, opened, closed, open and assigned), counted
/// straight from the cases, with no kept table and no event arithmetic.
async fn case_recount(
    app: &TestApp,
    root: &str,
    length: i32,
    kind: &str,
) -> BTreeMap<(String, String), (i64, i64, i64, i64)> {
    let mut conn = app.pool.get().await.unwrap();
    let rows: Vec<CaseRecount> = diesel::sql_query(
        "WITH step AS ( \
           SELECT CASE $2 WHEN 'month' THEN interval '1 month' WHEN 'quarter' THEN interval '3 months' \
                          WHEN 'semester' THEN interval '6 months' ELSE interval '1 year' END AS length \
         ), periods AS ( \
           SELECT s::date AS period_start, (s + step.length - interval '1 day')::date AS period_end \
           FROM step, generate_series('2024-01-01'::date, '2025-12-31', step.length) s \
         ), live AS ( \
           SELECT c.*, CASE c.status WHEN 'resolved' THEN c.resolved_on WHEN 'closed' THEN c.closed_on END AS ended_on \
           FROM cases c JOIN children ch ON ch.id = c.child_id AND ch.deleted_at IS NULL \
           WHERE c.status <> 'void' AND starts_with(c.village_code, $3) \
         ) \
         SELECT p.period_start, left(l.village_code, $1) AS area, \
                count(*) FILTER (WHERE l.opened_on <= p.period_end AND (l.ended_on IS NULL OR l.ended_on > p.period_end)) AS open, \
                count(*) FILTER (WHERE l.opened_on BETWEEN p.period_start AND p.period_end) AS opened, \
                count(*) FILTER (WHERE l.status = 'closed' AND l.closed_on BETWEEN p.period_start AND p.period_end) AS closed, \
                count(*) FILTER (WHERE l.opened_on <= p.period_end AND (l.ended_on IS NULL OR l.ended_on > p.period_end) \
                                 AND l.assigned_team_id IS NOT NULL) AS assigned \
         FROM periods p CROSS JOIN live l GROUP BY 1, 2",
    )
    .bind::<diesel::sql_types::Integer, _>(length)
    .bind::<Text, _>(kind)
    .bind::<Text, _>(root)
    .load(&mut conn)
    .await
    .unwrap();
    rows.into_iter()
        .filter(|r| (r.open, r.opened, r.closed) != (0, 0, 0))
        .map(|r| ((r.period_start.to_string(), r.area), (r.open, r.opened, r.closed, r.assigned)))
        .collect()
}

/// The cases series at every tier and period kind equals the straight count (regions with
/// only an audit in a period are not in the recount, so they are left out of both).
async fn assert_case_api_matches_recount(app: &TestApp, token: &str) {
    let tiers = [("", "province", 2), ("14", "district", 5), ("14.01", "subdistrict", 8), ("14.01.01", "village", 13)];
    for (root, level, length) in tiers {
        for kind in ["month", "quarter", "semester", "year"] {
            let region = if root.is_empty() { String::new() } else { format!("&region={root}") };
            let path = format!("/api/v1/stats/cases?from=2024-01&to=2025-12&period={kind}&level={level}{region}");
            let answer = app.get(&path, Some(token)).await;
            assert_eq!(answer.status(), StatusCode::OK, "{path}");
            let answer: Value = answer.json().await.unwrap();
            let served: BTreeMap<(String, String), (i64, i64, i64, i64)> = answer["rows"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| {
                    let key =
                        (r["period_start"].as_str().unwrap().to_owned(), r["region_code"].as_str().unwrap().to_owned());
                    let n = |field: &str| r[field].as_i64().unwrap();
                    (key, (n("open"), n("opened"), n("closed"), n("open_assigned")))
                })
                .filter(|(_, (open, opened, closed, _))| (*open, *opened, *closed) != (0, 0, 0))
                .collect();
            assert!(!served.is_empty(), "{path} holds no case");
            assert_eq!(served, case_recount(app, root, length, kind).await, "{path}");
        }
    }
}

#[derive(diesel::QueryableByName)]
struct Recounted {
    #[diesel(sql_type = Date)]
    period_start: chrono::NaiveDate,
    #[diesel(sql_type = Text)]
    area: String,
    #[diesel(sql_type = BigInt)]
    measured: i64,
    #[diesel(sql_type = BigInt)]
    stunted: i64,
}

/// (period start, region) → (measured, stunted), recounted from the rows at one tier.
async fn recount(app: &TestApp, root: &str, length: i32, kind: &str) -> BTreeMap<(String, String), (i64, i64)> {
    let mut conn = app.pool.get().await.unwrap();
    let rows: Vec<Recounted> = diesel::sql_query(
        "SELECT period_start, left(region_code, $1) AS area, sum(measured)::bigint AS measured, \
                sum(stunted)::bigint AS stunted \
         FROM prevalence_from_rows() WHERE tier = 'village' AND period = $2 AND starts_with(region_code, $3) \
         GROUP BY 1, 2",
    )
    .bind::<diesel::sql_types::Integer, _>(length)
    .bind::<Text, _>(kind)
    .bind::<Text, _>(root)
    .load(&mut conn)
    .await
    .unwrap();
    rows.into_iter().map(|r| ((r.period_start.to_string(), r.area), (r.measured, r.stunted))).collect()
}

/// The API's series at every tier and period kind equals the recount.
async fn assert_api_matches_recount(app: &TestApp, token: &str) {
    let tiers = [("", "province", 2), ("14", "district", 5), ("14.01", "subdistrict", 8), ("14.01.01", "village", 13)];
    for (root, level, length) in tiers {
        for kind in ["month", "quarter", "semester", "year"] {
            let region = if root.is_empty() { String::new() } else { format!("&region={root}") };
            let path = format!("/api/v1/stats/prevalence?from=2024-01&to=2025-12&period={kind}&level={level}{region}");
            let answer = app.get(&path, Some(token)).await;
            assert_eq!(answer.status(), StatusCode::OK, "{path}");
            let answer: Value = answer.json().await.unwrap();
            let served: BTreeMap<(String, String), (i64, i64)> = answer["rows"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| {
                    let key =
                        (r["period_start"].as_str().unwrap().to_owned(), r["region_code"].as_str().unwrap().to_owned());
                    (key, (r["measured"].as_i64().unwrap(), r["stunted"].as_i64().unwrap()))
                })
                .collect();
            assert_eq!(served, recount(app, root, length, kind).await, "{path}");
        }
    }
}

async fn etag_of(app: &TestApp, token: &str, child_id: &str) -> String {
    let response = app.get(&format!("/api/v1/children/{child_id}"), Some(token)).await;
    response.headers()["etag"].to_str().unwrap().to_owned()
}

#[tokio::test]
async fn kept_counts_equal_a_recount_after_random_writes() {
    let app = TestApp::spawn().await;
    let admin = app.token_for(Role::Admin, None).await;
    let mut rng = StdRng::seed_from_u64(20_241_129);
    let mut children: Vec<String> = Vec::new();
    let mut measurements: Vec<Value> = Vec::new();
    let mut followed_up = 0;
    let mut teams = BTreeMap::new();
    for village in VILLAGES {
        teams.insert(village, app.tpk_in(&admin, village).await["id"].clone());
    }

    for step in 0..140 {
        let roll = if children.is_empty() { 0 } else { rng.random_range(0..100) };
        match roll {
            0..=17 => {
                let village = VILLAGES[rng.random_range(0..VILLAGES.len())];
                let child = app.child_in(&admin, village).await;
                children.push(child["id"].as_str().unwrap().to_owned());
            }
            18..=59 => {
                let id = &children[rng.random_range(0..children.len())];
                let on = format!(
                    "{}-{:02}-{:02}",
                    rng.random_range(2024..=2025),
                    rng.random_range(7..=12),
                    rng.random_range(1..=28)
                );
                let z = rng.random_range(-4.0..1.0_f64);
                let path = format!("/api/v1/children/{id}/measurements");
                let mut body = json!({"measured_on": on, "length_cm": crate::common::app::children::length_for(&on, z),
                                      "position": "lying", "place": "posyandu"});
                if rng.random_bool(0.5) {
                    body["weight_kg"] = json!(rng.random_range(5.0..12.0_f64));
                }
                let response = app.post_json(&path, Some(&admin), &body).await;
                // A removed child takes no measurement; anything else is recorded.
                if response.status() == StatusCode::CREATED {
                    measurements.push(response.json().await.unwrap());
                }
            }
            60..=67 if !measurements.is_empty() => {
                let measurement = measurements.swap_remove(rng.random_range(0..measurements.len()));
                app.void_measurement(&admin, &measurement).await;
            }
            68..=75 => {
                // A corrected birth date or sex rescores every measurement.
                let id = children[rng.random_range(0..children.len())].clone();
                let etag = etag_of(&app, &admin, &id).await;
                let change = if rng.random_bool(0.5) {
                    json!({"birth_date": format!("2024-0{}-01", rng.random_range(4..=6))})
                } else {
                    json!({"sex": if rng.random_bool(0.5) { "male" } else { "female" }})
                };
                app.patch_json(&format!("/api/v1/children/{id}"), Some(&admin), Some(&etag), &change).await;
            }
            76..=83 => {
                let id = children[rng.random_range(0..children.len())].clone();
                let etag = etag_of(&app, &admin, &id).await;
                let village = VILLAGES[rng.random_range(0..VILLAGES.len())];
                app.patch_json(
                    &format!("/api/v1/children/{id}"),
                    Some(&admin),
                    Some(&etag),
                    &json!({"village_code": village}),
                )
                .await;
            }
            84..=93 => followed_up += u32::from(follow_up_a_case(&app, &admin, &mut rng, &teams).await),
            _ => {
                let id = children.swap_remove(rng.random_range(0..children.len()));
                let etag = etag_of(&app, &admin, &id).await;
                app.request(Method::DELETE, &format!("/api/v1/children/{id}"), Some(&admin))
                    .header("If-Match", etag)
                    .json(&json!({"reason": "registered twice"}))
                    .send()
                    .await
                    .unwrap();
                measurements.retain(|m| m["child_id"] != id.as_str());
            }
        }
        if step % 40 == 39 {
            assert_eq!(differences(&app).await, 0, "kept counts drifted by step {step}");
            assert_eq!(case_differences(&app).await, 0, "kept case counts drifted by step {step}");
        }
    }
    assert!(measurements.len() > 10, "the sequence measured too little to prove anything");
    assert!(followed_up > 5, "the sequence followed up too few cases to prove anything");
    assert_eq!(differences(&app).await, 0);
    assert_eq!(case_differences(&app).await, 0);
    assert_api_matches_recount(&app, &admin).await;
    assert_case_api_matches_recount(&app, &admin).await;
    assert_range_counts_match_the_kept_counts(&app).await;
}

#[derive(diesel::QueryableByName)]
struct Kept {
    #[diesel(sql_type = Date)]
    period_start: chrono::NaiveDate,
    #[diesel(sql_type = Text)]
    region_code: String,
    #[diesel(embed)]
    counts: Counts,
}

/// The prevalence rule is written twice: in the trigger that keeps the counts per calendar
/// period (and its recount, `prevalence_from_rows`), and in the query that counts a range that
/// is no calendar period. Asked for exactly a calendar period, the range query must give the
/// kept counts, every figure of every village, for every period of every kind.
async fn assert_range_counts_match_the_kept_counts(app: &TestApp) {
    let mut conn = app.pool.get().await.unwrap();
    for kind in PeriodKind::ALL {
        let kept: Vec<Kept> = diesel::sql_query(
            "SELECT period_start, region_code, measured, stunted, severely_stunted, weighed, underweight, \
                    wasting_measured, wasted \
             FROM prevalence_counts WHERE tier = 'village' AND period = $1 AND measured > 0",
        )
        .bind::<Text, _>(kind.as_str())
        .load(&mut conn)
        .await
        .unwrap();
        let starts: std::collections::BTreeSet<chrono::NaiveDate> = kept.iter().map(|k| k.period_start).collect();
        assert!(!starts.is_empty(), "no kept {} counts to compare", kind.as_str());
        for start in starts {
            let span = Span::Range { from: start, to: kind.end_of(start) };
            let ask = Breakdown { root: None, level: RegionLevel::Village, span: &span, lokus: false };
            let counted = prevalence::from_rows(&mut conn, &ask, start, kind.end_of(start)).await.unwrap();
            let counted: BTreeMap<String, Counts> = counted.into_iter().map(|c| (c.area, c.counts)).collect();
            let kept: BTreeMap<String, Counts> =
                kept.iter().filter(|k| k.period_start == start).map(|k| (k.region_code.clone(), k.counts)).collect();
            assert_eq!(counted, kept, "{} from {start}", kind.as_str());
        }
    }
}

/// Closes, audits or assigns a TPK to a random case (or takes an assignment away); whether
/// there was a case to follow up.
async fn follow_up_a_case(app: &TestApp, token: &str, rng: &mut StdRng, teams: &BTreeMap<&str, Value>) -> bool {
    let page: Value = app.get("/api/v1/cases?limit=500", Some(token)).await.json().await.unwrap();
    let cases = page["items"].as_array().unwrap();
    if cases.is_empty() {
        return false;
    }
    let case = &cases[rng.random_range(0..cases.len())];
    let latest = case["latest_measured_on"].as_str().unwrap();
    let change = match rng.random_range(0..4) {
        0 if case["status"] == "open" => {
            let reason = ["moved_away", "died", "reached_60_months", "other"][rng.random_range(0..4)];
            json!({"close": {"reason": reason, "closed_on": latest}})
        }
        1 => json!({"audit": {"audited_on": latest, "findings": "home visit"}}),
        2 => json!({"assigned_team_id": teams[case["village_code"].as_str().unwrap()]}),
        _ => json!({"assigned_team_id": null}),
    };
    let path = format!("/api/v1/cases/{}", case["id"].as_str().unwrap());
    let etag = app.get(&path, Some(token)).await.headers()["etag"].to_str().unwrap().to_owned();
    let response = app.patch_json(&path, Some(token), Some(&etag), &change).await;
    assert_eq!(response.status(), StatusCode::OK, "{change}: {}", response.text().await.unwrap());
    true
}

#[tokio::test]
async fn concurrent_writers_in_one_village_lose_no_count() {
    let app = TestApp::spawn().await;
    let officer = app.token_for(Role::Officer, Some("14.01")).await;
    let mut children = Vec::new();
    for _ in 0..4 {
        children.push(app.child_in(&officer, VILLAGE).await);
    }
    // Sixteen writers at once: new children, and several measurements of the same children.
    let writers = (0..16).map(|i| {
        let (app, officer, child) = (&app, &officer, children[i % children.len()].clone());
        async move {
            // Each child's latest measurement is the last writer's, at −0.65 or above.
            let on = format!("2025-07-{:02}", 1 + i);
            app.measure_at(officer, &child, &on, -3.05 + (i as f64) * 0.2).await;
            let newcomer = app.child_in(officer, VILLAGE).await;
            app.measure_at(officer, &newcomer, "2025-08-01", -2.5).await;
        }
    });
    join_all(writers).await;
    assert_eq!(differences(&app).await, 0);
    let stats: Value = app
        .get("/api/v1/stats/prevalence?region=14.01.01&level=village&year=2025", Some(&officer))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(stats["total"]["measured"], 20, "4 children measured again and again, 16 newcomers once");
    assert_eq!(stats["total"]["stunted"], 16, "only the newcomers are stunted at their latest: {stats}");
}

/// Kept coverage rows that differ from the recount, both ways (all-zero kept rows are nothing kept).
async fn coverage_differences(app: &TestApp) -> i64 {
    drift(app, "coverage_counts", "coverage_from_rows()", "(activities, target, reached) <> (0, 0, 0)").await
}

#[tokio::test]
async fn kept_coverage_equals_a_recount_after_random_activities_and_reports() {
    let app = TestApp::spawn().await;
    let admin = app.token_for(Role::Admin, None).await;
    let mut rng = StdRng::seed_from_u64(29_112_026);
    let regions = [VILLAGE, "14.01.01", "14.01", "14", "14.03.01.1001"];
    let types = ["growth_monitoring", "basic_immunisation"];
    let mut activities: Vec<Value> = Vec::new();
    let mut reports = 0;
    for _ in 0..90 {
        let roll = if activities.is_empty() { 0 } else { rng.random_range(0..100) };
        match roll {
            0..=24 => {
                let mut body = json!({"type_code": types[rng.random_range(0..types.len())],
                                      "region_code": regions[rng.random_range(0..regions.len())],
                                      "target": rng.random_range(0..200)});
                if rng.random_bool(0.5) {
                    body["year"] = json!(2024);
                } else {
                    body["period_start"] =
                        json!(format!("2024-{:02}-{:02}", rng.random_range(3..=9), rng.random_range(1..=28)));
                    body["period_end"] = json!(format!("2025-{:02}-15", rng.random_range(1..=6)));
                }
                let created = app.post_json("/api/v1/interventions", Some(&admin), &body).await;
                assert_eq!(created.status(), StatusCode::CREATED, "{body}");
                activities.push(created.json().await.unwrap());
            }
            25..=74 => {
                let activity = &activities[rng.random_range(0..activities.len())];
                let month = format!("2024-{:02}", rng.random_range(9..=12));
                let body =
                    json!({"month": month, "reached": rng.random_range(0..60), "correction": rng.random_bool(0.4)});
                let id = activity["id"].as_str().unwrap();
                let sent = app.post_json(&format!("/api/v1/interventions/{id}/reports"), Some(&admin), &body).await;
                if sent.status().is_success() {
                    reports += 1;
                }
            }
            75..=89 => {
                let id = activities[rng.random_range(0..activities.len())]["id"].as_str().unwrap().to_owned();
                let etag = app.get(&format!("/api/v1/interventions/{id}"), Some(&admin)).await.headers()["etag"]
                    .to_str()
                    .unwrap()
                    .to_owned();
                let change = if rng.random_bool(0.5) {
                    json!({"target": rng.random_range(0..300)})
                } else {
                    json!({"period_end": "2025-12-31"})
                };
                app.patch_json(&format!("/api/v1/interventions/{id}"), Some(&admin), Some(&etag), &change).await;
            }
            _ => {
                let activity = activities.swap_remove(rng.random_range(0..activities.len()));
                let id = activity["id"].as_str().unwrap();
                let etag = app.get(&format!("/api/v1/interventions/{id}"), Some(&admin)).await.headers()["etag"]
                    .to_str()
                    .unwrap()
                    .to_owned();
                let removed = app
                    .request(Method::DELETE, &format!("/api/v1/interventions/{id}"), Some(&admin))
                    .header("If-Match", etag)
                    .json(&json!({"reason": "entered twice"}))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(removed.status(), StatusCode::NO_CONTENT);
            }
        }
    }
    assert!(reports > 10, "the sequence reported too little to prove anything");
    assert_eq!(coverage_differences(&app).await, 0);

    // The kept answer for the whole year equals the one summed from the rows for it, region
    // by region and type by type (a year minus nothing: Jan–Dec asked as a range of months is
    // a calendar year, so compare the year with the sum of its two semesters' reports).
    let year: Value =
        app.get("/api/v1/stats/interventions?year=2024&level=district", Some(&admin)).await.json().await.unwrap();
    assert_eq!(year["source"], "kept");
    let semesters: Value = app
        .get("/api/v1/stats/interventions?year=2024&level=district&period=semester", Some(&admin))
        .await
        .json()
        .await
        .unwrap();
    let by_province: Value =
        app.get("/api/v1/stats/interventions?year=2024&level=province", Some(&admin)).await.json().await.unwrap();
    let totals = |answer: &Value| -> Vec<(String, i64, i64, i64)> {
        let mut all: Vec<_> = answer["categories"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|c| c["totals"].as_array().unwrap().iter())
            .map(|t| {
                let n = |f: &str| t[f].as_i64().unwrap();
                (t["type_code"].as_str().unwrap().to_owned(), n("activities"), n("target"), n("reached"))
            })
            .collect();
        all.sort();
        all
    };
    assert_eq!(totals(&by_province), totals(&year), "province rows and district rows add up alike");
    // By subdistrict (kept subdistrict and upper_subdistrict rows): each row is what the
    // village breakdown (own rows) adds up to at the subdistrict, and a region above it keeps
    // its own row.
    let path = |level: &str| format!("/api/v1/stats/interventions?year=2024&level={level}");
    let by_subdistrict: Value = app.get(&path("subdistrict"), Some(&admin)).await.json().await.unwrap();
    let by_village: Value = app.get(&path("village"), Some(&admin)).await.json().await.unwrap();
    assert_eq!(totals(&by_subdistrict), totals(&year), "subdistrict rows and district rows add up alike");
    let at_subdistrict = |answer: &Value| -> BTreeMap<(String, String), (i64, i64, i64)> {
        let mut summed = BTreeMap::new();
        for row in answer["categories"].as_array().unwrap().iter().flat_map(|c| c["rows"].as_array().unwrap()) {
            let code = row["region_code"].as_str().unwrap();
            let area = code.get(..8).unwrap_or(code).to_owned();
            let n = |f: &str| row[f].as_i64().unwrap();
            let sum: &mut (i64, i64, i64) =
                summed.entry((area, row["type_code"].as_str().unwrap().to_owned())).or_default();
            *sum = (sum.0 + n("activities"), sum.1 + n("target"), sum.2 + n("reached"));
        }
        summed
    };
    let subdistricts = at_subdistrict(&by_subdistrict);
    assert!(subdistricts.keys().any(|(area, _)| area.len() == 8), "no subdistrict row to compare: {by_subdistrict}");
    assert_eq!(subdistricts, at_subdistrict(&by_village));
    for category in year["categories"].as_array().unwrap() {
        for total in category["totals"].as_array().unwrap() {
            let halves: i64 = semesters["categories"]
                .as_array()
                .unwrap()
                .iter()
                .flat_map(|c| c["totals"].as_array().unwrap().iter())
                .filter(|t| t["type_code"] == total["type_code"])
                .map(|t| t["reached"].as_i64().unwrap())
                .sum();
            assert_eq!(total["reached"].as_i64().unwrap(), halves, "{total}");
        }
    }
}

/// Kept budget rows that differ from the recount, both ways (all-zero kept rows are nothing kept).
async fn budget_differences(app: &TestApp) -> i64 {
    drift(app, "budget_counts", "budget_counts_from_rows()", "(lines, ceiling, realised) <> (0, 0, 0)").await
}

/// A budget's current ETag.
async fn budget_etag(app: &TestApp, token: &str, id: &str) -> String {
    let response = app.get(&format!("/api/v1/budgets/{id}"), Some(token)).await;
    response.headers()["etag"].to_str().unwrap().to_owned()
}

#[tokio::test]
async fn kept_budgets_equal_a_recount_after_random_documents_lines_and_spending() {
    let app = TestApp::spawn().await;
    let admin = app.token_for(Role::Admin, None).await;
    let mut rng = StdRng::seed_from_u64(20_241_130);
    let agency: Value = app
        .post_json(
            "/api/v1/agencies",
            Some(&admin),
            &json!({"district_code": "14.01", "name": "Dinas Kesehatan", "short_name": "Dinkes", "sector": "health"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let regions = ["14", "14.01", "14.03", VILLAGES[0], VILLAGES[1], VILLAGES[2], VILLAGES[3]];
    let sources = ["apbd_district", "dana_desa", "dak_non_fisik_bkkbn"];
    let mut budgets: Vec<String> = Vec::new();
    let mut lines: Vec<(String, String)> = Vec::new();
    let mut done = BTreeMap::<&str, u32>::new();
    for step in 0..160 {
        let roll = if budgets.is_empty() { 0 } else { rng.random_range(0..100) };
        let (what, response) = match roll {
            0..=14 => {
                let body = json!({"region_code": regions[rng.random_range(0..regions.len())],
                                  "fiscal_year": rng.random_range(2024..=2025),
                                  "funding_source": sources[rng.random_range(0..sources.len())], "title": "Anggaran"});
                let response = app.post_json("/api/v1/budgets", Some(&admin), &body).await;
                let created: Value = response.json().await.unwrap();
                budgets.push(created["id"].as_str().unwrap().to_owned());
                ("create", StatusCode::CREATED)
            }
            15..=44 => {
                let id = &budgets[rng.random_range(0..budgets.len())];
                let type_code = [Some("pmt_pregnant_kek"), Some("growth_monitoring"), None][rng.random_range(0..3)];
                let agency_id = if rng.random_bool(0.5) { agency["id"].clone() } else { Value::Null };
                let body = json!({"activity": "Kegiatan", "type_code": type_code, "agency_id": agency_id,
                                  "ceiling": rng.random_range(1..100) * 1_000_000});
                let response = app.post_json(&format!("/api/v1/budgets/{id}/lines"), Some(&admin), &body).await;
                let status = response.status();
                if status == StatusCode::CREATED {
                    let line: Value = response.json().await.unwrap();
                    lines.push((id.clone(), line["id"].as_str().unwrap().to_owned()));
                }
                ("line", status)
            }
            45..=59 | 85..=89 => {
                let id = budgets[rng.random_range(0..budgets.len())].clone();
                let action = if roll < 60 { "approve" } else { "revise" };
                let etag = budget_etag(&app, &admin, &id).await;
                let path = format!("/api/v1/budgets/{id}/{action}");
                let response = app.request(Method::POST, &path, Some(&admin)).header("If-Match", etag).send().await;
                (action, response.unwrap().status())
            }
            60..=74 if !lines.is_empty() => {
                let (budget, line) = &lines[rng.random_range(0..lines.len())];
                let body = json!({"amount": rng.random_range(1..50) * 100_000, "spent_on": "2025-03-01",
                                  "approved_overrun": true});
                let path = format!("/api/v1/budgets/{budget}/lines/{line}/spending");
                ("spend", app.post_json(&path, Some(&admin), &body).await.status())
            }
            75..=79 if !lines.is_empty() => {
                let (budget, line) = lines[rng.random_range(0..lines.len())].clone();
                let path = format!("/api/v1/budgets/{budget}/lines/{line}");
                let current = app.get(&format!("/api/v1/budgets/{budget}/lines"), Some(&admin)).await;
                let current: Value = current.json().await.unwrap();
                let version = current.as_array().and_then(|all| all.iter().find(|l| l["id"] == line.as_str()).cloned());
                let etag = version.map(|l| format!("\"{}\"", l["version"])).unwrap_or_default();
                let body = json!({"ceiling": rng.random_range(1..100) * 1_000_000, "agency_id": Value::Null});
                ("edit line", app.patch_json(&path, Some(&admin), Some(&etag), &body).await.status())
            }
            80..=84 => {
                let id = budgets[rng.random_range(0..budgets.len())].clone();
                let etag = budget_etag(&app, &admin, &id).await;
                let body = json!({"fiscal_year": rng.random_range(2024..=2025),
                                  "funding_source": sources[rng.random_range(0..sources.len())]});
                (
                    "edit budget",
                    app.patch_json(&format!("/api/v1/budgets/{id}"), Some(&admin), Some(&etag), &body).await.status(),
                )
            }
            _ => {
                let id = budgets.swap_remove(rng.random_range(0..budgets.len()));
                let etag = budget_etag(&app, &admin, &id).await;
                let response = app
                    .request(Method::DELETE, &format!("/api/v1/budgets/{id}"), Some(&admin))
                    .header("If-Match", etag)
                    .json(&json!({"reason": "entered twice"}))
                    .send()
                    .await
                    .unwrap();
                lines.retain(|(budget, _)| *budget != id);
                ("remove", response.status())
            }
        };
        if response.is_success() {
            *done.entry(what).or_default() += 1;
        }
        if step % 40 == 39 {
            assert_eq!(budget_differences(&app).await, 0, "kept budgets drifted by step {step}");
        }
    }
    for what in ["create", "line", "approve", "revise", "spend", "edit line", "edit budget", "remove"] {
        assert!(done.get(what).is_some_and(|n| *n >= 2), "too few successful {what}: {done:?}");
    }
    assert_eq!(budget_differences(&app).await, 0);

    // The API's totals per province and per district equal a sum over the lines themselves.
    let mut conn = app.pool.get().await.unwrap();
    #[derive(diesel::QueryableByName)]
    struct Sum {
        #[diesel(sql_type = Text)]
        area: String,
        #[diesel(sql_type = BigInt)]
        ceiling: i64,
    }
    for (level, length) in [("province", 2), ("district", 5)] {
        for year in [2024, 2025] {
            let sums: Vec<Sum> = diesel::sql_query(
                "SELECT CASE WHEN length(b.region_code) >= $1 THEN left(b.region_code, $1) ELSE b.region_code END AS area, \
                        sum(l.ceiling)::bigint AS ceiling \
                 FROM budget_lines l JOIN budgets b ON b.id = l.budget_id \
                 WHERE b.deleted_at IS NULL AND b.status IN ('approved', 'revised') AND b.fiscal_year = $2 GROUP BY 1",
            )
            .bind::<diesel::sql_types::Integer, _>(length)
            .bind::<diesel::sql_types::Integer, _>(year)
            .load(&mut conn)
            .await
            .unwrap();
            let expected: BTreeMap<String, i64> = sums.into_iter().map(|s| (s.area, s.ceiling)).collect();
            let path = format!("/api/v1/stats/budgets?year={year}&level={level}");
            let answer: Value = app.get(&path, Some(&admin)).await.json().await.unwrap();
            let served: BTreeMap<String, i64> = answer["rows"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| (r["region_code"].as_str().unwrap().to_owned(), r["ceiling"].as_i64().unwrap()))
                .collect();
            assert_eq!(served, expected, "{path}");
        }
    }
}

#[tokio::test]
async fn kept_village_counts_follow_new_and_retired_villages() {
    let app = TestApp::spawn().await;
    let admin = app.token_for(Role::Admin, None).await;
    let villages = async |app: &TestApp, path: &str| {
        app.get(path, Some(&admin)).await.json::<Value>().await.unwrap()["total"]["villages"].as_i64().unwrap()
    };
    let (district, subdistrict) = (
        villages(&app, "/api/v1/stats/teams?region=14.01").await,
        villages(&app, "/api/v1/stats/teams?region=14.01.01").await,
    );
    let created =
        app.post_json("/api/v1/regions", Some(&admin), &json!({"code": "14.01.01.2999", "name": "Desa Baru"})).await;
    assert_eq!(created.status(), StatusCode::CREATED);
    assert_eq!(villages(&app, "/api/v1/stats/teams?region=14.01").await, district + 1);
    let retired = app.post_json(&format!("/api/v1/regions/{VILLAGE}/retire"), Some(&admin), &json!({})).await;
    assert_eq!(retired.status(), StatusCode::OK, "{}", retired.text().await.unwrap());
    assert_eq!(villages(&app, "/api/v1/stats/teams?region=14.01.01").await, subdistrict);
    assert_eq!(villages(&app, "/api/v1/stats/teams?region=14.01").await, district);
    // By village the regions themselves are counted: the kept counts must agree with them.
    let by_village: Value =
        app.get("/api/v1/stats/teams?region=14.01.01&level=village", Some(&admin)).await.json().await.unwrap();
    assert_eq!(by_village["total"]["villages"].as_i64(), Some(subdistrict));
}
