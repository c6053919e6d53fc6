//! `Content-Disposition` for a download. A header value is ASCII in practice, so a name with
//! other characters (`Laporan Desa Sukamaju – Mei.pdf`) travels as RFC 6266's `filename*`
//! (UTF-8, percent-encoded), beside an ASCII `filename` for clients that know only that.

use actix_web::http::header::{Charset, ContentDisposition, DispositionParam, DispositionType, ExtendedValue};

pub fn attachment(name: &str) -> ContentDisposition {
    let fallback: String =
        name.chars().map(|c| if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' { c } else { '_' }).collect();
    let mut parameters = vec![DispositionParam::Filename(fallback)];
    if !name.is_ascii() || name.chars().any(|c| c.is_ascii_control() || c == '"' || c == '\\') {
        parameters.push(DispositionParam::FilenameExt(ExtendedValue {
            charset: Charset::Ext("UTF-8".into()),
            language_tag: None,
            value: name.as_bytes().to_vec(),
        }));
    }
    ContentDisposition { disposition: DispositionType::Attachment, parameters }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::TryIntoHeaderValue;

    fn header(name: &str) -> String {
        attachment(name).try_into_value().unwrap().to_str().unwrap().to_owned()
    }

    #[test]
    fn an_ascii_name_is_sent_as_it_is() {
        assert_eq!(header("children.csv"), r#"attachment; filename="children.csv""#);
    }

    #[test]
    fn another_name_is_percent_encoded_beside_an_ascii_fallback() {
        assert_eq!(
            header("Laporan – Mei.pdf"),
            r#"attachment; filename="Laporan _ Mei.pdf"; filename*=UTF-8''Laporan%20%E2%80%93%20Mei.pdf"#
        );
        assert!(header("a\"b.pdf").contains("filename*=UTF-8''a%22b.pdf"));
    }
}
