//! The set-based imports (`POST /imports/children`, `/imports/measurements`) against the single
//! requests on the same random records: the same rows, kept counts, cases, change feed (as a
//! syncing app ends up knowing it) and audit trail (issue 27).

use std::collections::BTreeMap;

use chrono::{Days, NaiveDate};
use diesel::QueryableByName;
use diesel::sql_types::Text;
use diesel_async::RunQueryDsl;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use stunting_api::domain::Role;
use uuid::Uuid;

use crate::common::app::children::{BIRTH, VILLAGE, date, length_for};
use crate::common::{TestApp, TestUser};

const VILLAGES: [&str; 2] = [VILLAGE, "14.01.01.2010"];

struct Child {
    id: Uuid,
    nik: Option<String>,
    village: &'static str,
    name: String,
}

struct Weighing {
    id: Uuid,
    child: usize,
    on: NaiveDate,
    z: f64,
    weight: f64,
}

impl Weighing {
    fn fields(&self) -> (f64, &'static str) {
        let on = self.on.to_string();
        let age = (self.on - date(BIRTH)).num_days();
        (length_for(&on, self.z), if age < 731 { "lying" } else { "standing" })
    }
}

/// What both paths are given: children, each with a first weighing on its e-PPGBM row (every
/// fifth child with a second one there too, so rows share a child), the other weighings in a
/// measurements file; and one new child whose weighing predates her birth, which both refuse.
struct Records {
    children: Vec<Child>,
    on_child_rows: Vec<Weighing>,
    on_measurement_rows: Vec<Weighing>,
    refused: Child,
}

fn records(rng: &mut StdRng) -> Records {
    let children: Vec<Child> = (0..30)
        .map(|i| Child {
            id: Uuid::from_u128(rng.random()),
            nik: rng.random_bool(0.5).then(|| format!("14010154052{i:05}")),
            village: VILLAGES[rng.random_range(0..VILLAGES.len())],
            name: format!("Anak {i}"),
        })
        .collect();
    let (mut on_child_rows, mut on_measurement_rows) = (Vec::new(), Vec::new());
    for (child, _) in children.iter().enumerate() {
        let mut days: Vec<u64> = (0..rng.random_range(1..=4)).map(|_| rng.random_range(20..880)).collect();
        days.sort_unstable();
        days.dedup();
        for (k, day) in days.into_iter().enumerate() {
            let weighing = Weighing {
                id: Uuid::from_u128(rng.random()),
                child,
                on: date(BIRTH) + Days::new(day),
                z: rng.random_range(-3.6..0.4),
                weight: rng.random_range(60..140) as f64 / 10.0,
            };
            if k == 0 || (k == 1 && child % 5 == 0) {
                on_child_rows.push(weighing);
            } else {
                on_measurement_rows.push(weighing);
            }
        }
    }
    let refused = Child { id: Uuid::from_u128(rng.random()), nik: None, village: VILLAGE, name: "Belum Lahir".into() };
    Records { children, on_child_rows, on_measurement_rows, refused }
}

fn children_csv(r: &Records) -> String {
    let mut csv = String::from(
        "child_id,nik,village_code,sex,birth_date,name,mother_name,measurement_id,measured_on,length_cm,position,weight_kg,place\n",
    );
    let row = |c: &Child, id: Uuid, on: NaiveDate, length: f64, position: &str, weight: f64| {
        format!(
            "{},{},{},female,{BIRTH},{},Ibu,{id},{on},{length},{position},{weight},posyandu\n",
            c.id,
            c.nik.as_deref().unwrap_or(""),
            c.village,
            c.name
        )
    };
    for (k, w) in r.on_child_rows.iter().enumerate() {
        if k == r.on_child_rows.len() / 2 {
            csv.push_str(&row(&r.refused, Uuid::nil(), date(BIRTH) - Days::new(3), 50.0, "lying", 3.0));
        }
        let (length, position) = w.fields();
        csv.push_str(&row(&r.children[w.child], w.id, w.on, length, position, w.weight));
    }
    csv
}

