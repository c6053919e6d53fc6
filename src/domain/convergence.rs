//! The vocabulary of the convergence framework (DOMAIN.md "The convergence framework").

text_enum! {
    /// Where a district stands on one of the 8 convergence actions in a year.
    pub enum ActionStatus {
        NotStarted = "not_started",
        InProgress = "in_progress",
        Done = "done",
    }
}

text_enum! {
    /// What a supporting document is.
    pub enum DocumentKind {
        Report = "report",
        /// A regent's or mayor's regulation (*Perbup/Perwal*), a decree (*SK*).
        Regulation = "regulation",
        /// Minutes of a meeting (*berita acara*, *notulen*).
        Minutes = "minutes",
        Plan = "plan",
        Attendance = "attendance",
        Photo = "photo",
        Data = "data",
        Other = "other",
    }
}

text_enum! {
    /// *TPPS*: coordination team at a tier; *TPK*: family assistance team of a village.
    pub enum TeamKind {
        Tpps = "tpps",
        Tpk = "tpk",
    }
}

text_enum! {
    /// The three members of a family assistance team (TPK), one of each.
    pub enum TpkRole {
        /// *Bidan*.
        Midwife = "midwife",
        /// *Kader PKK*.
        PkkCadre = "pkk_cadre",
        /// *Kader KB*.
        FamilyPlanningCadre = "family_planning_cadre",
    }
}

text_enum! {
    /// Risk factors of a family at risk of stunting (BKKBN family data).
    pub enum RiskFactor {
        NoSafeWater = "no_safe_water",
        NoProperLatrine = "no_proper_latrine",
        MotherUnder20 = "mother_under_20",
        MotherOver35 = "mother_over_35",
        BirthsUnder2YearsApart = "births_under_2_years_apart",
        MoreThan3Children = "more_than_3_children",
    }
}

text_enum! {
    /// What the village found when it checked a family on the province's list.
    pub enum Verification {
        /// Not checked yet.
        Pending = "pending",
        /// Found, and at risk.
        Verified = "verified",
        NotFound = "not_found",
        /// Found, but no longer at risk.
        NotAtRisk = "not_at_risk",
    }
}

text_enum! {
    /// Where an official prevalence figure comes from.
    pub enum SurveySource {
        /// *Studi/Survei Status Gizi Indonesia*.
        Ssgi = "ssgi",
        /// *Survei Kesehatan Indonesia*.
        Ski = "ski",
        /// The routine e-PPGBM report.
        EPpgbm = "e_ppgbm",
        Other = "other",
    }
}
