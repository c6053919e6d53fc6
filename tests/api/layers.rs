//! The layers import downwards only: `api` (HTTP) → `records` (records and their rules) →
//! `auth`, `http`, `db`, `domain`, `growth`. Nothing below `src/api/` names it, and nothing
//! below `src/records/` names that, so neither can import back from a layer above it.

use std::fs;
use std::path::{Path, PathBuf};

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files
}

/// Files under `src/<folder>` that name `crate::<layer>`.
fn naming(folders: &[&str], layer: &str) -> Vec<String> {
    let needle = format!("crate::{layer}");
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    folders
        .iter()
        .flat_map(|folder| rust_files(&src.join(folder)))
        .filter(|file| fs::read_to_string(file).unwrap().contains(&needle))
        .map(|file| file.display().to_string())
        .collect()
}

const BELOW_RECORDS: [&str; 5] = ["auth", "http", "db", "domain", "growth"];

#[test]
fn nothing_below_the_api_imports_from_it() {
    let mut below = vec!["records", "demo"];
    below.extend(BELOW_RECORDS);
    let offenders = naming(&below, "api");
    assert!(offenders.is_empty(), "these import from src/api/: {offenders:?}");
}

#[test]
fn nothing_below_the_records_imports_from_them() {
    let offenders = naming(&BELOW_RECORDS, "records");
    assert!(offenders.is_empty(), "these import from src/records/: {offenders:?}");
}
