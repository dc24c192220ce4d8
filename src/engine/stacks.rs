//! Weighted call stacks, as sampling profilers write them, and the folded-stack text
//! formats that carry them:
//!
//! - CPython 3.15's `python -m profiling.sampling --collapsed` (`CollapsedStackCollector.export`
//!   in `Lib/profiling/sampling/stack_collector.py`): `tid:N;file.py:func:line;... count`,
//!   root first, the file reduced to its base name; special frames (file `~`, line 0) are the
//!   bare function name.
//! - py-spy's `record -f raw`: `func (file:line);... count`, root first (`func (file)` with
//!   `--nolineno`; a root `thread (0x…)` or `process N:"…"` frame with `--threads` /
//!   `--subprocesses`); a line with no frames and just a count also occurs.
//! - Any other folded file (`a;b;c 12`, what flamegraph.pl and inferno read): bare names.
//!
//! A profile built from stacks follows `PstatsCollector` (`pstats_collector.py`), so a
//! collapsed file and a `--pstats` file of the same run give the same table: `cc` = samples
//! where the function was running (the leaf), `nc` = samples where it was on the stack
//! (once per stack), callers = samples per caller→callee pair, `tt`/`ct` = those × the
//! sampling interval.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use serde::de::{DeserializeSeed, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};

use super::profile::{CallerStats, Function, FunctionKey, Producer};
use super::trace::{Trace, spans_from_events};

/// How a sampled profile was taken.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Sampling {
    /// Seconds between samples, when the file says (pstats files: `tt / cc`). `None`: times
    /// are sample counts (one sample = one unit).
    pub interval: Option<f64>,
    /// Samples in the file (stacks' weights; for pstats files the leaf counts).
    pub samples: u64,
}

impl Sampling {
    /// `py-spy · 100 Hz`, `profiling.sampling · 10 kHz`, `py-spy · interval unknown`.
    pub fn label(&self, producer: Producer) -> String {
        match self.interval {
            Some(i) if i > 0.0 => format!("{producer} · {}", rate(1.0 / i)),
            _ => format!("{producer} · interval unknown"),
        }
    }
}

fn rate(hz: f64) -> String {
    if hz >= 1000.0 {
        format!("{} kHz", trim(hz / 1000.0))
    } else {
        format!("{} Hz", trim(hz))
    }
}

