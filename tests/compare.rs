//! The comparison engine on pairs with known changes: CPython-built before/after dumps,
//! the same across two CPython versions, real-world pairs, and a synthetic pair where every
//! expected status and match kind is known exactly.

use profdiff::engine::compare::export::{self, Format};
use profdiff::engine::compare::runs::{compare_runs, matrix};
use profdiff::engine::compare::{MatchKind, Metric, Options, Row, Status, compare};
use profdiff::engine::{Function, FunctionKey, Profile};

fn load(path: &str) -> Profile {
    Profile::parse(&std::fs::read(path).unwrap()).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn cmp(name: &str) -> Profile {
    load(&format!("tests/fixtures/compare/{name}"))
}

fn dump(name: &str) -> Profile {
    load(&format!("tests/fixtures/pstats/dumps/{name}"))
}

fn row<'a>(rows: &'a [Row], name: &str) -> &'a Row {
    rows.iter()
        .find(|r| &*r.function.name == name)
        .unwrap_or_else(|| panic!("no row {name}"))
}

#[test]
fn known_changes_are_found() {
    let c = compare(
        &cmp("before_3.11.prof"),
        &cmp("after_3.11.prof"),
        &Options::default(),
    );
    let regress = row(&c.rows, "regress");
    assert_eq!(regress.status, Status::Slower);
    assert_eq!(
        regress.match_kind,
        Some(MatchKind::Path),
        "another checkout, another line"
    );
    let r = regress.ratio.tottime.unwrap();
    assert!(
        (2.0..4.5).contains(&r),
        "regress was made 3x slower, ratio {r}"
    );
    let improve = row(&c.rows, "improve");
    assert_eq!(improve.status, Status::Faster);
    let r = improve.ratio.tottime.unwrap();
    assert!(
        (0.12..0.4).contains(&r),
        "improve was made 4x faster, ratio {r}"
    );
    let removed = row(&c.rows, "removed_fn");
    assert_eq!(
        (removed.status, removed.candidate.is_none()),
        (Status::Removed, true)
    );
    let added = row(&c.rows, "added_fn");
    assert_eq!(
        (added.status, added.baseline.is_none()),
        (Status::New, true)
    );
    // Exact call counts: rec(10) -> rec(20) is 11 -> 21 calls, one primitive each time.
    let rec = row(&c.rows, "rec");
    assert_eq!(rec.delta.ncalls, Some(10));
    assert_eq!(rec.baseline.as_ref().unwrap().pcalls, Some(1));
    assert_eq!(rec.candidate.as_ref().unwrap().pcalls, Some(1));
    // Every shop.py function other than the added/removed pair is matched.
    let unmatched: Vec<_> = c
        .rows
        .iter()
        .filter(|r| r.match_kind.is_none())
        .map(|r| r.function.name.clone())
        .collect();
    assert_eq!(unmatched.len(), 2, "{unmatched:?}");
    assert_eq!(c.summary.counts.new, 1);
    assert_eq!(c.summary.counts.removed, 1);
    // Rows are sorted by signed change: the regression first, the improvement last.
    assert_eq!(&*c.rows.first().unwrap().function.name, "regress");
    assert_eq!(&*c.rows.last().unwrap().function.name, "improve");
}

#[test]
fn changed_functions_match_across_cpython_versions() {
    let c = compare(
        &cmp("before_3.11.prof"),
        &cmp("after_3.12.prof"),
        &Options::default(),
    );
    assert_eq!(row(&c.rows, "regress").status, Status::Slower);
    assert_eq!(row(&c.rows, "improve").status, Status::Faster);
    for name in ["work", "steady", "main", "rec", "<module>"] {
        assert!(row(&c.rows, name).match_kind.is_some(), "{name} unmatched");
    }
    let sum = row(&c.rows, "<built-in method builtins.sum>");
    assert_eq!(sum.match_kind, Some(MatchKind::Exact));
    assert_eq!(sum.delta.ncalls, Some(0));
}

