//! The query parameters DHIS2 clients send, with DHIS2's names; `dataSet`, `period` and
//! `orgUnit` may be repeated.

use serde::Deserialize;
use utoipa::IntoParams;

use crate::auth::Caller;
use crate::dhis2::{DataSet, ImportStrategy, NATIONAL, Period};
use crate::domain::{RegionCode, RegionLevel, Scope};
use crate::error::{ApiError, FieldErrors};
use crate::records::stats::MAX_PERIODS;

/// Org units one export may name.
const MAX_ORG_UNITS: usize = 100;

/// Which identifiers a message uses. Ours are codes; DHIS2's uids are unknown here.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
pub struct IdSchemes {
    /// `CODE` (the only scheme; default), for every kind of identifier.
    #[param(example = "CODE", pattern = "^[Cc][Oo][Dd][Ee]$")]
    pub id_scheme: Option<String>,
    /// `CODE` (the only scheme).
    #[param(pattern = "^[Cc][Oo][Dd][Ee]$")]
    pub data_element_id_scheme: Option<String>,
    /// `CODE` (the only scheme): Kemendagri codes.
    #[param(pattern = "^[Cc][Oo][Dd][Ee]$")]
    pub org_unit_id_scheme: Option<String>,
    /// `CODE` (the only scheme).
    #[param(pattern = "^[Cc][Oo][Dd][Ee]$")]
    pub data_set_id_scheme: Option<String>,
    /// `CODE` (the only scheme).
    #[param(pattern = "^[Cc][Oo][Dd][Ee]$")]
    pub category_option_combo_id_scheme: Option<String>,
}

impl IdSchemes {
    fn check(&self, errors: &mut FieldErrors) {
        for (name, scheme) in [
            ("idScheme", &self.id_scheme),
            ("dataElementIdScheme", &self.data_element_id_scheme),
            ("orgUnitIdScheme", &self.org_unit_id_scheme),
            ("dataSetIdScheme", &self.data_set_id_scheme),
            ("categoryOptionComboIdScheme", &self.category_option_combo_id_scheme),
        ] {
            if scheme.as_deref().is_some_and(|s| !s.eq_ignore_ascii_case("code")) {
                errors.add(name, text!("must be CODE: identifiers here are codes (org units are Kemendagri codes)"));
            }
        }
    }
}

/// What an export covers.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
pub struct ExportQuery {
    /// Data set codes (repeat the parameter for several): `STUNTING_PREVALENCE`,
    /// `STUNTING_INTERVENTIONS`, `STUNTING_SKDN`, `STUNTING_SURVEY`.
    #[serde(default)]
    #[param(required = true, min_items = 1, max_items = 16, value_type = Vec<DataSet>, example = json!(["STUNTING_PREVALENCE"]))]
    pub data_set: Vec<String>,
    /// Periods (repeat for several, at most 120): `202502`, `2025Q1`, `2025S1`, `2025`.
    #[serde(default)]
    #[param(required = true, min_items = 1, max_items = 120, example = json!(["2025"]))]
    pub period: Vec<String>,
    /// Regions by Kemendagri code, or `national` (repeat for several, at most 100), inside the
    /// caller's scope.
    #[serde(default)]
    #[param(required = true, min_items = 1, max_items = 100, example = json!(["14.01"]))]
    pub org_unit: Vec<String>,
    /// Also every region beneath each org unit, at every tier (DHIS2's `children`).
    pub children: Option<bool>,
    /// Only the regions at this tier inside each org unit (instead of the org unit itself):
    /// what a DHIS2 that aggregates upwards from that tier imports.
    pub level: Option<RegionLevel>,
    /// Documented on its own (`IdSchemes`).
    #[serde(flatten)]
    #[param(ignore)]
    pub schemes: IdSchemes,
}

/// An org unit asked for: a region, or `None` for the nation.
pub type OrgUnit = Option<RegionCode>;

/// An export as checked: data sets, periods, and per org unit the tiers to read (`None`: the
/// nation's own totals).
pub struct Export {
    pub sets: Vec<DataSet>,
    pub periods: Vec<Period>,
    pub units: Vec<(OrgUnit, Vec<Option<RegionLevel>>)>,
}

impl ExportQuery {
    /// 422 naming the parameter at fault; 403 for an org unit outside the caller's scope.
    pub fn check(&self, caller: &Caller) -> Result<Export, ApiError> {
        let mut errors = FieldErrors::default();
        self.schemes.check(&mut errors);
        let mut sets = Vec::new();
        for code in &self.data_set {
            if let Some(set) = errors.check("dataSet", code.parse::<DataSet>())
                && !sets.contains(&set)
            {
                sets.push(set);
            }
        }
        required(&mut errors, "dataSet", self.data_set.len(), 16);
        let mut periods: Vec<Period> =
            self.period.iter().filter_map(|p| errors.check("period", Period::parse(p))).collect();
        periods.sort();
        periods.dedup();
        required(&mut errors, "period", self.period.len(), MAX_PERIODS);
        let mut units = Vec::new();
        for unit in &self.org_unit {
            match unit.as_str() {
                NATIONAL => units.push(None),
                code => units.extend(errors.check("orgUnit", RegionCode::parse(code)).map(Some)),
            }
        }
        // An org unit named twice is answered once.
        units.sort();
        units.dedup();
        required(&mut errors, "orgUnit", self.org_unit.len(), MAX_ORG_UNITS);
        let mut planned = Vec::new();
        for unit in units {
            let own = unit.as_ref().map(RegionCode::level);
            let tiers = match (self.level, self.children.unwrap_or(false)) {
                (Some(level), _) if own.is_some_and(|own| level < own) => {
                    errors.add("level", text!("must be the org unit's tier or a tier beneath it"));
                    continue;
                }
                (Some(level), _) => vec![Some(level)],
                (None, true) => {
                    let below = RegionLevel::ALL.iter().copied().filter(|l| own.is_none_or(|own| *l >= own));
                    std::iter::once(own).filter(|_| unit.is_none()).chain(below.map(Some)).collect()
                }
                (None, false) => vec![own],
            };
            planned.push((unit, tiers));
        }
        errors.finish()?;
        for (unit, _) in &planned {
            match unit {
                Some(code) => drop(caller.aggregate_scope(Some(code.clone()))?),
                None if caller.scope == Scope::National => {}
                None => return Err(ApiError::forbidden(text!("orgUnit national is outside your scope"))),
            }
        }
        Ok(Export { sets, periods, units: planned })
    }
}

/// At least one, and at most `max`, of a repeated parameter.
fn required(errors: &mut FieldErrors, name: &str, given: usize, max: usize) {
    match given {
        0 => errors.add(name, text!("is required (repeat it for several)")),
        n if n > max => errors.add(name, text!("at most %{max} may be given", max = max)),
        _ => {}
    }
}

/// How an import runs.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
pub struct ImportQuery {
    /// Check and count everything, keep nothing (default false).
    pub dry_run: Option<bool>,
    /// `CREATE_AND_UPDATE` (default), `CREATE` or `UPDATE`.
    pub import_strategy: Option<ImportStrategy>,
    /// Documented on its own (`IdSchemes`).
    #[serde(flatten)]
    #[param(ignore)]
    pub schemes: IdSchemes,
}

impl ImportQuery {
    pub fn check(&self) -> Result<(bool, ImportStrategy), ApiError> {
        let mut errors = FieldErrors::default();
        self.schemes.check(&mut errors);
        errors.finish()?;
        Ok((self.dry_run.unwrap_or(false), self.import_strategy.unwrap_or(ImportStrategy::CreateAndUpdate)))
    }
}
