//! Abuse limits: requests per source address, and per account behind a valid token, each a token
//! bucket (actix-governor over governor's GCRA: no counters of our own to get wrong). The account
//! limit keeps one client from crowding out the rest of its district behind a shared address (a
//! government network's NAT), and it comes first: a request it refuses spends nothing of the
//! address's allowance, so the neighbours keep theirs. A forged or expired token names no account
//! and meets only the address limit, so it buys no bucket. Health probes and metrics are not
//! limited: an orchestrator must always see the truth. Over the limit: 429 problem+json with
//! `Retry-After`.

use actix_governor::governor::NotUntil;
use actix_governor::governor::clock::{Clock, DefaultClock, QuantaInstant};
use actix_governor::governor::middleware::NoOpMiddleware;
use actix_governor::{Governor, GovernorConfig, GovernorConfigBuilder, KeyExtractor, SimpleKeyExtractionError};
use actix_web::dev::ServiceRequest;
use actix_web::http::header;
use actix_web::middleware::Condition;
use actix_web::{HttpResponse, HttpResponseBuilder, web};

use crate::auth::{JwtKeys, caller};
use crate::domain::UserId;
use crate::error::ApiError;
use crate::http::client;
use crate::i18n::Text;

type Config<K> = GovernorConfig<K, NoOpMiddleware<QuantaInstant>>;
type Limiter<K> = Condition<Governor<K, NoOpMiddleware<QuantaInstant>>>;

/// Both limiters' buckets, made once and shared by every worker (each worker's middleware is
/// its own value; the buckets must not be).
#[derive(Clone)]
pub struct RateLimits {
    address: (bool, Config<ByAddress>),
    account: (bool, Config<ByAccount>),
}

impl RateLimits {
    /// Requests a second per source address and per account, sustained, with bursts of twice
    /// as many; 0 turns a limit off.
    pub fn new(per_address: u32, per_account: u32) -> Self {
        Self {
            address: (per_address > 0, config(per_address, ByAddress)),
            account: (per_account > 0, config(per_account, ByAccount)),
        }
    }

    pub fn per_address(&self) -> Limiter<ByAddress> {
        Condition::new(self.address.0, Governor::new(&self.address.1))
    }

    pub fn per_account(&self) -> Limiter<ByAccount> {
        Condition::new(self.account.0, Governor::new(&self.account.1))
    }
}

fn config<K: KeyExtractor>(per_second: u32, key: K) -> Config<K> {
    let rate = per_second.max(1);
    GovernorConfigBuilder::default()
        .nanoseconds_per_request(1_000_000_000 / u64::from(rate))
        .burst_size(rate.saturating_mul(2))
        .key_extractor(key)
        .finish()
        .expect("a positive period and burst make a valid quota")
}

fn exempt(req: &ServiceRequest) -> bool {
    req.path().starts_with("/health") || req.path() == "/metrics"
}

fn too_many(negative: &NotUntil<QuantaInstant>, detail: Text) -> HttpResponse {
    let wait = negative.wait_time_from(DefaultClock::default().now());
    HttpResponse::from_error(ApiError::TooManyRequests { detail, retry_after_secs: wait.as_secs().max(1) })
}

#[derive(Debug, Clone, Copy)]
pub struct ByAddress;

impl KeyExtractor for ByAddress {
    type Key = Option<String>;
    type KeyExtractionError = SimpleKeyExtractionError<&'static str>;

    fn extract(&self, req: &ServiceRequest) -> Result<Self::Key, Self::KeyExtractionError> {
        Ok((!exempt(req)).then(|| client::source_address(req.request())))
    }

    fn exceed_rate_limit_response(&self, negative: &NotUntil<QuantaInstant>, _: HttpResponseBuilder) -> HttpResponse {
        too_many(negative, text!("too many requests from this address; slow down"))
    }

    fn whitelisted_keys(&self) -> Vec<Self::Key> {
        vec![None]
    }
}

#[derive(Debug, Clone, Copy)]
pub struct ByAccount;

impl KeyExtractor for ByAccount {
    type Key = Option<UserId>;
    type KeyExtractionError = SimpleKeyExtractionError<&'static str>;

    /// The account of a valid token; none (not limited here) without one: such a request is
    /// refused with 401, or is public, and the address limit covers it.
    fn extract(&self, req: &ServiceRequest) -> Result<Self::Key, Self::KeyExtractionError> {
        if exempt(req) {
            return Ok(None);
        }
        let token = req.headers().get(header::AUTHORIZATION).and_then(caller::bearer);
        let keys = req.app_data::<web::Data<JwtKeys>>();
        Ok(token.zip(keys).and_then(|(token, keys)| keys.verify(token).ok()).map(|claims| claims.sub))
    }

    fn exceed_rate_limit_response(&self, negative: &NotUntil<QuantaInstant>, _: HttpResponseBuilder) -> HttpResponse {
        too_many(negative, text!("too many requests from this account; slow down"))
    }

    fn whitelisted_keys(&self) -> Vec<Self::Key> {
        vec![None]
    }
}
