//! A DHIS2 data value set taken in: survey figures (`SURVEY_*`, a region's year and source)
//! and intervention reports (`INTERVENTION_REACHED`, the month of the one activity of that type
//! in that region). Each figure and each report is written by its endpoint's own rules, in its
//! own savepoint, so a value refused leaves the others; what is refused becomes a conflict, as
//! DHIS2 reports it. The caller's transaction decides whether any of it stays (`dryRun`).

use chrono::Datelike;
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};

use crate::auth::Caller;
use crate::db::schema::interventions;
use crate::dhis2::{
    Conflict, DataElement, DataSet, DataValue, DataValueSet, ImportCount, ImportStrategy, NATIONAL, Period, org_unit,
};
use crate::domain::{
    ExpectedVersion, InterventionId, Month, PeriodKind, RegionCode, ReportId, Scope, SurveySource, latest_local_date,
    text,
};
use crate::error::{ApiError, FieldErrors};
use crate::i18n::Text;
use crate::records::figure::{self, FigureUpdate, keep};
use crate::records::intervention::{self, IncomingReport};

/// Values one import may carry.
pub const MAX_VALUES: usize = 10_000;

/// What an import did: values taken as new, taken over kept ones, and ignored (each named by
/// a conflict).
#[derive(Debug, Default)]
pub struct Imported {
    pub count: ImportCount,
    pub conflicts: Vec<Conflict>,
}

impl Imported {
    fn ignore(&mut self, indexes: &[usize], fault: &Fault) {
        self.count.ignored += u32::try_from(indexes.len()).unwrap_or(u32::MAX);
        let found = self
            .conflicts
            .iter_mut()
            .find(|c| c.object == fault.object && c.value == fault.message && c.property == fault.property);
        match found {
            Some(conflict) => conflict.indexes.extend_from_slice(indexes),
            None => self.conflicts.push(Conflict {
                object: fault.object.clone(),
                value: fault.message.clone(),
                property: fault.property.to_owned(),
                indexes: indexes.to_vec(),
            }),
        }
    }

    fn take(&mut self, kept_before: bool) {
        match kept_before {
            true => self.count.updated += 1,
            false => self.count.imported += 1,
        }
    }
}

/// Why one value is ignored.
#[derive(Debug, Clone)]
struct Fault {
    object: String,
    property: &'static str,
    message: String,
}

impl Fault {
    fn new(object: &str, property: &'static str, message: impl Into<String>) -> Self {
        Self { object: object.to_owned(), property, message: message.into() }
    }

    /// A record's refusal (its endpoint's 4xx), said as a conflict.
    fn refused(object: &str, error: &ApiError) -> Self {
        let problem = error.problem();
        let mut message = problem.detail;
        for field in problem.errors {
            message.push_str(&format!("; {}: {}", field.field, field.message));
        }
        Self::new(object, "value", message)
    }
}

/// One of a survey figure's three numbers.
#[derive(Debug, Clone, Copy)]
enum FigureField {
    Pct(f64),
    Stunted(i32),
    Measured(i32),
}

type FigureKey = (Option<RegionCode>, i32, SurveySource);

/// What a value writes, once read.
enum Target {
    Figure(FigureKey, FigureField),
    Reach { region: RegionCode, type_code: String, month: Month, reached: i64, note: Option<String> },
}

