//! pstats' text reports, byte for byte: `print_stats`, `print_callers`, `print_callees`.
//!
//! This mirrors `Lib/pstats.py` (identical from CPython 3.6 to 3.13 in everything printed),
//! including its quirks: `Stats(a, b, c)` adds `c` before `b`; sort-key abbreviations are
//! accepted only where unique (so `cum` is refused: `cumtime` and `cumulative` share it);
//! ties keep dump order; restrictions apply in the order given.

use std::collections::HashMap;
use std::fmt::Write;
use std::sync::{Arc, OnceLock};

use regex::Regex;

use super::profile::{CallerStats, FunctionKey, Profile};
use super::py2dict::{self, Py2Dict, key_hash};
use super::pyfmt::{
    bytes_repr, f8, float_repr, push_f8, push_int_right, push_ratio_right, str_repr,
};

/// A column pstats can sort on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Field {
    Pcalls,
    Calls,
    Time,
    Cumulative,
    File,
    Line,
    Name,
    StdName,
}

/// A sort word: its fields with direction (-1 descending), and its description.
type SortDef = (&'static str, &'static [(Field, i8)], &'static str);

/// `sort_arg_dict_default`, in pstats' order (the order decides which prefixes clash).
const SORT_KEYS: &[SortDef] = &[
    ("calls", &[(Field::Calls, -1)], "call count"),
    ("ncalls", &[(Field::Calls, -1)], "call count"),
    ("cumtime", &[(Field::Cumulative, -1)], "cumulative time"),
    ("cumulative", &[(Field::Cumulative, -1)], "cumulative time"),
    ("filename", &[(Field::File, 1)], "file name"),
    ("line", &[(Field::Line, 1)], "line number"),
    ("module", &[(Field::File, 1)], "file name"),
    ("name", &[(Field::Name, 1)], "function name"),
    (
        "nfl",
        &[(Field::Name, 1), (Field::File, 1), (Field::Line, 1)],
        "name/file/line",
    ),
    ("pcalls", &[(Field::Pcalls, -1)], "primitive call count"),
    ("stdname", &[(Field::StdName, 1)], "standard name"),
    ("time", &[(Field::Time, -1)], "internal time"),
    ("tottime", &[(Field::Time, -1)], "internal time"),
];

/// A parsed sort key (one word as `sort_stats` takes it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SortKey {
    fields: &'static [(Field, i8)],
    description: &'static str,
}

/// An unknown or ambiguous sort key.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown or ambiguous sort key '{word}' (use one of: {})", valid_sort_keys().join(", "))]
pub struct SortKeyError {
    pub word: String,
}

/// The full names pstats accepts (any unique prefix works too).
pub fn valid_sort_keys() -> Vec<&'static str> {
    let mut keys: Vec<&str> = SORT_KEYS.iter().map(|(w, _, _)| *w).collect();
    keys.push("file");
    keys.sort_unstable();
    keys
}

impl SortKey {
    /// Resolves a word with pstats' `get_sort_arg_defs` rules: a prefix counts only if no
    /// earlier key's prefix chain reached it first.
    pub fn parse(word: &str) -> Result<SortKey, SortKeyError> {
        let mut seen: HashMap<&str, usize> = HashMap::new();
        let mut bad: Vec<&str> = Vec::new();
        for (i, (full, _, _)) in SORT_KEYS.iter().enumerate() {
            let mut end = full.len();
            while end > 0 {
                let fragment = &full[..end];
                if seen.contains_key(fragment) {
                    bad.push(fragment);
                    break;
                }
                seen.insert(fragment, i);
                end -= 1;
            }
        }
        match seen.get(word) {
            Some(&i) if !bad.contains(&word) => {
                let (_, fields, description) = SORT_KEYS[i];
                Ok(SortKey {
                    fields,
                    description,
                })
            }
            _ => Err(SortKeyError {
                word: word.to_string(),
            }),
        }
    }
}

