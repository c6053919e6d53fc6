//! Streams a FHIR Bundle: read a page of people at a time (each with all her contacts) and
//! written as it is read, so a Bundle of a province never sits in memory. With a `limit`, the
//! Bundle stops after that many people and links to the next one (`link` `next`, the same
//! query with a `cursor`).

use std::future::Future;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};
use bytes::Bytes;
use futures_util::{StreamExt, stream};
use uuid::Uuid;

use crate::domain::page::encode_cursor;
use crate::error::ApiError;
use crate::fhir::{self, BundleType, Entries, Key, Row, Systems};

/// People read per query.
pub const PAGE_PEOPLE: u32 = 200;

/// The Bundle: `read(after, people)` gives the contacts of the next `people` people after
/// `after`. A failure after the first page can only cut the body short (the status is sent by
/// then): the JSON is then left unclosed, which any reader notices.
pub fn answer<T, F, Fut>(
    req: &HttpRequest,
    kind: BundleType,
    systems: Systems,
    limit: Option<u32>,
    after: Option<Key>,
    read: F,
) -> HttpResponse
where
    T: Row + 'static,
    F: FnMut(Option<Key>, u32) -> Fut + 'static,
    Fut: Future<Output = Result<Vec<T>, ApiError>> + 'static,
{
    let head = format!(
        r#"{{"resourceType":"Bundle","id":"{}","type":"{}","timestamp":"{}""#,
        Uuid::new_v4(),
        kind.as_str(),
        fhir::instant(chrono::Utc::now()),
    );
    let next_url = NextUrl::of(req);
    let state = Writer { read, after, entries: Entries::new(kind, systems), left: limit, done: false };
    let body = stream::once(async move { Ok::<_, ApiError>(Bytes::from(head)) }).chain(stream::unfold(
        state,
        move |mut writer| {
            let next_url = next_url.clone();
            async move { writer.next_chunk(&next_url).await.map(|chunk| (chunk, writer)) }
        },
    ));
    HttpResponse::Ok()
        .content_type(fhir::MEDIA_TYPE)
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .streaming(body)
}

struct Writer<F> {
    read: F,
    after: Option<Key>,
    entries: Entries,
    /// People still to write under a limit.
    left: Option<u32>,
    done: bool,
}

impl<F> Writer<F> {
    /// The next piece of the body: a page of entries, or the closing with its `next` link;
    /// `None` once closed.
    async fn next_chunk<T, Fut>(&mut self, next_url: &NextUrl) -> Option<Result<Bytes, ApiError>>
    where
        T: Row,
        F: FnMut(Option<Key>, u32) -> Fut,
        Fut: Future<Output = Result<Vec<T>, ApiError>>,
    {
        if self.done {
            return None;
        }
        let want = self.left.map_or(PAGE_PEOPLE, |left| left.min(PAGE_PEOPLE));
        if want == 0 {
            // The limit is reached: a next Bundle only if someone is left.
            self.done = true;
            let more = match (self.read)(self.after.clone(), 1).await {
                Ok(rows) => !rows.is_empty(),
                Err(error) => return Some(Err(error)),
            };
            let link = self.after.as_ref().filter(|_| more).map(|after| next_url.with_cursor(after));
            return Some(Ok(self.close(link)));
        }
        let rows = match (self.read)(self.after.clone(), want).await {
            Ok(rows) => rows,
            Err(error) => {
                self.done = true;
                return Some(Err(error));
            }
        };
        let mut people = 0;
        for row in &rows {
            let key = row.subject_key();
            if self.after.as_ref() != Some(&key) {
                people += 1;
                self.after = Some(key);
            }
            row.entries(&mut self.entries);
        }
        self.left = self.left.map(|left| left - people);
        let mut chunk = self.entries.take();
        if people < want {
            self.done = true;
            chunk.extend_from_slice(&self.close(None));
        }
        Some(Ok(Bytes::from(chunk)))
    }

    /// The end of the Bundle, with a link to the next one.
    fn close(&self, next: Option<String>) -> Bytes {
        let mut tail = String::new();
        if self.entries.opened() {
            tail.push(']');
        }
        if let Some(url) = next {
            let link = serde_json::json!([{ "relation": "next", "url": url }]);
            tail.push_str(&format!(r#","link":{link}"#));
        }
        tail.push('}');
        Bytes::from(tail)
    }
}

/// The request's own path and query, to which a next Bundle's cursor is added.
#[derive(Debug, Clone)]
struct NextUrl {
    path: String,
    pairs: Vec<(String, String)>,
}

impl NextUrl {
    fn of(req: &HttpRequest) -> Self {
        let pairs = form_urlencoded::parse(req.query_string().as_bytes())
            .filter(|(name, _)| name != "cursor")
            .map(|(name, value)| (name.into_owned(), value.into_owned()))
            .collect();
        Self { path: req.path().to_owned(), pairs }
    }

    fn with_cursor(&self, after: &Key) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        query.extend_pairs(&self.pairs);
        query.append_pair("cursor", &encode_cursor(after));
        format!("{}?{}", self.path, query.finish())
    }
}
