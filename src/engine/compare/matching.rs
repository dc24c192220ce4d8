//! Which function in one profile is which in another.
//!
//! Exact keys first. What is left is matched on a *loose key*: the file after path
//! normalisation (separators, drive-letter case, the checkout root, virtualenv /
//! site-packages and stdlib roots) and the name with memory addresses masked; among
//! candidates with the same loose key the nearest line number wins (a function that moved).

use std::borrow::Cow;
use std::collections::{BTreeSet, HashMap};
use std::hash::BuildHasher;

use serde::{Deserialize, Serialize};

use crate::engine::profile::{Function, Profile};

/// How a row's two sides were paired.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MatchKind {
    /// Same file, line and name.
    Exact,
    /// Same file and name, another line.
    Moved,
    /// Same name in the same file once paths are normalised (another checkout, OS, venv).
    Path,
    /// Same builtin, named with another memory address.
    Address,
}

impl MatchKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MatchKind::Exact => "exact",
            MatchKind::Moved => "moved",
            MatchKind::Path => "path",
            MatchKind::Address => "address",
        }
    }
}

/// Pairs of positions: `(baseline, candidate, how)`; one side is `None` for functions
/// only one profile has. Candidate order first, then baseline-only functions.
#[derive(Clone, Debug, Default)]
pub struct Matching {
    pub pairs: Vec<(Option<usize>, Option<usize>, Option<MatchKind>)>,
}

/// Matches `candidate`'s functions to `baseline`'s.
pub fn match_profiles(baseline: &Profile, candidate: &Profile) -> Matching {
    match_with::<foldhash::fast::RandomState>(baseline, candidate)
}

/// [`match_profiles`] with loose keys hashed by `S` (tests give every key one hash).
fn match_with<S: BuildHasher + Default>(baseline: &Profile, candidate: &Profile) -> Matching {
    let (bases, cands) = (baseline.functions(), candidate.functions());
    let mut pairs = Vec::with_capacity(cands.len().max(bases.len()));
    let mut base_taken = vec![false; bases.len()];
    let mut cand_pair: Vec<Option<(usize, MatchKind)>> = vec![None; cands.len()];
    // Every file name of both sides as an id of its text: an exact match needs the same
    // file, so a candidate whose file the baseline lacks (another checkout root: most
    // functions of such a pair) skips the lookup that would hash its whole key for nothing.
    let mut files = FileIds::default();
    let base_files = files.of(baseline);
    let cand_files = files.of(candidate);
    let mut in_base = vec![false; files.len()];
    base_files
        .iter()
        .for_each(|&id| in_base[id as usize] = true);
    // The lookups, pipelined: each candidate key hashed (its strings asked for 8 ahead),
    // then the baseline function it most likely names asked for 16 keys ahead and that
    // function's strings 8 ahead, so that comparing the keys finds them at hand.
    let looked: Vec<usize> = (0..cands.len())
        .filter(|&j| in_base[cand_files[j] as usize])
        .collect();
    let hashes: Vec<u64> = looked
        .iter()
        .enumerate()
        .map(|(n, &j)| {
            if let Some(&g) = looked.get(n + 8) {
                cands[g].key.prefetch_text();
            }
            baseline.key_hash(&cands[j].key)
        })
        .collect();
    let likely = |n: usize| hashes.get(n).and_then(|&h| baseline.likely_position(h));
    for (n, (&j, &hash)) in looked.iter().zip(&hashes).enumerate() {
        if let Some(i) = likely(n + 16) {
            crate::engine::prefetch_all(&bases[i]);
        }
        if let Some(i) = likely(n + 8) {
            bases[i].key.prefetch_text();
        }
        if let Some(i) = baseline.position_hashed(hash, &cands[j].key) {
            base_taken[i] = true;
            cand_pair[j] = Some((i, MatchKind::Exact));
        }
    }
    if cand_pair.iter().any(Option::is_none) && base_taken.iter().any(|t| !t) {
        let mut normal = NormalIds::default();
        let base_norm = normal.of(&files, &base_files, &checkout_root(baseline));
        let cand_norm = normal.of(&files, &cand_files, &checkout_root(candidate));
        let lines: Vec<i64> = bases.iter().map(|f| f.key.line).collect();
        let unmatched = base_taken.iter().filter(|t| !**t).count();
        let mut loose = LooseMap::<S>::new(unmatched, bases, &base_norm, &lines);
        for (i, f) in bases.iter().enumerate() {
            if let Some(g) = bases.get(i + 8) {
                g.key.prefetch_text();
            }
            if !base_taken[i] {
                loose.insert(i, &mask_addresses(&f.key.name));
            }
        }
        for (j, f) in cands.iter().enumerate() {
            if let Some(g) = cands.get(j + 8) {
                g.key.prefetch_text();
            }
            if cand_pair[j].is_some() {
                continue;
            }
            let name = mask_addresses(&f.key.name);
            let Some(i) = loose.take_nearest(cand_norm[j], &name, f.key.line, &base_taken) else {
                continue;
            };
            let b = &bases[i].key;
            let kind = if b.name != f.key.name {
                MatchKind::Address
            } else if b.file == f.key.file {
                MatchKind::Moved
            } else {
                MatchKind::Path
            };
            base_taken[i] = true;
            cand_pair[j] = Some((i, kind));
        }
    }
    for (j, p) in cand_pair.into_iter().enumerate() {
        match p {
            Some((i, kind)) => pairs.push((Some(i), Some(j), Some(kind))),
            None => pairs.push((None, Some(j), None)),
        }
    }
    for (i, taken) in base_taken.into_iter().enumerate() {
        if !taken {
            pairs.push((Some(i), None, None));
        }
    }
    Matching { pairs }
}