fn trim(x: f64) -> String {
    let s = format!("{x:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// Distinct frames and the weighted stacks over them (root first).
///
/// Stored flat (every stack's frame ids in one vector, where each ends in another) so that
/// a file of millions of one-frame samples costs 16 bytes a sample, not a vector each: the
/// memory bound of the resource-bounds issue holds for every sampled format. A stack equal
/// to the one pushed just before it adds its weight to that one (samplers repeat stacks).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Stacks {
    pub frames: Vec<FunctionKey>,
    ids: Vec<u32>,
    ends: Vec<u32>,
    weights: Vec<u64>,
}

impl Stacks {
    /// No stacks yet over `frames`.
    pub fn with_frames(frames: Vec<FunctionKey>) -> Stacks {
        Stacks {
            frames,
            ..Stacks::default()
        }
    }

    /// Appends a stack (frame ids, root first) with its weight.
    pub fn push(&mut self, stack: &[u32], weight: u64) {
        self.ids.extend_from_slice(stack);
        self.end_stack(weight);
    }

    /// Starts a stack whose frames come one by one ([`Stacks::push_frame`]) and closes it
    /// with [`Stacks::end_stack`]: what a streaming reader needs.
    fn push_frame(&mut self, frame: u32) {
        self.ids.push(frame);
    }

    fn end_stack(&mut self, weight: u64) {
        let start = self.ends.last().map_or(0, |&e| e as usize);
        if let Some(prev) = self.ends.len().checked_sub(1)
            && self.stack(prev) == &self.ids[start..]
        {
            self.ids.truncate(start);
            self.weights[prev] = self.weights[prev].saturating_add(weight);
            return;
        }
        self.ends.push(self.ids.len() as u32);
        self.weights.push(weight);
    }

    /// Appends every stack of `other` (over the same frames).
    fn append(&mut self, other: &Stacks) {
        for (s, w) in other.iter() {
            self.push(s, w);
        }
    }

    fn stack(&self, i: usize) -> &[u32] {
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        &self.ids[start..self.ends[i] as usize]
    }

    /// How many distinct runs of stacks are stored (adjacent equal stacks are one).
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Every stack, root first, with its weight.
    pub fn iter(&self) -> impl Iterator<Item = (&[u32], u64)> + '_ {
        (0..self.ends.len()).map(|i| (self.stack(i), self.weights[i]))
    }

    /// Appends the stacks as folded lines, every frame as py-spy writes it (`name
    /// (file:line)`, which [`parse_folded`] reads back to the same key; `;` and line
    /// breaks in names become spaces). Stops and says `false` once `out` would pass
    /// `max_bytes`.
    pub fn write_folded(&self, out: &mut String, max_bytes: usize) -> bool {
        let clean = |s: &str| s.replace([';', '\n', '\r'], " ");
        let labels: Vec<String> = self
            .frames
            .iter()
            .map(|k| format!("{} ({}:{})", clean(&k.name), clean(&k.file), k.line))
            .collect();
        for (stack, weight) in self.iter() {
            for (i, &f) in stack.iter().enumerate() {
                if i > 0 {
                    out.push(';');
                }
                out.push_str(&labels[f as usize]);
            }
            out.push(' ');
            out.push_str(&weight.to_string());
            out.push('\n');
            if out.len() > max_bytes {
                return false;
            }
        }
        true
    }

    /// The largest frame id used: readers check it against the frames they were given.
    fn max_frame(&self) -> Option<u32> {
        self.ids.iter().copied().max()
    }

    /// Bytes the stacks hold (for cache accounting).
    pub fn model_bytes(&self) -> usize {
        let frames: usize = self
            .frames
            .iter()
            .map(|k| k.file.len() + k.name.len() + 48)
            .sum();
        frames + self.ids.len() * 4 + self.ends.len() * 12
    }

    pub fn samples(&self) -> u64 {
        self.weights.iter().fold(0u64, |a, w| a.saturating_add(*w))
    }

    /// The same stacks with one frame per function: a sampler keys frames by the line
    /// running (`inner` at lines 7 and 8 are two keys), the function table wants functions.
    /// Frames with the same file and name become one, at the lowest line seen. Borrowed
    /// when every frame is a function already (no copy of a big file's stacks).
    pub fn by_function(&self) -> Cow<'_, Stacks> {
        let mut first: HashMap<(&str, &str), u32> = HashMap::new();
        let mut frames: Vec<FunctionKey> = Vec::new();
        let mut map = Vec::with_capacity(self.frames.len());
        for k in &self.frames {
            let id = *first.entry((&*k.file, &*k.name)).or_insert_with(|| {
                frames.push(k.clone());
                (frames.len() - 1) as u32
            });
            let f = &mut frames[id as usize];
            f.line = f.line.min(k.line);
            map.push(id);
        }
        if frames.len() == self.frames.len() && frames == self.frames {
            return Cow::Borrowed(self);
        }
        let mut out = Stacks::with_frames(frames);
        for (s, w) in self.iter() {
            for &f in s {
                out.push_frame(map[f as usize]);
            }
            out.end_stack(w);
        }
        out.shrink_to_fit();
        Cow::Owned(out)
    }

    /// Gives back the capacity the vectors grew past what they hold (done once a reader
    /// is finished: kept stacks then cost what they hold).
    fn shrink_to_fit(&mut self) {
        self.ids.shrink_to_fit();
        self.ends.shrink_to_fit();
        self.weights.shrink_to_fit();
    }

    /// Per-function statistics as `PstatsCollector.create_stats` computes them, functions in
    /// its order (first seen walking each stack from the leaf). `interval`: seconds per
    /// sample, or 1 when unknown.
    pub fn functions(&self, interval: f64) -> Vec<Function> {
        struct Acc {
            direct: u64,
            cumulative: u64,
            callers: Vec<(u32, u64)>,
        }
        let mut order: Vec<u32> = Vec::new();
        let mut acc: HashMap<u32, Acc> = HashMap::new();
        let mut seen: HashSet<u32> = HashSet::new();
        // (callee, caller) -> position in the callee's callers.
        let mut edge: HashMap<(u32, u32), usize> = HashMap::new();
        for (stack, w) in self.iter() {
            if stack.is_empty() {
                continue;
            }
            seen.clear();
            for &f in stack.iter().rev() {
                // Recursion: counted once per stack.
                if !seen.insert(f) {
                    continue;
                }
                let a = acc.entry(f).or_insert_with(|| {
                    order.push(f);
                    Acc {
                        direct: 0,
                        cumulative: 0,
                        callers: Vec::new(),
                    }
                });
                a.cumulative = a.cumulative.saturating_add(w);
            }
            let leaf = *stack.last().expect("not empty");
            let a = acc.get_mut(&leaf).expect("seen");
            a.direct = a.direct.saturating_add(w);
            for pair in stack.windows(2) {
                let (caller, callee) = (pair[0], pair[1]);
                let callers = &mut acc.get_mut(&callee).expect("seen").callers;
                // A map, not a search: a crafted file can give one function many callers.
                let next = callers.len();
                let slot = *edge.entry((callee, caller)).or_insert(next);
                if slot == next {
                    callers.push((caller, 0));
                }
                callers[slot].1 = callers[slot].1.saturating_add(w);
            }
        }
        let count = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        order
            .into_iter()
            .map(|f| {
                let a = &acc[&f];
                Function {
                    key: self.frames[f as usize].clone(),
                    cc: count(a.direct),
                    nc: count(a.cumulative),
                    tt: a.direct as f64 * interval,
                    ct: a.cumulative as f64 * interval,
                    callers: a
                        .callers
                        .iter()
                        .map(|&(c, n)| {
                            (
                                self.frames[c as usize].clone(),
                                CallerStats::Count(count(n)),
                            )
                        })
                        .collect(),
                }
            })
            .collect()
    }
}

