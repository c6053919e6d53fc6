//! The worklist through HTTP: a village with one of everything due, each item leaving the list
//! once its link is acted on; windows judged on the day asked; the lists of a posyandu and of a
//! TPK; paging, the ETag and the feed position; and who may read which list.

use std::collections::BTreeSet;

use chrono::{Datelike, Days, NaiveDate};
use reqwest::StatusCode;
use serde_json::{Value, json};
use stunting_api::domain::{Role, latest_local_date};

use crate::common::app::children::{VILLAGE, length_for};
use crate::common::{TestApp, created, problem};

fn id(record: &Value) -> String {
    record["id"].as_str().unwrap().to_owned()
}

fn day(offset: i64) -> NaiveDate {
    let today = latest_local_date();
    match offset >= 0 {
        true => today + Days::new(offset.unsigned_abs()),
        false => today - Days::new(offset.unsigned_abs()),
    }
}

/// A village with one item of each rule due today, and the records to act on.
struct Village {
    cadre: String,
    officer: String,
    posyandu: String,
    team: String,
    /// Children: not weighed (registered at the posyandu), BGM (at the posyandu), stunted
    /// (measured 23 days ago, no posyandu), and the baby born four days ago.
    not_weighed: String,
    bgm: String,
    stunted: String,
    baby: String,
    /// People: pregnant 20 days (never seen, a TPK visit due in 5 days), delivered 4 days ago,
    /// a catin marrying in 100 days.
    pregnant: String,
    pregnancy: String,
    mother: String,
    delivery: String,
    catin: String,
    family: String,
}

async fn person(app: &TestApp, token: &str, name: &str, wedding: Option<NaiveDate>) -> Value {
    let body = json!({"village_code": VILLAGE, "sex": "female", "birth_date": "2000-02-02", "name": name,
                      "wedding_planned_on": wedding});
    created(app.post_json("/api/v1/people", Some(token), &body).await).await
}

async fn child_at(app: &TestApp, token: &str, name: &str, posyandu: Option<&str>) -> Value {
    let body = json!({"village_code": VILLAGE, "sex": "female", "birth_date": "2024-06-01", "name": name,
                      "posyandu_id": posyandu});
    created(app.register_child(token, body).await).await
}

/// A weighing today: length at the median, weight as given.
fn weighing(weight_kg: f64) -> Value {
    let on = day(0).to_string();
    json!({"measured_on": on, "length_cm": length_for(&on, -2.4), "position": "standing", "weight_kg": weight_kg,
           "place": "posyandu"})
}

async fn village(app: &TestApp) -> Village {
    let cadre = app.token_for(Role::Cadre, Some(VILLAGE)).await;
    let officer = app.token_for(Role::Officer, Some("14.01")).await;
    let posyandu = json!({"village_code": VILLAGE, "name": "Posyandu Melati"});
    let posyandu = id(&created(app.post_json("/api/v1/posyandu", Some(&cadre), &posyandu).await).await);
    let team = id(&app.tpk_in(&officer, VILLAGE).await);

    let not_weighed = child_at(app, &cadre, "Ani", Some(&posyandu)).await;
    let bgm = child_at(app, &cadre, "Budi", Some(&posyandu)).await;
    created(app.measure(&cadre, &bgm, weighing(7.0)).await).await;
    let stunted = child_at(app, &cadre, "Citra", None).await;
    app.measure_at(&cadre, &stunted, &day(-23).to_string(), -2.5).await;

    let pregnant = person(app, &cadre, "Dewi", None).await;
    let path = format!("/api/v1/people/{}/pregnancies", id(&pregnant));
    let pregnancy = created(app.post_json(&path, Some(&cadre), &json!({"lmp_on": day(-20)})).await).await;
    let visit = json!({"team_id": team, "person_id": id(&pregnant), "visited_on": day(-1), "counselling": true,
                       "next_visit_on": day(5)});
    created(app.post_json("/api/v1/tpk-visits", Some(&cadre), &visit).await).await;

    let mother = person(app, &cadre, "Eka", None).await;
    let path = format!("/api/v1/people/{}/pregnancies", id(&mother));
    let delivery = created(app.post_json(&path, Some(&cadre), &json!({"lmp_on": day(-274)})).await).await;
    let birth = json!({"outcome": "live_birth", "ended_on": day(-4), "babies": [
        {"name": "Bayi Eka", "sex": "male", "birth_weight_g": 3100, "birth_length_cm": 49.0}]});
    let path = format!("/api/v1/pregnancies/{}/outcome", id(&delivery));
    let born = created(app.post_json(&path, Some(&cadre), &birth).await).await;

    let catin = person(app, &cadre, "Fitri", Some(day(100))).await;
    let integration = app.token_for(Role::Integration, Some("14.01")).await;
    let year = day(0).year();
    let families = json!({"year": year, "families": [
        {"family_key": "KRS-0001", "village_code": VILLAGE, "risk_factors": ["no_safe_water"],
         "has_pregnant_woman": true, "has_under_two": false, "has_under_five": false}]});
    let response = app.post_json("/api/v1/families-at-risk/import", Some(&integration), &families).await;
    assert_eq!(response.status(), StatusCode::OK, "{}", response.text().await.unwrap());
    let page: Value =
        app.get(&format!("/api/v1/families-at-risk?year={year}"), Some(&cadre)).await.json().await.unwrap();

    Village {
        posyandu,
        team,
        not_weighed: id(&not_weighed),
        bgm: id(&bgm),
        stunted: id(&stunted),
        baby: born["babies"][0]["child_id"].as_str().unwrap().to_owned(),
        pregnant: id(&pregnant),
        pregnancy: id(&pregnancy),
        mother: id(&mother),
        delivery: id(&delivery),
        catin: id(&catin),
        family: id(&page["items"][0]),
        cadre,
        officer,
    }
}

