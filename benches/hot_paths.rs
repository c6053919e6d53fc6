//! The pure work every request repeats: verifying its access token, parsing and comparing
//! region codes for scope checks, and decoding a page cursor.
//! Run with `cargo bench --bench hot_paths`; results and machine are in docs/benchmarks.md.

// Like a test, a benchmark reports a failed setup by panicking.
#![allow(clippy::unwrap_used)]

use std::hint::black_box;

use clap::Parser;
use criterion::{Criterion, criterion_group, criterion_main};
use stunting_api::auth::JwtKeys;
use stunting_api::config::Settings;
use stunting_api::domain::page::{decode_cursor, encode_cursor};
use stunting_api::domain::{RegionCode, Role, Scope, UserId};

#[derive(Parser)]
struct Args {
    #[command(flatten)]
    settings: Settings,
}

fn jwt(c: &mut Criterion) {
    let settings = Args::parse_from(["bench", "--jwt-secret", "bench-secret-that-is-long-enough-for-hs256"]).settings;
    let keys = JwtKeys::from_settings(&settings).unwrap();
    let scope = Scope::Region(RegionCode::parse("14.01").unwrap());
    let (token, _) = keys.issue(UserId::new(), Role::Officer, &scope, uuid::Uuid::now_v7()).unwrap();
    c.bench_function("jwt_verify_hs256", |b| b.iter(|| keys.verify(black_box(&token)).unwrap()));
    c.bench_function("jwt_issue_hs256", |b| {
        b.iter(|| keys.issue(UserId::new(), Role::Officer, &scope, uuid::Uuid::now_v7()).unwrap())
    });
}

fn region_codes(c: &mut Criterion) {
    let scope = RegionCode::parse("14.01").unwrap();
    c.bench_function("region_code_parse_and_scope_check", |b| {
        b.iter(|| {
            let code = RegionCode::parse(black_box("14.01.01.2009")).unwrap();
            scope.contains(&code)
        })
    });
}

fn cursors(c: &mut Criterion) {
    let cursor = encode_cursor(&"14.01.21.2010");
    c.bench_function("cursor_decode", |b| b.iter(|| decode_cursor::<String>(black_box(&cursor)).unwrap()));
}

criterion_group!(benches, jwt, region_codes, cursors);
criterion_main!(benches);
