//! Python 2 reports list tied functions in Python 2.7's dict order, as its pstats does
//! (tests/fixtures/pstats/py27_ties: tie-heavy 2.7 dumps and what CPython 2.7.18 printed;
//! gen.py wrote both). Without the emulation of 2.7's hash table (src/engine/py2dict.rs)
//! these lines come out in dump order.
#![cfg(feature = "ssr")]

#[path = "common/cli.rs"]
mod cli;

const DIR: &str = "tests/fixtures/pstats/py27_ties";

/// The report from its "N function calls" line on (the lines above name files and times).
fn body(text: &str) -> Vec<String> {
    let lines: Vec<&str> = text.lines().collect();
    let start = lines
        .iter()
        .position(|l| l.contains("function calls"))
        .unwrap_or_else(|| panic!("no summary line in:\n{text}"));
    lines[start..]
        .iter()
        .map(|l| l.trim_end().to_string())
        .collect()
}

/// `profdiff stats ARGS` in the fixtures' folder.
fn profdiff(args: &[&str]) -> String {
    let args: Vec<&str> = ["stats"].iter().chain(args).copied().collect();
    cli::ok(Some(DIR), &args)
}

#[test]
fn ties_follow_python_2_dict_order() {
    for (expected, args) in [
        ("a_calls.txt", &["a.prof", "--sort", "calls"][..]),
        ("a_unsorted.txt", &["a.prof"][..]),
        ("ab_calls.txt", &["a.prof", "b.prof", "--sort", "calls"][..]),
        (
            "ab_strip_pcalls.txt",
            &["a.prof", "b.prof", "--strip-dirs", "--sort", "pcalls"][..],
        ),
    ] {
        let want = std::fs::read_to_string(format!("{DIR}/{expected}")).unwrap();
        let got = profdiff(args);
        assert_eq!(body(&got), body(&want), "{expected}");
    }
}
