//! `profdiff stats` against CPython's pstats, byte for byte.
//!
//! tests/fixtures/pstats/cases.json lists dumps, sort keys, restrictions and print methods;
//! expected/ holds what CPython printed for each (3.11, or the CPython that wrote the dump
//! where only that one can read it). Regenerate with scripts/gen_pstats_fixtures.py.
//!
//! The one part that may differ is a code object's memory address (the pure-Python
//! `profile` module puts one in a key; dumps do not record addresses), so hex digits after
//! `<code object NAME at 0x` are masked on both sides.
#![cfg(feature = "ssr")]

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, UNIX_EPOCH};

use profdiff::cli::{StatsArgs, stats};
use profdiff::engine::Restriction;
use regex::Regex;
use serde_json::Value;

const FIXTURES: &str = "tests/fixtures/pstats";

struct Case {
    files: Vec<String>,
    sort: Vec<String>,
    restrictions: Vec<Restriction>,
    mode: String,
    expected: String,
}

fn load_cases() -> (u64, Vec<Case>) {
    let text = std::fs::read_to_string(Path::new(FIXTURES).join("cases.json")).unwrap();
    let json: Value = serde_json::from_str(&text).unwrap();
    let mtime = json["mtime"].as_u64().unwrap();
    let strings = |v: &Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap().to_string())
            .collect()
    };
    let cases = json["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| Case {
            files: strings(&c["files"]),
            sort: strings(&c["sort"]),
            restrictions: c["restrictions"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| match r {
                    Value::String(s) => Restriction::Regex(s.clone()),
                    Value::Number(n) if n.is_i64() => Restriction::Count(n.as_i64().unwrap()),
                    Value::Number(n) => Restriction::Fraction(n.as_f64().unwrap()),
                    other => panic!("bad restriction {other}"),
                })
                .collect(),
            mode: c["mode"].as_str().unwrap().to_string(),
            expected: c["expected"].as_str().unwrap().to_string(),
        })
        .collect();
    (mtime, cases)
}

/// pstats prints each file's mtime; give the fixtures the one the oracle saw.
fn set_mtimes(mtime: u64) {
    let when = UNIX_EPOCH + Duration::from_secs(mtime);
    for entry in std::fs::read_dir(Path::new(FIXTURES).join("dumps")).unwrap() {
        let path = entry.unwrap().path();
        let f = File::options()
            .append(true)
            .open(&path)
            .unwrap_or_else(|e| panic!("{path:?}: {e}"));
        f.set_modified(when).unwrap();
    }
}

fn mask(text: &str) -> String {
    let re = Regex::new(r"(<code object \S+ at 0x)[0-9a-f]+").unwrap();
    re.replace_all(text, "${1}ADDR").into_owned()
}

fn first_difference(want: &str, got: &str) -> String {
    for (i, (w, g)) in want.lines().zip(got.lines()).enumerate() {
        if w != g {
            return format!("line {}:\n  want: {w:?}\n  got:  {g:?}", i + 1);
        }
    }
    format!(
        "line counts differ: want {}, got {}",
        want.lines().count(),
        got.lines().count()
    )
}

