//! Data quality: the checks flag measurements as they arrive (alone, in an import, out of order)
//! and again when a neighbour is voided; a flagged measurement stays out of prevalence and cases
//! until an officer checks it; the kept monthly counts equal a recount from the rows, and the
//! heaping index reads constructed lengths.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use stunting_api::domain::Role;

use crate::common::TestApp;
use crate::common::app::children::VILLAGE;
use crate::common::app::problem;
use crate::kept_counts::drift;

/// A kept data-quality row that counts something.
pub(crate) const QUALITY_SOMETHING: &str = "(measured, flagged, implausible, implausible_haz, length_decrease, weight_jump, \
     age_mismatch, checked, held, heaped) <> (0, 0, 0, 0, 0, 0, 0, 0, 0, 0)";
const PREVALENCE_SOMETHING: &str = "(measured, stunted, severely_stunted, weighed, underweight, wasting_measured, \
     wasted) <> (0, 0, 0, 0, 0, 0, 0)";

fn lying(on: &str, length_cm: f64, weight_kg: f64) -> Value {
    json!({"measured_on": on, "length_cm": length_cm, "position": "lying", "weight_kg": weight_kg, "place": "posyandu"})
}

async fn measured(app: &TestApp, token: &str, child: &Value, body: Value) -> Value {
    let response = app.measure(token, child, body).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    response.json().await.unwrap()
}

async fn reread(app: &TestApp, token: &str, measurement: &Value) -> Value {
    let path = format!(
        "/api/v1/children/{}/measurements/{}",
        measurement["child_id"].as_str().unwrap(),
        measurement["id"].as_str().unwrap()
    );
    app.get(&path, Some(token)).await.json().await.unwrap()
}

async fn check(app: &TestApp, token: &str, measurement: &Value, body: Value) -> reqwest::Response {
    let path = format!(
        "/api/v1/children/{}/measurements/{}/check",
        measurement["child_id"].as_str().unwrap(),
        measurement["id"].as_str().unwrap()
    );
    app.post_json(&path, Some(token), &body).await
}

async fn village_prevalence(app: &TestApp, token: &str) -> Value {
    let path = "/api/v1/stats/prevalence?region=14.01.01&year=2025";
    let stats: Value = app.get(path, Some(token)).await.json().await.unwrap();
    stats["totals"][0].clone()
}

async fn no_drift(app: &TestApp) {
    assert_eq!(drift(app, "quality_counts", "quality_counts_from_rows()", QUALITY_SOMETHING).await, 0);
    assert_eq!(drift(app, "prevalence_counts", "prevalence_from_rows()", PREVALENCE_SOMETHING).await, 0);
}

