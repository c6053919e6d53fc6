//! `Json` and `Query` extractors that name the offending field. actix's own extractors report
//! serde's message ("invalid digit found in string") without saying which field it was.

use actix_web::dev::Payload;
use actix_web::error::PayloadError;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::{FutureExt, LocalBoxFuture};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::domain::text::{NUL_ESCAPE, nul_message, refuse_nul};
use crate::error::ApiError;
use crate::http::body_deadline;
use crate::i18n::from_serde;

/// A JSON request body: 415 unless the content type is JSON in UTF-8, 413 past the size limit,
/// 400 when it is not JSON at all, 422 naming the field when a field has the wrong type or is
/// missing, or when the body is not the object every operation takes.
pub struct Json<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for Json<T> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let media = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<mime::Mime>().ok())
            .filter(|m| m.subtype() == mime::JSON || m.suffix() == Some(mime::JSON));
        let body = web::Bytes::from_request(req, payload);
        async move {
            let Some(media) = media else {
                return Err(ApiError::UnsupportedMediaType(text!(
                    "the request body must be sent as `Content-Type: application/json`"
                )));
            };
            // JSON is UTF-8 (RFC 8259); a body declared in another charset would be misread.
            if let Some(charset) = media.get_param(mime::CHARSET).filter(|c| *c != mime::UTF_8) {
                return Err(ApiError::UnsupportedMediaType(text!(
                    "the request body must be JSON in UTF-8, not charset=%{charset}",
                    charset = charset
                )));
            }
            let bytes = body.await.map_err(payload_error)?;
            parse_json(&bytes).map(Json)
        }
        .boxed_local()
    }
}

pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    // serde lets a struct be read from an array of its fields in order; every body here is an
    // object, as the contract says, so an array (or any other value) is the wrong type.
    if bytes.iter().find(|b| !b.is_ascii_whitespace()).is_some_and(|b| *b != b'{') {
        serde_json::from_slice::<serde::de::IgnoredAny>(bytes).map_err(|e| not_json(&e))?;
        return Err(ApiError::invalid("body", text!("must be a JSON object")));
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = match serde_path_to_error::deserialize(&mut de) {
        Ok(value) => {
            de.end().map_err(|e| not_json(&e))?;
            value
        }
        Err(error) => {
            let path = error.path().to_string();
            let inner = error.into_inner();
            if !inner.is_data() {
                return Err(wrong_type_in_valid_json::<T>(bytes).unwrap_or_else(|| not_json(&inner)));
            }
            whole_floats_as_integers(bytes, &inner).ok_or_else(|| field_error(&path, &inner))?
        }
    };
    // A raw NUL byte is not JSON; only the escape can carry one, so the slow look is rare.
    if bytes.windows(NUL_ESCAPE.len()).any(|w| w == NUL_ESCAPE) {
        let tree: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| not_json(&e))?;
        refuse_nul(&tree)?;
    }
    Ok(value)
}

/// JSON (and JSON Schema's `integer`) holds `28.0` as the number 28, but serde refuses it for
/// an integer field: where that is the error, the body is read again from its tree with every
/// whole float written as an integer. `None` when it is not, or the body still does not fit.
fn whole_floats_as_integers<T: DeserializeOwned>(bytes: &[u8], error: &serde_json::Error) -> Option<T> {
    fn rewrite(value: &mut serde_json::Value) {
        match value {
            serde_json::Value::Number(n) => {
                // Below 2^53 a float is exact, so the integer is the number the client meant.
                if let Some(f) = n.as_f64().filter(|f| n.is_f64() && f.fract() == 0.0 && f.abs() < 9.0e15) {
                    *n = serde_json::Number::from(f as i64);
                }
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(rewrite),
            serde_json::Value::Object(fields) => fields.values_mut().for_each(rewrite),
            _ => {}
        }
    }
    if !error.to_string().starts_with("invalid type: floating point") {
        return None;
    }
    let mut tree: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    rewrite(&mut tree);
    serde_json::from_value(tree).ok()
}

fn field_error(path: &str, error: &serde_json::Error) -> ApiError {
    let field = if path == "." { "body" } else { path };
    ApiError::invalid(field, from_serde(&strip_position(&error.to_string())))
}

/// serde_json reports a value of the wrong kind for an enum (`"sex": true`) as a syntax error
/// ("expected value") though the body is JSON; read from the parsed tree, the same value is a
/// type error with its path, so the answer is a 422 naming the field. `None` when the body is
/// not JSON after all.
fn wrong_type_in_valid_json<T: DeserializeOwned>(bytes: &[u8]) -> Option<ApiError> {
    let tree: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    let error = serde_path_to_error::deserialize::<_, T>(tree).err()?;
    Some(field_error(&error.path().to_string(), error.inner()))
}

fn not_json(error: &serde_json::Error) -> ApiError {
    ApiError::bad_request(text!("the request body is not valid JSON: %{error}", error = error))
}

/// serde_json appends " at line 1 column 17"; the field name already says where.
fn strip_position(message: &str) -> String {
    message.split(" at line ").next().unwrap_or(message).to_owned()
}

fn payload_error(error: actix_web::Error) -> ApiError {
    match error.as_error::<PayloadError>() {
        Some(error) => body_deadline::unreadable(error),
        None => match error.as_response_error().status_code().as_u16() {
            413 => ApiError::PayloadTooLarge(text!("the request body is too large")),
            _ => ApiError::bad_request(text!("the request body could not be read")),
        },
    }
}

/// For `Option<Option<T>>` fields: tells an explicit `null` (clear it, `Some(None)`) apart from an
/// absent field (leave it, `None`, with `#[serde(default)]`).
pub fn present<'de, T: serde::Deserialize<'de>, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// Query-string parameters: 422 naming the parameter when one has the wrong type.
pub struct Query<T>(pub T);

impl<T: DeserializeOwned> FromRequest for Query<T> {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(parse_query(req.query_string()).map(Query))
    }
}

