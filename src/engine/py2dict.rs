//! The iteration order of a CPython 2.7 dict, for reports of Python 2 dumps.
//!
//! Python 2's pstats sorts `self.stats.iteritems()` with a stable sort and prints
//! `self.stats.keys()` when unsorted, so wherever sort keys tie (equal call counts, equal
//! times) its output follows the dict's hash-table order, not the dump's. That order is
//! deterministic (CPython 2.7 without `-R` seeds no hash): string, int and tuple hashes,
//! open addressing with the `perturb` probe, and the resize rule of `PyDict_SetItem`, all
//! reproduced here from `Objects/stringobject.c`, `intobject.c`, `tupleobject.c` and
//! `dictobject.c` of 2.7.18 (64-bit `long`).
//!
//! Limits: keys must be `(str, int, str)` as cProfile writes them; a name that was a code
//! object (the pure-Python `profile` module) hashes by the object, which a dump does not
//! hold — [`key_hash`] says `None` and callers keep the dump's order.

use super::profile::FunctionKey;

/// `string_hash` (no hash randomisation): over the bytes as Python 2 stored them.
fn str_hash(bytes: &[u8]) -> i64 {
    if bytes.is_empty() {
        return 0;
    }
    let mut x: i64 = (bytes[0] as i64) << 7;
    for &b in bytes {
        x = x.wrapping_mul(1_000_003) ^ b as i64;
    }
    x ^= bytes.len() as i64;
    if x == -1 { -2 } else { x }
}

/// `int_hash`.
fn int_hash(v: i64) -> i64 {
    if v == -1 { -2 } else { v }
}

/// `tuplehash` of `(file, line, name)`, or `None` when a part is not what cProfile writes.
pub fn key_hash(k: &FunctionKey) -> Option<i64> {
    if k.name.starts_with("<code object ") {
        return None;
    }
    let items = [
        str_hash(k.file.as_bytes()),
        int_hash(k.line),
        str_hash(k.name.as_bytes()),
    ];
    let mut x: i64 = 0x345678;
    let mut mult: i64 = 1_000_003;
    let mut len = items.len() as i64;
    for y in items {
        len -= 1;
        x = (x ^ y).wrapping_mul(mult);
        mult = mult.wrapping_add(82_520 + len + len);
    }
    x = x.wrapping_add(97_531);
    Some(if x == -1 { -2 } else { x })
}

/// A dict's table: slot → (hash, value); only insertion (pstats never deletes).
pub struct Py2Dict<V> {
    slots: Vec<Option<(i64, V)>>,
    used: usize,
    /// Slots ever filled (no deletions, so equal to `used`, kept as CPython counts it).
    fill: usize,
}

const MINSIZE: usize = 8;
const PERTURB_SHIFT: u32 = 5;

impl<V: PartialEq + Clone> Default for Py2Dict<V> {
    fn default() -> Self {
        Py2Dict {
            slots: vec![None; MINSIZE],
            used: 0,
            fill: 0,
        }
    }
}

impl<V: PartialEq + Clone> Py2Dict<V> {
    /// The slot holding `value` (hash `hash`), or the first free one on its probe path:
    /// `lookdict` without dummies.
    fn find(&self, hash: i64, value: &V) -> usize {
        let mask = self.slots.len() - 1;
        let mut i = hash as u64 as usize;
        let mut perturb = hash as u64 as usize;
        let mut slot = i & mask;
        loop {
            match &self.slots[slot] {
                None => return slot,
                Some((h, v)) if *h == hash && v == value => return slot,
                Some(_) => {}
            }
            i = (i << 2)
                .wrapping_add(i)
                .wrapping_add(perturb)
                .wrapping_add(1);
            slot = i & mask;
            perturb >>= PERTURB_SHIFT;
        }
    }

    /// `PyDict_SetItem`: a new key takes its slot, and the table grows when two thirds full.
    pub fn insert(&mut self, hash: i64, value: V) {
        let slot = self.find(hash, &value);
        if self.slots[slot].is_some() {
            return;
        }
        self.slots[slot] = Some((hash, value));
        self.used += 1;
        self.fill += 1;
        if self.fill * 3 >= self.slots.len() * 2 {
            let factor = if self.used > 50_000 { 2 } else { 4 };
            self.resize(factor * self.used);
        }
    }

    /// `dictresize`: the smallest power of two above `minused`, entries re-inserted in the
    /// old table's slot order.
    fn resize(&mut self, minused: usize) {
        let mut size = MINSIZE;
        while size <= minused {
            size <<= 1;
        }
        let old = std::mem::replace(&mut self.slots, vec![None; size]);
        for (hash, value) in old.into_iter().flatten() {
            let slot = self.find(hash, &value);
            self.slots[slot] = Some((hash, value));
        }
        self.fill = self.used;
    }

    /// Values in iteration order.
    pub fn values(&self) -> impl Iterator<Item = &V> {
        self.slots.iter().flatten().map(|(_, v)| v)
    }
}

/// The order `dict.keys()` gives for `keys` inserted in the order given, as positions
/// into `keys`; `None` when a key cannot be hashed as Python 2 did (see [`key_hash`]).
pub fn iteration_order(keys: &[&FunctionKey]) -> Option<Vec<usize>> {
    let mut d: Py2Dict<usize> = Py2Dict::default();
    for (i, k) in keys.iter().enumerate() {
        d.insert(key_hash(k)?, i);
    }
    Some(d.values().copied().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_match_cpython_2_7() {
        // $(pyenv root)/versions/2.7.18/bin/python -c 'print hash("abc"), hash(""), hash(("a.py", 3, "f"))'
        assert_eq!(str_hash(b"abc"), 1_453_079_729_188_098_211);
        assert_eq!(str_hash(b""), 0);
        assert_eq!(
            key_hash(&FunctionKey::new("a.py", 3, "f")),
            Some(PY27_TUPLE_HASH)
        );
    }

    const PY27_TUPLE_HASH: i64 = 807_015_436_687_529_893;

    #[test]
    fn iteration_order_matches_cpython_2_7_through_resizes() {
        // d = {}; for i in range(20): d[("f%d.py" % i, i, "g")] = i; print d.values()
        let keys: Vec<FunctionKey> = (0..20)
            .map(|i| FunctionKey::new(&format!("f{i}.py"), i, "g"))
            .collect();
        let refs: Vec<&FunctionKey> = keys.iter().collect();
        assert_eq!(
            iteration_order(&refs).unwrap(),
            [
                9, 5, 18, 17, 7, 8, 16, 3, 11, 19, 4, 2, 1, 13, 0, 10, 15, 14, 12, 6
            ]
        );
    }
}
