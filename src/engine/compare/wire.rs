//! A compact binary form of a two-way [`Comparison`], for the web app's own traffic.
//!
//! Why: a comparison of two 50,000-function profiles is ~59 MB of JSON. Building,
//! compressing, sending and decoding that was most of the 1.5–2.2 s between *Compare* and
//! the first rows in the browser. This form writes each file and function name once (a
//! string table), times as 8-byte floats, counts as varints, and no display names (the
//! browser derives them with [`write_display`], the function the server used). The JSON
//! form stays the contract of the CLI and the REST API; this one is private to the app,
//! whose server and browser code are built from one source, so a magic number is all the
//! versioning it needs.
//!
//! Layout (little-endian; `v` = LEB128 varint, `z` = zigzag varint, `f` = f64):
//!
//! ```text
//! "PDC1"  v summary length, summary JSON  v string count, (v length, UTF-8)*  v row count, row*
//! row:    u8  status | match << 3 | baseline key << 6 | own display << 7
//!         u16 presence bits (see `HAS_*`)
//!         key (v file, z line, v name)  [baseline key]  [v display]
//!         [side: [z ncalls] [z pcalls] f tottime f cumtime [f tottime/call] [f cumtime/call] f share]
//!         for the baseline, then the candidate
//!         delta: [z ncalls] f tottime f cumtime [f pct] f share  ratio: [f tottime] [f cumtime]
//! ```
//!
//! Decoding trusts nothing: every count is checked against the bytes left before anything
//! is allocated for it, so damaged input gets an error in time and memory linear in its size.

use std::collections::HashMap;
use std::sync::Arc;

use super::{Comparison, Delta, FunctionRef, MatchKind, Ratio, Row, SideStats, Status};
use crate::engine::profile::write_display;

const MAGIC: &[u8; 4] = b"PDC1";

const HAS_BASELINE: u16 = 1 << 0;
const HAS_CANDIDATE: u16 = 1 << 1;
/// A side's four optional fields start at these bits (ncalls, pcalls, per-call times).
const BASELINE_OPT: u32 = 2;
const CANDIDATE_OPT: u32 = 6;
const HAS_DELTA_NCALLS: u16 = 1 << 10;
const HAS_DELTA_PCT: u16 = 1 << 11;
const HAS_RATIO_TOTTIME: u16 = 1 << 12;
const HAS_RATIO_CUMTIME: u16 = 1 << 13;

/// Why bytes could not be read as a comparison.
#[derive(Debug, thiserror::Error, PartialEq)]
#[error("the comparison data is damaged at byte {at}: {what}")]
pub struct WireError {
    pub at: usize,
    pub what: &'static str,
}

/// `c` in the compact form (its `order` is not kept: rows are written as they stand).
pub fn encode(c: &Comparison) -> Vec<u8> {
    let summary = serde_json::to_vec(&c.summary).expect("a summary serialises");
    let mut strings = Strings::default();
    let mut rows = Vec::with_capacity(c.rows.len() * 96);
    let mut derived = String::new();
    for r in &c.rows {
        encode_row(r, &mut strings, &mut derived, &mut rows);
    }
    let text: usize = strings.list.iter().map(|s| s.len() + 2).sum();
    let mut out = Vec::with_capacity(summary.len() + text + rows.len() + 24);
    out.extend_from_slice(MAGIC);
    put_v(&mut out, summary.len() as u64);
    out.extend_from_slice(&summary);
    put_v(&mut out, strings.list.len() as u64);
    for s in &strings.list {
        put_v(&mut out, s.len() as u64);
        out.extend_from_slice(s.as_bytes());
    }
    put_v(&mut out, c.rows.len() as u64);
    out.extend_from_slice(&rows);
    out
}

