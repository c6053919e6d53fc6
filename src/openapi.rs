//! The OpenAPI 3.1 document, generated from the handlers' own annotations. Routes are
//! registered through utoipa-actix-web, so a route cannot exist without its documentation.
//! `stunting-api openapi --output openapi/openapi.json` rewrites the checked-in copy; a test
//! fails when the two differ.

use actix_web::App;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_actix_web::AppExt;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::error::{FieldError, Problem};
use crate::http::{health, metrics};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "stunting-api",
        description = "REST/JSON API for Indonesia's programme to accelerate stunting reduction: \
            regions, accounts, children, measurements, cases, interventions, budgets and the \
            convergence framework. Every operation lists every status it can answer; errors are \
            application/problem+json. Conventions (errors, pagination, concurrency, content \
            negotiation) are in docs/API.md.",
        license(name = "Apache-2.0", identifier = "Apache-2.0"),
    ),
    modifiers(&BearerAuth),
    components(schemas(Problem, FieldError)),
    tags(
        (name = "auth", description = "Signing in and out"),
        (name = "users", description = "Accounts, roles and region scopes"),
        (name = "regions", description = "The Kemendagri region hierarchy"),
        (name = "children", description = "Children under five (personal data: never for dashboards)"),
        (name = "measurements", description = "Measurements scored against the WHO 2006 standards"),
        (name = "cases", description = "Stunting cases and their follow-up"),
        (name = "interventions", description = "The intervention catalogue, agencies (OPD), activities and their monthly progress"),
        (name = "budgets", description = "Budget documents, lines, spending and reconciliation"),
        (name = "convergence", description = "The 8 convergence actions, their documents and the province's assessment"),
        (name = "teams", description = "TPPS coordination teams and TPK family assistance teams"),
        (name = "families", description = "Families at risk of stunting (BKKBN data) and their verification by villages"),
        (name = "figures", description = "Official prevalence figures (SSGI, SKI, …) and targets beside measured prevalence"),
        (name = "stats", description = "Aggregates for dashboards: no personal data"),
        (name = "operations", description = "Health and metrics"),
    )
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::builder().scheme(HttpAuthScheme::Bearer).bearer_format("JWT").build()),
        );
    }
}

/// Every 4xx and 5xx answer is a problem document: handlers list their own error statuses with
/// a description, and this says once what their body is. It also lists the answers that shared
/// code, not the handler, gives: any operation can be refused for its `Accept` header or fail
/// while the database is away; one that takes a body can get a malformed, too large or mistyped
/// one; one that takes parameters can get invalid ones; a protected one no valid token; a
/// conditional write a missing `If-Match`. Those are shared responses under
/// `components/responses`, so generated clients know every status they can meet and no
/// handler writes them out again.
struct ProblemResponses;

/// (status, component name, description), in the order an operation may need them.
const ANY_OPERATION: &[(&str, &str, &str)] = &[
    ("406", "NotAcceptable", "The Accept header names no media type this operation produces"),
    ("500", "InternalError", "An unexpected failure; the problem carries no cause (the log has it)"),
    ("503", "Unavailable", "The database cannot be reached now; retry after Retry-After seconds"),
];
/// One 400 for whatever can be malformed: the body, an `If-Match`, a cursor.
const BAD_REQUEST: (&str, &str, &str) = (
    "400",
    "BadRequest",
    "Malformed: a body that is not JSON or cannot be read, an If-Match that is not an ETag this API \
     gave out, or a cursor it did not hand out",
);
const WITH_BODY: &[(&str, &str, &str)] = &[
    BAD_REQUEST,
    ("413", "BodyTooLarge", "The body is larger than the service accepts (MAX_BODY_BYTES)"),
    ("415", "UnsupportedMediaType", "The body's Content-Type is not one this operation takes"),
    ("422", "InvalidRequest", "Invalid fields or parameters: `errors` names each"),
];
const WITH_PARAMETERS: &[(&str, &str, &str)] =
    &[("422", "InvalidRequest", "Invalid fields or parameters: `errors` names each")];
