//! The first 1,000 days' statistics: what one family's records show at every step, and the
//! kept counts against recounts after random writes, voids, moves and removals.

use std::collections::BTreeMap;

use diesel::sql_types::{BigInt, Date, Text};
use diesel_async::RunQueryDsl;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use reqwest::StatusCode;
use serde_json::{Value, json};
use stunting_api::domain::Role;

use crate::common::app::children::VILLAGE;
use crate::common::{TestApp, created, problem};

/// Villages in two subdistricts of one district and in a second district.
const VILLAGES: [&str; 4] = [VILLAGE, "14.01.01.2010", "14.01.02.2001", "14.03.01.1001"];

fn id(record: &Value) -> String {
    record["id"].as_str().unwrap().to_owned()
}

/// The rows of an answer one line per indicator, as the CSV has them: each indicator beside
/// its row's region and period.
fn lines(rows: &Value) -> Vec<Value> {
    let mut lines = Vec::new();
    for row in rows.as_array().unwrap() {
        let mut place = row.as_object().unwrap().clone();
        let indicators = place.remove("indicators").unwrap();
        for rate in indicators.as_array().unwrap() {
            let mut line = place.clone();
            line.extend(rate.as_object().unwrap().clone());
            lines.push(Value::Object(line));
        }
    }
    lines
}

/// The totals of one answer, indicator → (numerator, denominator).
fn totals(answer: &Value) -> BTreeMap<String, (Value, Value)> {
    lines(&answer["totals"])
        .iter()
        .map(|r| (r["indicator"].as_str().unwrap().to_owned(), (r["numerator"].clone(), r["denominator"].clone())))
        .collect()
}

async fn stats(app: &TestApp, token: &str, query: &str) -> Value {
    let response = app.get(&format!("/api/v1/stats/pathway?{query}"), Some(token)).await;
    assert_eq!(response.status(), StatusCode::OK, "{query}");
    response.json().await.unwrap()
}

