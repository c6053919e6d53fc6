//! HTTP plumbing shared by every endpoint: extractors that answer bad input with a clear
//! problem document, preconditions, request ids, logs and metrics.

pub mod body_deadline;
pub mod bundle;
pub mod client;
pub mod download;
pub mod export;
pub mod extract;
pub mod health;
pub mod idempotency;
pub mod language;
pub mod methods;
pub mod metrics;
pub mod negotiate;
pub mod nul_path;
pub mod precondition;
pub mod problem;
pub mod rate_limit;
pub mod request_log;
pub mod security_headers;
pub mod tabular;
pub mod upload;
