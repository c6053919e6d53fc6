//! Who may manage whom. Admins manage every account. An officer manages cadres and analysts
//! whose scope lies inside the officer's own; nobody else manages accounts.

use crate::auth::Caller;
use crate::domain::{RegionLevel, Role, Scope};
use crate::error::ApiError;

const OFFICER_MANAGES: [Role; 2] = [Role::Cadre, Role::Analyst];

/// 403 unless `caller` may hold an account with this role and scope in their charge.
pub fn require_manageable(caller: &Caller, role: Role, scope: &Scope) -> Result<(), ApiError> {
    match caller.role {
        Role::Admin => Ok(()),
        Role::Officer if !OFFICER_MANAGES.contains(&role) => {
            Err(ApiError::forbidden("an officer manages only cadre and analyst accounts"))
        }
        Role::Officer if !caller.scope.covers(scope) => {
            Err(ApiError::forbidden("the account's scope is outside your own"))
        }
        Role::Officer => Ok(()),
        other => Err(ApiError::forbidden(format!("the {} role does not manage accounts", other.as_str()))),
    }
}

/// A scope that fits the role: cadres work in one village.
pub fn scope_fits_role(role: Role, scope: &Scope) -> Result<(), &'static str> {
    match (role, scope) {
        (Role::Cadre, Scope::Region(code)) if code.level() == RegionLevel::Village => Ok(()),
        (Role::Cadre, _) => Err("a cadre's scope must be a village"),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{RegionCode, UserId};

    fn caller(role: Role, scope: &str) -> Caller {
        Caller { id: UserId::new(), role, scope: Scope::Region(RegionCode::parse(scope).unwrap()) }
    }

    fn region(code: &str) -> Scope {
        Scope::Region(RegionCode::parse(code).unwrap())
    }

    #[test]
    fn officer_manages_cadres_and_analysts_inside_scope_only() {
        let officer = caller(Role::Officer, "14.01");
        assert!(require_manageable(&officer, Role::Cadre, &region("14.01.01.2009")).is_ok());
        assert!(require_manageable(&officer, Role::Analyst, &region("14.01")).is_ok());
        assert!(require_manageable(&officer, Role::Cadre, &region("14.03.01.1001")).is_err());
        assert!(require_manageable(&officer, Role::Officer, &region("14.01.01")).is_err());
        assert!(require_manageable(&officer, Role::Analyst, &Scope::National).is_err());
    }

    #[test]
    fn only_admins_and_officers_manage() {
        for role in [Role::Cadre, Role::Analyst, Role::Integration] {
            assert!(require_manageable(&caller(role, "14"), Role::Cadre, &region("14.01.01.2009")).is_err());
        }
        assert!(require_manageable(&caller(Role::Admin, "14"), Role::Admin, &Scope::National).is_ok());
    }

    #[test]
    fn cadres_belong_to_a_village() {
        assert!(scope_fits_role(Role::Cadre, &region("14.01.01.2009")).is_ok());
        assert!(scope_fits_role(Role::Cadre, &region("14.01")).is_err());
        assert!(scope_fits_role(Role::Cadre, &Scope::National).is_err());
        assert!(scope_fits_role(Role::Officer, &region("14")).is_ok());
    }
}
