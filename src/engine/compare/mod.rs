//! Comparing profiles: a two-way diff ([`compare`]), repeated runs ([`runs`]), a series of
//! K profiles ([`matrix`]), and exports ([`export`]).
//!
//! The JSON form of [`Comparison`] is a contract shared by the CLI and the REST API; it is
//! documented in docs/compare-json.md. Field names there are stable; fields may be added.
//!
//! Producer quirks are undone here (not in the pstats reports, which must print the raw
//! numbers): yappi swaps the two call counts, pyinstrument records none (`-1`).

pub mod edges;
pub mod export;
pub mod html;
pub mod matching;
pub mod runs;
pub mod wire;

use crate::engine::stacks::Sampling;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

use crate::engine::profile::{Function, FunctionKey, Producer, Profile};
pub use matching::{MatchKind, Matching, match_profiles};

/// Which time decides a row's status.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Metric {
    /// Time spent in the function itself.
    #[default]
    Tottime,
    /// Time including callees.
    Cumtime,
}

impl Metric {
    pub fn parse(s: &str) -> Option<Metric> {
        match s {
            "tottime" => Some(Metric::Tottime),
            "cumtime" => Some(Metric::Cumtime),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Metric::Tottime => "tottime",
            Metric::Cumtime => "cumtime",
        }
    }
}

/// How to compare.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Options {
    pub metric: Metric,
    /// Scale the candidate by baseline total / candidate total (compare shapes, not
    /// machines).
    pub normalize: bool,
    /// A change counts only if at least this many milliseconds...
    pub min_ms: f64,
    /// ...and at least this many percent.
    pub min_pct: f64,
    /// Runs mode: a change counts only if its false-discovery-adjusted p-value (q) is
    /// below this. Two-way comparisons have one value a side and no test.
    pub alpha: f64,
    /// Runs mode: the test behind each function's p-value.
    pub test: crate::engine::stats::TestKind,
}

/// The default significance level of runs comparisons.
pub const DEFAULT_ALPHA: f64 = 0.05;

impl Default for Options {
    fn default() -> Self {
        Options {
            metric: Metric::Tottime,
            normalize: false,
            min_ms: 1.0,
            min_pct: 5.0,
            alpha: DEFAULT_ALPHA,
            test: crate::engine::stats::TestKind::MannWhitneyU,
        }
    }
}

impl Options {
    /// The status of a change from `base` to `cand` seconds under these thresholds.
    pub fn status(&self, base: f64, cand: f64) -> Status {
        let delta = cand - base;
        let pct = relative_pct(base, cand);
        let big_enough = delta.abs() >= self.min_ms / 1000.0;
        match pct {
            _ if !big_enough => Status::Unchanged,
            Some(p) if p.abs() < self.min_pct => Status::Unchanged,
            _ if delta > 0.0 => Status::Slower,
            _ => Status::Faster,
        }
    }
}

/// Relative change in percent; `None` when the baseline is zero.
pub fn relative_pct(base: f64, cand: f64) -> Option<f64> {
    (base != 0.0).then(|| (cand - base) / base * 100.0)
}

fn ratio(base: f64, cand: f64) -> Option<f64> {
    (base != 0.0).then(|| cand / base)
}

/// A row's verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Slower,
    Faster,
    Unchanged,
    New,
    Removed,
    /// Runs mode: beyond the thresholds, but the run counts cannot reach the significance
    /// level at all (3 against 3 runs: the smallest possible p is 0.1). More runs decide.
    Insufficient,
}

impl Status {
    pub const ALL: [Status; 6] = [
        Status::Slower,
        Status::Faster,
        Status::Unchanged,
        Status::New,
        Status::Removed,
        Status::Insufficient,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Slower => "slower",
            Status::Faster => "faster",
            Status::Unchanged => "unchanged",
            Status::New => "new",
            Status::Removed => "removed",
            Status::Insufficient => "insufficient",
        }
    }
}

/// One side's numbers for a function, producer quirks undone.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SideStats {
    /// Total calls; `null` when the producer did not count (pyinstrument).
    pub ncalls: Option<i64>,
    /// Primitive (non-recursive) calls.
    pub pcalls: Option<i64>,
    /// Seconds (scaled when normalised).
    pub tottime: f64,
    pub cumtime: f64,
    pub tottime_per_call: Option<f64>,
    pub cumtime_per_call: Option<f64>,
    /// Share of the side's total time, in percent.
    pub share_pct: f64,
}

