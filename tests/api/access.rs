//! Access, operation by operation, as the contract lists them. So far the rows every operation
//! shares:
//! - who is let in at all: every operation either declares the bearer scheme and then answers
//!   401 to a caller without a valid token (none, expired, signed with another key, not a JWT),
//!   before it looks at anything else the request carries; or it is one of the few public
//!   operations named below. An operation that is neither fails, so a new endpoint cannot be
//!   added without deciding who may call it;
//! - what a dashboard may read: no read of the document gives an analyst a child's name, birth
//!   date or mother's name, a team member's phone or a family's key, and none gives anyone a NIK;
//! - what lies outside a scope: no operation, read or write, lets an officer, cadre, analyst or
//!   integration of another district reach Kampar's records (reads answer 403), except the
//!   reference data named below and lists that answer per caller;
//! - what each role inside Kampar may read: every read of the document, by admin, province,
//!   district and subdistrict officers, the village's cadre, an analyst and an integration,
//!   answers 200 or 403 exactly as `may_read` (the policy of docs/API.md) says;
//! - what dashboards write: nothing; every write answers an analyst 403.
//!
//! Still to come: the other roles' writes inside their scope, operation by operation.

use std::time::{SystemTime, UNIX_EPOCH};

use jsonwebtoken::{EncodingKey, Header, encode};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use stunting_api::domain::Role;

use crate::common::app::Call;
use crate::common::app::JWT_SECRET;
use crate::common::{TestApp, contract, problem};

/// Operations anyone may call: health and metrics (for the internal network) and signing in.
const PUBLIC: &[(&str, &str)] = &[
    ("get", "/health/live"),
    ("get", "/health/ready"),
    ("get", "/metrics"),
    ("post", "/api/v1/auth/token"),
    ("post", "/api/v1/auth/refresh"),
    ("post", "/api/v1/auth/logout"),
];

/// Reference data every signed-in caller reads, whatever their scope.
const REFERENCE_DATA: &[(&str, &str)] = &[
    ("get", "/api/v1/auth/me"),
    ("get", "/api/v1/catin-thresholds"),
    ("get", "/api/v1/convergence/actions"),
    ("get", "/api/v1/intervention-types"),
    ("get", "/api/v1/regions"),
    ("get", "/api/v1/regions/{code}"),
    ("get", "/api/v1/regions/{code}/children"),
];

/// A concrete path for a template: plausible values, in scope or not, for every parameter.
fn concrete(template: &str) -> String {
    let values = [
        ("{id}", "0192b7a4-0000-7000-8000-000000000001"),
        ("{line_id}", "0192b7a4-0000-7000-8000-000000000002"),
        ("{measurement_id}", "0192b7a4-0000-7000-8000-000000000003"),
        ("{screening_id}", "0192b7a4-0000-7000-8000-000000000004"),
        ("{visit_id}", "0192b7a4-0000-7000-8000-000000000005"),
        ("{code}", "14.01"),
        ("{district}", "14.01"),
        ("{region}", "14.01"),
        ("{year}", "2024"),
        ("{number}", "3"),
        ("{source}", "ssgi"),
    ];
    let path = values.iter().fold(template.to_owned(), |path, (name, value)| path.replace(name, value));
    assert!(!path.contains('{'), "no value for a parameter of {template}: add one above");
    path
}

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
}

/// Tokens that must not let anyone in, each with what is wrong with it.
fn bad_tokens(valid_claims: &Value) -> Vec<(&'static str, Option<String>)> {
    let sign = |claims: &Value, secret: &str| {
        encode(&Header::default(), claims, &EncodingKey::from_secret(secret.as_bytes())).unwrap()
    };
    let mut expired = valid_claims.clone();
    expired["exp"] = json!(now() - 3600);
    vec![
        ("no token", None),
        ("an expired token", Some(sign(&expired, JWT_SECRET))),
        ("a token signed with another key", Some(sign(valid_claims, "another-secret-that-is-long-enough-for-hs256"))),
        ("not a JWT", Some("not-a-jwt".to_owned())),
    ]
}

/// Every operation of the contract: its lower-case method, its path template, and itself.
fn operations() -> Vec<(&'static str, &'static str, &'static Value)> {
    let paths = contract::document()["paths"].as_object().unwrap();
    let each = paths.iter().flat_map(|(template, item)| {
        item.as_object().unwrap().iter().map(|(method, operation)| (method.as_str(), template.as_str(), operation))
    });
    each.collect()
}

