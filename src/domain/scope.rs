use super::RegionCode;

/// Where a user may see and act: the whole country, or one region and everything under it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    National,
    Region(RegionCode),
}

impl Scope {
    pub fn from_code(code: Option<RegionCode>) -> Self {
        code.map_or(Self::National, Self::Region)
    }

    pub fn code(&self) -> Option<&RegionCode> {
        match self {
            Self::National => None,
            Self::Region(code) => Some(code),
        }
    }

    /// The scope as a half-open range of region codes, for SQL: `None` is the whole country.
    pub fn code_range(&self) -> Option<(&str, String)> {
        self.code().map(|code| (code.as_str(), code.subtree_end()))
    }

    pub fn contains(&self, code: &RegionCode) -> bool {
        match self {
            Self::National => true,
            Self::Region(root) => root.contains(code),
        }
    }

    /// True when `code` lies inside the scope or contains it: a district-wide activity concerns
    /// a village cadre too.
    pub fn overlaps(&self, code: &RegionCode) -> bool {
        match self {
            Self::National => true,
            Self::Region(root) => root.overlaps(code),
        }
    }

    /// True when every region of `other` is inside this scope.
    pub fn covers(&self, other: &Scope) -> bool {
        match other {
            Self::National => *self == Self::National,
            Self::Region(code) => self.contains(code),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn region(s: &str) -> Scope {
        Scope::Region(RegionCode::parse(s).unwrap())
    }

    #[test]
    fn national_covers_everything_and_regions_only_their_subtree() {
        assert!(Scope::National.covers(&region("14.01")));
        assert!(Scope::National.covers(&Scope::National));
        assert!(region("14").covers(&region("14.01.01")));
        assert!(!region("14.01").covers(&region("14")));
        assert!(!region("14.01").covers(&Scope::National));
        assert!(!region("14.01").contains(&RegionCode::parse("14.03").unwrap()));
        let village = region("14.01.01.2009");
        assert!(village.overlaps(&RegionCode::parse("14.01").unwrap()));
        assert!(!village.overlaps(&RegionCode::parse("14.01.02").unwrap()));
    }
}