/// The unmatched baseline functions by loose key: a normal file id and a masked name.
///
/// A table entry is 16 bytes (the key's hash, a member, a bucket) rather than the key
/// itself: 45,000 entries then fit in a core's cache, where a map of `(id, name)` keys and
/// buckets, four times the size, missed on most inserts and lookups. Keys are compared
/// through a member's function only when the 64-bit hashes agree, so whatever the hashes
/// do, two keys share an entry only when they are equal.
struct LooseMap<'a, S> {
    table: hashbrown::HashTable<LooseEntry>,
    hasher: S,
    /// Keys with more than one function.
    buckets: Vec<Bucket>,
    /// The baseline's functions, their normal file ids and lines.
    bases: &'a [Function],
    norm: &'a [u32],
    lines: &'a [i64],
}

#[derive(Clone, Copy)]
struct LooseEntry {
    hash: u64,
    /// A baseline position with this key (for comparing keys; it may since be taken).
    member: u32,
    /// `0`: `member` is the key's only function; else `buckets[bucket - 1]` holds them all.
    bucket: u32,
}

impl<'a, S: BuildHasher + Default> LooseMap<'a, S> {
    fn new(n: usize, bases: &'a [Function], norm: &'a [u32], lines: &'a [i64]) -> Self {
        LooseMap {
            table: hashbrown::HashTable::with_capacity(n),
            hasher: Default::default(),
            buckets: Vec::new(),
            bases,
            norm,
            lines,
        }
    }

    /// Adds baseline position `i` (in increasing order) under its key, `name` being its
    /// masked name.
    fn insert(&mut self, i: usize, name: &str) {
        let (bases, norm) = (self.bases, self.norm);
        let file = norm[i];
        let hash = self.hasher.hash_one((file, name));
        let is_key = |e: &LooseEntry| is_loose_key(e, hash, file, name, bases, norm);
        match self.table.entry(hash, is_key, |e| e.hash) {
            hashbrown::hash_table::Entry::Vacant(v) => {
                v.insert(LooseEntry {
                    hash,
                    member: i as u32,
                    bucket: 0,
                });
            }
            hashbrown::hash_table::Entry::Occupied(mut o) => {
                let e = o.get_mut();
                if e.bucket == 0 {
                    self.buckets.push(Bucket::One(e.member as usize));
                    e.bucket = self.buckets.len() as u32;
                }
                self.buckets[e.bucket as usize - 1].push(i, self.lines);
            }
        }
    }

    /// Removes and returns the untaken baseline position under `(file, name)` whose line is
    /// nearest to `line` (see [`Bucket::take_nearest`]); `taken` marks those a single-function
    /// key has lost.
    fn take_nearest(&mut self, file: u32, name: &str, line: i64, taken: &[bool]) -> Option<usize> {
        let hash = self.hasher.hash_one((file, name));
        let (bases, norm) = (self.bases, self.norm);
        let e = *self
            .table
            .find(hash, |e| is_loose_key(e, hash, file, name, bases, norm))?;
        match e.bucket {
            0 => (!taken[e.member as usize]).then_some(e.member as usize),
            b => self.buckets[b as usize - 1].take_nearest(line, self.lines),
        }
    }
}

