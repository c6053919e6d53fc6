//! Import kinds of the first 1,000 days: catin screenings as Elsimil lists them, a pregnancy
//! register a row per event, and TPK visits. Each row names its person, so the same file sent
//! again finds the same people and changes nothing; each record meets the single request's rules.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use stunting_api::domain::Role;

use crate::common::app::children::VILLAGE;
use crate::common::{TestApp, created};

const OTHER_DISTRICT_VILLAGE: &str = "14.03.01.2001";

async fn import(app: &TestApp, token: &str, kind: &str, content_type: &str, body: String) -> Value {
    let response = app
        .request(Method::POST, &format!("/api/v1/imports/{kind}"), Some(token))
        .text(content_type, body)
        .send()
        .await
        .unwrap();
    let status = response.status();
    let summary: Value = response.json().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{summary}");
    summary
}

fn counts(summary: &Value) -> [u64; 5] {
    ["received", "created", "updated", "unchanged", "rejected"].map(|k| summary[k].as_u64().unwrap())
}

/// The rejection of record `index`: its status and the fields its problem names.
fn rejection(summary: &Value, index: u64) -> (u64, Vec<String>) {
    let found = summary["rejections"].as_array().unwrap().iter().find(|r| r["index"] == index);
    let problem = &found.unwrap_or_else(|| panic!("record {index} was not rejected: {summary}"))["problem"];
    let fields = problem["errors"]
        .as_array()
        .map_or_else(Vec::new, |errors| errors.iter().map(|e| e["field"].as_str().unwrap().to_owned()).collect());
    (problem["status"].as_u64().unwrap(), fields)
}

async fn get(app: &TestApp, token: &str, path: &str) -> Value {
    let response = app.get(path, Some(token)).await;
    assert_eq!(response.status(), 200, "{path}");
    response.json().await.unwrap()
}

/// The only person whose name holds `name`.
async fn person_named(app: &TestApp, token: &str, name: &str) -> Value {
    let page = get(app, token, &format!("/api/v1/people?region=14.01&q={name}")).await;
    let people = page["items"].as_array().unwrap();
    assert_eq!(people.len(), 1, "{page}");
    people[0].clone()
}

const SCREENINGS: &str = "nik,village_code,sex,birth_date,name,screened_on,wedding_planned_on,height_cm,weight_kg,\
muac_cm,hb_g_dl,smokes,smoke_exposed\n";