#[tokio::test]
async fn a_fallen_length_is_held_out_until_an_officer_checks_it() {
    let app = TestApp::spawn().await;
    let officer = app.token_for(Role::Officer, Some("14.01")).await;
    let cadre = app.token_for(Role::Cadre, Some(VILLAGE)).await;
    let body = json!({"village_code": VILLAGE, "sex": "female", "birth_date": "2024-01-01", "name": "Siti"});
    let child: Value = app.register_child(&cadre, body).await.json().await.unwrap();
    let january = measured(&app, &cadre, &child, lying("2025-01-10", 76.0, 9.0)).await;
    assert_eq!((january["quality_flags"].clone(), january["counted"].clone()), (json!([]), json!(true)));
    // 8 cm shorter a month later, and stunted at that length: a typing error, held out.
    let february = measured(&app, &cadre, &child, lying("2025-02-10", 68.0, 9.2)).await;
    assert_eq!(february["quality_flags"], json!(["length_decrease"]), "{february}");
    assert_eq!((february["counted"].clone(), february["checked_at"].clone()), (json!(false), Value::Null));
    assert_eq!(february["length_for_age"]["category"], "stunted");
    let held = village_prevalence(&app, &officer).await;
    assert_eq!(
        (held["measured"].clone(), held["stunted"].clone(), held["left_out_held"].clone()),
        (json!(1), json!(0), json!(1)),
        "{held}"
    );
    assert_eq!(app.count("SELECT count(*) AS count FROM cases").await, 0, "a held measurement opened a case");
    no_drift(&app).await;

    // Only an officer checks, with a note; a measurement without a data-check flag has nothing to check.
    problem(check(&app, &cadre, &february, json!({"note": "ok"})).await, StatusCode::FORBIDDEN).await;
    let blank =
        problem(check(&app, &officer, &february, json!({"note": "  "})).await, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(blank["errors"][0]["field"], "note");
    problem(check(&app, &officer, &january, json!({"note": "ok"})).await, StatusCode::CONFLICT).await;
    let note = "Measured again on 2025-02-12: 68.2 cm; January's 76.0 cm was the error";
    let response = check(&app, &officer, &february, json!({ "note": note })).await;
    assert_eq!(response.status(), StatusCode::OK);
    let checked: Value = response.json().await.unwrap();
    assert_eq!(
        (checked["quality_flags"].clone(), checked["counted"].clone(), checked["checked_note"].clone()),
        (json!(["length_decrease"]), json!(true), json!(note))
    );
    assert!(checked["checked_at"].is_string() && checked["checked_by"].is_string(), "{checked}");
    problem(check(&app, &officer, &february, json!({ "note": note })).await, StatusCode::CONFLICT).await;
    // It counts again: the child is stunted at February's length, and her case opens.
    let counted = village_prevalence(&app, &officer).await;
    assert_eq!(
        (counted["measured"].clone(), counted["stunted"].clone(), counted["left_out_held"].clone()),
        (json!(1), json!(1), json!(0)),
        "{counted}"
    );
    assert_eq!(app.count("SELECT count(*) AS count FROM cases WHERE status = 'open'").await, 1);
    assert_eq!(app.count("SELECT count(*) AS count FROM audit_log WHERE action = 'measurement.check'").await, 1);
    no_drift(&app).await;
}

#[tokio::test]
async fn concurrent_flagged_weighings_in_one_village_all_land() {
    let app = TestApp::spawn().await;
    let cadre = app.token_for(Role::Cadre, Some(VILLAGE)).await;
    let mut children = Vec::new();
    for i in 0..8 {
        let body = json!({"village_code": VILLAGE, "sex": "female", "birth_date": "2024-01-01", "name": "Siti"});
        let child: Value = app.register_child(&cadre, body).await.json().await.unwrap();
        measured(&app, &cadre, &child, lying(&format!("2025-{:02}-10", 1 + i), 80.0, 9.0)).await;
        children.push(child);
    }
    // Sixteen writers at once, two per child, each weighing shorter than any before it: every
    // one is flagged as it lands (its flags judged before its insert), whichever of a child's
    // two commits first, and the kept counts agree with the rows.
    let writers = (0..16).map(|i| {
        let (app, cadre, child) = (&app, &cadre, &children[i % 8]);
        let body = lying(&format!("2025-{:02}-{}", 2 + i % 8, 11 + i / 8), 72.0 - 3.0 * (i / 8) as f64, 9.0);
        async move { app.measure(cadre, child, body).await }
    });
    for response in futures_util::future::join_all(writers).await {
        assert_eq!(response.status(), StatusCode::CREATED);
        let weighing: Value = response.json().await.unwrap();
        assert_eq!(weighing["quality_flags"], json!(["length_decrease"]), "{weighing}");
    }
    no_drift(&app).await;
}

#[tokio::test]
async fn flags_follow_the_series_when_a_measurement_arrives_late_or_is_voided() {
    let app = TestApp::spawn().await;
    let cadre = app.token_for(Role::Cadre, Some(VILLAGE)).await;
    let body = json!({"village_code": VILLAGE, "sex": "male", "birth_date": "2024-01-01", "name": "Budi"});
    let child: Value = app.register_child(&cadre, body).await.json().await.unwrap();
    let march = measured(&app, &cadre, &child, lying("2025-03-10", 78.0, 10.0)).await;
    assert_eq!(march["quality_flags"], json!([]));
    // A February entered late, 3 cm longer than March: March is now the fall.
    let february = measured(&app, &cadre, &child, lying("2025-02-10", 81.0, 9.9)).await;
    assert_eq!(february["quality_flags"], json!([]));
    assert_eq!(reread(&app, &cadre, &march).await["quality_flags"], json!(["length_decrease"]));
    no_drift(&app).await;
    // February voided as the wrong one: March stands alone again.
    assert_eq!(app.void_measurement(&cadre, &february).await.status(), StatusCode::OK);
    assert_eq!(reread(&app, &cadre, &march).await["quality_flags"], json!([]));
    no_drift(&app).await;

    // A weight-for-age that falls by more than 3 z in a month, and an age written down 5
    // months off (16 months old, written as 19), arriving in one import.
    let id = child["id"].as_str().unwrap();
    let rows = json!([
        {"child_id": id, "measured_on": "2025-04-10", "length_cm": 79.0, "position": "lying", "weight_kg": 6.0,
         "place": "posyandu"},
        {"child_id": id, "measured_on": "2025-05-10", "length_cm": 80.0, "position": "lying", "place": "posyandu",
         "reported_age_months": 19}
    ]);
    let response = app.post_json("/api/v1/imports/measurements", Some(&cadre), &rows).await;
    let summary: Value = response.json().await.unwrap();
    assert_eq!(summary["created"], 2, "{summary}");
    let page: Value = app.get(&format!("/api/v1/children/{id}/measurements"), Some(&cadre)).await.json().await.unwrap();
    let flags: Vec<(Value, Value)> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["measured_on"].clone(), m["quality_flags"].clone()))
        .collect();
    assert_eq!(
        flags,
        [
            (json!("2025-03-10"), json!([])),
            (json!("2025-04-10"), json!(["weight_jump"])),
            (json!("2025-05-10"), json!(["age_mismatch"]))
        ]
    );
    assert_eq!(page["items"][2]["reported_age_months"], 19);
    // A reported age outside 0–71 months is refused, naming the field.
    let wrong = json!({"measured_on": "2025-06-10", "length_cm": 81.0, "position": "lying", "place": "posyandu",
                       "reported_age_months": 140});
    let refused = problem(app.measure(&cadre, &child, wrong).await, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(refused["errors"][0]["field"], "reported_age_months");
    no_drift(&app).await;
}