/// An argument to a print method: a line count, a fraction of the list, or a regex that
/// the function's display name must contain.
#[derive(Clone, Debug, PartialEq)]
pub enum Restriction {
    Count(i64),
    Fraction(f64),
    Regex(String),
}

impl Restriction {
    /// Reads a `--limit` value as Python would read the literal: `10` is an int, `0.5` a
    /// float.
    pub fn parse_amount(s: &str) -> Option<Restriction> {
        if let Ok(n) = s.parse::<i64>() {
            return Some(Restriction::Count(n));
        }
        s.parse::<f64>()
            .ok()
            .filter(|f| f.is_finite())
            .map(Restriction::Fraction)
    }

    /// `%r` of the argument; Python 2's `str` is bytes, so non-ASCII shows as `\xNN`.
    fn repr(&self, python2: bool) -> String {
        match self {
            Restriction::Count(n) => n.to_string(),
            Restriction::Fraction(f) => float_repr(*f),
            Restriction::Regex(s) if python2 => bytes_repr(s.as_bytes()),
            Restriction::Regex(s) => str_repr(s),
        }
    }
}

/// One loaded dump: the line pstats prints for it (`"<ctime>    <path>"`) and its profile.
pub struct Source {
    pub label: String,
    /// Shared: a report of one profile (the common case, and the server's, which caches
    /// parsed profiles) never copies it.
    pub profile: Arc<Profile>,
}

/// The state of a `pstats.Stats` object.
pub struct Report {
    files: Vec<String>,
    profile: Arc<Profile>,
    /// Length of each function's pstats name, in characters (what `ljust` counts), and
    /// the longest: worked out when a callers or callees listing first needs them. The
    /// names themselves are written straight into the output when printed.
    name_len: OnceLock<(Vec<usize>, usize)>,
    total_calls: i64,
    prim_calls: i64,
    total_tt: f64,
    /// Print as Python 2.7's pstats (every source was a Python 2 dump).
    python2: bool,
    /// `fcn_list` and `sort_type` once sorted.
    order: Option<(Vec<usize>, String)>,
    /// `self.stats`' iteration order (positions into the profile's functions): the dump's
    /// order for Python 3 (dicts keep insertion order), the hash-table order of a Python
    /// 2.7 dict for Python 2 reports, which decides ties in sorts and the unsorted listing.
    dict_order: Vec<usize>,
}

/// A Python 2 dict of these keys inserted in this order, or `None` when a key cannot be
/// hashed as Python 2 did.
fn py2_dict<'a>(keys: impl Iterator<Item = &'a FunctionKey>) -> Option<Py2Dict<FunctionKey>> {
    let mut d = Py2Dict::default();
    for k in keys {
        d.insert(key_hash(k)?, k.clone());
    }
    Some(d)
}

impl Report {
    /// `pstats.Stats(first, *rest)`: loads the first source, then adds the rest in
    /// reverse order, as `Stats.add` iterates `reversed(arg_list)`.
    ///
    /// # Panics
    /// Never; an empty `sources` gives an empty report.
    pub fn new(mut sources: Vec<Source>) -> Report {
        let rest = if sources.is_empty() {
            Vec::new()
        } else {
            sources.split_off(1)
        };
        let mut report = match sources.pop() {
            Some(first) => Report::single(first),
            None => Report::single(Source {
                label: String::new(),
                profile: Arc::default(),
            }),
        };
        if report.files == [String::new()] {
            report.files.clear();
        }
        // Python 2: the merged dict's table, as `Stats.add` fills it (each added file's keys
        // in its own dict's order).
        let mut dict = if report.python2 {
            py2_dict(report.profile.functions().iter().map(|f| &f.key))
        } else {
            None
        };
        for item in rest.into_iter().rev() {
            let item = Report::single(item);
            report.python2 &= item.python2;
            if let Some(d) = &mut dict {
                let funcs = item.profile.functions();
                let mut hashed = true;
                for &i in &item.dict_order {
                    match key_hash(&funcs[i].key) {
                        Some(h) => d.insert(h, funcs[i].key.clone()),
                        None => hashed = false,
                    }
                }
                if !hashed || !item.python2 {
                    dict = None;
                }
            }
            report.files.extend(item.files);
            report.total_calls = report.total_calls.saturating_add(item.total_calls);
            report.prim_calls = report.prim_calls.saturating_add(item.prim_calls);
            report.total_tt += item.total_tt;
            // Copied only here, when several files are merged into the first.
            Arc::make_mut(&mut report.profile).merge(&item.profile);
        }
        report.dict_order = match dict {
            Some(d) if report.python2 => d
                .values()
                .filter_map(|k| report.profile.position(k))
                .collect(),
            _ => (0..report.profile.len()).collect(),
        };
        report
    }

