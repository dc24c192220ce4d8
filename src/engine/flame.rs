//! Call trees for flame graphs: one profile's, or the union of a baseline's and a
//! candidate's (the differential flame graph).
//!
//! Where the file holds stacks (the sampled formats), the tree is exact: every stack is a
//! path from the root, weighted by its samples. A pstats dump holds only caller→callee edges
//! with per-edge numbers, so its tree is an estimate: expanding from the roots (functions no
//! one called), a function's time on one path is shared among its callees by each edge's
//! cumulative time, scaled by the share of the function's time that this path holds. A node
//! is *exact* when its parent's whole time is on this path (the path is the only way there);
//! otherwise it is estimated, and the views say so (the caveat tuna states). Recursion is
//! cut: a function already on the path is not expanded again (its time stays in the caller).
//!
//! Bounded: nodes under `min_fraction` of the total fold into one "other" child of their
//! parent, depth stops at `max_depth`, and at most `max_nodes` are built (breadth first,
//! so a cut loses the deepest detail, not whole subtrees); the tree says when it was cut.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::compare::{Metric, Options, Status, match_profiles};
use super::profile::{CallerStats, FunctionKey, Profile};

/// The frame of the root node ("all").
pub const ROOT: u32 = u32::MAX;
/// The frame of a node that holds its siblings too small to draw.
pub const OTHER: u32 = u32::MAX - 1;

/// How far a tree is built.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Nodes below this share of the larger total fold into "other".
    pub min_fraction: f64,
    pub max_depth: usize,
    pub max_nodes: usize,
    /// The cap for trees estimated from pstats edges, whose size the file does not bound:
    /// a few hundred bytes of edges in a chain of diamonds have 2^n paths. (A tree from
    /// stacks has at most as many nodes as the file has frames.)
    pub max_estimated_nodes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            min_fraction: 1e-4,
            max_depth: 256,
            max_nodes: 100_000,
            max_estimated_nodes: 100_000,
        }
    }
}

impl Limits {
    /// For folded output: every path kept that the node caps allow. Real pstats dumps stay
    /// well under the estimate's cap (5,635 functions: ~100,000 nodes).
    pub fn exhaustive() -> Limits {
        Limits {
            min_fraction: 0.0,
            max_depth: 1024,
            max_nodes: 2_000_000,
            max_estimated_nodes: 300_000,
        }
    }
}

/// One node: a frame on one path from the root, with its time on each side.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FlameNode {
    /// Index into [`FlameTree::frames`], or [`ROOT`] / [`OTHER`].
    pub frame: u32,
    /// The parent's index; the root's is its own (0).
    pub parent: u32,
    pub depth: u32,
    /// Time on this path (the frame and everything below it), per side.
    pub value: [f64; 2],
    /// Time in the frame itself on this path (value less the children's), per side.
    pub self_value: [f64; 2],
    /// Whether the numbers are exact (stacks, or a path that is the only way here).
    pub exact: bool,
    /// Children, largest first.
    pub children: Vec<u32>,
}

/// What a tree's numbers are.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Unit {
    Seconds,
    /// Sampled files that do not say their interval.
    Samples,
}

/// A call tree, of one profile (`sides == 1`; side 1 unused) or a union of two.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FlameTree {
    pub frames: Vec<FunctionKey>,
    /// Pre-order; `nodes[0]` is the root.
    pub nodes: Vec<FlameNode>,
    pub sides: usize,
    pub unit: Unit,
    /// Seconds (or samples) a sample stands for, per side, when sampled: folded output
    /// gives samples again.
    pub per_sample: [Option<f64>; 2],
    /// Every node exact.
    pub exact: bool,
    /// The node or depth cap was reached: some detail is missing.
    pub truncated: bool,
}

/// One side's tree before the union: frames are canonical ids (see [`tree_of_two`]).
struct Raw {
    frame: Vec<u32>,
    value: Vec<f64>,
    exact: Vec<bool>,
    children: Vec<Vec<u32>>,
    parent: Vec<u32>,
    truncated: bool,
}

impl Raw {
    fn new(total: f64) -> Raw {
        Raw {
            frame: vec![ROOT],
            value: vec![total],
            exact: vec![true],
            children: vec![Vec::new()],
            parent: vec![0],
            truncated: false,
        }
    }

    fn add(&mut self, parent: u32, frame: u32, value: f64, exact: bool) -> u32 {
        let id = self.frame.len() as u32;
        self.frame.push(frame);
        self.value.push(value);
        self.exact.push(exact);
        self.children.push(Vec::new());
        self.parent.push(parent);
        self.children[parent as usize].push(id);
        id
    }

    fn len(&self) -> usize {
        self.frame.len()
    }
}

