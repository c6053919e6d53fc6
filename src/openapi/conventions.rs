//! What the derive cannot see: constraints that shared code checks (page limits, years,
//! region codes, ETags) and serde attributes utoipa ignores.

use utoipa::Modify;

/// Parameters that mean the same everywhere are checked by shared code; their constraints are
/// stated here, from the same constants, instead of in every handler.
pub fn document_convention(parameter: &mut utoipa::openapi::path::Parameter) {
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
pub struct RegionCodeFields;

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
