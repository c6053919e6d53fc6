use actix_web::{HttpRequest, HttpResponse, get, post, web};
use diesel_async::AsyncConnection;

use super::query::{ExportQuery, IdSchemes, ImportQuery};
use super::stream;
use crate::auth::Caller;
use crate::db::{DbPool, ReadPool};
use crate::dhis2::{DataValueSet, ImportOptions, ImportSummary, ImportWebMessage};
use crate::domain::Role;
use crate::error::ApiError;
use crate::http::extract::{Json, parse_repeated_query};
use crate::records::dhis2::import::{self, Imported, MAX_VALUES};
use crate::records::dhis2::read;
use crate::records::region;
use crate::records::stats::rates::Disclosure;

const TAG: &str = "dhis2";

/// `GET /api/v1/dhis2/dataValueSets`: our kept aggregates as a DHIS2 data value set, streamed:
/// for each org unit (and, with `children` or `level`, the regions beneath it) and period, the
/// data elements of the data sets asked for (see docs/API.md for the mapping).
#[utoipa::path(
    operation_id = "dhis2_export_data_values",
    tag = TAG,
    params(ExportQuery, IdSchemes),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The data values, by org unit, data set and period; a count withheld from \
            an analyst (1 to 4 below district level) is left out", body = DataValueSet),
        (status = 403, description = "An org unit outside the caller's scope"),
        (status = 404, description = "No region has an org unit's code"),
        (status = 422, description = "A missing or invalid parameter (named)"),
    )
)]
#[get("/dhis2/dataValueSets")]
pub async fn export_data_values(
    caller: Caller,
    req: HttpRequest,
    pool: web::Data<ReadPool>,
) -> Result<HttpResponse, ApiError> {
    let query: ExportQuery = parse_repeated_query(req.query_string())?;
    let export = query.check(&caller)?;
    let mut pieces = Vec::new();
    {
        let mut conn = pool.get().await?;
        for (unit, tiers) in &export.units {
            if let Some(code) = unit
                && !region::exists(&mut conn, code).await?
            {
                return Err(region::unknown(code));
            }
            for tier in tiers {
                pieces.extend(read::pieces(&mut conn, unit.as_ref(), *tier).await?);
            }
        }
    }
    let disclosure = Disclosure::new(caller.sees_small_counts());
    Ok(stream::answer(pool, pieces, export.sets, export.periods, disclosure))
}

/// `POST /api/v1/dhis2/dataValueSets`: survey figures (`SURVEY_*`) and intervention reports
/// (`INTERVENTION_REACHED`) from a DHIS2 data value set, answered with DHIS2's import summary.
/// Officers and integrations, in their scope; each figure and report by its own rules.
#[utoipa::path(
    operation_id = "dhis2_import_data_values",
    tag = TAG,
    params(ImportQuery, IdSchemes),
    request_body = DataValueSet,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Read: what was imported, updated and ignored, each ignored value with a \
            conflict; with `dryRun=true` nothing is kept", body = ImportWebMessage),
        (status = 403, description = "Not an officer or an integration"),
        (status = 422, description = "An identifier scheme other than CODE, or more than 10,000 values"),
    )
)]
#[post("/dhis2/dataValueSets")]
pub async fn import_data_values(
    caller: Caller,
    req: HttpRequest,
    Json(set): Json<DataValueSet>,
    pool: web::Data<DbPool>,
) -> Result<web::Json<ImportWebMessage>, ApiError> {
    caller.require_role(&[Role::Officer, Role::Integration])?;
    let query: ImportQuery = parse_repeated_query(req.query_string())?;
    let (dry_run, strategy) = query.check()?;
    if set.data_values.len() > MAX_VALUES {
        return Err(ApiError::invalid(
            "dataValues",
            text!("at most %{max_values} values may be sent at once", max_values = MAX_VALUES),
        ));
    }
    let mut conn = pool.get().await?;
    let written = conn
        .transaction::<_, Undone, _>(async |conn| {
            let imported = import::import(conn, &caller, &set, strategy).await?;
            if dry_run { Err(Undone::DryRun(imported)) } else { Ok(imported) }
        })
        .await;
    let imported = match written {
        Ok(imported) | Err(Undone::DryRun(imported)) => imported,
        Err(Undone::Failed(error)) => return Err(error),
    };
    Ok(web::Json(web_message(imported, dry_run, strategy.as_str())))
}

/// Why an import's transaction was rolled back: a dry run (its counts stand), or a failure.
enum Undone {
    DryRun(Imported),
    Failed(ApiError),
}

impl From<ApiError> for Undone {
    fn from(error: ApiError) -> Self {
        Self::Failed(error)
    }
}

impl From<diesel::result::Error> for Undone {
    fn from(error: diesel::result::Error) -> Self {
        Self::Failed(error.into())
    }
}

/// DHIS2's answer: `SUCCESS` with no conflict, `WARNING` when some values were ignored, `ERROR`
/// when none was taken.
fn web_message(imported: Imported, dry_run: bool, strategy: &str) -> ImportWebMessage {
    let taken = imported.count.imported + imported.count.updated;
    let (status, message, description) = match (imported.conflicts.is_empty(), taken) {
        (true, _) => ("SUCCESS", "Import was successful.", "Import process completed successfully"),
        (false, 0) => ("ERROR", "No value was imported, please check import summary.", "No value was imported"),
        (false, _) => (
            "WARNING",
            "One or more conflicts encountered, please check import summary.",
            "Import process completed with conflicts",
        ),
    };
    ImportWebMessage {
        http_status: "OK".into(),
        http_status_code: 200,
        status: if status == "SUCCESS" { "OK".into() } else { status.into() },
        message: message.into(),
        response: ImportSummary {
            response_type: "ImportSummary".into(),
            status: status.into(),
            import_options: ImportOptions {
                id_schemes: serde_json::Map::new(),
                dry_run,
                import_strategy: strategy.into(),
            },
            description: description.into(),
            import_count: imported.count,
            conflicts: imported.conflicts,
            data_set_complete: "false".into(),
        },
    }
}