/// The request a test sends to an operation: with an ETag to match and the operation's own
/// example body, so nothing but the caller can be the reason it is refused.
fn call(app: &TestApp, method: &str, path: &str, token: Option<&str>, operation: &Value) -> Call {
    let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
    let request = app.request(method, path, token).header("If-Match", "\"1\"");
    match example_body(operation) {
        Some(body) => request.json(&body),
        None => request,
    }
}

#[tokio::test]
async fn every_operation_is_public_by_name_or_refuses_a_caller_without_a_valid_token() {
    let app = TestApp::spawn().await;
    let admin = app.create_user(Role::Admin, None).await;
    let claims = json!({
        "sub": admin.id, "role": admin.role, "scope": null, "iss": "stunting-api", "aud": "stunting-api",
        "iat": now(), "nbf": now(), "exp": now() + 600, "jti": uuid::Uuid::new_v4(),
        "sid": uuid::Uuid::now_v7()
    });
    let tokens = bad_tokens(&claims);
    let mut protected = 0;
    for (method, template, operation) in operations() {
        let is_public = PUBLIC.contains(&(method, template));
        let is_protected = operation.get("security").is_some_and(|s| s.as_array().is_some_and(|s| !s.is_empty()));
        assert!(
            is_public != is_protected,
            "{method} {template}: protected by the bearer scheme, or listed in PUBLIC — exactly one"
        );
        if is_public {
            continue;
        }
        protected += 1;
        let path = concrete(template);
        for (what, token) in &tokens {
            // A well-formed request otherwise: authentication is judged first.
            let response = call(&app, method, &path, token.as_deref(), operation).send().await.unwrap();
            assert!(response.headers().contains_key("www-authenticate"), "{method} {template} with {what}");
            let body = problem(response, StatusCode::UNAUTHORIZED).await;
            assert_eq!(body["type"], "/problems/unauthorized", "{method} {template} with {what}");
        }
    }
    assert!(protected >= 80, "only {protected} protected operations");
}

/// Personal values planted in Kampar; a dashboard must never receive any of them, and nobody
/// ever receives the NIK.
const CHILD_NAME: &str = "Fixture Aminah Personal";
const MOTHER_NAME: &str = "Fixture Nurhayati Personal";
const BIRTH_DATE: &str = "2023-02-17";
const NIK: &str = "1401015702230007";
const PHONE: &str = "+6281299990007";
const FAMILY_KEY: &str = "1401010001009997";
const PERSON_NAME: &str = "Fixture Rahmah Personal";
const PERSON_NIK: &str = "1401014903040009";
const VILLAGE: &str = "14.01.01.2009";

struct Planted {
    child: String,
    measurement: String,
    case: String,
    team: String,
    posyandu: String,
    family: String,
    budget: String,
    line: String,
    intervention: String,
    document: String,
    account: String,
    import_job: String,
    person: String,
    screening: String,
    pregnancy: String,
    anc_visit: String,
    postpartum_visit: String,
    tpk_visit: String,
}