/// A profile's tree over canonical frame ids (`canon[i]` for the profile's function `i`).
fn raw_tree(p: &Profile, canon: &[u32], limits: &Limits) -> (Raw, Unit, Option<f64>) {
    match p.stacks() {
        Some(stacks) => {
            let interval = p.sampling().and_then(|s| s.interval);
            let stacks = stacks.by_function();
            let ids: Vec<Option<u32>> = stacks
                .frames
                .iter()
                .map(|k| p.position(k).map(|i| canon[i]))
                .collect();
            let scale = interval.unwrap_or(1.0);
            let total = stacks.samples() as f64 * scale;
            let mut raw = Raw::new(total);
            let mut child: HashMap<(u32, u32), u32> = HashMap::new();
            for (stack, w) in stacks.iter() {
                let w = w as f64 * scale;
                let mut at = 0u32;
                for (depth, &f) in stack.iter().enumerate() {
                    let Some(frame) = ids[f as usize] else {
                        continue;
                    };
                    if depth >= limits.max_depth || raw.len() >= limits.max_nodes {
                        raw.truncated = true;
                        break;
                    }
                    at = match child.get(&(at, frame)) {
                        Some(&c) => c,
                        None => {
                            let c = raw.add(at, frame, 0.0, true);
                            child.insert((at, frame), c);
                            c
                        }
                    };
                    raw.value[at as usize] += w;
                }
            }
            let unit = if interval.is_some() {
                Unit::Seconds
            } else {
                Unit::Samples
            };
            (raw, unit, Some(scale))
        }
        None => (
            estimated_tree(p, canon, limits),
            match p.sampling() {
                Some(s) if s.interval.is_none() => Unit::Samples,
                _ => Unit::Seconds,
            },
            p.sampling().map(|s| s.interval.unwrap_or(1.0)),
        ),
    }
}

/// The pstats estimate (see the module's comment), breadth first.
fn estimated_tree(p: &Profile, canon: &[u32], limits: &Limits) -> Raw {
    let fns = p.functions();
    let interval = p.sampling().map(|s| s.interval.unwrap_or(1.0));
    // callees[f] = (callee, that edge's cumulative time).
    let mut callees: Vec<Vec<(usize, f64)>> = vec![Vec::new(); fns.len()];
    let mut has_caller = vec![false; fns.len()];
    for (g, f) in fns.iter().enumerate() {
        for (k, s) in &f.callers {
            let Some(c) = p.position(k) else { continue };
            if c == g {
                // A function calling itself: its time is counted once already.
                continue;
            }
            has_caller[g] = true;
            let ct = match *s {
                CallerStats::Full { ct, .. } => ct,
                // Sampled pstats: samples with this caller → callee pair on the stack.
                CallerStats::Count(n) => match interval {
                    Some(i) => n as f64 * i,
                    // `profile` module files: counts only; share the callee's time by calls.
                    None if f.nc > 0 => f.ct * n as f64 / f.nc as f64,
                    None => 0.0,
                },
            };
            if ct > 0.0 && ct.is_finite() {
                callees[c].push((g, ct));
            }
        }
    }
    // Roots: functions no one called, then (the top of a recursive program, such as
    // `exec` running a module that imports through `exec`) the function with the most time
    // among those not reachable yet, until every function with time is reachable.
    let mut roots: Vec<usize> = (0..fns.len())
        .filter(|&i| !has_caller[i] && fns[i].ct > 0.0)
        .collect();
    let mut reached = vec![false; fns.len()];
    let reach = |from: usize, reached: &mut Vec<bool>| {
        let mut todo = vec![from];
        reached[from] = true;
        while let Some(f) = todo.pop() {
            for &(g, _) in &callees[f] {
                if !reached[g] {
                    reached[g] = true;
                    todo.push(g);
                }
            }
        }
    };
    for &r in &roots {
        reach(r, &mut reached);
    }
    let mut by_time: Vec<usize> = (0..fns.len()).filter(|&i| fns[i].ct > 0.0).collect();
    by_time.sort_by(|&a, &b| fns[b].ct.total_cmp(&fns[a].ct).then(a.cmp(&b)));
    for f in by_time {
        if !reached[f] {
            roots.push(f);
            reach(f, &mut reached);
        }
    }
    roots.sort_by(|&a, &b| fns[b].ct.total_cmp(&fns[a].ct).then(a.cmp(&b)));
    let total: f64 = roots.iter().map(|&r| fns[r].ct).sum();
    let mut raw = Raw::new(total);
    let floor = total * limits.min_fraction;
    // The profile's function behind each raw node (root: none).
    let mut func: Vec<usize> = vec![usize::MAX];
    let mut queue: std::collections::VecDeque<(u32, usize)> = Default::default();
    for &r in &roots {
        let id = raw.add(0, canon[r], fns[r].ct, true);
        func.push(r);
        queue.push_back((id, 1));
    }
    while let Some((node, depth)) = queue.pop_front() {
        let f = func[node as usize];
        let (value, exact) = (raw.value[node as usize], raw.exact[node as usize]);
        let ct = fns[f].ct;
        if ct <= 0.0 || callees[f].is_empty() {
            continue;
        }
        if depth >= limits.max_depth {
            raw.truncated = true;
            continue;
        }
        let share = (value / ct).min(1.0);
        // The whole of f's time is on this path: its edges are this path's exactly.
        let whole = exact && (value - ct).abs() <= 1e-9 * ct.max(1e-300);
        let on_path = |g: usize| {
            let mut at = node;
            loop {
                if func[at as usize] == g {
                    return true;
                }
                if at == 0 {
                    return false;
                }
                at = raw.parent[at as usize];
            }
        };
        let mut kids: Vec<(usize, f64)> = callees[f]
            .iter()
            .filter(|(g, _)| !on_path(*g))
            .map(|&(g, edge)| (g, edge * share))
            .collect();
        let sum: f64 = kids.iter().map(|k| k.1).sum();
        let fit = if sum > value { value / sum } else { 1.0 };
        kids.sort_by(|a, b| b.1.total_cmp(&a.1));
        let mut other = 0.0;
        for (g, v) in kids {
            let v = v * fit;
            if v <= 0.0 {
                continue;
            }
            if v < floor {
                other += v;
                continue;
            }
            if raw.len() >= limits.max_nodes.min(limits.max_estimated_nodes) {
                raw.truncated = true;
                break;
            }
            let id = raw.add(node, canon[g], v, whole && fit == 1.0);
            func.push(g);
            queue.push_back((id, depth + 1));
        }
        if other > 0.0 {
            raw.add(node, OTHER, other, false);
            func.push(usize::MAX);
        }
    }
    raw
}

