//! Posyandu and SKDN: the register, children and weighings that name a posyandu, and the kept
//! monthly SKDN against an independent recount after random weighings, voids, moves, book
//! changes and removals, at every tier and in every month.

use std::collections::BTreeMap;

use chrono::{Datelike, Months, NaiveDate};
use diesel::QueryableByName;
use diesel::sql_types::{Bool, Date, Double, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::RunQueryDsl;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use stunting_api::domain::{Position, Role, Sex};
use stunting_api::growth::{self, kbm};
use uuid::Uuid;

use crate::common::TestApp;
use crate::common::app::children::VILLAGE;
use crate::kept_counts::drift;

/// A kept SKDN row that counts something (one whose counts all cancelled out counts nothing).
const SKDN_SOMETHING: &str =
    "(born, born_kia, weighed, rose, not_rose, missed_last, new, two_t, bgm) <> (0, 0, 0, 0, 0, 0, 0, 0, 0)";

/// Villages in two subdistricts of one district and in a second district.
const VILLAGES: [&str; 4] = [VILLAGE, "14.01.01.2010", "14.01.02.2001", "14.03.01.1001"];

async fn posyandu_in(app: &TestApp, token: &str, village: &str, name: &str) -> Value {
    let body = json!({"village_code": village, "name": name});
    let response = app.post_json("/api/v1/posyandu", Some(token), &body).await;
    assert_eq!(response.status(), StatusCode::CREATED, "{}", response.text().await.unwrap());
    response.json().await.unwrap()
}

#[tokio::test]
async fn a_village_keeps_its_posyandu_register() {
    let app = TestApp::spawn().await;
    let cadre = app.token_for(Role::Cadre, Some(VILLAGE)).await;
    let id = Uuid::now_v7();
    let body = json!({"id": id, "village_code": VILLAGE, "name": "Posyandu Melati"});
    let response = app.post_json("/api/v1/posyandu", Some(&cadre), &body).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(response.headers()["location"], format!("/api/v1/posyandu/{id}").as_str());
    let created: Value = response.json().await.unwrap();
    assert_eq!((created["active"].clone(), created["version"].clone()), (json!(true), json!(1)));
    // A retry is the stored one; another posyandu under the id is refused.
    assert_eq!(app.post_json("/api/v1/posyandu", Some(&cadre), &body).await.status(), StatusCode::OK);
    let other = json!({"id": id, "village_code": VILLAGE, "name": "Posyandu Mawar"});
    assert_eq!(app.post_json("/api/v1/posyandu", Some(&cadre), &other).await.status(), StatusCode::CONFLICT);
    // A posyandu belongs to a village, the cadre's own.
    let district = json!({"village_code": "14.01", "name": "Posyandu Kabupaten"});
    let problem = crate::common::app::problem(
        app.post_json("/api/v1/posyandu", Some(&cadre), &district).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(problem["errors"][0]["field"], "village_code");
    let next_door = json!({"village_code": "14.01.01.2010", "name": "Posyandu Sebelah"});
    assert_eq!(app.post_json("/api/v1/posyandu", Some(&cadre), &next_door).await.status(), StatusCode::FORBIDDEN);
    // Changes need the version read.
    let path = format!("/api/v1/posyandu/{id}");
    let change = json!({"name": "Posyandu Melati Indah", "active": false});
    assert_eq!(app.patch_json(&path, Some(&cadre), None, &change).await.status(), StatusCode::PRECONDITION_REQUIRED);
    let changed: Value = app.patch_json(&path, Some(&cadre), Some("\"1\""), &change).await.json().await.unwrap();
    assert_eq!(
        (changed["name"].clone(), changed["active"].clone(), changed["version"].clone()),
        (json!("Posyandu Melati Indah"), json!(false), json!(2))
    );
    assert_eq!(
        app.patch_json(&path, Some(&cadre), Some("\"1\""), &change).await.status(),
        StatusCode::PRECONDITION_FAILED
    );
    // Listed in its village, for anyone whose scope overlaps it; written to the feed and the trail.
    let analyst = app.token_for(Role::Analyst, Some("14.01")).await;
    let page: Value =
        app.get(&format!("/api/v1/posyandu?region={VILLAGE}"), Some(&analyst)).await.json().await.unwrap();
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    let inactive: Value = app.get("/api/v1/posyandu?active=true", Some(&cadre)).await.json().await.unwrap();
    assert!(inactive["items"].as_array().unwrap().is_empty());
    // The feed's rows (read directly: the feed itself waits for every older transaction of the
    // cluster, and the demo tests beside this one hold one for a minute).
    let logged = format!("SELECT count(*) FROM changes WHERE entity = 'posyandu' AND record_id = '{id}'");
    assert_eq!(app.count(&logged).await, 2, "the creation and the change");
    let trail: Vec<String> = app.audit_trail(&id.to_string()).await.into_iter().map(|(action, _)| action).collect();
    assert_eq!(trail, ["posyandu.create", "posyandu.update"]);
}

#[tokio::test]
async fn a_child_is_registered_to_a_posyandu_of_her_village_and_leaves_it_when_she_moves() {
    let app = TestApp::spawn().await;
    let officer = app.token_for(Role::Officer, Some("14.01")).await;
    let melati = posyandu_in(&app, &officer, VILLAGE, "Posyandu Melati").await;
    let next_door = posyandu_in(&app, &officer, "14.01.01.2010", "Posyandu Mawar").await;
    let child = |posyandu: &Value| {
        json!({"village_code": VILLAGE, "sex": "female", "birth_date": "2024-06-01", "name": "Siti",
               "posyandu_id": posyandu["id"], "kia_book": true})
    };
    let problem = crate::common::app::problem(
        app.register_child(&officer, child(&next_door)).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(problem["errors"][0]["field"], "posyandu_id");
    let registered = app.register_child(&officer, child(&melati)).await;
    assert_eq!(registered.status(), StatusCode::CREATED);
    let registered: Value = registered.json().await.unwrap();
    assert_eq!(
        (registered["posyandu_id"].clone(), registered["kia_book"].clone()),
        (melati["id"].clone(), json!(true))
    );

    // A weighing names where it was taken: any posyandu the recorder may read.
    let weighing = json!({"measured_on": "2025-01-10", "length_cm": 70.0, "position": "lying", "weight_kg": 8.0,
                          "place": "posyandu", "posyandu_id": next_door["id"]});
    let measured: Value = app.measure(&officer, &registered, weighing).await.json().await.unwrap();
    assert_eq!(measured["posyandu_id"], next_door["id"]);
    let unknown = json!({"measured_on": "2025-02-10", "length_cm": 71.0, "position": "lying", "place": "posyandu",
                         "posyandu_id": Uuid::now_v7()});
    let problem = crate::common::app::problem(
        app.measure(&officer, &registered, unknown).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(problem["errors"][0]["field"], "posyandu_id");

    // Moving to the next village leaves Melati, unless the move names the new village's posyandu.
    let path = format!("/api/v1/children/{}", registered["id"].as_str().unwrap());
    let moved: Value = app
        .patch_json(&path, Some(&officer), Some("\"1\""), &json!({"village_code": "14.01.01.2010"}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(moved["posyandu_id"], Value::Null);
    let joined: Value = app
        .patch_json(&path, Some(&officer), Some("\"2\""), &json!({"posyandu_id": next_door["id"], "kia_book": null}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!((joined["posyandu_id"].clone(), joined["kia_book"].clone()), (next_door["id"].clone(), Value::Null));
    let back = json!({"village_code": VILLAGE, "posyandu_id": melati["id"]});
    let back: Value = app.patch_json(&path, Some(&officer), Some("\"3\""), &back).await.json().await.unwrap();
    assert_eq!(back["posyandu_id"], melati["id"]);
}

/// A length at which a child of `sex` aged `age_days` has length-for-age `z`, by bisection on
/// the engine itself.
fn length_at(sex: Sex, age_days: u32, z: f64) -> f64 {
    let position = if age_days < 731 { Position::Lying } else { Position::Standing };
    let (mut low, mut high) = (38.0, 130.0);
    for _ in 0..50 {
        let mid: f64 = (low + high) / 2.0;
        if growth::haz(sex, age_days, mid, position).is_some_and(|h| h.value() < z) { low = mid } else { high = mid }
    }
    (low * 10.0).round() / 10.0
}

/// A weight at which the child has weight-for-age `z`.
fn weight_at(sex: Sex, age_days: u32, z: f64) -> f64 {
    let (mut low, mut high) = (0.9, 58.0);
    for _ in 0..50 {
        let mid: f64 = (low + high) / 2.0;
        if growth::waz(sex, age_days, mid).is_some_and(|w| w.value() < z) { low = mid } else { high = mid }
    }
    (low * 100.0).round() / 100.0
}

#[derive(QueryableByName)]
struct ChildRow {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
    #[diesel(sql_type = Text)]
    village_code: String,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    posyandu_id: Option<Uuid>,
    #[diesel(sql_type = Nullable<Bool>)]
    kia_book: Option<bool>,
    #[diesel(sql_type = Date)]
    birth_date: NaiveDate,
}

#[derive(QueryableByName)]
struct Weighing {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    child_id: Uuid,
    #[diesel(sql_type = Date)]
    measured_on: NaiveDate,
    #[diesel(sql_type = Timestamptz)]
    created_at: chrono::DateTime<chrono::Utc>,
    #[diesel(sql_type = Double)]
    weight_kg: f64,
    #[diesel(sql_type = Nullable<Double>)]
    waz: Option<f64>,
    #[diesel(sql_type = Bool)]
    waz_implausible: bool,
}

/// The nine counts, S K D N T O B 2T BGM, per (level, area, month).
type Recount = BTreeMap<(String, String, NaiveDate), [i64; 9]>;

/// SKDN counted here from the living children and weighings, by DOMAIN.md's definitions and
/// `data/kbm.csv`, with none of the database's functions.
async fn recount(app: &TestApp, months: &[NaiveDate]) -> Recount {
    let mut conn = app.pool.get().await.unwrap();
    let children: Vec<ChildRow> = diesel::sql_query(
        "SELECT id, village_code, posyandu_id, kia_book, birth_date FROM children WHERE deleted_at IS NULL",
    )
    .load(&mut conn)
    .await
    .unwrap();
    let weighings: Vec<Weighing> = diesel::sql_query(
        "SELECT id, child_id, measured_on, created_at, weight_kg, waz, waz_implausible FROM measurements \
         WHERE voided_at IS NULL AND weight_kg IS NOT NULL",
    )
    .load(&mut conn)
    .await
    .unwrap();
    let mut counts = Recount::new();
    let mut add = |child: &ChildRow, month: NaiveDate, slot: usize| {
        let mut areas = vec![
            ("village", child.village_code.clone()),
            ("subdistrict", child.village_code[..8].to_owned()),
            ("district", child.village_code[..5].to_owned()),
            ("province", child.village_code[..2].to_owned()),
        ];
        if let Some(p) = child.posyandu_id {
            areas.push(("posyandu", format!("{}.{p}", child.village_code)));
        }
        for (level, area) in areas {
            counts.entry((level.to_owned(), area, month)).or_insert([0; 9])[slot] += 1;
        }
    };
    for child in &children {
        let born = child.birth_date.with_day(1).unwrap();
        let under_five = |m: NaiveDate| born <= m && m < born + Months::new(60);
        for &month in months.iter().filter(|&&m| under_five(m)) {
            add(child, month, 0);
            if child.kia_book == Some(true) {
                add(child, month, 1);
            }
        }
        // Her latest weighing of each month, months in order.
        let mut latest: BTreeMap<NaiveDate, &Weighing> = BTreeMap::new();
        for w in weighings.iter().filter(|w| w.child_id == child.id) {
            let month = w.measured_on.with_day(1).unwrap();
            let later =
                |held: &&Weighing| (w.measured_on, w.created_at, w.id) > (held.measured_on, held.created_at, held.id);
            if latest.get(&month).is_none_or(later) {
                latest.insert(month, w);
            }
        }
        let mut last: Option<(NaiveDate, f64, usize)> = None;
        for (&month, w) in &latest {
            let status = match last {
                None => 6,
                Some((last_month, ..)) if last_month + Months::new(1) < month => 5,
                Some((_, last_kg, _)) if kbm::rose(child.birth_date, last_kg, w.measured_on, w.weight_kg) => 3,
                Some(_) => 4,
            };
            let two_t = status == 4 && matches!(last, Some((_, _, 4)));
            if under_five(month) && months.contains(&month) {
                for slot in [2, status] {
                    add(child, month, slot);
                }
                if two_t {
                    add(child, month, 7);
                }
                if w.waz.is_some_and(|z| z < -3.0) && !w.waz_implausible {
                    add(child, month, 8);
                }
            }
            last = Some((month, w.weight_kg, status));
        }
    }
    counts.retain(|_, v| v.iter().any(|&n| n != 0));
    counts
}

/// What `/stats/skdn` answers for `query`, as the recount keys it.
async fn answered(app: &TestApp, token: &str, query: &str) -> Recount {
    let response = app.get(&format!("/api/v1/stats/skdn?{query}"), Some(token)).await;
    assert_eq!(response.status(), StatusCode::OK, "{query}");
    let body: Value = response.json().await.unwrap();
    let mut got = Recount::new();
    for row in body["rows"].as_array().unwrap() {
        let area = match row["posyandu_id"].as_str() {
            Some(p) => format!("{}.{p}", row["region_code"].as_str().unwrap()),
            None => row["region_code"].as_str().unwrap().to_owned(),
        };
        let month: NaiveDate = row["period_start"].as_str().unwrap().parse().unwrap();
        let counts = [
            "under_fives",
            "kia_book",
            "weighed",
            "rose",
            "not_rose",
            "missed_last_month",
            "first_weighing",
            "two_t",
            "bgm",
        ]
        .map(|f| row[f].as_i64().unwrap());
        let (d, n, t, o, b) = (counts[2], counts[3], counts[4], counts[5], counts[6]);
        assert_eq!(d, n + t + o + b, "D = N + T + O + B in {row}");
        assert!(d <= counts[0], "D never exceeds S: {row}");
        got.insert((row["level"].as_str().unwrap().to_owned(), area, month), counts);
    }
    got
}

#[tokio::test]
async fn kept_skdn_equals_an_independent_recount_after_random_weighings_voids_moves_and_removals() {
    let app = TestApp::spawn().await;
    let admin = app.token_for(Role::Admin, None).await;
    let mut rng = StdRng::seed_from_u64(20_261_205);
    let mut posyandu: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for village in VILLAGES {
        for name in ["Melati", "Mawar"] {
            let p = posyandu_in(&app, &admin, village, &format!("Posyandu {name} {village}")).await;
            posyandu.entry(village).or_default().push(p["id"].as_str().unwrap().to_owned());
        }
    }
    let pick_posyandu = |rng: &mut StdRng, village: &str| -> Value {
        match rng.random_range(0..3) {
            0 => Value::Null,
            i => json!(posyandu[village][i - 1]),
        }
    };
    // (id, sex, birth date, the z-score her weights wander around)
    let mut children: Vec<(String, Sex, NaiveDate, f64)> = Vec::new();
    let mut measurements: Vec<Value> = Vec::new();
    let mut weighed = 0;
    let today = chrono::Utc::now().date_naive();
    for step in 0..220 {
        let roll = if children.len() < 3 { 0 } else { rng.random_range(0..100) };
        match roll {
            0..=15 => {
                let village = VILLAGES[rng.random_range(0..VILLAGES.len())];
                // Born from early 2019 (aged out within the window) to mid 2025 (born in it).
                let born = NaiveDate::from_ymd_opt(
                    rng.random_range(2019..=2025),
                    rng.random_range(1..=6),
                    rng.random_range(1..=28),
                )
                .unwrap();
                let sex = if rng.random_bool(0.5) { Sex::Female } else { Sex::Male };
                let mut body = json!({"village_code": village, "sex": sex, "birth_date": born, "name": "Anak",
                                      "posyandu_id": pick_posyandu(&mut rng, village)});
                if rng.random_bool(0.7) {
                    body["kia_book"] = json!(rng.random_bool(0.8));
                }
                let created = app.register_child(&admin, body).await;
                assert_eq!(created.status(), StatusCode::CREATED);
                let created: Value = created.json().await.unwrap();
                children.push((created["id"].as_str().unwrap().to_owned(), sex, born, rng.random_range(-3.6..0.5)));
            }
            16..=69 => {
                // A posyandu day: most children of the month weighed (some twice in the month
                // over the sequence), or one child weighed on her own.
                let day = NaiveDate::from_ymd_opt(2024, 7, 1).unwrap() + chrono::Days::new(rng.random_range(0..365));
                let whole_day = roll < 40;
                let chosen: Vec<_> = match whole_day {
                    true => children.iter().filter(|_| rng.random_bool(0.7)).cloned().collect(),
                    false => vec![children[rng.random_range(0..children.len())].clone()],
                };
                for (id, sex, born, z) in chosen {
                    let age = (day - born).num_days();
                    if !(0..1826).contains(&age) || day > today {
                        continue;
                    }
                    let age = age as u32;
                    let position = if age < 731 { "lying" } else { "standing" };
                    let mut body = json!({"measured_on": day, "length_cm": length_at(sex, age, z.max(-3.0)),
                                          "position": position, "place": "posyandu"});
                    if rng.random_bool(0.9) {
                        body["weight_kg"] = json!(weight_at(sex, age, z + rng.random_range(-0.3..0.3)));
                    }
                    let path = format!("/api/v1/children/{id}/measurements");
                    let response = app.post_json(&path, Some(&admin), &body).await;
                    // The same child and day again is refused as a different measurement.
                    if response.status() == StatusCode::CREATED {
                        weighed += 1;
                        measurements.push(response.json().await.unwrap());
                    }
                }
            }
            70..=76 if !measurements.is_empty() => {
                let measurement = measurements.swap_remove(rng.random_range(0..measurements.len()));
                assert_eq!(app.void_measurement(&admin, &measurement).await.status(), StatusCode::OK);
            }
            77..=88 => {
                // A move (with or without a posyandu of the new village), a new posyandu or book.
                let (id, ..) = children[rng.random_range(0..children.len())].clone();
                let path = format!("/api/v1/children/{id}");
                let response = app.get(&path, Some(&admin)).await;
                let etag = response.headers()["etag"].to_str().unwrap().to_owned();
                let current: Value = response.json().await.unwrap();
                let change = match rng.random_range(0..3) {
                    0 => {
                        let village = VILLAGES[rng.random_range(0..VILLAGES.len())];
                        let mut change = json!({"village_code": village});
                        if rng.random_bool(0.5) {
                            change["posyandu_id"] = pick_posyandu(&mut rng, village);
                        }
                        change
                    }
                    1 => json!({"posyandu_id": pick_posyandu(&mut rng, current["village_code"].as_str().unwrap())}),
                    _ => {
                        let book = [json!(true), json!(false), Value::Null][rng.random_range(0..3)].clone();
                        json!({ "kia_book": book })
                    }
                };
                let response = app.patch_json(&path, Some(&admin), Some(&etag), &change).await;
                assert_eq!(response.status(), StatusCode::OK, "{change}");
            }
            _ => {
                let (id, ..) = children.swap_remove(rng.random_range(0..children.len()));
                let path = format!("/api/v1/children/{id}");
                let etag = app.get(&path, Some(&admin)).await.headers()["etag"].to_str().unwrap().to_owned();
                let removed =
                    app.delete_json(&path, Some(&admin), Some(&etag), &json!({"reason": "registered twice"})).await;
                assert_eq!(removed.status(), StatusCode::NO_CONTENT);
                measurements.retain(|m| m["child_id"] != id.as_str());
            }
        }
        if step % 55 == 54 {
            assert_eq!(
                drift(&app, "skdn_counts", "skdn_counts_from_rows()", SKDN_SOMETHING).await,
                0,
                "by step {step}"
            );
            // The births kept per year too (what SKDN reads for whole years of the window).
            assert_eq!(
                drift(&app, "skdn_born_years", "skdn_born_years_from_rows()", "(born, born_kia) <> (0, 0)").await,
                0,
                "by step {step}"
            );
            // The same weighings, voids, moves and removals keep the data-quality counts.
            assert_eq!(
                drift(&app, "quality_counts", "quality_counts_from_rows()", crate::quality::QUALITY_SOMETHING).await,
                0,
                "by step {step}"
            );
        }
    }
    assert!(weighed > 150, "the sequence weighed too little to prove anything: {weighed}");

    let months: Vec<NaiveDate> =
        (0..12).map(|i| NaiveDate::from_ymd_opt(2024, 7, 1).unwrap() + Months::new(i)).collect();
    let expected = recount(&app, &months).await;
    let window = "from=2024-07&to=2025-06&period=month";
    let mut got = Recount::new();
    for query in [
        format!("level=province&{window}"),
        format!("region=14&level=district&{window}"),
        format!("region=14&level=subdistrict&{window}"),
        format!("region=14&level=village&{window}"),
        format!("region=14.01&level=posyandu&{window}"),
        format!("region=14.03&level=posyandu&{window}"),
        // One December: its whole window (2020 to 2024) is read as whole years, the month
        // asked among them.
        "region=14&level=village&from=2024-12&to=2024-12&period=month".to_owned(),
    ] {
        got.extend(answered(&app, &admin, &query).await);
    }
    for (key, counts) in &expected {
        assert_eq!(got.get(key), Some(counts), "{key:?}");
    }
    assert_eq!(got.len(), expected.len(), "the answers hold rows the recount does not");
    // The sequence reached every status, so each rule was tested.
    let national: Vec<&[i64; 9]> =
        expected.iter().filter(|((level, ..), _)| level == "province").map(|(_, c)| c).collect();
    for (slot, name) in [(1, "K"), (3, "N"), (4, "T"), (5, "O"), (6, "B"), (7, "2T"), (8, "BGM")] {
        assert!(national.iter().any(|c| c[slot] > 0), "no {name} in the sequence");
    }
}

#[tokio::test]
async fn a_year_adds_up_its_months_and_analysts_see_no_small_counts() {
    let app = TestApp::spawn().await;
    let officer = app.token_for(Role::Officer, Some("14.01")).await;
    let melati = posyandu_in(&app, &officer, VILLAGE, "Posyandu Melati").await;
    let body = json!({"village_code": VILLAGE, "sex": "male", "birth_date": "2024-01-10", "name": "Budi",
                      "posyandu_id": melati["id"], "kia_book": true});
    let child: Value = app.register_child(&officer, body).await.json().await.unwrap();
    // Three months of weighings, March's twice.
    for (on, kg) in [("2024-02-12", 4.4), ("2024-03-11", 5.3), ("2024-03-20", 5.2), ("2024-04-10", 5.5)] {
        let weighing =
            json!({"measured_on": on, "length_cm": 55.0, "position": "lying", "weight_kg": kg, "place": "posyandu"});
        assert_eq!(app.measure(&officer, &child, weighing).await.status(), StatusCode::CREATED);
    }
    let monthly: Value = app
        .get(
            &format!("/api/v1/stats/skdn?region={VILLAGE}&level=posyandu&from=2024-02&to=2024-04&period=month"),
            Some(&officer),
        )
        .await
        .json()
        .await
        .unwrap();
    let rows = monthly["rows"].as_array().unwrap();
    let statuses: Vec<(i64, i64, i64)> = rows
        .iter()
        .map(|r| (r["first_weighing"].as_i64().unwrap(), r["rose"].as_i64().unwrap(), r["not_rose"].as_i64().unwrap()))
        .collect();
    // February: new. March's latest weighing (5.2 kg, two months old: 900 g needed) rose 800 g: T.
    // April (three months: 800 g) rose 300 g from March's latest: T again, so 2T.
    assert_eq!(statuses, [(1, 0, 0), (0, 0, 1), (0, 0, 1)]);
    assert_eq!(rows[2]["two_t"], 1);
    assert_eq!(rows[0]["name"], "Posyandu Melati");
    let year: Value = app
        .get(&format!("/api/v1/stats/skdn?region={VILLAGE}&level=village&year=2024"), Some(&officer))
        .await
        .json()
        .await
        .unwrap();
    // S counts each of the 12 months she was under five (born in January), D the three weighed.
    assert_eq!(
        (
            year["rows"][0]["under_fives"].clone(),
            year["rows"][0]["weighed"].clone(),
            year["rows"][0]["kia_book"].clone()
        ),
        (json!(12), json!(3), json!(12))
    );
    assert_eq!(year["totals"][0]["participation_pct"], 25.0);
    // An analyst sees the village's counts of 1 to 4 withheld, and no rate they would reveal.
    let analyst = app.token_for(Role::Analyst, Some("14.01")).await;
    let seen: Value = app
        .get("/api/v1/stats/skdn?region=14.01.01&level=village&from=2024-02&to=2024-04&period=month", Some(&analyst))
        .await
        .json()
        .await
        .unwrap();
    let row = &seen["rows"][0];
    assert_eq!(
        (
            row["weighed"].clone(),
            row["under_fives"].clone(),
            row["participation_pct"].clone(),
            row["suppressed"].clone()
        ),
        (Value::Null, Value::Null, Value::Null, json!(true))
    );
    // Posyandu rows are for a district or smaller; CSV has the documented columns.
    let national = app.token_for(Role::Officer, None).await;
    let refused = app.get("/api/v1/stats/skdn?level=posyandu&year=2024", Some(&national)).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let csv = app
        .request(Method::GET, &format!("/api/v1/stats/skdn?region={VILLAGE}&level=posyandu&year=2024"), Some(&officer))
        .header("Accept", "text/csv")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        csv.starts_with("region_code,posyandu_id,name,level,period_start,period_end,under_fives,kia_book,weighed,rose,not_rose,missed_last_month,first_weighing,two_t,bgm,"),
        "{csv}"
    );
    assert_eq!(csv.lines().count(), 3, "a header, the posyandu and the village's total: {csv}");
}

#[tokio::test]
async fn the_database_judges_growth_by_the_same_kbm_table_as_data_kbm_csv() {
    let app = TestApp::spawn().await;
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Integer)]
        age_months: i32,
        #[diesel(sql_type = diesel::sql_types::Integer)]
        min_gain_g: i32,
    }
    let mut conn = app.pool.get().await.unwrap();
    let rows: Vec<Row> = diesel::sql_query("SELECT age_months, min_gain_g FROM kbm_min_gain ORDER BY age_months")
        .load(&mut conn)
        .await
        .unwrap();
    let stored: Vec<(u32, u32)> = rows.iter().map(|r| (r.age_months as u32, r.min_gain_g as u32)).collect();
    assert_eq!(stored, kbm::table());
}

#[tokio::test]
async fn imports_register_children_to_posyandu_and_weigh_them_there() {
    let app = TestApp::spawn().await;
    let officer = app.token_for(Role::Officer, Some("14.01")).await;
    let melati = posyandu_in(&app, &officer, VILLAGE, "Posyandu Melati").await;
    let mawar = posyandu_in(&app, &officer, "14.01.01.2010", "Posyandu Mawar").await;
    let (siti, dewi) = (Uuid::now_v7(), Uuid::now_v7());
    let (melati_id, mawar_id) = (melati["id"].as_str().unwrap(), mawar["id"].as_str().unwrap());
    let csv = format!(
        "child_id,village_code,sex,birth_date,name,posyandu_id,kia_book,measured_on,length_cm,position,weight_kg,place\n\
         {siti},{VILLAGE},female,2024-06-01,Siti,{melati_id},true,2025-02-10,70.0,lying,7.9,posyandu\n\
         {siti},{VILLAGE},female,2024-06-01,Siti,{melati_id},true,2025-03-10,71.0,lying,8.3,posyandu\n\
         {dewi},{VILLAGE},female,2024-06-01,Dewi,{mawar_id},,2025-02-11,70.0,lying,7.9,posyandu\n"
    );
    let response = app
        .request(Method::POST, "/api/v1/imports/children", Some(&officer))
        .text("text/csv", csv)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let summary: Value = response.json().await.unwrap();
    assert_eq!((summary["created"].clone(), summary["rejected"].clone()), (json!(2), json!(1)), "{summary}");
    // Dewi's posyandu is the next village's: refused, naming the field.
    assert_eq!(summary["rejections"][0]["line"], 4, "{summary}");
    assert_eq!(summary["rejections"][0]["problem"]["errors"][0]["field"], "posyandu_id", "{summary}");
    let child: Value = app.get(&format!("/api/v1/children/{siti}"), Some(&officer)).await.json().await.unwrap();
    assert_eq!((child["posyandu_id"].clone(), child["kia_book"].clone()), (melati["id"].clone(), json!(true)));
    let weighed: Value =
        app.get(&format!("/api/v1/children/{siti}/measurements"), Some(&officer)).await.json().await.unwrap();
    assert!(weighed["items"].as_array().unwrap().iter().all(|m| m["posyandu_id"] == melati["id"]), "{weighed}");

    // A measurement import names where each weighing was taken, checked as a single request is.
    let weighings = json!([
        {"child_id": siti, "measured_on": "2025-04-10", "length_cm": 71.5, "position": "lying", "weight_kg": 8.4,
         "place": "posyandu", "posyandu_id": mawar["id"]},
        {"child_id": siti, "measured_on": "2025-05-10", "length_cm": 72.0, "position": "lying", "weight_kg": 8.6,
         "place": "posyandu", "posyandu_id": Uuid::now_v7()}
    ]);
    let response = app.post_json("/api/v1/imports/measurements", Some(&officer), &weighings).await;
    let summary: Value = response.json().await.unwrap();
    assert_eq!((summary["created"].clone(), summary["rejected"].clone()), (json!(1), json!(1)), "{summary}");
    assert_eq!(summary["rejections"][0]["problem"]["errors"][0]["field"], "posyandu_id", "{summary}");

    // Her SKDN follows her registration: February new, March 400 g (a nine-month-old needs
    // 300 g): grown; April 100 g: not grown.
    let skdn: Value = app
        .get(
            &format!("/api/v1/stats/skdn?region={VILLAGE}&level=posyandu&from=2025-02&to=2025-04&period=month"),
            Some(&officer),
        )
        .await
        .json()
        .await
        .unwrap();
    let rows: Vec<(i64, i64, i64)> = skdn["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["first_weighing"].as_i64().unwrap(), r["rose"].as_i64().unwrap(), r["not_rose"].as_i64().unwrap()))
        .collect();
    assert_eq!(rows, [(1, 0, 0), (0, 1, 0), (0, 0, 1)], "{skdn}");
    // Polled with its ETag, an unchanged answer is 304.
    let path = format!("/api/v1/stats/skdn?region={VILLAGE}&year=2025");
    let first = app.get(&path, Some(&officer)).await;
    let etag = first.headers()["etag"].to_str().unwrap().to_owned();
    let again = app.request(Method::GET, &path, Some(&officer)).header("If-None-Match", etag).send().await.unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
}
