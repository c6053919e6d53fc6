//! Data values of a region at one tier, read in pieces an export can stream: a tier below districts
//! is read one district at a time and one data set at a time, so memory holds a district's villages
//! (a few hundred) whatever the region and the number of periods. Each data set comes from the
//! reader its dashboard uses (`stats::prevalence`, `stats::coverage`, `figure::list`), with the
//! same small-count rule.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::db::schema::regions;
use crate::dhis2::{DataElement, DataSet, DataValue, NATIONAL, Period, Value, org_unit};
use crate::domain::{PeriodKind, RegionCode, RegionLevel};
use crate::records::figure;
use crate::records::stats::rates::Disclosure;
use crate::records::stats::skdn::{self, AreaAsk, AreaLevel};
use crate::records::stats::{Breakdown, Span, coverage, prevalence};

/// One read of an export: the regions at `tier` inside `root` (`None`: Indonesia), or, with no
/// tier, the nation's own totals.
#[derive(Debug, Clone, PartialEq)]
pub struct Piece {
    pub root: Option<RegionCode>,
    pub tier: Option<RegionLevel>,
}

/// The pieces that cover the regions at `tier` inside `root`: one, or one per district when
/// the tier lies below districts and the root above them.
pub async fn pieces(
    conn: &mut AsyncPgConnection,
    root: Option<&RegionCode>,
    tier: Option<RegionLevel>,
) -> QueryResult<Vec<Piece>> {
    let whole = || vec![Piece { root: root.cloned(), tier }];
    let Some(level) = tier else { return Ok(whole()) };
    if level <= RegionLevel::District || root.is_some_and(|r| r.level() >= RegionLevel::District) {
        return Ok(whole());
    }
    let mut query = regions::table.filter(regions::level.eq(RegionLevel::District)).select(regions::code).into_boxed();
    if let Some(code) = root {
        query = query.filter(regions::code.ge(code.as_str())).filter(regions::code.lt(code.subtree_end()));
    }
    let districts: Vec<RegionCode> = query.order(regions::code).load(conn).await?;
    Ok(districts.into_iter().map(|d| Piece { root: Some(d), tier }).collect())
}

/// The values of `set` for `periods` in one piece, in the order of period kind, region and
/// period.
pub async fn values(
    conn: &mut AsyncPgConnection,
    piece: &Piece,
    set: DataSet,
    periods: &[Period],
    disclosure: Disclosure,
) -> anyhow::Result<Vec<DataValue>> {
    let mut by_kind: BTreeMap<PeriodKind, Vec<NaiveDate>> = BTreeMap::new();
    for period in periods {
        by_kind.entry(period.kind).or_default().push(period.start);
    }
    let mut out = Vec::new();
    for (&kind, starts) in &by_kind {
        let span = Span::Calendar { kind, starts: starts.clone() };
        match set {
            DataSet::Prevalence => prevalence_values(conn, piece, &span, disclosure, &mut out).await?,
            DataSet::Interventions => coverage_values(conn, piece, &span, disclosure, &mut out).await?,
            DataSet::Skdn => skdn_values(conn, piece, &span, disclosure, &mut out).await?,
            DataSet::Survey if kind == PeriodKind::Year => survey_values(conn, piece, starts, &mut out).await?,
            DataSet::Survey => {}
        }
    }
    Ok(out)
}

/// A breakdown of the piece: rows at its tier, or the nation's provinces (for its totals).
fn ask<'a>(piece: &'a Piece, span: &'a Span) -> Breakdown<'a> {
    Breakdown { root: piece.root.as_ref(), level: piece.tier.unwrap_or(RegionLevel::Province), span, lokus: false }
}

/// Whether a row of `level` belongs to the piece (a breakdown also answers region-wide rows of
/// the tiers above).
fn at_tier(piece: &Piece, level: Option<RegionLevel>) -> bool {
    piece.tier.is_some() && level == piece.tier
}

fn value(element: DataElement, kind: PeriodKind, start: NaiveDate, org_unit: &str, shown: String) -> DataValue {
    DataValue {
        data_element: element.as_str().to_owned(),
        period: Some(Period::new(kind, start).to_string()),
        org_unit: Some(org_unit.to_owned()),
        value: Some(Value::Text(shown)),
        ..DataValue::default()
    }
}

/// A row's counts as values of `unit` in the period; a count withheld from an analyst is left
/// out (DHIS2 has no "withheld").
fn push_counts(
    out: &mut Vec<DataValue>,
    (kind, start): (PeriodKind, NaiveDate),
    unit: &str,
    counts: &[(DataElement, Option<i64>)],
) {
    for &(element, count) in counts {
        if let Some(count) = count {
            out.push(value(element, kind, start, unit, count.to_string()));
        }
    }
}