/// The comparison [`encode`] wrote, rows in the same order, `order` the default.
pub fn decode(bytes: &[u8]) -> Result<Comparison, WireError> {
    let mut r = Reader { bytes, at: 0 };
    if r.take(4, "not a profdiff comparison")? != MAGIC {
        return Err(r.error("not a profdiff comparison"));
    }
    let n = r.count(1, "summary length")?;
    let summary = serde_json::from_slice(r.take(n, "summary")?)
        .map_err(|_| r.error("the summary is not valid"))?;
    let n = r.count(1, "string count")?;
    let mut strings = Vec::with_capacity(n);
    for _ in 0..n {
        let len = r.count(1, "string length")?;
        let at = r.at;
        let s = std::str::from_utf8(r.take(len, "string")?).map_err(|_| WireError {
            at,
            what: "a string is not UTF-8",
        })?;
        strings.push(s);
    }
    // The smallest row: flags, presence bits, a key of three one-byte varints, two floats
    // of delta.
    let n = r.count(6 + 16, "row count")?;
    let mut rows = Vec::with_capacity(n);
    for _ in 0..n {
        rows.push(decode_row(&mut r, &strings)?);
    }
    if r.at != bytes.len() {
        return Err(r.error("bytes after the last row"));
    }
    Ok(Comparison {
        summary,
        rows,
        order: super::default_order(),
    })
}

/// The string table being written: each distinct string once, in first-use order.
#[derive(Default)]
struct Strings<'a> {
    list: Vec<&'a str>,
    index: HashMap<&'a str, u32>,
}

impl<'a> Strings<'a> {
    fn id(&mut self, s: &'a str) -> u64 {
        let next = self.list.len() as u32;
        let id = *self.index.entry(s).or_insert(next);
        if id == next {
            self.list.push(s);
        }
        u64::from(id)
    }
}

fn encode_row<'a>(r: &'a Row, strings: &mut Strings<'a>, derived: &mut String, out: &mut Vec<u8>) {
    let f = &r.function;
    derived.clear();
    write_display(&f.file, f.line, &f.name, derived);
    let own_display = *derived != r.display;
    let matched = match r.match_kind {
        None => 0,
        Some(MatchKind::Exact) => 1,
        Some(MatchKind::Moved) => 2,
        Some(MatchKind::Path) => 3,
        Some(MatchKind::Address) => 4,
    };
    let status = Status::ALL
        .iter()
        .position(|s| *s == r.status)
        .expect("a status") as u8;
    out.push(
        status
            | matched << 3
            | u8::from(r.baseline_function.is_some()) << 6
            | u8::from(own_display) << 7,
    );
    let mut bits = 0u16;
    let mut side_bits = |s: &Option<SideStats>, has: u16, first: u32| {
        if let Some(s) = s {
            bits |= has;
            let opt = [
                s.ncalls.is_some(),
                s.pcalls.is_some(),
                s.tottime_per_call.is_some(),
                s.cumtime_per_call.is_some(),
            ];
            for (i, o) in opt.into_iter().enumerate() {
                bits |= u16::from(o) << (first + i as u32);
            }
        }
    };
    side_bits(&r.baseline, HAS_BASELINE, BASELINE_OPT);
    side_bits(&r.candidate, HAS_CANDIDATE, CANDIDATE_OPT);
    for (has, bit) in [
        (r.delta.ncalls.is_some(), HAS_DELTA_NCALLS),
        (r.delta.pct.is_some(), HAS_DELTA_PCT),
        (r.ratio.tottime.is_some(), HAS_RATIO_TOTTIME),
        (r.ratio.cumtime.is_some(), HAS_RATIO_CUMTIME),
    ] {
        if has {
            bits |= bit;
        }
    }
    out.extend_from_slice(&bits.to_le_bytes());
    let mut key = |k: &'a FunctionRef, out: &mut Vec<u8>| {
        put_v(out, strings.id(&k.file));
        put_z(out, k.line);
        put_v(out, strings.id(&k.name));
    };
    key(f, out);
    if let Some(b) = &r.baseline_function {
        key(b, out);
    }
    if own_display {
        put_v(out, strings.id(&r.display));
    }
    for s in [&r.baseline, &r.candidate].into_iter().flatten() {
        if let Some(n) = s.ncalls {
            put_z(out, n);
        }
        if let Some(n) = s.pcalls {
            put_z(out, n);
        }
        put_f(out, s.tottime);
        put_f(out, s.cumtime);
        for t in [s.tottime_per_call, s.cumtime_per_call]
            .into_iter()
            .flatten()
        {
            put_f(out, t);
        }
        put_f(out, s.share_pct);
    }
    let d = &r.delta;
    if let Some(n) = d.ncalls {
        put_z(out, n);
    }
    put_f(out, d.tottime);
    put_f(out, d.cumtime);
    if let Some(p) = d.pct {
        put_f(out, p);
    }
    put_f(out, d.share_pp);
    for t in [r.ratio.tottime, r.ratio.cumtime].into_iter().flatten() {
        put_f(out, t);
    }
}

