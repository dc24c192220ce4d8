//! Statistics for telling a change from noise across runs: the Mann–Whitney U test, a
//! bootstrap confidence interval of the ratio of medians, and Benjamini–Hochberg q-values.
//!
//! Why these: profile times are not normal (long right tails, a floor at zero where a run
//! lacks the function), so a rank test is the honest default (asv uses Mann–Whitney too);
//! the interval says how large the change is, which a p-value does not; and with hundreds
//! of functions tested at once, false-discovery control keeps noise out of the regressions.
//!
//! Deterministic: the same runs give the same numbers on every machine and in the browser
//! (the bootstrap draws from a fixed-seed SplitMix64, not the OS's randomness).

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

/// The exact distribution is used while both sides together hold at most this many runs;
/// beyond it, the normal approximation (with tie correction and continuity correction, as
/// SciPy's `mannwhitneyu(method="asymptotic")`).
pub const EXACT_UP_TO: usize = 40;

/// A two-sided Mann–Whitney U test of `a` against `b`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct RankTest {
    /// U of the first sample (the number of pairs where `a` is larger, ties counting half).
    pub u: f64,
    pub p: f64,
    /// Exact permutation distribution (ties included) rather than the normal approximation.
    pub exact: bool,
}

/// Midranks (1-based, ties share the mean of their ranks), doubled so they are integers.
fn doubled_ranks(values: &[f64]) -> Vec<u32> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&x, &y| values[x].total_cmp(&values[y]));
    let mut ranks = vec![0u32; values.len()];
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && values[order[j + 1]] == values[order[i]] {
            j += 1;
        }
        // Ranks i+1 ..= j+1 share their mean; doubled: (i + 1) + (j + 1).
        for &o in &order[i..=j] {
            ranks[o] = (i + j + 2) as u32;
        }
        i = j + 1;
    }
    ranks
}

/// The exact null distribution of the doubled rank sum of `k` items drawn from `ranks`:
/// `counts[s]` subsets of size `k` have doubled rank sum `s`. Counts stay exact in f64
/// (C(40, 20) < 2^53).
fn rank_sum_counts(ranks: &[u32], k: usize) -> Vec<f64> {
    let max: usize = ranks.iter().map(|&r| r as usize).sum();
    // dp[j][s]: subsets of size j with sum s, over the items seen so far.
    let mut dp = vec![vec![0.0f64; max + 1]; k + 1];
    dp[0][0] = 1.0;
    for (seen, &r) in ranks.iter().enumerate() {
        let r = r as usize;
        for j in (1..=k.min(seen + 1)).rev() {
            let (lower, upper) = dp.split_at_mut(j);
            let (from, to) = (&lower[j - 1], &mut upper[0]);
            for s in (r..=max).rev() {
                to[s] += from[s - r];
            }
        }
    }
    dp.swap_remove(k)
}

/// An exact null distribution: counts per doubled rank sum, and their total.
type Exact = (Vec<f64>, f64);

/// At most this many tie patterns are kept (at 40 runs a distribution is ~13 KB, so the
/// cache stays under ~14 MB however many distinct patterns a comparison brings).
pub const TIE_PATTERNS_KEPT: usize = 1024;

/// Caches exact null distributions: without ties one per pair of sizes (the common case
/// for timings), with ties one per tie pattern, up to [`TIE_PATTERNS_KEPT`].
#[derive(Default)]
pub struct RankTester {
    no_ties: HashMap<(usize, usize), Exact>,
    ties: HashMap<(Vec<u32>, usize), Exact>,
}