/// Whether `e` is the entry of `(file, name)`: the hashes agree and so does a member's key.
fn is_loose_key(
    e: &LooseEntry,
    hash: u64,
    file: u32,
    name: &str,
    bases: &[Function],
    norm: &[u32],
) -> bool {
    let m = e.member as usize;
    e.hash == hash && norm[m] == file && mask_addresses(&bases[m].key.name) == name
}

/// Unmatched baseline functions that share a loose key. Most buckets hold one or two, and
/// are scanned; a big one (thousands of functions of one name in one file, at different
/// lines) is kept ordered by line, so that each lookup is logarithmic rather than a scan of
/// the bucket: no input makes matching quadratic.
enum Bucket {
    /// Most loose keys have one function: no allocation for them.
    One(usize),
    Small(Vec<usize>),
    Large(BTreeSet<(i64, usize)>),
}

impl Default for Bucket {
    fn default() -> Self {
        Bucket::Small(Vec::new())
    }
}

/// Buckets larger than this switch to the ordered form.
const SMALL_BUCKET: usize = 16;

impl Bucket {
    /// Adds baseline position `i`; positions come in increasing order. `lines[k]` is the
    /// line of baseline position `k`.
    fn push(&mut self, i: usize, lines: &[i64]) {
        match self {
            Bucket::Small(v) if v.is_empty() => *self = Bucket::One(i),
            Bucket::One(k) => *self = Bucket::Small(vec![*k, i]),
            Bucket::Small(v) if v.len() < SMALL_BUCKET => v.push(i),
            Bucket::Small(v) => {
                let mut set: BTreeSet<(i64, usize)> = v.iter().map(|&k| (lines[k], k)).collect();
                set.insert((lines[i], i));
                *self = Bucket::Large(set);
            }
            Bucket::Large(set) => {
                set.insert((lines[i], i));
            }
        }
    }

    /// Removes and returns the position whose line is nearest to `line`; among equally
    /// near ones, the first in the baseline's order.
    fn take_nearest(&mut self, line: i64, lines: &[i64]) -> Option<usize> {
        match self {
            Bucket::One(k) => {
                let k = *k;
                *self = Bucket::Small(Vec::new());
                Some(k)
            }
            Bucket::Small(v) => {
                let (slot, _) = v
                    .iter()
                    .enumerate()
                    .min_by_key(|(_, i)| lines[**i].abs_diff(line))?;
                Some(v.remove(slot))
            }
            Bucket::Large(set) => {
                // The nearest at or above `line`: smallest line, then smallest position.
                let above = set.range((line, 0)..).next().copied();
                // The nearest below: the largest line under `line`, its smallest position.
                let below = set
                    .range(..(line, 0))
                    .next_back()
                    .and_then(|&(l, _)| set.range((l, 0)..).next().copied());
                let pick = match (below, above) {
                    (Some(b), Some(a)) => {
                        let (db, da) = (b.0.abs_diff(line), a.0.abs_diff(line));
                        if db < da || (db == da && b.1 < a.1) {
                            b
                        } else {
                            a
                        }
                    }
                    (Some(x), None) | (None, Some(x)) => x,
                    (None, None) => return None,
                };
                set.remove(&pick);
                Some(pick.1)
            }
        }
    }
}

/// Ids of file names by their text, for both sides. Looked up by the string's address
/// first: a dump's reader shares one string among all the keys of a file, so most lookups
/// hash a pointer (or none, when consecutive functions share the file), not a path.
#[derive(Default)]
struct FileIds<'a> {
    by_addr: HashMap<usize, u32, foldhash::fast::RandomState>,
    by_name: HashMap<&'a str, u32, foldhash::fast::RandomState>,
    names: Vec<&'a str>,
}

impl<'a> FileIds<'a> {
    fn len(&self) -> usize {
        self.names.len()
    }

