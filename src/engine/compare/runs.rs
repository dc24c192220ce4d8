//! Several profiles at once: N baseline runs against M candidate runs (medians and spread,
//! so noise is visible), and a matrix of K profiles in order (a trend per function).
//!
//! Functions are aligned across all profiles by matching each one against the first
//! (see [`super::matching`]); a function a run lacks counts as zero time in that run.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::{
    Counts, FunctionRef, Metric, Options, SideTotals, Status, match_profiles, relative_pct,
};
use crate::engine::profile::{FunctionKey, Profile};
use crate::engine::stats::{self, RankTester, RatioBootstrap, TestKind};

/// Functions aligned across profiles: `cells[f][p]` is function `f`'s position in profile
/// `p`, if present.
struct Alignment {
    keys: Vec<FunctionKey>,
    cells: Vec<Vec<Option<usize>>>,
}

fn align(profiles: &[&Profile]) -> Alignment {
    let Some(first) = profiles.first() else {
        return Alignment {
            keys: Vec::new(),
            cells: Vec::new(),
        };
    };
    let n = profiles.len();
    let mut keys: Vec<FunctionKey> = first.functions().iter().map(|f| f.key.clone()).collect();
    let mut cells: Vec<Vec<Option<usize>>> = (0..keys.len())
        .map(|i| {
            let mut row = vec![None; n];
            row[0] = Some(i);
            row
        })
        .collect();
    // Functions the first profile lacks, by exact key, so later profiles share them.
    let mut extra: HashMap<FunctionKey, usize> = HashMap::new();
    for (p, profile) in profiles.iter().enumerate().skip(1) {
        for (b, c, _) in match_profiles(first, profile).pairs {
            let Some(c) = c else { continue };
            let row = match b {
                Some(b) => b,
                None => {
                    let key = &profile.functions()[c].key;
                    *extra.entry(key.clone()).or_insert_with(|| {
                        keys.push(key.clone());
                        cells.push(vec![None; n]);
                        keys.len() - 1
                    })
                }
            };
            cells[row][p] = Some(c);
        }
    }
    Alignment { keys, cells }
}

fn metric_of(p: &Profile, pos: Option<usize>, m: Metric) -> f64 {
    pos.map_or(0.0, |i| {
        let f = &p.functions()[i];
        match m {
            Metric::Tottime => f.tt,
            Metric::Cumtime => f.ct,
        }
    })
}

/// The caveats of setting several profiles side by side: those of comparing the first
/// with each other one (as [`super::notes`] says them), each said once.
pub fn notes_across(profiles: &[&Profile]) -> Vec<String> {
    let Some(first) = profiles.first() else {
        return Vec::new();
    };
    let first = SideTotals::of(first);
    let mut out: Vec<String> = Vec::new();
    for p in &profiles[1..] {
        for note in super::notes(&first, &SideTotals::of(p)) {
            if !out.contains(&note) {
                out.push(note);
            }
        }
    }
    out
}

/// The median of non-empty `v` (mean of the middle two for even lengths).
fn median(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    let n = s.len();
    if n == 0 {
        0.0
    } else if n % 2 == 1 {
        s[n / 2]
    } else {
        (s[n / 2 - 1] + s[n / 2]) / 2.0
    }
}

/// One side of a runs row.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Spread {
    pub median: f64,
    pub min: f64,
    pub max: f64,
    /// The value in each run, in the order given (0 where the run lacks the function).
    pub runs: Vec<f64>,
}

impl Spread {
    fn of(runs: Vec<f64>) -> Spread {
        let min = runs.iter().copied().fold(f64::INFINITY, f64::min);
        let max = runs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        Spread {
            median: median(&runs),
            min,
            max,
            runs,
        }
    }

