use reqwest::multipart::{Form, Part};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use stunting_api::domain::Role;

use crate::common::{TestApp, problem};

const KAMPAR: &str = "14.01";
const BENGKALIS: &str = "14.03";
const PDF: &[u8] = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";

async fn set_action(app: &TestApp, token: &str, district: &str, number: i32, body: Value) -> reqwest::Response {
    let path = format!("/api/v1/convergence/{district}/2021/actions/{number}");
    let etag = {
        let year: Value =
            app.get(&format!("/api/v1/convergence/{district}/2021"), Some(token)).await.json().await.unwrap();
        format!("\"{}\"", year["actions"][number as usize - 1]["version"])
    };
    app.put_json(&path, Some(token), Some(&etag), &body).await
}

async fn done(app: &TestApp, token: &str, district: &str, actions: std::ops::RangeInclusive<i32>) {
    for number in actions {
        let response =
            set_action(app, token, district, number, json!({"status": "done", "done_on": "2021-06-20"})).await;
        assert_eq!(response.status(), StatusCode::OK, "{}", response.text().await.unwrap());
    }
}

async fn link(app: &TestApp, token: &str, district: &str, action: i32) -> reqwest::Response {
    let path = format!("/api/v1/convergence/{district}/2021/actions/{action}/documents");
    let body = json!({"title": format!("Dokumen aksi {action}"), "kind": "report", "url": "https://example.org/a.pdf"});
    app.post_json(&path, Some(token), &body).await
}

fn upload(file: &[u8], content_type: &str) -> Form {
    Form::new()
        .text("title", "Berita acara Rembuk Stunting")
        .text("kind", "minutes")
        .text("document_date", "2021-04-07")
        .part("file", Part::bytes(file.to_vec()).file_name("ba-rembuk.pdf").mime_str(content_type).unwrap())
}

async fn post_upload(app: &TestApp, token: &str, district: &str, form: Form) -> reqwest::Response {
    let path = format!("/api/v1/convergence/{district}/2021/actions/3/documents");
    app.request(Method::POST, &path, Some(token)).multipart(form).send().await.unwrap()
}

#[tokio::test]
async fn the_province_ranks_its_districts_by_actions_done_and_documented() {
    let app = TestApp::spawn().await;
    let bengkalis = app.token_for(Role::Officer, Some(BENGKALIS)).await;
    let kampar = app.token_for(Role::Officer, Some(KAMPAR)).await;
    done(&app, &bengkalis, BENGKALIS, 1..=5).await;
    for action in 1..=4 {
        assert_eq!(link(&app, &bengkalis, BENGKALIS, action).await.status(), StatusCode::CREATED);
    }
    assert_eq!(link(&app, &bengkalis, BENGKALIS, 2).await.status(), StatusCode::CREATED);
    let started = set_action(&app, &bengkalis, BENGKALIS, 6, json!({"status": "in_progress"})).await;
    assert_eq!(started.status(), StatusCode::OK);
    done(&app, &kampar, KAMPAR, 1..=3).await;
    assert_eq!(link(&app, &kampar, KAMPAR, 1).await.status(), StatusCode::CREATED);

    let province = app.token_for(Role::Officer, Some("14")).await;
    let scored = app
        .put_json("/api/v1/convergence/14.03/2021/assessment", Some(&province), Some("\"0\""), &json!({"score": 87.5}))
        .await;
    assert_eq!(scored.status(), StatusCode::OK, "{}", scored.text().await.unwrap());
    assert_eq!(scored.headers()["etag"], "\"1\"");

    let analyst = app.token_for(Role::Analyst, Some("14")).await;
    let overview: Value =
        app.get("/api/v1/convergence?region=14&year=2021", Some(&analyst)).await.json().await.unwrap();
    let rows = overview["districts"].as_array().unwrap();
    assert_eq!(rows.len(), 12, "every district of Riau has a row");
    let first = &rows[0];
    assert_eq!(first["district_code"], BENGKALIS);
    assert_eq!((first["rank"].as_i64(), first["documents_rank"].as_i64()), (Some(1), Some(1)));
    assert_eq!(first["actions_done"], 5);
    assert_eq!(first["latest_action_done"], 5);
    assert_eq!(first["actions_in_progress"], 1);
    assert_eq!(first["documents_per_action"], json!([1, 2, 1, 1, 0, 0, 0, 0]));
    assert_eq!(first["actions_with_documents"], 4);
    assert_eq!(first["documents_up_to_action"], 4);
    assert_eq!(first["assessment_score"], 87.5);
    let second = &rows[1];
    assert_eq!((second["district_code"].as_str(), second["rank"].as_i64()), (Some(KAMPAR), Some(2)));
    assert!(
        rows[2..].iter().all(|r| r["rank"] == 3 && r["actions_done"] == 0 && r["documents_up_to_action"].is_null())
    );

    // A district officer asking for the province sees their own row, with its rank there.
    let own: Value = app.get("/api/v1/convergence?region=14&year=2021", Some(&kampar)).await.json().await.unwrap();
    assert_eq!(own["districts"].as_array().unwrap().len(), 1);
    assert_eq!(own["districts"][0]["rank"], 2);

    // A village cadre sees their district's row.
    let cadre = app.token_for(Role::Cadre, Some("14.03.01.1001")).await;
    let own: Value = app.get("/api/v1/convergence?year=2021", Some(&cadre)).await.json().await.unwrap();
    let codes: Vec<&Value> = own["districts"].as_array().unwrap().iter().map(|d| &d["district_code"]).collect();
    assert_eq!(codes, [&json!(BENGKALIS)]);

    let year: Value = app.get("/api/v1/convergence/14.03/2021", Some(&province)).await.json().await.unwrap();
    assert_eq!(year["actions_done"], 5);
    assert_eq!(year["actions"][4]["status"], "done");
    assert_eq!(year["actions"][4]["name_id"], "Pembinaan Pelaku dan Pemerintahan Desa");
    assert_eq!(year["actions"][1]["documents"].as_array().unwrap().len(), 2);
    assert_eq!(year["actions"][7]["status"], "not_started");
    assert_eq!(year["assessment"]["score"], 87.5);
    let trail = app.audit_trail("14.03/2021/5").await;
    assert_eq!(trail[0].0, "convergence.action");
}