/// Why folded text could not be read: the line (1-based) and what was expected.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("folded stacks, line {line}: {what}")]
pub struct FoldedError {
    pub line: usize,
    pub what: String,
}

/// Whether `text` looks like folded stacks: its first line with frames (blank lines, `#`
/// comments and bare counts before it aside: py-spy writes a bare count for samples without
/// Python frames) ends in a whole number after a space. Later lines are checked by the
/// parser, which names the line that is wrong.
pub fn looks_folded(text: &str) -> bool {
    let digits = |n: &str| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit());
    for line in text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .take(64)
    {
        match line.rsplit_once(char::is_whitespace) {
            Some((_, n)) => return digits(n),
            None if digits(line) => {}
            None => return false,
        }
    }
    false
}

/// The comment line profdiff writes at the top of merged folded stacks, so that what
/// the frames' syntax cannot tell (the producer, the interval) survives the round trip:
/// `# profdiff: producer=py-spy interval=0.01`. Other tools skip it as a comment.
pub const HEADER: &str = "# profdiff:";

/// Parses folded stacks; the producer is told by the frames' syntax (or profdiff's
/// [`HEADER`]), the interval only by that header (`None`: times are sample counts).
pub fn parse_folded(text: &str) -> Result<(Stacks, Producer, Option<f64>), FoldedError> {
    let mut declared: Option<Producer> = None;
    let mut interval: Option<f64> = None;
    let mut stacks = Stacks::default();
    let mut index: HashMap<FunctionKey, u32> = HashMap::new();
    let mut names: HashMap<String, Arc<str>> = HashMap::new();
    let (mut cpython, mut pyspy) = (false, false);
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if let Some(header) = line.strip_prefix(HEADER) {
            for (k, v) in header
                .split_whitespace()
                .filter_map(|kv| kv.split_once('='))
            {
                match k {
                    "producer" => {
                        declared = [Producer::Sampling, Producer::PySpy, Producer::Folded]
                            .into_iter()
                            .find(|p| p.as_str() == v);
                    }
                    "interval" => {
                        interval = v.parse::<f64>().ok().filter(|i| i.is_finite() && *i > 0.0);
                    }
                    _ => {}
                }
            }
            continue;
        }
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let err = |what: String| FoldedError { line: i + 1, what };
        let (stack, count) = match line.rsplit_once(char::is_whitespace) {
            Some((s, c)) => (s.trim_end(), c),
            // py-spy writes a bare count for samples with no Python frames.
            None => ("", line),
        };
        let weight: u64 = count.parse().map_err(|_| {
            err(format!(
                "expected `frame;frame;… count`, but the count {count:?} is not a whole number"
            ))
        })?;
        for part in stack.split(';').filter(|p| !p.is_empty()) {
            let Some(key) = frame_key(part, &mut names, &mut cpython, &mut pyspy) else {
                continue;
            };
            let next = stacks.frames.len();
            let id = *index.entry(key.clone()).or_insert_with(|| {
                stacks.frames.push(key);
                next as u32
            });
            stacks.push_frame(id);
        }
        stacks.end_stack(weight);
    }
    stacks.shrink_to_fit();
    if stacks.is_empty() {
        return Err(FoldedError {
            line: 1,
            what: "no stacks: expected lines of `frame;frame;… count`".into(),
        });
    }
    let producer = if let Some(p) = declared {
        p
    } else if cpython {
        Producer::Sampling
    } else if pyspy {
        Producer::PySpy
    } else {
        Producer::Folded
    };
    Ok((stacks, producer, interval))
}