impl RankTester {
    /// The test, or `None` when a side is empty.
    pub fn test(&mut self, a: &[f64], b: &[f64]) -> Option<RankTest> {
        let (n1, n2) = (a.len(), b.len());
        if n1 == 0 || n2 == 0 {
            return None;
        }
        let all: Vec<f64> = a.iter().chain(b).copied().collect();
        let ranks = doubled_ranks(&all);
        let sum2: u64 = ranks[..n1].iter().map(|&r| r as u64).sum();
        let u = sum2 as f64 / 2.0 - (n1 * (n1 + 1)) as f64 / 2.0;
        let n = n1 + n2;
        if ranks.iter().all(|&r| r == ranks[0]) {
            // Every value equal: no evidence of any difference.
            return Some(RankTest {
                u,
                p: 1.0,
                exact: true,
            });
        }
        // Sorted once: the exact distribution's cache key (it depends only on the multiset of
        // ranks), and the tie groups of the approximation.
        let mut sorted = ranks;
        sorted.sort_unstable();
        if n <= EXACT_UP_TO {
            let exact = |ranks: &[u32]| -> Exact {
                let c = rank_sum_counts(ranks, n1);
                let t = c.iter().sum();
                (c, t)
            };
            let no_ties = sorted.iter().zip(1..).all(|(&r, i)| r == 2 * i);
            let (counts, total) = if no_ties {
                &*self
                    .no_ties
                    .entry((n, n1))
                    .or_insert_with(|| exact(&sorted))
            } else {
                let key = (sorted, n1);
                if !self.ties.contains_key(&key) {
                    if self.ties.len() >= TIE_PATTERNS_KEPT {
                        self.ties.clear();
                    }
                    let e = exact(&key.0);
                    self.ties.insert(key.clone(), e);
                }
                &self.ties[&key]
            };
            let s = sum2 as usize;
            let lower: f64 = counts[..=s].iter().sum::<f64>() / *total;
            let upper: f64 = counts[s..].iter().sum::<f64>() / *total;
            return Some(RankTest {
                u,
                p: (2.0 * lower.min(upper)).min(1.0),
                exact: true,
            });
        }
        // Normal approximation with tie and continuity correction.
        let (n1f, n2f, nf) = (n1 as f64, n2 as f64, n as f64);
        let mut ties = 0.0;
        let mut i = 0;
        while i < sorted.len() {
            let j = sorted[i..].iter().take_while(|&&r| r == sorted[i]).count();
            let t = j as f64;
            ties += t * t * t - t;
            i += j;
        }
        let mu = n1f * n2f / 2.0;
        let sigma = (n1f * n2f / 12.0 * ((nf + 1.0) - ties / (nf * (nf - 1.0)))).sqrt();
        let big = u.max(n1f * n2f - u);
        let z = (big - mu - 0.5) / sigma;
        let p = (2.0 * normal_sf(z)).min(1.0);
        Some(RankTest { u, p, exact: false })
    }
}

/// The test that decides a runs comparison.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TestKind {
    /// Two-sided Mann–Whitney U (rank test; no assumption about the times' distribution).
    #[default]
    MannWhitneyU,
    /// Welch's two-sided t-test on the times (unequal variances; what pyperf does). More
    /// power with few, well-behaved runs; trusts means, so one outlier run moves it.
    WelchT,
}

impl TestKind {
    pub const ALL: [TestKind; 2] = [TestKind::MannWhitneyU, TestKind::WelchT];

    pub fn as_str(self) -> &'static str {
        match self {
            TestKind::MannWhitneyU => "mann-whitney-u",
            TestKind::WelchT => "welch-t",
        }
    }

    pub fn parse(s: &str) -> Option<TestKind> {
        TestKind::ALL.into_iter().find(|t| t.as_str() == s)
    }

    /// The smallest two-sided p-value the test can give for these run counts: the rank
    /// test's is 2 / C(n1 + n2, n1); the t-test's is 0 once both sides have two runs (it
    /// needs two for a variance).
    pub fn smallest_p(self, n1: usize, n2: usize) -> f64 {
        match self {
            TestKind::MannWhitneyU => smallest_p(n1, n2),
            TestKind::WelchT if n1 >= 2 && n2 >= 2 => 0.0,
            TestKind::WelchT => 1.0,
        }
    }
}

/// Welch's two-sided t-test p-value of `a` against `b` (SciPy's `ttest_ind(a, b,
/// equal_var=False)`), or `None` with fewer than two values on a side. Samples without
/// spread: 1 when their means are equal, else 0 (SciPy says nan).
pub fn welch_t(a: &[f64], b: &[f64]) -> Option<f64> {
    let (na, nb) = (a.len() as f64, b.len() as f64);
    if a.len() < 2 || b.len() < 2 {
        return None;
    }
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let (ma, mb) = (mean(a), mean(b));
    let var =
        |v: &[f64], m: f64| v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (v.len() - 1) as f64;
    let (va, vb) = (var(a, ma) / na, var(b, mb) / nb);
    let se2 = va + vb;
    if se2 == 0.0 {
        return Some(if ma == mb { 1.0 } else { 0.0 });
    }
    let t = (ma - mb) / se2.sqrt();
    let df = se2 * se2 / (va * va / (na - 1.0) + vb * vb / (nb - 1.0));
    // Two-sided: P(|T| > |t|) = I_{df / (df + t²)}(df / 2, 1 / 2).
    Some(incomplete_beta(df / 2.0, 0.5, df / (df + t * t)).clamp(0.0, 1.0))
}

