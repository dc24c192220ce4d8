//! The runs statistics on real runs (tests/fixtures/runs: 8 cProfile runs of a workload, 8
//! with one known change, 8 more unchanged; gen.py wrote them and SciPy's reference values).
//! p-values and q-values match SciPy's; the change is found, A/A runs find nothing; the
//! bootstrap interval of the ratio holds the observed ratio and excludes 1.

use profdiff::engine::Profile;
use profdiff::engine::compare::runs::{RunsComparison, RunsRow, compare_runs};
use profdiff::engine::compare::{Options, Status};
use profdiff::engine::stats::{RankTester, RatioBootstrap, bh_q_values};
use serde_json::Value;

fn dir() -> String {
    format!("{}/tests/fixtures/runs", env!("CARGO_MANIFEST_DIR"))
}

fn runs(name: &str) -> Vec<Profile> {
    (1..=8)
        .map(|i| {
            Profile::parse(&std::fs::read(format!("{}/{name}_{i}.prof", dir())).unwrap()).unwrap()
        })
        .collect()
}

/// Own time of `(file, line, name)` in each run, 0 where a run lacks it.
/// The row of the function a reference entry names (`name` and `line`).
fn row_for<'a>(c: &'a RunsComparison, want: &Value) -> &'a RunsRow {
    c.rows
        .iter()
        .find(|r| {
            &*r.function.name == want["name"].as_str().unwrap()
                && r.function.line == want["line"].as_i64().unwrap()
        })
        .unwrap_or_else(|| panic!("no row for {want}"))
}

fn tottimes(profiles: &[Profile], row: &Value) -> Vec<f64> {
    let (file, line, name) = (
        row["file"].as_str().unwrap(),
        row["line"].as_i64().unwrap(),
        row["name"].as_str().unwrap(),
    );
    profiles
        .iter()
        .map(|p| {
            p.functions()
                .iter()
                .find(|f| *f.key.file == *file && f.key.line == line && *f.key.name == *name)
                .map_or(0.0, |f| f.tt)
        })
        .collect()
}

#[test]
fn p_and_q_values_match_scipy_and_find_only_the_real_change() {
    let reference: Value =
        serde_json::from_slice(&std::fs::read(format!("{}/reference.json", dir())).unwrap())
            .unwrap();
    let base = runs("a");
    let mut tester = RankTester::default();
    let boot = RatioBootstrap::new(8, 8);
    for (cand_name, comparison) in [("b", "a_vs_b"), ("aa", "a_vs_aa")] {
        let cand = runs(cand_name);
        let rows = reference[comparison].as_array().unwrap();
        assert!(rows.len() > 10);
        let mut ps = Vec::new();
        for row in rows {
            let (a, b) = (tottimes(&base, row), tottimes(&cand, row));
            // Our profiles hold exactly the numbers SciPy saw.
            let want_a: Vec<f64> = row["base"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_f64().unwrap())
                .collect();
            assert_eq!(a, want_a, "{row}");
            let t = tester.test(&a, &b).unwrap();
            let want = row["p"].as_f64().unwrap();
            assert!(
                (t.p - want).abs() < 1e-9,
                "{}: p {} vs SciPy {want}",
                row["name"],
                t.p
            );
            ps.push(t.p);
        }
        let qs = bh_q_values(&ps);
        for (q, row) in qs.iter().zip(rows) {
            assert!(
                (q - row["q"].as_f64().unwrap()).abs() < 1e-9,
                "{}: q {q}",
                row["name"]
            );
        }
        let significant: Vec<&str> = qs
            .iter()
            .zip(rows)
            .filter(|(q, _)| **q < 0.05)
            .map(|(_, r)| r["name"].as_str().unwrap())
            .collect();
        if cand_name == "b" {
            assert_eq!(significant, ["regress"]);
            let row = rows.iter().find(|r| r["name"] == "regress").unwrap();
            let (a, b) = (tottimes(&base, row), tottimes(&cand, row));
            let median = |v: &[f64]| {
                let mut s = v.to_vec();
                s.sort_by(f64::total_cmp);
                (s[3] + s[4]) / 2.0
            };
            let ratio = median(&b) / median(&a);
            let [lo, hi] = boot.ratio_ci(&a, &b).unwrap();
            // Twice the loop iterations: the time ratio is a little under 2 (per-call costs).
            assert!(
                lo <= ratio && ratio <= hi && lo > 1.5 && hi < 2.5,
                "{lo} {ratio} {hi}"
            );
        } else {
            // Unchanged code: raw p-values dip under 0.05 by chance, q-values do not.
            assert!(
                ps.iter().any(|&p| p < 0.05),
                "the A/A data no longer shows why BH matters"
            );
            assert!(significant.is_empty(), "{significant:?}");
            for row in rows {
                if let Some([lo, hi]) = boot.ratio_ci(&tottimes(&base, row), &tottimes(&cand, row))
                {
                    assert!(lo < 1.25 && hi > 0.8, "{}: [{lo}, {hi}]", row["name"]);
                }
            }
        }
    }
}