#[tokio::test]
async fn only_the_district_keeps_its_actions_and_only_the_province_scores_them() {
    let app = TestApp::spawn().await;
    let bengkalis = app.token_for(Role::Officer, Some(BENGKALIS)).await;
    let kampar = app.token_for(Role::Officer, Some(KAMPAR)).await;
    let province = app.token_for(Role::Officer, Some("14")).await;
    let cadre = app.token_for(Role::Cadre, Some("14.03.01.1001")).await;
    let body = json!({"status": "done", "done_on": "2021-06-20"});
    let path = "/api/v1/convergence/14.03/2021/actions/1";
    for token in [&kampar, &province, &cadre] {
        problem(app.put_json(path, Some(token), Some("\"0\""), &body).await, StatusCode::FORBIDDEN).await;
    }
    problem(app.put_json(path, Some(&bengkalis), None, &body).await, StatusCode::PRECONDITION_REQUIRED).await;
    let no_date = problem(
        app.put_json(path, Some(&bengkalis), Some("\"0\""), &json!({"status": "done"})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(no_date["errors"][0]["field"], "done_on");
    problem(
        app.put_json("/api/v1/convergence/14.03/2021/actions/9", Some(&bengkalis), Some("\"0\""), &body).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    problem(
        app.put_json("/api/v1/convergence/14.03.01/2021/actions/1", Some(&bengkalis), Some("\"0\""), &body).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(app.put_json(path, Some(&bengkalis), Some("\"0\""), &body).await.status(), StatusCode::OK);
    // A second writer who also saw "not started" loses.
    problem(app.put_json(path, Some(&bengkalis), Some("\"0\""), &body).await, StatusCode::PRECONDITION_FAILED).await;

    let score = json!({"score": 70});
    let assess = "/api/v1/convergence/14.03/2021/assessment";
    problem(app.put_json(assess, Some(&bengkalis), Some("\"0\""), &score).await, StatusCode::FORBIDDEN).await;
    let kaur_province = app.token_for(Role::Officer, Some("17")).await;
    problem(app.put_json(assess, Some(&kaur_province), Some("\"0\""), &score).await, StatusCode::FORBIDDEN).await;
    problem(
        app.put_json(assess, Some(&province), Some("\"0\""), &json!({"score": 101})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(app.put_json(assess, Some(&province), Some("\"0\""), &score).await.status(), StatusCode::OK);
    problem(app.put_json(assess, Some(&province), Some("\"0\""), &score).await, StatusCode::PRECONDITION_FAILED).await;
    let rescored = app.put_json(assess, Some(&province), Some("\"1\""), &json!({"score": 75})).await;
    assert_eq!(rescored.headers()["etag"], "\"2\"");

    // Another province's officers cannot read Bengkalis at all.
    problem(app.get("/api/v1/convergence/14.03/2021", Some(&kaur_province)).await, StatusCode::FORBIDDEN).await;
    problem(app.get("/api/v1/convergence?region=14&year=2021", Some(&kaur_province)).await, StatusCode::FORBIDDEN)
        .await;
}

#[tokio::test]
async fn uploads_are_checksummed_typed_and_served_back_only_in_scope() {
    let app = TestApp::spawn_with(&["--max-upload-bytes", "4096"]).await;
    let officer = app.token_for(Role::Officer, Some(BENGKALIS)).await;
    let id = uuid::Uuid::now_v7().to_string();
    let response = post_upload(&app, &officer, BENGKALIS, upload(PDF, "application/pdf").text("id", id.clone())).await;
    assert_eq!(response.status(), StatusCode::CREATED, "{}", response.text().await.unwrap());
    let document: Value = response.json().await.unwrap();
    let sha256: String = Sha256::digest(PDF).iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(document["sha256"], sha256);
    assert_eq!(document["size_bytes"], PDF.len());
    assert_eq!(document["content_type"], "application/pdf");
    assert_eq!(document["file_name"], "ba-rembuk.pdf");
    assert_eq!(document["action"], 3);

    // A retry of the same upload adds nothing.
    let retry = post_upload(&app, &officer, BENGKALIS, upload(PDF, "application/pdf").text("id", id.clone())).await;
    assert_eq!(retry.status(), StatusCode::OK);
    let year: Value = app.get("/api/v1/convergence/14.03/2021", Some(&officer)).await.json().await.unwrap();
    assert_eq!(year["actions"][2]["documents"].as_array().unwrap().len(), 1);

    let content_path = format!("/api/v1/convergence/documents/{id}/content");
    let analyst = app.token_for(Role::Analyst, Some("14")).await;
    let content = app.get(&content_path, Some(&analyst)).await;
    assert_eq!(content.status(), StatusCode::OK);
    assert_eq!(content.headers()["content-type"], "application/pdf");
    assert_eq!(content.headers()["x-checksum-sha256"], sha256.as_str());
    assert!(content.headers()["content-disposition"].to_str().unwrap().starts_with("attachment"));
    assert_eq!(content.bytes().await.unwrap().as_ref(), PDF);
    let outsider = app.token_for(Role::Officer, Some("17.04")).await;
    problem(app.get(&content_path, Some(&outsider)).await, StatusCode::FORBIDDEN).await;
    let other_district = app.token_for(Role::Officer, Some(KAMPAR)).await;
    problem(app.get(&content_path, Some(&other_district)).await, StatusCode::FORBIDDEN).await;
    problem(post_upload(&app, &other_district, BENGKALIS, upload(PDF, "application/pdf")).await, StatusCode::FORBIDDEN)
        .await;

    // Too large, a type not accepted, a PNG called a PDF, no file, no title.
    let big = [PDF, &[b' '; 5000]].concat();
    problem(
        post_upload(&app, &officer, BENGKALIS, upload(&big, "application/pdf")).await,
        StatusCode::PAYLOAD_TOO_LARGE,
    )
    .await;
    problem(
        post_upload(&app, &officer, BENGKALIS, upload(b"MZ\x90\0", "application/x-msdownload")).await,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
    )
    .await;
    let lying = problem(
        post_upload(&app, &officer, BENGKALIS, upload(PNG, "application/pdf")).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(lying["errors"][0]["field"], "file");
    let bare = problem(
        post_upload(&app, &officer, BENGKALIS, Form::new().text("kind", "minutes")).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    let fields: Vec<&str> = bare["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["title", "file"]);
    let png = post_upload(&app, &officer, BENGKALIS, upload(PNG, "image/png")).await;
    assert_eq!(png.status(), StatusCode::CREATED);
    let bad_link = problem(
        app.post_json(
            "/api/v1/convergence/14.03/2021/actions/3/documents",
            Some(&officer),
            &json!({"title": "x", "kind": "report", "url": "ftp://example.org/x"}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(bad_link["errors"][0]["field"], "url");

    // Removing takes the file with it; the audit keeps that it happened.
    let path = format!("/api/v1/convergence/documents/{id}");
    let removed = app.request(Method::DELETE, &path, Some(&officer)).header("If-Match", "\"1\"").send().await.unwrap();
    assert_eq!(removed.status(), StatusCode::NO_CONTENT);
    problem(app.get(&content_path, Some(&officer)).await, StatusCode::NOT_FOUND).await;
    let actions: Vec<String> = app.audit_trail(&id).await.into_iter().map(|(a, _)| a).collect();
    assert_eq!(actions, ["convergence_document.create", "convergence_document.delete"]);
    // The removed id cannot be reused for another document.
    problem(
        post_upload(&app, &officer, BENGKALIS, upload(PDF, "application/pdf").text("id", id)).await,
        StatusCode::CONFLICT,
    )
    .await;
}

/// A file name outside ASCII is sent as RFC 6266's `filename*`, not raw in the header (issue
/// 14, item 8).
#[tokio::test]
async fn a_non_ascii_file_name_is_sent_as_filename_star() {
    let app = TestApp::spawn().await;
    let officer = app.token_for(Role::Officer, Some(BENGKALIS)).await;
    let form = Form::new()
        .text("title", "Berita acara Rembuk Stunting")
        .text("kind", "minutes")
        .text("document_date", "2021-04-07")
        .part("file", Part::bytes(PDF.to_vec()).file_name("Rembuk – Mei.pdf").mime_str("application/pdf").unwrap());
    let response = post_upload(&app, &officer, BENGKALIS, form).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let document: Value = response.json().await.unwrap();
    let content_path = format!("/api/v1/convergence/documents/{}/content", document["id"].as_str().unwrap());
    let content = app.get(&content_path, Some(&officer)).await;
    let disposition = content.headers()["content-disposition"].as_bytes().to_vec();
    assert!(disposition.is_ascii(), "{}", String::from_utf8_lossy(&disposition));
    let disposition = String::from_utf8(disposition).unwrap();
    assert!(disposition.contains("filename*=UTF-8''Rembuk%20%E2%80%93%20Mei.pdf"), "{disposition}");
}

/// Forms a careless or hostile client sends: a body cut before its closing boundary is answered
/// at once (it used to hang until the client gave up), and two files, thousands of titles or
/// many unknown parts are refused rather than one of them silently kept.
#[tokio::test]
async fn malformed_and_repeated_upload_parts_are_refused() {
    let app = TestApp::spawn().await;
    let officer = app.token_for(Role::Officer, Some(KAMPAR)).await;
    let path = format!("/api/v1/convergence/{KAMPAR}/2021/actions/3/documents");
    let start = "--XyZ\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nBerita acara\r\n--XyZ\r\n\
                 Content-Disposition: form-data; name=\"file\"; filename=\"a.pdf\"\r\nContent-Type: application/pdf\r\n\r\n\
                 %PDF-1.4\n";
    // Cut in the file, in its closing boundary, after the boundary, and before any part.
    for cut in ["", "\r\n--Xy", "\r\n--XyZ", "\r\n--XyZ-"]
        .map(|end| format!("{start}{end}"))
        .into_iter()
        .chain(["--XyZ".to_owned()])
    {
        let sent = app
            .request(Method::POST, &path, Some(&officer))
            .text("multipart/form-data; boundary=XyZ", cut.clone())
            .send();
        let answer = tokio::time::timeout(std::time::Duration::from_secs(20), sent).await;
        let answer = answer
            .unwrap_or_else(|_| panic!("no answer in 20 s to a body ending {:?}", &cut[cut.len().saturating_sub(12)..]))
            .unwrap();
        let refused = problem(answer, StatusCode::BAD_REQUEST).await;
        assert!(refused["detail"].as_str().unwrap().contains("multipart"), "{refused}");
    }

    let two_files = upload(PDF, "application/pdf")
        .part("file", Part::bytes(PNG.to_vec()).file_name("other.png").mime_str("image/png").unwrap());
    let refused = problem(post_upload(&app, &officer, KAMPAR, two_files).await, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(refused["errors"][0]["field"], "file", "{refused}");
    // Written by hand: reqwest nests a stream per part, too deep for thousands of them.
    let many = |name: &dyn Fn(usize) -> String| {
        let mut body: String = (0..5000)
            .map(|i| format!("--XyZ\r\nContent-Disposition: form-data; name=\"{}\"\r\n\r\njudul {i}\r\n", name(i)))
            .collect();
        body.push_str("--XyZ--\r\n");
        app.request(Method::POST, &path, Some(&officer)).text("multipart/form-data; boundary=XyZ", body).send()
    };
    let titles = many(&|_| "title".to_owned()).await.unwrap();
    let refused = problem(titles, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(refused["errors"][0]["field"], "title", "{refused}");
    problem(many(&|i| format!("x{i}")).await.unwrap(), StatusCode::BAD_REQUEST).await;
    assert_eq!(app.count("SELECT count(*) FROM convergence_documents").await, 0, "nothing was kept");
}
