//! Which function in one profile is which in another.
//!
//! Exact keys first. What is left is matched on a *loose key*: the file after path
//! normalisation (separators, drive-letter case, the checkout root, virtualenv /
//! site-packages and stdlib roots) and the name with memory addresses masked; among
//! candidates with the same loose key the nearest line number wins (a function that moved).

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::engine::profile::{FunctionKey, Profile};

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
        let base_root = checkout_root(baseline);
        let cand_root = checkout_root(candidate);
        let mut loose: HashMap<(String, String), Vec<usize>> = HashMap::new();
        for (i, f) in baseline.functions().iter().enumerate() {
            if !base_taken[i] {
                loose
                    .entry(loose_key(&f.key, &base_root))
                    .or_default()
                    .push(i);
            }
        }
        for (j, f) in candidate.functions().iter().enumerate() {
            if cand_pair[j].is_some() {
                continue;
            }
            let Some(options) = loose.get_mut(&loose_key(&f.key, &cand_root)) else {
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

fn loose_key(key: &FunctionKey, root: &str) -> (String, String) {
    (normalize_path(&key.file, root), mask_addresses(&key.name))
}

/// Replaces hexadecimal addresses (`0x7f3a...`) with `0x?`.
pub fn mask_addresses(name: &str) -> String {
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
    out
}

fn slashes(path: &str) -> String {
    let mut p = path.replace('\\', "/");
    // Drive letters: `C:/x` and `c:/x` are the same file.
    if p.len() >= 2 && p.as_bytes()[1] == b':' && p.as_bytes()[0].is_ascii_alphabetic() {
        p.replace_range(0..1, &p[0..1].to_ascii_lowercase());
    }
    p
}

/// A path with the parts that differ between machines removed: separators and drive case,
/// everything up to `site-packages/` or `dist-packages/`, a stdlib prefix up to
/// `lib/pythonX.Y/`, and the profile's checkout root.
pub fn normalize_path(path: &str, root: &str) -> String {
    let p = slashes(path);
    let lower = p.to_ascii_lowercase();
    for marker in ["/site-packages/", "/dist-packages/"] {
        if let Some(at) = lower.rfind(marker) {
            return format!("site-packages:{}", &p[at + marker.len()..]);
        }
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

/// The part after `/lib/pythonX.Y/` (POSIX) or `/Lib/` (Windows installs).
fn stdlib_relative(p: &str) -> Option<&str> {
    let lower = p.to_ascii_lowercase();
    if let Some(at) = lower.find("/lib/python") {
        let after = &p[at + "/lib/python".len()..];
        let version_end = after.find('/')?;
        if after[..version_end]
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.')
        {
            return Some(&after[version_end + 1..]);
        }
    }
    lower
        .find("/lib/")
        .filter(|_| p.as_bytes().get(1) == Some(&b':'))
        .map(|at| &p[at + 5..])
}

/// The longest directory prefix shared by the profile's own source files (not stdlib,
/// site-packages or builtins): the checkout root, which differs between two checkouts.
fn checkout_root(profile: &Profile) -> String {
    let mut root: Option<String> = None;
    for f in profile.functions() {
        let file = &*f.key.file;
        if f.key.line == 0 || file.is_empty() || file == "~" || file.starts_with('<') {
            continue;
        }
        let p = slashes(file);
        let lower = p.to_ascii_lowercase();
        if lower.contains("/site-packages/")
            || lower.contains("/dist-packages/")
            || stdlib_relative(&p).is_some()
        {
            continue;
        }
        let dir = match p.rfind('/') {
            Some(at) => p[..=at].to_string(),
            None => String::new(),
        };
        root = Some(match root {
            None => dir,
            Some(r) => {
                let common = r
                    .bytes()
                    .zip(dir.bytes())
                    .take_while(|(a, b)| a == b)
                    .count();
                let common = r[..common].rfind('/').map_or(0, |at| at + 1);
                r[..common].to_string()
            }
        });
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
