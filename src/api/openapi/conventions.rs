//! What the derive cannot see: constraints that shared code checks (page limits, years,
//! region codes, ETags) and serde attributes utoipa ignores.

use utoipa::Modify;

/// Parameters that mean the same everywhere are checked by shared code (`If-Match` by
/// `IfMatch`, `limit` by `PageRequest::parse`, `year` by `year_bounds`, codes by
/// `RegionCode::parse`, `q` by `text::search`); their constraints are stated here, from the
/// same constants, instead of in every handler.
pub struct ParameterConventions;

impl Modify for ParameterConventions {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::RefOr;
        for (path, item) in openapi.paths.paths.iter_mut() {
            // A region is named by its code in its own paths (`/regions/{code}`).
            let region_path = path.starts_with("/api/v1/regions/{code}");
            for operation in super::item_operations(item) {
                for parameter in operation.parameters.iter_mut().flatten() {
                    if let RefOr::T(parameter) = parameter {
                        document_convention(parameter, region_path);
                    }
                }
            }
        }
    }
}

fn document_convention(parameter: &mut utoipa::openapi::path::Parameter, region_path: bool) {
    use utoipa::Number;
    use utoipa::openapi::RefOr;
    use utoipa::openapi::path::ParameterIn;
    use utoipa::openapi::schema::Schema;
    let name = parameter.name.as_str();
    // A `{region}` path also takes `national`; everywhere else a region is a code.
    let national = name == "region" && parameter.parameter_in == ParameterIn::Path;
    let pattern = match name {
        "code" if region_path && parameter.parameter_in == ParameterIn::Path => {
            Some(crate::domain::RegionCode::PATTERN.to_owned())
        }
        _ if national => Some(format!("^national$|{}", crate::domain::RegionCode::PATTERN)),
        // The worklist's `village` (a body's `village` is a count).
        "village" => Some(crate::domain::RegionLevel::Village.pattern().to_owned()),
        "indicators" => Some(crate::records::stats::pathway::PathwayIndicator::list_pattern()),
        _ => region_code_pattern(name).map(str::to_owned),
    };
    let bounds = match name {
        "limit" => Some((1, i64::from(crate::domain::page::MAX_LIMIT))),
        "year" => Some((i64::from(*crate::domain::YEARS.start()), i64::from(*crate::domain::YEARS.end()))),
        // The 8 convergence actions (the only `{number}` in a path).
        "number" => Some((1, 8)),
        _ => None,
    };
    // DHIS2's repeated parameters: each item is an org unit (a code or `national`) or a period.
    let item_pattern = match name {
        "orgUnit" => Some(format!("^{}$|{}", crate::dhis2::NATIONAL, crate::domain::RegionCode::PATTERN)),
        "period" => Some(crate::dhis2::period::PATTERN.to_owned()),
        _ => None,
    };
    if let (Some(RefOr::T(Schema::Array(array))), Some(pattern)) = (parameter.schema.as_mut(), item_pattern)
        && let utoipa::openapi::schema::ArrayItems::RefOrSchema(item) = &mut array.items
        && let RefOr::T(Schema::Object(item)) = item.as_mut()
    {
        item.pattern = Some(pattern);
    }
    if let Some(RefOr::T(Schema::Object(object))) = parameter.schema.as_mut() {
        if let Some(pattern) = pattern {
            object.pattern = Some(pattern);
        }
        if let Some((low, high)) = bounds {
            object.minimum = Some(Number::Int(low as isize));
            object.maximum = Some(Number::Int(high as isize));
        }
        // A cursor is one the list handed out (`PageRequest::parse`): never empty.
        if name == "cursor" {
            object.min_length = Some(1);
        }
        // A name search (`text::search`).
        if name == "q" {
            object.max_length = Some(crate::domain::text::SEARCH_MAX_CHARS);
        }
    }
}

/// The region codes a field or parameter holds, by its name (codes are parsed by shared code,
/// `RegionCode::parse` and `regions::parse_at`, whatever the resource).
fn region_code_pattern(name: &str) -> Option<&'static str> {
    use crate::domain::{RegionCode, RegionLevel};
    match name {
        // An account's `scope` is a region code (or `null`, all of Indonesia).
        "region" | "within" | "parent" | "region_code" | "parent_code" | "scope" => Some(RegionCode::PATTERN),
        "district" | "district_code" => Some(RegionLevel::District.pattern()),
        "village_code" => Some(RegionLevel::Village.pattern()),
        "province_code" => Some(RegionLevel::Province.pattern()),
        _ => None,
    }
}

