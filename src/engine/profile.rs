//! The profile model: what a pstats dump says about each function, in dump order.
//!
//! A dump is `{(file, line, name): (cc, nc, tt, ct, callers)}` where `callers` maps a
//! caller's key to `(nc, cc, tt, ct)` (note the swapped counts) or, from the pure-Python
//! `profile` module, to a plain call count. Values are kept exactly as written, because
//! reports must match `pstats` byte for byte; interpreting producer quirks (yappi's swapped
//! counts, pyinstrument's `-1`) is left to the comparison engine, which knows the producer.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::fmt;
use std::hash::BuildHasher;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::marshal::{self, MarshalError, Num, Reader, Value};
use super::prefetch_counts;
use super::stacks::{self, FoldedError, Sampling, Stacks};
use super::trace::{self, Trace};

/// A function as pstats identifies it: `(file, line, name)`.
#[derive(Clone, Debug, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct FunctionKey {
    pub file: Arc<str>,
    pub line: i64,
    pub name: Arc<str>,
}

/// The same equality as a derived one, cheapest and most telling fields first: the keys of
/// one file share its (long) path, so comparing the path first did the most work for the
/// least information.
impl PartialEq for FunctionKey {
    fn eq(&self, other: &Self) -> bool {
        self.line == other.line && self.name == other.name && self.file == other.file
    }
}

/// The fields `eq` compares, so equal keys hash alike.
impl std::hash::Hash for FunctionKey {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.line.hash(state);
        self.name.hash(state);
        self.file.hash(state);
    }
}

/// [`FunctionKey::display`] of the key `(file, line, name)`, appended to `out`; for keys
/// held as plain strings (the comparison's rows, decoded in the browser).
pub fn write_display(file: &str, line: i64, name: &str, out: &mut String) {
    match is_builtin(file, line).then_some(name) {
        Some(name) if name.len() >= 2 && name.starts_with('<') && name.ends_with('>') => {
            out.push('{');
            out.push_str(&name[1..name.len() - 1]);
            out.push('}');
        }
        Some(name) => out.push_str(name),
        None => {
            out.push_str(file);
            out.push(':');
            super::pyfmt::push_int_right(out, line, 0);
            out.push('(');
            out.push_str(name);
            out.push(')');
        }
    }
}

/// cProfile keys C functions `('~', 0, '<built-in ...>')`.
fn is_builtin(file: &str, line: i64) -> bool {
    file == "~" && line == 0
}

impl FunctionKey {
    pub fn new(file: &str, line: i64, name: &str) -> Self {
        FunctionKey {
            file: file.into(),
            line,
            name: name.into(),
        }
    }

    /// pstats' `func_std_string`: `file:line(name)`, or `{built-in ...}` for C functions
    /// keyed `('~', 0, '<built-in ...>')`.
    pub fn display(&self) -> String {
        let mut s = String::with_capacity(self.file.len() + self.name.len() + 24);
        self.write_display(&mut s);
        s
    }

    fn builtin_name(&self) -> Option<&str> {
        is_builtin(&self.file, self.line).then_some(&*self.name)
    }

    /// Asks for the key's strings ahead of a loop that reads them ([`super::prefetch`]).
    #[inline]
    pub(crate) fn prefetch_text(&self) {
        super::prefetch(self.file.as_ptr());
        super::prefetch(self.name.as_ptr());
    }

    /// Asks for the key's reference counts ahead of a loop that clones or drops it.
    #[inline]
    pub(crate) fn prefetch_counts(&self) {
        prefetch_counts(&self.file);
        prefetch_counts(&self.name);
    }

    /// Appends [`FunctionKey::display`] to `out` (reports write thousands of these).
    pub fn write_display(&self, out: &mut String) {
        write_display(&self.file, self.line, &self.name, out);
    }

    /// `len(func_std_string(key))` in characters, without building the string.
    pub fn display_len(&self) -> usize {
        match self.builtin_name() {
            Some(name) => name.chars().count(),
            None => {
                let digits = self.line.unsigned_abs().checked_ilog10().unwrap_or(0) as usize + 1;
                self.file.chars().count()
                    + self.name.chars().count()
                    + digits
                    + usize::from(self.line < 0)
                    + 3
            }
        }
    }

    /// pstats' `func_strip_path`: the file's base name (POSIX rules, as `os.path.basename`
    /// on the machines that run pstats in our oracle tests).
    pub fn strip_path(&self) -> FunctionKey {
        let base = match self.file.rfind('/') {
            Some(i) => &self.file[i + 1..],
            None => &self.file,
        };
        FunctionKey {
            file: base.into(),
            line: self.line,
            name: self.name.clone(),
        }
    }
}

impl fmt::Display for FunctionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.display())
    }
}

/// What one caller contributed to a function.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum CallerStats {
    /// cProfile, yappi, pyinstrument: `(nc, cc, tt, ct)` in the dump's order.
    Full { nc: i64, cc: i64, tt: f64, ct: f64 },
    /// The pure-Python `profile` module records only how often.
    Count(i64),
}

impl CallerStats {
    fn add(self, other: CallerStats) -> CallerStats {
        match (self, other) {
            (
                CallerStats::Full { nc, cc, tt, ct },
                CallerStats::Full {
                    nc: n2,
                    cc: c2,
                    tt: t2,
                    ct: ct2,
                },
            ) => CallerStats::Full {
                nc: nc.saturating_add(n2),
                cc: cc.saturating_add(c2),
                tt: tt + t2,
                ct: ct + ct2,
            },
            (CallerStats::Count(a), CallerStats::Count(b)) => {
                CallerStats::Count(a.saturating_add(b))
            }
            // Mixed producers: pstats would fail; keep the richer record.
            (full @ CallerStats::Full { .. }, CallerStats::Count(_))
            | (CallerStats::Count(_), full @ CallerStats::Full { .. }) => full,
        }
    }
}

/// One function's numbers: primitive calls, total calls, own time, cumulative time.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Function {
    pub key: FunctionKey,
    pub cc: i64,
    pub nc: i64,
    pub tt: f64,
    pub ct: f64,
    /// Callers in dump order.
    pub callers: Vec<(FunctionKey, CallerStats)>,
}

/// Which profiler wrote the dump, as far as the data tells.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Producer {
    #[serde(rename = "cProfile")]
    CProfile,
    Profile,
    Yappi,
    Pyinstrument,
    /// CPython 3.15's `python -m profiling.sampling` (`--pstats` or `--collapsed`).
    #[serde(rename = "profiling.sampling")]
    Sampling,
    #[serde(rename = "py-spy")]
    PySpy,
    /// Folded stacks from another tool (`a;b;c 12`).
    #[serde(rename = "folded")]
    Folded,
    #[serde(rename = "viztracer")]
    Viztracer,
}

impl Producer {
    pub fn as_str(self) -> &'static str {
        match self {
            Producer::CProfile => "cProfile",
            Producer::Profile => "profile",
            Producer::Yappi => "yappi",
            Producer::Pyinstrument => "pyinstrument",
            Producer::Sampling => "profiling.sampling",
            Producer::PySpy => "py-spy",
            Producer::Folded => "folded",
            Producer::Viztracer => "viztracer",
        }
    }

    /// Whether the producer samples stacks (counts are samples, not calls).
    pub fn is_sampling(self) -> bool {
        matches!(
            self,
            Producer::Sampling | Producer::PySpy | Producer::Folded
        )
    }
}

impl fmt::Display for Producer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A whole dump: functions in dump order with an index by key. Built only by parsing or
/// from functions (never deserialised, so the index is always complete).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Profile {
    functions: Vec<Function>,
    /// Written by Python 2 (its keys are byte strings; Python 3's are always `str`).
    python2: bool,
    /// Key -> position.
    #[serde(skip)]
    index: Index,
    /// Set for sampled profiles: the producer (which the numbers cannot tell) and how the
    /// samples were taken.
    sampled: Option<(Producer, Sampling)>,
    /// The producer when the format says it and the numbers cannot (viztracer).
    declared: Option<Producer>,
    /// The weighted stacks, for formats that carry them (exact call trees).
    #[serde(skip)]
    stacks: Option<Arc<Stacks>>,
}