impl SideStats {
    /// `f`'s numbers with `producer`'s quirks undone, times × `scale`, share of `total`
    /// (0 when `total` is not positive). The profile view's rows use it too (scale 1), so
    /// both show the same counts and per-call times.
    pub fn new(f: &Function, producer: Producer, scale: f64, total: f64) -> SideStats {
        let (ncalls, pcalls) = calls(f, producer);
        let (tottime, cumtime) = (
            metric_of(f, Metric::Tottime, scale),
            metric_of(f, Metric::Cumtime, scale),
        );
        let per = |t: f64, n: Option<i64>| n.filter(|n| *n > 0).map(|n| t / n as f64);
        SideStats {
            ncalls,
            pcalls,
            tottime,
            cumtime,
            tottime_per_call: per(tottime, ncalls),
            cumtime_per_call: per(cumtime, pcalls),
            share_pct: if total > 0.0 {
                f.tt / total * 100.0
            } else {
                0.0
            },
        }
    }

    pub fn metric(&self, m: Metric) -> f64 {
        match m {
            Metric::Tottime => self.tottime,
            Metric::Cumtime => self.cumtime,
        }
    }
}

/// `f`'s `metric` × `scale`: what [`SideStats::new`] stores for it, bit for bit (rows are
/// ordered by it before they are built).
fn metric_of(f: &Function, metric: Metric, scale: f64) -> f64 {
    match metric {
        Metric::Tottime => f.tt * scale,
        Metric::Cumtime => f.ct * scale,
    }
}

/// `(ncalls, pcalls)` as the profiler meant them.
pub fn calls(f: &Function, producer: Producer) -> (Option<i64>, Option<i64>) {
    match producer {
        Producer::Pyinstrument if f.nc < 0 => (None, None),
        // yappi writes (ncall, nactualcall, ...) where pstats expects (cc, nc, ...).
        Producer::Yappi => (Some(f.cc.max(f.nc)), Some(f.cc.min(f.nc))),
        _ => (Some(f.nc), Some(f.cc)),
    }
}

/// Candidate minus baseline (a missing side counts as zero).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Delta {
    pub ncalls: Option<i64>,
    pub tottime: f64,
    pub cumtime: f64,
    /// Relative change of the chosen metric, percent; `null` when the baseline is zero.
    pub pct: Option<f64>,
    /// Change of share of total time, percentage points.
    pub share_pp: f64,
}

/// Candidate / baseline; `null` where undefined (no baseline, or zero).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Ratio {
    pub tottime: Option<f64>,
    pub cumtime: Option<f64>,
}

/// A function's identity in the JSON contract.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FunctionRef {
    pub file: Arc<str>,
    pub line: i64,
    pub name: Arc<str>,
}

impl From<&FunctionKey> for FunctionRef {
    fn from(k: &FunctionKey) -> Self {
        FunctionRef {
            file: k.file.clone(),
            line: k.line,
            name: k.name.clone(),
        }
    }
}

/// One function across the two profiles.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Row {
    /// The candidate's key (the baseline's for removed functions).
    pub function: FunctionRef,
    /// pstats' name for it.
    pub display: String,
    pub status: Status,
    /// How the sides were paired; `null` for new and removed rows.
    #[serde(rename = "match")]
    pub match_kind: Option<MatchKind>,
    /// The baseline's key when it differs from `function` (moved, path, address).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub baseline_function: Option<FunctionRef>,
    pub baseline: Option<SideStats>,
    pub candidate: Option<SideStats>,
    pub delta: Delta,
    pub ratio: Ratio,
    /// Positions in the two profiles (for edge lookups); not part of the JSON contract.
    #[serde(skip)]
    pub positions: (Option<usize>, Option<usize>),
}

impl Row {
    /// The chosen metric's change in seconds.
    pub fn delta_of(&self, m: Metric) -> f64 {
        match m {
            Metric::Tottime => self.delta.tottime,
            Metric::Cumtime => self.delta.cumtime,
        }
    }
}

/// Totals for one side.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SideTotals {
    pub total_time: f64,
    pub total_calls: i64,
    pub primitive_calls: i64,
    pub functions: usize,
    pub producer: Producer,
    /// Sampled profiles: the interval (when known) and the number of samples.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sampling: Option<Sampling>,
}