#[test]
fn dataviewer_pair_matches_every_function() {
    let c = compare(
        &dump("dataviewer_before.prof"),
        &dump("dataviewer_after.prof"),
        &Options::default(),
    );
    let k = &c.summary.counts;
    assert_eq!((k.new, k.removed), (0, 0));
    assert_eq!(c.rows.len(), 5635);
    assert!(
        c.rows.iter().all(|r| r.delta.ncalls == Some(0)),
        "identical call counts"
    );
    let by_address = c
        .rows
        .iter()
        .filter(|r| r.match_kind == Some(MatchKind::Address))
        .count();
    assert_eq!(by_address, 3, "builtins named with other 0x addresses");
    assert_eq!(format!("{:.2}", c.summary.delta_pct.unwrap()), "-37.17");
    assert_eq!(c.summary.baseline.total_calls, 1568659);
    assert!(k.faster > k.slower);
}

/// Rows come largest regression first, ties in matching order (candidate order, then
/// baseline-only functions), whatever the metric and scaling: the order is worked out
/// before the rows are built, so it is checked against the rows' own numbers here.
#[test]
fn rows_are_ordered_by_delta_then_matching_order() {
    use profdiff::engine::compare::{match_profiles, total_order};
    let (a, b) = (cmp("before_3.11.prof"), cmp("after_3.11.prof"));
    let (c, d) = (
        dump("dataviewer_before.prof"),
        dump("dataviewer_after.prof"),
    );
    let mut ties = 0;
    for (a, b) in [(&a, &b), (&b, &a), (&c, &d), (&a, &d)] {
        let pairs = match_profiles(a, b).pairs;
        let places: std::collections::HashMap<_, usize> = pairs
            .iter()
            .enumerate()
            .map(|(n, &(i, j, _))| ((i, j), n))
            .collect();
        let place = |r: &Row| places[&r.positions];
        for metric in [Metric::Tottime, Metric::Cumtime] {
            for normalize in [false, true] {
                let options = Options {
                    metric,
                    normalize,
                    ..Options::default()
                };
                let c = compare(a, b, &options);
                assert_eq!(c.rows.len(), pairs.len());
                let keys: Vec<(u64, usize)> = c
                    .rows
                    .iter()
                    .map(|r| (total_order(-r.delta_of(metric)), place(r)))
                    .collect();
                ties += keys.windows(2).filter(|w| w[0].0 == w[1].0).count();
                assert!(
                    keys.windows(2).all(|w| w[0] < w[1]),
                    "{metric:?} normalize={normalize}: rows out of order"
                );
            }
        }
    }
    assert!(ties > 100, "{ties} ties: the check needs some");
}

#[test]
fn pstatsview_and_gprof2dot_pairs() {
    let c = compare(
        &dump("pstatsview_naive.stats"),
        &dump("pstatsview_fast.stats"),
        &Options::default(),
    );
    assert_eq!(c.summary.baseline.functions, 178);
    assert_eq!(c.summary.candidate.functions, 91);
    let k = &c.summary.counts;
    assert_eq!(k.slower + k.faster + k.unchanged + k.removed, 178);
    assert_eq!(k.slower + k.faster + k.unchanged + k.new, 91);

    let opts = Options {
        min_ms: 0.0,
        min_pct: 5.0,
        ..Options::default()
    };
    let c = compare(
        &dump("gprof2dot_print1.pstats"),
        &dump("gprof2dot_print2.pstats"),
        &opts,
    );
    assert_eq!(
        (
            c.summary.baseline.total_calls,
            c.summary.candidate.total_calls
        ),
        (52, 220)
    );
    assert!(
        c.rows
            .iter()
            .all(|r| r.match_kind == Some(MatchKind::Exact))
    );
    // With the default 1 ms threshold these microsecond changes are all "unchanged".
    let c = compare(
        &dump("gprof2dot_print1.pstats"),
        &dump("gprof2dot_print2.pstats"),
        &Options::default(),
    );
    assert_eq!(c.summary.counts.unchanged, 11);
}