/// Positions of a profile's functions by key. The functions hold the keys, so the index
/// keeps none of its own: building it costs no key clones (each a reference count on a
/// scattered string: 5% of a 50,000-function parse) and 8 bytes an entry instead of 48.
/// foldhash: several times faster than SipHash on these keys and still seeded per index,
/// so crafted uploads cannot force collisions.
#[derive(Clone, Default)]
struct Index {
    table: hashbrown::HashTable<usize>,
    hasher: foldhash::fast::RandomState,
}

impl Index {
    fn with_capacity(n: usize) -> Index {
        Index {
            table: hashbrown::HashTable::with_capacity(n),
            hasher: Default::default(),
        }
    }

    fn find(&self, functions: &[Function], key: &FunctionKey) -> Option<usize> {
        self.find_hashed(functions, self.hash(key), key)
    }

    /// [`Index::find`] in two steps, for loops that look up many keys: the hash, then
    /// (a few keys later, once the memory it names has been asked for) the lookup.
    fn hash(&self, key: &FunctionKey) -> u64 {
        self.hasher.hash_one(key)
    }

    fn find_hashed(&self, functions: &[Function], hash: u64, key: &FunctionKey) -> Option<usize> {
        self.table
            .find(hash, |&i| functions[i].key == *key)
            .copied()
    }

    /// The first position whose hash tag agrees with `hash` (most likely the key's), to
    /// prefetch before [`Index::find_hashed`] compares keys.
    fn likely(&self, hash: u64) -> Option<usize> {
        self.table.iter_hash(hash).next().copied()
    }

    /// The position of `functions[at]`'s key: an earlier one holding it, or `at`, now
    /// indexed.
    fn find_or_insert(&mut self, functions: &[Function], at: usize) -> usize {
        let hasher = &self.hasher;
        let key = &functions[at].key;
        match self.table.entry(
            hasher.hash_one(key),
            |&i| functions[i].key == *key,
            |&i| hasher.hash_one(&functions[i].key),
        ) {
            hashbrown::hash_table::Entry::Occupied(e) => *e.get(),
            hashbrown::hash_table::Entry::Vacant(e) => {
                e.insert(at);
                at
            }
        }
    }

    fn clear(&mut self) {
        self.table.clear();
    }

    fn capacity(&self) -> usize {
        self.table.capacity()
    }
}

/// The index follows from the functions; profiles are equal when their other fields are.
impl PartialEq for Index {
    fn eq(&self, _: &Index) -> bool {
        true
    }
}

impl fmt::Debug for Index {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Index({} functions)", self.table.len())
    }
}

impl AsRef<Profile> for Profile {
    fn as_ref(&self) -> &Profile {
        self
    }
}

/// Why bytes are not a profile dump. The message is what a user sees.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum ProfileError {
    #[error("not a Python profile dump: {0}")]
    Marshal(MarshalError),
    #[error("not a Python profile dump: marshal data is a {0}, expected a dict of functions")]
    NotADict(&'static str),
    #[error(
        "not a Python profile dump: this is a text file of no format read here; use the \
         binary dump written by cProfile/profile (-o FILE or dump_stats), folded stacks \
         (py-spy record -f raw, python -m profiling.sampling --collapsed), speedscope JSON \
         (py-spy, pyinstrument), a pyinstrument session or viztracer's JSON"
    )]
    TextFile,
    #[error("not a Python profile dump: {0}")]
    Folded(#[from] FoldedError),
    /// A text format recognised but malformed (where, and what was expected).
    #[error("not a Python profile dump: {0}")]
    Format(String),
    #[error("not a Python profile dump: the dict holds no functions")]
    Empty,
    #[error("not a Python profile dump: entry {index}: {what}")]
    Entry { index: usize, what: String },
    /// The dump is valid marshal data but would expand past the model budget (see
    /// [`Budget`]): shared objects referenced from many places.
    #[error("profile too large to read: {0}")]
    TooLarge(String),
    /// The caller asked to stop ([`Profile::parse_until`]).
    #[error("parsing was stopped")]
    Stopped,
}

/// What a parsed model may hold, as a multiple of the dump's size. Back-references make a
/// small dump describe a huge one (one callers dict shared by every function, one long name
/// shared by every key); CPython loads those lazily-cheap, but every view and comparison
/// walks the edges and the names, so the expansion is bounded here, once.
///
/// Real dumps are far inside: across cProfile 3.6–3.13, the `profile` module, yappi,
/// pyinstrument and merged dumps, a caller edge takes 54–135 bytes of the file and the names
/// (file + function, counted at every use) 0.4–1.9 bytes per byte of the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Budget {
    /// Caller edges, summed over all functions.
    pub edges: usize,
    /// Bytes of file and function names, counted at every key that uses them.
    pub text: usize,
}

impl Budget {
    /// At most one edge per 12 bytes of dump (plus 4,096) and eight bytes of names per byte
    /// (plus 64 KiB).
    pub fn for_input(len: usize) -> Budget {
        Budget {
            edges: len / 12 + 4096,
            text: len.saturating_mul(8).saturating_add(64 << 10),
        }
    }

    /// The most [`Profile::model_bytes`] a dump of `len` bytes can parse into: each
    /// distinct function needs a key tuple of at least 17 bytes in the file (≤ 400 bytes of
    /// model each, index included), each edge at most 160 (its `Vec` slot, doubled), and
    /// distinct strings at most the file's bytes tripled by lossy decoding plus the names
    /// budget. Real dumps hold 3–5× their size. The fuzz target asserts this bound.
    pub fn max_model_bytes(len: usize) -> usize {
        let b = Budget::for_input(len);
        (len / 17 + 1) * 400 + b.edges * 160 + len * 12 + b.text + (1 << 20)
    }

    /// No limit (profiles built in memory, merges of profiles that were each checked).
    pub const UNLIMITED: Budget = Budget {
        edges: usize::MAX,
        text: usize::MAX,
    };
}

/// Counts a model's expansion while it is built and converts shared keys once.
struct Builder {
    budget: Budget,
    edges: usize,
    text: usize,
    /// Keys built from values that something else keeps alive (the reader's reference
    /// table), by address: a shared key tuple is converted once however often it is used.
    /// The value is kept with its key, so its address cannot be reused while cached.
    keys: HashMap<usize, (Value, FunctionKey), foldhash::fast::RandomState>,
    /// The same for names that need converting (byte strings, code objects).
    names: HashMap<usize, (Value, Arc<str>), foldhash::fast::RandomState>,
    /// A callers list being read, reused from function to function.
    scratch: Vec<(Pending, CallerStats)>,
    /// Keys by the reference-table slot of their tuple (`u32::MAX`: none), into
    /// `ref_keys`: a back-reference to a key (dumps that share key tuples write one per
    /// caller edge) becomes a clone of the converted key without touching the tuple.
    /// At most 4 bytes per table slot, and the table costs the reader 8 times that.
    ref_slots: Vec<u32>,
    ref_keys: Vec<FunctionKey>,
}

/// A key as read: converted, or a back-reference to one converted before (cloned
/// later, by [`Builder::resolve`] or [`Builder::take`]).
enum Pending {
    Key(FunctionKey),
    Known(u32),
}

/// What a key position of a dump (a dict key) holds.
enum NextKey {
    /// The dict's end.
    End,
    Key(Result<FunctionKey, KeyError>),
    /// A back-reference to the key at this position of `Builder::ref_keys`, neither
    /// counted against the budget nor cloned yet (see [`Pending`]).
    Known(u32),
    /// profiling.sampling's marker entry (only looked for in the top-level dict).
    Sampled,
}

impl Builder {
    fn new(budget: Budget) -> Builder {
        Builder {
            budget,
            edges: 0,
            text: 0,
            keys: HashMap::default(),
            names: HashMap::default(),
            scratch: Vec::new(),
            ref_slots: Vec::new(),
            ref_keys: Vec::new(),
        }
    }

    fn count_text(&mut self, key: &FunctionKey) -> Result<(), String> {
        self.count(key.file.len() + key.name.len())
    }

