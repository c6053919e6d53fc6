//! The one keyset pagination for every list, as plain types the records layer takes and the
//! HTTP edge fills from the query. The client sends `limit` (default 50, max 500)
//! and the opaque `cursor` of the previous page; the cursor is URL-safe base64 of the last
//! row's sort key as JSON, so pages stay stable while rows are added and cost the same at
//! page 1,000 as at page 1.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::ApiError;

pub const DEFAULT_LIMIT: u32 = 50;
pub const MAX_LIMIT: u32 = 500;

/// One page of a list.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    #[schema(example = "eyJjb2RlIjoiMTQuMDEifQ")]
    pub next_cursor: Option<String>,
}

/// What a list query asks the database for: `limit + 1` rows after `after`.
#[derive(Debug)]
pub struct PageRequest<K> {
    pub limit: u32,
    pub after: Option<K>,
}

/// The `limit` asked for (`default` when none), 1 to `MAX_LIMIT`, or a 422 naming it: the same
/// bounds for every list and feed.
pub fn limit(requested: Option<u32>, default: u32) -> Result<u32, ApiError> {
    let limit = requested.unwrap_or(default);
    match (1..=MAX_LIMIT).contains(&limit) {
        true => Ok(limit),
        false => Err(ApiError::invalid("limit", text!("must be between 1 and %{max_limit}", max_limit = MAX_LIMIT))),
    }
}

impl<K: Serialize + DeserializeOwned> PageRequest<K> {
    pub fn parse(limit: Option<u32>, cursor: Option<&str>) -> Result<Self, ApiError> {
        let limit = self::limit(limit, DEFAULT_LIMIT)?;
        let after = cursor.map(decode_cursor).transpose()?;
        Ok(Self { limit, after })
    }

    /// Rows to fetch: one more than the page, to learn whether another page follows.
    pub fn fetch(&self) -> i64 {
        i64::from(self.limit) + 1
    }

    /// Cuts the extra row and makes the next cursor from the last row kept.
    pub fn page<T>(&self, mut rows: Vec<T>, key: impl Fn(&T) -> K) -> Page<T> {
        let more = rows.len() > self.limit as usize;
        rows.truncate(self.limit as usize);
        let next_cursor = if more { rows.last().map(|row| encode_cursor(&key(row))) } else { None };
        Page { items: rows, next_cursor }
    }
}

pub fn encode_cursor<K: Serialize>(key: &K) -> String {
    // Serialising a plain key (strings, numbers, uuids) cannot fail.
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(key).unwrap_or_default())
}

pub fn decode_cursor<K: DeserializeOwned>(cursor: &str) -> Result<K, ApiError> {
    URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or_else(|| ApiError::bad_request(text!("`cursor` is not a cursor this list gave out")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Key {
        code: String,
    }

    #[test]
    fn cursor_round_trips() {
        let key = Key { code: "14.01".into() };
        assert_eq!(decode_cursor::<Key>(&encode_cursor(&key)).unwrap(), key);
    }

    #[test]
    fn foreign_cursor_is_a_bad_request() {
        assert!(matches!(decode_cursor::<Key>("not base64!"), Err(ApiError::BadRequest(_))));
        assert!(matches!(decode_cursor::<Key>(&URL_SAFE_NO_PAD.encode("[1,2]")), Err(ApiError::BadRequest(_))));
    }

    #[test]
    fn limit_is_bounded() {
        assert_eq!(PageRequest::<Key>::parse(None, None).unwrap().limit, DEFAULT_LIMIT);
        assert!(PageRequest::<Key>::parse(Some(0), None).is_err());
        assert!(PageRequest::<Key>::parse(Some(MAX_LIMIT + 1), None).is_err());
    }

    #[test]
    fn page_cuts_the_lookahead_row() {
        let request = PageRequest::<u32> { limit: 2, after: None };
        let page = request.page(vec![1, 2, 3], |n| *n);
        assert_eq!(page.items, vec![1, 2]);
        assert_eq!(decode_cursor::<u32>(page.next_cursor.as_deref().unwrap()).unwrap(), 2);
        let last = request.page(vec![1, 2], |n| *n);
        assert!(last.next_cursor.is_none());
    }
}
