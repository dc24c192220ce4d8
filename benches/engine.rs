//! Engine benchmarks: parse, and parse + sort + print (what `profdiff stats` does), on a
//! real 5,635-function dump and a generated 50,000-function one; and a diff of two
//! generated 50,000-function profiles. (Parse memory: `examples/parse_memory.rs`.)
//!
//! Run with `make bench`, which generates the big dump with CPython's marshal first and
//! times CPython's pstats on the same files. Record the numbers in docs/BENCHMARKS.md.

use std::path::PathBuf;
use std::sync::Arc;

/// What the `profdiff` binary uses (src/main.rs), so these numbers are what it does.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use criterion::{Criterion, criterion_group, criterion_main};
use profdiff::engine::compare::{Options, compare};
use profdiff::engine::{CallerStats, Function, FunctionKey, Profile, Report, SortKey, Source};

fn inputs() -> Vec<(String, Vec<u8>)> {
    let mut files = vec![PathBuf::from(
        "tests/fixtures/pstats/dumps/dataviewer_before.prof",
    )];
    match std::env::var_os("PROFDIFF_BENCH_DUMP") {
        Some(p) => files.push(PathBuf::from(p)),
        None => eprintln!(
            "PROFDIFF_BENCH_DUMP not set: skipping the 50,000-function dump (use `make bench`)"
        ),
    }
    files
        .into_iter()
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (
                name,
                std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display())),
            )
        })
        .collect()
}

fn stats_text(data: &[u8]) -> String {
    let profile = Profile::parse(data).unwrap();
    let mut report = Report::new(vec![Source {
        label: "bench".into(),
        profile: profile.into(),
    }]);
    report.sort(&[SortKey::parse("cumulative").unwrap()]);
    report.print_stats(&[])
}

fn bench(c: &mut Criterion) {
    for (name, data) in inputs() {
        let mut group = c.benchmark_group(name.clone());
        group.sample_size(if data.len() > 5_000_000 { 20 } else { 50 });
        group.bench_function("parse", |b| b.iter(|| Profile::parse(&data).unwrap()));
        group.bench_function("parse+sort+print", |b| b.iter(|| stats_text(&data)));
        group.finish();
    }
}

/// Two generated 50,000-function profiles: the candidate has changed times, 5% of
/// functions moved to other lines, 1% removed and 1% new, and another checkout root.
fn pair() -> (Profile, Profile) {
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let n = 50_000;
    // One string per file, shared by its keys, as the reader makes them from a dump
    // (a module's code objects share one interned file name, written once, then referred to).
    let files = std::cell::RefCell::new(std::collections::HashMap::<String, Arc<str>>::new());
    let file = |name: String| {
        files
            .borrow_mut()
            .entry(name)
            .or_insert_with_key(|f| f.as_str().into())
            .clone()
    };
    let key = |root: &str, i: usize, line: i64| {
        if i.is_multiple_of(10) {
            FunctionKey {
                file: file("~".into()),
                line: 0,
                name: format!("<built-in method m{i} at 0x{:x}>", 0x7f00_0000 + i).into(),
            }
        } else {
            FunctionKey {
                // 25 functions a file, as in bench/make_big_dump.py.
                file: file(format!(
                    "{root}/pkg{:03}/mod_{:04}.py",
                    (i / 25) % 97,
                    i / 25
                )),
                line,
                name: format!("function_{i}").into(),
            }
        }
    };
    let mut base = Vec::with_capacity(n);
    let mut cand = Vec::with_capacity(n);
    for i in 0..n {
        let line = (i % 4000) as i64 + 1;
        let tt = (next() % 100_000) as f64 / 1e6;
        let calls = (next() % 1000) as i64 + 1;
        let callers: Vec<(FunctionKey, CallerStats)> = (0..(next() % 4))
            .map(|_| {
                let j = (next() as usize) % n;
                (
                    key("/ci/a", j, (j % 4000) as i64 + 1),
                    CallerStats::Full {
                        nc: 1,
                        cc: 1,
                        tt: tt / 4.0,
                        ct: tt / 2.0,
                    },
                )
            })
            .collect();
        let f = |k: FunctionKey, tt: f64| Function {
            key: k,
            cc: calls,
            nc: calls,
            tt,
            ct: tt * 2.0,
            callers: callers.clone(),
        };
        let r = next() % 100;
        if r != 0 {
            base.push(f(key("/ci/a", i, line), tt));
        }
        if r != 1 {
            let moved = if r < 6 { line + 7 } else { line };
            let factor = 0.5 + (next() % 1000) as f64 / 1000.0;
            cand.push(f(key("/home/dev/b", i, moved), tt * factor));
        }
    }
    (Profile::from_functions(base), Profile::from_functions(cand))
}

fn bench_compare(c: &mut Criterion) {
    let (base, cand) = pair();
    let mut group = c.benchmark_group(format!(
        "compare {} vs {} functions",
        base.len(),
        cand.len()
    ));
    group.sample_size(20);
    group.bench_function("diff", |b| {
        b.iter(|| compare(&base, &cand, &Options::default()))
    });
    group.finish();
}

/// The runs statistics for 50,000 functions of 8 against 8 runs: a rank test and a ratio
/// interval each, then q-values (what a runs comparison will add per row).
fn bench_runs_stats(c: &mut Criterion) {
    use profdiff::engine::stats::{RankTester, RatioBootstrap, bh_q_values};
    // Deterministic pseudo-random times, distinct per function (no tie-pattern cache hits
    // beyond the no-ties one, as with real timings).
    let mut x: u64 = 1;
    let mut next = || {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (x >> 11) as f64 / (1u64 << 53) as f64
    };
    let rows: Vec<(Vec<f64>, Vec<f64>)> = (0..50_000)
        .map(|i| {
            let scale = 1e-4 * (1 + i % 97) as f64;
            let a = (0..8).map(|_| scale * (1.0 + 0.1 * next())).collect();
            let b = (0..8).map(|_| scale * (1.05 + 0.1 * next())).collect();
            (a, b)
        })
        .collect();
    let mut g = c.benchmark_group("runs_stats");
    g.sample_size(10);
    g.bench_function(
        "50k functions, 8 vs 8 runs: U test + ratio CI + BH",
        |bench| {
            bench.iter(|| {
                let mut tester = RankTester::default();
                let boot = RatioBootstrap::new(8, 8);
                let p: Vec<f64> = rows
                    .iter()
                    .map(|(a, b)| tester.test(a, b).unwrap().p)
                    .collect();
                let ci = rows.iter().filter_map(|(a, b)| boot.ratio_ci(a, b)).count();
                (bh_q_values(&p), ci)
            })
        },
    );
    g.bench_function("50k functions, 8 vs 8 runs: U test only", |bench| {
        bench.iter(|| {
            let mut tester = RankTester::default();
            rows.iter()
                .map(|(a, b)| tester.test(a, b).unwrap().p)
                .sum::<f64>()
        })
    });
    g.bench_function("50k functions, 8 vs 8 runs: ratio CI only", |bench| {
        let boot = RatioBootstrap::new(8, 8);
        bench.iter(|| rows.iter().filter_map(|(a, b)| boot.ratio_ci(a, b)).count())
    });
    g.finish();
}

criterion_group!(benches, bench, bench_compare, bench_runs_stats);
criterion_main!(benches);
