use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::domain::Role;

pub use crate::records::user::UserView;

/// A new account. Integration accounts may omit `password`: the service then generates a
/// client secret and returns it once, in `client_secret`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "username": "cadre.kumantan", "password": "a long passphrase here", "role": "cadre",
    "scope": "14.01.01.2009", "display_name": "Kader Posyandu Melati"
}))]
pub struct CreateUser {
    /// 3 to 64 characters: letters, digits, `.`, `_`, `-`, `@`; stored in lower case.
    #[validate(length(min = 3, max = 64))]
    #[schema(min_length = 3, max_length = 64, pattern = r"^\s*[A-Za-z0-9._@-]+\s*$")]
    pub username: String,
    /// 12 to 128 characters.
    #[validate(length(min = 12, max = 128))]
    #[schema(min_length = 12, max_length = 128)]
    pub password: Option<String>,
    pub role: Role,
    /// A region code, or `null` for all of Indonesia (admins only). A cadre's scope is a village.
    pub scope: Option<String>,
    #[validate(length(min = 1, max = 200), custom(function = "crate::domain::text::non_blank"))]
    #[schema(min_length = 1, max_length = 200)]
    pub display_name: Option<String>,
}

/// The account just created; `client_secret` appears only when the service generated it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CreatedUser {
    #[serde(flatten)]
    pub user: UserView,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
}

/// Fields to change; absent fields stay as they are.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"active": false}))]
pub struct UpdateUser {
    #[validate(length(min = 1, max = 200), custom(function = "crate::domain::text::non_blank"))]
    #[schema(min_length = 1, max_length = 200)]
    pub display_name: Option<String>,
    pub role: Option<Role>,
    /// A region code, or `null` for all of Indonesia.
    #[serde(default, deserialize_with = "crate::http::extract::present")]
    #[schema(value_type = Option<String>)]
    pub scope: Option<Option<String>>,
    /// `false` locks the account out at once: its refresh tokens stop working.
    pub active: Option<bool>,
    #[validate(length(min = 12, max = 128))]
    #[schema(min_length = 12, max_length = 128)]
    pub password: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListUsersQuery {
    pub role: Option<Role>,
    pub active: Option<bool>,
    /// Page size, 1 to 500 (default 50).
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}