#[test]
fn stats_matches_cpython_for_every_case() {
    let (mtime, cases) = load_cases();
    assert!(cases.len() > 1000, "the oracle has {} cases", cases.len());
    set_mtimes(mtime);
    let mut failures = Vec::new();
    for case in &cases {
        let args = StatsArgs {
            files: case
                .files
                .iter()
                .map(|f| PathBuf::from(FIXTURES).join(f))
                .collect(),
            sort: case.sort.clone(),
            limit: Vec::new(),
            filter: Vec::new(),
            callers: case.mode == "callers",
            callees: case.mode == "callees",
            strip_dirs: false,
        };
        let want = std::fs::read_to_string(Path::new(FIXTURES).join(&case.expected)).unwrap();
        // The oracle ran inside the fixture directory; we name the files from the root.
        let want = want.replace("    dumps/", &format!("    {FIXTURES}/dumps/"));
        let got = match stats(&args, &case.restrictions) {
            Ok(got) => got,
            Err(e) => {
                failures.push(format!("{}: {e}", case.expected));
                continue;
            }
        };
        let (want, got) = (mask(&want), mask(&got));
        if want != got {
            failures.push(format!(
                "{} {:?} sort={:?} {:?} {}: {}",
                case.expected,
                case.files,
                case.sort,
                case.restrictions,
                case.mode,
                first_difference(&want, &got)
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases differ from CPython:\n{}",
        failures.len(),
        cases.len(),
        failures
            .iter()
            .take(15)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// The binary itself, run where the oracle ran, with the restrictions as flags in order.
#[test]
fn cli_output_is_byte_identical() {
    let (mtime, cases) = load_cases();
    set_mtimes(mtime);
    let picks = cases
        .iter()
        .filter(|c| c.restrictions.len() >= 2 || c.files.len() > 1)
        .take(25);
    let mut checked = 0;
    for case in picks {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_profdiff"));
        cmd.current_dir(FIXTURES).arg("stats").args(&case.files);
        for s in &case.sort {
            cmd.args(["--sort", s]);
        }
        for r in &case.restrictions {
            match r {
                Restriction::Count(n) => cmd.arg(format!("--limit={n}")),
                Restriction::Fraction(f) => cmd.arg(format!("--limit={f:?}")),
                Restriction::Regex(s) => cmd.arg(format!("--filter={s}")),
            };
        }
        if case.mode != "stats" {
            cmd.arg(format!("--{}", case.mode));
        }
        let out = cmd.output().unwrap();
        assert!(
            out.status.success(),
            "{}: {}",
            case.expected,
            String::from_utf8_lossy(&out.stderr)
        );
        let want = std::fs::read(Path::new(FIXTURES).join(&case.expected)).unwrap();
        assert_eq!(
            mask(&String::from_utf8(out.stdout).unwrap()),
            mask(&String::from_utf8(want).unwrap()),
            "{}",
            case.expected
        );
        checked += 1;
    }
    assert!(checked >= 20);
}

#[test]
fn bad_input_is_one_line_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let cases: &[(&str, &[u8], &str)] = &[
        (
            "empty.prof",
            b"",
            "empty.prof: not a Python profile dump: empty file",
        ),
        (
            "random.prof",
            b"\x47\x01\x02\x03",
            "random.prof: not a Python profile dump: unknown marshal type 0x47 at byte 0",
        ),
        (
            "list.prof",
            b"[\x00\x00\x00\x00",
            "list.prof: not a Python profile dump: marshal data is a list, expected a dict of functions",
        ),
        (
            "trunc.prof",
            b"{\xa9\x03",
            "trunc.prof: not a Python profile dump: truncated at byte 3",
        ),
    ];
    for (name, bytes, message) in cases {
        std::fs::write(dir.path().join(name), bytes).unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_profdiff"))
            .current_dir(dir.path())
            .args(["stats", name])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{name}");
        assert_eq!(
            String::from_utf8_lossy(&out.stderr),
            format!("profdiff: {message}\n")
        );
        assert!(out.stdout.is_empty());
    }
    let gprof = Command::new(env!("CARGO_BIN_EXE_profdiff"))
        .args(["stats", "tests/fixtures/gprof2dot_gnu1.gprof.txt"])
        .output()
        .unwrap();
    assert_eq!(gprof.status.code(), Some(2));
    let err = String::from_utf8_lossy(&gprof.stderr);
    assert!(
        err.contains("text file") && err.lines().count() == 1,
        "{err}"
    );
    let bad_key = Command::new(env!("CARGO_BIN_EXE_profdiff"))
        .args([
            "stats",
            "tests/fixtures/pstats/dumps/cprofile_3.11.prof",
            "--sort",
            "cum",
        ])
        .output()
        .unwrap();
    assert_eq!(bad_key.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&bad_key.stderr).contains("unknown or ambiguous sort key 'cum'")
    );
}
