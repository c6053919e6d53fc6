use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::domain::Sex;

pub use crate::records::child::{ChildView, NewChild};

/// A new child. Offline clients may bring their own `id`: sending the same child again with
/// the same id is answered 200 with the stored child instead of creating a second one.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "id": "7b0c2f0e-3c1a-4c55-9f0e-2d7f1a9b8c01", "village_code": "14.01.01.2009", "sex": "female",
    "birth_date": "2023-05-14", "name": "Siti Aminah", "mother_name": "Nurhayati", "nik": "1401015405230001",
    "kia_book": true
}))]
pub struct CreateChild {
    pub id: Option<Uuid>,
    /// A village-tier region code.
    pub village_code: String,
    pub sex: Sex,
    pub birth_date: NaiveDate,
    #[validate(length(min = 1, max = 200), custom(function = "crate::domain::text::non_blank"))]
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    #[validate(length(min = 1, max = 200), custom(function = "crate::domain::text::non_blank"))]
    #[schema(min_length = 1, max_length = 200)]
    pub mother_name: Option<String>,
    /// The mother's record, when she is registered (`POST /api/v1/people`): a living woman
    /// the caller may read.
    pub mother_id: Option<Uuid>,
    /// 16 digits; write-only: stored only as a keyed hash, to find duplicates.
    #[schema(pattern = "^[0-9]{16}$")]
    pub nik: Option<String>,
    /// The posyandu she is registered to: an active one of her own village.
    pub posyandu_id: Option<Uuid>,
    /// Whether she has a KMS or KIA book (leave out when not known).
    pub kia_book: Option<bool>,
}

/// Fields to change; absent fields stay as they are. Changing sex or birth date rescores
/// every measurement and recomputes the cases.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"village_code": "14.01.01.2010", "mother_name": "Nurhayati"}))]
pub struct UpdateChild {
    pub village_code: Option<String>,
    pub sex: Option<Sex>,
    pub birth_date: Option<NaiveDate>,
    #[validate(length(min = 1, max = 200), custom(function = "crate::domain::text::non_blank"))]
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
    /// `null` removes it.
    #[serde(default, deserialize_with = "crate::http::extract::present")]
    #[schema(value_type = Option<String>)]
    pub mother_name: Option<Option<String>>,
    /// Links the child to the mother's record, or `null` unlinks it.
    #[serde(default, deserialize_with = "crate::http::extract::present")]
    #[schema(value_type = Option<Uuid>)]
    pub mother_id: Option<Option<Uuid>>,
    /// A new NIK, or `null` to forget it.
    #[serde(default, deserialize_with = "crate::http::extract::present")]
    #[schema(value_type = Option<String>, pattern = "^[0-9]{16}$")]
    pub nik: Option<Option<String>>,
    /// Registers her to an active posyandu of her (new) village, or `null` to none. A move to
    /// another village that names no posyandu leaves the old one.
    #[serde(default, deserialize_with = "crate::http::extract::present")]
    #[schema(value_type = Option<Uuid>)]
    pub posyandu_id: Option<Option<Uuid>>,
    /// Whether she has a KMS or KIA book, or `null`: not known.
    #[serde(default, deserialize_with = "crate::http::extract::present")]
    #[schema(value_type = Option<bool>)]
    pub kia_book: Option<Option<bool>>,
    /// Her SATUSEHAT patient id (`P` and 11 digits), or `null` to forget it. Officers and
    /// integrations only.
    #[serde(default, deserialize_with = "crate::http::extract::present")]
    #[schema(value_type = Option<String>, pattern = "^P[0-9]{11}$", example = "P02478375538")]
    pub ihs_number: Option<Option<String>>,
}

/// Why a record is removed. It stays in the database, out of lists and aggregates.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"reason": "registered twice; the other record is kept"}))]
pub struct RemovalReason {
    #[validate(length(min = 3, max = 500), custom(function = "crate::domain::text::non_blank"))]
    #[schema(min_length = 3, max_length = 500)]
    pub reason: String,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListChildrenQuery {
    /// Only children living in this region (any tier).
    #[param(example = "14.01")]
    pub region: Option<String>,
    pub sex: Option<Sex>,
    /// Born on or after this date.
    pub born_from: Option<NaiveDate>,
    /// Born on or before this date.
    pub born_to: Option<NaiveDate>,
    /// Case-insensitive search in the child's name.
    pub q: Option<String>,
    /// Only children with (`true`) or without (`false`) an open stunting case.
    pub has_open_case: Option<bool>,
    /// `true`: only lokus (priority) villages of the current year.
    pub lokus: Option<bool>,
    /// Page size, 1 to 500 (default 50).
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}