fn decode_row(r: &mut Reader, strings: &[&str]) -> Result<Row, WireError> {
    let flags = r.byte("row")?;
    let status = *Status::ALL
        .get(usize::from(flags & 7))
        .ok_or_else(|| r.error("unknown status"))?;
    let match_kind = match (flags >> 3) & 7 {
        0 => None,
        1 => Some(MatchKind::Exact),
        2 => Some(MatchKind::Moved),
        3 => Some(MatchKind::Path),
        4 => Some(MatchKind::Address),
        _ => return Err(r.error("unknown match kind")),
    };
    let bits = u16::from_le_bytes([r.byte("row")?, r.byte("row")?]);
    if bits >> 14 != 0 {
        return Err(r.error("unknown row fields"));
    }
    let function = r.key(strings)?;
    let baseline_function = if flags & (1 << 6) != 0 {
        Some(r.key(strings)?)
    } else {
        None
    };
    let display = if flags & (1 << 7) != 0 {
        String::from(r.string(strings)?)
    } else {
        let mut s = String::with_capacity(function.file.len() + function.name.len() + 8);
        write_display(&function.file, function.line, &function.name, &mut s);
        s
    };
    let has = |bit: u16| bits & bit != 0;
    let mut side = |present: u16, first: u32| -> Result<Option<SideStats>, WireError> {
        if !has(present) {
            return Ok(None);
        }
        let opt = |i: u32| bits & (1 << (first + i)) != 0;
        let ncalls = if opt(0) { Some(r.z()?) } else { None };
        let pcalls = if opt(1) { Some(r.z()?) } else { None };
        let (tottime, cumtime) = (r.f()?, r.f()?);
        let tottime_per_call = if opt(2) { Some(r.f()?) } else { None };
        let cumtime_per_call = if opt(3) { Some(r.f()?) } else { None };
        Ok(Some(SideStats {
            ncalls,
            pcalls,
            tottime,
            cumtime,
            tottime_per_call,
            cumtime_per_call,
            share_pct: r.f()?,
        }))
    };
    let baseline = side(HAS_BASELINE, BASELINE_OPT)?;
    let candidate = side(HAS_CANDIDATE, CANDIDATE_OPT)?;
    let ncalls = if has(HAS_DELTA_NCALLS) {
        Some(r.z()?)
    } else {
        None
    };
    let (tottime, cumtime) = (r.f()?, r.f()?);
    let pct = if has(HAS_DELTA_PCT) {
        Some(r.f()?)
    } else {
        None
    };
    let delta = Delta {
        ncalls,
        tottime,
        cumtime,
        pct,
        share_pp: r.f()?,
    };
    let ratio = Ratio {
        tottime: if has(HAS_RATIO_TOTTIME) {
            Some(r.f()?)
        } else {
            None
        },
        cumtime: if has(HAS_RATIO_CUMTIME) {
            Some(r.f()?)
        } else {
            None
        },
    };
    Ok(Row {
        function,
        display,
        status,
        match_kind,
        baseline_function,
        baseline,
        candidate,
        delta,
        ratio,
        positions: (None, None),
    })
}

