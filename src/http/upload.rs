//! Reading an uploaded document: a `multipart/form-data` body with a few text fields and one
//! `file` part, streamed with a size limit, checksummed, and checked to be what it says it is.

use actix_multipart::Multipart;
use chrono::NaiveDate;
use futures_util::TryStreamExt;
use sha2::{Digest, Sha256};

use crate::domain::{DocumentId, DocumentKind};
use crate::error::{ApiError, FieldErrors};

/// The largest file accepted, in bytes (`MAX_UPLOAD_BYTES`).
#[derive(Debug, Clone, Copy)]
pub struct UploadLimit(pub usize);

/// Content types a document may have. Each but CSV is recognised from its first bytes, so a
/// file cannot claim to be a PDF and be something else.
pub const ACCEPTED: &[&str] = &[
    "application/pdf",
    "image/jpeg",
    "image/png",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "text/csv",
];

/// Text fields are short; anything longer is not a title or a date.
const MAX_FIELD_BYTES: usize = 4096;
/// The form's five fields and a few unknown ones, named in the answer; past that, not a form.
const MAX_PARTS: usize = 10;

pub struct ReceivedFile {
    pub name: String,
    pub content_type: String,
    pub sha256: String,
    pub bytes: Vec<u8>,
}

pub struct UploadForm {
    pub id: Option<DocumentId>,
    pub title: String,
    pub kind: DocumentKind,
    pub document_date: Option<NaiveDate>,
    pub file: ReceivedFile,
}

/// Reads the whole form; 413 past `limit`, 415 for a content type not accepted, 422 naming
/// every missing or invalid field, and at once a field given twice (which of two files or
/// titles was meant cannot be told, and thousands of parts must not be read to find out).
/// A body that ends before its closing boundary is a 400.
pub async fn read_form(mut multipart: Multipart, limit: UploadLimit) -> Result<UploadForm, ApiError> {
    let (mut id, mut title, mut kind, mut document_date, mut file) = (None, None, None, None, None);
    let mut errors = FieldErrors::default();
    let mut seen: Vec<String> = Vec::new();
    while let Some(mut field) = multipart.try_next().await.map_err(malformed)? {
        let name = field.name().unwrap_or_default().to_owned();
        if seen.contains(&name) {
            return Err(ApiError::invalid(&name, text!("is given more than once; send each field once")));
        }
        if seen.len() == MAX_PARTS {
            return Err(ApiError::bad_request(text!(
                "a document upload has at most %{max_parts} parts",
                max_parts = MAX_PARTS
            )));
        }
        seen.push(name.clone());
        if name == "file" {
            let file_name = field
                .content_disposition()
                .and_then(|d| d.get_filename())
                .map(clean_file_name)
                .filter(|n| !n.is_empty());
            let content_type = field.content_type().map(|m| m.essence_str().to_owned());
            let mut bytes = Vec::new();
            while let Some(chunk) = field.try_next().await.map_err(malformed)? {
                if bytes.len() + chunk.len() > limit.0 {
                    return Err(ApiError::PayloadTooLarge(text!(
                        "a document may be at most %{limit} bytes",
                        limit = limit.0
                    )));
                }
                bytes.extend_from_slice(&chunk);
            }
            file = Some((file_name, content_type, bytes));
            continue;
        }
        let mut value = Vec::new();
        while let Some(chunk) = field.try_next().await.map_err(malformed)? {
            if value.len() + chunk.len() > MAX_FIELD_BYTES {
                return Err(ApiError::invalid(
                    &name,
                    text!("is longer than %{max_field_bytes} bytes", max_field_bytes = MAX_FIELD_BYTES),
                ));
            }
            value.extend_from_slice(&chunk);
        }
        let Ok(value) = String::from_utf8(value) else {
            errors.add(&name, text!("is not UTF-8 text"));
            continue;
        };
        if value.contains('\0') {
            errors.add(&name, crate::domain::text::nul_message());
            continue;
        }
        let value = value.trim().to_owned();
        match name.as_str() {
            "id" => id = errors.check("id", value.parse().map(DocumentId).map_err(|_| text!("must be a UUID"))),
            "title" => title = Some(value),
            "kind" => kind = errors.check("kind", value.parse::<DocumentKind>()),
            "document_date" => {
                document_date = errors.check(
                    "document_date",
                    value.parse::<NaiveDate>().map_err(|_| text!("must be a date like 2025-02-10")),
                )
            }
            other => errors.add(other, text!("is not a field of a document upload")),
        }
    }
    match &title {
        None => errors.add("title", text!("is required")),
        Some(t) if t.is_empty() || t.chars().count() > 300 => errors.add("title", text!("must be 1 to 300 characters")),
        Some(_) => {}
    }
    if kind.is_none() && !errors.has("kind") {
        errors.add("kind", text!("is required"));
    }
    let file = match file {
        None => {
            errors.add("file", text!("is required"));
            None
        }
        Some((name, content_type, bytes)) => received(&mut errors, name, content_type, bytes)?,
    };
    let (title, kind, file) = errors.finish_with(title.zip(kind).zip(file).map(|((t, k), f)| (t, k, f)))?;
    Ok(UploadForm { id, title, kind, document_date, file })
}