    fn count(&mut self, text: usize) -> Result<(), String> {
        self.text = self.text.saturating_add(text);
        if self.text > self.budget.text {
            return Err(format!(
                "its function names add up to more than {} MB when every use is counted (at \
                 most 8 bytes of names per byte of the dump)",
                self.budget.text >> 20
            ));
        }
        Ok(())
    }

    fn count_edges(&mut self, n: usize) -> Result<(), String> {
        self.edges = self.edges.saturating_add(n);
        if self.edges > self.budget.edges {
            return Err(format!(
                "it has more than {} caller edges (at most one per 12 bytes of the dump; \
                 callers tables shared between functions count for each)",
                self.budget.edges
            ));
        }
        Ok(())
    }

    /// [`key_from`], converting each shared key or name once.
    fn key(&mut self, v: &Value) -> Result<FunctionKey, KeyError> {
        let shared = match v {
            Value::Tuple(t) if Arc::strong_count(t) > 1 => {
                Some(Arc::as_ptr(t) as *const () as usize)
            }
            _ => None,
        };
        if let Some(addr) = shared
            && let Some((_, key)) = self.keys.get(&addr)
        {
            let key = key.clone();
            self.count_text(&key).map_err(KeyError::Budget)?;
            return Ok(key);
        }
        let key = self.convert(v)?;
        if let Some(addr) = shared {
            self.keys.insert(addr, (v.clone(), key.clone()));
        }
        Ok(key)
    }

    /// [`key_with`], counted.
    fn convert(&mut self, v: &Value) -> Result<FunctionKey, KeyError> {
        let key = key_with(v, &mut |name| self.name(name)).map_err(KeyError::Shape)?;
        self.count_text(&key).map_err(KeyError::Budget)?;
        Ok(key)
    }

    /// Reads the next dict key of a dump as a function key, the cheapest way its shape
    /// allows; `python2` is set when it is a Python 2 key (byte strings). With `top`, the
    /// top-level dict's sampled marker is recognised. A back-reference to a key already
    /// converted comes back as [`NextKey::Known`], not cloned yet.
    fn next_key(
        &mut self,
        r: &mut Reader<'_>,
        top: bool,
        python2: &mut bool,
    ) -> Result<NextKey, MarshalError> {
        // Python 2 dumps have no back-references, so a key met again is never a Python 2 one.
        // `ref_slots` only names slots whose tuple was read whole.
        if let Some(slot) = r.peek_ref()
            && let Some(&i) = self.ref_slots.get(slot)
            && i != u32::MAX
        {
            r.skip_ref();
            return Ok(NextKey::Known(i));
        }
        if let Some(items) = r.plain_triple()? {
            // cProfile's keys are fresh tuples: read without building one.
            *python2 |= matches!(items[0], Value::Bytes(_));
            return Ok(NextKey::Key(self.key_items(&items)));
        }
        let slot = r.next_slot();
        let Some(k) = r.object()? else {
            return Ok(NextKey::End);
        };
        // profiling.sampling's `--pstats` marks its dumps with `("__sampled__",): True`
        // (`PstatsCollector._dump_stats`).
        if top && is_sampled_marker(&k) {
            return Ok(NextKey::Sampled);
        }
        *python2 |= is_python2_key(&k);
        // A tuple that takes a table slot is met again through `ref_slots`, not by address.
        let key = match slot {
            Some(_) => self.convert(&k),
            None => self.key(&k),
        };
        if let (Some(slot), Ok(key)) = (slot, &key)
            && let Ok(i) = u32::try_from(self.ref_keys.len())
            && i != u32::MAX
        {
            if self.ref_slots.len() <= slot {
                self.ref_slots.resize(slot + 1, u32::MAX);
            }
            self.ref_slots[slot] = i;
            self.ref_keys.push(key.clone());
        }
        Ok(NextKey::Key(key))
    }

    /// The callers list at its exact size, back-references cloned from `ref_keys` and
    /// their names counted against the budget (the edge budget bounds how many wait).
    /// The clones are what a parse waits on most: each a locked reference-count increment
    /// on a string header anywhere in the heap, which waits for its cache miss and stops
    /// every later access while it does; reading each key's lengths was the next miss.
    /// Reading all the list's keys first, fetching their headers on the way, lets those
    /// misses overlap.
    fn resolve(
        &mut self,
        list: &mut Vec<(Pending, CallerStats)>,
        own: &Pending,
    ) -> Result<Vec<(FunctionKey, CallerStats)>, String> {
        if let Pending::Known(i) = own {
            self.ref_keys[*i as usize].prefetch_counts();
        }
        let mut text = 0usize;
        for (c, _) in list.iter() {
            if let Pending::Known(i) = c {
                let k = &self.ref_keys[*i as usize];
                k.prefetch_counts();
                text = text.saturating_add(k.file.len() + k.name.len());
            }
        }
        self.count(text)?;
        let mut out = Vec::with_capacity(list.len());
        out.extend(list.drain(..).map(|(c, s)| match c {
            Pending::Key(k) => (k, s),
            Pending::Known(i) => (self.ref_keys[i as usize].clone(), s),
        }));
        Ok(out)
    }

    /// The key `key` stands for, cloned and counted against the budget if it is a
    /// back-reference.
    fn take(&mut self, key: Pending) -> Result<FunctionKey, EntryError> {
        match key {
            Pending::Key(k) => Ok(k),
            Pending::Known(i) => {
                let k = self.ref_keys[i as usize].clone();
                self.count_text(&k).map_err(EntryError::Budget)?;
                Ok(k)
            }
        }
    }

    /// A key read as its three items ([`Reader::plain_triple`]): nothing else holds the
    /// tuple, so there is no shared conversion to look up.
    fn key_items(&mut self, items: &[Value; 3]) -> Result<FunctionKey, KeyError> {
        let [file, line, name] = items;
        let key = key_of_items([file, line, name], &mut |name| self.name(name))
            .map_err(KeyError::Shape)?;
        self.count_text(&key).map_err(KeyError::Budget)?;
        Ok(key)
    }

    /// A name that is not already text: converted once per shared value.
    fn name(&mut self, v: &Value) -> Option<Arc<str>> {
        let (addr, shared) = match v {
            Value::Bytes(b) => (
                Arc::as_ptr(b) as *const () as usize,
                Arc::strong_count(b) > 1,
            ),
            Value::Code(c) => (
                Arc::as_ptr(c) as *const () as usize,
                Arc::strong_count(c) > 1,
            ),
            _ => return None,
        };
        if shared && let Some((_, name)) = self.names.get(&addr) {
            return Some(name.clone());
        }
        let name: Arc<str> = match v {
            Value::Bytes(b) => String::from_utf8_lossy(b).as_ref().into(),
            Value::Code(c) => c.to_string().into(),
            _ => return None,
        };
        if shared {
            self.names.insert(addr, (v.clone(), name.clone()));
        }
        Some(name)
    }
}

/// Why a key could not be built.
enum KeyError {
    Shape(String),
    Budget(String),
}

impl From<MarshalError> for ProfileError {
    fn from(e: MarshalError) -> Self {
        match e {
            // Valid data, only too expensive to hold: say so, not "not a dump".
            MarshalError::TooBig { .. } => ProfileError::TooLarge(e.to_string()),
            e => ProfileError::Marshal(e),
        }
    }
}

impl Profile {
    /// Parses a dump (any producer, Python 2.7 to 3.14), within the model budget for its
    /// size ([`Budget::for_input`]).
    pub fn parse(data: &[u8]) -> Result<Profile, ProfileError> {
        Profile::parse_within(data, Budget::for_input(data.len()))
    }

    /// [`Profile::parse`] with an explicit model budget.
    pub fn parse_within(data: &[u8], budget: Budget) -> Result<Profile, ProfileError> {
        Profile::parse_until(data, budget, &|| false)
    }

