//! The JSON DHIS2 reads and writes at `/api/dataValueSets` (its documented format), and the
//! import summary it answers with, wrapped in the web message of DHIS2 2.38 and later.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A data value set: values that share a period, org unit or data set may say so once at the
/// top; a value's own `period`, `orgUnit` and `attributeOptionCombo` win.
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[schema(as = Dhis2DataValueSet)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(example = json!({
    "dataSet": "STUNTING_SURVEY", "period": "2024", "orgUnit": "14.01", "attributeOptionCombo": "ssgi",
    "dataValues": [
        {"dataElement": "SURVEY_STUNTING_PCT", "value": "8.4"},
        {"dataElement": "SURVEY_STUNTED", "value": "605"},
        {"dataElement": "SURVEY_MEASURED", "value": "7200"}
    ]
}))]
pub struct DataValueSet {
    /// A data set code (`STUNTING_PREVALENCE`, `STUNTING_SURVEY`, `STUNTING_INTERVENTIONS`);
    /// on import, every value must then belong to it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_set: Option<String>,
    /// When the data entry was completed (read, not kept).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub complete_date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org_unit: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attribute_option_combo: Option<String>,
    #[schema(max_items = 10000)]
    pub data_values: Vec<DataValue>,
}

/// One value of one data element, period and org unit (a Kemendagri code, or `national`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[schema(as = Dhis2DataValue)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DataValue {
    #[schema(example = "STUNTING_STUNTED")]
    pub data_element: String,
    /// `202502`, `2025Q1`, `2025S1` or `2025`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(example = "2025")]
    pub period: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(example = "14.01")]
    pub org_unit: Option<String>,
    /// The intervention type's code for `INTERVENTION_*`; absent (DHIS2's default) otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category_option_combo: Option<String>,
    /// The survey source (`ssgi`, `ski`, `e_ppgbm`, `other`) for `SURVEY_*`; absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attribute_option_combo: Option<String>,
    /// DHIS2 sends values as strings; a JSON number is read too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(schema_with = value_schema)]
    pub value: Option<Value>,
    /// Kept as an intervention report's note.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// DHIS2 bookkeeping a sender may include; read and not kept.
    #[serde(default, skip_serializing)]
    #[schema(ignore)]
    pub stored_by: Option<serde::de::IgnoredAny>,
    #[serde(default, skip_serializing)]
    #[schema(ignore)]
    pub created: Option<serde::de::IgnoredAny>,
    #[serde(default, skip_serializing)]
    #[schema(ignore)]
    pub last_updated: Option<serde::de::IgnoredAny>,
    #[serde(default, skip_serializing, alias = "followUp")]
    #[schema(ignore)]
    pub followup: Option<serde::de::IgnoredAny>,
}

/// A string (as DHIS2 writes values) or a number.
fn value_schema() -> utoipa::openapi::schema::Object {
    use utoipa::openapi::schema::{ObjectBuilder, SchemaType, Type};
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::String, Type::Number, Type::Null]))
        .description(Some("DHIS2 sends values as strings (and so do we); a JSON number is read too."))
        .examples([serde_json::json!("605")])
        .build()
}

/// A value as text, whether it came as a JSON string or number.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Value {
    Text(String),
    Number(serde_json::Number),
}

impl Value {
    pub fn text(&self) -> String {
        match self {
            Self::Text(text) => text.trim().to_owned(),
            Self::Number(number) => number.to_string(),
        }
    }
}

/// DHIS2's answer to an import (2.38 and later): the summary inside a web message.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(as = Dhis2ImportWebMessage)]
#[serde(rename_all = "camelCase")]
#[schema(example = json!({
    "httpStatus": "OK", "httpStatusCode": 200, "status": "WARNING",
    "message": "One or more conflicts encountered, please check import summary.",
    "response": {
        "responseType": "ImportSummary", "status": "WARNING",
        "importOptions": {"idSchemes": {}, "dryRun": false, "importStrategy": "CREATE_AND_UPDATE"},
        "description": "Import process completed with conflicts",
        "importCount": {"imported": 2, "updated": 1, "ignored": 1, "deleted": 0},
        "conflicts": [{"object": "14.99", "value": "orgUnit 14.99 is not a region in your scope",
                       "property": "orgUnit", "indexes": [3]}],
        "dataSetComplete": "false"
    }
}))]
pub struct ImportWebMessage {
    /// `OK`: the payload was read (request errors are `application/problem+json`).
    pub http_status: String,
    pub http_status_code: u16,
    /// `OK` without conflicts, `WARNING` with some, `ERROR` when nothing was taken.
    pub status: String,
    pub message: String,
    pub response: ImportSummary,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(as = Dhis2ImportSummary)]
#[serde(rename_all = "camelCase")]
pub struct ImportSummary {
    /// Always `ImportSummary`.
    pub response_type: String,
    /// `SUCCESS`, `WARNING` (some values ignored) or `ERROR` (none taken).
    pub status: String,
    pub import_options: ImportOptions,
    pub description: String,
    pub import_count: ImportCount,
    pub conflicts: Vec<Conflict>,
    /// Always `"false"`: completeness is not kept.
    pub data_set_complete: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(as = Dhis2ImportOptions)]
#[serde(rename_all = "camelCase")]
pub struct ImportOptions {
    /// Always empty: codes are the only scheme.
    #[schema(value_type = Object)]
    pub id_schemes: serde_json::Map<String, serde_json::Value>,
    pub dry_run: bool,
    /// `CREATE_AND_UPDATE`, `CREATE` or `UPDATE`.
    pub import_strategy: String,
}

/// Data values taken as new, taken over one already kept, and left out (each with a conflict).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(as = Dhis2ImportCount)]
pub struct ImportCount {
    pub imported: u32,
    pub updated: u32,
    pub ignored: u32,
    /// Always 0: deletion is not offered.
    pub deleted: u32,
}

/// Why values were ignored: `object` names the identifier at fault, `value` says what is wrong,
/// `indexes` the positions of the values in `dataValues` (from 0).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(as = Dhis2Conflict)]
pub struct Conflict {
    pub object: String,
    pub value: String,
    /// The value's property at fault (`dataElement`, `period`, `orgUnit`, `value`, …).
    pub property: String,
    pub indexes: Vec<usize>,
}
