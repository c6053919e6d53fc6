//! stunting-api: the REST/JSON service behind Indonesia's programme to accelerate stunting
//! reduction. `main.rs` only parses the command line; everything tests and benches need is here.

// The message catalogue (`locales/`), and `text!` for every module below.
rust_i18n::i18n!("locales");
#[macro_use]
pub mod i18n;

pub mod api;
pub mod auth;
pub mod bootstrap;
pub mod cli;
pub mod config;
pub mod db;
pub mod demo;
#[macro_use]
pub mod domain;
pub mod dhis2;
pub mod embedded_pg;
pub mod error;
pub mod fhir;
pub mod growth;
pub mod http;
pub mod records;
pub mod relay;
pub mod startup;
pub mod telemetry;
