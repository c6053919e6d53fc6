//! `Caller`: the authenticated user behind a request, from its bearer token. Handlers take it
//! as an argument, so a handler without it is visibly public; role and scope checks are
//! methods on it, so every check reads the same way.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};

use crate::auth::JwtKeys;
use crate::domain::{RegionCode, RegionLevel, Role, Scope, UserId};
use crate::error::ApiError;

#[derive(Debug, Clone)]
pub struct Caller {
    pub id: UserId,
    pub role: Role,
    pub scope: Scope,
}

/// Put in the request's extensions so the request log can name the user.
#[derive(Debug, Clone, Copy)]
pub struct AuthenticatedUser(pub UserId);

impl Caller {
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    /// 403 unless the caller has one of `roles` (admin always passes).
    pub fn require_role(&self, roles: &[Role]) -> Result<(), ApiError> {
        if self.is_admin() || roles.contains(&self.role) {
            Ok(())
        } else {
            Err(ApiError::forbidden(format!("the {} role may not do this", self.role.as_str())))
        }
    }

    pub fn require_admin(&self) -> Result<(), ApiError> {
        self.require_role(&[])
    }

    /// Child-level data (names, birth dates, measurements, cases) is for the people who care
    /// for the child: every role but the analyst (dashboard) one.
    pub fn require_child_data(&self) -> Result<(), ApiError> {
        if self.role == Role::Analyst {
            Err(ApiError::forbidden("dashboards see aggregates only, never child-level data"))
        } else {
            Ok(())
        }
    }

    /// 403 unless the caller may see child-level data in `village`.
    pub fn require_child_in_scope(&self, village: &RegionCode) -> Result<(), ApiError> {
        self.require_child_data()?;
        self.require_in_scope(village)
    }

    /// The region a list covers: `requested` narrowed to the caller's scope, or the scope
    /// itself. 403 when the two do not overlap.
    pub fn list_scope(&self, requested: Option<RegionCode>) -> Result<Scope, ApiError> {
        match (requested, &self.scope) {
            (None, scope) => Ok(scope.clone()),
            (Some(code), scope) if scope.contains(&code) => Ok(Scope::Region(code)),
            (Some(code), Scope::Region(own)) if code.contains(own) => Ok(Scope::Region(own.clone())),
            (Some(code), _) => Err(ApiError::forbidden(format!("region {code} is outside your scope"))),
        }
    }

    /// 403 unless the caller is an officer of exactly `district` (or an admin): a district keeps
    /// its own convergence records, lokus villages and teams; the province reads and assesses.
    pub fn require_district_officer(&self, district: &RegionCode) -> Result<(), ApiError> {
        self.require_role(&[Role::Officer])?;
        if self.is_admin() || self.scope == Scope::Region(district.clone()) {
            Ok(())
        } else {
            Err(ApiError::forbidden(format!("only officers of district {district} may change its records")))
        }
    }

    /// 403 unless the caller is an officer of the province of `district` (or a national
    /// officer, or an admin): the province assesses its districts.
    pub fn require_province_officer(&self, district: &RegionCode) -> Result<(), ApiError> {
        self.require_role(&[Role::Officer])?;
        let province_wide = match &self.scope {
            Scope::National => true,
            Scope::Region(code) => code.level() == RegionLevel::Province && code.contains(district),
        };
        if self.is_admin() || province_wide {
            Ok(())
        } else {
            Err(ApiError::forbidden(format!("only officers of the province of {district} may assess it")))
        }
    }

    /// 403 unless the caller may read the district's records: their scope is inside the
    /// district or contains it.
    pub fn require_overlap(&self, code: &RegionCode) -> Result<(), ApiError> {
        if self.scope.overlaps(code) {
            Ok(())
        } else {
            Err(ApiError::forbidden(format!("region {code} is outside your scope")))
        }
    }

    /// 403 unless `code` is inside the caller's scope.
    pub fn require_in_scope(&self, code: &RegionCode) -> Result<(), ApiError> {
        if self.scope.contains(code) {
            Ok(())
        } else {
            Err(ApiError::forbidden(format!("region {code} is outside your scope")))
        }
    }
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(authenticate(req))
    }
}

fn authenticate(req: &HttpRequest) -> Result<Caller, ApiError> {
    let keys = req
        .app_data::<web::Data<JwtKeys>>()
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("JwtKeys missing from app data")))?;
    let value = req
        .headers()
        .get(header::AUTHORIZATION)
        .ok_or_else(|| ApiError::unauthorized("this endpoint needs an `Authorization: Bearer <token>` header"))?;
    let token = value
        .to_str()
        .ok()
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| ApiError::unauthorized("the Authorization header must be `Bearer <token>`"))?;
    let claims = keys.verify(token).map_err(|e| {
        use jsonwebtoken::errors::ErrorKind;
        ApiError::unauthorized(match e.kind() {
            ErrorKind::ExpiredSignature => "the access token has expired; refresh it",
            ErrorKind::ImmatureSignature => "the access token is not valid yet",
            ErrorKind::InvalidAudience => "the access token is for another audience",
            ErrorKind::InvalidIssuer => "the access token is from another issuer",
            _ => "the access token is invalid",
        })
    })?;
    let scope = claims.scope().ok_or_else(|| ApiError::unauthorized("the access token is invalid"))?;
    // Admins act everywhere, whatever region their account names.
    let scope = if claims.role == Role::Admin { Scope::National } else { scope };
    req.extensions_mut().insert(AuthenticatedUser(claims.sub));
    Ok(Caller { id: claims.sub, role: claims.role, scope })
}
