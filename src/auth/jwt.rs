//! Access tokens. Validation pins the configured algorithm, so `alg: none` and algorithm
//! confusion (an HS256 token signed with the RSA public key) are rejected, and it checks
//! `exp`, `nbf`, `iss` and `aud` with the configured leeway (at most 60 s).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::Context;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::config::{JwtAlgorithm, Settings};
use crate::domain::{RegionCode, Role, Scope, UserId};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub sub: UserId,
    pub role: Role,
    /// Region code the caller is confined to; absent for the whole country.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    pub iss: String,
    pub aud: String,
    pub exp: u64,
    pub nbf: u64,
    pub iat: u64,
    pub jti: Uuid,
    /// The login this token belongs to (its refresh tokens' family): ending the login ends it.
    pub sid: Uuid,
}

impl Claims {
    pub fn scope(&self) -> Option<Scope> {
        match &self.scope {
            None => Some(Scope::National),
            Some(code) => RegionCode::parse(code).ok().map(Scope::Region),
        }
    }
}

pub struct JwtKeys {
    algorithm: Algorithm,
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    issuer: String,
    audience: String,
    ttl: Duration,
    refresh_ttl: Duration,
}

const MIN_SECRET_BYTES: usize = 32;

impl JwtKeys {
    pub fn from_settings(settings: &Settings) -> anyhow::Result<Self> {
        let (algorithm, encoding, decoding) = match settings.jwt_algorithm {
            JwtAlgorithm::Hs256 => {
                let secret = match &settings.jwt_secret {
                    Some(secret) if secret.len() >= MIN_SECRET_BYTES => secret.clone().into_bytes(),
                    Some(_) => anyhow::bail!("JWT_SECRET must be at least {MIN_SECRET_BYTES} bytes"),
                    None => {
                        tracing::warn!("JWT_SECRET is unset: using a random secret, so tokens die with this process");
                        crate::auth::password::generate_secret().into_bytes()
                    }
                };
                (Algorithm::HS256, EncodingKey::from_secret(&secret), DecodingKey::from_secret(&secret))
            }
            JwtAlgorithm::EdDsa | JwtAlgorithm::Rs256 => {
                let read = |path: &Option<std::path::PathBuf>, var: &str| -> anyhow::Result<Vec<u8>> {
                    let path = path.as_ref().with_context(|| format!("{var} is required for this JWT_ALGORITHM"))?;
                    std::fs::read(path).with_context(|| format!("cannot read {var} {}", path.display()))
                };
                let private = read(&settings.jwt_private_key_file, "JWT_PRIVATE_KEY_FILE")?;
                let public = read(&settings.jwt_public_key_file, "JWT_PUBLIC_KEY_FILE")?;
                if settings.jwt_algorithm == JwtAlgorithm::EdDsa {
                    (
                        Algorithm::EdDSA,
                        EncodingKey::from_ed_pem(&private).context("JWT_PRIVATE_KEY_FILE is not an Ed25519 PEM key")?,
                        DecodingKey::from_ed_pem(&public).context("JWT_PUBLIC_KEY_FILE is not an Ed25519 PEM key")?,
                    )
                } else {
                    (
                        Algorithm::RS256,
                        EncodingKey::from_rsa_pem(&private).context("JWT_PRIVATE_KEY_FILE is not an RSA PEM key")?,
                        DecodingKey::from_rsa_pem(&public).context("JWT_PUBLIC_KEY_FILE is not an RSA PEM key")?,
                    )
                }
            }
        };
        let mut validation = Validation::new(algorithm);
        validation.leeway = settings.jwt_leeway_secs;
        validation.validate_nbf = true;
        validation.set_issuer(&[&settings.jwt_issuer]);
        validation.set_audience(&[&settings.jwt_audience]);
        validation.set_required_spec_claims(&["exp", "nbf", "iat", "iss", "aud", "sub"]);
        Ok(Self {
            algorithm,
            encoding,
            decoding,
            validation,
            issuer: settings.jwt_issuer.clone(),
            audience: settings.jwt_audience.clone(),
            ttl: settings.access_token_ttl(),
            refresh_ttl: settings.refresh_token_ttl(),
        })
    }

    /// How long a refresh token issued with these settings lives.
    pub fn refresh_ttl(&self) -> Duration {
        self.refresh_ttl
    }

    /// How long after its login ends an access token of it could still be presented: its
    /// lifetime and the clock leeway, plus a minute for a refresh that raced the ending.
    pub fn outlives_its_login(&self) -> Duration {
        self.ttl + Duration::from_secs(self.validation.leeway + 60)
    }

    /// Signs an access token of login `session`; returns it with its lifetime in seconds.
    pub fn issue(&self, user: UserId, role: Role, scope: &Scope, session: Uuid) -> anyhow::Result<(String, u64)> {
        let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs();
        let claims = Claims {
            sub: user,
            role,
            scope: scope.code().map(ToString::to_string),
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            iat: now,
            nbf: now,
            exp: now + self.ttl.as_secs(),
            jti: Uuid::new_v4(),
            sid: session,
        };
        let token = encode(&Header::new(self.algorithm), &claims, &self.encoding).context("cannot sign token")?;
        Ok((token, self.ttl.as_secs()))
    }

    pub fn verify(&self, token: &str) -> Result<Claims, jsonwebtoken::errors::Error> {
        decode::<Claims>(token, &self.decoding, &self.validation).map(|data| data.claims)
    }
}
