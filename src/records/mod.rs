//! The records and their rules, below HTTP: one module per aggregate, with the reads that take
//! the caller's access and the writes that keep derived state and the audit trail. Handlers,
//! the CLI, the demo loader, the benches and bulk imports all call these functions; nothing here
//! knows about requests or imports from the HTTP layer (`src/api/`).

pub mod access;
pub mod agency;
pub mod audit;
pub mod budget;
pub mod bulk;
pub mod changes;
pub mod child;
pub mod continuum;
pub mod convergence;
pub mod dhis2;
pub mod export;
pub mod family;
pub mod fhir;
pub mod figure;
pub mod import;
pub mod intervention;
pub mod kept_counts;
pub mod lokus;
pub mod person;
pub mod posyandu;
pub mod pregnancy;
pub mod region;
pub mod region_order;
pub mod stats;
pub mod team;
pub mod tpk_visit;
pub mod user;
pub mod worklist;
pub mod write;