/// One profile's tree.
pub fn tree(p: &Profile, limits: &Limits) -> FlameTree {
    let canon: Vec<u32> = (0..p.len() as u32).collect();
    let (raw, unit, per_sample) = raw_tree(p, &canon, limits);
    let frames = p.functions().iter().map(|f| f.key.clone()).collect();
    union(frames, [Some(&raw), None], unit, [per_sample, None], limits)
}

/// The union tree of a baseline and a candidate: the candidate's functions are matched to
/// the baseline's as the comparison matches them, so a frame that moved a line or lives
/// under another checkout root is one node with both values. With `options.normalize`,
/// the candidate is scaled to the baseline's total.
pub fn tree_of_two(a: &Profile, b: &Profile, options: &Options, limits: &Limits) -> FlameTree {
    let canon_a: Vec<u32> = (0..a.len() as u32).collect();
    let mut frames: Vec<FunctionKey> = a.functions().iter().map(|f| f.key.clone()).collect();
    let mut canon_b: Vec<u32> = vec![0; b.len()];
    for (i, j, _) in match_profiles(a, b).pairs {
        if let Some(j) = j {
            canon_b[j] = match i {
                Some(i) => i as u32,
                None => {
                    frames.push(b.functions()[j].key.clone());
                    (frames.len() - 1) as u32
                }
            };
        }
    }
    let (ra, ua, sa) = raw_tree(a, &canon_a, limits);
    let (mut rb, ub, sb) = raw_tree(b, &canon_b, limits);
    if options.normalize && rb.value[0] > 0.0 {
        let k = ra.value[0] / rb.value[0];
        rb.value.iter_mut().for_each(|v| *v *= k);
    }
    let unit = if ua == Unit::Samples || ub == Unit::Samples {
        Unit::Samples
    } else {
        Unit::Seconds
    };
    union(frames, [Some(&ra), Some(&rb)], unit, [sa, sb], limits)
}

