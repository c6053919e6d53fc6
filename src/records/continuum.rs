//! The continuum of one family, as the people who care for it read it: a woman with her catin
//! screenings, her pregnancies with their visits, the TPK's visits, and her children with their
//! birth and growth; and, from a child, the pregnancy it was born of. No system before this one
//! joins the three (BKKBN Elsimil, the KIA book, e-PPGBM).

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::db::schema::births;
use crate::domain::{ChildId, PersonId};
use crate::error::ApiError;
use crate::records::access::Visible;
use crate::records::child::{self, ChildView, measurements, measurements::MeasurementView};
use crate::records::person::{self, PersonView, screening, screening::ScreeningView};
use crate::records::pregnancy::postpartum::{self, PostpartumVisitView};
use crate::records::pregnancy::{self, BirthView, PregnancyView, anc, anc::AncVisitView};
use crate::records::tpk_visit::{self, TpkVisitView};

/// A pregnancy with every living visit.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PregnancyHistory {
    pub pregnancy: PregnancyView,
    pub anc_visits: Vec<AncVisitView>,
    pub postpartum_visits: Vec<PostpartumVisitView>,
}

/// A child of hers: its record, its birth (when registered by one) and its growth at a glance.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ChildGrowth {
    pub child: ChildView,
    pub birth: Option<BirthView>,
    /// Living measurements.
    pub measurements: i64,
    /// The latest of them, with its z-scores.
    pub latest_measurement: Option<MeasurementView>,
    /// The TPK's visits to the child.
    pub tpk_visits: Vec<TpkVisitView>,
}

/// One woman's path through the first 1,000 days.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Continuum {
    pub person: PersonView,
    /// Her catin screenings, oldest first.
    pub screenings: Vec<ScreeningView>,
    /// Her pregnancies, oldest first.
    pub pregnancies: Vec<PregnancyHistory>,
    /// The TPK's visits to her, oldest first.
    pub tpk_visits: Vec<TpkVisitView>,
    /// Her living children the caller may read (a child registered elsewhere may be outside
    /// the caller's scope), by id.
    pub children: Vec<ChildGrowth>,
}

/// The continuum of woman `id`, for a caller who may read her.
pub async fn of_person(conn: &mut AsyncPgConnection, caller: &Caller, id: PersonId) -> Result<Continuum, ApiError> {
    let woman = person::find(conn, caller, id).await?;
    let screenings = screening::list(conn, &woman, false).await?;
    let mut pregnancies = Vec::new();
    for view in pregnancy::list_of(conn, &woman).await? {
        // Her pregnancies are in her village: readable as she is.
        let view = Visible::check(caller, Some(view), || ApiError::not_found(text!("no such pregnancy")))?;
        pregnancies.push(PregnancyHistory {
            anc_visits: anc::list(conn, &view, false).await?,
            postpartum_visits: postpartum::list(conn, &view, false).await?,
            pregnancy: view.into_inner(),
        });
    }
    let mut children = Vec::new();
    for view in child::of_mother(conn, id).await? {
        let Ok(visible) = Visible::check(caller, Some(view), || ApiError::not_found(text!("no such child"))) else {
            continue;
        };
        children.push(growth_of(conn, visible.into_inner()).await?);
    }
    Ok(Continuum {
        tpk_visits: tpk_visit::to(conn, Some(id), None).await?,
        person: woman.into_inner(),
        screenings,
        pregnancies,
        children,
    })
}

async fn growth_of(conn: &mut AsyncPgConnection, child: ChildView) -> Result<ChildGrowth, ApiError> {
    let birth = birth_of(conn, child.id).await?.map(|(birth, _)| birth);
    let (measurements, latest_measurement) = measurements::latest(conn, child.id).await?;
    let tpk_visits = tpk_visit::to(conn, None, Some(child.id)).await?;
    Ok(ChildGrowth { child, birth, measurements, latest_measurement, tpk_visits })
}

async fn birth_of(
    conn: &mut AsyncPgConnection,
    child: ChildId,
) -> QueryResult<Option<(BirthView, crate::domain::PregnancyId)>> {
    births::table.find(child).select((BirthView::as_select(), births::pregnancy_id)).first(conn).await.optional()
}

/// How a child came into the world, at a glance: its birth and the pregnancy it was born of
/// (the mother's antenatal care, KEK, anaemia and iron tablets).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ChildBirth {
    /// `null` for a child not registered by a recorded birth.
    pub birth: Option<BirthView>,
    /// The pregnancy it was born of; `null` without a recorded birth, or when the mother now
    /// lives outside the caller's scope.
    pub pregnancy: Option<PregnancyView>,
}

/// The birth of child `id`, for a caller who may read the child.
pub async fn of_child(conn: &mut AsyncPgConnection, caller: &Caller, id: ChildId) -> Result<ChildBirth, ApiError> {
    child::find(conn, caller, id).await?;
    let Some((birth, pregnancy_id)) = birth_of(conn, id).await? else {
        return Ok(ChildBirth { birth: None, pregnancy: None });
    };
    let pregnancy = match pregnancy::find(conn, caller, pregnancy_id).await {
        Ok(found) => Some(found.into_inner()),
        // Removed since, or the mother moved out of the caller's scope.
        Err(ApiError::NotFound(_) | ApiError::Forbidden(_)) => None,
        Err(other) => return Err(other),
    };
    Ok(ChildBirth { birth: Some(birth), pregnancy })
}