    /// [`Profile::parse_within`] that gives up with [`ProfileError::Stopped`] once `stop`
    /// says so (asked every 1,024 functions): a server stops parsing for a client that left.
    pub fn parse_until(
        data: &[u8],
        budget: Budget,
        stop: &dyn Fn() -> bool,
    ) -> Result<Profile, ProfileError> {
        // A real dump starts with a dict and has binary bytes within its first 64. A text
        // file (a printed report, gprof output, ...) gets a message saying so rather than
        // one about whatever type byte its first letter happens to be.
        if data.len() > 1 && looks_like_text(&data[..data.len().min(64)]) {
            return match std::str::from_utf8(data) {
                Ok(text) if stacks::looks_speedscope(text) => Profile::from_speedscope(text),
                Ok(text) if stacks::looks_pyisession(text) => Profile::from_pyisession(text),
                Ok(text) if trace::looks_viztracer(text) => {
                    let t = trace::parse_viztracer(text).map_err(ProfileError::Format)?;
                    let mut p = Profile::from_trace(&t, true)?;
                    p.declared = Some(Producer::Viztracer);
                    Ok(p)
                }
                Ok(text) if stacks::looks_folded(text) => Profile::from_folded(text),
                _ => Err(ProfileError::TextFile),
            };
        }
        if data.is_empty() {
            return Err(MarshalError::Empty.into());
        }
        // Stream the top-level dict: each entry becomes a `Function` as soon as it is read,
        // so the decoded tree of the whole dump is never held at once.
        let mut r = Reader::new(data);
        if !r.dict_start() {
            // Name what it is from its first byte; decoding it whole could be costly.
            return Err(match marshal::type_name_of(data[0]) {
                Some(name) => ProfileError::NotADict(name),
                None => marshal::read(data).err().map_or(
                    ProfileError::NotADict("marshal object"),
                    ProfileError::Marshal,
                ),
            });
        }
        let mut profile = Profile::default();
        let mut builder = Builder::new(budget);
        let mut index = 0;
        let mut sampled_marker = false;
        loop {
            let key = match builder.next_key(&mut r, true, &mut profile.python2)? {
                NextKey::End => break,
                NextKey::Key(key) => Pending::Key(key.map_err(|e| e.at(index))?),
                NextKey::Known(i) => Pending::Known(i),
                NextKey::Sampled => {
                    let v = r.value()?;
                    sampled_marker = matches!(v, Value::Bool(true));
                    r.release();
                    continue;
                }
            };
            let f = read_function(&mut r, &mut builder, key).map_err(|e| e.at(index))?;
            profile.functions.push(f);
            // The entry's own objects are gone now; only the reference table stays.
            r.release();
            index += 1;
            if index % 1024 == 0 && stop() {
                return Err(ProfileError::Stopped);
            }
        }
        if profile.is_empty() {
            return Err(ProfileError::Empty);
        }
        // The builder's tables go before the index is built: a lower peak.
        drop(builder);
        drop(r);
        profile.index_read();
        if sampled_marker {
            // tt = direct samples × interval: the interval is any tt / cc.
            let interval = profile
                .functions
                .iter()
                .find(|f| f.cc > 0 && f.tt > 0.0)
                .map(|f| f.tt / f.cc as f64);
            let samples = profile
                .functions
                .iter()
                .fold(0u64, |a, f| a.saturating_add(f.cc.max(0) as u64));
            profile.sampled = Some((Producer::Sampling, Sampling { interval, samples }));
            profile = profile.by_function();
        }
        Ok(profile)
    }

    /// A profile from folded stacks (see [`stacks`]): per-function numbers as
    /// `PstatsCollector` computes them, the stacks kept. The files do not say the interval,
    /// so times are sample counts, unless profdiff's own header ([`stacks::HEADER`], in
    /// merged profiles) gives it.
    pub fn from_folded(text: &str) -> Result<Profile, ProfileError> {
        let (stacks, producer, interval) = stacks::parse_folded(text)?;
        let mut profile =
            Profile::from_functions(stacks.by_function().functions(interval.unwrap_or(1.0)));
        if profile.is_empty() {
            return Err(ProfileError::Empty);
        }
        profile.sampled = Some((
            producer,
            Sampling {
                interval,
                samples: stacks.samples(),
            },
        ));
        profile.stacks = Some(Arc::new(stacks));
        Ok(profile)
    }

    /// A sampled pstats file keyed by the line running, as one entry per function (file and
    /// name; the lowest line seen): samples and times add up, callers likewise. Exact
    /// unless a function recurses through two of its lines in one stack, which only the
    /// stacks could tell.
    fn by_function(&self) -> Profile {
        let mut lowest: HashMap<(&str, &str), i64> = HashMap::new();
        let keys = self
            .functions
            .iter()
            .flat_map(|f| std::iter::once(&f.key).chain(f.callers.iter().map(|(k, _)| k)));
        for k in keys {
            let l = lowest.entry((&*k.file, &*k.name)).or_insert(k.line);
            *l = (*l).min(k.line);
        }
        // Samples of one function at two lines add up, per caller likewise.
        self.rekeyed(
            |k| FunctionKey {
                line: lowest[&(&*k.file, &*k.name)],
                ..k.clone()
            },
            CallerStats::add,
        )
    }

    /// The same functions under keys mapped by `key`; functions whose keys become equal
    /// merge (as [`Profile::merge`] adds them), and callers of one function whose keys become
    /// equal are combined by `same_caller(earlier, later)`.
    fn rekeyed(
        &self,
        key: impl Fn(&FunctionKey) -> FunctionKey,
        same_caller: impl Fn(CallerStats, CallerStats) -> CallerStats,
    ) -> Profile {
        let mut out = Profile {
            python2: self.python2,
            sampled: self.sampled.clone(),
            declared: self.declared,
            ..Profile::default()
        };
        for f in &self.functions {
            let mut callers: Vec<(FunctionKey, CallerStats)> = Vec::with_capacity(f.callers.len());
            for (k, s) in &f.callers {
                let k = key(k);
                match callers.iter_mut().find(|(c, _)| *c == k) {
                    Some(slot) => slot.1 = same_caller(slot.1, *s),
                    None => callers.push((k, *s)),
                }
            }
            out.add_function(Function {
                key: key(&f.key),
                callers,
                ..f.clone()
            });
        }
        out
    }

    /// A profile from a speedscope file's sampled profiles (py-spy `-f speedscope`).
    pub fn from_speedscope(text: &str) -> Result<Profile, ProfileError> {
        let (stacks, producer, interval, samples) =
            match stacks::parse_speedscope(text).map_err(ProfileError::Format)? {
                stacks::Speedscope::Sampled(s, p, i, n) => (s, p, i, n),
                // pyinstrument: a timeline of merged frames; times exact, counts not calls.
                stacks::Speedscope::Evented(trace, producer) => {
                    let counts = producer != Producer::Pyinstrument;
                    return Profile::from_trace(&trace, counts);
                }
            };
        let mut profile = Profile::from_functions(stacks.by_function().functions(1.0));
        if profile.is_empty() {
            return Err(ProfileError::Empty);
        }
        if let Some(i) = interval {
            for f in &mut profile.functions {
                f.tt *= i;
                f.ct *= i;
            }
        }
        profile.sampled = Some((producer, Sampling { interval, samples }));
        profile.stacks = Some(Arc::new(stacks));
        Ok(profile)
    }

    /// A profile from a timeline of calls (viztracer, speedscope evented); `counts`: whether
    /// spans are calls (viztracer) or merged frames (pyinstrument, whose counts stay unset
    /// as in its pstats output).
    pub fn from_trace(trace: &Trace, counts: bool) -> Result<Profile, ProfileError> {
        let profile = Profile::from_functions(trace.functions(counts));
        if profile.is_empty() {
            return Err(ProfileError::Empty);
        }
        Ok(profile)
    }