/// Merges one or two raw trees into the output tree, folding small nodes into "other".
fn union(
    frames: Vec<FunctionKey>,
    raws: [Option<&Raw>; 2],
    unit: Unit,
    per_sample: [Option<f64>; 2],
    limits: &Limits,
) -> FlameTree {
    let sides = raws.iter().filter(|r| r.is_some()).count();
    let total = raws
        .iter()
        .flatten()
        .map(|r| r.value[0])
        .fold(0.0f64, f64::max);
    let floor = total * limits.min_fraction;
    let mut out = FlameTree {
        frames,
        nodes: Vec::new(),
        sides,
        unit,
        per_sample,
        exact: true,
        truncated: raws.iter().flatten().any(|r| r.truncated),
    };
    // (output parent, raw node per side); pre-order by an explicit stack.
    struct Work {
        parent: u32,
        depth: u32,
        frame: u32,
        at: [Option<u32>; 2],
        // An "other" node's value, per side, already summed.
        other: Option<[f64; 2]>,
    }
    let mut stack = vec![Work {
        parent: 0,
        depth: 0,
        frame: ROOT,
        at: [Some(0), raws[1].map(|_| 0)],
        other: None,
    }];
    while let Some(w) = stack.pop() {
        let id = out.nodes.len() as u32;
        let mut value = [0.0; 2];
        let mut exact = true;
        if let Some(v) = w.other {
            value = v;
            exact = false;
        } else {
            for s in 0..2 {
                if let (Some(r), Some(n)) = (raws[s], w.at[s]) {
                    value[s] = r.value[n as usize];
                    exact &= r.exact[n as usize];
                }
            }
        }
        out.exact &= exact;
        out.nodes.push(FlameNode {
            frame: w.frame,
            parent: w.parent,
            depth: w.depth,
            value,
            self_value: value,
            exact,
            children: Vec::new(),
        });
        if id != 0 {
            out.nodes[w.parent as usize].children.push(id);
        }
        if w.other.is_some() {
            continue;
        }
        // Children by frame, both sides.
        let mut kids: Vec<(u32, [Option<u32>; 2], [f64; 2])> = Vec::new();
        let mut index: HashMap<u32, usize> = HashMap::new();
        for (s, (raw, at)) in raws.iter().zip(w.at).enumerate() {
            let (Some(r), Some(n)) = (raw, at) else {
                continue;
            };
            for &c in &r.children[n as usize] {
                let f = r.frame[c as usize];
                let slot = *index.entry(f).or_insert_with(|| {
                    kids.push((f, [None, None], [0.0; 2]));
                    kids.len() - 1
                });
                kids[slot].1[s] = Some(c);
                kids[slot].2[s] += r.value[c as usize];
            }
        }
        kids.sort_by(|x, y| {
            let m = |k: &[f64; 2]| k[0].max(k[1]);
            m(&y.2).total_cmp(&m(&x.2)).then(x.0.cmp(&y.0))
        });
        let mut other = [0.0; 2];
        let mut push: Vec<Work> = Vec::new();
        for (frame, at, v) in kids {
            if frame == OTHER || v[0].max(v[1]) < floor || v[0].max(v[1]) <= 0.0 {
                other[0] += v[0];
                other[1] += v[1];
                continue;
            }
            push.push(Work {
                parent: id,
                depth: w.depth + 1,
                frame,
                at,
                other: None,
            });
        }
        if other[0].max(other[1]) > 0.0 {
            push.push(Work {
                parent: id,
                depth: w.depth + 1,
                frame: OTHER,
                at: [None, None],
                other: Some(other),
            });
        }
        // Reversed so the largest child is visited (and numbered) first.
        stack.extend(push.into_iter().rev());
    }
    // Self values, once the children are known; children largest first as pushed.
    for i in 0..out.nodes.len() {
        let mut own = out.nodes[i].value;
        for &c in &out.nodes[i].children {
            let v = out.nodes[c as usize].value;
            own[0] -= v[0];
            own[1] -= v[1];
        }
        out.nodes[i].self_value = [own[0].max(0.0), own[1].max(0.0)];
    }
    out
}

/// How a node changed, for colouring.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Change {
    /// Only in the candidate.
    New,
    /// Only in the baseline.
    Removed,
    /// Slower or faster past the thresholds; `intensity` in (0, 1] relative to the largest
    /// change in the tree.
    Changed { status: Status, intensity: f64 },
    /// Inside the thresholds.
    Unchanged,
}

/// How to judge a node's change.
#[derive(Clone, Copy, Debug)]
pub struct ChangeBy {
    pub options: Options,
    /// Colour by the change of each side's share of its total, not of absolute time.
    pub share: bool,
}

impl FlameTree {
    pub fn root(&self) -> &FlameNode {
        &self.nodes[0]
    }

    /// Divides each side's numbers by that side's run count: the tree of merged runs
    /// (their sum) becomes the mean run, so sides with different run counts compare.
    pub fn per_run(&mut self, runs: [usize; 2]) {
        let div = runs.map(|n| n.max(1) as f64);
        for n in &mut self.nodes {
            for (side, d) in div.iter().enumerate() {
                n.value[side] /= d;
                n.self_value[side] /= d;
            }
        }
        for (per, d) in self.per_sample.iter_mut().zip(div) {
            if let Some(per) = per {
                *per /= d;
            }
        }
    }

    /// Every side's total.
    pub fn totals(&self) -> [f64; 2] {
        self.nodes.first().map_or([0.0; 2], |r| r.value)
    }

    /// The frame's display: `name (file:line)`, a builtin's name, "all", "other".
    pub fn label(&self, node: &FlameNode) -> String {
        match node.frame {
            ROOT => "all".into(),
            OTHER => "other".into(),
            f => {
                let k = &self.frames[f as usize];
                if &*k.file == "~" {
                    String::from(&*k.name)
                } else {
                    format!("{} ({}:{})", k.name, k.file, k.line)
                }
            }
        }
    }

    /// The node's metric per side: cumulative (the node's value) or own time.
    fn metric(&self, node: &FlameNode, metric: Metric) -> [f64; 2] {
        match metric {
            Metric::Cumtime => node.value,
            Metric::Tottime => node.self_value,
        }
    }