/// The regularised incomplete beta function I_x(a, b), by its continued fraction (Lentz),
/// as Numerical Recipes' `betai`.
fn incomplete_beta(a: f64, b: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let ln_front =
        libm::lgamma(a + b) - libm::lgamma(a) - libm::lgamma(b) + a * x.ln() + b * (1.0 - x).ln();
    let front = ln_front.exp();
    if x < (a + 1.0) / (a + b + 2.0) {
        front * beta_fraction(a, b, x) / a
    } else {
        1.0 - front * beta_fraction(b, a, 1.0 - x) / b
    }
}

fn beta_fraction(a: f64, b: f64, x: f64) -> f64 {
    let (qab, qap, qam) = (a + b, a + 1.0, a - 1.0);
    let mut c = 1.0;
    let mut d = 1.0 / off_zero(1.0 - qab * x / qap);
    let mut h = d;
    for m in 1..=500 {
        let m = m as f64;
        let m2 = 2.0 * m;
        // The even and the odd coefficient of the fraction's m-th pair of terms.
        h *= lentz_step(m * (b - m) * x / ((qam + m2) * (a + m2)), &mut c, &mut d);
        let del = lentz_step(
            -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2)),
            &mut c,
            &mut d,
        );
        h *= del;
        if (del - 1.0).abs() < 1e-16 {
            break;
        }
    }
    h
}

/// One term of the modified Lentz method for a continued fraction with partial numerator
/// `aa`: updates the running `c` and `d` and gives the factor the fraction's value takes.
fn lentz_step(aa: f64, c: &mut f64, d: &mut f64) -> f64 {
    *d = off_zero(1.0 + aa * *d);
    *c = off_zero(1.0 + aa / *c);
    *d = 1.0 / *d;
    *d * *c
}

/// `x`, or a tiny number in place of (near) zero, which Lentz' method must not divide by.
fn off_zero(x: f64) -> f64 {
    const TINY: f64 = 1e-300;
    if x.abs() < TINY { TINY } else { x }
}

/// P(Z > z) for a standard normal Z.
pub fn normal_sf(z: f64) -> f64 {
    0.5 * libm::erfc(z / std::f64::consts::SQRT_2)
}

/// The smallest two-sided p-value the exact test can give for runs of these sizes (no
/// ties): 2 / C(n1 + n2, n1). With 3 runs a side it is 0.1, so p < 0.05 is out of reach.
pub fn smallest_p(n1: usize, n2: usize) -> f64 {
    if n1 == 0 || n2 == 0 {
        return 1.0;
    }
    if n1 + n2 > EXACT_UP_TO {
        return 0.0;
    }
    let (n, k) = (n1 + n2, n1.min(n2));
    let mut c = 1.0f64;
    for i in 0..k {
        c = c * (n - i) as f64 / (i + 1) as f64;
    }
    (2.0 / c).min(1.0)
}

/// Benjamini–Hochberg adjusted p-values (q-values), in the order given.
pub fn bh_q_values(p: &[f64]) -> Vec<f64> {
    let m = p.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&x, &y| p[x].total_cmp(&p[y]));
    let mut q = vec![1.0; m];
    let mut running = 1.0f64;
    for (rank, &i) in order.iter().enumerate().rev() {
        running = running.min(p[i] * m as f64 / (rank + 1) as f64);
        q[i] = running.min(1.0);
    }
    q
}

/// SplitMix64: a tiny, well-studied generator; enough for resampling, and the same on
/// every platform.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (multiply-shift; the bias is below 2^-32 for run counts).
    fn below(&mut self, n: usize) -> usize {
        (((self.next() >> 32) * n as u64) >> 32) as usize
    }
}

/// Where a resample's median falls among the sorted original values: the median of a
/// resample of ranks is the mean of the values at these two ranks.
type MedianRanks = (u16, u16);

