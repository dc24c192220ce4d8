//! Timelines: spans of time each function was on a thread's stack, as tracing exporters
//! write them, turned into pstats' per-function numbers with exact call counts:
//!
//! - viztracer's JSON (Chrome trace events, <https://viztracer.readthedocs.io>): one complete
//!   event (`"ph": "X"`) per call, `ts` and `dur` in microseconds, `name` as
//!   `func (file:line)`;
//! - speedscope's *evented* profiles, as pyinstrument writes them (`-r speedscope`): open and
//!   close events (`"O"`, `"C"`) of shared frames at times in `unit`. pyinstrument merges
//!   repeated calls into one frame, so its counts are not calls and are left out, as its
//!   pstats output does.
//!
//! Per function, as cProfile counts: `nc` every call, `cc` calls not inside another call of
//! the same function, `tt` own time (the span less its children), `ct` the outermost spans'
//! time; per caller the same for calls made from it.

use std::borrow::Cow;
use std::collections::HashMap;

use serde::Deserialize;

use super::profile::{CallerStats, Function, FunctionKey};
use super::stacks::json_error;

/// One call: a frame on a thread from `start` to `end` (seconds).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Span {
    pub thread: u64,
    pub frame: u32,
    pub start: f64,
    pub end: f64,
}

/// Frames and the spans over them.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Trace {
    pub frames: Vec<FunctionKey>,
    pub spans: Vec<Span>,
}

impl Trace {
    /// Per-function numbers; functions in the order their first call started.
    pub fn functions(&self, with_counts: bool) -> Vec<Function> {
        #[derive(Default)]
        struct Acc {
            cc: i64,
            nc: i64,
            tt: f64,
            ct: f64,
            callers: Vec<(u32, CallerAcc)>,
        }
        #[derive(Default, Clone, Copy)]
        struct CallerAcc {
            nc: i64,
            cc: i64,
            tt: f64,
            ct: f64,
        }
        struct Open {
            span: Span,
            children: f64,
            recursive: bool,
        }
        let mut spans = self.spans.clone();
        // By thread, then start; an enclosing span (longer) before the spans it holds.
        spans.sort_by(|a, b| {
            a.thread
                .cmp(&b.thread)
                .then(a.start.total_cmp(&b.start))
                .then(b.end.total_cmp(&a.end))
        });
        let mut order: Vec<u32> = Vec::new();
        let mut acc: HashMap<u32, Acc> = HashMap::new();
        let mut edge: HashMap<(u32, u32), usize> = HashMap::new();
        let mut active: HashMap<u32, u32> = HashMap::new();
        let mut stack: Vec<Open> = Vec::new();
        let mut finish = |open: Open,
                          parent: Option<&mut Open>,
                          acc: &mut HashMap<u32, Acc>,
                          active: &mut HashMap<u32, u32>| {
            let s = open.span;
            let dur = (s.end - s.start).max(0.0);
            let own = (dur - open.children).max(0.0);
            let a = acc.get_mut(&s.frame).expect("opened");
            a.nc += 1;
            a.tt += own;
            if !open.recursive {
                a.cc += 1;
                a.ct += dur;
            }
            if let Some(n) = active.get_mut(&s.frame) {
                *n -= 1;
            }
            if let Some(p) = parent {
                p.children += dur;
                let caller = p.span.frame;
                let next = a.callers.len();
                let slot = *edge.entry((s.frame, caller)).or_insert(next);
                if slot == next {
                    a.callers.push((caller, CallerAcc::default()));
                }
                let c = &mut a.callers[slot].1;
                c.nc += 1;
                c.tt += own;
                if !open.recursive {
                    c.cc += 1;
                    c.ct += dur;
                }
            }
        };
        for span in spans {
            while let Some(top) = stack.last() {
                let closes = top.span.thread != span.thread || top.span.end <= span.start;
                if !closes {
                    break;
                }
                let open = stack.pop().expect("top");
                finish(open, stack.last_mut(), &mut acc, &mut active);
            }
            acc.entry(span.frame).or_insert_with(|| {
                order.push(span.frame);
                Acc::default()
            });
            let n = active.entry(span.frame).or_insert(0);
            let recursive = *n > 0;
            *n += 1;
            stack.push(Open {
                span,
                children: 0.0,
                recursive,
            });
        }
        while let Some(open) = stack.pop() {
            finish(open, stack.last_mut(), &mut acc, &mut active);
        }
        order
            .into_iter()
            .map(|f| {
                let a = &acc[&f];
                let count = |n: i64| if with_counts { n } else { -1 };
                Function {
                    key: self.frames[f as usize].clone(),
                    cc: count(a.cc),
                    nc: count(a.nc),
                    tt: a.tt,
                    ct: a.ct,
                    callers: a
                        .callers
                        .iter()
                        .map(|(c, s)| {
                            (
                                self.frames[*c as usize].clone(),
                                CallerStats::Full {
                                    nc: count(s.nc),
                                    cc: count(s.cc),
                                    tt: s.tt,
                                    ct: s.ct,
                                },
                            )
                        })
                        .collect(),
                }
            })
            .collect()
    }
}