    /// The id of each of `profile`'s functions' files. The profiles outlive the map, so an
    /// address is never reused for another string while it is in it.
    fn of(&mut self, profile: &'a Profile) -> Vec<u32> {
        let mut last = (0usize, 0u32);
        profile
            .functions()
            .iter()
            .map(|f| {
                let addr = std::sync::Arc::as_ptr(&f.key.file) as *const u8 as usize;
                if addr == last.0 {
                    return last.1;
                }
                let id = match self.by_addr.get(&addr) {
                    Some(&id) => id,
                    None => {
                        let file: &'a str = &f.key.file;
                        let next = self.names.len() as u32;
                        let id = *self.by_name.entry(file).or_insert(next);
                        if id == next {
                            self.names.push(file);
                        }
                        self.by_addr.insert(addr, id);
                        id
                    }
                };
                last = (addr, id);
                id
            })
            .collect()
    }
}

/// Ids of normalised file names, shared by both sides.
#[derive(Default)]
struct NormalIds {
    ids: HashMap<String, u32, foldhash::fast::RandomState>,
}

impl NormalIds {
    /// The normal id of each function's file (`files[k]`, an id in `names`), each distinct
    /// file normalised once with the side's checkout `root`.
    fn of(&mut self, names: &FileIds<'_>, files: &[u32], root: &str) -> Vec<u32> {
        let mut by_file: Vec<Option<u32>> = vec![None; names.len()];
        files
            .iter()
            .map(|&f| {
                *by_file[f as usize].get_or_insert_with(|| {
                    let next = self.ids.len() as u32;
                    *self
                        .ids
                        .entry(normalize_path(names.names[f as usize], root))
                        .or_insert(next)
                })
            })
            .collect()
    }
}

/// Replaces hexadecimal addresses (`0x7f3a...`) with `0x?`; borrows when there are none.
pub fn mask_addresses(name: &str) -> Cow<'_, str> {
    // One pass over the bytes (two substring searches cost more on short names).
    let has_address = name
        .as_bytes()
        .windows(2)
        .any(|w| w[0] == b'0' && (w[1] | 0x20) == b'x');
    if !has_address {
        return Cow::Borrowed(name);
    }
    let bytes = name.as_bytes();
    let mut out = String::with_capacity(name.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'0'
            && matches!(bytes.get(i + 1), Some(b'x' | b'X'))
            && bytes.get(i + 2).is_some_and(u8::is_ascii_hexdigit)
        {
            out.push_str("0x?");
            i += 2;
            while bytes.get(i).is_some_and(u8::is_ascii_hexdigit) {
                i += 1;
            }
        } else {
            // Copy one UTF-8 character.
            let len = name[i..].chars().next().map_or(1, char::len_utf8);
            out.push_str(&name[i..i + len]);
            i += len;
        }
    }
    Cow::Owned(out)
}

/// `\\` as `/` and a lowercase drive letter; borrows when nothing changes.
fn slashes(path: &str) -> Cow<'_, str> {
    let b = path.as_bytes();
    let drive = b.len() >= 2 && b[1] == b':' && b[0].is_ascii_uppercase();
    if !drive && !path.contains('\\') {
        return Cow::Borrowed(path);
    }
    let mut p = path.replace('\\', "/");
    if drive {
        p[..1].make_ascii_lowercase();
    }
    Cow::Owned(p)
}

/// Where `needle` first occurs in `hay`. A scan of byte windows: paths are short, and
/// `str::find`'s searcher costs more to set up than this takes (normalising each distinct
/// file made four of them).
fn find_bytes(hay: &str, needle: &str) -> Option<usize> {
    hay.as_bytes()
        .windows(needle.len())
        .position(|w| w == needle.as_bytes())
}

/// Where `needle` last occurs in `hay` (see [`find_bytes`]).
fn rfind_bytes(hay: &str, needle: &str) -> Option<usize> {
    hay.as_bytes()
        .windows(needle.len())
        .rposition(|w| w == needle.as_bytes())
}

/// The last `/site-packages/` or `/dist-packages/` (as pip and Debian spell them, on every OS).
fn site_packages(p: &str) -> Option<&str> {
    ["/site-packages/", "/dist-packages/"]
        .iter()
        .filter_map(|m| rfind_bytes(p, m).map(|at| &p[at + m.len()..]))
        .next()
}