#[tokio::test]
async fn the_district_sees_each_step_of_one_family() {
    let app = TestApp::spawn().await;
    let cadre = app.token_for(Role::Cadre, Some(VILLAGE)).await;
    let officer = app.token_for(Role::Officer, Some("14.01")).await;
    let her = json!({"village_code": VILLAGE, "sex": "female", "birth_date": "2006-05-01", "name": "Nurhayati"});
    let her = created(app.post_json("/api/v1/people", Some(&cadre), &her).await).await;
    let base = format!("/api/v1/people/{}", id(&her));
    // 18 on the day, LiLA 22.0: too young and KEK.
    let screening = json!({"screened_on": "2024-09-02", "muac_cm": 22.0, "hb_g_dl": 12.5});
    created(app.post_json(&format!("{base}/screenings"), Some(&cadre), &screening).await).await;
    let year_2024 = totals(&stats(&app, &officer, "region=14.01&year=2024").await);
    assert_eq!(year_2024["catin_at_risk"], (json!(1), json!(1)));
    assert_eq!(year_2024["catin_too_young"], (json!(1), json!(1)));
    assert_eq!(year_2024["catin_anaemia"], (json!(0), json!(1)));
    // Her screening's month (no wedding planned) places her in the pathway; the TPK finds her
    // again in November: two person-months, one assisted.
    let team = app.tpk_in(&officer, VILLAGE).await;
    let tpk_visit = |on: &str| json!({"team_id": team["id"], "person_id": her["id"], "visited_on": on});
    created(app.post_json("/api/v1/tpk-visits", Some(&cadre), &tpk_visit("2024-11-05")).await).await;
    let year_2024 = totals(&stats(&app, &officer, "region=14.01&year=2024").await);
    assert_eq!(year_2024["tpk_assisted"], (json!(1), json!(2)));

    let pregnancy =
        created(app.post_json(&format!("{base}/pregnancies"), Some(&cadre), &json!({"lmp_on": "2025-01-06"})).await)
            .await;
    let visits = format!("/api/v1/pregnancies/{}/anc-visits", id(&pregnancy));
    let k6 = [
        ("2025-03-03", "doctor"),
        ("2025-03-24", "midwife"),
        ("2025-05-26", "midwife"),
        ("2025-07-21", "doctor"),
        ("2025-08-18", "midwife"),
        ("2025-09-15", "midwife"),
    ];
    for (on, examiner) in k6 {
        let body = json!({"visited_on": on, "examiner": examiner, "iron_tablets": 15, "hb_g_dl": 10.5});
        created(app.post_json(&visits, Some(&cadre), &body).await).await;
    }
    // Two visits in March: one person assisted that month.
    for on in ["2025-03-10", "2025-03-20"] {
        created(app.post_json("/api/v1/tpk-visits", Some(&cadre), &tpk_visit(on)).await).await;
    }
    // Nothing has ended yet: no pregnancy counts.
    assert_eq!(totals(&stats(&app, &officer, "region=14.01&year=2025").await)["anc_k6"], (json!(0), json!(0)));

    let birth = json!({"outcome": "live_birth", "ended_on": "2025-10-10", "babies": [
        {"name": "Bayi", "sex": "female", "birth_weight_g": 2450, "birth_length_cm": 48.0}]});
    let outcome = format!("/api/v1/pregnancies/{}/outcome", id(&pregnancy));
    let ended = created(app.post_json(&outcome, Some(&cadre), &birth).await).await;
    // The baby is one of the pathway's people from October; the TPK visits her in November,
    // the month her mother's postpartum ends.
    let baby = ended["babies"][0]["child_id"].clone();
    let baby_visit = json!({"team_id": team["id"], "child_id": baby, "visited_on": "2025-11-20"});
    created(app.post_json("/api/v1/tpk-visits", Some(&cadre), &baby_visit).await).await;
    let postpartum = format!("/api/v1/pregnancies/{}/postpartum-visits", id(&pregnancy));
    for on in ["2025-10-11", "2025-10-14", "2025-10-25", "2025-11-15"] {
        let body = json!({"visited_on": on, "examiner": "midwife", "exclusive_breastfeeding": true,
                          "contraception": "injectable"});
        created(app.post_json(&postpartum, Some(&cadre), &body).await).await;
    }
    let year = stats(&app, &officer, "region=14.01&year=2025").await;
    let year_2025 = totals(&year);
    for (indicator, expected) in [
        ("anc_k1", 1),
        ("anc_k4", 1),
        ("anc_k6", 1),
        ("pregnant_anaemia", 1),
        ("pregnant_kek", 0),
        ("iron_tablets_90", 1),
    ] {
        assert_eq!(year_2025[indicator], (json!(expected), json!(1)), "{indicator}");
    }
    assert_eq!(year_2025["low_birth_weight"], (json!(1), json!(1)), "2,450 g");
    assert_eq!(year_2025["short_at_birth"], (json!(0), json!(1)), "48.0 cm is not short");
    assert_eq!(year_2025["kf_complete"], (json!(1), json!(1)));
    assert_eq!(year_2025["postpartum_contraception"], (json!(1), json!(1)));
    assert_eq!(year_2025["exclusive_breastfeeding"], (json!(1), json!(1)));
    // Pregnant from January, postpartum to 21 November: eleven months, March assisted; her
    // baby under two from October: three months, November assisted.
    assert_eq!(year_2025["tpk_assisted"], (json!(2), json!(14)));
    let year_lines = lines(&year["rows"]);
    let row = year_lines.iter().find(|r| r["indicator"] == "anc_k6").unwrap();
    assert_eq!((&row["region_code"], &row["pct"]), (&json!("14.01.01"), &json!(100.0)));
    assert!(row["ci95"]["low"].as_f64().unwrap() < 100.0);

    // The month series puts the outcome in October; a range that is not one calendar period
    // is counted from the rows and agrees.
    let months = stats(&app, &officer, "region=14.01&from=2025-01&to=2025-12&period=month&indicators=anc_k6").await;
    let october: Vec<Value> = lines(&months["totals"]).into_iter().filter(|r| r["numerator"] == 1).collect();
    assert_eq!(october.len(), 1);
    assert_eq!(october[0]["period_start"], "2025-10-01");
    // Month by month, the baby stays one of the people after her mother's postpartum ends.
    let months =
        stats(&app, &officer, "region=14.01&from=2025-10&to=2026-03&period=month&indicators=tpk_assisted").await;
    let shares: Vec<(Value, Value)> =
        lines(&months["totals"]).iter().map(|r| (r["numerator"].clone(), r["denominator"].clone())).collect();
    let expected = [(0, 2), (1, 2), (0, 1), (0, 1), (0, 1), (0, 1)].map(|(n, d)| (json!(n), json!(d)));
    assert_eq!(shares, expected);
    let range = stats(&app, &officer, "region=14.01&from=2025-02&to=2025-11").await;
    assert_eq!(range["source"], "rows");
    let (mut in_range, mut in_year) = (totals(&range), year_2025.clone());
    // Person-months are the months starting in the range: hers February to November, the
    // baby's October and November.
    assert_eq!(in_range.remove("tpk_assisted"), Some((json!(2), json!(12))));
    in_year.remove("tpk_assisted");
    assert_eq!(in_range, in_year);

    // Analysts see the village's counts of 1 withheld, the district's shown.
    let analyst = app.token_for(Role::Analyst, Some("14.01")).await;
    let village = stats(&app, &analyst, "region=14.01.01&level=village&year=2025&indicators=anc_k6").await;
    let row = &lines(&village["rows"])[0];
    assert_eq!((&row["numerator"], &row["pct"], &row["suppressed"]), (&Value::Null, &Value::Null, &json!(true)));
    let national = app.token_for(Role::Analyst, None).await;
    let district = stats(&app, &national, "region=14&level=district&year=2025&indicators=anc_k6").await;
    assert_eq!(district["rows"][0]["indicators"][0]["numerator"], 1);

    // A void moves the statistic at once; CSV and ETag as every aggregate.
    let listed: Value = app.get(&postpartum, Some(&cadre)).await.json().await.unwrap();
    let kf3 = format!("{postpartum}/{}", id(&listed[2]));
    let voided = app.delete_json(&kf3, Some(&cadre), None, &json!({"reason": "another mother's visit"})).await;
    assert_eq!(voided.status(), StatusCode::OK);
    assert_eq!(totals(&stats(&app, &officer, "region=14.01&year=2025").await)["kf_complete"], (json!(0), json!(1)));
    let csv = app
        .request(reqwest::Method::GET, "/api/v1/stats/pathway?region=14.01&year=2025", Some(&officer))
        .header("Accept", "text/csv")
        .send()
        .await
        .unwrap();
    let etag = csv.headers()["etag"].to_str().unwrap().to_owned();
    let text = csv.text().await.unwrap();
    assert!(text.starts_with("region_code,region_name,region_level,period_start,period_end,indicator,numerator"));
    assert!(text.contains(",kf_complete,0,1,0.0,"), "{text}");
    let json = stats(&app, &officer, "region=14.01&year=2025").await;
    let expected = lines(&json["rows"]).len() + lines(&json["totals"]).len();
    assert_eq!(text.lines().count(), 1 + expected, "a line per region, period and indicator: {text}");
    let again = app
        .request(reqwest::Method::GET, "/api/v1/stats/pathway?region=14.01&year=2025", Some(&officer))
        .header("Accept", "text/csv")
        .header("If-None-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    let unknown = app.get("/api/v1/stats/pathway?year=2025&indicators=anc_k6,stunting", Some(&officer)).await;
    let refused = problem(unknown, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(refused["errors"][0]["field"], "indicators");
}

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Kept rows that differ from a recount of every row by the same row functions
/// (`pathway_counts_from_rows`), both ways; and kept person-months that differ from the months
/// the rows give.
pub(crate) async fn drift(app: &TestApp) -> i64 {
    let mut conn = app.pool.get().await.unwrap();
    diesel::sql_query(
        "WITH recount AS (SELECT * FROM pathway_counts_from_rows()) \
         SELECT (SELECT count(*) FROM ( \
           (SELECT * FROM pathway_counts WHERE value <> 0 EXCEPT ALL SELECT * FROM recount) \
           UNION ALL (SELECT * FROM recount EXCEPT ALL SELECT * FROM pathway_counts WHERE value <> 0)) d) \
         + (SELECT count(*) FROM ( \
           (SELECT * FROM pathway_months EXCEPT ALL SELECT * FROM pathway_months_from_rows) \
           UNION ALL (SELECT * FROM pathway_months_from_rows EXCEPT ALL SELECT * FROM pathway_months)) m) AS n",
    )
    .get_result::<Count>(&mut conn)
    .await
    .unwrap()
    .n
}

#[derive(diesel::QueryableByName)]
struct Recounted {
    #[diesel(sql_type = Date)]
    period_start: chrono::NaiveDate,
    #[diesel(sql_type = Text)]
    area: String,
    #[diesel(sql_type = Text)]
    indicator: String,
    #[diesel(sql_type = BigInt)]
    part: i64,
    #[diesel(sql_type = BigInt)]
    whole: i64,
}

/// (period start, area, indicator) → (numerator, denominator) counted straight from the
/// visits, births and screenings, with no kept field of the pregnancy and no row function:
/// screenings at risk, babies of low weight, deliveries with KF1 to KF4.
async fn independent(app: &TestApp, length: i32, kind: &str) -> BTreeMap<(String, String, String), (i64, i64)> {
    let mut conn = app.pool.get().await.unwrap();
    let rows: Vec<Recounted> = diesel::sql_query(
        "WITH living AS (SELECT * FROM pregnancies WHERE deleted_at IS NULL AND ended_on IS NOT NULL), \
         facts AS ( \
           SELECT screened_on AS day, village_code, 'catin_at_risk' AS indicator, at_risk::int AS part, 1 AS whole \
           FROM catin_screenings WHERE voided_at IS NULL \
           UNION ALL \
           SELECT p.ended_on, p.village_code, 'low_birth_weight', (b.birth_weight_g < 2500)::int, 1 \
           FROM births b JOIN living p ON p.id = b.pregnancy_id \
           UNION ALL \
           SELECT p.ended_on, p.village_code, 'kf_complete', \
                  ((SELECT count(DISTINCT v.kf) FROM postpartum_visits v \
                    WHERE v.pregnancy_id = p.id AND v.voided_at IS NULL) = 4)::int, 1 \
           FROM living p WHERE p.outcome IN ('live_birth', 'stillbirth')) \
         SELECT p.period_start, left(f.village_code, $1) AS area, f.indicator, \
                sum(f.part)::bigint AS part, sum(f.whole)::bigint AS whole \
         FROM facts f CROSS JOIN LATERAL calendar_periods(f.day) p WHERE p.period = $2 GROUP BY 1, 2, 3",
    )
    .bind::<diesel::sql_types::Integer, _>(length)
    .bind::<Text, _>(kind)
    .load(&mut conn)
    .await
    .unwrap();
    rows.into_iter().map(|r| ((r.period_start.to_string(), r.area, r.indicator), (r.part, r.whole))).collect()
}

/// The API at every tier and period kind equals the independent recount.
async fn assert_api_matches_recount(app: &TestApp, token: &str) {
    let tiers = [("", "province", 2), ("14", "district", 5), ("14.01", "subdistrict", 8), ("14.01.01", "village", 13)];
    for (root, level, length) in tiers {
        for kind in ["month", "quarter", "semester", "year"] {
            let region = if root.is_empty() { String::new() } else { format!("&region={root}") };
            let query = format!(
                "from=2024-01&to=2025-12&period={kind}&level={level}{region}\
                 &indicators=catin_at_risk,low_birth_weight,kf_complete"
            );
            let answer = stats(app, token, &query).await;
            let served: BTreeMap<(String, String, String), (i64, i64)> = lines(&answer["rows"])
                .iter()
                .filter(|r| r["denominator"].as_i64().unwrap() > 0)
                .map(|r| {
                    let key = (
                        r["period_start"].as_str().unwrap().to_owned(),
                        r["region_code"].as_str().unwrap().to_owned(),
                        r["indicator"].as_str().unwrap().to_owned(),
                    );
                    (key, (r["numerator"].as_i64().unwrap(), r["denominator"].as_i64().unwrap()))
                })
                .collect();
            let mut expected = independent(app, length, kind).await;
            expected.retain(|(_, area, _), _| area.starts_with(root));
            assert_eq!(served, expected, "{query}");
        }
    }
}

/// Records a TPK visit, kept in `visits` when the service takes it; a refusal is returned.
async fn tpk_visit(app: &TestApp, token: &str, body: &Value, visits: &mut Vec<String>) -> Option<reqwest::Response> {
    let response = app.post_json("/api/v1/tpk-visits", Some(token), body).await;
    if response.status() != StatusCode::CREATED {
        return Some(response);
    }
    let stored: Value = response.json().await.unwrap();
    visits.push(format!("/api/v1/tpk-visits/{}", id(&stored)));
    None
}

fn pick(rng: &mut StdRng, list: &[String]) -> String {
    list[rng.random_range(0..list.len())].clone()
}

#[tokio::test]
async fn kept_pathway_counts_equal_recounts_after_random_writes_voids_moves_and_removals() {
    let app = TestApp::spawn().await;
    let admin = app.token_for(Role::Admin, None).await;
    let mut rng = StdRng::seed_from_u64(20_261_204);
    let mut women: Vec<String> = Vec::new();
    // Each woman's pregnancy being followed: (id, HPHT day index, delivered on day index).
    let mut open: BTreeMap<String, (String, i64, i64)> = BTreeMap::new();
    let mut ended: Vec<(String, i64)> = Vec::new();
    let mut screenings: Vec<String> = Vec::new();
    let mut visits: Vec<String> = Vec::new();
    let mut tpk_visits: Vec<String> = Vec::new();
    let mut born: Vec<String> = Vec::new();
    let mut teams: BTreeMap<String, Value> = BTreeMap::new();
    for village in VILLAGES {
        teams.insert(village.to_owned(), app.tpk_in(&admin, village).await["id"].clone());
    }
    let day = |n: i64| (chrono::NaiveDate::from_ymd_opt(2024, 1, 1).unwrap() + chrono::Days::new(n as u64)).to_string();
    let mut writes = 0;
    for step in 0..200 {
        let roll = if women.is_empty() { 0 } else { rng.random_range(0..112) };
        let response = match roll {
            0..=11 => {
                let village = VILLAGES[rng.random_range(0..VILLAGES.len())];
                let body = json!({"village_code": village, "sex": "female", "birth_date": "2003-03-03", "name": "W"});
                let person = created(app.post_json("/api/v1/people", Some(&admin), &body).await).await;
                women.push(id(&person));
                None
            }
            12..=27 => {
                let path = format!("/api/v1/people/{}/screenings", pick(&mut rng, &women));
                let body = json!({"screened_on": day(rng.random_range(0..700)), "muac_cm": rng.random_range(21.0..27.0_f64),
                                  "hb_g_dl": rng.random_range(9.0..14.0_f64), "smokes": rng.random_bool(0.2)});
                let response = app.post_json(&path, Some(&admin), &body).await;
                if response.status() == StatusCode::CREATED {
                    let stored: Value = response.json().await.unwrap();
                    screenings.push(format!("{path}/{}", id(&stored)));
                    None
                } else {
                    Some(response)
                }
            }
            28..=32 if !screenings.is_empty() => {
                let path = screenings.swap_remove(rng.random_range(0..screenings.len()));
                Some(app.delete_json(&path, Some(&admin), None, &json!({"reason": "entered twice"})).await)
            }
            33..=42 => {
                let her = pick(&mut rng, &women);
                let lmp = rng.random_range(0..420);
                let path = format!("/api/v1/people/{her}/pregnancies");
                let response = app.post_json(&path, Some(&admin), &json!({"lmp_on": day(lmp)})).await;
                if response.status() == StatusCode::CREATED {
                    let stored: Value = response.json().await.unwrap();
                    open.insert(her, (id(&stored), lmp, lmp));
                    None
                } else {
                    Some(response)
                }
            }
            43..=62 if !open.is_empty() => {
                let key = open.keys().nth(rng.random_range(0..open.len())).unwrap().clone();
                let (pregnancy, lmp, last) = open[&key].clone();
                let on = (last + rng.random_range(7..60)).min(lmp + 280);
                let body = json!({"visited_on": day(on), "examiner": if rng.random_bool(0.4) { "doctor" } else { "midwife" },
                                  "iron_tablets": rng.random_range(0..40), "muac_cm": rng.random_range(21.0..27.0_f64)});
                let path = format!("/api/v1/pregnancies/{pregnancy}/anc-visits");
                let response = app.post_json(&path, Some(&admin), &body).await;
                if response.status() == StatusCode::CREATED {
                    let stored: Value = response.json().await.unwrap();
                    visits.push(format!("{path}/{}", id(&stored)));
                    open.insert(key, (pregnancy, lmp, on));
                    None
                } else {
                    Some(response)
                }
            }
            63..=67 if !visits.is_empty() => {
                let path = visits.swap_remove(rng.random_range(0..visits.len()));
                Some(app.delete_json(&path, Some(&admin), None, &json!({"reason": "wrong woman"})).await)
            }
            68..=77 if !open.is_empty() => {
                let key = open.keys().nth(rng.random_range(0..open.len())).unwrap().clone();
                let (pregnancy, lmp, last) = open.remove(&key).unwrap();
                let (outcome, on) = match rng.random_range(0..10) {
                    0 => ("miscarriage", lmp + 60),
                    1 => ("stillbirth", lmp + 250),
                    _ => ("live_birth", lmp + rng.random_range(250..290)),
                };
                let babies: Vec<Value> = (0..if outcome == "live_birth" { rng.random_range(1..=2) } else { 0 })
                    .map(|_| {
                        json!({"name": "Bayi", "sex": "male", "birth_weight_g": rng.random_range(1800..3800),
                               "birth_length_cm": rng.random_range(44.0..53.0_f64)})
                    })
                    .collect();
                let body = json!({"outcome": outcome, "ended_on": day(on.max(last)), "babies": babies});
                let path = format!("/api/v1/pregnancies/{pregnancy}/outcome");
                let response = app.post_json(&path, Some(&admin), &body).await;
                if response.status() != StatusCode::CREATED {
                    Some(response)
                } else {
                    let stored: Value = response.json().await.unwrap();
                    born.extend(
                        stored["babies"].as_array().unwrap().iter().map(|b| b["child_id"].as_str().unwrap().to_owned()),
                    );
                    if outcome != "miscarriage" {
                        ended.push((pregnancy, on.max(last)));
                    }
                    writes += 1;
                    None
                }
            }
            78..=87 if !ended.is_empty() => {
                let (pregnancy, delivered) = ended[rng.random_range(0..ended.len())].clone();
                let body = json!({"visited_on": day(delivered + rng.random_range(0..=42)), "examiner": "midwife",
                                  "exclusive_breastfeeding": rng.random_bool(0.7), "contraception": "pill"});
                let path = format!("/api/v1/pregnancies/{pregnancy}/postpartum-visits");
                Some(app.post_json(&path, Some(&admin), &body).await)
            }
            88..=92 => {
                let path = format!("/api/v1/people/{}", pick(&mut rng, &women));
                let etag = app.get(&path, Some(&admin)).await.headers()["etag"].to_str().unwrap().to_owned();
                let village = VILLAGES[rng.random_range(0..VILLAGES.len())];
                Some(app.patch_json(&path, Some(&admin), Some(&etag), &json!({"village_code": village})).await)
            }
            93..=96 => {
                // By the TPK of her village as she lives now.
                let her = pick(&mut rng, &women);
                let person: Value = app.get(&format!("/api/v1/people/{her}"), Some(&admin)).await.json().await.unwrap();
                let team = &teams[&person["village_code"].as_str().unwrap().to_owned()];
                let body = json!({"team_id": team, "person_id": her, "visited_on": day(rng.random_range(0..700))});
                tpk_visit(&app, &admin, &body, &mut tpk_visits).await
            }
            97 if !tpk_visits.is_empty() => {
                let path = tpk_visits.swap_remove(rng.random_range(0..tpk_visits.len()));
                Some(app.delete_json(&path, Some(&admin), None, &json!({"reason": "wrong woman"})).await)
            }
            100..=105 if !born.is_empty() => {
                // A baby visited by the TPK of her village, on any day: before her birth and
                // from her second birthday the service refuses.
                let baby = pick(&mut rng, &born);
                let child: Value =
                    app.get(&format!("/api/v1/children/{baby}"), Some(&admin)).await.json().await.unwrap();
                let team = &teams[&child["village_code"].as_str().unwrap().to_owned()];
                let body = json!({"team_id": team, "child_id": baby, "visited_on": day(rng.random_range(200..1000))});
                tpk_visit(&app, &admin, &body, &mut tpk_visits).await
            }
            106..=108 if !born.is_empty() => {
                // A baby moves, or her birth date is corrected by up to three months.
                let path = format!("/api/v1/children/{}", pick(&mut rng, &born));
                let current = app.get(&path, Some(&admin)).await;
                let etag = current.headers()["etag"].to_str().unwrap().to_owned();
                let child: Value = current.json().await.unwrap();
                let change = if rng.random_bool(0.5) {
                    json!({"village_code": VILLAGES[rng.random_range(0..VILLAGES.len())]})
                } else {
                    let born: chrono::NaiveDate = child["birth_date"].as_str().unwrap().parse().unwrap();
                    json!({"birth_date": (born - chrono::Days::new(rng.random_range(0..90))).to_string()})
                };
                Some(app.patch_json(&path, Some(&admin), Some(&etag), &change).await)
            }
            109 if !born.is_empty() => {
                let path = format!("/api/v1/children/{}", born.swap_remove(rng.random_range(0..born.len())));
                let etag = app.get(&path, Some(&admin)).await.headers()["etag"].to_str().unwrap().to_owned();
                Some(app.delete_json(&path, Some(&admin), Some(&etag), &json!({"reason": "entered twice"})).await)
            }
            _ if !ended.is_empty() => {
                let (pregnancy, _) = ended.swap_remove(rng.random_range(0..ended.len()));
                let path = format!("/api/v1/pregnancies/{pregnancy}");
                let etag = app.get(&path, Some(&admin)).await.headers()["etag"].to_str().unwrap().to_owned();
                Some(app.delete_json(&path, Some(&admin), Some(&etag), &json!({"reason": "entered twice"})).await)
            }
            _ => None,
        };
        if let Some(response) = response {
            // Writes the rules refuse (a visit after a void moved the dates) change nothing.
            assert!(response.status().is_success() || response.status().is_client_error(), "step {step}");
            writes += usize::from(response.status().is_success());
        }
        if step % 40 == 39 {
            assert_eq!(drift(&app).await, 0, "kept counts drifted by step {step}");
        }
    }
    assert!(writes > 40, "the sequence wrote too little to prove anything: {writes}");
    assert!(app.count("SELECT count(*) FROM pregnancies WHERE ended_on IS NOT NULL").await > 5);
    assert!(app.count("SELECT count(*) FROM tpk_visits WHERE voided_at IS NULL").await > 3);
    assert!(app.count("SELECT count(*) FROM tpk_visits WHERE voided_at IS NULL AND child_id IS NOT NULL").await > 0);
    assert_eq!(drift(&app).await, 0);
    assert_api_matches_recount(&app, &admin).await;
    assert_births_and_rows_agree(&app, &admin).await;
}

/// The share assisted from the kept counts and births (two calendar years) equals the same
/// counted from the rows and children (the two years as one range), at every tier.
async fn assert_births_and_rows_agree(app: &TestApp, token: &str) {
    for (root, level) in [("", "province"), ("14", "district"), ("14.01", "subdistrict"), ("14.01.01", "village")] {
        let region = if root.is_empty() { String::new() } else { format!("&region={root}") };
        let years = stats(
            app,
            token,
            &format!("from=2024-01&to=2025-12&period=year&level={level}{region}&indicators=tpk_assisted"),
        )
        .await;
        let range =
            stats(app, token, &format!("from=2024-01&to=2025-12&level={level}{region}&indicators=tpk_assisted")).await;
        assert_eq!(range["source"], "rows");
        let mut kept: BTreeMap<String, (i64, i64)> = BTreeMap::new();
        for line in lines(&years["rows"]) {
            let sum = kept.entry(line["region_code"].as_str().unwrap().to_owned()).or_default();
            sum.0 += line["numerator"].as_i64().unwrap();
            sum.1 += line["denominator"].as_i64().unwrap();
        }
        let counted: BTreeMap<String, (i64, i64)> = lines(&range["rows"])
            .iter()
            .map(|l| {
                (
                    l["region_code"].as_str().unwrap().to_owned(),
                    (l["numerator"].as_i64().unwrap(), l["denominator"].as_i64().unwrap()),
                )
            })
            .collect();
        kept.retain(|_, v| *v != (0, 0));
        assert_eq!(kept, counted, "{level} {root}");
        assert!(counted.values().any(|v| v.1 > 0), "{level} {root}: nothing counted");
    }
}