    /// A pyinstrument session: times from its records; no call counts (pyinstrument merges
    /// calls), as its pstats output has none.
    pub fn from_pyisession(text: &str) -> Result<Profile, ProfileError> {
        let raw = stacks::parse_pyisession(text).map_err(ProfileError::Format)?;
        let stacks = raw.by_function();
        // Own time per caller edge: the weight of stacks where the callee is the leaf.
        let mut own: HashMap<(u32, u32), u64> = HashMap::new();
        for (s, w) in stacks.iter() {
            if let [.., caller, leaf] = s[..] {
                *own.entry((leaf, caller)).or_insert(0) += w;
            }
        }
        let id: HashMap<&FunctionKey, u32> = stacks
            .frames
            .iter()
            .enumerate()
            .map(|(i, k)| (k, i as u32))
            .collect();
        let functions: Vec<Function> = stacks
            .functions(1e-9)
            .into_iter()
            .map(|mut f| {
                let me = id[&f.key];
                f.cc = -1;
                f.nc = -1;
                for (k, s) in &mut f.callers {
                    let CallerStats::Count(n) = *s else { continue };
                    let tt = own.get(&(me, id[&*k])).copied().unwrap_or(0) as f64 * 1e-9;
                    *s = CallerStats::Full {
                        nc: -1,
                        cc: -1,
                        tt,
                        ct: n as f64 * 1e-9,
                    };
                }
                f
            })
            .collect();
        let profile = Profile::from_functions(functions);
        if profile.is_empty() {
            return Err(ProfileError::Empty);
        }
        Ok(profile)
    }

    /// How a sampled profile was taken; `None` for deterministic profilers.
    pub fn sampling(&self) -> Option<&Sampling> {
        self.sampled.as_ref().map(|(_, s)| s)
    }

    /// The weighted stacks, when the format carried them.
    pub fn stacks(&self) -> Option<&Stacks> {
        self.stacks.as_deref()
    }

    /// What the profile list shows of where it came from: `cProfile`, `py-spy · 100 Hz`.
    pub fn producer_label(&self) -> String {
        match &self.sampled {
            Some((p, s)) => s.label(*p),
            None => self.producer().to_string(),
        }
    }

    /// Builds a profile from an already decoded marshal value.
    pub fn from_value(value: &Value) -> Result<Profile, ProfileError> {
        let Value::Dict(entries) = value else {
            return Err(ProfileError::NotADict(value.type_name()));
        };
        if entries.is_empty() {
            return Err(ProfileError::Empty);
        }
        let mut profile = Profile::default();
        let mut builder = Builder::new(Budget::UNLIMITED);
        for (index, (k, v)) in entries.iter().enumerate() {
            let key = builder.key(k).map_err(|e| e.at(index))?;
            profile.python2 |= is_python2_key(k);
            let f = function_from(&mut builder, key, v).map_err(|e| e.at(index))?;
            profile.insert(f);
        }
        Ok(profile)
    }

    /// A repeated key in a marshal dict: the last value wins, in the first position (as a
    /// Python dict would have it).
    fn insert(&mut self, f: Function) {
        if let Some((i, f)) = self.place(f) {
            self.functions[i] = f;
        }
    }

    /// Appends `f` and indexes it (one hash of its key), or, when its key is already here,
    /// gives it back with the position that holds the key.
    fn place(&mut self, f: Function) -> Option<(usize, Function)> {
        self.functions.push(f);
        let at = self.functions.len() - 1;
        let i = self.index.find_or_insert(&self.functions, at);
        (i != at).then(|| (i, self.functions.pop().expect("just pushed")))
    }

    /// Indexes functions pushed in dump order, at once (one allocation, no rehashing as
    /// the map grows). A repeated key keeps its first position and its last value, as
    /// [`Profile::insert`] would have it.
    fn index_read(&mut self) {
        let mut index = Index::with_capacity(self.functions.len());
        let mut repeats = Vec::new();
        for i in 0..self.functions.len() {
            let first = index.find_or_insert(&self.functions, i);
            if first != i {
                // The later value moves to the first position; the earlier one is left at
                // `i` to be dropped.
                self.functions.swap(first, i);
                repeats.push(i);
            }
        }
        self.index = index;
        if !repeats.is_empty() {
            let mut keep = vec![true; self.functions.len()];
            for i in repeats {
                keep[i] = false;
            }
            let mut i = 0;
            self.functions.retain(|_| {
                i += 1;
                keep[i - 1]
            });
            self.index.clear();
            for i in 0..self.functions.len() {
                self.index.find_or_insert(&self.functions, i);
            }
        }
    }

    /// What this model holds in memory, in bytes (an estimate within a few percent: the
    /// functions, their caller edges, the key index and every distinct string once). The
    /// server's cache accounts profiles by it.
    pub fn model_bytes(&self) -> usize {
        use std::collections::HashSet;
        use std::mem::size_of;
        // An index entry: a position and a control byte, at 7/8 load.
        let index_entry = (size_of::<usize>() + 1) * 8 / 7;
        let edge = size_of::<(FunctionKey, CallerStats)>();
        let mut strings: HashSet<*const u8, foldhash::fast::RandomState> = HashSet::default();
        let mut string_bytes = 0;
        let mut add = |s: &Arc<str>| {
            if strings.insert(s.as_ptr()) {
                string_bytes += s.len() + 16;
            }
        };
        let mut edges = 0;
        for f in &self.functions {
            add(&f.key.file);
            add(&f.key.name);
            edges += f.callers.capacity();
            for (k, _) in &f.callers {
                add(&k.file);
                add(&k.name);
            }
        }
        self.functions.capacity() * size_of::<Function>()
            + self.index.capacity() * index_entry
            + edges * edge
            + string_bytes
            + self.stacks.as_ref().map_or(0, |s| s.model_bytes())
    }

    /// Whether Python 2 wrote this dump (reports then print as Python 2.7's pstats).
    pub fn is_python2(&self) -> bool {
        self.python2
    }

    pub fn functions(&self) -> &[Function] {
        &self.functions
    }

    pub fn len(&self) -> usize {
        self.functions.len()
    }

    pub fn is_empty(&self) -> bool {
        self.functions.is_empty()
    }

    pub fn get(&self, key: &FunctionKey) -> Option<&Function> {
        self.index
            .find(&self.functions, key)
            .map(|i| &self.functions[i])
    }

    pub fn position(&self, key: &FunctionKey) -> Option<usize> {
        self.index.find(&self.functions, key)
    }

    /// [`Profile::position`] for many keys in a row: `key_hash` each first, then
    /// `likely_position` of a key some steps ahead (to prefetch that function), then
    /// `position_hashed`.
    pub fn key_hash(&self, key: &FunctionKey) -> u64 {
        self.index.hash(key)
    }

    pub fn likely_position(&self, hash: u64) -> Option<usize> {
        self.index.likely(hash)
    }

    pub fn position_hashed(&self, hash: u64, key: &FunctionKey) -> Option<usize> {
        self.index.find_hashed(&self.functions, hash, key)
    }