/// Fields named for a tier of region code get that tier's pattern (unless the type says more).
pub struct RegionCodeFields;

impl Modify for RegionCodeFields {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::RefOr;
        use utoipa::openapi::schema::Schema;
        let Some(components) = openapi.components.as_mut() else { return };
        for (schema_name, schema) in components.schemas.iter_mut() {
            let RefOr::T(Schema::Object(object)) = schema else { continue };
            for (name, property) in object.properties.iter_mut() {
                // A new region's `code` (`RegionCode::parse`).
                let new_region =
                    (schema_name == "CreateRegion" && name == "code").then_some(crate::domain::RegionCode::PATTERN);
                if let (Some(pattern), RefOr::T(Schema::Object(field))) =
                    (region_code_pattern(name).or(new_region), &mut *property)
                    && field.pattern.is_none()
                {
                    field.pattern = Some(pattern.to_owned());
                }
                // A budget line's villages (`budget::lines`: each a village of the budget's region).
                if name == "village_codes"
                    && let Some(item) = array_item(property)
                {
                    item.pattern = Some(crate::domain::RegionLevel::Village.pattern().to_owned());
                }
            }
        }
    }
}

/// Text a record must have is never blank: every field of at least one character is checked by
/// `text::non_blank` (spaces alone are no name), which the document states as a pattern.
/// Passwords are any characters.
pub struct NonBlankText;

impl Modify for NonBlankText {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::RefOr;
        use utoipa::openapi::schema::Schema;
        let Some(components) = openapi.components.as_mut() else { return };
        for schema in components.schemas.values_mut() {
            let RefOr::T(Schema::Object(object)) = schema else { continue };
            for (name, property) in object.properties.iter_mut() {
                if let RefOr::T(Schema::Object(field)) = property
                    && field.min_length.is_some_and(|least| least >= 1)
                    && field.pattern.is_none()
                    && name != "password"
                {
                    field.pattern = Some(crate::domain::text::NON_BLANK_PATTERN.to_owned());
                }
            }
        }
    }
}

/// Lists of texts whose every item a handler checks (utoipa states bounds only on the list):
/// schema, field, and the bounds of each item, which must not be blank either.
const TEXT_ITEMS: &[(&str, &str, usize, usize)] = &[
    // `api::cases::update`: each likely cause of an audit.
    ("CaseAudit", "likely_causes", 1, 200),
];

pub struct TextItems;

impl Modify for TextItems {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::RefOr;
        use utoipa::openapi::schema::Schema;
        let Some(components) = openapi.components.as_mut() else { return };
        for &(schema, field, least, most) in TEXT_ITEMS {
            if let Some(RefOr::T(Schema::Object(object))) = components.schemas.get_mut(schema)
                && let Some(item) = object.properties.get_mut(field).and_then(array_item)
            {
                item.min_length = Some(least);
                item.max_length = Some(most);
                item.pattern = Some(crate::domain::text::NON_BLANK_PATTERN.to_owned());
            }
        }
    }
}

/// The schema of each item of a list property written inline (`None` for anything else).
fn array_item(
    property: &mut utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>,
) -> Option<&mut utoipa::openapi::schema::Object> {
    use utoipa::openapi::RefOr;
    use utoipa::openapi::schema::{ArrayItems, Schema};
    let RefOr::T(Schema::Array(list)) = property else { return None };
    let ArrayItems::RefOrSchema(item) = &mut list.items else { return None };
    let RefOr::T(Schema::Object(item)) = item.as_mut() else { return None };
    Some(item)
}

/// serde refuses unknown fields in either kind of credentials (`deny_unknown_fields` on the
/// internally tagged `TokenRequest`), but utoipa reads that attribute only on structs, so it
/// would document both variants as open objects.
pub struct ClosedTokenRequest;

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

/// Fields serde leaves out of an answer when they have nothing to say (`skip_serializing_if`):
/// the only properties of a response-only schema that are not always present.
const SOMETIMES_ABSENT: &[(&str, &str)] = &[
    ("Problem", "errors"),
    ("Problem", "existing_id"),
    ("Problem", "current"),
    ("RegionCounts", "district"),
    ("RegionCounts", "subdistrict"),
    ("RegionCounts", "village"),
    // FHIR JSON leaves out what is empty: no `entry` in an empty Bundle, no `link` on the
    // last one, no `request` outside a transaction.
    ("Bundle", "entry"),
    ("Bundle", "link"),
    ("BundleEntry", "request"),
];