fn put_v(out: &mut Vec<u8>, mut n: u64) {
    while n >= 0x80 {
        out.push(n as u8 | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

fn put_z(out: &mut Vec<u8>, n: i64) {
    put_v(out, ((n << 1) ^ (n >> 63)) as u64);
}

fn put_f(out: &mut Vec<u8>, x: f64) {
    out.extend_from_slice(&x.to_le_bytes());
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn error(&self, what: &'static str) -> WireError {
        WireError { at: self.at, what }
    }

    fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], WireError> {
        let end = self
            .at
            .checked_add(n)
            .filter(|&e| e <= self.bytes.len())
            .ok_or_else(|| self.error(what))?;
        let s = &self.bytes[self.at..end];
        self.at = end;
        Ok(s)
    }

    fn byte(&mut self, what: &'static str) -> Result<u8, WireError> {
        Ok(self.take(1, what)?[0])
    }

    fn v(&mut self) -> Result<u64, WireError> {
        let mut n = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte("a number is cut short")?;
            if shift == 63 && b > 1 {
                return Err(self.error("a number is too large"));
            }
            n |= u64::from(b & 0x7f) << shift;
            if b < 0x80 {
                return Ok(n);
            }
        }
        Err(self.error("a number is too large"))
    }

    fn z(&mut self) -> Result<i64, WireError> {
        let n = self.v()?;
        Ok((n >> 1) as i64 ^ -((n & 1) as i64))
    }

    fn f(&mut self) -> Result<f64, WireError> {
        let b = self.take(8, "a number is cut short")?;
        Ok(f64::from_le_bytes(b.try_into().expect("8 bytes")))
    }

    /// A length or count of things at least `min_size` bytes each: never more than the
    /// bytes left can hold, so it is safe to allocate for.
    fn count(&mut self, min_size: usize, what: &'static str) -> Result<usize, WireError> {
        let n = self.v()?;
        let left = (self.bytes.len() - self.at) / min_size;
        usize::try_from(n)
            .ok()
            .filter(|&n| n <= left)
            .ok_or_else(|| self.error(what))
    }

    fn string<'s>(&mut self, strings: &[&'s str]) -> Result<&'s str, WireError> {
        let i = self.v()?;
        usize::try_from(i)
            .ok()
            .and_then(|i| strings.get(i).copied())
            .ok_or_else(|| self.error("a string index is out of range"))
    }

    fn key(&mut self, strings: &[&str]) -> Result<FunctionRef, WireError> {
        let file = Arc::from(self.string(strings)?);
        let line = self.z()?;
        let name = Arc::from(self.string(strings)?);
        Ok(FunctionRef { file, line, name })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::compare::{Options, compare};
    use crate::engine::profile::{Function, FunctionKey, Profile};

    /// Pyinstrument is told by counts of -1 (`nc` here).
    fn profile(fns: &[(&str, i64, &str, i64, f64)]) -> Profile {
        let functions: Vec<_> = fns
            .iter()
            .map(|&(file, line, name, nc, tt)| Function {
                key: FunctionKey::new(file, line, name),
                cc: nc,
                nc,
                tt,
                ct: tt * 2.0,
                callers: Vec::new(),
            })
            .collect();
        Profile::from_functions(functions)
    }

    /// Every kind of row: exact, moved, path and address matches, new, removed, a builtin,
    /// pyinstrument's missing counts, zero baselines (no ratio, no percent), a non-ASCII
    /// name, and a row whose display is not the derived one.
    fn sample() -> Comparison {
        let a = profile(&[
            ("/a/app/m.py", 10, "f", 3, 0.5),
            ("/a/app/m.py", 20, "moved", 1, 0.25),
            (
                "/old/venv/lib/python3.11/site-packages/pkg/x.py",
                5,
                "g",
                7,
                0.0,
            ),
            ("~", 0, "<built-in method builtins.len>", 100, 0.01),
            ("~", 0, "<method 'f' of 'X' objects at 0x7f0011>", 1, 0.2),
            ("/a/app/m.py", 30, "gone", 1, 1.0),
            ("/a/app/ü.py", 1, "naïve", 2, 0.125),
        ]);
        let b = profile(&[
            ("/a/app/m.py", 10, "f", 4, 0.75),
            ("/a/app/m.py", 25, "moved", 1, 0.25),
            (
                "/new/venv/lib/python3.11/site-packages/pkg/x.py",
                5,
                "g",
                9,
                0.5,
            ),
            ("~", 0, "<built-in method builtins.len>", 90, 0.01),
            ("~", 0, "<method 'f' of 'X' objects at 0x7f9922>", 1, 0.1),
            ("/a/app/m.py", 40, "added", 1, 2.0),
            ("/a/app/ü.py", 1, "naïve", 2, 0.0625),
        ]);
        let mut c = compare(&a, &b, &Options::default());
        c.rows[0].display = "not the derived name".into();
        let mut rows = c.rows.clone();
        rows.extend(
            compare(
                &profile(&[("x.py", 1, "p", -1, 0.5)]),
                &profile(&[("x.py", 1, "p", -1, 0.7)]),
                &Options::default(),
            )
            .rows,
        );
        c.rows = rows;
        c
    }

    fn without_positions(mut c: Comparison) -> Comparison {
        for r in &mut c.rows {
            r.positions = (None, None);
        }
        c
    }

    #[test]
    fn round_trip_keeps_every_field() {
        let c = sample();
        let kinds: Vec<_> = c.rows.iter().map(|r| r.match_kind).collect();
        for k in [
            None,
            Some(MatchKind::Exact),
            Some(MatchKind::Moved),
            Some(MatchKind::Path),
            Some(MatchKind::Address),
        ] {
            assert!(kinds.contains(&k), "the sample lacks {k:?}");
        }
        assert!(
            c.rows
                .iter()
                .any(|r| r.baseline.as_ref().is_some_and(|s| s.ncalls.is_none()))
        );
        assert!(
            c.rows
                .iter()
                .any(|r| r.ratio.tottime.is_none() && r.baseline.is_some())
        );
        let back = decode(&encode(&c)).unwrap();
        assert_eq!(back, without_positions(c.clone()));
        // Bit for bit: the same JSON as the contract's.
        assert_eq!(
            serde_json::to_string(&back).unwrap(),
            serde_json::to_string(&c).unwrap()
        );
    }

    #[test]
    fn files_and_names_are_written_once() {
        let mut c = sample();
        let row = c.rows[1].clone();
        c.rows = vec![row; 1000];
        // (The summary's top lists name functions too.)
        c.summary.top_regressions.clear();
        c.summary.top_improvements.clear();
        let bytes = encode(&c);
        let file = c.rows[0].function.file.as_bytes();
        let times = bytes.windows(file.len()).filter(|w| *w == file).count();
        assert_eq!(times, 1);
        let json = serde_json::to_vec(&c).unwrap().len();
        assert!(bytes.len() * 4 < json, "{} bytes, JSON {json}", bytes.len());
    }

    #[test]
    fn every_cut_and_every_flipped_byte_fails_cleanly() {
        let bytes = encode(&sample());
        for n in 0..bytes.len() {
            assert!(decode(&bytes[..n]).is_err(), "cut at {n}");
        }
        let mut extra = bytes.clone();
        extra.push(0);
        assert!(decode(&extra).is_err());
        // Flipped bytes may still decode (a number is any number); they must not panic.
        for i in 0..bytes.len() {
            for bit in [0x01, 0x40, 0x80] {
                let mut b = bytes.clone();
                b[i] ^= bit;
                let _ = decode(&b);
            }
        }
    }

    #[test]
    fn huge_counts_are_refused_before_allocating() {
        let mut b = MAGIC.to_vec();
        put_v(&mut b, 2);
        b.extend_from_slice(b"{}");
        assert!(
            decode(&b).is_err(),
            "an empty summary object is not a summary"
        );
        let mut b = MAGIC.to_vec();
        put_v(&mut b, u64::MAX);
        let e = decode(&b).unwrap_err();
        assert_eq!(e.what, "summary length");
        let summary = serde_json::to_vec(&sample().summary).unwrap();
        let mut b = MAGIC.to_vec();
        put_v(&mut b, summary.len() as u64);
        b.extend_from_slice(&summary);
        put_v(&mut b, 0);
        put_v(&mut b, 1 << 40);
        assert_eq!(decode(&b).unwrap_err().what, "row count");
    }
}
