//! The life of a stunting case.

text_enum! {
    pub enum CaseStatus {
        /// The latest valid measurement shows the child stunted.
        Open = "open",
        /// A later valid measurement showed HAZ of −2 or more.
        Resolved = "resolved",
        /// Closed by hand (moved away, died, reached 60 months).
        Closed = "closed",
        /// The measurements that opened it were voided and none left shows stunting.
        Void = "void",
    }
}

text_enum! {
    /// Permenkes 2/2020: *pendek* (HAZ −3 to below −2) and *sangat pendek* (below −3).
    pub enum CaseSeverity {
        Stunted = "stunted",
        SeverelyStunted = "severely_stunted",
    }
}

text_enum! {
    pub enum CloseReason {
        MovedAway = "moved_away",
        Died = "died",
        Reached60Months = "reached_60_months",
        Other = "other",
    }
}