/// utoipa marks an `Option` field optional, but the service always sends it (as `null` when
/// empty). For schemas that only ever appear in answers, every property is therefore required,
/// so clients generated from the document need not handle "absent" as well as `null`; the test
/// suite validates every answer against this. Schemas that requests use too keep their optional
/// fields.
pub struct PresentResponseFields;

impl Modify for PresentResponseFields {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use std::collections::BTreeSet;

        use utoipa::openapi::RefOr;
        use utoipa::openapi::schema::Schema;

        let Some(components) = openapi.components.as_ref() else { return };
        let (mut answers, mut requests) = (Vec::new(), Vec::new());
        for response in components.responses.values() {
            collect_response(response, &mut answers);
        }
        for item in openapi.paths.paths.values() {
            for (_, operation) in super::operations(item) {
                for response in operation.responses.responses.values() {
                    collect_response(response, &mut answers);
                }
                for body in operation.request_body.iter() {
                    if let RefOr::T(body) = body {
                        requests.extend(body.content.values().filter_map(content_schema));
                    }
                }
                for parameter in operation.parameters.iter().flatten() {
                    if let RefOr::T(parameter) = parameter {
                        requests.extend(parameter.schema.clone());
                    }
                }
            }
        }
        let reachable = |roots: &[RefOr<Schema>]| {
            let mut names = BTreeSet::new();
            let mut pending: Vec<&RefOr<Schema>> = roots.iter().collect();
            while let Some(schema) = pending.pop() {
                for name in referenced(schema) {
                    if let Some(found) = components.schemas.get(&name)
                        && names.insert(name)
                    {
                        pending.push(found);
                    }
                }
            }
            names
        };
        let answer_only: Vec<String> = reachable(&answers).difference(&reachable(&requests)).cloned().collect();
        let Some(components) = openapi.components.as_mut() else { return };
        for name in answer_only {
            if let Some(RefOr::T(Schema::Object(object))) = components.schemas.get_mut(&name) {
                object.required = object
                    .properties
                    .keys()
                    .filter(|field| !SOMETIMES_ABSENT.contains(&(name.as_str(), field.as_str())))
                    .cloned()
                    .collect();
            }
        }
    }
}

fn collect_response(
    response: &utoipa::openapi::RefOr<utoipa::openapi::Response>,
    into: &mut Vec<utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>>,
) {
    if let utoipa::openapi::RefOr::T(response) = response {
        into.extend(response.content.values().filter_map(content_schema));
    }
}

fn content_schema(
    content: &utoipa::openapi::RefOr<utoipa::openapi::Content>,
) -> Option<utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>> {
    match content {
        utoipa::openapi::RefOr::T(content) => content.schema.clone(),
        utoipa::openapi::RefOr::Ref(_) => None,
    }
}

/// The component schemas `schema` names directly, or through its properties, items and parts.
fn referenced(schema: &utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>) -> Vec<String> {
    use utoipa::openapi::RefOr;
    use utoipa::openapi::schema::{AdditionalProperties, ArrayItems, Schema};
    match schema {
        RefOr::Ref(reference) => {
            reference.ref_location.strip_prefix("#/components/schemas/").map(str::to_owned).into_iter().collect()
        }
        RefOr::T(Schema::Object(object)) => {
            let extra = match object.additional_properties.as_deref() {
                Some(AdditionalProperties::RefOr(RefOr::Ref(reference))) => Some(RefOr::Ref(reference.clone())),
                _ => None,
            };
            object.properties.values().chain(extra.as_ref()).flat_map(referenced).collect()
        }
        RefOr::T(Schema::Array(array)) => match &array.items {
            ArrayItems::RefOrSchema(items) => referenced(items),
            _ => Vec::new(),
        },
        RefOr::T(Schema::OneOf(one_of)) => one_of.items.iter().flat_map(referenced).collect(),
        RefOr::T(Schema::AllOf(all_of)) => all_of.items.iter().flat_map(referenced).collect(),
        RefOr::T(Schema::AnyOf(any_of)) => any_of.items.iter().flat_map(referenced).collect(),
        _ => Vec::new(),
    }
}
