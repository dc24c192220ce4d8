//! Which function in one profile is which in another.
//!
//! Exact keys first. What is left is matched on a *loose key*: the file after path
//! normalisation (separators, drive-letter case, the checkout root, virtualenv /
//! site-packages and stdlib roots) and the name with memory addresses masked; among
//! candidates with the same loose key the nearest line number wins (a function that moved).

use std::borrow::Cow;
use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::engine::profile::Profile;

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

impl Matching {
    /// Baseline position for each candidate position.
    pub fn candidate_to_baseline(&self, candidates: usize) -> Vec<Option<usize>> {
        let mut map = vec![None; candidates];
        for &(b, c, _) in &self.pairs {
            if let (Some(b), Some(c)) = (b, c) {
                map[c] = Some(b);
            }
        }
        map
    }
}

/// Matches `candidate`'s functions to `baseline`'s.
pub fn match_profiles(baseline: &Profile, candidate: &Profile) -> Matching {
    let mut pairs = Vec::with_capacity(candidate.len().max(baseline.len()));
    let mut base_taken = vec![false; baseline.len()];
    let mut cand_pair: Vec<Option<(usize, MatchKind)>> = vec![None; candidate.len()];
    for (j, f) in candidate.functions().iter().enumerate() {
        if let Some(i) = baseline.position(&f.key) {
            base_taken[i] = true;
            cand_pair[j] = Some((i, MatchKind::Exact));
        }
    }
    if cand_pair.iter().any(Option::is_none) && base_taken.iter().any(|t| !t) {
        let mut base_files = FileNormalizer::new(checkout_root(baseline));
        let mut cand_files = FileNormalizer::new(checkout_root(candidate));
        type Loose<'a> =
            HashMap<(std::sync::Arc<str>, Cow<'a, str>), Vec<usize>, foldhash::fast::RandomState>;
        let mut loose: Loose<'_> = HashMap::default();
        for (i, f) in baseline.functions().iter().enumerate() {
            if !base_taken[i] {
                loose
                    .entry((base_files.get(&f.key.file), mask_addresses(&f.key.name)))
                    .or_default()
                    .push(i);
            }
        }
        for (j, f) in candidate.functions().iter().enumerate() {
            if cand_pair[j].is_some() {
                continue;
            }
            let key = (cand_files.get(&f.key.file), mask_addresses(&f.key.name));
            let Some(options) = loose.get_mut(&key) else {
                continue;
            };
            let Some((slot, &i)) = options.iter().enumerate().min_by_key(|(_, i)| {
                (baseline.functions()[**i].key.line - f.key.line).unsigned_abs()
            }) else {
                continue;
            };
            options.remove(slot);
            let b = &baseline.functions()[i].key;
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

/// Normalises each distinct file name once (many functions share a file).
struct FileNormalizer<'a> {
    root: String,
    seen: HashMap<&'a str, std::sync::Arc<str>, foldhash::fast::RandomState>,
}

impl<'a> FileNormalizer<'a> {
    fn new(root: String) -> Self {
        FileNormalizer {
            root,
            seen: HashMap::default(),
        }
    }

    fn get(&mut self, file: &'a str) -> std::sync::Arc<str> {
        if let Some(n) = self.seen.get(file) {
            return n.clone();
        }
        let n: std::sync::Arc<str> = normalize_path(file, &self.root).into();
        self.seen.insert(file, n.clone());
        n
    }
}

/// Replaces hexadecimal addresses (`0x7f3a...`) with `0x?`; borrows when there are none.
pub fn mask_addresses(name: &str) -> Cow<'_, str> {
    if !name.contains("0x") && !name.contains("0X") {
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

/// The last `/site-packages/` or `/dist-packages/` (as pip and Debian spell them, on every OS).
fn site_packages(p: &str) -> Option<&str> {
    ["/site-packages/", "/dist-packages/"]
        .iter()
        .filter_map(|m| p.rfind(m).map(|at| &p[at + m.len()..]))
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
        if let Some(at) = p.find(marker) {
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
        return p
            .find("/Lib/")
            .or_else(|| p.find("/lib/"))
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
        // Consecutive functions often share a file; the same file changes nothing.
        if f.key.line == 0
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