/// A list can be sent a cursor it never handed out.
const WITH_CURSOR: &[(&str, &str, &str)] = &[BAD_REQUEST];
/// An operation behind the bearer scheme.
const PROTECTED: &[(&str, &str, &str)] = &[("401", "Unauthenticated", "No valid access token")];
/// A conditional write: its `If-Match` can be missing or malformed (its 412 says what changed).
const CONDITIONAL: &[(&str, &str, &str)] = &[
    BAD_REQUEST,
    ("428", "PreconditionRequired", "`If-Match` is missing, or `*`: send the ETag of the version you read"),
];

impl Modify for ProblemResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::schema::Type;
        use utoipa::openapi::{ContentBuilder, ObjectBuilder, Ref, RefOr, Response, ResponseBuilder};
        let problem = ContentBuilder::new().schema(Some(RefOr::Ref(Ref::from_schema_name("Problem")))).build();
        let components = openapi.components.get_or_insert_with(Default::default);
        let tables = [ANY_OPERATION, WITH_BODY, PROTECTED, CONDITIONAL];
        for (status, name, description) in tables.into_iter().flatten() {
            let mut response =
                ResponseBuilder::new().description(*description).content(crate::error::PROBLEM_JSON, problem.clone());
            if *status == "503" {
                let seconds = ObjectBuilder::new().schema_type(Type::Integer).build();
                response = response.header("Retry-After", utoipa::openapi::header::Header::new(seconds));
            }
            components.responses.insert((*name).to_owned(), RefOr::T(response.build()));
        }
        for item in openapi.paths.paths.values_mut() {
            for operation in item_operations(item) {
                for (status, response) in operation.responses.responses.iter_mut() {
                    let is_error = status.starts_with('4') || status.starts_with('5');
                    if let (true, RefOr::T(Response { content, .. })) = (is_error, response)
                        && content.is_empty()
                    {
                        content.insert(crate::error::PROBLEM_JSON.to_owned(), RefOr::T(problem.clone()));
                    }
                }
                for parameter in operation.parameters.iter_mut().flatten() {
                    if let RefOr::T(parameter) = parameter {
                        document_convention(parameter);
                    }
                }
                let parameters = operation.parameters.as_deref().unwrap_or_default();
                let named = |name: &str| parameters.iter().any(|p| matches!(p, RefOr::T(p) if p.name == name));
                let when = |applies: bool, table| if applies { table } else { &[] as &[(&str, &str, &str)] };
                let shared = ANY_OPERATION
                    .iter()
                    .chain(when(operation.request_body.is_some(), WITH_BODY))
                    .chain(when(!parameters.is_empty(), WITH_PARAMETERS))
                    .chain(when(named("cursor"), WITH_CURSOR))
                    .chain(when(operation.security.as_ref().is_some_and(|s| !s.is_empty()), PROTECTED))
                    .chain(when(named("If-Match"), CONDITIONAL));
                for (status, name, _) in shared {
                    operation
                        .responses
                        .responses
                        .entry((*status).to_owned())
                        .or_insert_with(|| RefOr::Ref(Ref::new(format!("#/components/responses/{name}"))));
                }
            }
        }
    }
}