#[test]
fn thresholds_and_normalisation() {
    let (b, a) = (cmp("before_3.11.prof"), cmp("after_3.11.prof"));
    let loose = compare(
        &b,
        &a,
        &Options {
            min_ms: 0.0,
            min_pct: 0.0,
            ..Options::default()
        },
    );
    let strict = compare(
        &b,
        &a,
        &Options {
            min_ms: 1000.0,
            ..Options::default()
        },
    );
    assert!(loose.summary.counts.unchanged < strict.summary.counts.unchanged);
    assert_eq!(
        strict.summary.counts.slower + strict.summary.counts.faster,
        0
    );

    let n = compare(
        &b,
        &a,
        &Options {
            normalize: true,
            ..Options::default()
        },
    );
    assert!(n.summary.normalized);
    let scale = b.total_time() / a.total_time();
    assert!((n.summary.scale - scale).abs() < 1e-12);
    let cand_total: f64 = n
        .rows
        .iter()
        .filter_map(|r| r.candidate.as_ref())
        .map(|s| s.tottime)
        .sum();
    assert!(
        (cand_total - b.total_time()).abs() < 1e-9,
        "normalised candidate sums to the baseline total"
    );
    // The cumtime metric decides status by cumulative time.
    let cum = compare(
        &b,
        &a,
        &Options {
            metric: Metric::Cumtime,
            ..Options::default()
        },
    );
    assert_eq!(cum.summary.metric, Metric::Cumtime);
    assert_eq!(row(&cum.rows, "main").status, Status::Faster);
}

/// A synthetic pair where every status and match is known exactly.
#[test]
fn synthetic_pair_exact_expectations() {
    let f = |file: &str, line: i64, name: &str, tt: f64, nc: i64| Function {
        key: FunctionKey::new(file, line, name),
        cc: nc,
        nc,
        tt,
        ct: tt,
        callers: Vec::new(),
    };
    let base = Profile::from_functions(vec![
        f(r"C:\ci\repo\app\a.py", 10, "same", 0.100, 5),
        f(r"C:\ci\repo\app\a.py", 20, "moved", 0.100, 5),
        f(r"C:\ci\repo\app\b.py", 5, "slow", 0.010, 1),
        f(r"C:\ci\repo\app\b.py", 9, "fast", 0.400, 1),
        f(r"C:\venv\Lib\site-packages\lib\x.py", 3, "dep", 0.050, 2),
        f("~", 0, "<built-in method lock at 0x7f00aa>", 0.002, 1),
        f("~", 0, "<built-in method gone>", 0.020, 1),
        f(r"C:\ci\repo\app\b.py", 30, "tiny", 0.0001, 1),
    ]);
    let cand = Profile::from_functions(vec![
        f("/home/u/repo/app/a.py", 10, "same", 0.100, 5),
        f("/home/u/repo/app/a.py", 25, "moved", 0.100, 5),
        f("/home/u/repo/app/b.py", 5, "slow", 0.030, 1),
        f("/home/u/repo/app/b.py", 9, "fast", 0.100, 1),
        f(
            "/opt/venv/lib/python3.12/site-packages/lib/x.py",
            3,
            "dep",
            0.050,
            2,
        ),
        f("~", 0, "<built-in method lock at 0x55ff01>", 0.002, 1),
        f("~", 0, "<built-in method fresh>", 0.020, 1),
        f("/home/u/repo/app/b.py", 30, "tiny", 0.0009, 1),
    ]);
    let c = compare(&base, &cand, &Options::default());
    let want = [
        ("same", Status::Unchanged, Some(MatchKind::Path)),
        ("moved", Status::Unchanged, Some(MatchKind::Path)),
        ("slow", Status::Slower, Some(MatchKind::Path)),
        ("fast", Status::Faster, Some(MatchKind::Path)),
        ("dep", Status::Unchanged, Some(MatchKind::Path)),
        (
            "<built-in method lock at 0x55ff01>",
            Status::Unchanged,
            Some(MatchKind::Address),
        ),
        ("<built-in method fresh>", Status::New, None),
        ("<built-in method gone>", Status::Removed, None),
        // +800% but under 1 ms: unchanged.
        ("tiny", Status::Unchanged, Some(MatchKind::Path)),
    ];
    for (name, status, kind) in want {
        let r = row(&c.rows, name);
        assert_eq!((r.status, r.match_kind), (status, kind), "{name}");
    }
    assert_eq!(
        row(&c.rows, "slow")
            .ratio
            .tottime
            .map(|r| (r * 1000.0).round()),
        Some(3000.0)
    );
    assert_eq!(
        row(&c.rows, "fast").delta.pct.map(|p| p.round()),
        Some(-75.0)
    );
    // Same file, another line: "moved".
    let moved_only = Profile::from_functions(vec![
        f("/r/a.py", 40, "moved", 0.1, 5),
        f("/r/a.py", 1, "other", 0.1, 1),
    ]);
    let base_same_path = Profile::from_functions(vec![
        f("/r/a.py", 20, "moved", 0.1, 5),
        f("/r/a.py", 1, "other", 0.1, 1),
    ]);
    let c = compare(&base_same_path, &moved_only, &Options::default());
    assert_eq!(row(&c.rows, "moved").match_kind, Some(MatchKind::Moved));
    assert!(!c.regressed_beyond(0.0));
}

