//! *Merge runs*: several profiles as one. Traced runs add up exactly as pstats adds them
//! (checked against a dump CPython's pstats wrote); sampled runs sum their samples and keep
//! their stacks, producer and interval; profiles that do not add up are refused.

use profdiff::engine::Profile;
use profdiff::engine::flame::{self, Limits};
use profdiff::engine::merge::{MergeError, MergedFormat, merge};

fn load(rel: &str) -> Profile {
    let path = format!("{}/tests/fixtures/{rel}", env!("CARGO_MANIFEST_DIR"));
    Profile::parse(&std::fs::read(&path).unwrap()).unwrap()
}

const BIG: usize = 64 << 20;

#[test]
fn traced_runs_add_up_as_pstats_adds_them() {
    let runs: Vec<Profile> = (1..=3).map(|i| load(&format!("runs/a_{i}.prof"))).collect();
    let refs: Vec<&Profile> = runs.iter().collect();
    let (bytes, format) = merge(&refs, BIG).unwrap();
    assert_eq!(format, MergedFormat::Pstats);
    let merged = Profile::parse(&bytes).unwrap();
    // pstats.Stats("a_1").add("a_2").add("a_3").dump_stats(): same functions, same order,
    // same numbers and callers, to the bit.
    let oracle = load("runs/merged_a_1_2_3.prof");
    assert_eq!(merged.functions(), oracle.functions());
    assert_eq!(merged.total_time(), oracle.total_time());
    let calls = |p: &Profile| p.functions().iter().map(|f| f.nc).sum::<i64>();
    assert_eq!(calls(&merged), runs.iter().map(calls).sum::<i64>());
}

#[test]
fn sampled_runs_sum_their_samples_and_keep_their_stacks() {
    // py-spy speedscope (an interval), py-spy raw (none), 3.15 collapsed and 3.15 pstats.
    for (before, after) in [
        (
            "sampled/pyspy_before.speedscope.json",
            "sampled/pyspy_after.speedscope.json",
        ),
        ("sampled/pyspy_before.txt", "sampled/pyspy_after.txt"),
        (
            "sampled/sampling_before.collapsed",
            "sampled/sampling_after.collapsed",
        ),
        (
            "sampled/sampling_before.pstats",
            "sampled/sampling_after.pstats",
        ),
    ] {
        let (a, b) = (load(before), load(after));
        let (bytes, format) = merge(&[&a, &b], BIG).unwrap();
        let merged = Profile::parse(&bytes).unwrap();
        let s = merged
            .sampling()
            .unwrap_or_else(|| panic!("{before}: not sampled"));
        assert_eq!(
            s.samples,
            a.sampling().unwrap().samples + b.sampling().unwrap().samples,
            "{before}"
        );
        assert_eq!(s.interval, a.sampling().unwrap().interval, "{before}");
        // Seconds stay seconds where the inputs knew the interval.
        assert_eq!(
            s.interval.is_some(),
            !before.ends_with(".txt") && !before.ends_with(".collapsed"),
            "{before}"
        );
        assert_eq!(merged.producer(), a.producer(), "{before}");
        let own = |p: &Profile| p.functions().iter().map(|f| f.tt).sum::<f64>();
        assert!(
            (own(&merged) - own(&a) - own(&b)).abs() <= 1e-9 * own(&merged),
            "{before}"
        );
        if a.stacks().is_some() {
            assert_eq!(format, MergedFormat::Folded, "{before}");
            // The flame graph of the sum is the sum of the flame graphs.
            let limits = Limits::exhaustive();
            let total = |p: &Profile| flame::tree(p, &limits).totals()[0];
            assert!(
                (total(&merged) - total(&a) - total(&b)).abs() <= 1e-9 * total(&merged),
                "{before}"
            );
            // Every function of either run is in the sum, with the summed sample count.
            for f in a.functions() {
                let m = merged.get(&f.key).unwrap_or_else(|| panic!("{}", f.key));
                let other = b.get(&f.key).map_or(0, |g| g.cc);
                assert_eq!(m.cc, f.cc + other, "{before}: {}", f.key);
            }
        } else {
            assert_eq!(format, MergedFormat::Pstats, "{before}");
        }
    }
}

#[test]
fn profiles_that_do_not_add_up_are_refused() {
    let traced = load("runs/a_1.prof");
    let sampled = load("sampled/pyspy_before.speedscope.json");
    let raw = load("sampled/pyspy_before.txt");
    assert_eq!(merge(&[&traced], BIG), Err(MergeError::TooFew));
    assert!(matches!(
        merge(&[&traced, &sampled], BIG),
        Err(MergeError::Producers(..))
    ));
    // Samples at 100 Hz and samples of unknown length do not add up.
    let e = merge(&[&sampled, &raw], BIG).unwrap_err();
    assert!(matches!(e, MergeError::Intervals(..)), "{e}");
    assert!(e.to_string().contains("different intervals"), "{e}");
    // The output is bounded.
    let two = [&traced, &traced];
    assert_eq!(merge(&two, 100), Err(MergeError::TooLarge(100)));
    assert_eq!(
        merge(&[&sampled, &sampled], 100),
        Err(MergeError::TooLarge(100))
    );
}

/// The runs flame graph: the tree of merged runs divided by the run count is the tree of
/// the mean run (here, two copies of one run are that run).
#[test]
fn merged_runs_per_run_are_the_mean_run() {
    use profdiff::engine::compare::Options;
    let one = load("sampled/pyspy_before.speedscope.json");
    let other = load("sampled/pyspy_after.speedscope.json");
    let (bytes, _) = merge(&[&one, &one], BIG).unwrap();
    let twice = Profile::parse(&bytes).unwrap();
    let limits = Limits::exhaustive();
    let want = flame::tree_of_two(&one, &other, &Options::default(), &limits);
    let mut got = flame::tree_of_two(&twice, &other, &Options::default(), &limits);
    assert_ne!(got.totals()[0], want.totals()[0]);
    got.per_run([2, 1]);
    assert_eq!(got.nodes.len(), want.nodes.len());
    for (g, w) in got.nodes.iter().zip(&want.nodes) {
        assert_eq!(g.frame, w.frame);
        for side in 0..2 {
            assert!((g.value[side] - w.value[side]).abs() <= 1e-12 * w.value[0].max(1.0));
        }
    }
}
