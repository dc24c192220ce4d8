//! The engine under hostile dumps: valid marshal data that CPython loads, built so that
//! back-references make a small file describe a huge model, and data that claims more than
//! it holds. Parsing must refuse in bounded memory (measured here with a counting allocator)
//! with a message that says why, and whatever parses must stay within its model budget.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use common::crafted;
use profdiff::engine::compare::{Options, compare};
use profdiff::engine::marshal::{MEMORY_FACTOR, MEMORY_SLACK};
use profdiff::engine::profile::Budget;
use profdiff::engine::{Profile, ProfileError};

/// Counts live and peak heap bytes per thread (tests run in parallel; each parse runs on
/// one thread, so what another test allocates meanwhile does not count).
struct Counting;

thread_local! {
    static LIVE: Cell<isize> = const { Cell::new(0) };
    static PEAK: Cell<isize> = const { Cell::new(0) };
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let _ = LIVE.try_with(|live| {
                let now = live.get() + layout.size() as isize;
                live.set(now);
                let _ = PEAK.try_with(|peak| peak.set(peak.get().max(now)));
            });
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        let _ = LIVE.try_with(|live| live.set(live.get() - layout.size() as isize));
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Parses `data`; returns the result, the peak heap above the start, and what stays live.
fn measured(data: &[u8]) -> (Result<Profile, ProfileError>, usize, usize) {
    let before = LIVE.with(Cell::get);
    PEAK.with(|p| p.set(before));
    let result = Profile::parse(data);
    let peak = (PEAK.with(Cell::get) - before).max(0) as usize;
    let kept = (LIVE.with(Cell::get) - before).max(0) as usize;
    (result, peak, kept)
}

/// What the reader may hold while decoding `len` bytes.
fn parse_bound(len: usize) -> usize {
    len * MEMORY_FACTOR + MEMORY_SLACK
}

#[test]
fn a_shared_callers_dict_is_refused_in_bounded_memory() {
    // 2,000 functions sharing one dict of 5,000 callers: 10 million edges once expanded
    // (CPython's pstats loads it in 15 MB; building the model naively took 773 MB).
    for (functions, edges) in [(2_000, 5_000), (20_000, 50_000)] {
        let data = crafted::shared_callers(functions, edges);
        let (result, peak, kept) = measured(&data);
        let err = result.expect_err("refused");
        let msg = err.to_string();
        // The edge count trips first, unless decoding the shared dict itself (50,000
        // entries, flagged, so decoded as a value) already exceeds the reader's budget.
        assert!(
            matches!(err, ProfileError::TooLarge(_))
                && (msg.contains("caller edges") || msg.contains("MB of memory")),
            "{msg}"
        );
        if edges == 5_000 {
            let limit = Budget::for_input(data.len()).edges;
            assert!(
                msg.contains(&format!("more than {limit} caller edges")),
                "{msg}"
            );
        }
        assert!(msg.starts_with("profile too large to read: "), "{msg}");
        // The edges are counted before any is built; at most the budget is ever built.
        let budget = Budget::for_input(data.len());
        let edge =
            std::mem::size_of::<(profdiff::engine::FunctionKey, profdiff::engine::CallerStats)>();
        assert!(
            peak <= parse_bound(data.len()) + budget.edges * edge * 2,
            "{functions}x{edges}: peak {peak} bytes for a {} byte file",
            data.len()
        );
        assert!(kept < 4096, "nothing stays: {kept}");
    }
}

#[test]
fn a_shared_long_name_is_refused_in_bounded_memory() {
    // 1,000 keys naming one code object whose file name is 1 MiB: 1 GB of names.
    let data = crafted::shared_code_name(1000, 1 << 20);
    let (result, peak, _) = measured(&data);
    let msg = result.expect_err("refused").to_string();
    assert!(msg.contains("function names add up to more than"), "{msg}");
    // The names budget (8× the file) plus one name over it, plus what the reader holds.
    let budget = Budget::for_input(data.len());
    assert!(
        peak <= parse_bound(data.len()) + budget.text + 2 * (1 << 20),
        "peak {peak} for a {} byte file",
        data.len()
    );
}

#[test]
fn a_long_caller_name_repeated_is_refused_in_bounded_memory() {
    // Callers refer back to one key naming a 1 MiB file: 4 × 2,000 edges, 8 GB of names.
    // Caller back-references are counted once their callers dict is read (the edge budget
    // bounds how many wait); the refusal must still come before the model grows.
    let data = crafted::repeated_caller_key(4, 2000, 1 << 20);
    let (result, peak, kept) = measured(&data);
    let msg = result.expect_err("refused").to_string();
    assert!(msg.contains("function names add up to more than"), "{msg}");
    let budget = Budget::for_input(data.len());
    let edge =
        std::mem::size_of::<(profdiff::engine::FunctionKey, profdiff::engine::CallerStats)>();
    assert!(
        peak <= parse_bound(data.len()) + 2 * budget.edges * edge + (1 << 20),
        "peak {peak} for a {} byte file",
        data.len()
    );
    assert!(kept < 4096, "nothing stays: {kept}");
    // Below the budget the same shape parses, the repeats folded into one caller.
    let data = crafted::repeated_caller_key(2, 3, 1000);
    let profile = measured(&data).0.expect("parses");
    assert_eq!(profile.len(), 3);
    assert!(
        profile.functions()[1..]
            .iter()
            .all(|f| f.callers.len() == 1)
    );
}

#[test]
fn shape_errors_name_the_function_whether_its_key_is_new_or_a_reference() {
    // f's caller c (a flagged key tuple, slot 1) is then an entry of its own, keyed by a
    // back-reference, with a stats tuple of three items; and the same with a fresh key.
    for referenced in [true, false] {
        let mut m = crafted::Marshal::default();
        m.dict(false);
        m.key("a.py", 1, "f");
        m.stats_head();
        m.dict(false);
        m.tuple(3, true)
            .short_str("c.py", false)
            .int(7)
            .short_str("c", false);
        m.edge_stats().end();
        if referenced {
            m.r(0);
        } else {
            m.key("c.py", 7, "c");
        }
        m.tuple(3, false).int(1).int(1).float(0.5).end();
        let msg = Profile::parse(&m.0).expect_err("refused").to_string();
        assert_eq!(
            msg,
            "not a Python profile dump: entry 1: c.py:7(c): stats have 3 items, expected \
             (cc, nc, tt, ct, callers)",
            "referenced: {referenced}"
        );
    }
}

#[test]
fn shared_keys_are_converted_once() {
    // Below the names budget, keys that share one code object share its name too: the model
    // holds one copy, not one per key.
    let data = crafted::shared_code_name(5, 100_000);
    let (result, _, kept) = measured(&data);
    let profile = result.expect("parses");
    assert_eq!(profile.len(), 5);
    let names: Vec<*const u8> = profile
        .functions()
        .iter()
        .map(|f| f.key.name.as_ptr())
        .collect();
    assert!(names.windows(2).all(|w| w[0] == w[1]), "one shared name");
    assert!(
        kept < 200_000 + 100_000,
        "kept {kept}: the repr is held once"
    );
    assert!(
        profile.functions()[0]
            .key
            .name
            .starts_with("<code object <module> at 0x7f")
    );
}

#[test]
fn claimed_sizes_cost_nothing_until_read() {
    // A top-level list claiming a million items is named from its type byte.
    let data = crafted::wide_list(1 << 20);
    let (result, peak, _) = measured(&data);
    assert_eq!(
        result.unwrap_err().to_string(),
        "not a Python profile dump: marshal data is a list, expected a dict of functions"
    );
    assert!(peak < 64 << 10, "peak {peak}");
    // Inside a dump, a huge list of Nones is charged before it is allocated: the reader
    // stops at its budget, not at 24 bytes per claimed item.
    let mut m = crafted::Marshal::default();
    m.dict(false).key("a.py", 1, "f");
    let items = 4 << 20;
    m.0.push(b'[');
    m.0.extend_from_slice(&(items as i32).to_le_bytes());
    m.0.extend(std::iter::repeat_n(b'N', items));
    m.end();
    let (result, peak, _) = measured(&m.0);
    let err = result.unwrap_err();
    assert!(matches!(err, ProfileError::TooLarge(_)), "{err}");
    assert!(err.to_string().contains("MB of memory"), "{err}");
    assert!(
        peak <= parse_bound(m.0.len()) + (1 << 20),
        "peak {peak} for {} bytes",
        m.0.len()
    );
}

#[test]
fn real_dumps_stay_inside_every_budget() {
    let mut checked = 0;
    for dir in ["tests/fixtures/pstats/dumps", "tests/fixtures/compare"] {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if !matches!(
                path.extension().and_then(|e| e.to_str()),
                Some("prof" | "pstats" | "stats")
            ) {
                continue;
            }
            let data = std::fs::read(&path).unwrap();
            let (result, peak, kept) = measured(&data);
            let profile = result.unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let transient = peak - kept;
            assert!(
                transient <= parse_bound(data.len()),
                "{}: transient {transient} for {} bytes",
                path.display(),
                data.len()
            );
            // The cache accounts by the model's estimate: it must not undercount much.
            let estimate = profile.model_bytes();
            assert!(
                estimate as f64 >= kept as f64 * 0.75 && estimate as f64 <= kept as f64 * 1.5,
                "{}: estimate {estimate}, measured {kept}",
                path.display()
            );
            assert!(estimate <= Budget::max_model_bytes(data.len()));
            assert!(profile.check_numbers().is_ok(), "{}", path.display());
            checked += 1;
        }
    }
    assert!(checked >= 30, "{checked} dumps");
}