async fn list(app: &TestApp, token: &str, query: &str) -> Value {
    let response = app.get(&format!("/api/v1/worklist?{query}"), Some(token)).await;
    assert_eq!(response.status(), StatusCode::OK, "{query}");
    response.json().await.unwrap()
}

/// (reason, subject_id) of every item.
fn pairs(page: &Value) -> BTreeSet<(String, String)> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| (item["reason"].as_str().unwrap().to_owned(), item["subject_id"].as_str().unwrap().to_owned()))
        .collect()
}

fn pair(reason: &str, subject: &str) -> (String, String) {
    (reason.to_owned(), subject.to_owned())
}

fn item<'a>(page: &'a Value, reason: &str, subject: &str) -> &'a Value {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["reason"] == reason && i["subject_id"] == subject)
        .unwrap_or_else(|| panic!("no {reason} item for {subject} in {page}"))
}

#[tokio::test]
async fn a_village_list_names_what_is_due_and_each_item_leaves_once_done() {
    let app = TestApp::spawn().await;
    let v = village(&app).await;
    let page = list(&app, &v.cadre, &format!("village={VILLAGE}&limit=500")).await;
    let expected = BTreeSet::from([
        pair("refer_bgm", &v.bgm),
        pair("not_weighed", &v.not_weighed),
        pair("not_weighed", &v.stunted),
        pair("not_weighed", &v.baby),
        pair("remeasure", &v.stunted),
        pair("antenatal_visit", &v.pregnant),
        pair("tpk_visit", &v.pregnant),
        pair("postpartum_visit", &v.mother),
        pair("catin_screening", &v.catin),
        pair("family_verification", &v.family),
    ]);
    assert_eq!(pairs(&page), expected);
    assert_eq!(page["as_of"], json!(day(0)));

    // Referrals first, then by urgency and day.
    let items = page["items"].as_array().unwrap();
    assert_eq!((items[0]["reason"].as_str(), items[0]["urgency"].as_str()), (Some("refer_bgm"), Some("refer")));
    let order =
        |i: &Value| (["refer", "overdue", "due"].iter().position(|u| i["urgency"] == *u), i["due_on"].to_string());
    assert!(items.windows(2).all(|w| order(&w[0]) <= order(&w[1])), "{page}");
    let kf = item(&page, "postpartum_visit", &v.mother);
    assert_eq!((&kf["due_on"], &kf["record_id"]), (&json!(day(3)), &json!(v.delivery)), "KF2 closes on day 7");
    let anc = item(&page, "antenatal_visit", &v.pregnant);
    assert_eq!(anc["due_on"], json!(day(70)), "the first trimester ends on day 90");
    assert_eq!(anc["record_id"], json!(v.pregnancy));
    assert_eq!(item(&page, "catin_screening", &v.catin)["due_on"], json!(day(10)));
    assert_eq!(item(&page, "remeasure", &v.stunted)["due_on"], json!(day(7)));
    assert_eq!(item(&page, "refer_bgm", &v.bgm)["days_overdue"], 0);

    // Each link, followed with its method, takes its item off the list.
    let href = |reason: &str, subject: &str| item(&page, reason, subject)["href"].as_str().unwrap().to_owned();
    let cadre = Some(v.cadre.as_str());
    let acts = [
        (href("not_weighed", &v.not_weighed), weighing(11.0)),
        (href("refer_bgm", &v.bgm), json!({"type_code": "puskesmas_referral", "given_on": day(0)})),
        (href("remeasure", &v.stunted), weighing(10.5)),
        (href("antenatal_visit", &v.pregnant), json!({"visited_on": day(0), "examiner": "midwife"})),
        (href("postpartum_visit", &v.mother), json!({"visited_on": day(0), "examiner": "midwife"})),
        (href("catin_screening", &v.catin), json!({"screened_on": day(0), "wedding_planned_on": day(100)})),
        (
            href("tpk_visit", &v.pregnant),
            json!({"team_id": v.team, "person_id": v.pregnant, "visited_on": day(0), "counselling": true,
                   "next_visit_on": day(30)}),
        ),
    ];
    for (path, body) in acts {
        created(app.post_json(&path, cadre, &body).await).await;
    }
    let verify = href("family_verification", &v.family);
    let verified = app.put_json(&verify, cadre, Some("\"1\""), &json!({"status": "verified"})).await;
    assert_eq!(verified.status(), StatusCode::OK);
    let after = list(&app, &v.cadre, &format!("village={VILLAGE}")).await;
    assert_eq!(pairs(&after), BTreeSet::from([pair("not_weighed", &v.baby)]));
}

