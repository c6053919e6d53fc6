//! The language a caller reads errors in: `Accept-Language` (RFC 9110), Indonesian (`id`, or
//! its old code `in`) or English, English when the caller names neither.

use actix_web::HttpRequest;
use actix_web::http::header::{AcceptLanguage, Header, Preference, Quality};

use crate::i18n::Lang;

/// The first language the caller ranks that we write, by quality (ties in the order given);
/// one it rules out (`q=0`) is never chosen, and `*` is English.
pub fn preferred(req: &HttpRequest) -> Lang {
    let Ok(AcceptLanguage(mut ranges)) = AcceptLanguage::parse(req) else { return Lang::default() };
    ranges.sort_by_key(|range| std::cmp::Reverse(range.quality));
    ranges
        .into_iter()
        .filter(|range| range.quality > Quality::ZERO)
        .find_map(|range| match range.item {
            Preference::Any => Some(Lang::En),
            Preference::Specific(tag) => Lang::from_primary(tag.primary_language()),
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use actix_web::test::TestRequest;

    use super::*;

    fn lang(header: &str) -> Lang {
        preferred(&TestRequest::default().insert_header(("Accept-Language", header)).to_http_request())
    }

    #[test]
    fn the_callers_first_language_we_write_wins() {
        assert_eq!(preferred(&TestRequest::default().to_http_request()), Lang::En);
        for (header, expected) in [
            ("id", Lang::Id),
            ("id-ID,id;q=0.9,en;q=0.8", Lang::Id),
            ("en-US,en;q=0.9,id;q=0.8", Lang::En),
            ("jv, id;q=0.5", Lang::Id),
            ("fr, de", Lang::En),
            ("en;q=0.2, id;q=0.7", Lang::Id),
            ("id;q=0, *", Lang::En),
            ("in", Lang::Id),
            ("not a language header ;;;", Lang::En),
        ] {
            assert_eq!(lang(header), expected, "{header}");
        }
    }
}