#[test]
fn odd_numbers_neither_panic_nor_wrap() {
    let nan = Profile::parse(&crafted::non_finite_times()).expect("pstats loads it too");
    assert!(nan.total_time().is_nan());
    let msg = nan.check_numbers().unwrap_err();
    assert!(
        msg.contains("app.py:1(nan_fn)") && msg.contains("not finite"),
        "{msg}"
    );
    let huge = Profile::parse(&crafted::huge_counts()).expect("parses");
    assert_eq!(huge.total_calls(), i64::MAX, "saturates");
    assert!(huge.check_numbers().unwrap_err().contains("2^53"));
    // Comparing and exporting them: no panic, no wrapped count.
    let c = compare(&huge, &nan, &Options::default());
    assert_eq!(c.summary.baseline.total_calls, i64::MAX);
    let _ = profdiff::engine::compare::export::comparison(
        &c,
        profdiff::engine::compare::export::Format::Markdown,
        None,
    );
    let c = compare(&nan, &huge, &Options::default());
    assert!(c.rows.iter().all(|r| r.delta.ncalls.is_some()));
}

#[test]
fn one_name_at_twenty_thousand_lines_matches_each_to_its_nearest() {
    // Every function shares one file and name, at different lines on each side: the loose
    // matcher's bucket holds them all (this was quadratic).
    use profdiff::engine::{Function, FunctionKey};
    let mk = |offset: i64| {
        Profile::from_functions((0..20_000).map(|i| Function {
            key: FunctionKey::new("/srv/app/gen.py", i * 2 + offset, "wrapper"),
            cc: 1,
            nc: 1,
            tt: 0.001,
            ct: 0.001,
            callers: Vec::new(),
        }))
    };
    let (base, cand) = (mk(0), mk(1));
    let c = compare(&base, &cand, &Options::default());
    assert_eq!(c.rows.len(), 20_000);
    assert_eq!(c.summary.counts.new + c.summary.counts.removed, 0);
    for r in &c.rows {
        let (b, c) = r.positions;
        assert_eq!(b, c, "line 2i+1 pairs with line 2i");
    }
}
