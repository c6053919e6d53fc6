use std::str::FromStr;

use diesel::deserialize::FromSqlRow;
use diesel::expression::AsExpression;
use diesel::sql_types::Text;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// What a user may do. Where they may do it is their `Scope`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema, AsExpression, FromSqlRow)]
#[diesel(sql_type = Text)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Everything, everywhere.
    Admin,
    /// District, subdistrict or province staff and TPPS members: read and write within scope.
    Officer,
    /// Village cadres and family assistance teams: record data for their own village.
    Cadre,
    /// Dashboards: aggregates and non-personal data within scope, read only.
    Analyst,
    /// Service accounts for bulk exchange within scope.
    Integration,
}

impl Role {
    pub const ALL: [Role; 5] = [Role::Admin, Role::Officer, Role::Cadre, Role::Analyst, Role::Integration];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Officer => "officer",
            Self::Cadre => "cadre",
            Self::Analyst => "analyst",
            Self::Integration => "integration",
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("must be one of admin, officer, cadre, analyst, integration")]
pub struct UnknownRole;

impl FromStr for Role {
    type Err = UnknownRole;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|role| role.as_str() == s).ok_or(UnknownRole)
    }
}

text_sql_enum!(Role);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_its_name() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>().unwrap(), role);
            assert_eq!(serde_json::to_value(role).unwrap(), role.as_str());
        }
        assert!("root".parse::<Role>().is_err());
    }
}