    /// Each node's change (two-sided trees; one-sided trees are all `Unchanged`).
    pub fn changes(&self, by: &ChangeBy) -> Vec<Change> {
        if self.sides < 2 {
            return vec![Change::Unchanged; self.nodes.len()];
        }
        let [ta, tb] = self.totals();
        let delta = |n: &FlameNode| {
            let [a, b] = self.metric(n, by.options.metric);
            if by.share {
                let share = |v: f64, t: f64| if t > 0.0 { v / t } else { 0.0 };
                share(b, tb) - share(a, ta)
            } else {
                b - a
            }
        };
        let largest = self
            .nodes
            .iter()
            .map(|n| delta(n).abs())
            .fold(0.0f64, f64::max);
        self.nodes
            .iter()
            .map(|n| {
                let [a, b] = self.metric(n, by.options.metric);
                let [va, vb] = n.value;
                if n.frame != OTHER && va <= 0.0 && vb > 0.0 {
                    return Change::New;
                }
                if n.frame != OTHER && vb <= 0.0 && va > 0.0 {
                    return Change::Removed;
                }
                let status = if by.share {
                    // Thresholds apply to the share as a percentage of the baseline's total.
                    let scaled = |v: f64, t: f64| if t > 0.0 { v / t * ta } else { 0.0 };
                    by.options.status(scaled(a, ta), scaled(b, tb))
                } else {
                    by.options.status(a, b)
                };
                match status {
                    Status::Slower | Status::Faster if largest > 0.0 => Change::Changed {
                        status,
                        intensity: (delta(n).abs() / largest).clamp(0.0, 1.0),
                    },
                    _ => Change::Unchanged,
                }
            })
            .collect()
    }

    /// The frames whose label passes `hit`, how many, and the share of the root's width
    /// (`size`, from [`super::flame_svg::sizes`]) they hold: a match inside another match
    /// counts once, so the share is of time, not of frames.
    pub fn search(&self, hit: impl Fn(&str) -> bool, size: &[f64]) -> (Vec<bool>, usize, f64) {
        let mut hits = vec![false; self.nodes.len()];
        let mut covered = vec![false; self.nodes.len()];
        let (mut count, mut held) = (0, 0.0);
        for (i, n) in self.nodes.iter().enumerate() {
            if i > 0 {
                let p = n.parent as usize;
                covered[i] = covered[p] || hits[p];
            }
            if n.frame == ROOT || !hit(&self.label(n)) {
                continue;
            }
            hits[i] = true;
            count += 1;
            if !covered[i] {
                held += size[i];
            }
        }
        let total = size.first().copied().unwrap_or(0.0);
        (hits, count, if total > 0.0 { held / total } else { 0.0 })
    }

    /// The path from the root to `node`, root first.
    pub fn ancestry(&self, node: u32) -> Vec<u32> {
        let mut out = vec![node];
        let mut at = node;
        while at != 0 && (at as usize) < self.nodes.len() {
            at = self.nodes[at as usize].parent;
            out.push(at);
        }
        out.reverse();
        out
    }

    /// Folded stacks (`frame;frame;… N`), one line per node with own time: integer
    /// microseconds, or samples for sampled profiles; two-sided trees give both counts
    /// (`… A B`, what flamegraph.pl's differential mode reads).
    pub fn folded(&self) -> String {
        let mut out = String::new();
        let mut path: Vec<String> = Vec::new();
        let count = |v: f64, s: usize| -> u64 {
            match self.per_sample[s] {
                Some(per) if per > 0.0 => (v / per).round() as u64,
                _ => (v * 1e6).round() as u64,
            }
        };
        // Pre-order: a node's depth says how much of the path to keep.
        for n in &self.nodes[1..] {
            path.truncate(n.depth as usize - 1);
            path.push(self.label(n).replace([';', '\n', '\r'], " "));
            let own = n.self_value;
            let (a, b) = (count(own[0], 0), count(own[1], 1));
            if a == 0 && (self.sides < 2 || b == 0) {
                continue;
            }
            out.push_str(&path.join(";"));
            if self.sides < 2 {
                out.push_str(&format!(" {a}\n"));
            } else {
                out.push_str(&format!(" {a} {b}\n"));
            }
        }
        out
    }
}

/// A function's "sandwich": its callers above it and its callees below it, every occurrence
/// of it in the tree merged (an occurrence inside another one, under recursion, is part of
/// the outer one's callees, so no time counts twice).
#[derive(Clone, Debug, PartialEq)]
pub struct Sandwich {
    /// Rooted at the function; a child is a caller, its children that caller's callers,
    /// each with the function's time reached through that chain.
    pub callers: FlameTree,
    /// Rooted at the function; the merged subtrees of its occurrences.
    pub callees: FlameTree,
    /// How many (outermost) occurrences were merged.
    pub occurrences: usize,
}

/// A tree under construction whose nodes carry both sides' values (see [`FlameTree::sandwich`]).
struct Merge {
    raws: [Raw; 2],
    child: HashMap<(u32, u32), u32>,
}

impl Merge {
    fn new() -> Merge {
        Merge {
            raws: [Raw::new(0.0), Raw::new(0.0)],
            child: HashMap::new(),
        }
    }

