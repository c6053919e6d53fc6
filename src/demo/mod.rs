//! Demo data, so a new user sees the seed districts' own figures at once (DOMAIN.md, seeds).
//! `stunting-api demo load` is safe to repeat: fixed ids, and nothing is loaded twice.

pub mod budget;
mod convergence;
pub mod generate;
pub mod pathway;
mod plan;

pub use budget::{KAMPAR_2024_LINES, KAMPAR_2024_REPORTED_TOTAL, SeedLine};
use diesel_async::AsyncPgConnection;

/// Loads what is not there yet; returns what was loaded, one line each.
pub async fn load(conn: &mut AsyncPgConnection) -> anyhow::Result<Vec<&'static str>> {
    let mut loaded = Vec::new();
    if budget::load(conn).await? {
        loaded.push("Kabupaten Kampar's 2024 DAK Non Fisik BKKBN budget (5 lines)");
    }
    if convergence::load(conn).await? {
        loaded.push(
            "convergence: Bengkalis 2021 actions 1-5 done and documents up to action 4, its 15 (2021) and 23 (2022) \
             lokus villages, Kampar's 479 TPK teams, Kaur's Rembuk Stunting of 7 April 2022, and the survey \
             figures Bengkalis 8.4% (2023) and Kaur 11% (2021)",
        );
    }
    Ok(loaded)
}