/// Writes `set` by `strategy`, in the caller's transaction.
pub async fn import(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    set: &DataValueSet,
    strategy: ImportStrategy,
) -> Result<Imported, ApiError> {
    let mut imported = Imported::default();
    let data_set = match set.data_set.as_deref().map(|code| (code, code.parse::<DataSet>())) {
        None => None,
        Some((_, Ok(found))) => Some(found),
        Some((code, Err(_))) => {
            // As DHIS2 does: every value is ignored, under one conflict.
            let all: Vec<usize> = (0..set.data_values.len()).collect();
            imported.ignore(&all, &Fault::new(code, "dataSet", format!("no data set has code {code}")));
            return Ok(imported);
        }
    };
    let mut figures: Vec<(FigureKey, Vec<(usize, FigureField)>)> = Vec::new();
    let mut reaches = Vec::new();
    for (index, value) in set.data_values.iter().enumerate() {
        match resolve(caller, set, data_set, value) {
            Err(fault) => imported.ignore(&[index], &fault),
            Ok(Target::Figure(key, field)) => match figures.iter_mut().find(|(k, _)| *k == key) {
                Some((_, fields)) => fields.push((index, field)),
                None => figures.push((key, vec![(index, field)])),
            },
            Ok(Target::Reach { region, type_code, month, reached, note }) => {
                reaches.push((index, region, type_code, month, reached, note));
            }
        }
    }
    for (key, fields) in &figures {
        save_figure(conn, caller, key, fields, strategy, &mut imported).await?;
    }
    for (index, region, type_code, month, reached, note) in reaches {
        let written = save_reach(conn, caller, (&region, &type_code, month), reached, note, strategy).await?;
        match written {
            Ok(kept_before) => imported.take(kept_before),
            Err(fault) => imported.ignore(&[index], &fault),
        }
    }
    Ok(imported)
}

/// What `value` writes, or why it cannot be taken.
fn resolve(caller: &Caller, set: &DataValueSet, data_set: Option<DataSet>, value: &DataValue) -> Result<Target, Fault> {
    let code = value.data_element.as_str();
    let element: DataElement =
        code.parse().map_err(|_| Fault::new(code, "dataElement", format!("no data element has code {code}")))?;
    if let Some(set) = data_set.filter(|s| *s != element.data_set()) {
        return Err(Fault::new(code, "dataElement", format!("is not in data set {}", set.as_str())));
    }
    let period_text = value.period.as_deref().or(set.period.as_deref()).unwrap_or_default();
    let period = Period::parse(period_text).map_err(|e| Fault::new(period_text, "period", e.to_string()))?;
    let unit = value.org_unit.as_deref().or(set.org_unit.as_deref()).unwrap_or_default();
    let region = match unit {
        NATIONAL => None,
        code => Some(RegionCode::parse(code).map_err(|e| Fault::new(code, "orgUnit", e.to_string()))?),
    };
    if !caller.scope.covers(&Scope::from_code(region.clone())) {
        return Err(Fault::new(unit, "orgUnit", format!("orgUnit {unit} is not a region in your scope")));
    }
    let shown = value.value.as_ref().map(|v| v.text()).unwrap_or_default();
    let coc = value.category_option_combo.as_deref().filter(|c| *c != "default");
    let aoc =
        value.attribute_option_combo.as_deref().or(set.attribute_option_combo.as_deref()).filter(|c| *c != "default");
    match element {
        DataElement::SurveyStuntingPct | DataElement::SurveyStunted | DataElement::SurveyMeasured => {
            if period.kind != PeriodKind::Year {
                return Err(Fault::new(period_text, "period", "survey figures are yearly: give a year such as 2024"));
            }
            let source_code = aoc.unwrap_or_default();
            let source: SurveySource = source_code.parse().map_err(|_| {
                Fault::new(
                    source_code,
                    "attributeOptionCombo",
                    "must name the survey source: ssgi, ski, e_ppgbm or other",
                )
            })?;
            if let Some(coc) = coc {
                return Err(Fault::new(coc, "categoryOptionCombo", "survey figures take the default combination"));
            }
            let field = figure_field(element, &shown).ok_or_else(|| Fault::new(&shown, "value", expected(element)))?;
            Ok(Target::Figure((region, period.start.year(), source), field))
        }
        DataElement::InterventionReached => {
            let region =
                region.ok_or_else(|| Fault::new(unit, "orgUnit", "reports belong to a region, not the nation"))?;
            if period.kind != PeriodKind::Month {
                return Err(Fault::new(period_text, "period", "reports are monthly: give a month such as 202502"));
            }
            let month = Month::of(period.start);
            if month.first_day() > latest_local_date() {
                return Err(Fault::new(period_text, "period", "is in the future"));
            }
            let type_code = coc.ok_or_else(|| {
                Fault::new(
                    "default",
                    "categoryOptionCombo",
                    "must name the intervention type (see /intervention-types)",
                )
            })?;
            if let Some(aoc) = aoc {
                return Err(Fault::new(aoc, "attributeOptionCombo", "reports take the default combination"));
            }
            let reached = shown
                .parse::<i64>()
                .ok()
                .filter(|n| (0..=1_000_000_000).contains(n))
                .ok_or_else(|| Fault::new(&shown, "value", expected(element)))?;
            let note = text::given(value.comment.as_deref()).map(str::to_owned);
            if note.as_ref().is_some_and(|n| n.chars().count() > 2000) {
                return Err(Fault::new("comment", "comment", "must be at most 2000 characters"));
            }
            Ok(Target::Reach { region, type_code: type_code.to_owned(), month, reached, note })
        }
        _ => Err(Fault::new(code, "dataElement", "is computed from the records and cannot be imported")),
    }
}

