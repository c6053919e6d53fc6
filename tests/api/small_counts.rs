//! Small counts never reach an analyst (docs/API.md, "Small counts"): one village with a few of
//! everything, read by an analyst at village and subdistrict level from every aggregate, as
//! JSON and as CSV, and from the dashboard summary. Every count of people from 1 to 4 is
//! withheld; an officer, who may read the children themselves, sees the same answers whole,
//! which shows the village really holds small counts.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use stunting_api::domain::Role;

use crate::common::TestApp;
use crate::common::app::children::{VILLAGE, length_for};

/// Counts that are not of people (organisations, places, plans, convergence actions), and
/// fields that are not counts at all.
const NOT_OF_PEOPLE: &[&str] = &[
    "year",
    "fiscal_year",
    "tpps",
    "tpk_active",
    "tpk_inactive",
    "villages",
    "villages_with_tpk",
    "types",
    "types_at_target",
    "districts",
    "actions_done",
    "districts_all_done",
    "lokus_villages",
    "activities",
    "version",
];

fn below_district(level: &str) -> bool {
    matches!(level, "subdistrict" | "village" | "posyandu")
}

/// Where a count of 1 to 4 lies in an answer's parts below district level (a part says its
/// level as `region_level`, or a row as `level`; district and higher totals are shown whole),
/// by field.
fn small_counts(value: &Value, at: &str, below: bool, found: &mut Vec<String>) {
    match value {
        Value::Object(fields) => {
            // An answer's own `level` is the tier asked for, not its own.
            let marker = if at.is_empty() { None } else { fields.get("level") };
            let level = fields.get("region_level").or(marker).and_then(Value::as_str);
            let below = level.map_or(below, below_district);
            for (name, value) in fields {
                let counted = below && !NOT_OF_PEOPLE.contains(&name.as_str()) && !name.ends_with("_pct");
                if counted && value.as_i64().is_some_and(|n| (1..=4).contains(&n)) {
                    found.push(format!("{at}.{name} = {value}"));
                }
                small_counts(value, &format!("{at}.{name}"), below, found);
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                small_counts(item, &format!("{at}[{i}]"), below, found);
            }
        }
        _ => {}
    }
}

/// The same, in a CSV answer's rows below district level (every row when `below`), by column.
fn small_cells(csv: &str, below: bool) -> Vec<String> {
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let header = reader.headers().unwrap().clone();
    let level = header.iter().position(|column| column == "region_level" || column == "level");
    let level = level.expect("a column of each row's level");
    let mut found = Vec::new();
    for (line, record) in reader.records().map(Result::unwrap).enumerate() {
        if !below && !below_district(&record[level]) {
            continue;
        }
        for (column, cell) in header.iter().zip(record.iter()) {
            let counted = !NOT_OF_PEOPLE.contains(&column) && !column.ends_with("_pct");
            if counted && cell.parse::<i64>().is_ok_and(|n| (1..=4).contains(&n)) {
                found.push(format!("line {}: {column} = {cell}", line + 2));
            }
        }
    }
    found
}

/// One village of Kampar with two children (one stunted, so a case), an activity, a budget of
/// its own with spending, one family at risk, a woman screened, and a TPK.
async fn a_small_village(app: &TestApp, officer: &str) {
    for z in [-2.5, -0.5] {
        let child = app.child_in(officer, VILLAGE).await;
        app.measure_at(officer, &child, "2024-10-01", z).await;
        let weighing = json!({"measured_on": "2024-11-04", "length_cm": length_for("2024-11-04", z),
                              "position": "lying", "weight_kg": 7.4, "place": "posyandu"});
        assert_eq!(app.measure(officer, &child, weighing).await.status(), StatusCode::CREATED);
    }
    let activity = json!({"type_code": "ttd_pregnant", "region_code": VILLAGE, "year": 2024, "target": 3});
    let activity: Value = app.post_json("/api/v1/interventions", Some(officer), &activity).await.json().await.unwrap();
    let report = format!("/api/v1/interventions/{}/reports", activity["id"].as_str().unwrap());
    assert_eq!(app.post_json(&report, Some(officer), &json!({"month": "2024-02", "reached": 2})).await.status(), 201);

    let budget =
        json!({"region_code": VILLAGE, "fiscal_year": 2024, "funding_source": "dana_desa", "title": "Dana Desa"});
    let budget: Value = app.post_json("/api/v1/budgets", Some(officer), &budget).await.json().await.unwrap();
    let id = budget["id"].as_str().unwrap();
    let line = json!({"activity": "PMT lokal", "type_code": "pmt_pregnant_kek", "ceiling": 50_000_000});
    let line: Value =
        app.post_json(&format!("/api/v1/budgets/{id}/lines"), Some(officer), &line).await.json().await.unwrap();
    let approve = format!("/api/v1/budgets/{id}/approve");
    let approved = app.request(Method::POST, &approve, Some(officer)).header("If-Match", "\"2\"").send().await.unwrap();
    assert_eq!(approved.status(), StatusCode::OK, "{}", approved.text().await.unwrap());
    let spending = format!("/api/v1/budgets/{id}/lines/{}/spending", line["id"].as_str().unwrap());
    let spent = json!({"amount": 49_027_109, "spent_on": "2024-06-30"});
    assert_eq!(app.post_json(&spending, Some(officer), &spent).await.status(), StatusCode::CREATED);

    let families = json!({"year": 2024, "families": [{"family_key": "1401010001000001", "village_code": VILLAGE,
        "risk_factors": ["no_safe_water"], "has_pregnant_woman": true, "has_under_two": true, "has_under_five": true}]});
    assert_eq!(app.post_json("/api/v1/families-at-risk/import", Some(officer), &families).await.status(), 200);
    let woman = json!({"village_code": VILLAGE, "sex": "female", "birth_date": "2000-01-01", "name": "Nurhayati"});
    let woman: Value = app.post_json("/api/v1/people", Some(officer), &woman).await.json().await.unwrap();
    let screenings = format!("/api/v1/people/{}/screenings", woman["id"].as_str().unwrap());
    let anaemic = json!({"screened_on": "2024-05-05", "hb_g_dl": 10.0});
    assert_eq!(app.post_json(&screenings, Some(officer), &anaemic).await.status(), StatusCode::CREATED);
    app.tpk_in(officer, VILLAGE).await;
}

