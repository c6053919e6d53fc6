use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::domain::Sex;

pub use crate::records::person::PersonView;

/// A new person. Offline clients may bring their own `id`: the same person sent again with the
/// same id is answered 200 with the stored one.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "id": "0192b7a4-7777-7000-8000-000000000001", "village_code": "14.01.01.2009", "sex": "female",
    "birth_date": "2004-03-09", "name": "Nurhayati", "nik": "1401014903040002"
}))]
pub struct CreatePerson {
    pub id: Option<Uuid>,
    /// A village-tier region code.
    pub village_code: String,
    pub sex: Sex,
    /// Not in the future, nor more than 100 years ago.
    pub birth_date: NaiveDate,
    #[validate(length(min = 1, max = 200), custom(function = "crate::domain::text::non_blank"))]
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    /// 16 digits; write-only: stored only as a keyed hash, to find duplicates.
    #[schema(pattern = "^[0-9]{16}$")]
    pub nik: Option<String>,
    /// A bride- or groom-to-be's planned wedding, after the birth date: the worklist asks for
    /// the catin screening about three months before it.
    pub wedding_planned_on: Option<NaiveDate>,
}

/// Fields to change; absent fields stay as they are. A new village moves her screenings too.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"village_code": "14.01.01.2010"}))]
pub struct UpdatePerson {
    pub village_code: Option<String>,
    pub sex: Option<Sex>,
    pub birth_date: Option<NaiveDate>,
    #[validate(length(min = 1, max = 200), custom(function = "crate::domain::text::non_blank"))]
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
    /// A new NIK, or `null` to forget it.
    #[serde(default, deserialize_with = "crate::http::extract::present")]
    #[schema(value_type = Option<String>, pattern = "^[0-9]{16}$")]
    pub nik: Option<Option<String>>,
    /// A new planned wedding, or `null` when it is off.
    #[serde(default, deserialize_with = "crate::http::extract::present")]
    #[schema(value_type = Option<NaiveDate>)]
    pub wedding_planned_on: Option<Option<NaiveDate>>,
    /// Her SATUSEHAT patient id (`P` and 11 digits), or `null` to forget it. Officers and
    /// integrations only.
    #[serde(default, deserialize_with = "crate::http::extract::present")]
    #[schema(value_type = Option<String>, pattern = "^P[0-9]{11}$", example = "P02478375538")]
    pub ihs_number: Option<Option<String>>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListPeopleQuery {
    /// Only people living in this region (any tier).
    #[param(example = "14.01")]
    pub region: Option<String>,
    pub sex: Option<Sex>,
    /// Case-insensitive search in the name.
    pub q: Option<String>,
    /// Page size, 1 to 500 (default 50).
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}