/// The file, when its name, type and contents agree; 415 for a type not accepted.
fn received(
    errors: &mut FieldErrors,
    name: Option<String>,
    content_type: Option<String>,
    bytes: Vec<u8>,
) -> Result<Option<ReceivedFile>, ApiError> {
    let content_type = content_type.unwrap_or_default();
    if !ACCEPTED.contains(&content_type.as_str()) {
        return Err(ApiError::UnsupportedMediaType(text!(
            "a document file must be one of %{types}; this one is `%{content_type}`",
            types = ACCEPTED.join(", "),
            content_type = content_type
        )));
    }
    let Some(name) = name else {
        errors.add("file", text!("needs a file name"));
        return Ok(None);
    };
    if bytes.is_empty() {
        errors.add("file", text!("is empty"));
        return Ok(None);
    }
    if !contents_match(&content_type, &bytes) {
        errors.add("file", text!("its contents are not %{content_type}", content_type = content_type));
        return Ok(None);
    }
    let sha256 = Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect();
    Ok(Some(ReceivedFile { name, content_type, sha256, bytes }))
}

/// Whether the first bytes say what the declared type says.
pub fn contents_match(content_type: &str, bytes: &[u8]) -> bool {
    match infer::get(bytes) {
        Some(found) => found.mime_type() == content_type,
        // CSV has no signature: it is text.
        None => content_type == "text/csv" && std::str::from_utf8(bytes).is_ok(),
    }
}

/// The last path component, without control characters, at most 255 characters.
fn clean_file_name(raw: &str) -> String {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or(raw);
    base.chars().filter(|c| !c.is_control()).take(255).collect::<String>().trim().to_owned()
}

fn malformed(error: actix_multipart::MultipartError) -> ApiError {
    if let actix_multipart::MultipartError::Payload(error) = &error {
        return crate::http::body_deadline::unreadable(error);
    }
    ApiError::bad_request(text!("the multipart body is malformed: %{error}", error = error))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_files_by_their_first_bytes() {
        assert!(contents_match("application/pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"));
        assert!(contents_match("image/png", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"));
        assert!(!contents_match("application/pdf", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"));
        assert!(!contents_match("application/pdf", b"just some text"));
        assert!(contents_match("text/csv", b"village,count\n14.01.01.2001,3\n"));
        assert!(!contents_match("text/csv", b"%PDF-1.7\n"));
    }

    #[test]
    fn keeps_only_the_base_name() {
        assert_eq!(clean_file_name("C:\\docs\\ba rembuk.pdf"), "ba rembuk.pdf");
        assert_eq!(clean_file_name("../../etc/passwd"), "passwd");
        assert_eq!(clean_file_name("a\nb.pdf"), "ab.pdf");
    }
}