impl SideTotals {
    pub fn of(p: &Profile) -> SideTotals {
        let producer = p.producer();
        let (mut calls_n, mut prim) = (0, 0);
        for f in p.functions() {
            let (n, c) = calls(f, producer);
            calls_n = n.unwrap_or(0).saturating_add(calls_n);
            prim = c.unwrap_or(0).saturating_add(prim);
        }
        SideTotals {
            total_time: p.total_time(),
            total_calls: calls_n,
            primitive_calls: prim,
            functions: p.len(),
            producer,
            sampling: p.sampling().cloned(),
        }
    }
}

impl SideTotals {
    /// What a summary's count line shows for this side: calls, or a sampled profile's
    /// samples (its call counts are samples on the stack, which do not add up to anything).
    pub fn count(&self) -> i64 {
        match &self.sampling {
            Some(s) => i64::try_from(s.samples).unwrap_or(i64::MAX),
            None => self.total_calls,
        }
    }
}

impl Summary {
    /// Whether either side was sampled: its call counts are then samples on the stack.
    pub fn sampled(&self) -> bool {
        self.baseline.sampling.is_some() || self.candidate.sampling.is_some()
    }
}

/// The name of the count line for two sides (see [`SideTotals::count`]).
pub fn count_label(a: &SideTotals, b: &SideTotals) -> &'static str {
    match (a.sampling.is_some(), b.sampling.is_some()) {
        (false, false) => "calls",
        (true, true) => "samples",
        _ => "calls / samples",
    }
}

/// How many rows have each status.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub slower: usize,
    pub faster: usize,
    pub unchanged: usize,
    pub new: usize,
    pub removed: usize,
    /// Runs mode only (see [`Status::Insufficient`]).
    #[serde(default)]
    pub insufficient: usize,
}

impl Counts {
    pub fn add(&mut self, s: Status) {
        *match s {
            Status::Slower => &mut self.slower,
            Status::Faster => &mut self.faster,
            Status::Unchanged => &mut self.unchanged,
            Status::New => &mut self.new,
            Status::Removed => &mut self.removed,
            Status::Insufficient => &mut self.insufficient,
        } += 1;
    }
}

/// A short pointer to a row, for the summary's top lists.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TopEntry {
    pub display: String,
    pub status: Status,
    /// Change of the chosen metric, seconds.
    pub delta: f64,
    pub pct: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub metric: Metric,
    pub normalized: bool,
    /// Factor applied to the candidate's times (1 unless normalised).
    pub scale: f64,
    pub min_ms: f64,
    pub min_pct: f64,
    pub baseline: SideTotals,
    pub candidate: SideTotals,
    /// Candidate minus baseline total time, seconds (unscaled).
    pub delta_time: f64,
    pub delta_pct: Option<f64>,
    pub counts: Counts,
    /// Largest regressions first.
    pub top_regressions: Vec<TopEntry>,
    /// Largest improvements first.
    pub top_improvements: Vec<TopEntry>,
    /// What a reader must know to trust the numbers (sampled against traced, different
    /// sampling intervals, times in samples).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// A two-way diff.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    pub summary: Summary,
    pub rows: Vec<Row>,
    /// The current row order (field, reversed); not part of the JSON contract.
    #[serde(skip, default = "default_order")]
    pub order: (SortField, bool),
}

fn default_order() -> (SortField, bool) {
    (SortField::Delta, false)
}

/// How many rows the summary's top lists hold.
pub const TOP: usize = 10;

