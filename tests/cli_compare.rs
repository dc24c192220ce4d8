//! `profdiff diff` and `profdiff matrix` as a CI pipeline would run them.
#![cfg(feature = "ssr")]

use std::process::Output;

const DIR: &str = "tests/fixtures/compare";

#[path = "common/cli.rs"]
mod cli;

fn run(args: &[&str]) -> Output {
    cli::run(Some(DIR), args)
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

#[test]
fn every_mode_in_every_format() {
    let modes: [&[&str]; 3] = [
        &["diff", "before_3.11.prof", "after_3.11.prof"],
        &[
            "diff",
            "--baseline",
            "runs_before_1.prof",
            "runs_before_2.prof",
            "runs_before_3.prof",
            "--candidate",
            "runs_after_1.prof",
            "runs_after_2.prof",
        ],
        &[
            "matrix",
            "runs_before_1.prof",
            "runs_after_1.prof",
            "runs_after_2.prof",
        ],
    ];
    for mode in modes {
        for format in ["text", "markdown", "csv", "json"] {
            let mut args = mode.to_vec();
            args.extend(["--format", format]);
            let out = run(&args);
            assert!(
                out.status.success(),
                "{args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            let text = stdout(&out);
            assert!(text.contains("regress"), "{args:?}:\n{text}");
            match format {
                "json" => {
                    serde_json::from_str::<serde_json::Value>(&text).unwrap();
                }
                "csv" => assert!(
                    csv::Reader::from_reader(text.as_bytes())
                        .records()
                        .all(|r| r.is_ok())
                ),
                "markdown" => assert!(text.starts_with("### profdiff"), "{text}"),
                _ => {}
            }
        }
    }
}

#[test]
fn fail_on_regression_gates_ci() {
    let slower = run(&[
        "diff",
        "before_3.11.prof",
        "after_3.11.prof",
        "--fail-on-regression",
        "50",
    ]);
    assert_eq!(slower.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&slower.stderr).contains("regression beyond 50%"));
    // The other direction only got faster (and lost a function).
    let faster = run(&[
        "diff",
        "after_3.11.prof",
        "before_3.11.prof",
        "--fail-on-regression",
        "50",
        "--format",
        "json",
    ]);
    let json: serde_json::Value = serde_json::from_str(&stdout(&faster)).unwrap();
    let regress = json["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["function"]["name"] == "regress")
        .unwrap();
    assert_eq!(regress["status"], "faster");
    // improve() got 4x slower in this direction, so the gate trips.
    assert_eq!(faster.status.code(), Some(1));
    // Without the flag, a regression is just reported.
    assert_eq!(
        run(&["diff", "before_3.11.prof", "after_3.11.prof"])
            .status
            .code(),
        Some(0)
    );
}

#[test]
fn options_change_the_result() {
    let json = |args: &[&str]| -> serde_json::Value {
        let mut a = vec![
            "diff",
            "before_3.11.prof",
            "after_3.11.prof",
            "--format",
            "json",
        ];
        a.extend_from_slice(args);
        serde_json::from_str(&stdout(&run(&a))).unwrap()
    };
    assert_eq!(json(&["--normalize"])["summary"]["normalized"], true);
    assert_eq!(
        json(&["--metric", "cumtime"])["summary"]["metric"],
        "cumtime"
    );
    let strict = json(&["--min-ms", "100000"]);
    assert_eq!(strict["summary"]["counts"]["slower"], 0);
    let by_name = json(&["--sort", "name"]);
    let names: Vec<&str> = by_name["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["display"].as_str().unwrap())
        .collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted);
}

#[test]
fn bad_input_is_one_line_and_exit_2() {
    for (args, needle) in [
        (
            vec!["diff", "before_3.11.prof", "missing.prof"],
            "missing.prof: No such file",
        ),
        (
            vec!["diff", "before_3.11.prof", "gen.sh"],
            "gen.sh: not a Python profile dump",
        ),
        (vec!["diff", "before_3.11.prof"], "diff takes BASE CAND"),
        (
            vec![
                "diff",
                "before_3.11.prof",
                "after_3.11.prof",
                "--sort",
                "bogus",
            ],
            "unknown --sort field",
        ),
        (
            vec![
                "diff",
                "before_3.11.prof",
                "after_3.11.prof",
                "--min-ms",
                "-1",
            ],
            "--min-ms and --min-pct",
        ),
        (vec!["matrix", "before_3.11.prof"], ""),
    ] {
        let out = run(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(needle), "{args:?}: {err}");
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn function_edges_from_the_cli() {
    let out = run(&[
        "diff",
        "before_3.11.prof",
        "after_3.11.prof",
        "--function",
        r"\(main\)",
    ]);
    assert!(out.status.success());
    let text = stdout(&out);
    assert!(
        text.contains("(main) calls:") && text.contains("(main) called by:"),
        "{text}"
    );
    let json: serde_json::Value = serde_json::from_str(&stdout(&run(&[
        "diff",
        "before_3.11.prof",
        "after_3.11.prof",
        "--function",
        "regress",
        "--format",
        "json",
    ])))
    .unwrap();
    assert_eq!(json["edges"][0]["callers"][0]["baseline"]["ncalls"], 3);
    let none = run(&[
        "diff",
        "before_3.11.prof",
        "after_3.11.prof",
        "--function",
        "no_such_fn",
    ]);
    assert_eq!(none.status.code(), Some(2));
}

/// Runs: `--fail-on-regression` trips on a significant regression only, `--alpha` is
/// checked, and too few runs say so on stderr.
#[test]
fn runs_gate_on_significance() {
    let runs = |side: &str, n: usize| -> Vec<String> {
        (1..=n)
            .map(|i| format!("../runs/{side}_{i}.prof"))
            .collect()
    };
    let diff = |b: &str, c: &str, n: usize, extra: &[&str]| -> Output {
        let (b, c) = (runs(b, n), runs(c, n));
        let mut args = vec!["diff", "--baseline"];
        args.extend(b.iter().map(String::as_str));
        args.push("--candidate");
        args.extend(c.iter().map(String::as_str));
        args.extend_from_slice(extra);
        run(&args)
    };
    let gate = ["--fail-on-regression", "50"];
    assert_eq!(diff("a", "b", 8, &gate).status.code(), Some(1));
    assert_eq!(diff("a", "aa", 8, &gate).status.code(), Some(0));
    let few = diff("a", "b", 3, &gate);
    assert_eq!(few.status.code(), Some(0));
    let err = String::from_utf8_lossy(&few.stderr);
    assert!(err.contains("cannot reach alpha 0.05"), "{err}");
    let text = stdout(&few);
    assert!(
        text.contains("insufficient") && text.contains("record at least 4 runs a side"),
        "{text}"
    );
    // At alpha 0.2 the total time's own test (p 0.1, +23%) decides; no function does (13
    // tests at p >= 0.1 leave every q-value above 0.2).
    let loose = diff(
        "a",
        "b",
        3,
        &["--alpha", "0.2", "--fail-on-regression", "20"],
    );
    assert_eq!(loose.status.code(), Some(1));
    assert!(stdout(&loose).contains("within noise"));
    for bad in ["0", "1", "-0.1", "nan"] {
        let out = diff("a", "b", 3, &["--alpha", bad]);
        assert_eq!(out.status.code(), Some(2), "{bad}");
        assert!(String::from_utf8_lossy(&out.stderr).contains("--alpha"));
    }
    let welch = stdout(&diff(
        "a",
        "b",
        8,
        &["--test", "welch-t", "--format", "json"],
    ));
    let welch: serde_json::Value = serde_json::from_str(&welch).unwrap();
    assert_eq!(welch["summary"]["test"]["name"], "welch-t");
    assert_eq!(welch["rows"][0]["status"], "slower");
    assert_eq!(
        diff("a", "b", 3, &["--test", "bogus"]).status.code(),
        Some(2)
    );
    let two = run(&[
        "diff",
        "before_3.11.prof",
        "after_3.11.prof",
        "--alpha",
        "0.1",
    ]);
    assert_eq!(two.status.code(), Some(2));
    // The JSON contract's new fields.
    let json: serde_json::Value =
        serde_json::from_str(&stdout(&diff("a", "b", 8, &["--format", "json"]))).unwrap();
    let row = &json["rows"][0];
    assert_eq!(row["function"]["name"], "regress");
    assert!(row["p_value"].as_f64().unwrap() < 0.01);
    assert!(row["q_value"].as_f64().unwrap() < 0.05);
    assert_eq!(row["ratio_ci"].as_array().unwrap().len(), 2);
    assert_eq!(json["summary"]["test"]["name"], "mann-whitney-u");
    assert_eq!(json["summary"]["counts"]["insufficient"], 0);
}

/// `profdiff merge`: the pstats sum, readable by `profdiff stats`; mixed producers refused.
#[test]
fn merge_writes_one_profile() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("merged.prof");
    let o = run(&[
        "merge",
        "../runs/a_1.prof",
        "../runs/a_2.prof",
        "../runs/a_3.prof",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stderr).contains("merged 3 profiles"));
    let oracle = std::fs::read(format!("{DIR}/../runs/merged_a_1_2_3.prof")).unwrap();
    let stats = |p: &str| stdout(&run(&["stats", p, "--sort", "tottime"]));
    // The same report as for the dump CPython's pstats merged (but for the header line
    // naming the file).
    let tail = |t: String| t.lines().skip(1).collect::<Vec<_>>().join("\n");
    let oracle_path = dir.path().join("oracle.prof");
    std::fs::write(&oracle_path, oracle).unwrap();
    assert_eq!(
        tail(stats(out.to_str().unwrap())),
        tail(stats(oracle_path.to_str().unwrap()))
    );
    let bad = run(&[
        "merge",
        "../runs/a_1.prof",
        "../sampled/pyspy_before.txt",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(bad.status.code(), Some(2));
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(
        err.contains("cannot merge") && err.lines().count() == 1,
        "{err}"
    );
}

/// `--format html`: one self-contained file (no request can leave it), every name escaped,
/// the table, the chart and the differential flame graph; runs and matrix too.
#[test]
fn html_report_is_self_contained_and_escaped() {
    use profdiff::engine::{Function, FunctionKey, Profile};
    let dir = tempfile::tempdir().unwrap();
    let hostile = "<img src=x onerror=alert(1)>\"'&</script>";
    let f = |tt: f64| Function {
        key: FunctionKey::new("/app/<evil>.py", 3, hostile),
        cc: 1,
        nc: 1,
        tt,
        ct: tt,
        callers: Vec::new(),
    };
    let (a, b) = (dir.path().join("a.prof"), dir.path().join("b.prof"));
    std::fs::write(&a, Profile::from_functions(vec![f(0.1)]).dump()).unwrap();
    std::fs::write(&b, Profile::from_functions(vec![f(0.3)]).dump()).unwrap();
    let out = dir.path().join("report.html");
    let o = run(&[
        "diff",
        a.to_str().unwrap(),
        b.to_str().unwrap(),
        "--format",
        "html",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let html = std::fs::read_to_string(&out).unwrap();
    assert!(html.starts_with("<!doctype html>"));
    assert!(!html.contains(hostile) && !html.contains("<img") && !html.contains("<evil>"));
    assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;"));
    // Nothing to fetch: no external URL in any attribute; the policy forbids requests.
    assert!(html.contains("default-src 'none'"));
    // …except the flame graph's `data:` SVG, which Chromium loads as a frame.
    assert!(html.contains("object-src data:; frame-src data:"));
    for attr in ["src=\"http", "href=\"http", "src=\"//", "href=\"//", "url("] {
        assert!(!html.contains(attr), "{attr}");
    }
    assert!(html.contains("data:image/svg+xml;base64,") && html.contains("<table id=\"rows\">"));
    assert!(html.contains("class=\"st-slower\">slower"));
    // Runs and matrix reports.
    let runs = stdout(&run(&[
        "diff",
        "--baseline",
        "../runs/a_1.prof",
        "../runs/a_2.prof",
        "../runs/a_3.prof",
        "../runs/a_4.prof",
        "--candidate",
        "../runs/b_1.prof",
        "../runs/b_2.prof",
        "../runs/b_3.prof",
        "../runs/b_4.prof",
        "--format",
        "html",
    ]));
    assert!(runs.contains("Benjamini–Hochberg") && runs.contains("ratio [95% CI]"));
    let m = stdout(&run(&[
        "matrix",
        "runs_before_1.prof",
        "runs_after_1.prof",
        "--format",
        "html",
    ]));
    assert!(m.contains("profdiff matrix of 2 profiles") && m.contains("regress"));
}