    /// Functions that `key` called, with that call edge's numbers, in dump order: every
    /// function whose callers include `key` (as pstats' `print_callees` finds them).
    pub fn callees_of<'a>(
        &'a self,
        key: &'a FunctionKey,
    ) -> impl Iterator<Item = (&'a Function, &'a CallerStats)> + 'a {
        self.functions.iter().filter_map(move |f| {
            f.callers
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, s)| (f, s))
        })
    }

    /// [`Profile::callees_of`] for every function at once: caller key → its callees.
    pub fn callee_index(&self) -> HashMap<&FunctionKey, Vec<(&Function, &CallerStats)>> {
        let mut index: HashMap<&FunctionKey, Vec<(&Function, &CallerStats)>> = HashMap::new();
        for f in &self.functions {
            for (caller, stats) in &f.callers {
                index.entry(caller).or_default().push((f, stats));
            }
        }
        index
    }

    /// Sum of `nc` over functions (pstats' "function calls"); saturates at the `i64` range
    /// (crafted dumps can hold counts near it) rather than wrapping.
    pub fn total_calls(&self) -> i64 {
        self.functions
            .iter()
            .fold(0i64, |acc, f| acc.saturating_add(f.nc))
    }

    /// Sum of `cc` over functions (pstats' "primitive calls"), saturating.
    pub fn primitive_calls(&self) -> i64 {
        self.functions
            .iter()
            .fold(0i64, |acc, f| acc.saturating_add(f.cc))
    }

    /// Why a server should not store this profile, if it should not: times that are not
    /// finite numbers, or call counts beyond what JSON numbers carry exactly (2^53). The
    /// CLI prints such dumps as pstats does; the web app refuses them with this message.
    pub fn check_numbers(&self) -> Result<(), String> {
        const EXACT: i64 = 1 << 53;
        let big = |n: i64| !(-EXACT..=EXACT).contains(&n);
        for f in &self.functions {
            let name = || f.key.display();
            if !f.tt.is_finite() || !f.ct.is_finite() {
                return Err(format!(
                    "{}: its times are not finite numbers (tt {}, ct {})",
                    name(),
                    f.tt,
                    f.ct
                ));
            }
            if big(f.nc) || big(f.cc) {
                return Err(format!(
                    "{}: its call counts ({}/{}) are beyond 2^53",
                    name(),
                    f.nc,
                    f.cc
                ));
            }
            for (k, s) in &f.callers {
                let bad = match *s {
                    CallerStats::Full { nc, cc, tt, ct } => {
                        big(nc) || big(cc) || !tt.is_finite() || !ct.is_finite()
                    }
                    CallerStats::Count(n) => big(n),
                };
                if bad {
                    return Err(format!(
                        "{}: the numbers of its call from {} are not finite or beyond 2^53",
                        name(),
                        k.display()
                    ));
                }
            }
        }
        let total = self.total_time();
        if !total.is_finite() {
            return Err(format!("its total time is not a finite number ({total})"));
        }
        if [self.total_calls(), self.primitive_calls()]
            .into_iter()
            .any(big)
        {
            return Err("its call counts add up to more than 2^53".into());
        }
        Ok(())
    }

    /// Sum of own times in dump order, as pstats adds them (float order matters).
    pub fn total_time(&self) -> f64 {
        self.functions.iter().fold(0.0, |acc, f| acc + f.tt)
    }

    /// Which profiler wrote this, from the data's tells.
    pub fn producer(&self) -> Producer {
        if let Some((p, _)) = self.sampled {
            return p;
        }
        if let Some(p) = self.declared {
            return p;
        }
        let mut saw_count_callers = false;
        let mut yappi = false;
        let mut pyinstrument = false;
        for (i, f) in self.functions.iter().enumerate() {
            // Each callers list is an allocation of its own: ask ahead.
            if let Some(g) = self.functions.get(i + 8) {
                super::prefetch(g.callers.as_ptr());
            }
            if f.nc == -1 && f.cc == -1 {
                pyinstrument = true;
            }
            if f.cc > f.nc
                || (f.key.line == 0 && matches!(&*f.key.file, "builtins" | "__builtin__"))
            {
                yappi = true;
            }
            if f.callers
                .iter()
                .any(|(_, c)| matches!(c, CallerStats::Count(_)))
            {
                saw_count_callers = true;
            }
        }
        if pyinstrument {
            Producer::Pyinstrument
        } else if saw_count_callers {
            Producer::Profile
        } else if yappi {
            Producer::Yappi
        } else {
            Producer::CProfile
        }
    }

    /// `Stats.add`: adds `other`'s numbers into this profile; functions new to this one are
    /// appended in `other`'s order, callers merged per caller.
    pub fn merge(&mut self, other: &Profile) {
        for f in &other.functions {
            self.add_function(f.clone());
        }
    }

    fn add_function(&mut self, f: Function) {
        let Some((i, f)) = self.place(f) else {
            return;
        };
        let t = &mut self.functions[i];
        t.cc = t.cc.saturating_add(f.cc);
        t.nc = t.nc.saturating_add(f.nc);
        t.tt += f.tt;
        t.ct += f.ct;
        for (caller, stats) in f.callers {
            match t.callers.iter_mut().find(|(k, _)| *k == caller) {
                Some((_, s)) => *s = s.add(stats),
                None => t.callers.push((caller, stats)),
            }
        }
    }

    /// `Stats.strip_dirs`: keys lose their directories; functions that become equal merge.
    pub fn strip_dirs(&self) -> Profile {
        // pstats builds a dict of callers here: a later duplicate replaces an earlier one.
        self.rekeyed(FunctionKey::strip_path, |_, later| later)
    }

    /// The marshal value `dump_stats` would write for this profile.
    pub fn to_value(&self) -> Value {
        fn key(k: &FunctionKey) -> Value {
            Value::Tuple(Arc::new([
                Value::Str(k.file.clone()),
                Value::Int(k.line),
                Value::Str(k.name.clone()),
            ]))
        }
        let entries: Vec<(Value, Value)> = self
            .functions
            .iter()
            .map(|f| {
                let callers: Vec<(Value, Value)> = f
                    .callers
                    .iter()
                    .map(|(k, s)| {
                        let v = match *s {
                            CallerStats::Full { nc, cc, tt, ct } => Value::Tuple(Arc::new([
                                Value::Int(nc),
                                Value::Int(cc),
                                Value::Float(tt),
                                Value::Float(ct),
                            ])),
                            CallerStats::Count(n) => Value::Int(n),
                        };
                        (key(k), v)
                    })
                    .collect();
                let stats = Value::Tuple(Arc::new([
                    Value::Int(f.cc),
                    Value::Int(f.nc),
                    Value::Float(f.tt),
                    Value::Float(f.ct),
                    Value::Dict(callers.into()),
                ]));
                (key(&f.key), stats)
            })
            .collect();
        Value::Dict(entries.into())
    }

    /// The bytes `pstats.Stats.dump_stats` would write: CPython's `marshal.load` reads them.
    pub fn dump(&self) -> Vec<u8> {
        marshal::write(&self.to_value())
    }

    /// Builds a profile from functions (tests, generators). Later duplicates merge.
    pub fn from_functions(functions: impl IntoIterator<Item = Function>) -> Profile {
        let mut p = Profile::default();
        for f in functions {
            p.add_function(f);
        }
        p
    }
}

/// A `(file, line, name)` tuple as a key; `convert` turns names that are not `str` (byte
/// strings, code objects) into text.
fn key_with(
    v: &Value,
    convert: &mut dyn FnMut(&Value) -> Option<Arc<str>>,
) -> Result<FunctionKey, String> {
    let Value::Tuple(t) = v else {
        return Err(format!(
            "key is a {}, expected a (file, line, name) tuple",
            v.type_name()
        ));
    };
    let [file, line, name] = &t[..] else {
        return Err(format!(
            "key has {} items, expected (file, line, name)",
            t.len()
        ));
    };
    key_of_items([file, line, name], convert)
}

/// A key from the three items of its tuple.
fn key_of_items(
    [file, line, name]: [&Value; 3],
    convert: &mut dyn FnMut(&Value) -> Option<Arc<str>>,
) -> Result<FunctionKey, String> {
    let file = match file {
        Value::Str(s) => s.clone(),
        Value::Bytes(_) => convert(file).expect("bytes convert"),
        other => {
            return Err(format!(
                "file name is a {}, expected str",
                other.type_name()
            ));
        }
    };
    let line = match line {
        Value::Int(i) => *i,
        other => {
            return Err(format!(
                "line number is a {}, expected int",
                other.type_name()
            ));
        }
    };
    let name: Arc<str> = match name {
        Value::Str(s) => s.clone(),
        Value::Bytes(_) | Value::Code(_) => convert(name).expect("bytes and code convert"),
        other => {
            return Err(format!(
                "function name is a {}, expected str",
                other.type_name()
            ));
        }
    };
    Ok(FunctionKey { file, line, name })
}

/// [`count`] of the next stats item, read as a plain number when it is one.
#[inline]
fn next_count(
    r: &mut Reader<'_>,
    what: &str,
    shape: &impl Fn(String) -> EntryError,
) -> Result<i64, EntryError> {
    match r.plain_number() {
        Some(Num::Int(i)) => Ok(i),
        Some(Num::Float(f)) => count(&Value::Float(f), what).map_err(shape),
        None => count(&r.value()?, what).map_err(shape),
    }
}

/// [`time`] of the next stats item, read as a plain number when it is one.
#[inline]
fn next_time(
    r: &mut Reader<'_>,
    what: &str,
    shape: &impl Fn(String) -> EntryError,
) -> Result<f64, EntryError> {
    match r.plain_number() {
        Some(Num::Float(f)) => Ok(f),
        Some(Num::Int(i)) => Ok(i as f64),
        None => time(&r.value()?, what).map_err(shape),
    }
}