/// Compares `candidate` against `baseline`. Rows come sorted by the change of the chosen
/// metric, largest regression first.
pub fn compare(baseline: &Profile, candidate: &Profile, options: &Options) -> Comparison {
    let matching = match_profiles(baseline, candidate);
    let (bt, ct) = (SideTotals::of(baseline), SideTotals::of(candidate));
    // `Profile::producer` looks at every function and caller edge: once a side.
    let (bp, cp) = (bt.producer, ct.producer);
    let scale = if options.normalize && ct.total_time > 0.0 {
        bt.total_time / ct.total_time
    } else {
        1.0
    };
    let (bfs, cfs) = (baseline.functions(), candidate.functions());
    let sides = |(b, c): (Option<usize>, Option<usize>)| {
        [b.map(|i| &bfs[i]), c.map(|i| &cfs[i])]
            .into_iter()
            .flatten()
    };
    let metric = options.metric;
    // Largest regression first, stably: the same order as `total_cmp` on `-delta` with ties
    // in pair order, as integers (a plain sort of pairs is faster than a stable sort
    // through a closure). Worked out from the functions before any row exists, so rows
    // (~450 bytes) are built in their final place instead of moved there.
    let mut order: Vec<(u64, usize)> = Vec::with_capacity(matching.pairs.len());
    for (n, &(b, c, _)) in matching.pairs.iter().enumerate() {
        if let Some(&(b, c, _)) = matching.pairs.get(n + 16) {
            sides((b, c)).for_each(super::prefetch_all);
        }
        let side =
            |f: Option<&Function>, scale: f64| f.map_or(0.0, |f| metric_of(f, metric, scale));
        let delta = side(c.map(|i| &cfs[i]), scale) - side(b.map(|i| &bfs[i]), 1.0);
        order.push((total_order(-delta), n));
    }
    order.sort_unstable();
    // Gathered in one pass of independent loads (their misses overlap), not looked up
    // through `order` as each row is built.
    let pairs: Vec<_> = order.iter().map(|&(_, n)| matching.pairs[n]).collect();
    drop(order);
    let mut rows = Vec::with_capacity(pairs.len());
    for (k, &(b, c, kind)) in pairs.iter().enumerate() {
        // Each row shares its functions' strings (and copies them into its display), which
        // lie all over the heap, as do the functions in this order. Asked for ahead, the
        // misses overlap.
        if let Some(&(b, c, _)) = pairs.get(k + 16) {
            sides((b, c)).for_each(super::prefetch_all);
        }
        if let Some(&(b, c, _)) = pairs.get(k + 8) {
            sides((b, c)).for_each(|f| f.key.prefetch_counts());
        }
        let bf = b.map(|i| &bfs[i]);
        let cf = c.map(|i| &cfs[i]);
        let bs = bf.map(|f| SideStats::new(f, bp, 1.0, bt.total_time));
        let cs = cf.map(|f| SideStats::new(f, cp, scale, ct.total_time));
        let key = &cf.or(bf).expect("a pair has a side").key;
        let zero = |s: &Option<SideStats>, m: Metric| s.as_ref().map_or(0.0, |s| s.metric(m));
        let status = match (&bs, &cs) {
            (None, _) => Status::New,
            (_, None) => Status::Removed,
            _ => options.status(zero(&bs, options.metric), zero(&cs, options.metric)),
        };
        let calls_delta = match (bs.as_ref().map(|s| s.ncalls), cs.as_ref().map(|s| s.ncalls)) {
            (Some(None), _) | (_, Some(None)) => None,
            (b, c) => Some(
                c.flatten()
                    .unwrap_or(0)
                    .saturating_sub(b.flatten().unwrap_or(0)),
            ),
        };
        let delta = Delta {
            ncalls: calls_delta,
            tottime: zero(&cs, Metric::Tottime) - zero(&bs, Metric::Tottime),
            cumtime: zero(&cs, Metric::Cumtime) - zero(&bs, Metric::Cumtime),
            pct: match (&bs, &cs) {
                (Some(_), Some(_)) => {
                    relative_pct(zero(&bs, options.metric), zero(&cs, options.metric))
                }
                _ => None,
            },
            share_pp: cs.as_ref().map_or(0.0, |s| s.share_pct)
                - bs.as_ref().map_or(0.0, |s| s.share_pct),
        };
        let ratio = match (&bs, &cs) {
            (Some(b), Some(c)) => Ratio {
                tottime: ratio(b.tottime, c.tottime),
                cumtime: ratio(b.cumtime, c.cumtime),
            },
            _ => Ratio {
                tottime: None,
                cumtime: None,
            },
        };
        // An exact match has equal keys: no need to compare them again.
        let baseline_function = match (bf, cf) {
            (Some(b), Some(c)) if kind != Some(MatchKind::Exact) && b.key != c.key => {
                Some(FunctionRef::from(&b.key))
            }
            _ => None,
        };
        rows.push(Row {
            function: FunctionRef::from(key),
            display: key.display(),
            status,
            match_kind: kind,
            baseline_function,
            baseline: bs,
            candidate: cs,
            delta,
            ratio,
            positions: (b, c),
        });
    }
    let mut counts = Counts::default();
    rows.iter().for_each(|r| counts.add(r.status));
    let top = |r: &Row| TopEntry {
        display: r.display.clone(),
        status: r.status,
        delta: r.delta_of(metric),
        pct: r.delta.pct,
    };
    let top_regressions = rows
        .iter()
        .filter(|r| matches!(r.status, Status::Slower | Status::New))
        .take(TOP)
        .map(top)
        .collect();
    let top_improvements = rows
        .iter()
        .rev()
        .filter(|r| matches!(r.status, Status::Faster | Status::Removed))
        .take(TOP)
        .map(top)
        .collect();
    let notes = notes(&bt, &ct);
    Comparison {
        summary: Summary {
            notes,
            metric,
            normalized: options.normalize,
            scale,
            min_ms: options.min_ms,
            min_pct: options.min_pct,
            delta_time: ct.total_time - bt.total_time,
            delta_pct: relative_pct(bt.total_time, ct.total_time),
            baseline: bt,
            candidate: ct,
            counts,
            top_regressions,
            top_improvements,
        },
        rows,
        order: default_order(),
    }
}