/// Parameters that mean the same everywhere are checked by shared code; their constraints are
/// stated here, from the same constants, instead of in every handler.
fn document_convention(parameter: &mut utoipa::openapi::path::Parameter) {
    use utoipa::Number;
    use utoipa::openapi::path::ParameterIn;
    use utoipa::openapi::schema::{Schema, Type};
    use utoipa::openapi::{ObjectBuilder, RefOr};
    match parameter.name.as_str() {
        // An ETag is a quoted version; say so, so clients and fuzzers send one.
        "If-Match" => {
            let etag = ObjectBuilder::new().schema_type(Type::String).pattern(Some(r#"^(W/)?"[0-9]+"$"#));
            parameter.schema = Some(RefOr::T(etag.build().into()));
        }
        // A `{region}` path also takes `national`; everywhere else a region is a code.
        name if region_code_pattern(name).is_some()
            && !(name == "region" && parameter.parameter_in == ParameterIn::Path) =>
        {
            let pattern = region_code_pattern(name).map(str::to_owned);
            if let Some(RefOr::T(Schema::Object(object))) = parameter.schema.as_mut() {
                object.pattern = pattern;
            }
        }
        // Every list pages through `PageRequest::parse`; every period year through `year_bounds`.
        "limit" | "year" => {
            let (low, high) = match parameter.name.as_str() {
                "limit" => (1, i64::from(crate::http::pagination::MAX_LIMIT)),
                _ => (i64::from(*crate::domain::YEARS.start()), i64::from(*crate::domain::YEARS.end())),
            };
            if let Some(RefOr::T(Schema::Object(object))) = parameter.schema.as_mut() {
                object.minimum = Some(Number::Int(low as isize));
                object.maximum = Some(Number::Int(high as isize));
            }
        }
        _ => {}
    }
}

/// The region codes a field or parameter holds, by its name (codes are parsed by shared code,
/// `RegionCode::parse` and `regions::parse_at`, whatever the resource).
fn region_code_pattern(name: &str) -> Option<&'static str> {
    use crate::domain::{RegionCode, RegionLevel};
    match name {
        "region" | "within" | "parent" | "region_code" | "parent_code" => Some(RegionCode::PATTERN),
        "district" | "district_code" => Some(RegionLevel::District.pattern()),
        "village_code" => Some(RegionLevel::Village.pattern()),
        "province_code" => Some(RegionLevel::Province.pattern()),
        _ => None,
    }
}

/// Fields named for a tier of region code get that tier's pattern (unless the type says more).
struct RegionCodeFields;

impl Modify for RegionCodeFields {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::RefOr;
        use utoipa::openapi::schema::Schema;
        let Some(components) = openapi.components.as_mut() else { return };
        for schema in components.schemas.values_mut() {
            let RefOr::T(Schema::Object(object)) = schema else { continue };
            for (name, property) in object.properties.iter_mut() {
                if let (Some(pattern), RefOr::T(Schema::Object(field))) = (region_code_pattern(name), property)
                    && field.pattern.is_none()
                {
                    field.pattern = Some(pattern.to_owned());
                }
            }
        }
    }
}

/// The operations of a path, by lower-case method name.
pub fn operations(
    item: &utoipa::openapi::PathItem,
) -> impl Iterator<Item = (&'static str, &utoipa::openapi::path::Operation)> {
    [
        ("get", &item.get),
        ("put", &item.put),
        ("post", &item.post),
        ("delete", &item.delete),
        ("options", &item.options),
        ("head", &item.head),
        ("patch", &item.patch),
        ("trace", &item.trace),
    ]
    .into_iter()
    .filter_map(|(method, operation)| operation.as_ref().map(|o| (method, o)))
}

fn item_operations(
    item: &mut utoipa::openapi::PathItem,
) -> impl Iterator<Item = &mut utoipa::openapi::path::Operation> {
    [
        &mut item.get,
        &mut item.put,
        &mut item.post,
        &mut item.delete,
        &mut item.options,
        &mut item.head,
        &mut item.patch,
        &mut item.trace,
    ]
    .into_iter()
    .flatten()
}

/// Every documented route of the service.
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(health::live).service(health::ready).service(metrics::metrics);
    crate::api::v1(cfg);
}

pub fn document() -> utoipa::openapi::OpenApi {
    let (_, mut doc) = App::new().into_utoipa_app().openapi(ApiDoc::openapi()).configure(routes).split_for_parts();
    doc.info.version = env!("CARGO_PKG_VERSION").to_owned();
    // After the routes' paths are merged in: the derive's own modifiers run before that.
    ProblemResponses.modify(&mut doc);
    ClosedTokenRequest.modify(&mut doc);
    RegionCodeFields.modify(&mut doc);
    doc
}

/// serde refuses unknown fields in either kind of credentials (`deny_unknown_fields` on the
/// internally tagged `TokenRequest`), but utoipa reads that attribute only on structs, so it
/// would document both variants as open objects.
struct ClosedTokenRequest;

impl Modify for ClosedTokenRequest {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::RefOr;
        use utoipa::openapi::schema::{AdditionalProperties, Schema};
        let schemas = openapi.components.as_mut().map(|c| &mut c.schemas);
        if let Some(RefOr::T(Schema::OneOf(one_of))) = schemas.and_then(|s| s.get_mut("TokenRequest")) {
            for variant in &mut one_of.items {
                if let RefOr::T(Schema::Object(object)) = variant {
                    object.additional_properties = Some(Box::new(AdditionalProperties::FreeForm(false)));
                }
            }
        }
    }
}

/// The document as checked in: pretty JSON with a final newline.
pub fn document_json() -> anyhow::Result<String> {
    Ok(document().to_pretty_json()? + "\n")
}