/// One frame's key, or `None` for a frame that names a thread or process, not code.
fn frame_key(
    part: &str,
    names: &mut HashMap<String, Arc<str>>,
    cpython: &mut bool,
    pyspy: &mut bool,
) -> Option<FunctionKey> {
    let mut intern = |s: &str| -> Arc<str> {
        if let Some(a) = names.get(s) {
            return a.clone();
        }
        let a: Arc<str> = s.into();
        names.insert(s.to_string(), a.clone());
        a
    };
    // profiling.sampling's thread root.
    if let Some(tid) = part.strip_prefix("tid:")
        && tid.bytes().all(|b| b.is_ascii_digit())
    {
        *cpython = true;
        return None;
    }
    // py-spy's thread and process roots (--threads, --subprocesses).
    if (part.starts_with("thread (0x") && part.ends_with(')')) || part.starts_with("process ") {
        *pyspy = true;
        return None;
    }
    // py-spy: `func (file:line)` or `func (file)`.
    if part.ends_with(')')
        && let Some((name, inner)) = part[..part.len() - 1].rsplit_once(" (")
    {
        *pyspy = true;
        let (file, line) = match inner.rsplit_once(':') {
            Some((f, l)) if !l.is_empty() && l.bytes().all(|b| b.is_ascii_digit()) => {
                (f, l.parse().unwrap_or(0))
            }
            _ => (inner, 0),
        };
        return Some(FunctionKey {
            file: intern(file),
            line,
            name: intern(name),
        });
    }
    // profiling.sampling: `file:func:line` (the file is a base name, so it has no `:`).
    if let Some((rest, l)) = part.rsplit_once(':')
        && !l.is_empty()
        && l.bytes().all(|b| b.is_ascii_digit())
        && let Some((file, name)) = rest.split_once(':')
    {
        *cpython = true;
        return Some(FunctionKey {
            file: intern(file),
            line: l.parse().unwrap_or(0),
            name: intern(name),
        });
    }
    // A bare name: pstats' convention for frames with no file.
    Some(FunctionKey {
        file: intern("~"),
        line: 0,
        name: intern(part),
    })
}

/// A JSON reader's error as one line: the format, where (line and column), and what.
pub(crate) fn json_error(format: &str, e: serde_json::Error) -> String {
    let text = e.to_string();
    let at = format!(" at line {} column {}", e.line(), e.column());
    let what = text.strip_suffix(&at).unwrap_or(&text);
    format!("{format}, line {} column {}: {what}", e.line(), e.column())
}

/// speedscope's file format (<https://www.speedscope.app/file-format-schema.json>), as py-spy
/// writes it with `record -f speedscope`: shared frames and, per thread, a `sampled` profile
/// whose samples are frame indices root first, each with a weight in `unit`; pyinstrument
/// writes `evented` profiles (open/close events on a timeline).
///
/// Read as it streams: samples go straight into flat [`Stacks`] and weights are only checked
/// and summarised, so memory stays a small multiple of the file whatever it holds.
#[derive(Deserialize)]
struct SpeedscopeFile {
    shared: SpeedscopeShared,
    profiles: Vec<SpeedscopeProfile>,
    #[serde(default)]
    exporter: Option<String>,
}