/// The caveats of comparing these two sides.
pub fn notes(a: &SideTotals, b: &SideTotals) -> Vec<String> {
    let label = |s: &SideTotals| match &s.sampling {
        Some(x) => x.label(s.producer),
        None => s.producer.to_string(),
    };
    match (&a.sampling, &b.sampling) {
        (None, None) => Vec::new(),
        (Some(_), None) | (None, Some(_)) => vec![format!(
            "not comparable: the baseline ({}) and the candidate ({}) were not measured the same \
             way — a sampling profiler counts samples, a tracing one calls and exact times",
            label(a),
            label(b)
        )],
        (Some(x), Some(y)) => match (x.interval, y.interval) {
            (None, None) => vec![
                "times are sample counts: the files do not say the sampling interval".to_string(),
            ],
            (Some(i), Some(j)) if (i - j).abs() > 1e-12 * i.abs().max(j.abs()) => vec![format!(
                "sampling intervals differ ({} vs {}): both sides are compared as time \
                 (samples × interval)",
                label(a),
                label(b)
            )],
            (Some(_), Some(_)) => Vec::new(),
            _ => vec![format!(
                "not comparable: one side's times are seconds and the other's sample counts \
                 ({} vs {})",
                label(a),
                label(b)
            )],
        },
    }
}

/// Stable-sorts `items` by comparing their positions with `cmp`: the positions are sorted,
/// then the items put in place once (rows are large: a sort of the rows themselves would
/// copy them around many times).
pub fn permute<T>(items: &mut [T], cmp: impl Fn(usize, usize) -> std::cmp::Ordering) {
    let mut order: Vec<usize> = (0..items.len()).collect();
    order.sort_by(|&a, &b| cmp(a, b));
    reorder(items, order);
}

/// Puts `items` in `order` (each index once: `order[k]` is the index of the item that goes
/// to `k`), in place: each cycle of the permutation is followed by swaps, so no second
/// buffer of large rows is allocated and filled.
fn reorder<T>(items: &mut [T], mut order: Vec<usize>) {
    assert_eq!(order.len(), items.len(), "one index per item");
    for start in 0..order.len() {
        let mut k = start;
        // `usize::MAX` marks a place already filled.
        while order[k] != usize::MAX {
            let next = std::mem::replace(&mut order[k], usize::MAX);
            if next == start {
                break;
            }
            items.swap(k, next);
            k = next;
        }
    }
}

/// An integer that orders as [`f64::total_cmp`] orders floats (negatives flipped below,
/// the rest lifted above): sorting plain integers beats a sort through a closure. The
/// browser's tables sort by it too (`ui::order`).
pub fn total_order(x: f64) -> u64 {
    let bits = x.to_bits();
    if bits >> 63 == 1 {
        !bits
    } else {
        bits | 1 << 63
    }
}

/// Columns a comparison's rows can be sorted by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SortField {
    /// Change of the chosen metric (signed: regressions first).
    Delta,
    /// Relative change (signed).
    Pct,
    Ratio,
    Baseline,
    Candidate,
    Calls,
    Name,
}

