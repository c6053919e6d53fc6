//! Streams a whole collection as NDJSON (one object per line) or, with `Accept: text/csv`, as
//! CSV with a header row (cells written as the tables write theirs, formulas made inert): read a
//! page at a time in key order and written as it is read, so an export of a province never sits
//! in memory.

use std::future::Future;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};
use bytes::Bytes;
use futures_util::stream;
use serde::Serialize;

use crate::error::ApiError;
use crate::http::tabular::{wants_csv, write_row};

/// A stream of flat records: `columns` is the CSV header, in the records' field order, and
/// `page` the number of rows a full read gives.
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    pub columns: &'static [&'static str],
    pub page: u32,
}

/// The answer: `read(after)` gives the page of rows after key `after` (`None`: from the first),
/// `key` is a row's key. A failure after the first page can only cut the body short (the
/// status is sent by then): the last line then lacks its newline, which a reader notices.
pub fn answer<T, K, F, Fut>(req: &HttpRequest, name: &str, shape: Shape, read: F, key: fn(&T) -> K) -> HttpResponse
where
    T: Serialize + 'static,
    K: Clone + 'static,
    F: FnMut(Option<K>) -> Fut + 'static,
    Fut: Future<Output = Result<Vec<T>, ApiError>> + 'static,
{
    let csv = wants_csv(req);
    let (content_type, extension) =
        if csv { ("text/csv; charset=utf-8; header=present", "csv") } else { ("application/x-ndjson", "ndjson") };
    let state = (read, None::<K>, true, false);
    let body = stream::unfold(state, move |(mut read, after, first, done)| async move {
        if done {
            return None;
        }
        let rows = match read(after.clone()).await {
            Ok(rows) => rows,
            Err(error) => return Some((Err(error), (read, after, first, true))),
        };
        let last = rows.len() < shape.page as usize;
        let next = rows.last().map(key).or(after);
        Some((encode(&rows, csv.then_some(shape.columns), first), (read, next, false, last)))
    });
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header(crate::http::download::attachment(&format!("{name}.{extension}")))
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .streaming(body)
}

/// `rows` as NDJSON, or as CSV rows under `header` (written before the first page).
fn encode<T: Serialize>(rows: &[T], header: Option<&[&str]>, first: bool) -> Result<Bytes, ApiError> {
    let mut out = Vec::with_capacity(rows.len() * 200);
    if let Some(columns) = header {
        let mut writer = csv::WriterBuilder::new().has_headers(false).from_writer(&mut out);
        if first {
            writer.write_record(columns).map_err(anyhow::Error::from)?;
        }
        for row in rows {
            let row = serde_json::to_value(row).map_err(anyhow::Error::from)?;
            write_row(&mut writer, columns, &row)?;
        }
        writer.flush().map_err(anyhow::Error::from)?;
    } else {
        for row in rows {
            serde_json::to_writer(&mut out, row).map_err(anyhow::Error::from)?;
            out.push(b'\n');
        }
    }
    Ok(Bytes::from(out))
}
