//! Kemendagri region codes: `PP` province, `PP.KK` district, `PP.KK.CC` subdistrict,
//! `PP.KK.CC.DDDD` village. A region's code starts with its parent's code, so "everything
//! under a region" is a prefix, and (in the "C" collation) the range `[code, code + "/")`.

use std::fmt;

use diesel::deserialize::{self, FromSql, FromSqlRow};
use diesel::expression::AsExpression;
use diesel::pg::{Pg, PgValue};
use diesel::serialize::{self, Output, ToSql};
use diesel::sql_types::Text;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, AsExpression, FromSqlRow, ToSchema,
)]
#[diesel(sql_type = Text)]
#[serde(try_from = "String")]
#[schema(value_type = String, example = "14.01", pattern = r"^[0-9]{2}(\.[0-9]{2}(\.[0-9]{2}(\.[0-9]{4})?)?)?$")]
pub struct RegionCode(String);

impl TryFrom<String> for RegionCode {
    type Error = RegionCodeError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

text_enum! {
    /// The four Kemendagri tiers, top down (the order is used: `below`).
    pub enum RegionLevel {
        Province = "province",
        District = "district",
        Subdistrict = "subdistrict",
        Village = "village",
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegionCodeError;
text_error!(RegionCodeError, |_e| text!("must be a region code like 14, 14.01, 14.01.01 or 14.01.01.2009"));

/// Why a code is no village's: malformed, or of another tier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VillageCodeError {
    Malformed(RegionCodeError),
    NotAVillage,
}
text_error!(VillageCodeError, |e| match e {
    VillageCodeError::Malformed(malformed) => malformed.into(),
    VillageCodeError::NotAVillage => text!("must be a village (desa/kelurahan) code like 14.01.01.2009"),
});

impl From<RegionCodeError> for VillageCodeError {
    fn from(malformed: RegionCodeError) -> Self {
        Self::Malformed(malformed)
    }
}

const SEGMENT_WIDTHS: [usize; 4] = [2, 2, 2, 4];

impl RegionLevel {
    /// The regular expression a code of exactly this tier matches (`parse` is the check; this
    /// is what the OpenAPI document tells clients).
    pub fn pattern(self) -> &'static str {
        match self {
            Self::Province => r"^[0-9]{2}$",
            Self::District => r"^[0-9]{2}\.[0-9]{2}$",
            Self::Subdistrict => r"^[0-9]{2}\.[0-9]{2}\.[0-9]{2}$",
            Self::Village => r"^[0-9]{2}\.[0-9]{2}\.[0-9]{2}\.[0-9]{4}$",
        }
    }
}

impl RegionCode {
    /// A code of any tier, as the schema above states it.
    pub const PATTERN: &'static str = r"^[0-9]{2}(\.[0-9]{2}(\.[0-9]{2}(\.[0-9]{4})?)?)?$";

    /// A village's code: where a child lives or a measurement is taken.
    pub fn parse_village(input: &str) -> Result<Self, VillageCodeError> {
        let code = Self::parse(input)?;
        if code.level() == RegionLevel::Village { Ok(code) } else { Err(VillageCodeError::NotAVillage) }
    }

    pub fn parse(input: &str) -> Result<Self, RegionCodeError> {
        let segments: Vec<&str> = input.split('.').collect();
        let well_formed = segments.len() <= SEGMENT_WIDTHS.len()
            && segments
                .iter()
                .zip(SEGMENT_WIDTHS)
                .all(|(s, width)| s.len() == width && s.bytes().all(|b| b.is_ascii_digit()));
        if well_formed { Ok(Self(input.to_owned())) } else { Err(RegionCodeError) }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn level(&self) -> RegionLevel {
        match self.0.matches('.').count() {
            0 => RegionLevel::Province,
            1 => RegionLevel::District,
            2 => RegionLevel::Subdistrict,
            _ => RegionLevel::Village,
        }
    }

    pub fn parent(&self) -> Option<RegionCode> {
        self.0.rfind('.').map(|at| Self(self.0[..at].to_owned()))
    }

    /// Province first, parent last; empty for a province.
    pub fn ancestors(&self) -> Vec<RegionCode> {
        let mut out: Vec<RegionCode> = std::iter::successors(self.parent(), RegionCode::parent).collect();
        out.reverse();
        out
    }

    /// The region at `level` that holds this one; this one itself when it is at `level` or above.
    pub fn at_most(&self, level: RegionLevel) -> RegionCode {
        if self.level() <= level {
            return self.clone();
        }
        self.ancestors().into_iter().find(|a| a.level() == level).unwrap_or_else(|| self.clone())
    }

    /// True when `other` is this region or lies under it.
    pub fn contains(&self, other: &RegionCode) -> bool {
        other.0 == self.0 || (other.0.starts_with(&self.0) && other.0.as_bytes()[self.0.len()] == b'.')
    }

    /// True when one of the two regions lies inside the other (or they are the same).
    pub fn overlaps(&self, other: &RegionCode) -> bool {
        self.contains(other) || other.contains(self)
    }

    /// The exclusive upper bound of this region's subtree in byte order: `/` sorts right
    /// after `.`, so `[code, code + "/")` holds exactly the code and its descendants.
    pub fn subtree_end(&self) -> String {
        format!("{}/", self.0)
    }
}

impl RegionLevel {
    /// The tiers below this one, nearest first.
    pub fn below(self) -> &'static [RegionLevel] {
        &Self::ALL[self as usize + 1..]
    }
}

impl fmt::Display for RegionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl ToSql<Text, Pg> for RegionCode {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
        <str as ToSql<Text, Pg>>::to_sql(&self.0, out)
    }
}