/// A child with a NIK, a stunted measurement and the case it opens, a TPK with a phone number,
/// and a family at risk, all in one Kampar village, entered by Kampar's officer.
async fn plant_personal_data(app: &TestApp, officer: &str) -> Planted {
    let created = |response: reqwest::Response, what: &'static str| async move {
        assert!(response.status().is_success(), "planting {what}: {}", response.status());
        response.json::<Value>().await.unwrap()
    };
    let child = json!({"village_code": VILLAGE, "sex": "female", "birth_date": BIRTH_DATE, "name": CHILD_NAME,
                       "mother_name": MOTHER_NAME, "nik": NIK});
    let child = created(app.post_json("/api/v1/children", Some(officer), &child).await, "a child").await;
    let child_id = child["id"].as_str().unwrap().to_owned();
    let measurement = json!({"measured_on": "2025-02-17", "length_cm": 72.0, "position": "lying", "place": "posyandu"});
    let path = format!("/api/v1/children/{child_id}/measurements");
    let measurement = created(app.post_json(&path, Some(officer), &measurement).await, "a measurement").await;
    let cases: Value = app.get("/api/v1/cases?region=14.01", Some(officer)).await.json().await.unwrap();
    let case = cases["items"][0]["id"].as_str().expect("the stunted measurement opened a case").to_owned();
    let team = json!({"kind": "tpk", "region_code": VILLAGE, "name": "TPK Fixture", "members": [
        {"name": "Bidan Fixture", "role": "midwife", "phone": PHONE},
        {"name": "Kader PKK Fixture", "role": "pkk_cadre"},
        {"name": "Kader KB Fixture", "role": "family_planning_cadre"}]});
    let team = created(app.post_json("/api/v1/teams", Some(officer), &team).await, "a team").await;
    let posyandu = json!({"village_code": VILLAGE, "name": "Posyandu Fixture"});
    let posyandu = created(app.post_json("/api/v1/posyandu", Some(officer), &posyandu).await, "a posyandu").await;
    let families = json!({"year": 2025, "families": [{"family_key": FAMILY_KEY, "village_code": VILLAGE,
        "risk_factors": ["no_safe_water"], "has_pregnant_woman": false, "has_under_two": true, "has_under_five": true}]});
    created(app.post_json("/api/v1/families-at-risk/import", Some(officer), &families).await, "a family").await;
    let page: Value =
        app.get("/api/v1/families-at-risk?region=14.01&year=2025", Some(officer)).await.json().await.unwrap();
    let budget = json!({"region_code": "14.01", "fiscal_year": 2025, "funding_source": "apbd_district",
                        "title": "APBD Kampar 2025"});
    let budget = created(app.post_json("/api/v1/budgets", Some(officer), &budget).await, "a budget").await;
    let budget_id = budget["id"].as_str().unwrap().to_owned();
    let line = json!({"activity": "Pemantauan pertumbuhan", "ceiling": 1_000_000});
    let path = format!("/api/v1/budgets/{budget_id}/lines");
    let line = created(app.post_json(&path, Some(officer), &line).await, "a budget line").await;
    let intervention = json!({"type_code": "growth_monitoring", "region_code": VILLAGE, "year": 2025, "target": 120});
    let intervention =
        created(app.post_json("/api/v1/interventions", Some(officer), &intervention).await, "an activity").await;
    let pdf = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n".to_vec();
    let form = reqwest::multipart::Form::new()
        .text("title", "Berita acara")
        .text("kind", "minutes")
        .part("file", reqwest::multipart::Part::bytes(pdf).file_name("ba.pdf").mime_str("application/pdf").unwrap());
    let path = "/api/v1/convergence/14.01/2024/actions/3/documents";
    let upload = app.request(Method::POST, path, Some(officer)).multipart(form).send().await.unwrap();
    let document = created(upload, "a document").await;
    let me: Value = app.get("/api/v1/auth/me", Some(officer)).await.json().await.unwrap();
    let weighing = json!([{"child_id": child_id, "measured_on": "2025-03-17", "length_cm": 73.0, "position": "lying",
                           "place": "posyandu"}]);
    let queued = app
        .request(reqwest::Method::POST, "/api/v1/imports/measurements?background=true", Some(officer))
        .json(&weighing)
        .send()
        .await
        .unwrap();
    let import_job = created(queued, "an import job").await["id"].as_str().unwrap().to_owned();
    let person = json!({"village_code": VILLAGE, "sex": "female", "birth_date": "2001-04-04", "name": PERSON_NAME,
                        "nik": PERSON_NIK});
    let person = created(app.post_json("/api/v1/people", Some(officer), &person).await, "a person").await;
    let person = person["id"].as_str().unwrap().to_owned();
    let screening = json!({"screened_on": "2025-01-10", "hb_g_dl": 11.0});
    let path = format!("/api/v1/people/{person}/screenings");
    let screening = created(app.post_json(&path, Some(officer), &screening).await, "a screening").await;
    let path = format!("/api/v1/people/{person}/pregnancies");
    let pregnancy = json!({"lmp_on": "2024-01-08"});
    let pregnancy = created(app.post_json(&path, Some(officer), &pregnancy).await, "a pregnancy").await;
    let pregnancy = pregnancy["id"].as_str().unwrap().to_owned();
    let visit = json!({"visited_on": "2024-03-04", "examiner": "doctor", "muac_cm": 22.0, "iron_tablets": 30});
    let path = format!("/api/v1/pregnancies/{pregnancy}/anc-visits");
    let anc_visit = created(app.post_json(&path, Some(officer), &visit).await, "an antenatal visit").await;
    let birth = json!({"outcome": "live_birth", "ended_on": "2024-10-10", "babies": [
        {"name": "Fixture Baby", "sex": "male", "birth_weight_g": 2400, "birth_length_cm": 47.0}]});
    let path = format!("/api/v1/pregnancies/{pregnancy}/outcome");
    created(app.post_json(&path, Some(officer), &birth).await, "a birth").await;
    let visit = json!({"visited_on": "2024-10-12", "examiner": "midwife", "contraception": "iud"});
    let path = format!("/api/v1/pregnancies/{pregnancy}/postpartum-visits");
    let postpartum_visit = created(app.post_json(&path, Some(officer), &visit).await, "a postpartum visit").await;
    let visit = json!({"team_id": team["id"], "person_id": person, "visited_on": "2025-01-10", "counselling": true,
                       "findings": "Hb 11.0; advised to delay pregnancy"});
    let tpk_visit = created(app.post_json("/api/v1/tpk-visits", Some(officer), &visit).await, "a TPK visit").await;
    let id_of = |record: &Value| record["id"].as_str().unwrap().to_owned();
    Planted {
        pregnancy,
        anc_visit: id_of(&anc_visit),
        postpartum_visit: id_of(&postpartum_visit),
        tpk_visit: id_of(&tpk_visit),
        person,
        screening: screening["id"].as_str().unwrap().to_owned(),
        import_job,
        budget: budget_id,
        line: line["id"].as_str().unwrap().to_owned(),
        intervention: intervention["id"].as_str().unwrap().to_owned(),
        document: document["id"].as_str().unwrap().to_owned(),
        account: me["id"].as_str().unwrap().to_owned(),
        child: child_id,
        measurement: measurement["id"].as_str().unwrap().to_owned(),
        case,
        team: team["id"].as_str().unwrap().to_owned(),
        posyandu: posyandu["id"].as_str().unwrap().to_owned(),
        family: page["items"][0]["id"].as_str().expect("the imported family").to_owned(),
    }
}