    /// The child of `at` for `frame` (made on first use), with `n`'s values added.
    fn add(&mut self, at: u32, frame: u32, n: &FlameNode) -> u32 {
        let c = match self.child.get(&(at, frame)) {
            Some(&c) => c,
            None => {
                let c = self.raws[0].add(at, frame, 0.0, true);
                self.raws[1].add(at, frame, 0.0, true);
                self.child.insert((at, frame), c);
                c
            }
        };
        self.credit(c, n);
        c
    }

    fn credit(&mut self, at: u32, n: &FlameNode) {
        for (s, raw) in self.raws.iter_mut().enumerate() {
            raw.value[at as usize] += n.value[s];
            raw.exact[at as usize] &= n.exact;
        }
    }

    fn finish(self, like: &FlameTree, frame: u32) -> FlameTree {
        let limits = Limits {
            min_fraction: 0.0,
            ..Limits::exhaustive()
        };
        let raws = [
            Some(&self.raws[0]),
            (like.sides == 2).then_some(&self.raws[1]),
        ];
        let mut t = union(
            like.frames.clone(),
            raws,
            like.unit,
            like.per_sample,
            &limits,
        );
        t.truncated = like.truncated;
        if let Some(root) = t.nodes.first_mut() {
            root.frame = frame;
        }
        t
    }
}

impl FlameTree {
    /// The sandwich of `frame` (an index into `frames`), or `None` when no node has it.
    pub fn sandwich(&self, frame: u32) -> Option<Sandwich> {
        if frame >= OTHER {
            return None;
        }
        let n = self.nodes.len();
        // inside[i]: node i is an occurrence or below one; out[i]: its node in `callees`.
        let mut inside = vec![false; n];
        let mut out = vec![0u32; n];
        let mut occurrences = Vec::new();
        let mut callees = Merge::new();
        for i in 1..n {
            let node = &self.nodes[i];
            let p = node.parent as usize;
            if inside[p] {
                inside[i] = true;
                out[i] = callees.add(out[p], node.frame, node);
            } else if node.frame == frame {
                inside[i] = true;
                out[i] = 0;
                callees.credit(0, node);
                occurrences.push(i);
            }
        }
        if occurrences.is_empty() {
            return None;
        }
        let mut callers = Merge::new();
        for &o in &occurrences {
            let node = &self.nodes[o];
            callers.credit(0, node);
            let (mut at, mut up) = (0u32, node.parent as usize);
            while up != 0 {
                at = callers.add(at, self.nodes[up].frame, node);
                up = self.nodes[up].parent as usize;
            }
        }
        Some(Sandwich {
            callers: callers.finish(self, frame),
            callees: callees.finish(self, frame),
            occurrences: occurrences.len(),
        })
    }