fn count(v: &Value, what: &str) -> Result<i64, String> {
    match v {
        Value::Int(i) => Ok(*i),
        Value::Float(f) if f.fract() == 0.0 && f.abs() < 9e15 => Ok(*f as i64),
        other => Err(format!("{what} is a {}, expected int", other.type_name())),
    }
}

fn time(v: &Value, what: &str) -> Result<f64, String> {
    match v {
        Value::Float(f) => Ok(*f),
        Value::Int(i) => Ok(*i as f64),
        Value::BigInt(f) => Ok(*f),
        other => Err(format!("{what} is a {}, expected float", other.type_name())),
    }
}

/// UTF-8 text without control characters (besides whitespace). A dump never is: it starts
/// with a dict type byte followed by binary lengths within its first bytes.
fn looks_like_text(head: &[u8]) -> bool {
    let text = match std::str::from_utf8(head) {
        Ok(t) => t,
        // The 64-byte window may cut a character in two.
        Err(e) if e.error_len().is_none() && e.valid_up_to() > 0 => {
            std::str::from_utf8(&head[..e.valid_up_to()]).unwrap_or_default()
        }
        Err(_) => return false,
    };
    !text.is_empty() && text.chars().all(|c| !c.is_control() || c.is_whitespace())
}

fn is_sampled_marker(k: &Value) -> bool {
    matches!(k, Value::Tuple(t) if matches!(&t[..], [Value::Str(s)] if &**s == "__sampled__"))
}

fn is_python2_key(k: &Value) -> bool {
    matches!(k, Value::Tuple(t) if matches!(t.first(), Some(Value::Bytes(_))))
}

/// Why one entry could not be read: broken marshal data, data of the wrong shape, or a
/// model past its budget.
enum EntryError {
    Marshal(MarshalError),
    Shape(String),
    Budget(String),
}

impl KeyError {
    fn at(self, index: usize) -> ProfileError {
        match self {
            KeyError::Shape(what) => ProfileError::Entry { index, what },
            KeyError::Budget(what) => ProfileError::TooLarge(what),
        }
    }
}

impl From<KeyError> for EntryError {
    fn from(e: KeyError) -> Self {
        match e {
            KeyError::Shape(s) => EntryError::Shape(s),
            KeyError::Budget(s) => EntryError::Budget(s),
        }
    }
}

impl From<MarshalError> for EntryError {
    fn from(e: MarshalError) -> Self {
        EntryError::Marshal(e)
    }
}

impl EntryError {
    fn at(self, index: usize) -> ProfileError {
        match self {
            EntryError::Marshal(MarshalError::TooBig { at, limit }) => {
                ProfileError::TooLarge(MarshalError::TooBig { at, limit }.to_string())
            }
            EntryError::Marshal(e) => ProfileError::Marshal(e),
            EntryError::Shape(what) => ProfileError::Entry { index, what },
            EntryError::Budget(what) => ProfileError::TooLarge(what),
        }
    }
}

const STATS_SHAPE: &str = "expected (cc, nc, tt, ct, callers)";
const CALLER_SHAPE: &str = "expected (nc, cc, tt, ct) or a count";

/// Reads one function's stats from the stream. Containers nothing refers back to are read
/// in place; anything else goes through the generic reader and [`function_from`], which
/// gives the same result and messages.
fn read_function(
    r: &mut Reader<'_>,
    b: &mut Builder,
    key: Pending,
) -> Result<Function, EntryError> {
    let Some(n) = r.plain_tuple_start()? else {
        let key = b.take(key)?;
        let v = r.value()?;
        return function_from(b, key, &v);
    };
    // A key met before is cloned with the callers (see `Builder::resolve`).
    let read = read_stats(r, b, n, &key);
    let key = b.take(key)?;
    let EntryStats {
        cc,
        nc,
        tt,
        ct,
        callers,
    } = read.map_err(|e| e.prefixed(&key))?;
    Ok(Function {
        key,
        cc,
        nc,
        tt,
        ct,
        callers,
    })
}

/// The stats tuple of `n` items after a function's key, read in place; shape errors do
/// not name the function yet.
fn read_stats(
    r: &mut Reader<'_>,
    b: &mut Builder,
    n: usize,
    key: &Pending,
) -> Result<EntryStats, EntryError> {
    let shape = EntryError::Shape;
    if n != 5 {
        return Err(shape(format!("stats have {n} items, {STATS_SHAPE}")));
    }
    let cc = next_count(r, "cc", &shape)?;
    let nc = next_count(r, "nc", &shape)?;
    let tt = next_time(r, "tt", &shape)?;
    let ct = next_time(r, "ct", &shape)?;
    let callers = if r.plain_dict_start() {
        // Collected in the builder's scratch list, then copied once at its exact size:
        // growing each function's own list took a third of the allocations.
        let mut list = std::mem::take(&mut b.scratch);
        list.clear();
        loop {
            let caller = match b.next_key(r, false, &mut false)? {
                NextKey::Known(i) => Pending::Known(i),
                NextKey::Key(k) => Pending::Key(k.map_err(|e| match e {
                    KeyError::Shape(e) => shape(format!("caller {e}")),
                    KeyError::Budget(e) => EntryError::Budget(e),
                })?),
                NextKey::End | NextKey::Sampled => break,
            };
            b.count_edges(1).map_err(EntryError::Budget)?;
            let stats = match r.plain_tuple_start()? {
                Some(4) => CallerStats::Full {
                    nc: next_count(r, "caller nc", &shape)?,
                    cc: next_count(r, "caller cc", &shape)?,
                    tt: next_time(r, "caller tt", &shape)?,
                    ct: next_time(r, "caller ct", &shape)?,
                },
                Some(_) => return Err(shape(format!("caller stats are a tuple, {CALLER_SHAPE}"))),
                None => caller_stats_from(&r.value()?).map_err(shape)?,
            };
            list.push((caller, stats));
        }
        let mut exact = b.resolve(&mut list, key).map_err(EntryError::Budget)?;
        b.scratch = list;
        dedup_callers(&mut exact);
        exact
    } else {
        let v = r.value()?;
        callers_from(b, &v)?
    };
    Ok(EntryStats {
        cc,
        nc,
        tt,
        ct,
        callers,
    })
}

/// A function's numbers and callers, read before its key is cloned.
struct EntryStats {
    cc: i64,
    nc: i64,
    tt: f64,
    ct: f64,
    callers: Vec<(FunctionKey, CallerStats)>,
}

impl EntryError {
    /// Shape errors name the function they are about.
    fn prefixed(self, key: &FunctionKey) -> EntryError {
        match self {
            EntryError::Shape(what) => EntryError::Shape(format!("{}: {what}", key.display())),
            other => other,
        }
    }
}

/// A marshal dict may repeat a key (Python's never does): as `marshal.load` builds a dict,
/// the last value wins, in the first one's place, so every caller appears once.
fn dedup_callers(list: &mut Vec<(FunctionKey, CallerStats)>) {
    if list.len() < 2 {
        return;
    }
    // Most functions have a few callers: look for a repeat without allocating.
    if list.len() <= 8 && !(1..list.len()).any(|i| list[..i].iter().any(|(k, _)| *k == list[i].0)) {
        return;
    }
    // Longer lists: equal keys have equal fingerprints (a fixed hash of the key), so sorting
    // them puts any repeat in a run of equal fingerprints, checked exactly; cheaper than a
    // hash map of keys. A long run (crafted collisions) takes the map.
    let mut prints: Vec<(u64, usize)> = list
        .iter()
        .enumerate()
        .map(|(i, (k, _))| (fingerprint(k), i))
        .collect();
    prints.sort_unstable();
    let mut repeat = false;
    for run in prints.chunk_by(|a, b| a.0 == b.0) {
        if run.len() > 8
            || (1..run.len()).any(|i| run[..i].iter().any(|a| list[a.1].0 == list[run[i].1].0))
        {
            repeat = true;
            break;
        }
    }
    if !repeat {
        return;
    }
    let mut first: HashMap<&FunctionKey, usize, foldhash::fast::RandomState> = HashMap::default();
    let mut moves: Vec<(usize, usize)> = Vec::new();
    for (i, (k, _)) in list.iter().enumerate() {
        match first.entry(k) {
            Entry::Occupied(e) => moves.push((*e.get(), i)),
            Entry::Vacant(e) => {
                e.insert(i);
            }
        }
    }
    if moves.is_empty() {
        return;
    }
    let mut drop = vec![false; list.len()];
    for (to, from) in moves {
        list[to].1 = list[from].1;
        drop[from] = true;
    }
    let mut i = 0;
    list.retain(|_| {
        i += 1;
        !drop[i - 1]
    });
}

