//! Money: whole rupiah, never a float. `bigint` holds 9.2 quintillion rupiah per value, far
//! beyond any budget; sums over many rows are computed as `numeric` in PostgreSQL.

use diesel_derive_newtype::DieselNewType;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, DieselNewType, ToSchema)]
#[serde(try_from = "i64")]
#[schema(value_type = i64, minimum = 0, maximum = 1_000_000_000_000_000_i64, example = 2772000000_i64)]
pub struct Rupiah(i64);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NegativeAmount;
text_error!(NegativeAmount, |_e| text!("must be a whole number of rupiah from 0 to 1,000,000,000,000,000"));

impl TryFrom<i64> for Rupiah {
    type Error = NegativeAmount;

    fn try_from(value: i64) -> Result<Self, Self::Error> {
        if (0..=Self::MAX.0).contains(&value) { Ok(Self(value)) } else { Err(NegativeAmount) }
    }
}

impl Rupiah {
    pub const ZERO: Rupiah = Rupiah(0);
    /// Rp 1,000 trillion: a hundred times the national stunting budget. Anything larger is a
    /// typo, and the cap keeps every document's sums far inside `bigint`.
    pub const MAX: Rupiah = Rupiah(1_000_000_000_000_000);

    pub fn value(self) -> i64 {
        self.0
    }
}

text_enum! {
    pub enum FundingSource {
        /// DAK Non Fisik BKKBN (BOKB).
        DakNonFisikBkkbn = "dak_non_fisik_bkkbn",
        Apbn = "apbn",
        ApbdProvince = "apbd_province",
        ApbdDistrict = "apbd_district",
        /// Dana Desa / APBDes.
        DanaDesa = "dana_desa",
        /// CSR and other private funding.
        Csr = "csr",
        Other = "other",
    }
}

text_enum! {
    pub enum BudgetStatus {
        /// Being written: lines may change.
        Draft = "draft",
        /// Approved: lines are frozen; changes need a revision.
        Approved = "approved",
        /// A revision of an approved budget, being written; the approved version stays readable.
        Revised = "revised",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_whole_and_not_negative() {
        assert_eq!(serde_json::from_str::<Rupiah>("2772000000").unwrap().value(), 2_772_000_000);
        assert!(serde_json::from_str::<Rupiah>("-1").is_err());
        assert!(serde_json::from_str::<Rupiah>("1.5").is_err());
        assert!(serde_json::from_str::<Rupiah>("\"100\"").is_err());
        assert!(serde_json::from_str::<Rupiah>("1000000000000001").is_err());
    }
}