#[tokio::test]
async fn catin_screenings_arrive_as_elsimil_lists_them_and_a_resend_finds_the_people() {
    let app = TestApp::spawn().await;
    let officer = app.token_for(Role::Officer, Some("14.01")).await;
    let rows = |nurhayati: &str| {
        format!(
            "{SCREENINGS}1401014903040002,{VILLAGE},female,2004-03-09,{nurhayati},2025-03-01,2025-06-14,150,40,22.5,11.2,false,true\n\
             1401010101000003,{VILLAGE},male,2000-01-01,Ahmad Fauzi,2025-03-01,2025-06-14,168,60,,,true,\n\
             1401010101000003,{VILLAGE},male,2000-01-01,Ahmad Fauzi,2025-04-02,,168,61,,,false,\n"
        )
    };
    let first = import(&app, &officer, "catin-screenings", "text/csv", rows("Nurhayati")).await;
    assert_eq!(counts(&first), [3, 3, 0, 0, 0], "{first}");
    let her = person_named(&app, &officer, "Nurhayati").await;
    assert_eq!((&her["has_nik"], &her["sex"]), (&json!(true), &json!("female")));
    let screenings = get(&app, &officer, &format!("/api/v1/people/{}/screenings", her["id"].as_str().unwrap())).await;
    let screening = &screenings[0];
    assert_eq!(screening["at_risk"], true, "{screening}");
    for factor in ["underweight", "kek", "anaemia", "smoke"] {
        assert!(screening["risk_factors"].as_array().unwrap().contains(&json!(factor)), "{factor}: {screening}");
    }
    let him = person_named(&app, &officer, "Fauzi").await;
    let his = get(&app, &officer, &format!("/api/v1/people/{}/screenings", him["id"].as_str().unwrap())).await;
    assert_eq!(his.as_array().unwrap().len(), 2, "{his}");

    let again = import(&app, &officer, "catin-screenings", "text/csv", rows("Nurhayati")).await;
    assert_eq!(counts(&again), [3, 0, 0, 3, 0], "{again}");

    // The district corrects a name: the person is corrected, not twinned.
    let fixed = import(&app, &officer, "catin-screenings", "text/csv", rows("Nur Hayati")).await;
    assert_eq!(counts(&fixed), [3, 0, 1, 2, 0], "{fixed}");
    assert_eq!(person_named(&app, &officer, "Hayati").await["id"], her["id"]);

    // Other findings for a day on file: a screening is voided, never overwritten.
    let changed = rows("Nur Hayati").replace(",150,40,22.5,", ",150,40,24.5,");
    let refused = import(&app, &officer, "catin-screenings", "text/csv", changed).await;
    assert_eq!(counts(&refused), [3, 0, 0, 2, 1], "{refused}");
    assert_eq!(rejection(&refused, 0).0, 409);
    let detail = refused["rejections"][0]["problem"]["detail"].as_str().unwrap();
    assert!(detail.contains("screening of that day on file"), "{detail}");

    // Each row meets the single request's rules and the caller's scope, named by its column.
    let bad = format!(
        "{SCREENINGS},{VILLAGE},female,2004-03-09,Tanpa NIK,2025-03-01,,150,40,,,,\n\
         1401014903040009,{VILLAGE},female,2004-03-09,Terlalu Muda,1990-03-01,,150,40,,,,\n\
         1401014903040010,{OTHER_DISTRICT_VILLAGE},female,2004-03-09,Di Luar,2025-03-01,,150,40,,,,\n\
         1401014903040011,{VILLAGE},female,2004-03-09,Lila,2025-03-01,,150,40,99,,,\n"
    );
    let refused = import(&app, &officer, "catin-screenings", "text/csv", bad).await;
    assert_eq!(counts(&refused), [4, 0, 0, 0, 4], "{refused}");
    assert_eq!(rejection(&refused, 0), (422, vec!["person_id".to_owned()]));
    assert_eq!(rejection(&refused, 1), (422, vec!["screened_on".to_owned()]));
    assert_eq!(rejection(&refused, 2).0, 403);
    assert_eq!(rejection(&refused, 3), (422, vec!["muac_cm".to_owned()]));
    // Nothing of a rejected row stays: not even its person.
    let page = get(&app, &officer, "/api/v1/people?region=14.01&q=Lila").await;
    assert_eq!(page["items"].as_array().unwrap().len(), 0, "{page}");

    let analyst = app.token_for(Role::Analyst, None).await;
    let response = app
        .request(Method::POST, "/api/v1/imports/catin-screenings", Some(&analyst))
        .text("text/csv", rows("Nurhayati"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
}

const REGISTER: &str = "nik,village_code,birth_date,name,lmp_on,event,event_id,event_on,examiner,muac_cm,hb_g_dl,\
iron_tablets,outcome,baby_name,baby_sex,birth_weight_g,birth_length_cm,contraception,exclusive_breastfeeding\n";

/// Siti's pregnancy as a KIA register lists it: six antenatal visits, a live birth, two KF visits.
fn register(baby: &str) -> String {
    let woman = format!("1401015505990001,{VILLAGE},1999-05-15,Siti Rahma,2025-01-06");
    let mut csv = String::from(REGISTER);
    for (on, examiner, muac, hb, iron) in [
        ("2025-02-10", "doctor", "22.5", "10.5", "30"),
        ("2025-03-10", "midwife", "", "", "30"),
        ("2025-05-05", "doctor", "", "", "30"),
        ("2025-07-28", "midwife", "", "", "30"),
        ("2025-08-25", "midwife", "24", "11.5", ""),
        ("2025-09-22", "doctor", "", "", ""),
    ] {
        csv.push_str(&format!("{woman},anc_visit,,{on},{examiner},{muac},{hb},{iron},,,,,,,\n"));
    }
    csv.push_str(&format!("{woman},outcome,{baby},2025-10-10,,,,,live_birth,Bayi Siti,female,2400,47,,\n"));
    csv.push_str(&format!("{woman},postpartum_visit,,2025-10-11,midwife,,,,,,,,,,true\n"));
    csv.push_str(&format!("{woman},postpartum_visit,,2025-10-15,midwife,,,,,,,,,implant,true\n"));
    csv
}

#[tokio::test]
async fn a_pregnancy_register_opens_follows_and_closes_each_pregnancy() {
    let app = TestApp::spawn().await;
    let cadre = app.token_for(Role::Cadre, Some(VILLAGE)).await;
    let first = import(&app, &cadre, "pregnancies", "text/csv", register("")).await;
    assert_eq!(counts(&first), [9, 9, 0, 0, 0], "{first}");
    let siti = person_named(&app, &cadre, "Rahma").await;
    let pregnancies = get(&app, &cadre, &format!("/api/v1/people/{}/pregnancies", siti["id"].as_str().unwrap())).await;
    assert_eq!(pregnancies.as_array().unwrap().len(), 1, "one pregnancy, opened by its first row");
    let pregnancy = &pregnancies[0];
    assert_eq!((&pregnancy["anc"]["contacts"], &pregnancy["anc"]["k6"]), (&json!(6), &json!(true)), "{pregnancy}");
    assert_eq!((&pregnancy["anc"]["iron_tablets"], &pregnancy["anc"]["kek"]), (&json!(120), &json!(true)));
    assert_eq!(pregnancy["outcome"], "live_birth");
    let baby = &pregnancy["babies"][0];
    assert_eq!((&baby["low_birth_weight"], &baby["short_at_birth"]), (&json!(true), &json!(true)), "{pregnancy}");
    assert_eq!(pregnancy["postpartum"]["kf_done"], json!([1, 2]), "{pregnancy}");
    let child = get(&app, &cadre, &format!("/api/v1/children/{}", baby["child_id"].as_str().unwrap())).await;
    assert_eq!((&child["mother_id"], &child["birth_date"]), (&siti["id"], &json!("2025-10-10")), "{child}");

    // Sent again, with or without the baby's id: nothing changes, nobody is twinned.
    let again = import(&app, &cadre, "pregnancies", "text/csv", register("")).await;
    assert_eq!(counts(&again), [9, 0, 0, 9, 0], "{again}");
    let baby_id = baby["child_id"].as_str().unwrap();
    let keyed = import(&app, &cadre, "pregnancies", "text/csv", register(baby_id)).await;
    assert_eq!(counts(&keyed), [9, 0, 0, 9, 0], "{keyed}");

    // Each event meets its single request's rules, in the row's words.
    let woman = format!("1401015505990001,{VILLAGE},1999-05-15,Siti Rahma,2025-01-06");
    let other = format!("1401015505990002,{VILLAGE},1999-05-15,Ani,2025-01-06");
    let bad = format!(
        "{REGISTER}{woman},anc_visit,,2025-09-01,doctor,,,,,,,,,,\n\
         {woman},outcome,,2025-10-10,,,,,stillbirth,,,,,,\n\
         {other},anc_visit,,2025-02-10,,22,,,,,,,,,\n\
         {other},outcome,,2025-03-01,,24,,,miscarriage,,,,,,\n\
         {other},,,,,,,,,,,,,,\n\
         {other},anc_visit,,2024-12-01,doctor,,,,,,,,,,\n"
    );
    let refused = import(&app, &cadre, "pregnancies", "text/csv", bad).await;
    assert_eq!(counts(&refused), [6, 1, 0, 0, 5], "{refused}");
    // A visit after the outcome, and another outcome: the pregnancy has ended.
    assert_eq!(rejection(&refused, 0).0, 409);
    assert_eq!(rejection(&refused, 1).0, 409);
    assert_eq!(rejection(&refused, 2), (422, vec!["examiner".to_owned()]));
    assert_eq!(rejection(&refused, 3), (422, vec!["muac_cm".to_owned()]));
    // Row 4 opens Ani's pregnancy; row 5's visit is before its HPHT.
    assert_eq!(rejection(&refused, 5), (422, vec!["event_on".to_owned()]));
}

#[tokio::test]
async fn twins_arrive_a_row_each_and_a_resend_finds_each_by_name() {
    let app = TestApp::spawn().await;
    let cadre = app.token_for(Role::Cadre, Some(VILLAGE)).await;
    let woman = format!("1401016607980001,{VILLAGE},1998-07-26,Dewi Lestari,2025-01-13");
    let twins = format!(
        "{REGISTER}{woman},outcome,,2025-09-30,,,,,live_birth,Bayi Dewi 1,female,2300,46,,\n\
         {woman},outcome,,2025-09-30,,,,,live_birth,Bayi Dewi 2,male,2600,49,,\n"
    );
    let first = import(&app, &cadre, "pregnancies", "text/csv", twins.clone()).await;
    assert_eq!(counts(&first), [2, 2, 0, 0, 0], "{first}");
    let dewi = person_named(&app, &cadre, "Lestari").await;
    let pregnancies = get(&app, &cadre, &format!("/api/v1/people/{}/pregnancies", dewi["id"].as_str().unwrap())).await;
    let pregnancy = &pregnancies[0];
    let babies = pregnancy["babies"].as_array().unwrap();
    assert_eq!(babies.len(), 2, "{pregnancy}");
    let low: Vec<&Value> = babies.iter().map(|b| &b["low_birth_weight"]).collect();
    assert_eq!(low.iter().filter(|l| ***l == json!(true)).count(), 1, "2,300 g and 2,600 g: {pregnancy}");
    assert_eq!(app.count("SELECT count(*) FROM children").await, 2);
    assert_eq!(app.count("SELECT babies::bigint AS count FROM pregnancies").await, 2);
    assert_eq!(app.count("SELECT low_birth_weight_babies::bigint AS count FROM pregnancies").await, 1);

    // The same file again: each baby found by its name and sex, nobody is a triplet.
    let again = import(&app, &cadre, "pregnancies", "text/csv", twins).await;
    assert_eq!(counts(&again), [2, 0, 0, 2, 0], "{again}");
    assert_eq!(app.count("SELECT count(*) FROM children").await, 2);
    // A third baby on another day is another outcome: refused.
    let late = format!("{REGISTER}{woman},outcome,,2025-10-01,,,,,live_birth,Bayi Dewi 3,male,2600,49,,\n");
    let refused = import(&app, &cadre, "pregnancies", "text/csv", late).await;
    assert_eq!(rejection(&refused, 0).0, 409, "{refused}");
    assert_eq!(app.count("SELECT count(*) FROM children").await, 2);
}

#[tokio::test]
async fn tpk_visits_are_known_by_team_person_and_day() {
    let app = TestApp::spawn().await;
    let officer = app.token_for(Role::Officer, Some("14.01")).await;
    let cadre = app.token_for(Role::Cadre, Some(VILLAGE)).await;
    let team = app.tpk_in(&officer, VILLAGE).await;
    let her = json!({"village_code": VILLAGE, "sex": "female", "birth_date": "2000-02-02", "name": "Nurhayati"});
    let her = created(app.post_json("/api/v1/people", Some(&cadre), &her).await).await;
    let child = app.child_in(&cadre, VILLAGE).await;
    let visits = |findings: &str| {
        json!([
            {"team_id": team["id"], "person_id": her["id"], "visited_on": "2025-03-10", "counselling": true,
             "findings": findings},
            {"team_id": team["id"], "child_id": child["id"], "visited_on": "2025-03-10", "referral": true},
            {"team_id": team["id"], "person_id": her["id"], "child_id": child["id"], "visited_on": "2025-03-11"},
            {"team_id": uuid::Uuid::new_v4(), "person_id": her["id"], "visited_on": "2025-03-12"},
        ])
        .to_string()
    };
    let first = import(&app, &cadre, "tpk-visits", "application/json", visits("LiLA 22.5 cm")).await;
    assert_eq!(counts(&first), [4, 2, 0, 0, 2], "{first}");
    assert_eq!(rejection(&first, 2), (422, vec!["person_id".to_owned()]));
    assert_eq!(rejection(&first, 3), (422, vec!["team_id".to_owned()]));
    let page = get(&app, &cadre, &format!("/api/v1/tpk-visits?person_id={}", her["id"].as_str().unwrap())).await;
    let stored = &page["items"][0];
    assert_eq!((&stored["stage"], &stored["counselling"]), (&json!("catin"), &json!(true)), "{page}");

    let again = import(&app, &cadre, "tpk-visits", "application/json", visits("LiLA 22.5 cm")).await;
    assert_eq!(counts(&again), [4, 0, 0, 2, 2], "{again}");
    let changed = import(&app, &cadre, "tpk-visits", "application/json", visits("LiLA 23 cm")).await;
    assert_eq!(counts(&changed), [4, 0, 0, 1, 3], "{changed}");
    assert_eq!(rejection(&changed, 0).0, 409);
    assert_eq!(changed["rejections"][0]["problem"]["existing_id"], stored["id"], "{changed}");
}