/// One trace event, borrowed from the text where it can be; fields other than these are
/// skipped unread.
#[derive(Deserialize)]
struct VizEvent<'a> {
    #[serde(borrow)]
    ph: Cow<'a, str>,
    #[serde(default)]
    ts: f64,
    #[serde(default)]
    dur: Option<f64>,
    #[serde(borrow, default)]
    name: Option<Cow<'a, str>>,
    #[serde(default)]
    tid: Option<serde_json::Value>,
}

/// A trace event file read as it streams: each complete event becomes a span at once, so
/// memory follows the calls, not the JSON.
struct VizFile(Trace);

impl<'de> Deserialize<'de> for VizFile {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::{DeserializeSeed, Error, IgnoredAny, MapAccess, SeqAccess, Visitor};
        #[derive(Default)]
        struct State {
            trace: Trace,
            index: HashMap<String, u32>,
        }
        struct Events<'a>(&'a mut State);
        impl<'de> DeserializeSeed<'de> for Events<'_> {
            type Value = ();
            fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
                d.deserialize_seq(self)
            }
        }
        impl<'de> Visitor<'de> for Events<'_> {
            type Value = ();
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an array of trace events")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
                let state = self.0;
                let mut i = 0usize;
                while let Some(ev) = seq.next_element::<VizEvent<'de>>()? {
                    i += 1;
                    if ev.ph != "X" {
                        continue;
                    }
                    let (Some(name), Some(dur)) = (ev.name, ev.dur) else {
                        return Err(A::Error::custom(format!(
                            "event {}: a complete event (\"ph\": \"X\") needs a name and a dur",
                            i - 1
                        )));
                    };
                    if !(ev.ts.is_finite() && dur.is_finite() && dur >= 0.0) {
                        return Err(A::Error::custom(format!(
                            "event {}: ts {} and dur {dur} must be finite, dur not negative",
                            i - 1,
                            ev.ts
                        )));
                    }
                    let thread = match &ev.tid {
                        Some(serde_json::Value::Number(n)) => n.as_u64().unwrap_or(0),
                        _ => 0,
                    };
                    let frame = match state.index.get(&*name) {
                        Some(&f) => f,
                        None => {
                            let f = state.trace.frames.len() as u32;
                            state.trace.frames.push(key_of(&name));
                            state.index.insert(name.into_owned(), f);
                            f
                        }
                    };
                    state.trace.spans.push(Span {
                        thread,
                        frame,
                        start: ev.ts * 1e-6,
                        end: (ev.ts + dur) * 1e-6,
                    });
                }
                Ok(())
            }
        }
        struct File;
        impl<'de> Visitor<'de> for File {
            type Value = VizFile;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a trace event object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<VizFile, A::Error> {
                let mut state = State::default();
                let mut found = false;
                while let Some(key) = map.next_key::<Cow<'de, str>>()? {
                    if key == "traceEvents" {
                        map.next_value_seed(Events(&mut state))?;
                        found = true;
                    } else {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
                if !found {
                    return Err(A::Error::missing_field("traceEvents"));
                }
                Ok(VizFile(state.trace))
            }
        }
        d.deserialize_map(File)
    }
}

/// Whether `text` looks like a Chrome trace event file (viztracer writes one).
pub fn looks_viztracer(text: &str) -> bool {
    let head = &text[..text.len().min(256)];
    text.trim_start().starts_with('{') && head.contains("\"traceEvents\"")
}

/// Parses viztracer's JSON: every complete event is a call.
pub fn parse_viztracer(text: &str) -> Result<Trace, String> {
    let VizFile(mut trace) =
        serde_json::from_str(text).map_err(|e| json_error("trace event file", e))?;
    if trace.spans.is_empty() {
        return Err("trace event file with no complete (\"X\") events".into());
    }
    trace.spans.shrink_to_fit();
    Ok(trace)
}

/// `func (file:line)` as viztracer names Python functions; anything else (C functions such
/// as `builtins.print`) as a frame with no file, pstats' convention.
fn key_of(name: &str) -> FunctionKey {
    if let Some(inner) = name.strip_suffix(')')
        && let Some((func, loc)) = inner.rsplit_once(" (")
        && let Some((file, line)) = loc.rsplit_once(':')
        && let Ok(line) = line.parse::<i64>()
    {
        return FunctionKey::new(file, line, func);
    }
    FunctionKey::new("~", 0, name)
}