/// The path of a read, pointed at the planted records, with the query parameters it takes.
fn read_of(template: &str, operation: &Value, planted: &Planted) -> String {
    let id = match template {
        t if t.starts_with("/api/v1/children/{id}") || t == "/api/v1/fhir/children/{id}" => planted.child.as_str(),
        t if t.starts_with("/api/v1/cases/") => planted.case.as_str(),
        t if t.starts_with("/api/v1/teams/") => planted.team.as_str(),
        t if t.starts_with("/api/v1/posyandu/") => planted.posyandu.as_str(),
        t if t.starts_with("/api/v1/families-at-risk/") => planted.family.as_str(),
        t if t.starts_with("/api/v1/budgets/") => planted.budget.as_str(),
        t if t.starts_with("/api/v1/interventions/") => planted.intervention.as_str(),
        t if t.starts_with("/api/v1/convergence/documents/") => planted.document.as_str(),
        t if t.starts_with("/api/v1/users/") => planted.account.as_str(),
        t if t.starts_with("/api/v1/imports/") => planted.import_job.as_str(),
        t if t.starts_with("/api/v1/people/") || t == "/api/v1/fhir/people/{id}" => planted.person.as_str(),
        t if t.starts_with("/api/v1/pregnancies/") => planted.pregnancy.as_str(),
        t if t.starts_with("/api/v1/tpk-visits/") => planted.tpk_visit.as_str(),
        _ => "0192b7a4-0000-7000-8000-000000000001",
    };
    let path = template
        .replace("{id}", id)
        .replace("{measurement_id}", &planted.measurement)
        .replace("{screening_id}", &planted.screening)
        .replace("anc-visits/{visit_id}", &format!("anc-visits/{}", planted.anc_visit))
        .replace("postpartum-visits/{visit_id}", &format!("postpartum-visits/{}", planted.postpartum_visit));
    let path = concrete(&path.replace("{line_id}", &planted.line));
    let query: Vec<String> = operation["parameters"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|p| p["in"] == "query")
        .filter_map(|p| {
            let dhis2 = template.starts_with("/api/v1/dhis2/");
            let value = match p["name"].as_str()? {
                "region" | "district" | "within" | "parent" => "14.01",
                "village" => VILLAGE,
                "year" => "2025",
                // DHIS2's names.
                "orgUnit" if dhis2 => "14.01",
                "period" if dhis2 => "2025",
                "dataSet" if dhis2 => "STUNTING_PREVALENCE",
                _ => return None,
            };
            Some(format!("{}={value}", p["name"].as_str()?))
        })
        .collect();
    if query.is_empty() { path } else { format!("{path}?{}", query.join("&")) }
}