/// A hash of what distinguishes keys cheaply: equal keys always get equal fingerprints.
fn fingerprint(k: &FunctionKey) -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = foldhash::fast::FixedState::with_seed(0x5eed).build_hasher();
    h.write_i64(k.line);
    h.write(k.name.as_bytes());
    h.write(k.file.as_bytes());
    h.finish()
}

fn caller_stats_from(v: &Value) -> Result<CallerStats, String> {
    match v {
        Value::Tuple(t) if t.len() == 4 => Ok(CallerStats::Full {
            nc: count(&t[0], "caller nc")?,
            cc: count(&t[1], "caller cc")?,
            tt: time(&t[2], "caller tt")?,
            ct: time(&t[3], "caller ct")?,
        }),
        Value::Int(n) => Ok(CallerStats::Count(*n)),
        other => Err(format!(
            "caller stats are a {}, {CALLER_SHAPE}",
            other.type_name()
        )),
    }
}

fn callers_from(b: &mut Builder, v: &Value) -> Result<Vec<(FunctionKey, CallerStats)>, EntryError> {
    let Value::Dict(callers) = v else {
        return Err(EntryError::Shape(format!(
            "callers are a {}, expected dict",
            v.type_name()
        )));
    };
    // Counted before anything is built: a dict shared by every function expands here.
    b.count_edges(callers.len()).map_err(EntryError::Budget)?;
    let mut list = callers
        .iter()
        .map(|(k, v)| {
            let caller = b.key(k).map_err(|e| match e {
                KeyError::Shape(e) => EntryError::Shape(format!("caller {e}")),
                KeyError::Budget(e) => EntryError::Budget(e),
            })?;
            Ok((caller, caller_stats_from(v).map_err(EntryError::Shape)?))
        })
        .collect::<Result<Vec<_>, EntryError>>()?;
    dedup_callers(&mut list);
    Ok(list)
}

fn function_from(b: &mut Builder, key: FunctionKey, v: &Value) -> Result<Function, EntryError> {
    let shape = |what: String| EntryError::Shape(format!("{}: {what}", key.display()));
    let Value::Tuple(t) = v else {
        return Err(shape(format!(
            "stats are a {}, {STATS_SHAPE}",
            v.type_name()
        )));
    };
    let [cc, nc, tt, ct, callers] = &t[..] else {
        return Err(shape(format!(
            "stats have {} items, {STATS_SHAPE}",
            t.len()
        )));
    };
    Ok(Function {
        cc: count(cc, "cc").map_err(shape)?,
        nc: count(nc, "nc").map_err(shape)?,
        tt: time(tt, "tt").map_err(shape)?,
        ct: time(ct, "ct").map_err(shape)?,
        callers: callers_from(b, callers).map_err(|e| e.prefixed(&key))?,
        key,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names() {
        assert_eq!(FunctionKey::new("a.py", 3, "f").display(), "a.py:3(f)");
        assert_eq!(
            FunctionKey::new("~", 0, "<built-in method builtins.len>").display(),
            "{built-in method builtins.len}"
        );
        assert_eq!(FunctionKey::new("~", 0, "len").display(), "len");
        assert_eq!(FunctionKey::new("a.py", -12, "f").display(), "a.py:-12(f)");
        assert_eq!(
            FunctionKey::new("a.py", i64::MIN, "f").display(),
            format!("a.py:{}(f)", i64::MIN)
        );
        for k in [
            FunctionKey::new("~", 0, "<built-in method builtins.len>"),
            FunctionKey::new("~", 0, "<"),
            FunctionKey::new("größe.py", 0, "Ω"),
            FunctionKey::new("a.py", -7, "f"),
            FunctionKey::new("a.py", 1000, "f"),
            FunctionKey::new("a.py", 999, "f"),
        ] {
            assert_eq!(k.display_len(), k.display().chars().count(), "{k:?}");
        }
        assert_eq!(
            FunctionKey::new("/x/y/a.py", 3, "f").strip_path().display(),
            "a.py:3(f)"
        );
    }

    /// A marshal dict may repeat keys (a Python dict never does): as `marshal.load`
    /// builds the dict, the last value wins in the first one's place, for the functions
    /// and inside a callers dict (short lists and long ones take different paths).
    #[test]
    fn repeated_keys_keep_the_first_place_and_the_last_value() {
        use std::sync::Arc;
        let key = |name: &str| {
            Value::Tuple(Arc::new([
                Value::Str("m.py".into()),
                Value::Int(1),
                Value::Str(name.into()),
            ]))
        };
        let edge = |n: i64| {
            Value::Tuple(Arc::new([
                Value::Int(n),
                Value::Int(n),
                Value::Float(0.5),
                Value::Float(0.5),
            ]))
        };
        let stats = |cc: i64, callers: &[(&str, i64)]| {
            let callers: Vec<(Value, Value)> =
                callers.iter().map(|&(k, n)| (key(k), edge(n))).collect();
            Value::Tuple(Arc::new([
                Value::Int(cc),
                Value::Int(cc),
                Value::Float(1.0),
                Value::Float(1.0),
                Value::Dict(callers.into()),
            ]))
        };
        let many: Vec<(String, i64)> = (0..12).map(|i| (format!("c{i}"), i)).collect();
        let mut long: Vec<(&str, i64)> = many.iter().map(|(k, n)| (k.as_str(), *n)).collect();
        long.push(("c3", 99));
        let dump = marshal::write(&Value::Dict(
            vec![
                (key("a"), stats(1, &[("x", 1), ("y", 2), ("x", 3)])),
                (key("b"), stats(2, &long)),
                (key("a"), stats(3, &[])),
                (key("c"), stats(4, &[])),
                (key("a"), stats(5, &[("z", 1)])),
            ]
            .into(),
        ));
        let p = Profile::parse(&dump).unwrap();
        let names: Vec<&str> = p.functions().iter().map(|f| &*f.key.name).collect();
        assert_eq!(names, ["a", "b", "c"]);
        assert_eq!(p.functions()[0].cc, 5);
        assert_eq!(p.get(&FunctionKey::new("m.py", 1, "c")).unwrap().cc, 4);
        assert_eq!(p.position(&FunctionKey::new("m.py", 1, "c")), Some(2));
        let b = &p.functions()[1].callers;
        assert_eq!(b.len(), 12);
        assert_eq!(&*b[3].0.name, "c3");
        assert!(matches!(b[3].1, CallerStats::Full { nc: 99, .. }));
        let dump = marshal::write(&Value::Dict(
            vec![(key("a"), stats(1, &[("x", 1), ("y", 2), ("x", 3)]))].into(),
        ));
        let p = Profile::parse(&dump).unwrap();
        let a = &p.functions()[0].callers;
        assert_eq!(a.len(), 2);
        assert!(matches!(a[0].1, CallerStats::Full { nc: 3, .. }));
    }

    #[test]
    fn non_dicts_are_named() {
        let err = Profile::parse(b"[\x00\x00\x00\x00").unwrap_err();
        assert_eq!(
            err.to_string(),
            "not a Python profile dump: marshal data is a list, expected a dict of functions"
        );
        let err = Profile::parse(b"Flat profile:\n\nEach sample counts").unwrap_err();
        assert!(err.to_string().contains("text file"), "{err}");
        let err = Profile::parse("# notes — a README\n\nwith ünïcode".as_bytes()).unwrap_err();
        assert_eq!(err, ProfileError::TextFile);
    }
}