#[derive(Deserialize)]
struct SpeedscopeShared {
    frames: Vec<SpeedscopeFrame>,
}

#[derive(Deserialize)]
struct SpeedscopeFrame {
    name: String,
    #[serde(default)]
    file: Option<String>,
    #[serde(default)]
    line: Option<i64>,
}

#[derive(Deserialize, Clone, Copy, PartialEq)]
enum ProfileKind {
    #[serde(rename = "sampled")]
    Sampled,
    #[serde(rename = "evented")]
    Evented,
}

/// One profile; not an internally tagged enum, which serde buffers whole before reading.
#[derive(Deserialize)]
struct SpeedscopeProfile {
    #[serde(rename = "type")]
    kind: ProfileKind,
    unit: String,
    #[serde(default)]
    samples: Option<FlatSamples>,
    #[serde(default)]
    weights: Option<Weights>,
    #[serde(default)]
    events: Option<Vec<SpeedscopeEvent>>,
}

#[derive(Deserialize, Clone, Copy)]
enum EventKind {
    O,
    C,
}

#[derive(Deserialize)]
struct SpeedscopeEvent {
    #[serde(rename = "type")]
    kind: EventKind,
    at: f64,
    frame: u32,
}

/// A `samples` array read into flat stacks of weight 1, and how many samples it had.
#[derive(Default)]
struct FlatSamples {
    stacks: Stacks,
    count: u64,
}

impl<'de> Deserialize<'de> for FlatSamples {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Outer;
        struct Frames<'a>(&'a mut Stacks);
        impl<'de> DeserializeSeed<'de> for Frames<'_> {
            type Value = ();
            fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
                d.deserialize_seq(self)
            }
        }
        impl<'de> Visitor<'de> for Frames<'_> {
            type Value = ();
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a sample: an array of frame indices")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
                while let Some(frame) = seq.next_element::<u32>()? {
                    self.0.push_frame(frame);
                }
                self.0.end_stack(1);
                Ok(())
            }
        }
        impl<'de> Visitor<'de> for Outer {
            type Value = FlatSamples;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an array of samples")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<FlatSamples, A::Error> {
                let mut out = FlatSamples::default();
                while seq.next_element_seed(Frames(&mut out.stacks))?.is_some() {
                    out.count += 1;
                }
                Ok(out)
            }
        }
        d.deserialize_seq(Outer)
    }
}

/// A `weights` array, checked and summarised as it is read: how many, and the common value
/// when every weight is the same.
struct Weights {
    count: u64,
    /// `Some(w)` while every weight so far is `w` (bit for bit).
    uniform: Option<f64>,
}

impl<'de> Deserialize<'de> for Weights {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Weights;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an array of weights")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Weights, A::Error> {
                let mut out = Weights {
                    count: 0,
                    uniform: None,
                };
                while let Some(w) = seq.next_element::<f64>()? {
                    if !(w.is_finite() && w >= 0.0) {
                        return Err(serde::de::Error::custom(format!(
                            "weight {w} is not a non-negative number"
                        )));
                    }
                    out.uniform = match (out.count, out.uniform) {
                        (0, _) => Some(w),
                        (_, Some(u)) if u.to_bits() == w.to_bits() => Some(u),
                        _ => None,
                    };
                    out.count += 1;
                }
                Ok(out)
            }
        }
        d.deserialize_seq(V)
    }
}

/// What a speedscope file holds: sampled stacks, or (only evented profiles) a timeline.
pub enum Speedscope {
    /// Stacks, producer, interval in seconds (when every sample weighs the same), samples.
    Sampled(Stacks, Producer, Option<f64>, u64),
    Evented(Trace, Producer),
}