#[tokio::test]
async fn analysts_see_no_count_of_one_to_four_in_any_aggregate_or_format() {
    let app = TestApp::spawn().await;
    let officer = app.token_for(Role::Officer, Some("14.01")).await;
    a_small_village(&app, &officer).await;
    let analyst = app.token_for(Role::Analyst, Some("14.01")).await;

    // (path, whether the whole region asked for lies below district level, whether it has a CSV)
    let mut answers = Vec::new();
    for (region, level, below) in [
        ("14.01", "village", false),
        ("14.01", "subdistrict", false),
        ("14.01.01", "village", true),
        (VILLAGE, "village", true),
    ] {
        for stats in
            ["prevalence", "cases", "interventions", "budgets", "families-at-risk", "skdn", "data-quality", "pathway"]
        {
            answers.push((format!("/api/v1/stats/{stats}?year=2024&region={region}&level={level}"), below, true));
        }
    }
    for region in [VILLAGE, "14.01.01"] {
        answers.push((format!("/api/v1/regions/{region}/summary?year=2024"), true, false));
    }

    let mut leaks = Vec::new();
    for (path, below, tabular) in &answers {
        let (mut seen_by_officer, mut seen_by_analyst) = (Vec::new(), Vec::new());
        for (token, found) in [(&officer, &mut seen_by_officer), (&analyst, &mut seen_by_analyst)] {
            let response = app.get(path, Some(token)).await;
            assert_eq!(response.status(), StatusCode::OK, "{path}");
            small_counts(&response.json().await.unwrap(), "", *below, found);
            if *tabular {
                let csv =
                    app.request(Method::GET, path, Some(token)).header("Accept", "text/csv").send().await.unwrap();
                assert_eq!(csv.status(), StatusCode::OK, "{path}");
                let cells = small_cells(&csv.text().await.unwrap(), *below);
                found.extend(cells.into_iter().map(|cell| format!("CSV {cell}")));
            }
        }
        assert!(!seen_by_officer.is_empty(), "{path}: the village's small counts do not reach this answer");
        leaks.extend(seen_by_analyst.into_iter().map(|leak| format!("{path}: {leak}")));
    }
    assert!(leaks.is_empty(), "an analyst sees small counts:\n{}", leaks.join("\n"));

    // A rate is withheld with the count it would reveal: 49,027,109 rupiah per stunted child
    // next to 49,027,109 realised names one child.
    let path = format!("/api/v1/stats/budgets?year=2024&region={VILLAGE}&level=village");
    let row = |answer: Value| answer["rows"][0].clone();
    let seen: Value = row(app.get(&path, Some(&officer)).await.json().await.unwrap());
    assert_eq!((&seen["stunted_children"], &seen["realised_per_stunted_child"]), (&json!(1), &json!(49_027_109)));
    let withheld: Value = row(app.get(&path, Some(&analyst)).await.json().await.unwrap());
    assert_eq!(withheld["realised"], 49_027_109, "money is not a count");
    assert_eq!(
        (&withheld["stunted_children"], &withheld["realised_per_stunted_child"], &withheld["suppressed"]),
        (&Value::Null, &Value::Null, &json!(true))
    );
    let path = format!("/api/v1/stats/families-at-risk?year=2024&region={VILLAGE}&level=village");
    let withheld: Value = row(app.get(&path, Some(&analyst)).await.json().await.unwrap());
    assert_eq!((&withheld["verification_pct"], &withheld["suppressed"]), (&Value::Null, &json!(true)));
    assert_eq!(withheld["not_found"], 0, "zero is shown");
}
