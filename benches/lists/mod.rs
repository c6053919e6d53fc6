//! Pages of the lists an officer's app walks (the dashboards benchmark's list section): the
//! first page of 50 of each region-scoped list for a province and a district, through HTTP, and
//! the same page from its records function alone (its statement on a pooled connection), both
//! from the same number of clients, and that statement from one client.

use stunting_api::db::DbPool;
use stunting_api::domain::page::PageRequest;
use stunting_api::domain::{RegionCode, Scope};
use stunting_api::records::child::cases::{self, CaseFilter};
use stunting_api::records::child::{self, ChildFilter};
use stunting_api::records::family::{self, FamilyFilter};
use stunting_api::records::person::{self, PersonFilter};
use stunting_api::records::posyandu::{self, PosyanduFilter};
use stunting_api::records::team::{self, TeamFilter};
use stunting_api::records::tpk_visit::{self, TpkVisitFilter};

use crate::support::{Measured, load};

#[derive(Clone, Copy)]
pub enum List {
    Children,
    Cases,
    People,
    TpkVisits,
    Posyandu,
    Families,
    Teams,
}

impl List {
    pub const ALL: [List; 7] =
        [List::Children, List::Cases, List::People, List::TpkVisits, List::Posyandu, List::Families, List::Teams];

    pub fn name(self) -> &'static str {
        match self {
            List::Children => "children",
            List::Cases => "cases",
            List::People => "people",
            List::TpkVisits => "tpk-visits",
            List::Posyandu => "posyandu",
            List::Families => "families",
            List::Teams => "teams",
        }
    }

    /// The page's path, as the app asks for it.
    pub fn path(self, region: &RegionCode) -> String {
        let year = if matches!(self, List::Families) { "&year=2025" } else { "" };
        let segment = if matches!(self, List::Families) { "families-at-risk" } else { self.name() };
        format!("/api/v1/{segment}?region={region}&limit=50{year}")
    }

    /// The same page from the records function the handler calls.
    async fn direct(self, pool: &DbPool, region: &RegionCode) {
        let conn = &mut *pool.get().await.unwrap();
        let scope = Scope::Region(region.clone());
        match self {
            List::Children => drop(child::list(conn, &scope, &ChildFilter::default(), &first()).await.unwrap()),
            List::Cases => drop(cases::list(conn, &scope, &CaseFilter::default(), &first()).await.unwrap()),
            List::People => drop(person::list(conn, &scope, &PersonFilter::default(), &first()).await.unwrap()),
            List::TpkVisits => drop(tpk_visit::list(conn, &scope, &TpkVisitFilter::default(), &first()).await.unwrap()),
            List::Posyandu => drop(posyandu::list(conn, &scope, &PosyanduFilter::default(), &first()).await.unwrap()),
            List::Families => {
                let filter = FamilyFilter { year: 2025, verification: None, lokus: false };
                drop(family::list(conn, &scope, &filter, &first()).await.unwrap())
            }
            List::Teams => drop(team::list(conn, &scope, &TeamFilter::default(), &first()).await.unwrap()),
        }
    }
}

/// The page through its records function: from `clients` at once, and from one.
pub async fn direct(pool: &DbPool, list: List, region: &RegionCode, clients: usize, requests: usize) -> [Measured; 2] {
    let call = |_| list.direct(pool, region);
    load(clients, clients * 2, call).await;
    [load(clients, requests, call).await, load(1, requests / 4, call).await]
}

/// The first page of 50, of any list.
fn first<K>() -> PageRequest<K> {
    PageRequest { limit: 50, after: None }
}