fn unit_scale(unit: &str, i: usize) -> Result<f64, String> {
    match unit {
        "seconds" => Ok(1.0),
        "milliseconds" => Ok(1e-3),
        "microseconds" => Ok(1e-6),
        "nanoseconds" => Ok(1e-9),
        "none" => Ok(f64::NAN),
        other => Err(format!(
            "speedscope file, profile {i}: unit {other:?} is not a time or a count"
        )),
    }
}

/// Whether `text` looks like a speedscope file (its schema URL near the start, or its keys).
pub fn looks_speedscope(text: &str) -> bool {
    let head = &text[..text.len().min(4096)];
    text.trim_start().starts_with('{')
        && (head.contains("speedscope.app/file-format-schema")
            || (head.contains("\"shared\"") && head.contains("\"profiles\"")))
}

/// Parses a speedscope file: its sampled profiles (every thread's samples, merged), or when
/// it has only evented ones (pyinstrument), their timeline.
pub fn parse_speedscope(text: &str) -> Result<Speedscope, String> {
    let file: SpeedscopeFile =
        serde_json::from_str(text).map_err(|e| json_error("speedscope file", e))?;
    let frames: Vec<FunctionKey> = file
        .shared
        .frames
        .iter()
        .map(|f| match &f.file {
            Some(file) => FunctionKey::new(file, f.line.unwrap_or(0), &f.name),
            None => FunctionKey::new("~", 0, &f.name),
        })
        .collect();
    let n = frames.len();
    let mut stacks = Stacks::with_frames(frames);
    let mut trace = Trace {
        frames: stacks.frames.clone(),
        spans: Vec::new(),
    };
    let mut samples = 0u64;
    // Every sampled profile's common weight in seconds; `None` once two differ.
    let mut interval: Option<Option<f64>> = None;
    for (i, p) in file.profiles.into_iter().enumerate() {
        let scale = unit_scale(&p.unit, i)?;
        if p.kind == ProfileKind::Evented {
            if scale.is_nan() {
                return Err(format!(
                    "speedscope file, profile {i}: an evented profile needs a time unit"
                ));
            }
            let events = p.events.unwrap_or_default();
            let mut list = Vec::with_capacity(events.len());
            for (j, e) in events.iter().enumerate() {
                if !e.at.is_finite() {
                    return Err(format!(
                        "speedscope file, profile {i}, event {j}: time is not a number"
                    ));
                }
                let kind = match e.kind {
                    EventKind::O => 'O',
                    EventKind::C => 'C',
                };
                list.push((kind, e.at * scale, e.frame));
            }
            drop(events);
            spans_from_events(&list, i as u64, n, &mut trace.spans)
                .map_err(|e| format!("speedscope file, profile {i}, {e}"))?;
            continue;
        }
        let (Some(s), Some(w)) = (p.samples, p.weights) else {
            return Err(format!(
                "speedscope file, profile {i}: a sampled profile needs samples and weights"
            ));
        };
        if s.count != w.count {
            return Err(format!(
                "speedscope file, profile {i}: {} samples but {} weights",
                s.count, w.count
            ));
        }
        if let Some(bad) = s.stacks.max_frame().filter(|&f| f as usize >= n) {
            return Err(format!(
                "speedscope file, profile {i}: frame index {bad} out of range (there are {n} frames)"
            ));
        }
        if s.count == 0 {
            continue;
        }
        let seconds = w.uniform.map(|u| u * scale).filter(|u| u.is_finite());
        interval = Some(match interval {
            None => seconds,
            Some(prev) => prev.zip(seconds).filter(|(a, b)| a == b).map(|(a, _)| a),
        });
        samples += s.count;
        if stacks.is_empty() {
            stacks = Stacks {
                frames: std::mem::take(&mut stacks.frames),
                ..s.stacks
            };
        } else {
            stacks.append(&s.stacks);
        }
    }
    let producer = match file.exporter.as_deref() {
        Some(e) if e.starts_with("py-spy") => Producer::PySpy,
        Some(e) if e.starts_with("pyinstrument") => Producer::Pyinstrument,
        _ => Producer::Folded,
    };
    if stacks.is_empty() {
        if trace.spans.is_empty() {
            return Err("speedscope file with no samples and no events".into());
        }
        return Ok(Speedscope::Evented(trace, producer));
    }
    // Equal weights (py-spy: 1 / rate): each sample is one interval. Unequal weights are
    // kept as samples, one each, with no interval: times are then sample counts.
    let interval = interval.flatten().filter(|i| *i > 0.0);
    stacks.shrink_to_fit();
    Ok(Speedscope::Sampled(stacks, producer, interval, samples))
}