    fn single(source: Source) -> Report {
        let p = source.profile;
        let dict_order = p
            .is_python2()
            .then(|| {
                let keys: Vec<&FunctionKey> = p.functions().iter().map(|f| &f.key).collect();
                py2dict::iteration_order(&keys)
            })
            .flatten()
            .unwrap_or_else(|| (0..p.len()).collect());
        Report {
            dict_order,
            python2: p.is_python2(),
            files: vec![source.label],
            total_calls: p.total_calls(),
            prim_calls: p.primitive_calls(),
            total_tt: p.total_time(),
            profile: p,
            name_len: OnceLock::new(),
            order: None,
        }
    }

    fn name_lengths(&self) -> &(Vec<usize>, usize) {
        self.name_len.get_or_init(|| {
            let lens: Vec<usize> = self
                .profile
                .functions()
                .iter()
                .map(|f| f.key.display_len())
                .collect();
            let max = lens.iter().copied().max().unwrap_or(0);
            (lens, max)
        })
    }

    /// The name column's width for a listing of `list` (pstats' `max_name_len` + 2).
    fn name_width(&self, list: &[usize]) -> usize {
        let (lens, max) = self.name_lengths();
        let width = if list.len() < lens.len() {
            list.iter().map(|&i| lens[i]).max().unwrap_or(0)
        } else {
            *max
        };
        width + 2
    }

    fn display_names(&self) -> Vec<String> {
        self.profile
            .functions()
            .iter()
            .map(|f| f.key.display())
            .collect()
    }

    pub fn profile(&self) -> &Profile {
        &self.profile
    }

    /// `strip_dirs()`: totals stay as loaded; the order is forgotten.
    pub fn strip_dirs(&mut self) {
        let stripped = self.profile.strip_dirs();
        // `newstats = {}` filled walking the old dict: Python 2's table order of the
        // stripped keys inserted in the old iteration order.
        let funcs = self.profile.functions();
        let order = if self.python2 {
            let keys: Vec<FunctionKey> = self
                .dict_order
                .iter()
                .map(|&i| funcs[i].key.strip_path())
                .collect();
            py2_dict(keys.iter())
        } else {
            None
        };
        // Python 3 keeps insertion order: the stripped profile's own order.
        self.dict_order = match order {
            Some(d) => d.values().filter_map(|k| stripped.position(k)).collect(),
            None => (0..stripped.len()).collect(),
        };
        self.profile = Arc::new(stripped);
        self.order = None;
        self.name_len = OnceLock::new();
    }

