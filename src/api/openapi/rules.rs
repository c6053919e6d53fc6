//! Rules that join two fields of a request body, stated in JSON Schema where the derive cannot
//! (`if`/`then`, `anyOf`, `contains`), so generated clients and fuzzers know them. The records
//! layer checks each one and answers 422 naming the field; these say the same thing. Not for
//! records that also arrive in bulk (a TPK visit: a person or a child), where an import
//! accepts the batch and reports each record that breaks a rule in its summary.

use serde_json::{Value, json};
use utoipa::Modify;

use crate::domain::RegionLevel;

pub struct CrossFieldRules;

impl Modify for CrossFieldRules {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::RefOr;
        use utoipa::openapi::schema::Schema;
        let Some(components) = openapi.components.as_mut() else { return };
        for (name, rules) in rules() {
            if let Some(RefOr::T(Schema::Object(object))) = components.schemas.get_mut(name) {
                // One key (`allOf`) per schema: extensions are a hash map, and one key keeps the
                // document's text the same on every run.
                object.extensions.get_or_insert_with(Default::default).insert("allOf".to_owned(), Value::Array(rules));
            }
        }
    }
}

/// A field given: present and not `null` (`Option` fields accept both for "not given").
fn given(field: &str, kind: &str) -> Value {
    json!({"required": [field], "properties": {field: {"type": kind}}})
}

/// `field` equals `value`.
fn is(field: &str, value: &str) -> Value {
    json!({"required": [field], "properties": {field: {"const": value}}})
}

fn rules() -> [(&'static str, Vec<Value>); 6] {
    let tpk_member = |role: &str| json!({"contains": {"required": ["role"], "properties": {"role": {"const": role}}}});
    [
        // `records::team::check_members`: a TPK is a village's, with one member of each role.
        (
            "NewTeam",
            vec![json!({"if": is("kind", "tpk"), "then": {"properties": {
                "region_code": {"pattern": RegionLevel::Village.pattern()},
                "members": {"minItems": 3, "maxItems": 3, "allOf": [
                    tpk_member("midwife"), tpk_member("pkk_cadre"), tpk_member("family_planning_cadre")]}}}})],
        ),
        // `records::convergence::progress`: a done action says when; no other status has a day.
        (
            "ActionUpdate",
            vec![json!({"if": is("status", "done"), "then": given("done_on", "string"),
                        "else": {"properties": {"done_on": {"type": "null"}}}})],
        ),
        // `records::figure::keep`: a figure is a percentage, a count, or both; a denominator
        // comes with its count, an interval with both ends and the percentage it holds.
        (
            "FigureUpdate",
            vec![
                json!({"anyOf": [given("stunting_pct", "number"), given("stunted_count", "integer")]}),
                json!({"if": given("measured_count", "integer"), "then": given("stunted_count", "integer")}),
                json!({"if": given("ci_low_pct", "number"),
                       "then": {"allOf": [given("ci_high_pct", "number"), given("stunting_pct", "number")]}}),
                json!({"if": given("ci_high_pct", "number"), "then": given("ci_low_pct", "number")}),
            ],
        ),
        // `records::intervention::types::check_target`: a national target is a percentage
        // with its year.
        (
            "NewInterventionType",
            vec![
                json!({"if": given("national_target_pct", "number"), "then": given("national_target_year", "integer")}),
                json!({"if": given("national_target_year", "integer"), "then": given("national_target_pct", "number")}),
            ],
        ),
        // `api::interventions::create`: an activity's period is a year, or a start and an end.
        (
            "CreateIntervention",
            vec![json!({"if": given("year", "integer"),
                        "then": {"properties": {"period_start": {"type": "null"}, "period_end": {"type": "null"}}},
                        "else": {"allOf": [given("period_start", "string"), given("period_end", "string")]}})],
        ),
        // `api::users`: only an integration account may leave its secret to the service;
        // `auth::policy::scope_fits_role`: a cadre works in one village.
        (
            "CreateUser",
            vec![
                json!({"if": is("role", "integration"), "else": given("password", "string")}),
                json!({"if": is("role", "cadre"), "then": {"required": ["scope"],
                        "properties": {"scope": {"type": "string", "pattern": RegionLevel::Village.pattern()}}}}),
            ],
        ),
    ]
}
