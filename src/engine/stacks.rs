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

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

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
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Stacks {
    pub frames: Vec<FunctionKey>,
    pub stacks: Vec<(Vec<u32>, u64)>,
}

impl Stacks {
    /// Bytes the stacks hold (for cache accounting).
    pub fn model_bytes(&self) -> usize {
        let frames: usize = self
            .frames
            .iter()
            .map(|k| k.file.len() + k.name.len() + 48)
            .sum();
        let stacks: usize = self.stacks.iter().map(|(s, _)| s.len() * 4 + 32).sum();
        frames + stacks
    }

    pub fn samples(&self) -> u64 {
        self.stacks
            .iter()
            .fold(0u64, |a, (_, w)| a.saturating_add(*w))
    }

    /// The same stacks with one frame per function: a sampler keys frames by the line
    /// running (`inner` at lines 7 and 8 are two keys), the function table wants functions.
    /// Frames with the same file and name become one, at the lowest line seen.
    pub fn by_function(&self) -> Stacks {
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
        Stacks {
            frames,
            stacks: self
                .stacks
                .iter()
                .map(|(s, w)| (s.iter().map(|&f| map[f as usize]).collect(), *w))
                .collect(),
        }
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
        for (stack, w) in &self.stacks {
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
                a.cumulative = a.cumulative.saturating_add(*w);
            }
            let leaf = *stack.last().expect("not empty");
            let a = acc.get_mut(&leaf).expect("seen");
            a.direct = a.direct.saturating_add(*w);
            for pair in stack.windows(2) {
                let (caller, callee) = (pair[0], pair[1]);
                let callers = &mut acc.get_mut(&callee).expect("seen").callers;
                // A map, not a search: a crafted file can give one function many callers.
                let next = callers.len();
                let slot = *edge.entry((callee, caller)).or_insert(next);
                if slot == next {
                    callers.push((caller, 0));
                }
                callers[slot].1 = callers[slot].1.saturating_add(*w);
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

/// Parses folded stacks; the producer is told by the frames' syntax.
pub fn parse_folded(text: &str) -> Result<(Stacks, Producer), FoldedError> {
    let mut stacks = Stacks::default();
    let mut index: HashMap<FunctionKey, u32> = HashMap::new();
    let mut names: HashMap<String, Arc<str>> = HashMap::new();
    let (mut cpython, mut pyspy) = (false, false);
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
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
        let mut frames = Vec::new();
        for part in stack.split(';').filter(|p| !p.is_empty()) {
            let Some(key) = frame_key(part, &mut names, &mut cpython, &mut pyspy) else {
                continue;
            };
            let next = stacks.frames.len();
            let id = *index.entry(key.clone()).or_insert_with(|| {
                stacks.frames.push(key);
                next as u32
            });
            frames.push(id);
        }
        stacks.stacks.push((frames, weight));
    }
    if stacks.stacks.is_empty() {
        return Err(FoldedError {
            line: 1,
            what: "no stacks: expected lines of `frame;frame;… count`".into(),
        });
    }
    let producer = if cpython {
        Producer::Sampling
    } else if pyspy {
        Producer::PySpy
    } else {
        Producer::Folded
    };
    Ok((stacks, producer))
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

/// speedscope's file format (<https://www.speedscope.app/file-format-schema.json>), as py-spy
/// writes it with `record -f speedscope`: shared frames and, per thread, a `sampled` profile
/// whose samples are frame indices root first, each with a weight in `unit`.
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

#[derive(Deserialize)]
#[serde(tag = "type")]
enum SpeedscopeProfile {
    #[serde(rename = "sampled")]
    Sampled {
        unit: String,
        samples: Vec<Vec<u32>>,
        weights: Vec<f64>,
    },
    #[serde(rename = "evented")]
    Evented {
        unit: String,
        events: Vec<SpeedscopeEvent>,
    },
}

#[derive(Deserialize)]
struct SpeedscopeEvent {
    #[serde(rename = "type")]
    kind: String,
    at: f64,
    frame: u32,
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
    let file: SpeedscopeFile = serde_json::from_str(text).map_err(|e| {
        format!(
            "speedscope file, line {} column {}: {e}",
            e.line(),
            e.column()
        )
    })?;
    let mut stacks = Stacks {
        frames: file
            .shared
            .frames
            .iter()
            .map(|f| match &f.file {
                Some(file) => FunctionKey::new(file, f.line.unwrap_or(0), &f.name),
                None => FunctionKey::new("~", 0, &f.name),
            })
            .collect(),
        stacks: Vec::new(),
    };
    let n = stacks.frames.len();
    let mut weights: Vec<f64> = Vec::new();
    let mut trace = Trace {
        frames: stacks.frames.clone(),
        spans: Vec::new(),
    };
    for (i, p) in file.profiles.into_iter().enumerate() {
        let (unit, samples, w) = match p {
            SpeedscopeProfile::Sampled {
                unit,
                samples,
                weights,
            } => (unit, samples, weights),
            SpeedscopeProfile::Evented { unit, events } => {
                let scale = unit_scale(&unit, i)?;
                if scale.is_nan() {
                    return Err(format!(
                        "speedscope file, profile {i}: an evented profile needs a time unit"
                    ));
                }
                let mut list = Vec::with_capacity(events.len());
                for (j, e) in events.iter().enumerate() {
                    let kind = match e.kind.as_str() {
                        "O" => 'O',
                        "C" => 'C',
                        other => {
                            return Err(format!(
                                "speedscope file, profile {i}, event {j}: type {other:?}, expected \"O\" or \"C\""
                            ));
                        }
                    };
                    if !e.at.is_finite() {
                        return Err(format!(
                            "speedscope file, profile {i}, event {j}: time is not a number"
                        ));
                    }
                    list.push((kind, e.at * scale, e.frame));
                }
                spans_from_events(&list, i as u64, n, &mut trace.spans)
                    .map_err(|e| format!("speedscope file, profile {i}, {e}"))?;
                continue;
            }
        };
        if samples.len() != w.len() {
            return Err(format!(
                "speedscope file, profile {i}: {} samples but {} weights",
                samples.len(),
                w.len()
            ));
        }
        let scale = unit_scale(&unit, i)?;
        for (sample, weight) in samples.into_iter().zip(w) {
            if let Some(&bad) = sample.iter().find(|&&f| f as usize >= n) {
                return Err(format!(
                    "speedscope file, profile {i}: frame index {bad} out of range (there are {n} frames)"
                ));
            }
            if !(weight.is_finite() && weight >= 0.0) {
                return Err(format!(
                    "speedscope file, profile {i}: weight {weight} is not a non-negative number"
                ));
            }
            weights.push(if scale.is_nan() {
                f64::NAN
            } else {
                weight * scale
            });
            stacks.stacks.push((sample, 1));
        }
    }
    let producer = match file.exporter.as_deref() {
        Some(e) if e.starts_with("py-spy") => Producer::PySpy,
        Some(e) if e.starts_with("pyinstrument") => Producer::Pyinstrument,
        _ => Producer::Folded,
    };
    if stacks.stacks.is_empty() {
        if trace.spans.is_empty() {
            return Err("speedscope file with no samples and no events".into());
        }
        return Ok(Speedscope::Evented(trace, producer));
    }
    // Equal weights (py-spy: 1 / rate): each sample is one interval. Unequal weights are
    // kept as samples, one each, with no interval: times are then sample counts.
    let first = weights[0];
    let uniform = weights.iter().all(|w| w.to_bits() == first.to_bits());
    let samples = stacks.stacks.len() as u64;
    let interval = (uniform && first.is_finite()).then_some(first);
    Ok(Speedscope::Sampled(
        stacks,
        producer,
        interval.filter(|i| *i > 0.0),
        samples,
    ))
}

/// pyinstrument's session file (`-r pyisession`, `Session.to_json` in pyinstrument's
/// `session.py`): `frame_records`, each a stack of frame identifiers, root first, and the
/// seconds it stood for. An identifier is `function\0file\0line`, optionally followed by
/// `\x01`-separated attributes; the root is the thread (`MainThread\0<thread>\0id`).
#[derive(Deserialize)]
struct PyiSession {
    frame_records: Vec<(Vec<String>, f64)>,
}

/// Whether `text` looks like a pyinstrument session.
pub fn looks_pyisession(text: &str) -> bool {
    text.trim_start().starts_with('{') && text.contains("\"frame_records\"")
}

/// Parses a pyinstrument session into stacks weighted in nanoseconds.
pub fn parse_pyisession(text: &str) -> Result<Stacks, String> {
    let file: PyiSession = serde_json::from_str(text).map_err(|e| {
        format!(
            "pyinstrument session, line {} column {}: {e}",
            e.line(),
            e.column()
        )
    })?;
    let mut stacks = Stacks::default();
    let mut index: HashMap<String, u32> = HashMap::new();
    for (i, (ids, seconds)) in file.frame_records.into_iter().enumerate() {
        if !(seconds.is_finite() && seconds >= 0.0) {
            return Err(format!(
                "pyinstrument session, record {i}: time {seconds} is not a non-negative number"
            ));
        }
        let mut frames = Vec::with_capacity(ids.len());
        for id in ids {
            let base = id.split('\x01').next().unwrap_or_default();
            let mut parts = base.split('\0');
            let (Some(name), Some(file), line) = (parts.next(), parts.next(), parts.next()) else {
                return Err(format!(
                    "pyinstrument session, record {i}: frame {id:?} is not function\\0file\\0line"
                ));
            };
            if file == "<thread>" {
                continue;
            }
            let line: i64 = line.and_then(|l| l.parse().ok()).unwrap_or(0);
            let next = stacks.frames.len() as u32;
            let f = *index.entry(base.to_string()).or_insert_with(|| {
                stacks.frames.push(FunctionKey::new(file, line, name));
                next
            });
            frames.push(f);
        }
        stacks.stacks.push((frames, (seconds * 1e9).round() as u64));
    }
    if stacks.stacks.is_empty() {
        return Err("pyinstrument session with no frame records".into());
    }
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
        let (stacks, producer) = parse_folded(text).unwrap();
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
        let (stacks, producer) = parse_folded(text).unwrap();
        assert_eq!(producer, Producer::PySpy);
        assert_eq!(stacks.samples(), 11);
        assert_eq!(stacks.frames[1], FunctionKey::new("run.py", 12, "slow"));
        assert_eq!(stacks.frames[2], FunctionKey::new("/x/y.py", 0, "fast"));
    }

    #[test]
    fn recursion_counts_once_per_stack_on_the_stack() {
        let (stacks, _) = parse_folded("a;b;a;b 2\n").unwrap();
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