    /// `sort_stats(*keys)`; no keys forgets the order.
    pub fn sort(&mut self, keys: &[SortKey]) {
        if keys.is_empty() {
            self.order = None;
            return;
        }
        let fields: Vec<(Field, i8)> = keys.iter().flat_map(|k| k.fields.iter().copied()).collect();
        let description = keys
            .iter()
            .map(|k| k.description)
            .collect::<Vec<_>>()
            .join(", ");
        // One column of order-preserving u64 keys per field (direction folded in), so the
        // comparisons below are plain integer compares.
        let columns: Vec<Vec<u64>> = fields
            .iter()
            .map(|&(field, dir)| self.sort_column(field, dir))
            .collect();
        let mut order: Vec<usize> = self.dict_order.clone();
        match &columns[..] {
            [only] => order.sort_by_key(|&i| only[i]),
            _ => order.sort_by(|&a, &b| {
                columns
                    .iter()
                    .map(|c| c[a].cmp(&c[b]))
                    .find(|o| o.is_ne())
                    .unwrap_or(std::cmp::Ordering::Equal)
            }),
        }
        self.order = Some((order, description));
    }

    /// Sort keys for one field: comparing them as integers orders functions as pstats'
    /// comparisons would (ascending for `dir` 1, descending for -1).
    fn sort_column(&self, field: Field, dir: i8) -> Vec<u64> {
        let funcs = self.profile.functions();
        // f64 -> u64 preserving order; Python treats -0.0 as 0.0 (hence `+ 0.0`).
        let float = |x: f64| {
            let bits = (x + 0.0).to_bits();
            if bits >> 63 == 1 {
                !bits
            } else {
                bits | 1 << 63
            }
        };
        let int = |x: i64| (x as u64) ^ (1 << 63);
        // Strings: their rank among the distinct values.
        fn rank(texts: Vec<&str>) -> Vec<u64> {
            let mut distinct = texts.clone();
            distinct.sort_unstable();
            distinct.dedup();
            texts
                .iter()
                .map(|t| distinct.binary_search(t).unwrap_or(0) as u64)
                .collect()
        }
        let column: Vec<u64> = match field {
            Field::Pcalls => funcs.iter().map(|f| int(f.cc)).collect(),
            Field::Calls => funcs.iter().map(|f| int(f.nc)).collect(),
            Field::Time => funcs.iter().map(|f| float(f.tt)).collect(),
            Field::Cumulative => funcs.iter().map(|f| float(f.ct)).collect(),
            Field::Line => funcs.iter().map(|f| int(f.key.line)).collect(),
            Field::File => rank(funcs.iter().map(|f| &*f.key.file).collect()),
            Field::Name => rank(funcs.iter().map(|f| &*f.key.name).collect()),
            Field::StdName => {
                let names = self.display_names();
                rank(names.iter().map(String::as_str).collect())
            }
        };
        if dir < 0 {
            column.into_iter().map(|k| !k).collect()
        } else {
            column
        }
    }

    /// `reverse_order()`.
    pub fn reverse(&mut self) {
        if let Some((order, _)) = &mut self.order {
            order.reverse();
        }
    }

    /// The functions a print method would list, in order, after the restrictions.
    pub fn selected(&self, restrictions: &[Restriction]) -> Vec<usize> {
        let mut ignored = String::new();
        self.print_list(&mut ignored, restrictions)
    }

    /// `get_print_list`: applies the restrictions and writes the ordering message (only
    /// when something is left). Returns the name column width and the chosen functions.
    fn print_list(&self, out: &mut String, restrictions: &[Restriction]) -> Vec<usize> {
        let (mut list, mut msg) = match &self.order {
            Some((order, description)) if !order.is_empty() => {
                (order.clone(), format!("   Ordered by: {description}\n"))
            }
            _ => (
                self.dict_order.clone(),
                "   Random listing order was used\n".to_string(),
            ),
        };
        let mut names: Option<Vec<String>> = None;
        for sel in restrictions {
            let before = list.len();
            match sel {
                Restriction::Regex(pattern) => match Regex::new(pattern) {
                    Ok(rex) => {
                        let names = names.get_or_insert_with(|| self.display_names());
                        list.retain(|&i| rex.is_match(&names[i]));
                    }
                    Err(_) => {
                        let _ = writeln!(
                            msg,
                            "   <Invalid regular expression {}>",
                            sel.repr(self.python2)
                        );
                        continue;
                    }
                },
                Restriction::Fraction(f) if (0.0..1.0).contains(f) => {
                    let count = (before as f64 * f + 0.5) as usize;
                    list.truncate(count);
                }
                Restriction::Count(n) if *n >= 0 && (*n as usize) < before => {
                    list.truncate(*n as usize)
                }
                _ => {}
            }
            if list.len() != before {
                let _ = writeln!(
                    msg,
                    "   List reduced from {before} to {} due to restriction <{}>",
                    list.len(),
                    sel.repr(self.python2)
                );
            }
        }
        if list.is_empty() {
            return list;
        }
        out.push_str(&msg);
        out.push('\n');
        list
    }

