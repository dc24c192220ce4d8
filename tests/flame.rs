//! `profdiff flame`: the SVG is well-formed XML in flamegraph.pl's structure, its frames'
//! widths are pstats' shares, the differential graph colours the known change, and the
//! folded output reads back.

mod common;

fn fixture(path: &str) -> String {
    format!("{}/tests/fixtures/{path}", env!("CARGO_MANIFEST_DIR"))
}

fn profdiff(args: &[&str]) -> std::process::Output {
    common::cli::run(None, args)
}

fn ok(args: &[&str]) -> String {
    common::cli::ok(None, args)
}

/// Each frame: (first line of its title, rect width, fill).
fn frames(svg: &str) -> Vec<(String, f64, String)> {
    let doc = roxmltree::Document::parse(svg).expect("well-formed XML");
    assert_eq!(doc.root_element().tag_name().name(), "svg");
    doc.descendants()
        .filter(|n| n.tag_name().name() == "g" && n.attribute("class") == Some("f"))
        .map(|g| {
            let title = g
                .children()
                .find(|c| c.tag_name().name() == "title")
                .and_then(|t| t.text())
                .expect("a title");
            let rect = g
                .children()
                .find(|c| c.tag_name().name() == "rect")
                .expect("a rect");
            (
                title.lines().next().unwrap().to_string(),
                rect.attribute("width").unwrap().parse().unwrap(),
                rect.attribute("fill").unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn widths_are_pstats_shares() {
    let before = fixture("compare/before_3.11.prof");
    let svg = ok(&["flame", &before, "--width", "1020"]);
    let f = frames(&svg);
    assert_eq!(f[0].0, "all");
    let all = f[0].1;
    assert!((all - 1000.0).abs() < 0.01, "{all}");
    // pstats (CPython 3.11 on this dump): main 0.237516 s of 0.237530 s under exec (the
    // root); improve 0.149969 s, called once from main only — exact shares.
    let width = |name: &str| {
        f.iter()
            .find(|x| x.0.starts_with(name))
            .unwrap_or_else(|| panic!("no {name}"))
            .1
    };
    assert!((width("main (") / all - 0.237516 / 0.237530).abs() < 1e-4);
    assert!((width("improve (") / all - 0.149969 / 0.237530).abs() < 1e-4);
    // The title says where: name (file:line).
    assert!(
        f.iter().any(|x| x.0 == "improve (src/a/app/shop.py:20)"),
        "{f:?}"
    );
    // Self-contained: no external references.
    assert!(!svg.contains("href=\"http"), "external link");
    assert!(svg.contains("<script"));
}

#[test]
fn the_differential_graph_colours_the_known_change() {
    let (a, b) = (
        fixture("compare/before_3.11.prof"),
        fixture("compare/after_3.11.prof"),
    );
    let f = frames(&ok(&["flame", &a, &b]));
    let fill = |name: &str| f.iter().find(|x| x.0.starts_with(name)).unwrap().2.clone();
    let rgb = |s: String| -> (u8, u8, u8) {
        let v: Vec<u8> = s
            .trim_start_matches("rgb(")
            .trim_end_matches(')')
            .split(',')
            .map(|x| x.parse().unwrap())
            .collect();
        (v[0], v[1], v[2])
    };
    // regress got slower (red: more red than blue), improve faster (blue).
    let (r, _, bl) = rgb(fill("regress ("));
    assert!(r > bl, "regress {r} {bl}");
    let (r, _, bl) = rgb(fill("improve ("));
    assert!(bl > r, "improve {r} {bl}");
    // The colour-blind palette changes the colours, not the structure.
    let cb = frames(&ok(&["flame", &a, &b, "--colorblind", "--icicle"]));
    assert_eq!(cb.len(), f.len());
    assert_ne!(
        cb.iter().find(|x| x.0.starts_with("regress (")).unwrap().2,
        fill("regress (")
    );
}

#[test]
fn folded_output_is_what_flamegraph_tools_read() {
    // Sampled: counts are samples, and they add up to the file's samples.
    let raw = fixture("sampled/pyspy_before.txt");
    let text = ok(&["flame", &raw, "--format", "folded"]);
    let total: u64 = text
        .lines()
        .map(|l| l.rsplit_once(' ').unwrap().1.parse::<u64>().unwrap())
        .sum();
    let file: u64 = std::fs::read_to_string(&raw)
        .unwrap()
        .lines()
        .filter_map(|l| l.trim().rsplit(' ').next()?.parse::<u64>().ok())
        .sum();
    // Stacks with no Python frames have no path to print.
    assert!(
        total <= file && total * 100 >= file * 95,
        "{total} of {file}"
    );
    assert!(text.lines().all(|l| l.contains("(workload.py:")), "{text}");
    // The output reads back as a profile with the same function totals.
    let dir = tempfile::tempdir().unwrap();
    let again = dir.path().join("again.txt");
    std::fs::write(&again, &text).unwrap();
    ok(&["stats", again.to_str().unwrap()]);
    // Deterministic: integer microseconds.
    let det = ok(&[
        "flame",
        &fixture("compare/before_3.11.prof"),
        "--format",
        "folded",
    ]);
    let us: u64 = det
        .lines()
        .map(|l| l.rsplit_once(' ').unwrap().1.parse::<u64>().unwrap())
        .sum();
    assert!((us as f64 - 237_530.0).abs() < 50.0, "{us}");
    // Two files: both counts.
    let two = ok(&[
        "flame",
        &fixture("sampled/pyspy_before.txt"),
        &fixture("sampled/pyspy_after.txt"),
        "--format",
        "folded",
    ]);
    assert!(two.lines().all(|l| l.rsplitn(3, ' ').count() == 3), "{two}");
}

#[test]
fn bad_input_gets_one_line_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("junk.prof");
    std::fs::write(&junk, b"\x00\x01garbage").unwrap();
    let out = profdiff(&["flame", junk.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("junk.prof"), "{err}");
    let out = profdiff(&[
        "flame",
        &fixture("compare/before_3.11.prof"),
        "--min-fraction",
        "2",
    ]);
    assert_eq!(out.status.code(), Some(2));
    // Names are escaped: a function named with markup stays text.
    let evil = dir.path().join("evil.txt");
    std::fs::write(&evil, "<script>alert(1)</script>;b&c 3\n").unwrap();
    let svg = ok(&["flame", evil.to_str().unwrap()]);
    let f = frames(&svg);
    assert!(
        f.iter().any(|x| x.0 == "<script>alert(1)</script>"),
        "{f:?}"
    );
    assert!(!svg.contains("<script>alert"), "unescaped");
}

/// A few hundred bytes of pstats edges with 2^60 paths from the root: the tree is cut at
/// its caps (and says so), in every mode, and the folded output stays bounded.
#[test]
fn a_chain_of_diamonds_is_cut_at_the_node_cap() {
    use profdiff::engine::Profile;
    use profdiff::engine::flame::{Limits, tree};
    let bytes = common::crafted::diamond_chain(60);
    assert!(bytes.len() < 30_000, "{}", bytes.len());
    let p = Profile::parse(&bytes).unwrap();
    for limits in [
        Limits::default(),
        Limits {
            max_nodes: 30_000,
            ..Limits::default()
        },
        Limits::exhaustive(),
    ] {
        let t = tree(&p, &limits);
        let cap = limits.max_nodes.min(limits.max_estimated_nodes);
        // Each expanded node may add one "other" beside the capped children.
        assert!(
            t.nodes.len() <= 2 * cap,
            "{} nodes for {limits:?}",
            t.nodes.len()
        );
        assert!(!t.exact);
        assert!((t.totals()[0] - 2.0).abs() < 1e-9);
        // Without a floor only the cap stops it (with one, shares under it fold away).
        if limits.min_fraction == 0.0 {
            assert!(t.truncated, "{limits:?}");
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("diamonds.prof");
    std::fs::write(&path, &bytes).unwrap();
    let out = profdiff(&["flame", path.to_str().unwrap(), "--format", "folded"]);
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("cut at its node or depth limit"),
        "{stderr}"
    );
    let lines = out.stdout.iter().filter(|&&b| b == b'\n').count();
    assert!(lines > 1000 && lines <= 300_000, "{lines}");
}
