//! `profdiff diff` and `profdiff matrix` as a CI pipeline would run them.
#![cfg(feature = "ssr")]

use std::process::{Command, Output};

const DIR: &str = "tests/fixtures/compare";

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_profdiff"))
        .current_dir(DIR)
        .args(args)
        .output()
        .unwrap()
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