/// A path with the parts that differ between machines removed: separators and drive case,
/// everything up to `site-packages/` or `dist-packages/`, a stdlib prefix up to
/// `lib/pythonX.Y/`, and the profile's checkout root.
pub fn normalize_path(path: &str, root: &str) -> String {
    let p = slashes(path);
    if let Some(rest) = site_packages(&p) {
        return format!("site-packages:{rest}");
    }
    if let Some(rest) = stdlib_relative(&p) {
        return format!("stdlib:{rest}");
    }
    let p = p.strip_prefix("./").unwrap_or(&p);
    match p.strip_prefix(root) {
        Some(rest) if !root.is_empty() => rest.to_string(),
        _ => p.to_string(),
    }
}

/// The part after `/lib/pythonX.Y/` (POSIX; `Lib` on macOS frameworks) or `/Lib/` (Windows
/// installs, after a drive letter).
fn stdlib_relative(p: &str) -> Option<&str> {
    for marker in ["/lib/python", "/Lib/python"] {
        if let Some(at) = find_bytes(p, marker) {
            let after = &p[at + marker.len()..];
            let version_end = after.find('/')?;
            if after[..version_end]
                .chars()
                .all(|c| c.is_ascii_digit() || c == '.')
            {
                return Some(&after[version_end + 1..]);
            }
        }
    }
    if p.as_bytes().get(1) == Some(&b':') {
        return find_bytes(p, "/Lib/")
            .or_else(|| find_bytes(p, "/lib/"))
            .map(|at| &p[at + 5..]);
    }
    None
}

