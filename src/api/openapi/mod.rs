//! The OpenAPI 3.1 document, generated from the handlers' own annotations. Routes are
//! registered through utoipa-actix-web, so a route cannot exist without its documentation.
//! `stunting-api openapi --output openapi/openapi.json` rewrites the checked-in copy; a test
//! fails when the two differ.

use actix_web::App;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_actix_web::AppExt;

use std::collections::HashMap;

use actix_web::http::Method;
use mime::Mime;

use crate::error::{FieldError, Problem};
use crate::http::methods::KnownPaths;
use crate::http::negotiate::Produces;

mod conventions;
mod idempotency;
mod language;
mod links;
mod responses;
mod rules;

use conventions::{
    ClosedTokenRequest, NonBlankText, ParameterConventions, PresentResponseFields, RegionCodeFields, TextItems,
};
use idempotency::IdempotentPosts;
use language::Languages;
use responses::ProblemResponses;

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
    components(schemas(Problem, FieldError, crate::dhis2::DataSet, crate::dhis2::ImportStrategy)),
    tags(
        (name = "auth", description = "Signing in and out"),
        (name = "users", description = "Accounts, roles and region scopes"),
        (name = "audit", description = "The audit trail: every write, sign-in, failed sign-in and lock-out, append-only"),
        (name = "regions", description = "The Kemendagri region hierarchy"),
        (name = "children", description = "Children under five (personal data: never for dashboards)"),
        (name = "measurements", description = "Measurements scored against the WHO 2006 standards"),
        (name = "people", description = "The first 1,000 days: women (and men screened as catin), their catin screenings and the thresholds that judge them (personal data: never for dashboards)"),
        (name = "pregnancies", description = "Pregnancies (the KIA book): HPHT, antenatal visits K1–K6, the outcome (a live birth registers the child) and postpartum visits KF1–KF4 (personal data: never for dashboards)"),
        (name = "tpk-visits", description = "Family assistance teams' (TPK) visits to catin, pregnant women, postpartum mothers and children under two (personal data: never for dashboards)"),
        (name = "cases", description = "Stunting cases and their follow-up"),
        (name = "interventions", description = "The intervention catalogue, agencies (OPD), activities and their monthly progress"),
        (name = "budgets", description = "Budget documents, lines, spending and reconciliation"),
        (name = "convergence", description = "The 8 convergence actions, their documents and the province's assessment"),
        (name = "teams", description = "TPPS coordination teams and TPK family assistance teams"),
        (name = "posyandu", description = "Village health posts, where under-fives are weighed every month"),
        (name = "worklist", description = "What a cadre, a posyandu or a TPK does next: due and overdue visits, weighings, referrals, screenings and verifications (personal data: never for dashboards)"),
        (name = "families", description = "Families at risk of stunting (BKKBN data) and their verification by villages"),
        (name = "figures", description = "Official prevalence figures (SSGI, SKI, …) and targets beside measured prevalence"),
        (name = "stats", description = "Aggregates for dashboards: no personal data"),
        (name = "dhis2", description = "DHIS2 aggregate exchange: kept aggregates out as data value sets, survey figures and intervention reports in, by code"),
        (name = "fhir", description = "FHIR R4 for SATUSEHAT: children's growth and mothers' antenatal care as Bundles (personal data: never for dashboards)"),
        (name = "changes", description = "What changed since a client last looked: the feed offline apps and integrations sync from"),
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

pub fn document() -> utoipa::openapi::OpenApi {
    let (_, mut doc) =
        App::new().into_utoipa_app().openapi(ApiDoc::openapi()).configure(super::routes).split_for_parts();
    doc.info.version = env!("CARGO_PKG_VERSION").to_owned();
    // After the routes' paths are merged in: the derive's own modifiers run before that.
    IdempotentPosts.modify(&mut doc);
    ProblemResponses.modify(&mut doc);
    links::CreatedLinks.modify(&mut doc);
    ParameterConventions.modify(&mut doc);
    ClosedTokenRequest.modify(&mut doc);
    RegionCodeFields.modify(&mut doc);
    NonBlankText.modify(&mut doc);
    TextItems.modify(&mut doc);
    rules::CrossFieldRules.modify(&mut doc);
    PresentResponseFields.modify(&mut doc);
    Languages.modify(&mut doc);
    doc
}

/// The document as checked in: pretty JSON with a final newline.
pub fn document_json() -> anyhow::Result<String> {
    Ok(document().to_pretty_json()? + "\n")
}

/// The methods each documented path takes, for the 405 of another one.
pub fn known_paths(doc: &utoipa::openapi::OpenApi) -> KnownPaths {
    KnownPaths::new(doc.paths.paths.iter().map(|(path, item)| {
        let methods = operations(item)
            .filter_map(|(method, _)| Method::from_bytes(method.to_uppercase().as_bytes()).ok())
            .collect();
        (path.clone(), methods)
    }))
}

/// The media types each operation answers with on success, for content negotiation.
pub fn produces(doc: &utoipa::openapi::OpenApi) -> Produces {
    let mut produces = HashMap::new();
    for (path, item) in &doc.paths.paths {
        for (method, operation) in operations(item) {
            let types: Vec<Mime> = operation
                .responses
                .responses
                .iter()
                .filter(|(status, _)| status.starts_with('2'))
                .filter_map(|(_, response)| match response {
                    utoipa::openapi::RefOr::T(response) => Some(response.content.keys()),
                    utoipa::openapi::RefOr::Ref(_) => None,
                })
                .flatten()
                .filter_map(|media| media.parse().ok())
                .collect();
            // No body on success (204): any Accept will do.
            if let (false, Ok(method)) = (types.is_empty(), Method::from_bytes(method.to_uppercase().as_bytes())) {
                produces.insert((method, path.clone()), types);
            }
        }
    }
    Produces::new(produces)
}