pub fn parse_query<T: DeserializeOwned>(query: &str) -> Result<T, ApiError> {
    let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
    let value = serde_path_to_error::deserialize(de).map_err(|error| {
        let path = error.path().to_string();
        let field = if path == "." { "query".to_owned() } else { path };
        ApiError::invalid(&field, from_serde(&error.into_inner().to_string()))
    })?;
    refuse_nul_parameter(query)?;
    Ok(value)
}

/// Query-string parameters of which some may repeat (`period=202501&period=202502`, as DHIS2
/// clients send them) into `Vec` fields; otherwise as `parse_query`.
pub fn parse_repeated_query<T: DeserializeOwned>(query: &str) -> Result<T, ApiError> {
    refuse_nul_parameter(query)?;
    let de = serde_html_form::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
    serde_path_to_error::deserialize(de).map_err(|error| {
        let path = error.path().to_string();
        let field = if path == "." { "query".to_owned() } else { path };
        ApiError::invalid(&field, from_serde(&error.into_inner().to_string()))
    })
}

fn refuse_nul_parameter(query: &str) -> Result<(), ApiError> {
    match form_urlencoded::parse(query.as_bytes()).find(|(k, v)| k.contains('\0') || v.contains('\0')) {
        Some((name, _)) => Err(ApiError::invalid(&name.replace('\0', "\\u0000"), nul_message())),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        name: String,
        count: u32,
    }

    fn field_of(error: ApiError) -> String {
        match error {
            ApiError::Validation(errors) => errors[0].field.clone(),
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn wrong_type_names_the_field() {
        let error = parse_json::<Body>(br#"{"name": "a", "count": "x"}"#).unwrap_err();
        assert_eq!(field_of(error), "count");
    }

    #[test]
    fn missing_field_is_a_validation_error() {
        let error = parse_json::<Body>(br#"{"name": "a"}"#).unwrap_err();
        assert!(matches!(error, ApiError::Validation(_)));
    }

    #[test]
    fn a_nul_character_is_refused_naming_its_field() {
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        struct Nested {
            names: Vec<String>,
        }
        assert_eq!(field_of(parse_json::<Body>(br#"{"name": "a\u0000", "count": 1}"#).unwrap_err()), "name");
        let nested = parse_json::<Nested>(br#"{"names": ["ok", "b\u0000d"]}"#).unwrap_err();
        assert_eq!(field_of(nested), "names[1]");
        // An escaped backslash before `u0000` is no NUL.
        assert!(parse_json::<Body>(br#"{"name": "a\\u0000", "count": 1}"#).is_ok());
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        struct Search {
            q: Option<String>,
        }
        assert_eq!(field_of(parse_query::<Search>("q=a%00b").unwrap_err()), "q");
    }

    #[test]
    fn an_array_is_not_an_object() {
        assert_eq!(field_of(parse_json::<Body>(br#" ["a", 1]"#).unwrap_err()), "body");
        assert_eq!(field_of(parse_json::<Body>(b"17").unwrap_err()), "body");
        assert!(matches!(parse_json::<Body>(b"[\"a\", 1"), Err(ApiError::BadRequest(_))));
    }

    #[test]
    fn a_whole_float_is_an_integer_and_a_fraction_is_not() {
        #[derive(Debug, serde::Deserialize)]
        struct Counted {
            count: i32,
            share: f64,
        }
        let read: Counted = parse_json(br#"{"count": 28.0, "share": 2.0}"#).unwrap();
        assert_eq!((read.count, read.share), (28, 2.0));
        assert_eq!(field_of(parse_json::<Counted>(br#"{"count": 28.5, "share": 1}"#).unwrap_err()), "count");
        assert_eq!(field_of(parse_json::<Counted>(br#"{"count": 3.0e12, "share": 1}"#).unwrap_err()), "count");
    }

    #[test]
    fn broken_json_is_a_bad_request() {
        assert!(matches!(parse_json::<Body>(b"{\"name\": "), Err(ApiError::BadRequest(_))));
        assert!(matches!(parse_json::<Body>(br#"{"name": "a", "count": 1} trailing"#), Err(ApiError::BadRequest(_))));
    }

    #[test]
    fn query_errors_name_the_parameter() {
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        struct Params {
            limit: Option<u32>,
        }
        assert_eq!(parse_query::<Params>("limit=20").unwrap().limit, Some(20));
        assert_eq!(field_of(parse_query::<Params>("limit=abc").unwrap_err()), "limit");
    }
}