#[tokio::test]
async fn heaping_counts_the_lengths_that_end_in_0_or_5_read_to_the_tenth() {
    let app = TestApp::spawn().await;
    let heaped = |lengths: &str| {
        format!("SELECT count(*) AS count FROM unnest(ARRAY[{lengths}]::float8[]) l WHERE length_heaped(l)")
    };
    assert_eq!(app.count(&heaped("70.0, 70.5, 69.99999")).await, 3);
    assert_eq!(app.count(&heaped("70.1, 70.4, 70.6")).await, 0);
    // Tenths read evenly over .0 to .9: two in ten, as chance gives.
    let even = "SELECT count(*) AS count FROM generate_series(0, 999) i WHERE length_heaped(60.0 + i / 10.0)";
    assert_eq!(app.count(even).await, 200);
}

#[tokio::test]
async fn data_quality_counts_each_tier_and_reads_heaping_from_constructed_lengths() {
    let app = TestApp::spawn().await;
    let officer = app.token_for(Role::Officer, Some("14.01")).await;
    let body = json!({"village_code": VILLAGE, "name": "Posyandu Melati"});
    let melati: Value = app.post_json("/api/v1/posyandu", Some(&officer), &body).await.json().await.unwrap();
    // Ten children measured at Melati in March, five lengths ending in .0 or .5: 50% where
    // chance gives 20%, an index of 250.
    let lengths = [70.0, 70.5, 71.0, 71.5, 72.0, 70.1, 70.2, 70.3, 70.4, 70.6];
    for (i, length) in lengths.into_iter().enumerate() {
        let body =
            json!({"village_code": VILLAGE, "sex": "female", "birth_date": "2024-03-01", "name": format!("Anak {i}")});
        let child: Value = app.register_child(&officer, body).await.json().await.unwrap();
        let mut weighing = lying("2025-03-12", length, 8.5);
        weighing["posyandu_id"] = melati["id"].clone();
        measured(&app, &officer, &child, weighing).await;
    }
    // One more child, of the next village, whose April length fell: one flag in April.
    let body = json!({"village_code": "14.01.01.2010", "sex": "male", "birth_date": "2024-03-01", "name": "Budi"});
    let budi: Value = app.register_child(&officer, body).await.json().await.unwrap();
    measured(&app, &officer, &budi, lying("2025-03-20", 74.3, 9.0)).await;
    measured(&app, &officer, &budi, lying("2025-04-20", 72.1, 9.3)).await;
    no_drift(&app).await;

    let admin = app.token_for(Role::Admin, None).await;
    let get = |query: String| {
        let (app, officer) = (&app, &admin);
        async move {
            let response = app.get(&format!("/api/v1/stats/data-quality?{query}"), Some(officer)).await;
            assert_eq!(response.status(), StatusCode::OK);
            response.json::<Value>().await.unwrap()
        }
    };
    let by_posyandu = get(format!("region={VILLAGE}&level=posyandu&from=2025-03&to=2025-04&period=month")).await;
    let march = &by_posyandu["rows"][0];
    assert_eq!((march["name"].clone(), march["posyandu_id"].clone()), (json!("Posyandu Melati"), melati["id"].clone()));
    assert_eq!(
        (march["measured"].clone(), march["heaped"].clone(), march["heaping_index"].clone(), march["flagged"].clone()),
        (json!(10), json!(5), json!(250.0), json!(0)),
        "{march}"
    );
    // Five of ten is not enough to rule out chance.
    assert_eq!(march["heaping_suspected"], false);
    assert_eq!(by_posyandu["rows"].as_array().unwrap().len(), 1, "April measured nothing at Melati");

    // The subdistrict by village, a whole range: Budi's village holds his flag.
    let by_village = get("region=14.01.01&level=village&from=2025-03&to=2025-04".to_owned()).await;
    let rows: Vec<(Value, Value, Value, Value)> = by_village["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["region_code"].clone(), r["measured"].clone(), r["flagged"].clone(), r["length_decrease"].clone()))
        .collect();
    assert_eq!(
        rows,
        [(json!(VILLAGE), json!(10), json!(0), json!(0)), (json!("14.01.01.2010"), json!(2), json!(1), json!(1))]
    );
    let total = &by_village["totals"][0];
    assert_eq!(
        (total["measured"].clone(), total["flagged"].clone(), total["held"].clone()),
        (json!(12), json!(1), json!(1))
    );
    assert_eq!(total["flagged_pct"], 8.33);
    // Every tier adds up to the same national total.
    for query in
        ["level=province&year=2025", "region=14&level=district&year=2025", "region=14.01&level=subdistrict&year=2025"]
    {
        let answer = get(query.to_owned()).await;
        assert_eq!(answer["totals"][0]["measured"], 12, "{query}: {answer}");
        let rows = answer["rows"].as_array().unwrap();
        assert_eq!(rows.iter().map(|r| r["measured"].as_i64().unwrap()).sum::<i64>(), 12, "{query}");
    }

    // An analyst sees no count from 1 to 4 below the district, nor what it would reveal.
    let analyst = app.token_for(Role::Analyst, Some("14.01")).await;
    let seen: Value = app
        .get("/api/v1/stats/data-quality?region=14.01.01&level=village&year=2025", Some(&analyst))
        .await
        .json()
        .await
        .unwrap();
    let budi_row = &seen["rows"][1];
    assert_eq!(
        (budi_row["measured"].clone(), budi_row["flagged_pct"].clone(), budi_row["suppressed"].clone()),
        (Value::Null, Value::Null, json!(true)),
        "{budi_row}"
    );
    // CSV, under the documented columns.
    let csv = app
        .request(Method::GET, "/api/v1/stats/data-quality?region=14.01.01&level=village&year=2025", Some(&officer))
        .header("Accept", "text/csv")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(csv.starts_with("region_code,posyandu_id,name,level,period_start,period_end,measured,flagged,"), "{csv}");
    assert_eq!(csv.lines().count(), 4, "{csv}");
    // Posyandu rows are for a district or smaller.
    let refused = problem(
        app.get("/api/v1/stats/data-quality?region=14&level=posyandu&year=2025", Some(&admin)).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(refused["errors"][0]["field"], "level");

    // A move takes the child's counts to the new village; a removal takes them away.
    let path = format!("/api/v1/children/{}", budi["id"].as_str().unwrap());
    let etag = app.get(&path, Some(&officer)).await.headers()["etag"].to_str().unwrap().to_owned();
    let moved = app.patch_json(&path, Some(&officer), Some(&etag), &json!({"village_code": VILLAGE})).await;
    assert_eq!(moved.status(), StatusCode::OK);
    no_drift(&app).await;
    let etag = app.get(&path, Some(&officer)).await.headers()["etag"].to_str().unwrap().to_owned();
    let removed = app.delete_json(&path, Some(&officer), Some(&etag), &json!({"reason": "registered twice"})).await;
    assert_eq!(removed.status(), StatusCode::NO_CONTENT);
    no_drift(&app).await;
    let after = get("region=14.01.01&level=village&year=2025".to_owned()).await;
    assert_eq!(after["totals"][0]["measured"], 10);
}
