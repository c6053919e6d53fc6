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
            regions, accounts, and (as they land) children, measurements, cases, interventions \
            and budgets. Conventions (errors, pagination, concurrency) are in docs/API.md.",
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

/// Every 4xx and 5xx answer is a problem document: handlers list their error statuses with a
/// description, and this says once what their body is.
struct ProblemResponses;

impl Modify for ProblemResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{ContentBuilder, RefOr, Response};
        let problem =
            ContentBuilder::new().schema(Some(RefOr::Ref(utoipa::openapi::Ref::from_schema_name("Problem")))).build();
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
            }
        }
    }
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
    doc
}

/// The document as checked in: pretty JSON with a final newline.
pub fn document_json() -> anyhow::Result<String> {
    Ok(document().to_pretty_json()? + "\n")
}