    /// `print_stats(*restrictions)`.
    pub fn print_stats(&self, restrictions: &[Restriction]) -> String {
        let mut out = String::new();
        for file in &self.files {
            out.push_str(file);
            out.push('\n');
        }
        if !self.files.is_empty() {
            out.push('\n');
        }
        let indent = "        ";
        let jprofile = FunctionKey::new("jprofile", 0, "profiler");
        for f in self.profile.functions() {
            if f.callers.iter().any(|(k, _)| *k == jprofile) {
                let _ = writeln!(out, "{indent} {}", f.key.name);
            }
        }
        let _ = write!(out, "{indent} {} function calls ", self.total_calls);
        if self.total_calls != self.prim_calls {
            let _ = write!(out, "({} primitive calls) ", self.prim_calls);
        }
        let _ = writeln!(out, "in {:.3} seconds", self.total_tt);
        out.push('\n');
        let list = self.print_list(&mut out, restrictions);
        if !list.is_empty() {
            out.push_str(
                "   ncalls  tottime  percall  cumtime  percall filename:lineno(function)\n",
            );
            // One allocation: 46 bytes of numbers a line (more only for huge counts), the
            // name and up to 24 bytes of line number and punctuation.
            let functions = self.profile.functions();
            out.reserve(
                list.iter()
                    .map(|&i| 70 + functions[i].key.file.len() + functions[i].key.name.len())
                    .sum(),
            );
            // The lines go in sorted order, all over the functions and their strings:
            // ask for them a few lines ahead (the struct 16, its strings 8).
            for (n, &i) in list.iter().enumerate() {
                if let Some(&j) = list.get(n + 16) {
                    super::prefetch(&functions[j]);
                }
                if let Some(&j) = list.get(n + 8) {
                    functions[j].key.prefetch_text();
                }
                self.print_line(&mut out, i);
            }
            out.push_str("\n\n");
        }
        out
    }

    fn print_line(&self, out: &mut String, i: usize) {
        let f = &self.profile.functions()[i];
        if f.nc == f.cc {
            push_int_right(out, f.nc, 9);
        } else {
            push_ratio_right(out, f.nc, f.cc, 9);
        }
        out.push(' ');
        push_f8(out, f.tt);
        out.push(' ');
        if f.nc == 0 {
            out.push_str("         ");
        } else {
            push_f8(out, f.tt / f.nc as f64);
            out.push(' ');
        }
        push_f8(out, f.ct);
        out.push(' ');
        if f.cc == 0 {
            out.push_str("         ");
        } else {
            push_f8(out, f.ct / f.cc as f64);
            out.push(' ');
        }
        self.profile.functions()[i].key.write_display(out);
        out.push('\n');
    }

    /// `print_callers(*restrictions)`.
    pub fn print_callers(&self, restrictions: &[Restriction]) -> String {
        let mut out = String::new();
        let list = self.print_list(&mut out, restrictions);
        if !list.is_empty() {
            let width = self.name_width(&list);
            self.call_heading(&mut out, width, "was called by...");
            for &i in &list {
                let f = &self.profile.functions()[i];
                let calls: Vec<(&FunctionKey, &CallerStats)> =
                    f.callers.iter().map(|(k, s)| (k, s)).collect();
                self.call_line(&mut out, width, i, calls, "<-");
            }
            out.push_str("\n\n");
        }
        out
    }