    /// The frame index of a function, matched by key.
    pub fn frame_of(&self, name: &str, file: &str, line: i64) -> Option<u32> {
        self.frames
            .iter()
            .position(|k| *k.name == *name && *k.file == *file && k.line == line)
            .map(|i| i as u32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Function;

    fn key(name: &str) -> FunctionKey {
        FunctionKey::new("app.py", name.len() as i64, name)
    }

    /// A pstats function: cumulative `ct`, own `tt`, callers `(name, edge ct)`.
    fn f(name: &str, tt: f64, ct: f64, callers: &[(&str, f64)]) -> Function {
        Function {
            key: key(name),
            cc: 1,
            nc: 1,
            tt,
            ct,
            callers: callers
                .iter()
                .map(|&(c, ct)| {
                    (
                        key(c),
                        CallerStats::Full {
                            nc: 1,
                            cc: 1,
                            tt: 0.0,
                            ct,
                        },
                    )
                })
                .collect(),
        }
    }

    /// Every node as `path value exact`, pre-order, for exact comparisons.
    fn paths(t: &FlameTree, side: usize) -> Vec<(String, f64, bool)> {
        let mut out = Vec::new();
        let mut path: Vec<String> = Vec::new();
        for n in &t.nodes[1..] {
            path.truncate(n.depth as usize - 1);
            let k = match n.frame {
                OTHER => "other".to_string(),
                f => String::from(&*t.frames[f as usize].name),
            };
            path.push(k);
            out.push((path.join(";"), n.value[side], n.exact));
        }
        out
    }

    fn close(a: &[(String, f64, bool)], b: &[(&str, f64, bool)]) {
        assert_eq!(a.len(), b.len(), "{a:?}");
        for (x, y) in a.iter().zip(b) {
            assert!(
                x.0 == y.0 && (x.1 - y.1).abs() < 1e-9 && x.2 == y.2,
                "{x:?} vs {y:?} in {a:?}"
            );
        }
    }

    #[test]
    fn a_sandwich_merges_every_occurrence_once() {
        // f under a, under b (with a recursive f below it), directly under main, and as a
        // root of its own.
        let p = Profile::parse(
            b"main;a;f;x 2\nmain;b;f;y 3\nmain;b;f;f;x 1\nf;z 1\nmain;f 5\nmain;c 7\n",
        )
        .unwrap();
        let t = tree(&p, &Limits::default());
        let named = |n: &str| t.frames.iter().position(|k| &*k.name == n).unwrap() as u32;
        let k = &t.frames[named("f") as usize];
        assert_eq!(t.frame_of(&k.name, &k.file, k.line), Some(named("f")));
        let s = t.sandwich(named("f")).unwrap();
        assert_eq!(s.occurrences, 4);
        for half in [&s.callers, &s.callees] {
            assert_eq!(half.frames[half.root().frame as usize].name.as_ref(), "f");
            assert_eq!(half.totals()[0], 12.0);
        }
        close(
            &paths(&s.callees, 0),
            &[
                ("y", 3.0, true),
                ("x", 2.0, true),
                ("f", 1.0, true),
                ("f;x", 1.0, true),
                ("z", 1.0, true),
            ],
        );
        assert_eq!(s.callees.root().self_value[0], 5.0);
        close(
            &paths(&s.callers, 0),
            &[
                ("main", 5.0, true),
                ("b", 4.0, true),
                ("b;main", 4.0, true),
                ("a", 2.0, true),
                ("a;main", 2.0, true),
            ],
        );
        // The top-level occurrence has no caller: it is the root's own time.
        assert_eq!(s.callers.root().self_value[0], 1.0);
        assert!(t.sandwich(OTHER).is_none());
    }

    #[test]
    fn stacks_give_the_exact_tree() {
        let p = Profile::parse(b"a;b 3\na;c 1\nd 2\na;b 1\n").unwrap();
        let t = tree(&p, &Limits::default());
        assert_eq!(t.unit, Unit::Samples);
        assert!(t.exact);
        assert_eq!(t.totals()[0], 7.0);
        close(
            &paths(&t, 0),
            &[
                ("a", 5.0, true),
                ("a;b", 4.0, true),
                ("a;c", 1.0, true),
                ("d", 2.0, true),
            ],
        );
        // Folded again: samples, one line per path with own time.
        assert_eq!(t.folded(), "a;b 4\na;c 1\nd 2\n");
    }

    #[test]
    fn pstats_edges_share_time_and_say_what_is_estimated() {
        // main → f (6) and g (4); f → h (2), g → h (2); h → x (4). h's subtree is shared
        // between its two callers by their edges' time: each path gets half of x.
        let p = Profile::from_functions([
            f("main", 0.0, 10.0, &[]),
            f("f", 4.0, 6.0, &[("main", 6.0)]),
            f("g", 2.0, 4.0, &[("main", 4.0)]),
            f("h", 0.0, 4.0, &[("f", 2.0), ("g", 2.0)]),
            f("x", 4.0, 4.0, &[("h", 4.0)]),
        ]);
        let t = tree(&p, &Limits::default());
        assert!(!t.exact);
        close(
            &paths(&t, 0),
            &[
                ("main", 10.0, true),
                ("main;f", 6.0, true),
                ("main;f;h", 2.0, true),
                ("main;f;h;x", 2.0, false),
                ("main;g", 4.0, true),
                ("main;g;h", 2.0, true),
                ("main;g;h;x", 2.0, false),
            ],
        );
        let f_node = &t.nodes[2];
        assert_eq!(f_node.self_value[0], 4.0);
    }

    #[test]
    fn recursion_is_cut_and_a_recursive_top_is_a_root() {
        // exec → mod → imp → exec again (as importing runs modules): exec has a caller,
        // yet it is the top.
        let p = Profile::from_functions([
            f("exec", 0.0, 5.0, &[("imp", 3.0)]),
            f("mod", 1.0, 5.0, &[("exec", 5.0)]),
            f("imp", 1.0, 4.0, &[("mod", 4.0)]),
            f("tiny", 0.5, 0.5, &[]),
        ]);
        let t = tree(&p, &Limits::default());
        close(
            &paths(&t, 0),
            &[
                ("exec", 5.0, true),
                ("exec;mod", 5.0, true),
                ("exec;mod;imp", 4.0, true),
                ("tiny", 0.5, true),
            ],
        );
    }

    #[test]
    fn tiny_nodes_fold_into_other() {
        let p = Profile::parse(b"a;b 1000\na;c 1\na;d 1\n").unwrap();
        let t = tree(
            &p,
            &Limits {
                min_fraction: 0.01,
                ..Limits::default()
            },
        );
        close(
            &paths(&t, 0),
            &[
                ("a", 1002.0, true),
                ("a;b", 1000.0, true),
                ("a;other", 2.0, false),
            ],
        );
    }

    #[test]
    fn the_union_holds_both_sides_and_marks_new_and_removed() {
        let a = Profile::parse(b"main;work 10\nmain;old 5\n").unwrap();
        let b = Profile::parse(b"main;work 30\nmain;fresh 5\n").unwrap();
        let t = tree_of_two(&a, &b, &Options::default(), &Limits::default());
        assert_eq!(t.sides, 2);
        assert_eq!(t.totals(), [15.0, 35.0]);
        let by = ChangeBy {
            options: Options {
                metric: Metric::Cumtime,
                min_ms: 0.0,
                ..Options::default()
            },
            share: false,
        };
        let changes = t.changes(&by);
        let find = |name: &str| {
            t.nodes
                .iter()
                .position(|n| {
                    n.frame != ROOT && n.frame != OTHER && &*t.frames[n.frame as usize].name == name
                })
                .unwrap()
        };
        let work = find("work");
        assert_eq!(t.nodes[work].value, [10.0, 30.0]);
        assert!(matches!(
            changes[work],
            Change::Changed {
                status: Status::Slower,
                ..
            }
        ));
        assert_eq!(changes[find("fresh")], Change::New);
        assert_eq!(changes[find("old")], Change::Removed);
        assert_eq!(
            t.folded(),
            "main;work 10 30\nmain;old 5 0\nmain;fresh 0 5\n"
        );
        // By share: work went from 2/3 to 6/7 of the time: slower too; normalised, the
        // candidate's total is the baseline's.
        let n = tree_of_two(
            &a,
            &b,
            &Options {
                normalize: true,
                ..Options::default()
            },
            &Limits::default(),
        );
        assert!((n.totals()[1] - 15.0).abs() < 1e-9);
    }

    #[test]
    fn search_counts_frames_and_time_once() {
        let p = Profile::parse(b"a;b;b2 6\na;c 2\nd;b 2\n").unwrap();
        let t = tree(&p, &Limits::default());
        let size = crate::engine::flame_svg::sizes(&t, crate::engine::flame_svg::SizeBy::Larger);
        // "b" matches b, b2 (inside b: counted once for time) and d's b.
        let (hits, count, share) = t.search(|l| l.starts_with('b'), &size);
        assert_eq!(count, 3);
        assert!((share - 0.8).abs() < 1e-12, "{share}");
        assert_eq!(hits.iter().filter(|h| **h).count(), 3);
        let b2 = t.nodes.iter().position(|n| n.depth == 3).unwrap() as u32;
        assert_eq!(t.ancestry(b2).len(), 4);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
        #[test]
        fn children_fit_in_their_parent_and_the_union_keeps_both_totals(
            a in proptest::collection::vec((proptest::collection::vec(0u8..5, 1..6), 1u64..50), 1..30),
            b in proptest::collection::vec((proptest::collection::vec(0u8..5, 1..6), 1u64..50), 1..30),
        ) {
            let text = |stacks: &[(Vec<u8>, u64)]| {
                stacks.iter().map(|(s, w)| {
                    let names: Vec<String> = s.iter().map(|f| format!("f{f}")).collect();
                    format!("{} {w}\n", names.join(";"))
                }).collect::<String>()
            };
            let (pa, pb) = (Profile::parse(text(&a).as_bytes()).unwrap(), Profile::parse(text(&b).as_bytes()).unwrap());
            let t = tree_of_two(&pa, &pb, &Options::default(), &Limits { min_fraction: 0.0, ..Limits::default() });
            let sum = |v: &[(Vec<u8>, u64)]| v.iter().map(|x| x.1).sum::<u64>() as f64;
            proptest::prop_assert_eq!(t.totals(), [sum(&a), sum(&b)]);
            for n in &t.nodes {
                for s in 0..2 {
                    let kids: f64 = n.children.iter().map(|&c| t.nodes[c as usize].value[s]).sum();
                    proptest::prop_assert!(kids <= n.value[s] + 1e-9);
                    proptest::prop_assert!(n.self_value[s] >= 0.0);
                }
            }
            // Exact trees: the folded output gives every sample back.
            let folded: u64 = t.folded().lines().map(|l| {
                let mut it = l.rsplitn(3, ' ');
                let b: u64 = it.next().unwrap().parse().unwrap();
                let a: u64 = it.next().unwrap().parse().unwrap();
                a + b
            }).sum();
            proptest::prop_assert_eq!(folded as f64, sum(&a) + sum(&b));
            // A sandwich holds exactly the samples with its function on the stack, once.
            for (i, k) in t.frames.iter().enumerate() {
                let on_stack = |v: &[(Vec<u8>, u64)]| v.iter()
                    .filter(|(s, _)| s.iter().any(|f| *k.name == *format!("f{f}")))
                    .map(|x| x.1).sum::<u64>() as f64;
                let s = t.sandwich(i as u32).unwrap();
                for half in [&s.callers, &s.callees] {
                    proptest::prop_assert_eq!(half.totals(), [on_stack(&a), on_stack(&b)]);
                    for n in &half.nodes {
                        let kids: f64 = n.children.iter().map(|&c| half.nodes[c as usize].value[0]).sum();
                        proptest::prop_assert!(kids <= n.value[0] + 1e-9);
                    }
                }
            }
        }
    }
}
