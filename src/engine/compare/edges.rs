//! Caller and callee edges of one function on both sides: pstats records each edge's
//! calls and times exactly, so these are measured numbers, not estimates.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::{Comparison, Matching, Row};
use crate::engine::profile::{CallerStats, FunctionKey, Profile};

/// One edge's numbers on one side.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EdgeStats {
    pub ncalls: i64,
    pub pcalls: Option<i64>,
    pub tottime: Option<f64>,
    pub cumtime: Option<f64>,
}

/// One neighbour of the function, on both sides.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EdgeRow {
    pub display: String,
    pub baseline: Option<EdgeStats>,
    pub candidate: Option<EdgeStats>,
    /// Candidate minus baseline cumulative time along this edge, seconds.
    pub delta_cumtime: f64,
    pub delta_ncalls: i64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Edges {
    pub function: String,
    pub callers: Vec<EdgeRow>,
    pub callees: Vec<EdgeRow>,
}

fn stats(s: &CallerStats, scale: f64) -> EdgeStats {
    match *s {
        CallerStats::Full { nc, cc, tt, ct } => EdgeStats {
            ncalls: nc,
            pcalls: Some(cc),
            tottime: Some(tt * scale),
            cumtime: Some(ct * scale),
        },
        CallerStats::Count(n) => EdgeStats {
            ncalls: n,
            pcalls: None,
            tottime: None,
            cumtime: None,
        },
    }
}

/// Callers and callees of `row` (a row of `comparison`, built from these two profiles).
pub fn edges(baseline: &Profile, candidate: &Profile, comparison: &Comparison, row: &Row) -> Edges {
    let matching = Matching {
        pairs: comparison
            .rows
            .iter()
            .map(|r| (r.positions.0, r.positions.1, r.match_kind))
            .collect(),
    };
    // Candidate keys are translated to baseline keys where the two were matched.
    let to_base: HashMap<&FunctionKey, &FunctionKey> = matching
        .pairs
        .iter()
        .filter_map(|&(b, c, _)| {
            Some((
                &candidate.functions()[c?].key,
                &baseline.functions()[b?].key,
            ))
        })
        .collect();
    let scale = comparison.summary.scale;
    let (b, c) = row.positions;
    let base_fn = b.map(|i| &baseline.functions()[i]);
    let cand_fn = c.map(|i| &candidate.functions()[i]);

    let callers_of = |f: Option<&crate::engine::Function>| -> Vec<(FunctionKey, CallerStats)> {
        f.map(|f| f.callers.clone()).unwrap_or_default()
    };
    let callees_of = |p: &Profile, key: Option<&FunctionKey>| -> Vec<(FunctionKey, CallerStats)> {
        let Some(key) = key else { return Vec::new() };
        p.callees_of(key)
            .map(|(f, s)| (f.key.clone(), *s))
            .collect()
    };
    let join = |base: Vec<(FunctionKey, CallerStats)>,
                cand: Vec<(FunctionKey, CallerStats)>|
     -> Vec<EdgeRow> {
        let mut rows: Vec<EdgeRow> = Vec::new();
        let mut by_base: HashMap<FunctionKey, usize> = HashMap::new();
        for (k, s) in base {
            by_base.insert(k.clone(), rows.len());
            rows.push(EdgeRow {
                display: k.display(),
                baseline: Some(stats(&s, 1.0)),
                candidate: None,
                delta_cumtime: 0.0,
                delta_ncalls: 0,
            });
        }
        for (k, s) in cand {
            let base_key = to_base.get(&k).copied().unwrap_or(&k);
            match by_base.get(base_key) {
                Some(&i) => {
                    rows[i].candidate = Some(stats(&s, scale));
                    rows[i].display = k.display();
                }
                None => rows.push(EdgeRow {
                    display: k.display(),
                    baseline: None,
                    candidate: Some(stats(&s, scale)),
                    delta_cumtime: 0.0,
                    delta_ncalls: 0,
                }),
            }
        }
        for r in &mut rows {
            let cum = |s: &Option<EdgeStats>| s.as_ref().and_then(|s| s.cumtime).unwrap_or(0.0);
            let calls = |s: &Option<EdgeStats>| s.as_ref().map_or(0, |s| s.ncalls);
            r.delta_cumtime = cum(&r.candidate) - cum(&r.baseline);
            r.delta_ncalls = calls(&r.candidate).saturating_sub(calls(&r.baseline));
        }
        rows.sort_by(|a, b| b.delta_cumtime.abs().total_cmp(&a.delta_cumtime.abs()));
        rows
    };
    Edges {
        function: row.display.clone(),
        callers: join(callers_of(base_fn), callers_of(cand_fn)),
        callees: join(
            callees_of(baseline, base_fn.map(|f| &f.key)),
            callees_of(candidate, cand_fn.map(|f| &f.key)),
        ),
    }
}