impl FromSql<Text, Pg> for RegionCode {
    fn from_sql(bytes: PgValue<'_>) -> deserialize::Result<Self> {
        let text = <String as FromSql<Text, Pg>>::from_sql(bytes)?;
        Ok(Self::parse(&text)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_village_code_is_a_well_formed_code_of_the_village_tier() {
        assert_eq!(RegionCode::parse_village("14.01.01.2009").unwrap().as_str(), "14.01.01.2009");
        assert_eq!(RegionCode::parse_village("14.01"), Err(VillageCodeError::NotAVillage));
        assert_eq!(RegionCode::parse_village("14.1"), Err(VillageCodeError::Malformed(RegionCodeError)));
    }

    #[test]
    fn the_documented_pattern_is_the_schema_s() {
        use utoipa::PartialSchema;
        let schema = serde_json::to_value(RegionCode::schema()).unwrap();
        assert_eq!(schema["pattern"], RegionCode::PATTERN);
    }

    fn code(s: &str) -> RegionCode {
        RegionCode::parse(s).unwrap()
    }

    #[test]
    fn cuts_a_code_to_a_tier_above_it() {
        let village = RegionCode::parse("14.01.01.2009").unwrap();
        assert_eq!(village.at_most(RegionLevel::District).as_str(), "14.01");
        assert_eq!(village.at_most(RegionLevel::Province).as_str(), "14");
        let district = RegionCode::parse("14.01").unwrap();
        assert_eq!(district.at_most(RegionLevel::Village), district);
    }

    #[test]
    fn accepts_every_tier() {
        assert_eq!(code("14").level(), RegionLevel::Province);
        assert_eq!(code("14.01").level(), RegionLevel::District);
        assert_eq!(code("14.01.01").level(), RegionLevel::Subdistrict);
        assert_eq!(code("14.01.01.2009").level(), RegionLevel::Village);
    }

    #[test]
    fn rejects_malformed_codes() {
        for bad in ["", "1", "14.1", "abc", "14.01.01.201", "14.01.01.2009.01", "14..01", "14.0a", " 14", "14."] {
            assert!(RegionCode::parse(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn parent_and_ancestors_follow_the_code() {
        assert_eq!(code("14.01.01.2009").parent(), Some(code("14.01.01")));
        assert_eq!(code("14").parent(), None);
        assert_eq!(code("14.01.01.2009").ancestors(), vec![code("14"), code("14.01"), code("14.01.01")]);
        assert!(code("14").ancestors().is_empty());
    }

    #[test]
    fn contains_is_prefix_on_segment_boundaries() {
        assert!(code("14").contains(&code("14")));
        assert!(code("14").contains(&code("14.01.01.2009")));
        assert!(code("14.01").contains(&code("14.01.02")));
        assert!(!code("14.01").contains(&code("14.02")));
        assert!(!code("14.01.01").contains(&code("14.01")));
        assert!(!code("11").contains(&code("14")));
        assert!(code("14.01").overlaps(&code("14")) && code("14").overlaps(&code("14.01.01")));
        assert!(!code("14.01").overlaps(&code("14.03")));
    }

    #[test]
    fn subtree_range_holds_exactly_the_descendants() {
        let root = code("14.01");
        let end = root.subtree_end();
        for inside in ["14.01", "14.01.01", "14.01.21.2010"] {
            assert!(inside >= root.as_str() && inside < end.as_str(), "{inside}");
        }
        for outside in ["14", "14.02", "14.00.99", "15.01"] {
            assert!(!(outside >= root.as_str() && outside < end.as_str()), "{outside}");
        }
    }

    #[test]
    fn levels_below() {
        assert_eq!(RegionLevel::District.below(), &[RegionLevel::Subdistrict, RegionLevel::Village]);
        assert!(RegionLevel::Village.below().is_empty());
        assert_eq!("subdistrict".parse(), Ok(RegionLevel::Subdistrict));
        assert!("kecamatan".parse::<RegionLevel>().is_err());
    }
}