/// pyinstrument's session file (`-r pyisession`, `Session.to_json` in pyinstrument's
/// `session.py`): `frame_records`, each a stack of frame identifiers, root first, and the
/// seconds it stood for. An identifier is `function\0file\0line`, optionally followed by
/// `\x01`-separated attributes; the root is the thread (`MainThread\0<thread>\0id`).
///
/// Read as it streams, identifiers interned as they come.
struct PyiSession {
    stacks: Stacks,
}

impl<'de> Deserialize<'de> for PyiSession {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::{Error, IgnoredAny, MapAccess};
        #[derive(Default)]
        struct State {
            stacks: Stacks,
            index: HashMap<String, u32>,
            records: usize,
        }
        struct Records<'a>(&'a mut State);
        struct Record<'a>(&'a mut State);
        struct Ids<'a>(&'a mut State);
        impl<'de> DeserializeSeed<'de> for Records<'_> {
            type Value = ();
            fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
                d.deserialize_seq(self)
            }
        }
        impl<'de> Visitor<'de> for Records<'_> {
            type Value = ();
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an array of frame records")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
                while seq.next_element_seed(Record(&mut *self.0))?.is_some() {
                    self.0.records += 1;
                }
                Ok(())
            }
        }
        impl<'de> DeserializeSeed<'de> for Record<'_> {
            type Value = ();
            fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
                d.deserialize_seq(self)
            }
        }
        impl<'de> Visitor<'de> for Record<'_> {
            type Value = ();
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a frame record: [identifiers, seconds]")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
                let i = self.0.records;
                if seq.next_element_seed(Ids(&mut *self.0))?.is_none() {
                    return Err(A::Error::custom(format!("record {i}: empty")));
                }
                let Some(seconds) = seq.next_element::<f64>()? else {
                    return Err(A::Error::custom(format!("record {i}: no time")));
                };
                if !(seconds.is_finite() && seconds >= 0.0) {
                    return Err(A::Error::custom(format!(
                        "record {i}: time {seconds} is not a non-negative number"
                    )));
                }
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                self.0.stacks.end_stack((seconds * 1e9).round() as u64);
                Ok(())
            }
        }
        impl<'de> DeserializeSeed<'de> for Ids<'_> {
            type Value = ();
            fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
                d.deserialize_seq(self)
            }
        }
        impl<'de> Visitor<'de> for Ids<'_> {
            type Value = ();
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an array of frame identifiers")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
                let state = self.0;
                while let Some(id) = seq.next_element::<std::borrow::Cow<'de, str>>()? {
                    let base = id.split('\x01').next().unwrap_or_default();
                    if let Some(&f) = state.index.get(base) {
                        state.stacks.push_frame(f);
                        continue;
                    }
                    let mut parts = base.split('\0');
                    let (Some(name), Some(file), line) = (parts.next(), parts.next(), parts.next())
                    else {
                        return Err(A::Error::custom(format!(
                            "record {}: frame {id:?} is not function\\0file\\0line",
                            state.records
                        )));
                    };
                    if file == "<thread>" {
                        continue;
                    }
                    let line: i64 = line.and_then(|l| l.parse().ok()).unwrap_or(0);
                    let f = state.stacks.frames.len() as u32;
                    state.stacks.frames.push(FunctionKey::new(file, line, name));
                    state.index.insert(base.to_string(), f);
                    state.stacks.push_frame(f);
                }
                Ok(())
            }
        }
        struct File;
        impl<'de> Visitor<'de> for File {
            type Value = PyiSession;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a pyinstrument session object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<PyiSession, A::Error> {
                let mut state = State::default();
                let mut found = false;
                while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                    if key == "frame_records" {
                        map.next_value_seed(Records(&mut state))?;
                        found = true;
                    } else {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
                if !found {
                    return Err(A::Error::missing_field("frame_records"));
                }
                Ok(PyiSession {
                    stacks: state.stacks,
                })
            }
        }
        d.deserialize_map(File)
    }
}