/// The bootstrap distribution of the median's ranks for one sample size, from seeded
/// resamples, as (ranks, share of resamples).
fn median_rank_distribution(
    n: usize,
    resamples: usize,
    rng: &mut SplitMix64,
) -> Vec<(MedianRanks, f64)> {
    let mut counts: HashMap<MedianRanks, usize> = HashMap::new();
    let mut draw = vec![0u16; n];
    for _ in 0..resamples {
        for d in draw.iter_mut() {
            *d = rng.below(n) as u16;
        }
        draw.sort_unstable();
        *counts.entry((draw[(n - 1) / 2], draw[n / 2])).or_default() += 1;
    }
    let mut out: Vec<(MedianRanks, f64)> = counts
        .into_iter()
        .map(|(r, c)| (r, c as f64 / resamples as f64))
        .collect();
    out.sort_by_key(|x| x.0);
    out
}

/// A percentile-bootstrap confidence interval of the ratio of medians (candidate over
/// baseline) for a pair of run counts.
///
/// Resampling is done once on ranks, not per function: the median of a resample of sorted
/// values is fixed by which ranks were drawn, so one set of seeded resamples serves every
/// function with these run counts. The two sides are resampled independently, so the
/// ratio's distribution is the product of the two medians' distributions.
pub struct RatioBootstrap {
    base: Vec<(MedianRanks, f64)>,
    cand: Vec<(MedianRanks, f64)>,
}

/// Resamples per side.
pub const RESAMPLES: usize = 10_000;
/// The interval's coverage.
pub const LEVEL: f64 = 0.95;

impl RatioBootstrap {
    pub fn new(n_base: usize, n_cand: usize) -> RatioBootstrap {
        let mut rng = SplitMix64(0x7072_6f66_6469_6666 ^ (((n_base as u64) << 32) | n_cand as u64));
        let base = if n_base > 0 {
            median_rank_distribution(n_base, RESAMPLES, &mut rng)
        } else {
            Vec::new()
        };
        let cand = if n_cand > 0 {
            median_rank_distribution(n_cand, RESAMPLES, &mut rng)
        } else {
            Vec::new()
        };
        RatioBootstrap { base, cand }
    }

    /// `[lo, hi]` of candidate median / baseline median, or `None` when the baseline's
    /// median is zero in more resamples than the interval may leave out (the ratio is then
    /// unbounded) or a side is empty.
    pub fn ratio_ci(&self, base: &[f64], cand: &[f64]) -> Option<[f64; 2]> {
        if base.is_empty() || cand.is_empty() || self.base.is_empty() || self.cand.is_empty() {
            return None;
        }
        let tail = (1.0 - LEVEL) / 2.0;
        let mut b = medians(base, &self.base);
        // Resamples with a zero baseline median have an infinite ratio: the top tail.
        let zero: f64 = b.iter().take_while(|x| x.0 <= 0.0).map(|x| x.1).sum();
        if zero > tail {
            return None;
        }
        b.retain(|x| x.0 > 0.0);
        let product = Product::new(b, medians(cand, &self.cand));
        Some([product.quantile(tail), product.quantile(1.0 - tail)])
    }
}

/// One side's bootstrap medians for one function, as (value, share of resamples),
/// ascending by value.
fn medians(values: &[f64], dist: &[(MedianRanks, f64)]) -> Vec<(f64, f64)> {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mut out: Vec<(f64, f64)> = dist
        .iter()
        .map(|&((lo, hi), w)| ((sorted[lo as usize] + sorted[hi as usize]) / 2.0, w))
        .collect();
    out.sort_by(|x, y| x.0.total_cmp(&y.0));
    out
}

/// The distribution of candidate median / baseline median when the two are independent:
/// every pair of outcomes, weighted by the product of their shares.
///
/// Why not list and sort the pairs: for 8 runs a side that is ~1,300 ratios per function,
/// and sorting them was 25 µs of a function's 26. Both sides sorted by value make "how much
/// mass lies at or below r" a single merge-like sweep, so a quantile is a bisection over r
/// until few pairs remain in the bracket, then an exact walk over those.
struct Product {
    /// Baseline medians (all > 0) with their shares, ascending.
    base: Vec<(f64, f64)>,
    /// Candidate medians, ascending.
    cand: Vec<f64>,
    /// `cum[k]`: share of the `k` smallest candidate medians.
    cum: Vec<f64>,
}

impl Product {
    fn new(base: Vec<(f64, f64)>, cand: Vec<(f64, f64)>) -> Product {
        let mut cum = Vec::with_capacity(cand.len() + 1);
        let mut acc = 0.0;
        cum.push(acc);
        for &(_, w) in &cand {
            acc += w;
            cum.push(acc);
        }
        Product {
            base,
            cand: cand.into_iter().map(|x| x.0).collect(),
            cum,
        }
    }