#[test]
fn runs_median_spread_and_noise() {
    let b: Vec<Profile> = (1..=3)
        .map(|i| cmp(&format!("runs_before_{i}.prof")))
        .collect();
    let a: Vec<Profile> = (1..=3)
        .map(|i| cmp(&format!("runs_after_{i}.prof")))
        .collect();
    let c = compare_runs(&b, &a, &Options::default());
    assert_eq!((c.summary.baseline_runs, c.summary.candidate_runs), (3, 3));
    let regress = c
        .rows
        .iter()
        .find(|r| &*r.function.name == "regress")
        .unwrap();
    // 3 runs a side cannot reach p < 0.05 (the smallest possible p is 0.1): the change is
    // beyond the thresholds, so it is insufficient, never "unchanged".
    assert_eq!(regress.status, Status::Insufficient);
    assert!(!regress.within_noise && regress.delta > 0.0);
    assert!(!c.can_reach_alpha());
    assert!((c.summary.test.smallest_p - 0.1).abs() < 1e-12);
    assert_eq!(c.summary.counts.slower, 0);
    assert!(c.summary.counts.insufficient >= 2);
    assert_eq!(regress.baseline.runs.len(), 3);
    assert!(
        regress.baseline.min <= regress.baseline.median
            && regress.baseline.median <= regress.baseline.max
    );
    let improve = c
        .rows
        .iter()
        .find(|r| &*r.function.name == "improve")
        .unwrap();
    assert_eq!(improve.status, Status::Insufficient);
    assert!(improve.delta < 0.0);
    let added = c
        .rows
        .iter()
        .find(|r| &*r.function.name == "added_fn")
        .unwrap();
    assert_eq!(added.status, Status::New);
    assert_eq!(added.baseline.runs, vec![0.0; 3]);
    // Nothing here is significant, so the CI gate cannot trip on it.
    assert!(!c.regressed_beyond(50.0));
    // With a level these counts can reach (0.1 is the floor), the changes count again.
    let loose = compare_runs(
        &b,
        &a,
        &Options {
            alpha: 0.25,
            ..Options::default()
        },
    );
    let regress = loose
        .rows
        .iter()
        .find(|r| &*r.function.name == "regress")
        .unwrap();
    assert_eq!(regress.status, Status::Slower, "q {}", regress.q_value);
    assert!(loose.regressed_beyond(50.0));
}

