//! DHIS2 data values: read from the kept aggregates (`read`) and written as survey figures and
//! intervention reports (`import`), each by the rules of its own endpoint.

pub mod import;
pub mod read;
