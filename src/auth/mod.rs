//! Who is calling: password hashing, access tokens (JWT), refresh tokens, and the `Caller`
//! extractor every protected handler takes.

pub mod accounts;
pub mod caller;
pub mod jwt;
pub mod password;
pub mod policy;
pub mod refresh_token;

pub use caller::Caller;
pub use jwt::{Claims, JwtKeys};