#[tokio::test]
async fn no_read_gives_a_dashboard_personal_data_and_none_gives_anyone_the_nik() {
    let app = TestApp::spawn().await;
    let officer = app.token_for(Role::Officer, Some("14.01")).await;
    let planted = plant_personal_data(&app, &officer).await;
    let readers = [
        ("an analyst of Kampar", app.token_for(Role::Analyst, Some("14.01")).await, true),
        ("a national analyst", app.token_for(Role::Analyst, None).await, true),
        ("Kampar's officer", officer.clone(), false),
        ("an admin", app.token_for(Role::Admin, None).await, false),
    ];
    let (mut reads, mut seen_by_carers) = (0, std::collections::BTreeSet::new());
    for (_, template, operation) in operations().into_iter().filter(|(method, ..)| *method == "get") {
        let path = read_of(template, operation, &planted);
        for (who, token, is_dashboard) in &readers {
            let response = app.get(&path, Some(token)).await;
            let status = response.status();
            let body = response.text().await.unwrap();
            assert!(!body.contains(NIK) && !body.contains(PERSON_NIK), "GET {path} gave {who} a NIK");
            for value in [CHILD_NAME, MOTHER_NAME, BIRTH_DATE, PHONE, FAMILY_KEY, PERSON_NAME] {
                match is_dashboard {
                    true => assert!(!body.contains(value), "GET {path} gave {who} personal data ({value}): {status}"),
                    false if body.contains(value) => _ = seen_by_carers.insert(value),
                    false => {}
                }
            }
            reads += usize::from(status.is_success());
        }
    }
    // The walk means something only if the reads succeed where they may, and the planted data
    // does reach the people who care for the child.
    assert!(reads >= 100, "only {reads} successful reads");
    assert_eq!(seen_by_carers.len(), 6, "carers saw only {seen_by_carers:?}");
}

/// The request body an operation's own document example gives (an empty object where the
/// schema has no example); `None` for an operation that takes no JSON body.
fn example_body(operation: &Value) -> Option<Value> {
    let media = operation["requestBody"]["content"].get("application/json")?;
    let example = contract::resolve(&media["schema"])["example"].clone();
    Some(if example.is_null() { json!({}) } else { example })
}