/// One speedscope evented profile's events (`O`/`C` of `frame` at `at`, in seconds after
/// scaling), as spans; `thread` tells profiles apart.
pub fn spans_from_events(
    events: &[(char, f64, u32)],
    thread: u64,
    frames: usize,
    out: &mut Vec<Span>,
) -> Result<(), String> {
    let mut open: Vec<(u32, f64)> = Vec::new();
    for (i, &(kind, at, frame)) in events.iter().enumerate() {
        if frame as usize >= frames {
            return Err(format!(
                "event {i}: frame index {frame} out of range (there are {frames} frames)"
            ));
        }
        match kind {
            'O' => open.push((frame, at)),
            'C' => match open.pop() {
                Some((f, start)) if f == frame => out.push(Span {
                    thread,
                    frame,
                    start,
                    end: at,
                }),
                Some((f, _)) => {
                    return Err(format!(
                        "event {i}: closes frame {frame} but frame {f} is open"
                    ));
                }
                None => return Err(format!("event {i}: closes frame {frame}, none is open")),
            },
            other => {
                return Err(format!(
                    "event {i}: type {other:?}, expected \"O\" or \"C\""
                ));
            }
        }
    }
    if let Some((f, _)) = open.last() {
        return Err(format!("frame {f} is opened but never closed"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(name: &str) -> FunctionKey {
        FunctionKey::new("a.py", 1, name)
    }

    #[test]
    fn nested_and_recursive_calls_count_as_cprofile_does() {
        // main [0,10] calls f [1,9], which calls f [2,5] (recursion) and g [6,8].
        let t = Trace {
            frames: vec![key("main"), key("f"), key("g")],
            spans: vec![
                Span {
                    thread: 1,
                    frame: 0,
                    start: 0.0,
                    end: 10.0,
                },
                Span {
                    thread: 1,
                    frame: 1,
                    start: 1.0,
                    end: 9.0,
                },
                Span {
                    thread: 1,
                    frame: 1,
                    start: 2.0,
                    end: 5.0,
                },
                Span {
                    thread: 1,
                    frame: 2,
                    start: 6.0,
                    end: 8.0,
                },
            ],
        };
        let f = t.functions(true);
        let get = |n: &str| f.iter().find(|x| &*x.key.name == n).unwrap();
        let main = get("main");
        assert_eq!((main.nc, main.cc, main.tt, main.ct), (1, 1, 2.0, 10.0));
        let ff = get("f");
        // Two calls, one primitive; own time 8 - 3 - 2 = 3 plus 3; cumulative the outer 8.
        assert_eq!((ff.nc, ff.cc, ff.tt, ff.ct), (2, 1, 6.0, 8.0));
        assert_eq!(ff.callers.len(), 2);
        let g = get("g");
        assert_eq!((g.nc, g.tt, g.ct), (1, 2.0, 2.0));
        assert_eq!(g.callers[0].0, key("f"));
    }

    #[test]
    fn viztracer_names_and_bad_events() {
        let text = r#"{"traceEvents":[{"ph":"M","name":"process_name"},
            {"ph":"X","ts":10.0,"dur":5.0,"name":"inner (/w.py:2)","tid":1},
            {"ph":"X","ts":9.0,"dur":8.0,"name":"work (/w.py:7)","tid":1},
            {"ph":"X","ts":11.0,"dur":1.0,"name":"builtins.print","tid":1}]}"#;
        let t = parse_viztracer(text).unwrap();
        assert_eq!(t.frames[0], FunctionKey::new("/w.py", 2, "inner"));
        assert_eq!(t.frames[2], FunctionKey::new("~", 0, "builtins.print"));
        let f = t.functions(true);
        let work = f.iter().find(|x| &*x.key.name == "work").unwrap();
        assert!((work.ct - 8e-6).abs() < 1e-12 && (work.tt - 3e-6).abs() < 1e-12);
        let e = parse_viztracer(r#"{"traceEvents":[{"ph":"X","ts":1}]}"#).unwrap_err();
        assert!(
            e.contains("event 0") && e.contains("needs a name and a dur"),
            "{e}"
        );
        let e = parse_viztracer(r#"{"traceEvents":[{"ph":"X","#).unwrap_err();
        assert!(e.contains("line 1 column"), "{e}");
    }

    #[test]
    fn events_must_nest() {
        let mut out = Vec::new();
        let e = spans_from_events(
            &[('O', 0.0, 0), ('O', 1.0, 1), ('C', 2.0, 0)],
            0,
            2,
            &mut out,
        )
        .unwrap_err();
        assert!(e.contains("closes frame 0 but frame 1 is open"), "{e}");
        let e = spans_from_events(&[('O', 0.0, 5)], 0, 2, &mut out).unwrap_err();
        assert!(e.contains("out of range"), "{e}");
        let e = spans_from_events(&[('O', 0.0, 1)], 0, 2, &mut out).unwrap_err();
        assert!(e.contains("never closed"), "{e}");
    }
}
