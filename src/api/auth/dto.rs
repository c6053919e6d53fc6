use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Credentials: a person's username and password, or an integration account's client id
/// and secret.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(tag = "grant_type", rename_all = "snake_case", deny_unknown_fields)]
#[schema(example = json!({"grant_type": "password", "username": "admin", "password": "change me please"}))]
pub enum TokenRequest {
    Password { username: String, password: String },
    ClientCredentials { client_id: String, client_secret: String },
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"refresh_token": "Zk3q1m2b4c5d6e7f8g9h0i1j2k3l4m5n6o7p8q9r0s1"}))]
pub struct RefreshRequest {
    pub refresh_token: String,
}

/// A new pair of tokens. Send `access_token` as `Authorization: Bearer …`; trade
/// `refresh_token` for a new pair before it expires (each refresh token works once).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "access_token": "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIuLi4ifQ.c2lnbmF0dXJl",
    "token_type": "Bearer", "expires_in": 900,
    "refresh_token": "Zk3q1m2b4c5d6e7f8g9h0i1j2k3l4m5n6o7p8q9r0s1", "refresh_expires_in": 2592000
}))]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: u64,
    pub refresh_token: String,
    /// Seconds until the refresh token expires.
    pub refresh_expires_in: u64,
}