    /// `print_callees(*restrictions)`.
    pub fn print_callees(&self, restrictions: &[Restriction]) -> String {
        let mut out = String::new();
        let list = self.print_list(&mut out, restrictions);
        if !list.is_empty() {
            let width = self.name_width(&list);
            let mut callees = self.profile.callee_index();
            self.call_heading(&mut out, width, "called...");
            for &i in &list {
                let key = &self.profile.functions()[i].key;
                let calls = callees
                    .remove(key)
                    .unwrap_or_default()
                    .into_iter()
                    .map(|(f, s)| (&f.key, s))
                    .collect();
                self.call_line(&mut out, width, i, calls, "->");
            }
            out.push_str("\n\n");
        }
        out
    }

    fn call_heading(&self, out: &mut String, width: usize, title: &str) {
        let _ = writeln!(out, "{:<width$}{title}", "Function ");
        let first = self
            .profile
            .functions()
            .iter()
            .find_map(|f| f.callers.first());
        if let Some((_, CallerStats::Full { .. })) = first {
            let _ = writeln!(out, "{:width$}    ncalls  tottime  cumtime", "");
        }
    }

    fn call_line(
        &self,
        out: &mut String,
        width: usize,
        source: usize,
        mut calls: Vec<(&FunctionKey, &CallerStats)>,
        arrow: &str,
    ) {
        self.profile.functions()[source].key.write_display(out);
        let pad = width.saturating_sub(self.name_lengths().0[source]);
        out.extend(std::iter::repeat_n(' ', pad));
        out.push_str(arrow);
        if calls.is_empty() {
            // Python 3 prints `end=' '` before the newline; Python 2's soft space does not.
            out.push_str(if self.python2 { "\n" } else { " \n" });
            return;
        }
        out.push(' ');
        calls.sort_by(|a, b| a.0.cmp(b.0));
        let mut indent = 0;
        for (key, stats) in calls {
            let name = key.display();
            let (substats, left_width) = match *stats {
                CallerStats::Full { nc, cc, tt, ct } => {
                    let counts = if nc != cc {
                        format!("{nc}/{cc}")
                    } else {
                        nc.to_string()
                    };
                    let w = 7 + 2 * indent;
                    (
                        format!("{counts:>w$} {} {}  {name}", f8(tt), f8(ct)),
                        width + 1,
                    )
                }
                CallerStats::Count(n) => {
                    let ct = self.profile.get(key).map_or(0.0, |f| f.ct);
                    (format!("{name}({n}) {}", f8(ct)), width + 3)
                }
            };
            let _ = writeln!(out, "{:pad$}{substats}", "", pad = indent * left_width);
            indent = 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sort_key_prefixes_follow_pstats() {
        assert!(SortKey::parse("tot").is_ok());
        assert!(SortKey::parse("cu").is_ok());
        assert!(SortKey::parse("file").is_ok());
        assert!(SortKey::parse("nf").is_ok());
        // Clashing prefixes are refused, exactly as pstats does.
        for word in ["cum", "c", "n", "t", "x", ""] {
            assert!(SortKey::parse(word).is_err(), "{word}");
        }
        assert_eq!(
            SortKey::parse("cumulative").unwrap().description,
            "cumulative time"
        );
    }

    #[test]
    fn amounts() {
        assert_eq!(
            Restriction::parse_amount("10"),
            Some(Restriction::Count(10))
        );
        assert_eq!(
            Restriction::parse_amount("0.5"),
            Some(Restriction::Fraction(0.5))
        );
        assert_eq!(Restriction::parse_amount("x"), None);
    }
}
