//! Errors in the caller's language (`http::language`): every operation takes `Accept-Language`
//! and every problem says which language it is written in (`Content-Language`). Stated here
//! once for all of them, after `ProblemResponses` has given every operation its problems.

use utoipa::Modify;
use utoipa::openapi::header::Header;
use utoipa::openapi::path::{Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::{Ref, RefOr, Response};

use super::item_operations;
use crate::error::PROBLEM_JSON;

pub struct Languages;

impl Modify for Languages {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.parameters.insert("AcceptLanguage".to_owned(), accept_language());
        components.headers.insert("ContentLanguage".to_owned(), RefOr::T(content_language()));
        components.responses.values_mut().for_each(label_problem);
        for item in openapi.paths.paths.values_mut() {
            for operation in item_operations(item) {
                let parameter = RefOr::Ref(Ref::new("#/components/parameters/AcceptLanguage"));
                operation.parameters.get_or_insert_with(Vec::new).push(parameter);
                operation.responses.responses.values_mut().for_each(label_problem);
            }
        }
    }
}

fn accept_language() -> RefOr<Parameter> {
    // Any value: a preference is never a reason to refuse a request (unknown ones read as `en`).
    let schema = ObjectBuilder::new().schema_type(Type::String).examples(["id"]).build();
    RefOr::T(
        ParameterBuilder::new()
            .name("Accept-Language")
            .parameter_in(ParameterIn::Header)
            .description(Some(
                "The language of error answers: `id` (Indonesian, also `in`) or `en` (English, the \
                 default), ranked as RFC 9110 says (`id-ID,id;q=0.9,en;q=0.8`). A problem's `title`, \
                 `detail` and every field's `message` are written in the first of the two the caller \
                 ranks; records and codes are not translated. Any other value is answered in English.",
            ))
            .schema(Some(schema))
            .build(),
    )
}

fn content_language() -> Header {
    let schema = ObjectBuilder::new().schema_type(Type::String).enum_values(Some(["en", "id"])).build();
    let mut header = Header::new(schema);
    header.description = Some("The language the problem is written in".to_owned());
    header
}

/// `Content-Language` on a problem answer.
fn label_problem(response: &mut RefOr<Response>) {
    if let RefOr::T(response) = response
        && response.content.contains_key(PROBLEM_JSON)
    {
        let header = RefOr::Ref(Ref::new("#/components/headers/ContentLanguage"));
        response.headers.insert("Content-Language".to_owned(), header);
    }
}