/// Whether `text` looks like a pyinstrument session.
pub fn looks_pyisession(text: &str) -> bool {
    text.trim_start().starts_with('{') && text.contains("\"frame_records\"")
}

/// Parses a pyinstrument session into stacks weighted in nanoseconds.
pub fn parse_pyisession(text: &str) -> Result<Stacks, String> {
    let file: PyiSession =
        serde_json::from_str(text).map_err(|e| json_error("pyinstrument session", e))?;
    let mut stacks = file.stacks;
    if stacks.is_empty() {
        return Err("pyinstrument session with no frame records".into());
    }
    stacks.shrink_to_fit();
    Ok(stacks)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_cpython_collapsed_stacks_like_pstats_collector() {
        let text = "tid:7;app.py:main:10;app.py:work:3;app.py:inner:5 3\n\
                    tid:7;app.py:main:10;app.py:work:3 1\n\
                    tid:7;app.py:main:11;<GC> 2\n";
        let (stacks, producer, _) = parse_folded(text).unwrap();
        assert_eq!(producer, Producer::Sampling);
        assert_eq!(stacks.samples(), 6);
        let f = stacks.functions(0.001);
        let get = |name: &str, line: i64| {
            f.iter()
                .find(|x| &*x.key.name == name && x.key.line == line)
                .unwrap()
        };
        let work = get("work", 3);
        assert_eq!((work.cc, work.nc), (1, 4));
        assert!((work.ct - 0.004).abs() < 1e-12);
        assert_eq!(
            work.callers,
            vec![(
                FunctionKey::new("app.py", 10, "main"),
                CallerStats::Count(4)
            )]
        );
        let gc = get("<GC>", 0);
        assert_eq!(&*gc.key.file, "~");
        assert_eq!((gc.cc, gc.nc), (2, 2));
        // The leaf-first walk of the first stack decides the order.
        assert_eq!(&*f[0].key.name, "inner");
    }

    #[test]
    fn reads_py_spy_raw_and_bare_counts() {
        let text = "<module> (run.py:40);slow (run.py:12) 5\nfast (/x/y.py) 2\n4\n";
        let (stacks, producer, _) = parse_folded(text).unwrap();
        assert_eq!(producer, Producer::PySpy);
        assert_eq!(stacks.samples(), 11);
        assert_eq!(stacks.frames[1], FunctionKey::new("run.py", 12, "slow"));
        assert_eq!(stacks.frames[2], FunctionKey::new("/x/y.py", 0, "fast"));
    }

    #[test]
    fn recursion_counts_once_per_stack_on_the_stack() {
        let (stacks, _, _) = parse_folded("a;b;a;b 2\n").unwrap();
        let f = stacks.functions(1.0);
        let b = f.iter().find(|x| &*x.key.name == "b").unwrap();
        assert_eq!((b.cc, b.nc), (2, 2));
        let a = f.iter().find(|x| &*x.key.name == "a").unwrap();
        assert_eq!(
            a.callers,
            vec![(FunctionKey::new("~", 0, "b"), CallerStats::Count(2))]
        );
    }

    #[test]
    fn bad_counts_name_the_line() {
        let e = parse_folded("a;b 3\na;c x3\n").unwrap_err();
        assert_eq!(e.line, 2);
        assert!(e.to_string().contains("not a whole number"), "{e}");
        assert!(parse_folded("\n# nothing\n").is_err());
        assert!(looks_folded("a;b 3\n"));
        assert!(looks_folded(" 2\na;b 3\n"));
        assert!(!looks_folded("12\n"));
        assert!(!looks_folded("   ncalls  tottime\n"));
    }

    #[test]
    fn labels_say_the_rate() {
        let s = Sampling {
            interval: Some(0.0001),
            samples: 1,
        };
        assert_eq!(s.label(Producer::Sampling), "profiling.sampling · 10 kHz");
        let s = Sampling {
            interval: Some(0.004),
            samples: 1,
        };
        assert_eq!(s.label(Producer::PySpy), "py-spy · 250 Hz");
    }
}