#[tokio::test]
async fn windows_are_judged_on_the_day_asked() {
    let app = TestApp::spawn().await;
    let v = village(&app).await;
    let ask = |on: NaiveDate, reason: &str| format!("village={VILLAGE}&on={on}&reason={reason}");
    // The stunted child was measured 23 days ago: due in a week, listed from today.
    assert!(pairs(&list(&app, &v.cadre, &ask(day(-1), "remeasure")).await).is_empty());
    assert_eq!(
        pairs(&list(&app, &v.cadre, &ask(day(0), "remeasure")).await),
        BTreeSet::from([pair("remeasure", &v.stunted)])
    );
    // Nothing was done about the case since today: listed after 30 days.
    assert!(pairs(&list(&app, &v.cadre, &ask(day(29), "case_follow_up")).await).is_empty());
    let follow_up = list(&app, &v.cadre, &ask(day(30), "case_follow_up")).await;
    assert_eq!(
        item(&follow_up, "case_follow_up", &v.stunted)["href"].as_str().unwrap().split('/').nth(3),
        Some("cases")
    );
    // The catin's screening is due 90 days before the wedding, overdue the day after.
    let late = list(&app, &v.cadre, &ask(day(11), "catin_screening")).await;
    let late = item(&late, "catin_screening", &v.catin);
    assert_eq!((&late["urgency"], &late["days_overdue"]), (&json!("overdue"), &json!(1)));
    // A filter keeps only its reason.
    let only = list(&app, &v.cadre, &ask(day(0), "not_weighed")).await;
    assert!(only["items"].as_array().unwrap().iter().all(|i| i["reason"] == "not_weighed"));
    assert_eq!(only["items"].as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn a_posyandu_lists_its_children_and_a_tpk_its_people_and_cases() {
    let app = TestApp::spawn().await;
    let v = village(&app).await;
    let posyandu = list(&app, &v.cadre, &format!("posyandu={}", v.posyandu)).await;
    assert_eq!(pairs(&posyandu), BTreeSet::from([pair("not_weighed", &v.not_weighed), pair("refer_bgm", &v.bgm)]));

    // The stunted child's case is assigned to the TPK: its re-measurement joins the TPK's list.
    let cases: Value = app.get("/api/v1/cases?status=open", Some(&v.officer)).await.json().await.unwrap();
    let case = cases["items"].as_array().unwrap().iter().find(|c| c["child_id"] == v.stunted.as_str()).unwrap();
    let path = format!("/api/v1/cases/{}", id(case));
    let assigned = app.patch_json(&path, Some(&v.officer), Some("\"1\""), &json!({"assigned_team_id": v.team})).await;
    assert_eq!(assigned.status(), StatusCode::OK);
    let tpk = list(&app, &v.cadre, &format!("team={}", v.team)).await;
    assert_eq!(
        pairs(&tpk),
        BTreeSet::from([
            pair("remeasure", &v.stunted),
            pair("antenatal_visit", &v.pregnant),
            pair("tpk_visit", &v.pregnant),
            pair("postpartum_visit", &v.mother),
            pair("catin_screening", &v.catin),
            pair("family_verification", &v.family),
        ])
    );
    // Another TPK of the village has the village's people, not the first one's visits or case.
    let other = id(&app.tpk_in(&v.officer, VILLAGE).await);
    let theirs = pairs(&list(&app, &v.cadre, &format!("team={other}")).await);
    assert!(!theirs.contains(&pair("tpk_visit", &v.pregnant)) && !theirs.contains(&pair("remeasure", &v.stunted)));
    assert!(theirs.contains(&pair("antenatal_visit", &v.pregnant)));
}

#[tokio::test]
async fn the_list_pages_caches_and_names_its_place_in_the_feed() {
    let app = TestApp::spawn().await;
    let v = village(&app).await;
    let whole = list(&app, &v.cadre, &format!("village={VILLAGE}")).await;
    let (mut paged, mut cursor) = (Vec::new(), None::<String>);
    loop {
        let after = cursor.map(|c| format!("&cursor={c}")).unwrap_or_default();
        let page = list(&app, &v.cadre, &format!("village={VILLAGE}&limit=3{after}")).await;
        paged.extend(page["items"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(&Value::Array(paged), &whole["items"]);

    let path = format!("/api/v1/worklist?village={VILLAGE}");
    let first = app.get(&path, Some(&v.cadre)).await;
    let tag = first.headers()["etag"].to_str().unwrap().to_owned();
    let held: Value = first.json().await.unwrap();
    let again =
        app.request(reqwest::Method::GET, &path, Some(&v.cadre)).header("If-None-Match", &tag).send().await.unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);

    // A weighing after the list was read is in the feed after its position, and changes the list.
    let (txid, _) = held["changes_since"].as_str().unwrap().split_once('-').unwrap();
    let child = json!({"id": v.not_weighed});
    let weighed = created(app.measure(&v.cadre, &child, weighing(11.0)).await).await;
    let later = app
        .count(&format!(
            "SELECT count(*) AS count FROM changes WHERE record_id = '{}' AND txid >= '{txid}'::xid8",
            id(&weighed)
        ))
        .await;
    assert_eq!(later, 1, "the weighing is in the feed after the list's position");
    let changed =
        app.request(reqwest::Method::GET, &path, Some(&v.cadre)).header("If-None-Match", &tag).send().await.unwrap();
    assert_eq!(changed.status(), StatusCode::OK);
    let changed: Value = changed.json().await.unwrap();
    assert!(!pairs(&changed).contains(&pair("not_weighed", &v.not_weighed)));
}

#[tokio::test]
async fn only_carers_in_scope_read_a_worklist() {
    let app = TestApp::spawn().await;
    let v = village(&app).await;
    let query = format!("/api/v1/worklist?village={VILLAGE}");
    for (role, scope) in
        [(Role::Analyst, Some("14.01")), (Role::Integration, Some("14.01")), (Role::Cadre, Some("14.01.01.2010"))]
    {
        let token = app.token_for(role, scope).await;
        problem(app.get(&query, Some(&token)).await, StatusCode::FORBIDDEN).await;
        if role == Role::Cadre {
            let theirs = format!("/api/v1/worklist?posyandu={}", v.posyandu);
            problem(app.get(&theirs, Some(&token)).await, StatusCode::FORBIDDEN).await;
            problem(app.get(&format!("/api/v1/worklist?team={}", v.team), Some(&token)).await, StatusCode::FORBIDDEN)
                .await;
        }
    }
    let unknown = "0192b7a4-0000-7000-8000-00000000dead";
    for target in [format!("posyandu={unknown}"), format!("team={unknown}")] {
        problem(app.get(&format!("/api/v1/worklist?{target}"), Some(&v.cadre)).await, StatusCode::NOT_FOUND).await;
    }
    let tpps = json!({"kind": "tpps", "region_code": "14.01", "name": "TPPS Kampar", "members": []});
    let tpps = id(&created(app.post_json("/api/v1/teams", Some(&v.officer), &tpps).await).await);
    for (target, field) in [
        (format!("team={tpps}"), "team"),
        (String::new(), "village"),
        (format!("village={VILLAGE}&posyandu={}", v.posyandu), "village"),
        ("village=14.01.01".to_owned(), "village"),
        ("village=14.01.01.9999".to_owned(), "village"),
        (format!("village={VILLAGE}&reason=gossip"), "reason"),
        (format!("village={VILLAGE}&on=2025-02-30"), "on"),
        (format!("village={VILLAGE}&on=-2000-01-01"), "on"),
        (format!("village={VILLAGE}&on=2101-01-01"), "on"),
    ] {
        let refused = problem(
            app.get(&format!("/api/v1/worklist?{target}"), Some(&v.officer)).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_eq!(refused["errors"][0]["field"], field, "{target}: {refused}");
    }
    let foreign = format!("/api/v1/worklist?village={VILLAGE}&cursor=bm90LWEta2V5");
    problem(app.get(&foreign, Some(&v.cadre)).await, StatusCode::BAD_REQUEST).await;
}