async fn prevalence_values(
    conn: &mut AsyncPgConnection,
    piece: &Piece,
    span: &Span,
    disclosure: Disclosure,
    out: &mut Vec<DataValue>,
) -> anyhow::Result<()> {
    let kind = span.kind().unwrap_or(PeriodKind::Year);
    let counted = prevalence::prevalence(conn, &ask(piece, span), disclosure).await?;
    let rows = match piece.tier {
        Some(_) => counted.rows.into_iter().filter(|r| at_tier(piece, r.region_level)).collect(),
        None => counted.totals.into_iter().filter(|t| t.measured.is_some_and(|m| m > 0)).collect::<Vec<_>>(),
    };
    for row in rows {
        let unit = org_unit(row.region_code.as_ref());
        let counts = [
            (DataElement::Measured, row.measured),
            (DataElement::Stunted, row.stunted),
            (DataElement::SeverelyStunted, row.severely_stunted),
            (DataElement::Weighed, row.weighed),
            (DataElement::Underweight, row.underweight),
            (DataElement::WastingMeasured, row.wasting_measured),
            (DataElement::Wasted, row.wasted),
        ];
        push_counts(out, (kind, row.period_start), unit, &counts);
    }
    Ok(())
}

/// One type's target and reach in one area and period (`None`: withheld from an analyst).
struct TypeSum<'a> {
    unit: String,
    type_code: &'a str,
    start: NaiveDate,
    target: Option<i64>,
    reached: Option<i64>,
}

async fn coverage_values(
    conn: &mut AsyncPgConnection,
    piece: &Piece,
    span: &Span,
    disclosure: Disclosure,
    out: &mut Vec<DataValue>,
) -> anyhow::Result<()> {
    let kind = span.kind().unwrap_or(PeriodKind::Year);
    for category in coverage::coverage(conn, &ask(piece, span), disclosure).await? {
        let mut sums: Vec<TypeSum> = match piece.tier {
            Some(_) => category
                .rows
                .iter()
                .filter(|r| at_tier(piece, Some(r.region_level)))
                .map(|r| TypeSum {
                    unit: r.region_code.to_string(),
                    type_code: &r.type_code,
                    start: r.period_start,
                    target: r.target,
                    reached: r.reached,
                })
                .collect(),
            None => category
                .totals
                .iter()
                .map(|t| TypeSum {
                    unit: NATIONAL.to_owned(),
                    type_code: &t.type_code,
                    start: t.period_start,
                    target: t.target,
                    reached: t.reached,
                })
                .collect(),
        };
        sums.sort_by(|a, b| (&a.unit, a.type_code, a.start).cmp(&(&b.unit, b.type_code, b.start)));
        for sum in sums {
            for (element, count) in
                [(DataElement::InterventionTarget, sum.target), (DataElement::InterventionReached, sum.reached)]
            {
                if let Some(count) = count {
                    let mut v = value(element, kind, sum.start, &sum.unit, count.to_string());
                    v.category_option_combo = Some(sum.type_code.to_owned());
                    out.push(v);
                }
            }
        }
    }
    Ok(())
}

async fn skdn_values(
    conn: &mut AsyncPgConnection,
    piece: &Piece,
    span: &Span,
    disclosure: Disclosure,
    out: &mut Vec<DataValue>,
) -> anyhow::Result<()> {
    let kind = span.kind().unwrap_or(PeriodKind::Month);
    let level = AreaLevel::of_region(piece.tier.unwrap_or(RegionLevel::Province));
    let periods = span.periods();
    let ask = AreaAsk { root: piece.root.as_ref(), level, periods: &periods };
    let counted = skdn::skdn(conn, &ask, disclosure).await?;
    let rows = match piece.tier {
        Some(_) => counted.rows,
        None => counted.totals,
    };
    // An area with no under-five and no weighing says nothing.
    for row in rows.into_iter().filter(|r| r.under_fives != Some(0) || r.weighed != Some(0)) {
        let unit = org_unit(row.region_code.as_ref());
        let counts = [
            (DataElement::SkdnS, row.under_fives),
            (DataElement::SkdnK, row.kia_book),
            (DataElement::SkdnD, row.weighed),
            (DataElement::SkdnN, row.rose),
            (DataElement::SkdnT, row.not_rose),
            (DataElement::SkdnO, row.missed_last_month),
            (DataElement::SkdnB, row.first_weighing),
            (DataElement::Skdn2T, row.two_t),
            (DataElement::SkdnBgm, row.bgm),
        ];
        push_counts(out, (kind, row.period_start), unit, &counts);
    }
    Ok(())
}

async fn survey_values(
    conn: &mut AsyncPgConnection,
    piece: &Piece,
    years: &[NaiveDate],
    out: &mut Vec<DataValue>,
) -> anyhow::Result<()> {
    for start in years {
        let figures = figure::list(conn, piece.root.as_ref(), Some(start.year()), None).await?;
        let of_piece = figures.into_iter().filter(|f| match (&f.region_code, piece.tier) {
            (Some(code), Some(tier)) => code.level() == tier,
            (None, None) => true,
            _ => false,
        });
        for f in of_piece {
            let unit = org_unit(f.region_code.as_ref());
            for (element, shown) in [
                (DataElement::SurveyStuntingPct, f.stunting_pct.map(|p| p.to_string())),
                (DataElement::SurveyStunted, f.stunted_count.map(|c| c.to_string())),
                (DataElement::SurveyMeasured, f.measured_count.map(|c| c.to_string())),
            ] {
                if let Some(shown) = shown {
                    let mut v = value(element, PeriodKind::Year, *start, unit, shown);
                    v.attribute_option_combo = Some(f.source.as_str().to_owned());
                    out.push(v);
                }
            }
        }
    }
    Ok(())
}
