//! The one integration-test binary: each module drives the real HTTP server against a real
//! PostgreSQL database of its own, cloned from a template migrated once per run.

// Test helpers report a broken setup by panicking, like the tests themselves.
#![allow(clippy::unwrap_used)]

mod common;

mod access;
mod audit;
mod auth;
mod budgets;
mod cases;
mod catalogue;
mod changes;
mod children;
mod cli;
mod convergence;
mod demo;
mod dhis2;
mod errors;
mod exports;
mod families;
mod faults;
mod fhir;
mod figures;
mod health;
mod hostile_input;
mod idempotency;
mod import_paths;
mod imports;
mod interventions;
mod kept_counts;
mod layers;
mod limits;
mod lokus;
mod measurements;
mod migrations;
mod openapi;
mod pathway_imports;
mod pathway_stats;
mod people;
mod pregnancies;
mod prevalence;
mod quality;
mod regions;
mod relay;
mod replica;
mod skdn;
mod small_counts;
mod summary;
mod tables;
mod teams;
mod tpk_visits;
mod users;
mod worklist;
mod writes;
