text_enum! {
    /// What a user may do. Where they may do it is their `Scope`.
    pub enum Role {
        /// Everything, everywhere.
        Admin = "admin",
        /// District, subdistrict or province staff and TPPS members: read and write within scope.
        Officer = "officer",
        /// Village cadres and family assistance teams: record data for their own village.
        Cadre = "cadre",
        /// Dashboards: aggregates and non-personal data within scope, read only.
        Analyst = "analyst",
        /// Service accounts for bulk exchange within scope.
        Integration = "integration",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_its_name() {
        for &role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>().unwrap(), role);
            assert_eq!(serde_json::to_value(role).unwrap(), role.as_str());
        }
        assert!("root".parse::<Role>().is_err());
    }
}