#[tokio::test]
async fn nobody_from_another_district_reaches_kampar_s_records_by_any_operation() {
    let app = TestApp::spawn().await;
    let officer = app.token_for(Role::Officer, Some("14.01")).await;
    let planted = plant_personal_data(&app, &officer).await;
    let outsiders = [
        ("Bengkalis's officer", app.token_for(Role::Officer, Some("14.03")).await),
        ("a Bengkalis cadre", app.token_for(Role::Cadre, Some("14.03.01.1001")).await),
        ("Bengkalis's analyst", app.token_for(Role::Analyst, Some("14.03")).await),
        ("Bengkalis's integration", app.token_for(Role::Integration, Some("14.03")).await),
    ];
    let mut reached = Vec::new();
    for (method, template, operation) in operations() {
        if PUBLIC.contains(&(method, template)) {
            continue;
        }
        let path = read_of(template, operation, &planted);
        for (who, token) in &outsiders {
            let response = call(&app, method, &path, Some(token), operation).send().await.unwrap();
            let status = response.status();
            let body: Value = response.json().await.unwrap_or(Value::Null);
            let allowed = !status.is_success()
                || match (method, template) {
                    (m, t) if REFERENCE_DATA.contains(&(m, t)) => true,
                    // Lists the caller's own accounts: their scope or below.
                    ("get", "/api/v1/users") => body["items"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .all(|u| u["scope"].as_str().is_some_and(|s| s.starts_with("14.03"))),
                    // The feed of the caller's own scope: nothing of Kampar's.
                    ("get", "/api/v1/changes") => body["items"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .all(|c| c["region_code"].as_str().is_some_and(|r| r.starts_with("14.03"))),
                    // The caller's own scope's lines: nothing about Kampar's records.
                    ("get", "/api/v1/audit") => body["items"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .all(|line| line["region_code"].as_str().is_some_and(|r| r.starts_with("14.03"))),
                    // DHIS2's import summary: a value outside the caller's scope is a conflict.
                    ("post", "/api/v1/dhis2/dataValueSets") => {
                        let count = &body["response"]["importCount"];
                        count["imported"] == 0 && count["updated"] == 0 && body["response"]["status"] == "ERROR"
                    }
                    // Answers per record; one outside the caller's scope is refused, not written.
                    ("post", "/api/v1/families-at-risk/import") => {
                        body["inserted"] == 0
                            && body["updated"] == 0
                            && body["failed"].as_array().map(Vec::len) == body["received"].as_u64().map(|n| n as usize)
                    }
                    _ => false,
                };
            if !allowed {
                reached.push(format!("{method} {path} by {who}: {status} {body}"));
            }
            // The one rule (docs/API.md): a record or region outside the scope is 403, for
            // every resource; 404 means no such record at all.
            if method == "get" && !status.is_success() && status != StatusCode::FORBIDDEN {
                reached.push(format!("{method} {path} by {who}: {status}, not 403"));
            }
        }
    }
    assert!(reached.is_empty(), "reached from another district:\n{}", reached.join("\n"));
}

/// What a role inside Kampar (`scope`, `None` for national) may read of the planted records, by
/// the rules of docs/API.md: everyone reads what lies inside their scope and the aggregates of
/// it; analysts (dashboards) never child-level data; a cadre reads only their village's budgets
/// (the planted one is the district's); accounts are for admins and the officers above them
/// (the planted account is Kampar's officer's). A region summary is of exactly the region named
/// (Kampar): it is not narrowed to a smaller scope, so a caller below Kampar is refused. The
/// change feed is every role's but the analyst's, each of their own scope. An import job is
/// its sender's.
fn may_read(role: Role, scope: Option<&str>, template: &str) -> bool {
    let child_level = template.starts_with("/api/v1/children")
        || template.starts_with("/api/v1/people")
        || template.starts_with("/api/v1/pregnancies")
        || template.starts_with("/api/v1/tpk-visits")
        || template.starts_with("/api/v1/cases")
        || template.starts_with("/api/v1/exports")
        || template.starts_with("/api/v1/families-at-risk")
        || template.starts_with("/api/v1/fhir");
    let covers_kampar = scope.is_none_or(|s| "14.01".starts_with(s));
    match role {
        Role::Admin => true,
        _ if template == "/api/v1/users" || template == "/api/v1/audit" => role == Role::Officer,
        _ if template.starts_with("/api/v1/users/") => role == Role::Officer && covers_kampar,
        // An aggregate covers all of the region asked for (Kampar), never a part of it.
        _ if template == "/api/v1/regions/{code}/summary"
            || template.starts_with("/api/v1/stats/")
            || template == "/api/v1/prevalence-figures"
            || template == "/api/v1/dhis2/dataValueSets" =>
        {
            covers_kampar
        }
        // A worklist is for those who visit, weigh and refer, and the officers above them.
        _ if template == "/api/v1/worklist" => matches!(role, Role::Officer | Role::Cadre),
        // The change feed is for apps and integrations that sync records, not for dashboards.
        _ if template == "/api/v1/changes" => role != Role::Analyst,
        // An import job is its sender's (Kampar's officer planted it) and the admins'.
        _ if template == "/api/v1/imports/{id}" => role == Role::Officer && scope == Some("14.01"),
        Role::Analyst => !child_level,
        Role::Cadre => !template.starts_with("/api/v1/budgets/"),
        _ => true,
    }
}

#[tokio::test]
async fn every_role_inside_kampar_reads_what_the_policy_lets_it_and_no_more() {
    let app = TestApp::spawn().await;
    let officer = app.token_for(Role::Officer, Some("14.01")).await;
    let planted = plant_personal_data(&app, &officer).await;
    let mut insiders = vec![("Kampar's officer", Role::Officer, Some("14.01"), officer.clone())];
    for (who, role, scope) in [
        ("an admin", Role::Admin, None),
        ("Riau's officer", Role::Officer, Some("14")),
        ("a subdistrict officer", Role::Officer, Some("14.01.01")),
        ("the village's cadre", Role::Cadre, Some(VILLAGE)),
        ("Kampar's analyst", Role::Analyst, Some("14.01")),
        ("Kampar's integration", Role::Integration, Some("14.01")),
    ] {
        insiders.push((who, role, scope, app.token_for(role, scope).await));
    }
    let mut wrong = Vec::new();
    for (_, template, operation) in operations().into_iter().filter(|(method, ..)| *method == "get") {
        let path = read_of(template, operation, &planted);
        for (who, role, scope, token) in &insiders {
            let status = app.get(&path, Some(token)).await.status();
            let expected = if may_read(*role, *scope, template) { StatusCode::OK } else { StatusCode::FORBIDDEN };
            if status != expected {
                wrong.push(format!("GET {path} by {who}: {status}, the policy says {expected}"));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// Dashboards read; they never write. Every write of the document, pointed at Kampar's records
/// with its own example body, answers an analyst of Kampar, and a national one, with 403.
#[tokio::test]
async fn analysts_write_nothing_anywhere() {
    let app = TestApp::spawn().await;
    let officer = app.token_for(Role::Officer, Some("14.01")).await;
    let planted = plant_personal_data(&app, &officer).await;
    let analysts = [app.token_for(Role::Analyst, Some("14.01")).await, app.token_for(Role::Analyst, None).await];
    let (mut writes, mut wrong) = (0, Vec::new());
    for (method, template, operation) in operations() {
        if method == "get" || PUBLIC.contains(&(method, template)) {
            continue;
        }
        writes += 1;
        let path = read_of(template, operation, &planted);
        for token in &analysts {
            let status = call(&app, method, &path, Some(token), operation).send().await.unwrap().status();
            if status != StatusCode::FORBIDDEN {
                wrong.push(format!("{method} {path}: {status}"));
            }
        }
    }
    assert!(writes >= 40, "only {writes} writes in the document");
    assert!(wrong.is_empty(), "an analyst was not refused:\n{}", wrong.join("\n"));
}

/// Who may get past the access check of each write, pointed at the planted records (or, for a
/// create, at the region its document example names), by the rules of `auth::policy`. Every
/// write of the document must have an entry: a new endpoint cannot be added without deciding
/// who may call it. `scope` is `None` for national accounts.
fn may_write(operation_id: &str, role: Role, scope: Option<&str>) -> Option<bool> {
    let within = |region: &str| scope.is_none_or(|s| region.starts_with(s));
    let admin = role == Role::Admin;
    let officer_in = |region: &str| admin || (role == Role::Officer && within(region));
    let carer_in = |region: &str| role != Role::Analyst && within(region);
    let district_officer = admin || (role == Role::Officer && scope == Some("14.01"));
    Some(match operation_id {
        // A district's agencies: officers inside it; the planted id names no agency, so only
        // the role decides before the 404.
        "create_agency" => officer_in("14.01"),
        "update_agency" | "delete_agency" => admin || role == Role::Officer,
        // Kampar's budget document, its lines and spending.
        "create_budget" | "update_budget" | "delete_budget" | "approve" | "revise" | "create_budget_line"
        | "update_budget_line" | "delete_budget_line" | "spend" => officer_in("14.01"),
        // The child, and everything recorded about them, in the planted village; the update
        // example moves the child to the next village.
        "create_child" | "create_measurement" | "void" | "create_service" => carer_in(VILLAGE),
        // An integration syncs children but never removes one (issue 14, item 10).
        "delete_child" => carer_in(VILLAGE) && role != Role::Integration,
        "update_child" => carer_in(VILLAGE) && carer_in("14.01.01.2010"),
        // A person of the first 1,000 days is kept as a child is; her screenings with her.
        "create_person" | "create_screening" | "void_screening" => carer_in(VILLAGE),
        "delete_person" => carer_in(VILLAGE) && role != Role::Integration,
        "update_person" => carer_in(VILLAGE) && carer_in("14.01.01.2010"),
        // Her pregnancies, their visits and outcome, and the TPK's visits to her, with her.
        "create_pregnancy"
        | "update_pregnancy"
        | "create_anc_visit"
        | "void_anc_visit"
        | "record_pregnancy_outcome"
        | "create_postpartum_visit"
        | "void_postpartum_visit"
        | "create_tpk_visit"
        | "void_tpk_visit" => carer_in(VILLAGE),
        "delete_pregnancy" => carer_in(VILLAGE) && role != Role::Integration,
        // The screening thresholds are a national setting: admins only.
        "set_catin_thresholds" => admin,
        // Case follow-up is for officers, and so is keeping a flagged measurement.
        "update_case" | "check_measurement" => officer_in(VILLAGE),
        // Kampar keeps its own convergence records; Riau assesses them.
        "set_action" | "add_document" | "remove_document" | "replace" => district_officer,
        "assess" => admin || (role == Role::Officer && matches!(scope, None | Some("14"))),
        // Families at risk: loaded by integrations and officers (each record is then checked
        // against the caller's scope), verified by the village's cadre or an officer.
        "import" => admin || matches!(role, Role::Integration | Role::Officer),
        // Bulk imports: whoever records children; each record is then checked against the
        // caller's scope as a single request is.
        "import_children" | "import_measurements" => role != Role::Analyst,
        "import_catin_screenings" | "import_pregnancies" | "import_tpk_visits" => role != Role::Analyst,
        "import_intervention_reports" => admin || matches!(role, Role::Officer | Role::Cadre | Role::Integration),
        "import_families_at_risk" => admin || matches!(role, Role::Integration | Role::Officer),
        "import_budget_lines" => admin || role == Role::Officer,
        // DHIS2 data value sets: officers and integrations (each value then checked against
        // the caller's scope and its record's own rules, a refusal being a conflict).
        "dhis2_import_data_values" => admin || matches!(role, Role::Officer | Role::Integration),
        "verify" => admin || (matches!(role, Role::Cadre | Role::Officer) && within(VILLAGE)),
        // Activities in the planted village, and reports on them.
        "create_intervention" | "update_intervention" | "delete_intervention" => officer_in(VILLAGE),
        "report" => admin || (matches!(role, Role::Officer | Role::Cadre | Role::Integration) && within(VILLAGE)),
        // Kampar's survey figures and targets.
        "save_figure" | "remove_figure" | "save_target" => officer_in("14.01"),
        // Teams of the planted village.
        "create_team" | "update_team" => officer_in(VILLAGE),
        // The planted village's posyandu: its officers and its cadres.
        "create_posyandu" | "update_posyandu" => {
            admin || (matches!(role, Role::Officer | Role::Cadre) && within(VILLAGE))
        }
        // Accounts: a cadre of the village may be created by the officers above it; the planted
        // account is an officer's, which only an admin manages.
        "create_user" => officer_in(VILLAGE),
        "update_user" => admin,
        // Reference data: the regions and the intervention catalogue are the admins'.
        "create_region" | "rename" | "retire" | "create_intervention_type" | "update_intervention_type" => admin,
        _ => return None,
    })
}

/// The authorization matrix: every write of the contract, by every role inside Kampar, answers
/// 403 exactly when `may_write` says the caller may not, and gets past the access check
/// (whatever the body then earns: 2xx, 404, 409, 412, 422, 428) when it says they may.
#[tokio::test]
async fn every_write_answers_each_role_as_the_policy_says() {
    let app = TestApp::spawn().await;
    let officer = app.token_for(Role::Officer, Some("14.01")).await;
    let planted = plant_personal_data(&app, &officer).await;
    let mut callers = vec![("Kampar's officer", Role::Officer, Some("14.01"), officer.clone())];
    for (who, role, scope) in [
        ("Riau's officer", Role::Officer, Some("14")),
        ("a subdistrict officer", Role::Officer, Some("14.01.01")),
        ("the village's cadre", Role::Cadre, Some(VILLAGE)),
        ("Kampar's analyst", Role::Analyst, Some("14.01")),
        ("Kampar's integration", Role::Integration, Some("14.01")),
        ("a national officer", Role::Officer, None),
        ("an admin", Role::Admin, None),
    ] {
        callers.push((who, role, scope, app.token_for(role, scope).await));
    }
    let (mut unlisted, mut wrong) = (Vec::new(), Vec::new());
    for (method, template, operation) in operations() {
        if method == "get" || PUBLIC.contains(&(method, template)) {
            continue;
        }
        let id = operation["operationId"].as_str().unwrap();
        let path = read_of(template, operation, &planted);
        let Some(mut verdicts) = callers
            .iter()
            .map(|(who, role, scope, token)| Some((may_write(id, *role, *scope)?, who, token)))
            .collect::<Option<Vec<_>>>()
        else {
            unlisted.push(id.to_owned());
            continue;
        };
        // Those refused first: a write that is let through may change what the others meet.
        verdicts.sort_by_key(|(allowed, ..)| *allowed);
        for (allowed, who, token) in verdicts {
            let status = call(&app, method, &path, Some(token), operation).send().await.unwrap().status();
            if allowed == (status == StatusCode::FORBIDDEN) {
                let says = if allowed { "may" } else { "may not" };
                wrong.push(format!("{id} ({method} {path}) by {who}: {status}; the policy says they {says}"));
            }
        }
    }
    assert!(unlisted.is_empty(), "writes with no entry in the matrix (decide who may call them): {unlisted:?}");
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