    /// The mass and the number of pairs whose ratio is at most `r`. As the baseline median
    /// grows, each candidate's ratio shrinks, so the count per baseline value only grows:
    /// one pointer serves the whole sweep.
    fn at_most(&self, r: f64) -> (f64, usize) {
        let (mut k, mut mass, mut pairs) = (0, 0.0, 0);
        for &(mb, wb) in &self.base {
            while k < self.cand.len() && self.cand[k] / mb <= r {
                k += 1;
            }
            mass += wb * self.cum[k];
            pairs += k;
        }
        (mass, pairs)
    }

    /// The smallest ratio whose cumulative share reaches `q` (a percentile of the pairs).
    fn quantile(&self, q: f64) -> f64 {
        // The same tolerance for rounding in the shares as a plain cumulative sum needs.
        let q = q - 1e-12;
        let (nb, nc) = (self.base.len(), self.cand.len());
        if nb == 0 || nc == 0 {
            return f64::NAN;
        }
        let mut lo = self.cand[0] / self.base[nb - 1].0;
        let mut hi = self.cand[nc - 1] / self.base[0].0;
        let (mut lo_mass, mut lo_pairs) = self.at_most(lo);
        if lo_mass >= q {
            return lo;
        }
        let mut hi_pairs = nb * nc;
        // Invariant: mass(lo) < q <= mass(hi); the answer is a ratio in (lo, hi].
        while hi_pairs - lo_pairs > 32 {
            // Ratios spread over orders of magnitude when a baseline median is tiny: halve
            // the bracket geometrically then, so it shrinks as fast in either case.
            let mid = if lo > 0.0 && hi > 4.0 * lo {
                (lo * hi).sqrt()
            } else {
                lo + (hi - lo) / 2.0
            };
            if mid <= lo || mid >= hi {
                break;
            }
            let (mass, pairs) = self.at_most(mid);
            if mass >= q {
                (hi, hi_pairs) = (mid, pairs);
            } else {
                (lo, lo_mass, lo_pairs) = (mid, mass, pairs);
            }
        }
        // The few pairs in (lo, hi], in order, from lo's mass on.
        let mut inside: Vec<(f64, f64)> = Vec::with_capacity(hi_pairs - lo_pairs);
        let (mut from, mut to) = (0, 0);
        for &(mb, wb) in &self.base {
            while from < nc && self.cand[from] / mb <= lo {
                from += 1;
            }
            to = to.max(from);
            while to < nc && self.cand[to] / mb <= hi {
                to += 1;
            }
            for j in from..to {
                inside.push((self.cand[j] / mb, wb * (self.cum[j + 1] - self.cum[j])));
            }
        }
        inside.sort_by(|x, y| x.0.total_cmp(&y.0));
        let mut acc = lo_mass;
        for &(r, w) in &inside {
            acc += w;
            if acc >= q {
                return r;
            }
        }
        hi
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_p_values_match_scipy() {
        // scipy.stats.mannwhitneyu(a, b, method="exact") (SciPy 1.17.1), no ties.
        let mut t = RankTester::default();
        let r = t.test(&[1.0, 2.0, 3.0], &[4.0, 5.0, 6.0]).unwrap();
        assert_eq!(r.u, 0.0);
        assert!((r.p - 0.1).abs() < 1e-12, "{r:?}");
        let r = t
            .test(&[1.0, 2.0, 3.0, 4.0], &[5.0, 6.0, 7.0, 8.0])
            .unwrap();
        assert!((r.p - 2.0 / 70.0).abs() < 1e-12);
        let r = t
            .test(&[1.1, 3.2, 2.5, 7.0, 4.4], &[5.0, 6.1, 8.2, 9.3, 2.0])
            .unwrap();
        assert_eq!(r.u, 6.0);
        // P(U <= 6) for n1 = n2 = 5 is 28/252 (by enumerating all 252 splits); two-sided 56/252.
        assert!((r.p - 56.0 / 252.0).abs() < 1e-12, "{r:?}");
        // Equal samples.
        assert_eq!(t.test(&[1.0, 1.0], &[1.0, 1.0]).unwrap().p, 1.0);
    }

    #[test]
    fn many_tie_patterns_keep_the_cache_bounded() {
        // Sample counts of 20 runs a side, each function with its own tie pattern: the
        // cache must not grow with the number of functions, and answers must not change
        // when entries are dropped.
        let mut t = RankTester::default();
        let first = t.test(&[0.0, 0.0, 1.0], &[1.0, 2.0, 3.0]).unwrap();
        for f in 0..3 * TIE_PATTERNS_KEPT {
            let a: Vec<f64> = (0..20).map(|i| ((i * 7 + f) % 13) as f64).collect();
            let b: Vec<f64> = (0..20).map(|i| ((i * 5 + f / 13) % 11) as f64).collect();
            t.test(&a, &b).unwrap();
            assert!(t.ties.len() <= TIE_PATTERNS_KEPT);
        }
        assert_eq!(t.test(&[0.0, 0.0, 1.0], &[1.0, 2.0, 3.0]).unwrap(), first);
    }

    #[test]
    fn ties_use_the_exact_permutation_distribution() {
        // a = [0, 0, 1], b = [1, 2, 3]: doubled ranks 3 3 7 | 7 10 12 (midranks 1.5 1.5 3.5
        // 3.5 5 6). Of the 20 ways to choose a's ranks, those with a sum <= 6.5 (the
        // observed): {1.5,1.5,3.5} twice (which 3.5) → 2, so P(lower) = 2/20 and p = 0.2.
        let r = RankTester::default()
            .test(&[0.0, 0.0, 1.0], &[1.0, 2.0, 3.0])
            .unwrap();
        assert!((r.u - 0.5).abs() < 1e-12, "{r:?}");
        assert!((r.p - 0.2).abs() < 1e-12, "{r:?}");
    }

    #[test]
    fn the_normal_approximation_matches_scipy() {
        // 25 against 25 values, b shifted: SciPy 1.17.1 mannwhitneyu(method="asymptotic").
        let a: Vec<f64> = (0..25).map(|i| i as f64).collect();
        let b: Vec<f64> = (0..25).map(|i| i as f64 + 7.5).collect();
        let r = RankTester::default().test(&a, &b).unwrap();
        assert!(!r.exact);
        assert_eq!(r.u, 153.0);
        // z = (472 - 312.5 - 0.5) / sqrt(25*25/12 * 51) = 3.08505...; p = 2 sf(z) = erfc(z/√2).
        assert!((r.p - 0.002_035_157_807_278_383).abs() < 1e-12, "{}", r.p);
    }

    #[test]
    fn the_smallest_p_says_when_alpha_is_out_of_reach() {
        assert!((smallest_p(3, 3) - 0.1).abs() < 1e-12);
        assert!((smallest_p(4, 4) - 2.0 / 70.0).abs() < 1e-12);
        assert!(smallest_p(2, 2) > 0.05);
        assert_eq!(smallest_p(30, 30), 0.0);
    }

    #[test]
    fn welch_matches_scipy() {
        // scipy.stats.ttest_ind(a, b, equal_var=False) (SciPy 1.17.1).
        let cases: [(&[f64], &[f64], f64); 3] = [
            (
                &[1.0, 2.0, 3.0, 4.0],
                &[2.5, 3.5, 4.5, 6.0, 7.0],
                0.072_521_007_115_612_06,
            ),
            (
                &[1.1, 3.2, 2.5, 7.0, 4.4],
                &[5.0, 6.1, 8.2, 9.3, 2.0],
                0.166_549_210_684_719_42,
            ),
            (&[1.0, 1.0], &[1.0, 1.0], 1.0),
        ];
        for (a, b, want) in cases {
            let p = welch_t(a, b).unwrap();
            assert!((p - want).abs() < 1e-12, "{a:?} {b:?}: {p} vs {want}");
        }
        let a: Vec<f64> = (0..25).map(|i| i as f64).collect();
        let b: Vec<f64> = a.iter().map(|x| x + 7.5).collect();
        assert!((welch_t(&a, &b).unwrap() - 0.000_745_395_639_450_881_9).abs() < 1e-13);
        assert_eq!(welch_t(&[1.0], &[2.0, 3.0]), None);
        assert_eq!(welch_t(&[1.0, 1.0], &[2.0, 2.0]), Some(0.0));
        assert_eq!(TestKind::WelchT.smallest_p(3, 3), 0.0);
        assert_eq!(TestKind::parse("welch-t"), Some(TestKind::WelchT));
    }

    #[test]
    fn q_values_are_benjamini_hochberg() {
        // statsmodels multipletests(p, method="fdr_bh") / scipy false_discovery_control.
        // Sorted 0.01 0.03 0.04 0.2 → ×4/rank 0.04 0.06 0.0533 0.2 → running minimum from the top.
        let q = bh_q_values(&[0.01, 0.04, 0.03, 0.2]);
        let want = [0.04, 0.16 / 3.0, 0.16 / 3.0, 0.2];
        for (x, y) in q.iter().zip(want) {
            assert!((x - y).abs() < 1e-12, "{q:?}");
        }
    }

    #[test]
    fn the_ratio_interval_holds_the_ratio_and_is_deterministic() {
        let boot = RatioBootstrap::new(10, 10);
        let base: Vec<f64> = (0..10).map(|i| 1.0 + 0.01 * i as f64).collect();
        let cand: Vec<f64> = base.iter().map(|v| v * 2.0).collect();
        let [lo, hi] = boot.ratio_ci(&base, &cand).unwrap();
        assert!(lo < 2.0 && 2.0 < hi && lo > 1.9 && hi < 2.1, "{lo} {hi}");
        assert_eq!(
            RatioBootstrap::new(10, 10).ratio_ci(&base, &cand),
            Some([lo, hi])
        );
        // A baseline that is mostly absent (zero): the ratio is unbounded.
        assert_eq!(boot.ratio_ci(&[0.0; 10], &cand), None);
        // Identical sides: the interval holds 1.
        let [lo, hi] = boot.ratio_ci(&base, &base).unwrap();
        assert!(lo <= 1.0 && 1.0 <= hi);
    }

    /// The percentile by listing and sorting every pair (the definition).
    fn brute_force(boot: &RatioBootstrap, base: &[f64], cand: &[f64]) -> Option<[f64; 2]> {
        let tail = (1.0 - LEVEL) / 2.0;
        let (b, c) = (medians(base, &boot.base), medians(cand, &boot.cand));
        let zero: f64 = b.iter().filter(|x| x.0 <= 0.0).map(|x| x.1).sum();
        if zero > tail {
            return None;
        }
        let mut pairs: Vec<(f64, f64)> = Vec::new();
        for &(mb, wb) in b.iter().filter(|x| x.0 > 0.0) {
            for &(mc, wc) in &c {
                pairs.push((mc / mb, wb * wc));
            }
        }
        pairs.sort_by(|x, y| x.0.total_cmp(&y.0));
        let quantile = |q: f64| {
            let mut acc = 0.0;
            for &(r, w) in &pairs {
                acc += w;
                if acc >= q - 1e-12 {
                    return r;
                }
            }
            pairs.last().unwrap().0
        };
        Some([quantile(tail), quantile(1.0 - tail)])
    }

    #[test]
    fn the_interval_equals_the_percentile_of_all_pairs() {
        // Shapes real runs have: tight, skewed, zeros (a run lacking the function), ties
        // (sample counts), a tiny baseline against a large candidate.
        let mut x: u64 = 7;
        let mut next = move || {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (x >> 11) as f64 / (1u64 << 53) as f64
        };
        let mut checked = 0;
        let mut boots = HashMap::new();
        for case in 0..400 {
            let (nb, nc) = (2 + case % 9, 2 + (case / 9) % 9);
            let boot = boots
                .entry((nb, nc))
                .or_insert_with(|| RatioBootstrap::new(nb, nc));
            let draw = |n: usize, next: &mut dyn FnMut() -> f64| -> Vec<f64> {
                (0..n)
                    .map(|_| match case % 5 {
                        0 => 1.0 + 0.05 * next(),
                        1 => (-next().max(1e-12).ln()).powi(2),
                        2 if next() < 0.3 => 0.0,
                        3 => (next() * 4.0).floor(),
                        _ => 1e-9 + next() * 1e-9,
                    })
                    .collect()
            };
            let base = draw(nb, &mut next);
            let mut cand = draw(nc, &mut next);
            if case % 5 == 4 {
                cand.iter_mut().for_each(|v| *v *= 1e6);
            }
            let want = brute_force(boot, &base, &cand);
            assert_eq!(boot.ratio_ci(&base, &cand), want, "{base:?} {cand:?}");
            checked += usize::from(want.is_some());
        }
        assert!(checked > 250, "{checked}");
    }
}