    pub fn width(&self) -> f64 {
        self.max - self.min
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunsRow {
    pub function: FunctionRef,
    pub display: String,
    pub status: Status,
    pub baseline: Spread,
    pub candidate: Spread,
    /// Difference of medians, seconds.
    pub delta: f64,
    pub pct: Option<f64>,
    /// Beyond the practical thresholds (min-ms, min-pct) but not significant: the q-value
    /// is not below alpha. Such a row's status is `unchanged`.
    pub within_noise: bool,
    /// Two-sided Mann–Whitney U test of the runs' values (0 where a run lacks the function).
    pub p_value: f64,
    /// The p-value adjusted for false discoveries over every row (Benjamini–Hochberg).
    pub q_value: f64,
    /// Bootstrap 95% interval of candidate median / baseline median; `None` when the
    /// baseline median is zero too often for a bounded ratio (new functions, rare ones).
    pub ratio_ci: Option<[f64; 2]>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunsSummary {
    pub metric: Metric,
    pub min_ms: f64,
    pub min_pct: f64,
    pub baseline_runs: usize,
    pub candidate_runs: usize,
    /// Total time of each profile, per side.
    pub baseline_totals: Spread,
    pub candidate_totals: Spread,
    pub delta_time: f64,
    pub delta_pct: Option<f64>,
    pub counts: Counts,
    /// Rows beyond the thresholds that are not significant (see [`RunsRow::within_noise`]).
    pub within_noise: usize,
    /// The statistics behind the verdicts.
    pub test: TestSummary,
    /// Caveats, as a two-way comparison's (sampled against traced, differing intervals).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// What was tested, and how.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TestSummary {
    /// `"mann-whitney-u"` (exact for up to [`stats::EXACT_UP_TO`] runs in all, else the
    /// normal approximation with tie correction) or `"welch-t"`.
    pub name: String,
    pub alpha: f64,
    /// How many functions were tested (the Benjamini–Hochberg family): every row.
    pub tests: usize,
    /// The smallest p-value these run counts allow; above alpha, nothing can be
    /// significant and changed rows are `insufficient`.
    pub smallest_p: f64,
    /// `"benjamini-hochberg"`.
    pub correction: String,
    /// The interval: `"bootstrap ratio of medians, 95%, 10000 resamples a side"`.
    pub interval: String,
    /// The same test on the profiles' total times (one test, no correction).
    pub totals_p_value: f64,
    pub totals_ratio_ci: Option<[f64; 2]>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunsComparison {
    pub summary: RunsSummary,
    pub rows: Vec<RunsRow>,
}

/// N baseline runs against M candidate runs. Rows come sorted by the change of medians,
/// largest regression first.
///
/// A function is slower or faster only when its medians differ beyond the practical
/// thresholds **and** its q-value is below `options.alpha`; beyond the thresholds but not
/// significant it is `unchanged` and `within_noise`; beyond them when the run counts
/// cannot reach alpha at all it is `insufficient`. New and removed functions keep their
/// status (they are absent from every run of one side), with their p- and q-values.
/// Takes owned profiles or shared ones (`Arc<Profile>`, as the server caches them) alike.
pub fn compare_runs<P: AsRef<Profile>>(
    baselines: &[P],
    candidates: &[P],
    options: &Options,
) -> RunsComparison {
    let all: Vec<&Profile> = baselines
        .iter()
        .chain(candidates)
        .map(AsRef::as_ref)
        .collect();
    let a = align(&all);
    let (nb, nc) = (baselines.len(), candidates.len());
    let m = options.metric;
    let mut tester = RankTester::default();
    let boot = RatioBootstrap::new(nb, nc);
    let smallest_p = options.test.smallest_p(nb, nc);
    let mut p_of = |a: &[f64], b: &[f64]| match options.test {
        TestKind::MannWhitneyU => tester.test(a, b).map_or(1.0, |t| t.p),
        TestKind::WelchT => stats::welch_t(a, b).unwrap_or(1.0),
    };
    let mut rows = Vec::with_capacity(a.keys.len());
    for (key, cells) in a.keys.iter().zip(&a.cells) {
        let values = |range: std::ops::Range<usize>| -> Vec<f64> {
            range.map(|p| metric_of(all[p], cells[p], m)).collect()
        };
        let in_base = cells[..nb].iter().any(Option::is_some);
        let in_cand = cells[nb..].iter().any(Option::is_some);
        let (b, c) = (Spread::of(values(0..nb)), Spread::of(values(nb..all.len())));
        let status = match (in_base, in_cand) {
            (false, _) => Status::New,
            (_, false) => Status::Removed,
            // The practical verdict; significance is applied once all p-values are known.
            _ => options.status(b.median, c.median),
        };
        rows.push(RunsRow {
            function: FunctionRef::from(key),
            display: key.display(),
            status,
            pct: relative_pct(b.median, c.median),
            delta: c.median - b.median,
            within_noise: false,
            p_value: p_of(&b.runs, &c.runs),
            q_value: 1.0,
            ratio_ci: boot.ratio_ci(&b.runs, &c.runs),
            baseline: b,
            candidate: c,
        });
    }
    let p: Vec<f64> = rows.iter().map(|r| r.p_value).collect();
    let mut counts = Counts::default();
    let mut noisy = 0;
    for (row, q) in rows.iter_mut().zip(stats::bh_q_values(&p)) {
        row.q_value = q;
        if matches!(row.status, Status::Slower | Status::Faster) {
            if smallest_p > options.alpha {
                row.status = Status::Insufficient;
            } else if q >= options.alpha {
                row.status = Status::Unchanged;
                row.within_noise = true;
                noisy += 1;
            }
        }
        counts.add(row.status);
    }
    rows.sort_by(|x, y| y.delta.total_cmp(&x.delta));
    let totals = |ps: &[P]| Spread::of(ps.iter().map(|p| p.as_ref().total_time()).collect());
    let (bt, ct) = (totals(baselines), totals(candidates));
    let test = TestSummary {
        name: options.test.as_str().into(),
        alpha: options.alpha,
        tests: rows.len(),
        smallest_p,
        correction: "benjamini-hochberg".into(),
        interval: format!(
            "bootstrap ratio of medians, {:.0}%, {} resamples a side",
            stats::LEVEL * 100.0,
            stats::RESAMPLES
        ),
        totals_p_value: p_of(&bt.runs, &ct.runs),
        totals_ratio_ci: boot.ratio_ci(&bt.runs, &ct.runs),
    };
    RunsComparison {
        summary: RunsSummary {
            metric: m,
            min_ms: options.min_ms,
            min_pct: options.min_pct,
            baseline_runs: nb,
            candidate_runs: nc,
            delta_time: ct.median - bt.median,
            delta_pct: relative_pct(bt.median, ct.median),
            baseline_totals: bt,
            candidate_totals: ct,
            counts,
            within_noise: noisy,
            test,
            notes: notes_across(&all),
        },
        rows,
    }
}

impl RunsComparison {
    /// As [`super::Comparison::regressed_beyond`], on medians, counting only significant
    /// changes: the total when its own test is below alpha, slower rows (significant by
    /// their status), and new functions past the millisecond threshold whose q-value is
    /// below alpha. Insufficient and within-noise rows never count.
    pub fn regressed_beyond(&self, pct: f64) -> bool {
        let t = &self.summary.test;
        if self.summary.delta_pct.is_some_and(|d| d > pct) && t.totals_p_value < t.alpha {
            return true;
        }
        self.rows.iter().any(|r| match r.status {
            Status::Slower => r.pct.is_none_or(|p| p > pct),
            Status::New => r.delta >= self.summary.min_ms / 1000.0 && r.q_value < t.alpha,
            _ => false,
        })
    }

    /// Whether these run counts can give a significant verdict at all.
    pub fn can_reach_alpha(&self) -> bool {
        self.summary.test.smallest_p <= self.summary.test.alpha
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MatrixRow {
    pub function: FunctionRef,
    pub display: String,
    /// The metric in each profile, in order; `null` where the profile lacks the function.
    pub values: Vec<Option<f64>>,
    /// Last minus first (a missing end counts as zero), seconds.
    pub delta: f64,
    pub pct: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Matrix {
    pub metric: Metric,
    /// Names of the profiles, in order.
    pub profiles: Vec<String>,
    pub totals: Vec<f64>,
    pub rows: Vec<MatrixRow>,
    /// Caveats of setting these profiles side by side (see [`notes_across`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// K profiles in order: each function's value in each, and first-to-last change. Rows
/// come sorted by that change, largest regression first.
pub fn matrix<P: AsRef<Profile>>(profiles: &[(String, P)], metric: Metric) -> Matrix {
    let refs: Vec<&Profile> = profiles.iter().map(|(_, p)| p.as_ref()).collect();
    let a = align(&refs);
    let mut rows: Vec<MatrixRow> = a
        .keys
        .iter()
        .zip(&a.cells)
        .map(|(key, cells)| {
            let values: Vec<Option<f64>> = cells
                .iter()
                .enumerate()
                .map(|(p, c)| c.map(|_| metric_of(refs[p], *c, metric)))
                .collect();
            let first = values.first().copied().flatten().unwrap_or(0.0);
            let last = values.last().copied().flatten().unwrap_or(0.0);
            MatrixRow {
                function: FunctionRef::from(key),
                display: key.display(),
                delta: last - first,
                pct: relative_pct(first, last),
                values,
            }
        })
        .collect();
    rows.sort_by(|x, y| y.delta.total_cmp(&x.delta));
    Matrix {
        metric,
        profiles: profiles.iter().map(|(n, _)| n.clone()).collect(),
        totals: refs.iter().map(|p| p.total_time()).collect(),
        rows,
        notes: notes_across(&refs),
    }
}