/// The longest directory prefix shared by the profile's own source files (not stdlib,
/// site-packages or builtins): the checkout root, which differs between two checkouts.
fn checkout_root(profile: &Profile) -> String {
    let mut root: Option<String> = None;
    let mut last: &str = "";
    for f in profile.functions() {
        let file = &*f.key.file;
        // Consecutive functions often share a file (most often the same string, which the
        // pointer test sees without comparing bytes); the same file changes nothing.
        if f.key.line == 0
            || std::ptr::eq(file, last)
            || file == last
            || file.is_empty()
            || file == "~"
            || file.starts_with('<')
        {
            continue;
        }
        last = file;
        let p = slashes(file);
        if site_packages(&p).is_some() || stdlib_relative(&p).is_some() {
            continue;
        }
        let dir = p.rfind('/').map_or("", |at| &p[..=at]);
        match &mut root {
            None => root = Some(dir.to_string()),
            Some(r) => {
                // The root only ever shrinks, to the common prefix ending at a '/'.
                let common = r
                    .bytes()
                    .zip(dir.bytes())
                    .take_while(|(a, b)| a == b)
                    .count();
                let keep = r[..common].rfind('/').map_or(0, |at| at + 1);
                r.truncate(keep);
                if r.is_empty() {
                    break;
                }
            }
        }
    }
    root.unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_normalise() {
        assert_eq!(
            normalize_path(r"C:\Users\a\venv\Lib\site-packages\numpy\core.py", ""),
            "site-packages:numpy/core.py"
        );
        assert_eq!(
            normalize_path("/usr/lib/python3.11/json/decoder.py", ""),
            "stdlib:json/decoder.py"
        );
        assert_eq!(
            normalize_path(
                "/root/.pyenv/versions/3.12.1/lib/python3.12/json/decoder.py",
                ""
            ),
            "stdlib:json/decoder.py"
        );
        assert_eq!(
            normalize_path(r"C:\Python311\Lib\json\decoder.py", ""),
            "stdlib:json/decoder.py"
        );
        assert_eq!(
            normalize_path("/home/ci/src/b/app/shop.py", "/home/ci/src/b/"),
            "app/shop.py"
        );
        assert_eq!(normalize_path(r"D:\work\app\x.py", "d:/work/"), "app/x.py");
    }

    /// A profile of these `(file, line, name)` keys, one call and no time each.
    fn mk(keys: &[(&str, i64, &str)]) -> Profile {
        use crate::engine::profile::{Function, FunctionKey};
        Profile::from_functions(keys.iter().map(|&(file, line, name)| Function {
            key: FunctionKey::new(file, line, name),
            cc: 1,
            nc: 1,
            tt: 0.0,
            ct: 0.0,
            callers: Vec::new(),
        }))
    }

    /// Loose keys pair only equal keys: same normal file *and* masked name; a key's only
    /// function is taken once; a bucket gives the nearest lines until it is empty; keys
    /// whose file the baseline has (builtins here) still match exactly.
    #[test]
    fn loose_keys_pair_equal_keys_once() {
        let base = mk(&[
            ("/ci/a/pkg/m.py", 1, "f"),
            ("/ci/a/pkg/m.py", 10, "f"),
            ("/ci/a/pkg/n.py", 5, "f"),
            ("/ci/a/pkg/m.py", 20, "g"),
            ("~", 0, "<built-in method x at 0x7f01>"),
            ("/ci/a/pkg/gone.py", 3, "h"),
            ("~", 0, "<built-in method len>"),
        ]);
        // Each function is nearer by line to a function of another key (another file or
        // name) than to its own.
        let cand = mk(&[
            ("/home/b/pkg/n.py", 9, "f"),
            ("/home/b/pkg/m.py", 11, "g"),
            ("/home/b/pkg/m.py", 9, "f"),
            ("/home/b/pkg/m.py", 2, "f"),
            ("/home/b/pkg/m.py", 30, "g"),
            ("~", 0, "<built-in method x at 0x7f99>"),
            ("/home/b/pkg/m.py", 40, "f"),
            ("~", 0, "<built-in method len>"),
        ]);
        /// Every key hashes alike: only the key comparison tells them apart.
        #[derive(Default)]
        struct Collide;
        impl std::hash::Hasher for Collide {
            fn finish(&self) -> u64 {
                7
            }
            fn write(&mut self, _: &[u8]) {}
        }
        type Colliding = std::hash::BuildHasherDefault<Collide>;
        use MatchKind::*;
        let want = vec![
            (Some(2), Some(0), Some(Path)),
            (Some(3), Some(1), Some(Path)),
            (Some(1), Some(2), Some(Path)),
            (Some(0), Some(3), Some(Path)),
            (None, Some(4), None),
            (Some(4), Some(5), Some(Address)),
            (None, Some(6), None),
            (Some(6), Some(7), Some(Exact)),
            (Some(5), None, None),
        ];
        assert_eq!(match_profiles(&base, &cand).pairs, want);
        assert_eq!(match_with::<Colliding>(&base, &cand).pairs, want);
    }

    #[test]
    fn big_buckets_pick_the_nearest_line_like_small_ones() {
        // One file and name at many lines (a generated module, a decorator's wrapper): the
        // bucket turns ordered past SMALL_BUCKET entries; the choices must not change.
        let at_lines = |lines: &[i64]| {
            let keys: Vec<_> = lines.iter().map(|&l| ("/a/gen.py", l, "wrapper")).collect();
            mk(&keys)
        };
        for n in [5usize, 40, 300] {
            let base: Vec<i64> = (0..n as i64).map(|i| i * 10).collect();
            // Candidate lines between and beyond the baseline's, some equidistant (ties go
            // to the earlier baseline function), in a scrambled order.
            let mut cand: Vec<i64> = (0..n as i64).map(|i| i * 10 + 5).collect();
            cand.reverse();
            cand.push(i64::MAX);
            cand.push(i64::MIN);
            let (b, c) = (at_lines(&base), at_lines(&cand));
            let m = match_profiles(&b, &c);
            // Reference: the scan over the bucket in baseline order.
            let mut left: Vec<usize> = (0..base.len()).collect();
            let mut expect = Vec::new();
            for (j, &line) in cand.iter().enumerate() {
                if let Some((slot, _)) = left
                    .iter()
                    .enumerate()
                    .min_by_key(|(_, i)| base[**i].abs_diff(line))
                {
                    expect.push((Some(left.remove(slot)), Some(j)));
                } else {
                    expect.push((None, Some(j)));
                }
            }
            let got: Vec<_> = m
                .pairs
                .iter()
                .filter(|p| p.1.is_some())
                .map(|p| (p.0, p.1))
                .collect();
            assert_eq!(got, expect, "n = {n}");
        }
    }

    #[test]
    fn addresses_are_masked() {
        assert_eq!(
            mask_addresses("<built-in method __exit__ of _thread.lock object at 0x000001F2A3>"),
            "<built-in method __exit__ of _thread.lock object at 0x?>"
        );
        assert_eq!(mask_addresses("größe 0x1f"), "größe 0x?");
        assert_eq!(mask_addresses("0x"), "0x");
    }
}