fn measurements_csv(r: &Records) -> String {
    let mut csv = String::from("id,child_id,measured_on,length_cm,position,weight_kg,place\n");
    for w in &r.on_measurement_rows {
        let (length, position) = w.fields();
        csv.push_str(&format!(
            "{},{},{},{length},{position},{},posyandu\n",
            w.id, r.children[w.child].id, w.on, w.weight
        ));
    }
    csv
}

async fn import(app: &TestApp, token: &str, kind: &str, csv: String) -> Value {
    let response =
        app.request(Method::POST, &format!("/api/v1/imports/{kind}"), Some(token)).text("text/csv", csv).send().await;
    let response = response.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

/// Every record through the set-based imports.
async fn by_import(app: &TestApp, token: &str, r: &Records) {
    let children = import(app, token, "children", children_csv(r)).await;
    let rows = r.on_child_rows.len() as u64 + 1;
    assert_eq!((children["received"].as_u64(), children["rejected"].as_u64()), (Some(rows), Some(1)), "{children}");
    assert_eq!(children["rejections"][0]["index"], r.on_child_rows.len() / 2, "{children}");
    let measurements = import(app, token, "measurements", measurements_csv(r)).await;
    assert_eq!(measurements["created"].as_u64(), Some(r.on_measurement_rows.len() as u64), "{measurements}");
}

/// The same records as single requests, in file order; the refused row is not sent.
async fn by_requests(app: &TestApp, token: &str, r: &Records) {
    let mut registered = vec![false; r.children.len()];
    for w in r.on_child_rows.iter().chain(&r.on_measurement_rows) {
        let c = &r.children[w.child];
        if !registered[w.child] {
            let mut body = json!({"id": c.id, "village_code": c.village, "sex": "female", "birth_date": BIRTH,
                                  "name": c.name, "mother_name": "Ibu"});
            if let Some(nik) = &c.nik {
                body["nik"] = json!(nik);
            }
            let response = app.register_child(token, body).await;
            assert_eq!(response.status(), StatusCode::CREATED, "{}", response.text().await.unwrap());
            registered[w.child] = true;
        }
        let (length, position) = w.fields();
        let body = json!({"id": w.id, "measured_on": w.on, "length_cm": length, "position": position,
                          "weight_kg": w.weight, "place": "posyandu"});
        let response = app.measure(token, &json!({"id": c.id}), body).await;
        assert_eq!(response.status(), StatusCode::CREATED, "{}", response.text().await.unwrap());
    }
}

#[derive(QueryableByName)]
struct Line {
    #[diesel(sql_type = Text)]
    line: String,
}

/// The rows of `table` as JSON text, sorted, without the columns that name who wrote them or
/// when (and a case's own id, drawn at random, and its version, which counts the writes that
/// touched it: one per request, one per chunk).
async fn rows(app: &TestApp, table: &str) -> Vec<String> {
    let mut conn = app.pool.get().await.unwrap();
    // SQL: a table's rows as text, for comparing two databases.
    let sql = format!(
        "SELECT (to_jsonb(t) - '{{created_at,updated_at,created_by,recorded_by,changed_at}}'::text[] \
                 - CASE WHEN '{table}' = 'cases' THEN '{{id,version}}'::text[] ELSE '{{}}'::text[] END)::text AS line \
         FROM {table} t ORDER BY 1"
    );
    diesel::sql_query(sql).load::<Line>(&mut conn).await.unwrap().into_iter().map(|l| l.line).collect()
}

/// The feed as an app ends up knowing it: each record's last entry (region, removed), a case
/// known by its opening measurement.
async fn feed(app: &TestApp, token: &str) -> BTreeMap<(String, String), (String, bool)> {
    let mut conn = app.pool.get().await.unwrap();
    // SQL: each case's id and opening measurement, to name cases alike in two databases.
    let cases: BTreeMap<String, String> =
        diesel::sql_query("SELECT id::text || ' ' || opening_measurement_id::text AS line FROM cases")
            .load::<Line>(&mut conn)
            .await
            .unwrap()
            .into_iter()
            .filter_map(|l| l.line.split_once(' ').map(|(a, b)| (a.to_owned(), b.to_owned())))
            .collect();
    // The feed shows a change once every transaction of the cluster older than it has ended,
    // and other tests' transactions run in the same cluster: read until it has passed the last
    // change written here.
    // SQL: the feed's position type (xid8) has no diesel type.
    let last: Line = diesel::sql_query("SELECT coalesce(max(txid)::text, '0') AS line FROM changes")
        .get_result(&mut conn)
        .await
        .unwrap();
    let last: i64 = last.line.parse().unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let mut known = BTreeMap::new();
    let mut since = String::new();
    loop {
        let page: Value =
            app.get(&format!("/api/v1/changes?limit=500{since}"), Some(token)).await.json().await.unwrap();
        for item in page["items"].as_array().unwrap() {
            let (entity, id) = (item["entity"].as_str().unwrap(), item["id"].as_str().unwrap());
            let id = if entity == "case" { cases[id].clone() } else { id.to_owned() };
            let state = (item["region_code"].as_str().unwrap().to_owned(), item["removed"].as_bool().unwrap());
            known.insert((entity.to_owned(), id), state);
        }
        let next = page["next"].as_str().unwrap();
        since = format!("&since={next}");
        let passed = next.split_once('-').and_then(|(txid, _)| txid.parse::<i64>().ok()).is_some_and(|t| t > last);
        if page["more"] == false && passed {
            return known;
        }
        assert!(std::time::Instant::now() < deadline, "the feed never passed transaction {last}");
        if page["more"] == false {
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }
}

/// The audit trail as an admin reads it, sorted, each line checked to name `actor`.
async fn audit(app: &TestApp, actor: &TestUser) -> Vec<String> {
    let admin = app.token_for(Role::Admin, None).await;
    let mut lines = Vec::new();
    let mut cursor = String::new();
    loop {
        let page: Value =
            app.get(&format!("/api/v1/audit?limit=500{cursor}"), Some(&admin)).await.json().await.unwrap();
        for line in page["items"].as_array().unwrap() {
            if line["entity"] == "user" {
                continue;
            }
            assert_eq!(line["actor_id"], actor.id.to_string(), "{line}");
            lines.push(format!("{} {} {} {}", line["action"], line["entity_id"], line["region_code"], line["changes"]));
        }
        match page["next_cursor"].as_str() {
            Some(next) => cursor = format!("&cursor={next}"),
            None => break,
        }
    }
    lines.sort();
    lines
}

#[tokio::test]
async fn imports_leave_what_single_requests_leave() {
    for seed in 0..2 {
        let records = records(&mut StdRng::seed_from_u64(seed));
        let (bulk, single) = (TestApp::spawn().await, TestApp::spawn().await);
        let (bulk_officer, single_officer) = (
            bulk.create_user(Role::Officer, Some("14.01")).await,
            single.create_user(Role::Officer, Some("14.01")).await,
        );
        let (bulk_token, single_token) = (bulk.token(&bulk_officer), single.token(&single_officer));
        by_import(&bulk, &bulk_token, &records).await;
        by_requests(&single, &single_token, &records).await;

        for table in [
            "children",
            "measurements",
            "cases",
            "prevalence_counts",
            "case_counts",
            "weighing_months",
            "skdn_counts",
            "quality_counts",
            "pathway_counts",
        ] {
            let (a, b) = (rows(&bulk, table).await, rows(&single, table).await);
            assert!(!a.is_empty() || table == "pathway_counts", "seed {seed}: {table} is empty");
            assert_eq!(a, b, "seed {seed}: {table} differs");
        }
        assert!(rows(&bulk, "cases").await.len() > 3, "seed {seed}: too few cases to compare");
        assert_eq!(feed(&bulk, &bulk_token).await, feed(&single, &single_token).await, "seed {seed}: the feed");
        assert_eq!(audit(&bulk, &bulk_officer).await, audit(&single, &single_officer).await, "seed {seed}: audit");
    }
}