#[test]
fn matrix_of_three() {
    let ps = vec![
        ("1".to_string(), cmp("runs_before_1.prof")),
        ("2".to_string(), cmp("runs_after_1.prof")),
        ("3".to_string(), cmp("runs_after_2.prof")),
    ];
    let m = matrix(&ps, Metric::Tottime);
    assert_eq!(m.profiles, vec!["1", "2", "3"]);
    let removed = m
        .rows
        .iter()
        .find(|r| &*r.function.name == "removed_fn")
        .unwrap();
    assert!(
        removed.values[0].is_some() && removed.values[1].is_none() && removed.values[2].is_none()
    );
    let regress = m
        .rows
        .iter()
        .find(|r| &*r.function.name == "regress")
        .unwrap();
    assert!(regress.values.iter().all(Option::is_some));
    assert!(regress.delta > 0.0);
    let text = export::matrix(&m, Format::Text, None);
    assert!(text.contains("regress") && text.contains("#3"), "{text}");
}

#[test]
fn exports_follow_the_contract() {
    let c = compare(
        &cmp("before_3.11.prof"),
        &cmp("after_3.11.prof"),
        &Options::default(),
    );
    let json: serde_json::Value =
        serde_json::from_str(&export::comparison(&c, Format::Json, None)).unwrap();
    let s = &json["summary"];
    assert_eq!(s["metric"], "tottime");
    assert_eq!(s["normalized"], false);
    for side in ["baseline", "candidate"] {
        for k in ["total_time", "total_calls", "primitive_calls", "functions"] {
            assert!(s[side][k].is_number(), "summary.{side}.{k}");
        }
    }
    for k in ["slower", "faster", "unchanged", "new", "removed"] {
        assert!(s["counts"][k].is_number(), "counts.{k}");
    }
    assert!(s["delta_time"].is_number() && s["delta_pct"].is_number());
    let rows = json["rows"].as_array().unwrap();
    assert_eq!(rows.len(), c.rows.len());
    for r in rows {
        for k in [
            "function",
            "display",
            "status",
            "match",
            "baseline",
            "candidate",
            "delta",
            "ratio",
        ] {
            assert!(r.get(k).is_some(), "row.{k}");
        }
        for k in ["file", "line", "name"] {
            assert!(r["function"].get(k).is_some());
        }
        for k in ["ncalls", "tottime", "cumtime"] {
            assert!(r["delta"].get(k).is_some());
        }
        for k in ["tottime", "cumtime"] {
            assert!(r["ratio"].get(k).is_some());
        }
        if r["status"] == "new" {
            assert!(
                r["baseline"].is_null() && r["ratio"]["tottime"].is_null() && r["match"].is_null()
            );
        }
    }
    let csv = export::comparison(&c, Format::Csv, Some(2));
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    assert_eq!(
        reader.records().count(),
        c.rows.len(),
        "CSV holds every row whatever the limit"
    );
    let md = export::comparison(&c, Format::Markdown, None);
    assert!(
        md.contains("#### Slower")
            && md.contains("#### Faster")
            && md.contains("`src/b/app/shop.py:17(regress)`")
    );
    let text = export::comparison(&c, Format::Text, Some(3));
    assert!(
        text.contains("Slower (2):") && text.contains("Faster ("),
        "{text}"
    );
}

#[test]
fn edges_show_callers_and_callees_on_both_sides() {
    use profdiff::engine::compare::edges::edges;
    let (b, a) = (cmp("before_3.11.prof"), cmp("after_3.11.prof"));
    let c = compare(&b, &a, &Options::default());
    let main = row(&c.rows, "main");
    let e = edges(&b, &a, &c, main);
    let callee = |name: &str| {
        e.callees
            .iter()
            .find(|r| r.display.ends_with(&format!("({name})")))
            .unwrap_or_else(|| panic!("{name}"))
    };
    // main calls regress 3 times on both sides, even though regress moved to another file.
    let regress = callee("regress");
    assert_eq!(
        (
            regress.baseline.as_ref().unwrap().ncalls,
            regress.candidate.as_ref().unwrap().ncalls
        ),
        (3, 3)
    );
    assert!(regress.delta_cumtime > 0.0);
    assert!(callee("removed_fn").candidate.is_none());
    assert!(callee("added_fn").baseline.is_none());
    let work = edges(&b, &a, &c, row(&c.rows, "work"));
    assert_eq!(work.callers.len(), 1, "only steady() calls work()");
    assert!(work.callers[0].display.ends_with("(steady)"));
}