fn expected(element: DataElement) -> &'static str {
    match element {
        DataElement::SurveyStuntingPct => "must be a percentage from 0 to 100",
        DataElement::SurveyMeasured => "must be a whole number from 1 to 100000000",
        DataElement::InterventionReached => "must be a whole number from 0 to 1000000000",
        _ => "must be a whole number from 0 to 100000000",
    }
}

fn figure_field(element: DataElement, shown: &str) -> Option<FigureField> {
    let count = |low: i32| shown.parse::<i32>().ok().filter(|n| (low..=100_000_000).contains(n));
    match element {
        DataElement::SurveyStuntingPct => {
            shown.parse::<f64>().ok().filter(|p| (0.0..=100.0).contains(p)).map(FigureField::Pct)
        }
        DataElement::SurveyStunted => count(0).map(FigureField::Stunted),
        DataElement::SurveyMeasured => count(1).map(FigureField::Measured),
        _ => None,
    }
}

/// One figure's values, merged into the figure as kept and written whole by
/// `figure::keep::put_figure`, in a savepoint.
async fn save_figure(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    (region, year, source): &FigureKey,
    fields: &[(usize, FigureField)],
    strategy: ImportStrategy,
    imported: &mut Imported,
) -> Result<(), ApiError> {
    let key = (region.as_ref(), *year, *source);
    let object = format!("{}/{year}/{}", org_unit(region.as_ref()), source.as_str());
    let written = conn
        .transaction::<_, ApiError, _>(async |conn| {
            let current = figure::find_figure(conn, key.0, key.1, key.2).await?;
            let mut update = match &current {
                Some(f) => FigureUpdate {
                    stunting_pct: f.stunting_pct,
                    stunted_count: f.stunted_count,
                    measured_count: f.measured_count,
                    ci_low_pct: f.ci_low_pct,
                    ci_high_pct: f.ci_high_pct,
                    note: f.note.clone(),
                },
                None => FigureUpdate {
                    stunting_pct: None,
                    stunted_count: None,
                    measured_count: None,
                    ci_low_pct: None,
                    ci_high_pct: None,
                    note: None,
                },
            };
            let mut outcomes = Vec::with_capacity(fields.len());
            for &(index, field) in fields {
                let slot_kept = match field {
                    FigureField::Pct(p) => update.stunting_pct.replace(p).is_some(),
                    FigureField::Stunted(n) => update.stunted_count.replace(n).is_some(),
                    FigureField::Measured(n) => update.measured_count.replace(n).is_some(),
                };
                outcomes.push((index, strategy_allows(strategy, slot_kept).map(|()| slot_kept)));
            }
            if outcomes.iter().any(|(_, o)| o.is_err()) {
                // Some values may not be written by this strategy: write none of the figure's,
                // so that what is kept is what was sent or what was there.
                return Ok(outcomes);
            }
            let mut errors = FieldErrors::default();
            keep::check_figure(&mut errors, &update);
            errors.finish()?;
            let read = ExpectedVersion(current.as_ref().map_or(0, |f| f.version));
            keep::put_figure(conn, caller, key, read, &update).await?;
            Ok(outcomes)
        })
        .await;
    match written {
        Ok(outcomes) => {
            let refused = outcomes.iter().any(|(_, o)| o.is_err());
            for (index, outcome) in outcomes {
                match outcome {
                    Ok(kept) if !refused => imported.take(kept),
                    Ok(_) => imported.ignore(
                        &[index],
                        &Fault::new(&object, "value", "not written: another value of this figure was refused"),
                    ),
                    Err(message) => imported.ignore(&[index], &Fault::new(&object, "value", message.to_string())),
                }
            }
        }
        Err(error) if error.is_fault() => return Err(error),
        Err(error) => {
            let indexes: Vec<usize> = fields.iter().map(|(i, _)| *i).collect();
            imported.ignore(&indexes, &Fault::refused(&object, &error));
        }
    }
    Ok(())
}