/// The same verdicts through the runs comparison the CLI, API and web app use: statuses,
/// p- and q-values per row, and the CI gate.
#[test]
fn the_runs_comparison_reports_only_the_real_change() {
    let reference: Value =
        serde_json::from_slice(&std::fs::read(format!("{}/reference.json", dir())).unwrap())
            .unwrap();
    let base = runs("a");
    for (cand_name, comparison) in [("b", "a_vs_b"), ("aa", "a_vs_aa")] {
        let cand = runs(cand_name);
        let c = compare_runs(&base, &cand, &Options::default());
        let t = &c.summary.test;
        assert_eq!(
            (t.name.as_str(), t.alpha, t.tests),
            ("mann-whitney-u", 0.05, c.rows.len())
        );
        assert!(c.can_reach_alpha());
        for want in reference[comparison].as_array().unwrap() {
            let row = row_for(&c, want);
            assert!(
                (row.p_value - want["p"].as_f64().unwrap()).abs() < 1e-9,
                "{want}"
            );
            // The family is every row; SciPy's reference tested the same functions.
            assert_eq!(
                c.rows.len(),
                reference[comparison].as_array().unwrap().len()
            );
            assert!(
                (row.q_value - want["q"].as_f64().unwrap()).abs() < 1e-9,
                "{want}"
            );
        }
        let changed: Vec<&str> = c
            .rows
            .iter()
            .filter(|r| matches!(r.status, Status::Slower | Status::Faster))
            .map(|r| &*r.function.name)
            .collect();
        if cand_name == "b" {
            assert_eq!(changed, ["regress"]);
            let r = &c.rows[0];
            let [lo, hi] = r.ratio_ci.unwrap();
            let ratio = r.candidate.median / r.baseline.median;
            assert!(lo <= ratio && ratio <= hi && lo > 1.0, "{lo} {ratio} {hi}");
            assert!(c.regressed_beyond(50.0));
            assert!(!c.regressed_beyond(150.0));
        } else {
            assert!(changed.is_empty(), "{changed:?}");
            assert_eq!(c.summary.counts.insufficient, 0);
            assert!(!c.regressed_beyond(0.0));
            // Rows beyond the thresholds by chance are called within noise, not slower.
            assert!(
                c.rows
                    .iter()
                    .all(|r| !r.within_noise || r.status == Status::Unchanged)
            );
        }
    }
    // Three runs of each: the change is there but cannot be significant.
    let c = compare_runs(&base[..3], &runs("b")[..3], &Options::default());
    let r = c
        .rows
        .iter()
        .find(|r| &*r.function.name == "regress")
        .unwrap();
    assert_eq!(r.status, Status::Insufficient);
    assert!(!c.regressed_beyond(50.0));
}

/// Welch's t-test through the runs comparison: p and q equal SciPy's `ttest_ind(...,
/// equal_var=False)` and `false_discovery_control`; it too finds only the real change.
#[test]
fn welch_t_matches_scipy_and_finds_only_the_real_change() {
    use profdiff::engine::stats::TestKind;
    let reference: Value =
        serde_json::from_slice(&std::fs::read(format!("{}/reference.json", dir())).unwrap())
            .unwrap();
    let base = runs("a");
    let options = Options {
        test: TestKind::WelchT,
        ..Options::default()
    };
    for (cand_name, comparison) in [("b", "a_vs_b"), ("aa", "a_vs_aa")] {
        let c = compare_runs(&base, &runs(cand_name), &options);
        assert_eq!(c.summary.test.name, "welch-t");
        for want in reference[comparison].as_array().unwrap() {
            let row = row_for(&c, want);
            let (p, q) = (
                want["p_welch"].as_f64().unwrap(),
                want["q_welch"].as_f64().unwrap(),
            );
            assert!(
                (row.p_value - p).abs() < 1e-9 * p.max(1e-3),
                "{want}: p {}",
                row.p_value
            );
            assert!((row.q_value - q).abs() < 1e-9, "{want}: q {}", row.q_value);
        }
        let changed: Vec<&str> = c
            .rows
            .iter()
            .filter(|r| matches!(r.status, Status::Slower | Status::Faster))
            .map(|r| &*r.function.name)
            .collect();
        if cand_name == "b" {
            assert_eq!(changed, ["regress"]);
        } else {
            assert!(changed.is_empty(), "{changed:?}");
        }
    }
    // Three runs a side can reach alpha with a t-test: no insufficient rows.
    let c = compare_runs(&base[..3], &runs("b")[..3], &options);
    assert!(c.can_reach_alpha());
    assert_eq!(c.summary.counts.insufficient, 0);
}