impl SortField {
    pub const NAMES: &'static [&'static str] = &[
        "delta",
        "pct",
        "ratio",
        "baseline",
        "candidate",
        "calls",
        "name",
    ];

    pub fn parse(s: &str) -> Option<SortField> {
        Some(match s {
            "delta" => SortField::Delta,
            "pct" => SortField::Pct,
            "ratio" => SortField::Ratio,
            "baseline" => SortField::Baseline,
            "candidate" => SortField::Candidate,
            "calls" => SortField::Calls,
            "name" => SortField::Name,
            _ => return None,
        })
    }
}

impl Comparison {
    /// Sorts rows by `field` (descending for numbers, ascending for names; `reverse` flips).
    /// Missing values sort last. Stable: ties keep the previous order.
    pub fn sort(&mut self, field: SortField, reverse: bool) {
        self.order = (field, reverse);
        let m = self.summary.metric;
        let key = |r: &Row| -> Option<f64> {
            match field {
                SortField::Delta => Some(r.delta_of(m)),
                SortField::Pct => r.delta.pct,
                SortField::Ratio => match m {
                    Metric::Tottime => r.ratio.tottime,
                    Metric::Cumtime => r.ratio.cumtime,
                },
                SortField::Baseline => r.baseline.as_ref().map(|s| s.metric(m)),
                SortField::Candidate => r.candidate.as_ref().map(|s| s.metric(m)),
                SortField::Calls => r.delta.ncalls.map(|n| n as f64),
                SortField::Name => None,
            }
        };
        if field == SortField::Name {
            let rows = &self.rows;
            let names: Vec<&str> = rows.iter().map(|r| r.display.as_str()).collect();
            let mut order: Vec<usize> = (0..rows.len()).collect();
            order.sort_by(|&a, &b| names[a].cmp(names[b]));
            if reverse {
                order.reverse();
            }
            let rank: Vec<usize> = {
                let mut rank = vec![0; order.len()];
                order.iter().enumerate().for_each(|(pos, &i)| rank[i] = pos);
                rank
            };
            permute(&mut self.rows, |a, b| rank[a].cmp(&rank[b]));
            return;
        }
        let keys: Vec<Option<f64>> = self.rows.iter().map(key).collect();
        permute(&mut self.rows, |a, b| match (keys[a], keys[b]) {
            (Some(x), Some(y)) => {
                let o = y.total_cmp(&x);
                if reverse { o.reverse() } else { o }
            }
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => std::cmp::Ordering::Equal,
        });
    }

    /// Whether total time, or any function beyond the thresholds, regressed by more than
    /// `pct` percent (the CLI's `--fail-on-regression`). New functions count when they
    /// pass the millisecond threshold (they regressed from nothing).
    pub fn regressed_beyond(&self, pct: f64) -> bool {
        if self.summary.delta_pct.is_some_and(|d| d > pct) {
            return true;
        }
        self.rows.iter().any(|r| match r.status {
            Status::Slower => r.delta.pct.is_none_or(|p| p > pct),
            Status::New => r.delta_of(self.summary.metric) >= self.summary.min_ms / 1000.0,
            _ => false,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::reorder;

    /// In-place cycle following gives what collecting `items[order[k]]` gives, for every
    /// permutation of up to 6 items and longer shuffled ones (long cycles, fixed points).
    #[test]
    fn reorder_matches_gathering() {
        fn check(order: Vec<usize>) {
            let items: Vec<String> = (0..order.len()).map(|i| format!("item {i}")).collect();
            let want: Vec<String> = order.iter().map(|&i| items[i].clone()).collect();
            let mut got = items;
            reorder(&mut got, order);
            assert_eq!(got, want);
        }
        fn permutations(n: usize, prefix: &mut Vec<usize>, out: &mut Vec<Vec<usize>>) {
            if prefix.len() == n {
                out.push(prefix.clone());
            }
            for i in 0..n {
                if !prefix.contains(&i) {
                    prefix.push(i);
                    permutations(n, prefix, out);
                    prefix.pop();
                }
            }
        }
        for n in 0..=6 {
            let mut all = Vec::new();
            permutations(n, &mut Vec::new(), &mut all);
            all.into_iter().for_each(check);
        }
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        for n in [100, 1000, 4097] {
            let mut order: Vec<usize> = (0..n).collect();
            for i in (1..n).rev() {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                order.swap(i, (seed % (i as u64 + 1)) as usize);
            }
            check(order);
        }
    }
}