/// `Err` with the reason when `strategy` does not write over (or beside) what is kept.
fn strategy_allows(strategy: ImportStrategy, kept: bool) -> Result<(), Text> {
    match (strategy, kept) {
        (ImportStrategy::Create, true) => Err(text!("a value is already kept and importStrategy is CREATE")),
        (ImportStrategy::Update, false) => Err(text!("no value is kept yet and importStrategy is UPDATE")),
        _ => Ok(()),
    }
}

/// A month's reach of the one living activity of `type_code` in `region` whose period holds
/// the month, written by `intervention::report` (a changed figure is a correction; the same
/// figure again writes nothing). `Ok(true)` when the month was reported before.
async fn save_reach(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    (region, type_code, month): (&RegionCode, &str, Month),
    reached: i64,
    note: Option<String>,
    strategy: ImportStrategy,
) -> Result<Result<bool, Fault>, ApiError> {
    let object = format!("{region}/{type_code}/{}", Period::new(PeriodKind::Month, month.first_day()));
    let found: Vec<InterventionId> = interventions::table
        .filter(interventions::deleted_at.is_null())
        .filter(interventions::type_code.eq(type_code))
        .filter(interventions::region_code.eq(region.as_str()))
        .filter(interventions::period_start.le(month.last_day()))
        .filter(interventions::period_end.ge(month.first_day()))
        .select(interventions::id)
        .order(interventions::id)
        .limit(2)
        .load(conn)
        .await?;
    let id = match found.as_slice() {
        [id] => *id,
        [] => {
            return Ok(Err(Fault::new(
                &object,
                "categoryOptionCombo",
                format!("no activity of type {type_code} in {region} covers {month}"),
            )));
        }
        _ => {
            return Ok(Err(Fault::new(
                &object,
                "categoryOptionCombo",
                format!(
                    "several activities of type {type_code} in {region} cover {month}; report through POST /interventions/{{id}}/reports"
                ),
            )));
        }
    };
    let written = conn
        .transaction::<_, ApiError, _>(async |conn| {
            let current = intervention::current_report(conn, id, month.first_day()).await?;
            if let Err(message) = strategy_allows(strategy, current.is_some()) {
                return Ok(Err(Fault::new(&object, "value", message.to_string())));
            }
            let incoming = IncomingReport { id: ReportId::new(), month, reached, note: note.clone(), correction: true };
            match &current {
                // The same figure again (a resend): nothing to write, still checked as a write.
                Some(row) if row.reached == reached && (note.is_none() || row.note == note) => {
                    intervention::lock_to_report(conn, caller, id).await?;
                }
                _ => {
                    intervention::report(conn, caller, id, &incoming).await?;
                }
            }
            Ok(Ok(current.is_some()))
        })
        .await;
    match written {
        Ok(outcome) => Ok(outcome),
        Err(error) if error.is_fault() => Err(error),
        Err(error) => Ok(Err(Fault::refused(&object, &error))),
    }
}
