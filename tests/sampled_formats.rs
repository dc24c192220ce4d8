//! Sampled formats: py-spy's raw folded stacks (written by the real py-spy) and CPython
//! 3.15's `profiling.sampling` `--collapsed` and `--pstats` files (written by code that follows
//! its collectors; see scripts/gen_sampled_fixtures.py), of one workload before and after
//! `work` got 3× the arithmetic.

use profdiff::engine::compare::{Metric, Options, Status, compare};

fn by_cumtime() -> Options {
    Options {
        metric: Metric::Cumtime,
        ..Options::default()
    }
}
use profdiff::engine::{Producer, Profile};

fn read(name: &str) -> Profile {
    let path = format!(
        "{}/tests/fixtures/sampled/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    Profile::parse(&std::fs::read(&path).unwrap()).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn get<'a>(p: &'a Profile, name: &str) -> &'a profdiff::engine::Function {
    p.functions()
        .iter()
        .find(|f| &*f.key.name == name)
        .unwrap_or_else(|| panic!("no {name}"))
}

#[test]
fn py_spy_raw_is_read_by_content_with_one_row_per_function() {
    let p = read("pyspy_before.txt");
    assert_eq!(p.producer(), Producer::PySpy);
    let s = p.sampling().unwrap();
    // Every line's count, the bare-count line (no Python frames) included.
    let text = std::fs::read_to_string(format!(
        "{}/tests/fixtures/sampled/pyspy_before.txt",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let total: u64 = text
        .lines()
        .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
        .sum();
    assert_eq!(s.samples, total);
    assert_eq!(s.interval, None);
    assert_eq!(p.producer_label(), "py-spy · interval unknown");
    // `inner` was sampled at two lines: one function, at the lower line.
    let inner: Vec<_> = p
        .functions()
        .iter()
        .filter(|f| &*f.key.name == "inner")
        .collect();
    assert_eq!(inner.len(), 1);
    assert_eq!(inner[0].key.line, 7);
    // On the stack in every sample that has frames: <module> is the root of them all.
    let module = get(&p, "<module>");
    let framed: u64 = p
        .stacks()
        .unwrap()
        .iter()
        .filter(|(s, _)| !s.is_empty())
        .map(|(_, w)| w)
        .sum();
    assert_eq!(module.nc as u64, framed);
    assert_eq!(module.cc, 0);
    // Leaf samples add up to every framed sample.
    let leaves: i64 = p.functions().iter().map(|f| f.cc).sum();
    assert_eq!(leaves as u64, framed);
}

#[test]
fn cpython_collapsed_and_pstats_of_one_run_agree() {
    for side in ["before", "after"] {
        let collapsed = read(&format!("sampling_{side}.collapsed"));
        let pstats = read(&format!("sampling_{side}.pstats"));
        assert_eq!(collapsed.producer(), Producer::Sampling);
        assert_eq!(pstats.producer(), Producer::Sampling);
        let interval = pstats.sampling().unwrap().interval.unwrap();
        assert!((interval - 0.004).abs() < 1e-12, "{interval}");
        assert_eq!(pstats.producer_label(), "profiling.sampling · 250 Hz");
        assert_eq!(
            collapsed.sampling().unwrap().samples,
            pstats.sampling().unwrap().samples
        );
        assert_eq!(collapsed.len(), pstats.len());
        for f in pstats.functions() {
            let c = collapsed
                .get(&f.key)
                .unwrap_or_else(|| panic!("{side}: {}", f.key));
            assert_eq!((c.cc, c.nc), (f.cc, f.nc), "{side}: {}", f.key);
            assert!((c.tt * interval - f.tt).abs() < 1e-9, "{}", f.key);
            assert_eq!(c.callers.len(), f.callers.len(), "{}", f.key);
        }
    }
}

#[test]
fn the_known_change_is_found_and_notes_say_how_times_compare() {
    let (a, b) = (
        read("sampling_before.pstats"),
        read("sampling_after.pstats"),
    );
    // `work` itself runs little: its change is in the time below it.
    let c = compare(&a, &b, &by_cumtime());
    let work = c.rows.iter().find(|r| &*r.function.name == "work").unwrap();
    assert_eq!(work.status, Status::Slower);
    assert!(work.ratio.cumtime.unwrap() > 1.5, "{:?}", work.ratio);
    assert!(c.summary.notes.is_empty(), "{:?}", c.summary.notes);

    // Folded files do not say the interval: times are sample counts, and the summary says so.
    let c = compare(
        &read("pyspy_before.txt"),
        &read("pyspy_after.txt"),
        &Options::default(),
    );
    assert!(
        c.summary.notes[0].contains("sample counts"),
        "{:?}",
        c.summary.notes
    );

    // Sampled against traced: not comparable, said once.
    let traced = Profile::parse(
        &std::fs::read(format!(
            "{}/tests/fixtures/compare/before_3.11.prof",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap(),
    )
    .unwrap();
    let c = compare(&traced, &b, &Options::default());
    assert_eq!(c.summary.notes.len(), 1);
    assert!(
        c.summary.notes[0].starts_with("not comparable"),
        "{:?}",
        c.summary.notes
    );
    let text = profdiff::engine::compare::export::comparison(
        &c,
        profdiff::engine::compare::export::Format::Text,
        None,
    );
    assert!(text.contains("note: not comparable"), "{text}");
}

#[test]
fn bad_folded_input_names_the_line() {
    let e = Profile::parse(b"a;b 3\na;c 3x\n").unwrap_err().to_string();
    assert!(
        e.contains("line 2") && e.contains("not a whole number"),
        "{e}"
    );
    let e = Profile::parse(b"   ncalls  tottime  percall\n")
        .unwrap_err()
        .to_string();
    assert!(e.contains("folded stacks"), "{e}");
}

#[test]
fn cli_reads_every_sampled_format() {
    for name in [
        "pyspy_before.txt",
        "sampling_before.collapsed",
        "sampling_before.pstats",
    ] {
        let path = format!(
            "{}/tests/fixtures/sampled/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        let text = cli::ok(None, &["stats", &path]);
        assert!(text.contains("inner"), "{name}: {text}");
        assert!(
            text.lines().next().unwrap().contains("sampled (") && text.contains("samples"),
            "{name}: {text}"
        );
    }
    let dir = format!("{}/tests/fixtures/sampled", env!("CARGO_MANIFEST_DIR"));
    let out = cli::ok(
        None,
        &[
            "diff",
            &format!("{dir}/sampling_before.collapsed"),
            &format!("{dir}/sampling_after.collapsed"),
        ],
    );
    assert!(out.contains("work"));
}

#[test]
fn crafted_folded_files_stay_linear() {
    // One function with 200,000 distinct callers, and one 200,000-frame stack.
    let mut wide = String::new();
    for i in 0..200_000 {
        wide.push_str(&format!("c{i};leaf 1\n"));
    }
    let p = Profile::parse(wide.as_bytes()).unwrap();
    assert_eq!(get(&p, "leaf").callers.len(), 200_000);
    let deep: Vec<String> = (0..200_000).map(|i| format!("f{i}")).collect();
    let p = Profile::parse(format!("{} 1\n", deep.join(";")).as_bytes()).unwrap();
    assert_eq!(p.len(), 200_000);
}

#[path = "common/crafted.rs"]
mod crafted;

#[path = "common/cli.rs"]
mod cli;

#[test]
fn the_smallest_samples_keep_a_small_model() {
    // What a parsed file keeps is a small multiple of its bytes in every format, at the
    // smallest record each allows (one frame, neighbours distinct so none merge). Peaks
    // while parsing are in docs/BENCHMARKS.md (examples/parse_memory).
    let n = 200_000;
    for (format, bytes, per_byte) in [
        ("speedscope", crafted::speedscope_tiny_samples(n), 3),
        ("folded", crafted::folded_tiny_stacks(n), 5),
        ("pyisession", crafted::pyisession_tiny_records(n), 1),
        ("viztracer", crafted::viztracer_tiny_events(n), 1),
    ] {
        let p = Profile::parse(&bytes).unwrap_or_else(|e| panic!("{format}: {e}"));
        assert!(
            p.model_bytes() <= per_byte * bytes.len(),
            "{format}: {} bytes kept for a {}-byte file",
            p.model_bytes(),
            bytes.len()
        );
    }
    // Every sample counted, none lost to the merging of equal neighbours.
    let p = Profile::parse(&crafted::speedscope_tiny_samples(n)).unwrap();
    assert_eq!(p.sampling().unwrap().samples, n as u64);
    assert_eq!(get(&p, "a").nc + get(&p, "b").nc, n as i64);
}

#[test]
fn py_spy_speedscope_gives_the_rate_and_the_change() {
    let a = read("pyspy_before.speedscope.json");
    assert_eq!(a.producer(), Producer::PySpy);
    let s = a.sampling().unwrap();
    assert_eq!(s.interval, Some(0.004));
    assert_eq!(a.producer_label(), "py-spy · 250 Hz");
    assert_eq!(s.samples, a.stacks().unwrap().samples());
    // Every sample with frames has <module> at its root (a few have none: py-spy caught the
    // interpreter outside Python code).
    let framed = a
        .stacks()
        .unwrap()
        .iter()
        .filter(|(f, _)| !f.is_empty())
        .map(|(_, w)| w)
        .sum::<u64>();
    let module = get(&a, "<module>");
    assert_eq!(module.nc as u64, framed);
    assert!((module.ct - framed as f64 * 0.004).abs() < 1e-9);
    let b = read("pyspy_after.speedscope.json");
    let c = compare(&a, &b, &by_cumtime());
    let work = c.rows.iter().find(|r| &*r.function.name == "work").unwrap();
    assert_eq!(work.status, Status::Slower);
    assert!(c.summary.notes.is_empty(), "{:?}", c.summary.notes);
}

#[test]
fn bad_speedscope_files_say_where() {
    let schema = r#""$schema":"https://www.speedscope.app/file-format-schema.json""#;
    let frames = r#""shared":{"frames":[{"name":"a","file":"x.py","line":1}]}"#;
    let bad_index = format!(
        r#"{{{schema},{frames},"profiles":[{{"type":"sampled","unit":"seconds","samples":[[0,7]],"weights":[0.01]}}]}}"#
    );
    let e = Profile::parse(bad_index.as_bytes())
        .unwrap_err()
        .to_string();
    assert!(e.contains("frame index 7 out of range"), "{e}");
    let truncated = &bad_index[..bad_index.len() - 10];
    let e = Profile::parse(truncated.as_bytes())
        .unwrap_err()
        .to_string();
    assert!(e.contains("line 1 column"), "{e}");
    let evented = format!(
        r#"{{{schema},{frames},"profiles":[{{"type":"evented","unit":"seconds","events":[]}}]}}"#
    );
    let e = Profile::parse(evented.as_bytes()).unwrap_err().to_string();
    assert!(e.contains("no samples and no events"), "{e}");
    let unclosed = format!(
        r#"{{{schema},{frames},"profiles":[{{"type":"evented","unit":"seconds","events":[{{"type":"O","at":0,"frame":0}}]}}]}}"#
    );
    let e = Profile::parse(unclosed.as_bytes()).unwrap_err().to_string();
    assert!(e.contains("profile 0") && e.contains("never closed"), "{e}");
    let mismatch = format!(
        r#"{{{schema},{frames},"profiles":[{{"type":"sampled","unit":"seconds","samples":[[0]],"weights":[]}}]}}"#
    );
    let e = Profile::parse(mismatch.as_bytes()).unwrap_err().to_string();
    assert!(e.contains("1 samples but 0 weights"), "{e}");
}

#[test]
fn viztracer_gives_exact_calls_and_times() {
    let a = read("viztracer_before.json");
    assert_eq!(a.producer(), Producer::Viztracer);
    assert!(a.sampling().is_none());
    // 150 iterations: work and steady once each, inner under both.
    let inner = get(&a, "inner");
    assert_eq!((inner.nc, inner.cc), (300, 300));
    assert_eq!(get(&a, "work").nc, 150);
    assert_eq!(get(&a, "work").callers.len(), 1);
    let work = get(&a, "work");
    // work's own time is tiny next to inner's below it.
    assert!(work.tt < work.ct / 10.0, "{} vs {}", work.tt, work.ct);
    let b = read("viztracer_after.json");
    let c = compare(&a, &b, &by_cumtime());
    let row = c.rows.iter().find(|r| &*r.function.name == "work").unwrap();
    assert_eq!(row.status, Status::Slower);
    assert!(row.ratio.cumtime.unwrap() > 1.5, "{:?}", row.ratio);
    assert!(c.summary.notes.is_empty());
}

#[test]
fn pyinstrument_speedscope_is_a_timeline_without_counts() {
    // pyinstrument's timeline of this workload holds <module> and main (it merged the rest).
    let a = read("pyinstrument_before.speedscope.json");
    assert_eq!(a.producer(), Producer::Pyinstrument);
    let main = get(&a, "main");
    assert_eq!(main.nc, -1);
    assert!(main.ct > 0.1, "{}", main.ct);
    let b = read("pyinstrument_after.speedscope.json");
    let c = compare(&a, &b, &by_cumtime());
    let row = c.rows.iter().find(|r| &*r.function.name == "main").unwrap();
    assert_eq!(row.status, Status::Slower);
    assert_eq!(row.baseline.as_ref().unwrap().ncalls, None);
}

#[test]
fn pyinstrument_session_gives_times_without_counts() {
    let a = read("pyinstrument_before.pyisession");
    assert_eq!(a.producer(), Producer::Pyinstrument);
    let work = get(&a, "work");
    assert_eq!((work.nc, work.cc), (-1, -1));
    // work runs inner: nearly all of its time is below it, and its caller is main.
    assert!(
        work.ct > 0.05 && work.tt < work.ct / 2.0,
        "{} {}",
        work.tt,
        work.ct
    );
    assert_eq!(&*work.callers[0].0.name, "main");
    let b = read("pyinstrument_after.pyisession");
    let c = compare(&a, &b, &by_cumtime());
    let row = c.rows.iter().find(|r| &*r.function.name == "work").unwrap();
    assert_eq!(row.status, Status::Slower);
    assert!(row.ratio.cumtime.unwrap() > 1.5, "{:?}", row.ratio);
    let e = Profile::parse(br#"{"frame_records": [[["a"], 0.1]]}"#)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("record 0") && e.contains("is not function"),
        "{e}"
    );
}

fn fixture(name: &str) -> String {
    format!(
        "{}/tests/fixtures/sampled/{name}",
        env!("CARGO_MANIFEST_DIR")
    )
}

#[test]
fn runs_and_matrix_take_sampled_profiles_and_say_their_caveats() {
    use profdiff::engine::compare::runs::{compare_runs, matrix};
    // The same run written three ways by one sampler family: py-spy's speedscope (seconds)
    // on both sides finds the known change (one run a side cannot make it significant:
    // insufficient, never unchanged) and says nothing else.
    let (a, b) = (
        read("pyspy_before.speedscope.json"),
        read("pyspy_after.speedscope.json"),
    );
    let runs = compare_runs(&[&a], &[&b], &by_cumtime());
    let work = runs
        .rows
        .iter()
        .find(|r| &*r.function.name == "work")
        .unwrap();
    assert_eq!(work.status, Status::Insufficient);
    assert!(work.delta > 0.0);
    assert!(runs.summary.notes.is_empty(), "{:?}", runs.summary.notes);
    // A traced profile among sampled ones is flagged once, however many pairs show it.
    let v = read("viztracer_before.json");
    let m = matrix(
        &[("viz", &v), ("a", &a), ("b", &b)].map(|(n, p)| (n.to_string(), p)),
        Metric::Cumtime,
    );
    assert_eq!(m.notes.len(), 1, "{:?}", m.notes);
    assert!(m.notes[0].starts_with("not comparable"), "{}", m.notes[0]);
    // Times in seconds against sample counts (py-spy raw has no interval) in runs mode.
    let raw = read("pyspy_after.txt");
    let mixed = compare_runs(&[&a], &[&b, &raw], &by_cumtime());
    assert!(
        mixed
            .summary
            .notes
            .iter()
            .any(|n| n.contains("sample counts")),
        "{:?}",
        mixed.summary.notes
    );

    // The CLI says the same, in text and in Markdown.
    let cli = |args: &[&str]| cli::ok(None, args);
    let (va, sa, sb) = (
        fixture("viztracer_before.json"),
        fixture("pyspy_before.speedscope.json"),
        fixture("pyspy_after.speedscope.json"),
    );
    let text = cli(&["matrix", &va, &sa, &sb, "--metric", "cumtime"]);
    assert!(text.contains("note: not comparable"), "{text}");
    let md = cli(&[
        "diff",
        "--baseline",
        &sa,
        "--candidate",
        &sb,
        &va,
        "--format",
        "md",
    ]);
    assert!(md.contains("> **Note:** not comparable"), "{md}");
    // A two-way diff of sampled files counts samples, not calls.
    let two = cli(&["diff", &sa, &sb]);
    assert!(two.contains("\nsamples: "), "{two}");
    assert!(two.contains(" on stack "), "{two}");
}
