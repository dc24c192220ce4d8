//! A reader for CPython's `marshal` format, versions 2 (Python 2.7) to 5 (Python 3.14).
//!
//! Why our own: profile dumps are marshal data, pstats' tie order depends on dict order, and
//! dumps lean heavily on back-references (`r`). No crate keeps both, so this module does,
//! following `Python/marshal.c`:
//!
//! * A type byte may carry `FLAG_REF` (0x80). Flagged objects get a slot in the reference
//!   table **when their type byte is read** (pre-order): a container reserves its slot before
//!   its children. Singletons (`None`, `True`, ...) are never registered, as in CPython.
//! * Python 2 dumps have no flags but intern strings with `t` and refer to them with `R`.
//! * Code objects (written by the pure-Python `profile` module into one key) have a field
//!   layout that changed in 3.8 and 3.11; the dump has no version header, so the layout is
//!   found by trying each one and keeping the one whose fields have the right types.
//!
//! Hostile input never panics: every length is checked against the bytes actually present
//! before anything is allocated, nesting is limited, and values are reference-counted so a
//! back-reference costs O(1) (no "billion laughs" blow-up). Memory is accounted too: what
//! decoding allocates is charged against a budget of [`MEMORY_FACTOR`] times the input (plus
//! [`MEMORY_SLACK`]), so no input, however it nests or shares, makes the reader hold more.

use std::fmt;
use std::sync::Arc;

/// Nesting deeper than this is refused. Profile dumps nest four levels; code objects a few
/// more per nested function. CPython allows 2000, which could overflow a 1 MiB wasm stack.
pub const MAX_DEPTH: usize = 100;

const FLAG_REF: u8 = 0x80;

/// Decoded objects may hold at most this many times the input's size in memory...
pub const MEMORY_FACTOR: usize = 3;
/// ...plus this much, so tiny inputs are not refused for fixed costs.
pub const MEMORY_SLACK: usize = 1 << 20;

/// What one decoded value costs in memory (its slot in a container or the reference table).
const VALUE_COST: usize = std::mem::size_of::<Value>();
/// What an `Arc` allocation adds (two counters).
const ARC_COST: usize = 16;

/// A decoded marshal object. Containers and strings are shared (`Arc`) so that resolving a
/// back-reference is a cheap clone.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    None,
    Bool(bool),
    StopIteration,
    Ellipsis,
    Int(i64),
    /// An integer too large for `i64`; kept as its nearest float.
    BigInt(f64),
    Float(f64),
    Complex(f64, f64),
    Bytes(Arc<[u8]>),
    Str(Arc<str>),
    Tuple(Arc<[Value]>),
    List(Arc<[Value]>),
    /// Entries in the order they were written (Python dicts keep insertion order).
    Dict(Arc<[(Value, Value)]>),
    Set(Arc<[Value]>),
    FrozenSet(Arc<[Value]>),
    Slice(Arc<[Value; 3]>),
    Code(Arc<Code>),
}

/// A number as [`Reader::plain_number`] reads it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Num {
    Int(i64),
    Float(f64),
}

/// The parts of a code object that profile reports show.
#[derive(Clone, Debug, PartialEq)]
pub struct Code {
    pub name: Arc<str>,
    pub filename: Arc<str>,
    pub first_line: i64,
    /// A hash of what Python's code equality compares (name, file, line, bytecode). Stands
    /// in for the memory address, which the dump does not record: equal code objects
    /// written twice (Python 2 has no back-references) must stay one function.
    pub identity: u64,
}

impl Value {
    /// The Python type name, for error messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::None => "None",
            Value::Bool(_) => "bool",
            Value::StopIteration => "StopIteration",
            Value::Ellipsis => "Ellipsis",
            Value::Int(_) | Value::BigInt(_) => "int",
            Value::Float(_) => "float",
            Value::Complex(..) => "complex",
            Value::Bytes(_) => "bytes",
            Value::Str(_) => "str",
            Value::Tuple(_) => "tuple",
            Value::List(_) => "list",
            Value::Dict(_) => "dict",
            Value::Set(_) => "set",
            Value::FrozenSet(_) => "frozenset",
            Value::Slice(_) => "slice",
            Value::Code(_) => "code object",
        }
    }
}

/// Why bytes could not be read as marshal data. Positions are byte offsets into the input.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MarshalError {
    #[error("empty file")]
    Empty,
    #[error("truncated at byte {0}")]
    Truncated(usize),
    #[error("unknown marshal type 0x{code:02x} at byte {at}")]
    UnknownType { code: u8, at: usize },
    #[error("bad marshal data at byte {at}: {what}")]
    Bad { at: usize, what: &'static str },
    #[error("nesting deeper than {MAX_DEPTH} levels at byte {0}")]
    TooDeep(usize),
    #[error("code objects at byte {0} do not match any Python version")]
    Ambiguous(usize),
    /// Decoding would hold more than the memory budget (see [`MEMORY_FACTOR`]).
    #[error(
        "decoding it needs more than {} MB of memory by byte {at} (at most {MEMORY_FACTOR}× the file \
         plus {} MB); its objects refer to each other more than a profile dump's do",
        .limit.div_ceil(1 << 20), MEMORY_SLACK >> 20
    )]
    TooBig { at: usize, limit: usize },
}

/// The Python type a marshal type byte starts (flag bit ignored); `None` for references,
/// NULL and unknown bytes, whose type only decoding tells.
pub fn type_name_of(code: u8) -> Option<&'static str> {
    Some(match code & !FLAG_REF {
        b'N' => "None",
        b'F' | b'T' => "bool",
        b'S' => "StopIteration",
        b'.' => "Ellipsis",
        b'i' | b'I' | b'l' => "int",
        b'g' | b'f' => "float",
        b'y' | b'x' => "complex",
        b's' => "bytes",
        b'u' | b'a' | b'A' | b't' | b'z' | b'Z' => "str",
        b'(' | b')' => "tuple",
        b'[' => "list",
        b'{' => "dict",
        b'<' => "set",
        b'>' => "frozenset",
        b':' => "slice",
        b'c' => "code object",
        _ => return None,
    })
}

/// Reads one marshal object from the start of `data`. Trailing bytes are ignored, as
/// `marshal.load` does.
pub fn read(data: &[u8]) -> Result<Value, MarshalError> {
    if data.is_empty() {
        return Err(MarshalError::Empty);
    }
    let mut reader = Reader::new(data);
    match reader.object()? {
        Some(v) => Ok(v),
        None => Err(MarshalError::Bad {
            at: 0,
            what: "NULL object at top level",
        }),
    }
}

/// A marshal reader positioned in a byte buffer. `read` decodes a whole object; the
/// streaming methods let the profile parser read a dump entry by entry without
/// materialising the whole tree (see `Profile::parse`).
pub struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
    /// The reference table; `None` marks a slot reserved by an object still being read.
    refs: Vec<Option<Value>>,
    /// Python 2's interned-string table (`t` appends, `R` indexes).
    interned: Vec<Arc<str>>,
    depth: usize,
    /// Bytes read so far, re-reads included, and the most that may be: code-object layout
    /// detection backtracks, and nested code objects would otherwise make that exponential.
    work: usize,
    work_limit: usize,
    /// The code-object layout that last parsed; tried first (a dump has one Python's).
    layout: Option<usize>,
    /// Bytes of decoded objects charged since the last [`Reader::release`], and the part of
    /// them the reference table keeps (never released: a later `r` may name any of them).
    /// Their sum bounds what the reader holds, so it is checked against `charge_limit`.
    charged: usize,
    retained: usize,
    charge_limit: usize,
}

/// Decodes text leniently: marshal's `u` may hold lone surrogates (CPython writes them with
/// `surrogatepass`), and Python 2 `s`/`t` strings are arbitrary bytes.
fn text(bytes: &[u8]) -> Arc<str> {
    match std::str::from_utf8(bytes) {
        Ok(s) => Arc::from(s),
        Err(_) => Arc::from(String::from_utf8_lossy(bytes).as_ref()),
    }
}

impl<'a> Reader<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        Reader {
            data,
            pos: 0,
            refs: Vec::new(),
            interned: Vec::new(),
            depth: 0,
            work: 0,
            work_limit: data.len().saturating_mul(8).saturating_add(1 << 20),
            layout: None,
            charged: 0,
            retained: 0,
            charge_limit: data
                .len()
                .saturating_mul(MEMORY_FACTOR)
                .saturating_add(MEMORY_SLACK),
        }
    }

    /// Charges `bytes` of memory the next allocation takes; fails past the budget.
    fn charge(&mut self, bytes: usize) -> Result<(), MarshalError> {
        self.charged = self.charged.saturating_add(bytes);
        if self.charged > self.charge_limit {
            return Err(MarshalError::TooBig {
                at: self.pos,
                limit: self.charge_limit,
            });
        }
        Ok(())
    }

    /// Declares that what was decoded since the last call, and is not in the reference
    /// table, has been dropped by the caller: a streaming reader calls this after each
    /// top-level entry so that the budget bounds what is live, not what was ever decoded.
    pub fn release(&mut self) {
        self.charged = self.retained;
    }

    /// Bytes the reader's decoded objects hold now, at most (for tests and benchmarks).
    pub fn charged(&self) -> usize {
        self.charged
    }

    /// If the next object is a dict, consumes its type byte (registering it if flagged)
    /// and returns true; the entries follow, read with [`Reader::object`] until `None`.
    pub fn dict_start(&mut self) -> bool {
        match self.data.get(self.pos) {
            Some(&code) if code & !FLAG_REF == b'{' => {
                self.pos += 1;
                // A reference to a dict still being read is refused, as in `read`.
                self.reserve(code & FLAG_REF != 0);
                true
            }
            _ => false,
        }
    }

    /// If the next object is a tuple that nothing refers back to (no `FLAG_REF`), consumes
    /// its header and returns its length; its items follow. Otherwise consumes nothing.
    pub fn plain_tuple_start(&mut self) -> Result<Option<usize>, MarshalError> {
        match self.data.get(self.pos) {
            Some(b')') => {
                self.pos += 1;
                Ok(Some(self.byte()? as usize))
            }
            Some(b'(') => {
                self.pos += 1;
                Ok(Some(self.len(1)?))
            }
            _ => Ok(None),
        }
    }

    /// If the next object is a tuple of three items that nothing refers back to — every
    /// key cProfile writes: `(file, line, name)`, made afresh for each use — reads its
    /// items without building the tuple. Otherwise consumes nothing.
    pub fn plain_triple(&mut self) -> Result<Option<[Value; 3]>, MarshalError> {
        let three = match self.data.get(self.pos..self.pos + 5) {
            Some([b')', 3, ..]) => 2,
            Some([b'(', 3, 0, 0, 0]) => 5,
            _ => return Ok(None),
        };
        if self.depth >= MAX_DEPTH {
            return Err(MarshalError::TooDeep(self.pos));
        }
        self.pos += three;
        self.depth += 1;
        let items = (|| Ok([self.value()?, self.value()?, self.value()?]))();
        self.depth -= 1;
        items.map(Some)
    }

    /// The reference-table slot the next object names, if it is a back-reference (`r`),
    /// unchecked: the caller knows the slot is a finished object (it saw it finish, by
    /// [`Reader::next_slot`]) before calling [`Reader::skip_ref`]. Not looking at the
    /// table here saves a cache miss per caller edge on large dumps.
    pub fn peek_ref(&self) -> Option<usize> {
        match self.data.get(self.pos..self.pos + 5) {
            Some([b'r', a, b, c, d]) => Some(u32::from_le_bytes([*a, *b, *c, *d]) as usize),
            _ => None,
        }
    }

    /// Consumes the back-reference [`Reader::peek_ref`] found, without cloning its object;
    /// only for a slot whose object was read to its end.
    pub fn skip_ref(&mut self) {
        debug_assert!(matches!(
            self.peek_ref().and_then(|i| self.refs.get(i)),
            Some(Some(_))
        ));
        self.pos += 5;
    }

    /// The slot the next object will take in the reference table, if it is flagged for
    /// one (slots are numbered in pre-order, so it is the next free one).
    pub fn next_slot(&self) -> Option<usize> {
        match self.data.get(self.pos) {
            Some(&code) if code & FLAG_REF != 0 => Some(self.refs.len()),
            _ => None,
        }
    }

    /// The next object if it is one of the numbers a stats tuple is made of — an unflagged
    /// `int`, a binary float, or a back-reference to either (CPython flags its cached small
    /// ints, so most counts after the first are references) — read; otherwise `None`, and
    /// nothing is consumed. Small enough to come back in registers: returning a [`Value`]
    /// went through memory and stalled on every stats item.
    #[inline]
    pub fn plain_number(&mut self) -> Option<Num> {
        let at = self.pos;
        let (num, len) = match self.data.get(at..at + 9) {
            Some([b'i', a, b, c, d, ..]) => {
                (Num::Int(i32::from_le_bytes([*a, *b, *c, *d]) as i64), 5)
            }
            Some([b'g', bytes @ ..]) => {
                let mut a = [0u8; 8];
                a.copy_from_slice(bytes);
                (Num::Float(f64::from_le_bytes(a)), 9)
            }
            Some([b'r', a, b, c, d, ..]) => {
                match self.refs.get(u32::from_le_bytes([*a, *b, *c, *d]) as usize) {
                    Some(Some(Value::Int(i))) => (Num::Int(*i), 5),
                    Some(Some(Value::Float(f))) => (Num::Float(*f), 5),
                    // Out of range, unfinished or another type: the general path says so.
                    _ => return None,
                }
            }
            _ => return None,
        };
        self.pos += len;
        Some(num)
    }

    /// Like [`Reader::dict_start`], for a dict that nothing refers back to.
    pub fn plain_dict_start(&mut self) -> bool {
        if self.data.get(self.pos) == Some(&b'{') {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    /// Reads one object; `Ok(None)` is marshal's NULL (`0`), which ends a dict.
    pub fn object(&mut self) -> Result<Option<Value>, MarshalError> {
        let at = self.pos;
        if self.depth >= MAX_DEPTH {
            return Err(MarshalError::TooDeep(at));
        }
        self.depth += 1;
        let result = self.object_inner(at);
        self.depth -= 1;
        result
    }

    /// Reads an object that must not be NULL.
    pub fn value(&mut self) -> Result<Value, MarshalError> {
        let at = self.pos;
        self.object()?.ok_or(MarshalError::Bad {
            at,
            what: "unexpected NULL object",
        })
    }

    fn bad(&self, at: usize, what: &'static str) -> MarshalError {
        MarshalError::Bad { at, what }
    }

    /// `n` bytes of text, charged (lossy decoding may triple invalid bytes).
    fn text(&mut self, n: usize) -> Result<Arc<str>, MarshalError> {
        let bytes = self.take(n)?;
        let s = text(bytes);
        self.charge(s.len() + ARC_COST)?;
        Ok(s)
    }

    /// `n` bytes of the ASCII string types (`a`, `A`, `z`, `Z`), charged. CPython reads
    /// them as Latin-1 (`PyUnicode_1BYTE_KIND`), which only crafted data makes matter; the
    /// ASCII check is cheaper than UTF-8 validation, and names are most of a dump.
    fn ascii_text(&mut self, n: usize) -> Result<Arc<str>, MarshalError> {
        let bytes = self.take(n)?;
        let s: Arc<str> = if bytes.is_ascii() {
            // SAFETY: ASCII bytes are valid UTF-8.
            Arc::from(unsafe { std::str::from_utf8_unchecked(bytes) })
        } else {
            bytes.iter().map(|&b| b as char).collect::<String>().into()
        };
        // Latin-1 bytes take at most two bytes each in UTF-8.
        self.charge(s.len() + ARC_COST)?;
        Ok(s)
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], MarshalError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&end| end <= self.data.len())
            .ok_or(MarshalError::Truncated(
                self.data.len().min(self.pos.saturating_add(n)),
            ))?;
        let bytes = &self.data[self.pos..end];
        self.pos = end;
        Ok(bytes)
    }

    fn byte(&mut self) -> Result<u8, MarshalError> {
        Ok(self.take(1)?[0])
    }

    fn i32(&mut self) -> Result<i32, MarshalError> {
        let b = self.take(4)?;
        Ok(i32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// A length field: non-negative and no larger than the bytes left (each item needs at
    /// least `min_item` bytes), so nothing is allocated for data that is not there.
    fn len(&mut self, min_item: usize) -> Result<usize, MarshalError> {
        let at = self.pos;
        let n = self.i32()?;
        if n < 0 {
            return Err(self.bad(at, "negative size"));
        }
        let n = n as usize;
        let left = self.data.len() - self.pos;
        if n.saturating_mul(min_item) > left {
            return Err(MarshalError::Truncated(self.data.len()));
        }
        Ok(n)
    }

    fn reserve(&mut self, flag: bool) -> Option<usize> {
        flag.then(|| {
            self.refs.push(None);
            self.refs.len() - 1
        })
    }

    fn fill(&mut self, slot: Option<usize>, v: &Value) {
        if let Some(i) = slot {
            self.refs[i] = Some(v.clone());
        }
    }

    fn object_inner(&mut self, at: usize) -> Result<Option<Value>, MarshalError> {
        let code = self.byte()?;
        let flag = code & FLAG_REF != 0;
        let kind = code & !FLAG_REF;
        // Scalars: read, then register (their position in the table is still pre-order,
        // as they have no children).
        let scalar = match kind {
            b'0' => return Ok(None),
            b'N' => return Ok(Some(Value::None)),
            b'F' => return Ok(Some(Value::Bool(false))),
            b'T' => return Ok(Some(Value::Bool(true))),
            b'S' => return Ok(Some(Value::StopIteration)),
            b'.' => return Ok(Some(Value::Ellipsis)),
            b'i' => Some(Value::Int(self.i32()? as i64)),
            b'I' => {
                let b = self.take(8)?;
                let mut a = [0u8; 8];
                a.copy_from_slice(b);
                Some(Value::Int(i64::from_le_bytes(a)))
            }
            b'l' => Some(self.long(at)?),
            b'g' => Some(Value::Float(self.binary_float()?)),
            b'f' => Some(Value::Float(self.text_float()?)),
            b'y' => {
                let re = self.binary_float()?;
                Some(Value::Complex(re, self.binary_float()?))
            }
            b'x' => {
                let re = self.text_float()?;
                Some(Value::Complex(re, self.text_float()?))
            }
            b's' => {
                let n = self.len(1)?;
                self.charge(n + ARC_COST)?;
                Some(Value::Bytes(Arc::from(self.take(n)?)))
            }
            b'u' => {
                let n = self.len(1)?;
                Some(Value::Str(self.text(n)?))
            }
            b'a' | b'A' => {
                let n = self.len(1)?;
                Some(Value::Str(self.ascii_text(n)?))
            }
            b't' => {
                let n = self.len(1)?;
                let s = self.text(n)?;
                // The interned table keeps it for the whole read.
                self.charge(ARC_COST)?;
                self.retained = self.retained.saturating_add(s.len() + 2 * ARC_COST);
                self.interned.push(s.clone());
                Some(Value::Str(s))
            }
            b'z' | b'Z' => {
                let n = self.byte()? as usize;
                Some(Value::Str(self.ascii_text(n)?))
            }
            b'R' => {
                let i = self.i32()?;
                let s = usize::try_from(i)
                    .ok()
                    .and_then(|i| self.interned.get(i))
                    .ok_or(MarshalError::Bad {
                        at,
                        what: "string reference out of range",
                    })?;
                return Ok(Some(Value::Str(s.clone())));
            }
            b'r' => {
                let i = self.i32()?;
                let v = usize::try_from(i)
                    .ok()
                    .and_then(|i| self.refs.get(i))
                    .ok_or(MarshalError::Bad {
                        at,
                        what: "reference out of range",
                    })?;
                let v = v.clone().ok_or(MarshalError::Bad {
                    at,
                    what: "reference to an object still being read",
                })?;
                return Ok(Some(v));
            }
            _ => None,
        };
        if let Some(v) = scalar {
            if flag {
                self.charge(VALUE_COST)?;
                self.retained = self.retained.saturating_add(VALUE_COST + self.cost_of(&v));
                self.refs.push(Some(v.clone()));
            }
            return Ok(Some(v));
        }
        if flag {
            self.charge(VALUE_COST)?;
        }
        let (charged_before, retained_before) = (self.charged, self.retained);
        let slot = self.reserve(flag);
        let v = match kind {
            b'(' => {
                let n = self.len(1)?;
                Value::Tuple(self.items(n)?.into())
            }
            b')' => {
                let n = self.byte()? as usize;
                self.small_tuple(n)?
            }
            b'[' => {
                let n = self.len(1)?;
                Value::List(self.items(n)?.into())
            }
            b'<' | b'>' => {
                let n = self.len(1)?;
                let items = self.items(n)?.into();
                if kind == b'<' {
                    Value::Set(items)
                } else {
                    Value::FrozenSet(items)
                }
            }
            b'{' => {
                self.charge(ARC_COST)?;
                let mut entries = Vec::new();
                while let Some(key) = self.object()? {
                    let val = self.value()?;
                    // The `Vec` doubles as it grows, and is copied into the `Arc` at the end.
                    self.charge(4 * VALUE_COST)?;
                    entries.push((key, val));
                }
                Value::Dict(entries.into())
            }
            b':' => {
                let start = self.value()?;
                let stop = self.value()?;
                let step = self.value()?;
                Value::Slice(Arc::new([start, stop, step]))
            }
            b'c' => {
                self.charge(std::mem::size_of::<Code>() + ARC_COST)?;
                Value::Code(Arc::new(self.code(at)?))
            }
            _ => return Err(MarshalError::UnknownType { code, at }),
        };
        if slot.is_some() {
            // The table keeps this object and all it holds: what its subtree charged, less
            // what nested flagged objects already moved to `retained`, plus its slot.
            let subtree = self.charged - charged_before;
            let nested = self.retained - retained_before;
            self.retained += subtree.saturating_sub(nested) + VALUE_COST;
        }
        self.fill(slot, &v);
        Ok(Some(v))
    }

    /// The heap bytes a scalar or string holds (charged when it was decoded).
    fn cost_of(&self, v: &Value) -> usize {
        match v {
            Value::Bytes(b) => b.len() + ARC_COST,
            Value::Str(s) => s.len() + ARC_COST,
            _ => 0,
        }
    }

    /// Tuples of up to five items (every key and stats tuple in a dump) are built in one
    /// allocation rather than a `Vec` copied into an `Arc`.
    fn small_tuple(&mut self, n: usize) -> Result<Value, MarshalError> {
        if n <= 5 {
            self.charge(n * VALUE_COST + ARC_COST)?;
        }
        Ok(Value::Tuple(match n {
            0 => Arc::new([]),
            1 => Arc::new([self.value()?]),
            2 => Arc::new([self.value()?, self.value()?]),
            3 => Arc::new([self.value()?, self.value()?, self.value()?]),
            4 => Arc::new([self.value()?, self.value()?, self.value()?, self.value()?]),
            5 => Arc::new([
                self.value()?,
                self.value()?,
                self.value()?,
                self.value()?,
                self.value()?,
            ]),
            _ => self.items(n)?.into(),
        }))
    }

    fn items(&mut self, n: usize) -> Result<Vec<Value>, MarshalError> {
        // `n` is bounded by the bytes left (checked by `len`, or at most 255), and charged
        // before anything is allocated: the `Vec`, then its copy into an `Arc`.
        self.charge(n.saturating_mul(2 * VALUE_COST).saturating_add(ARC_COST))?;
        let mut items = Vec::with_capacity(n.min(self.data.len() - self.pos));
        for _ in 0..n {
            items.push(self.value()?);
        }
        Ok(items)
    }

    /// `l`: a sign-and-size count of 15-bit digits, least significant first.
    fn long(&mut self, at: usize) -> Result<Value, MarshalError> {
        let n = self.i32()?;
        let size = n.unsigned_abs() as usize;
        if size.saturating_mul(2) > self.data.len() - self.pos {
            return Err(MarshalError::Truncated(self.data.len()));
        }
        let mut value: i128 = 0;
        let mut approx: f64 = 0.0;
        let mut fits = true;
        for i in 0..size {
            let b = self.take(2)?;
            let digit = u16::from_le_bytes([b[0], b[1]]);
            if digit >= 1 << 15 {
                return Err(self.bad(at, "digit out of range in long"));
            }
            if i == size - 1 && digit == 0 {
                return Err(self.bad(at, "unnormalized long"));
            }
            approx += digit as f64 * 32768f64.powi(i as i32);
            if i < 8 {
                value |= (digit as i128) << (15 * i);
            } else {
                fits = false;
            }
        }
        let value = if n < 0 { -value } else { value };
        Ok(match i64::try_from(value) {
            Ok(v) if fits => Value::Int(v),
            _ => Value::BigInt(if n < 0 { -approx } else { approx }),
        })
    }

    fn binary_float(&mut self) -> Result<f64, MarshalError> {
        let b = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(f64::from_le_bytes(a))
    }

    fn text_float(&mut self) -> Result<f64, MarshalError> {
        let at = self.pos;
        let n = self.byte()? as usize;
        let s = self.take(n)?;
        std::str::from_utf8(s)
            .ok()
            .and_then(|s| s.trim().parse::<f64>().ok())
            .ok_or(MarshalError::Bad {
                at,
                what: "invalid float text",
            })
    }

    /// Reads a code object, trying each CPython layout in turn (see the module docs), the
    /// one that worked last time first.
    fn code(&mut self, at: usize) -> Result<Code, MarshalError> {
        let (pos, refs, interned) = (self.pos, self.refs.len(), self.interned.len());
        let mut first_error = None;
        let order = self
            .layout
            .into_iter()
            .chain((0..LAYOUTS.len()).filter(|&i| Some(i) != self.layout));
        for i in order.collect::<Vec<_>>() {
            let start = self.pos;
            let result = self.code_layout(&LAYOUTS[i], at);
            // Re-reading is bounded: past the budget, give up rather than backtrack more.
            self.work += self.pos.saturating_sub(start);
            if self.work > self.work_limit {
                return Err(MarshalError::Ambiguous(at));
            }
            match result {
                Ok(code) => {
                    self.layout = Some(i);
                    return Ok(code);
                }
                Err(MarshalError::Ambiguous(a)) => return Err(MarshalError::Ambiguous(a)),
                Err(e) => {
                    first_error.get_or_insert(e);
                    self.pos = pos;
                    self.refs.truncate(refs);
                    self.interned.truncate(interned);
                }
            }
        }
        Err(first_error.unwrap_or(MarshalError::Bad {
            at,
            what: "bad code object",
        }))
    }

    fn code_layout(&mut self, layout: &Layout, at: usize) -> Result<Code, MarshalError> {
        let bad = MarshalError::Bad {
            at,
            what: "code object fields do not match any Python version",
        };
        self.take(4 * layout.raw_ints)?;
        let mut name = None;
        let mut filename = None;
        let mut bytecode: Option<Arc<[u8]>> = None;
        for field in layout.before_line {
            let v = self.value()?;
            if bytecode.is_none() {
                bytecode = Some(match &v {
                    Value::Bytes(b) => b.clone(),
                    Value::Str(s) => Arc::from(s.as_bytes()),
                    _ => Arc::from(&[][..]),
                });
            }
            let ok = match (field, &v) {
                (F::Bytes, Value::Bytes(_)) | (F::Tuple, Value::Tuple(_)) | (F::Any, _) => true,
                (F::Str, Value::Str(_)) => true,
                // Python 2 writes these as byte strings.
                (F::Name, Value::Str(_) | Value::Bytes(_)) => {
                    name = as_text(&v);
                    true
                }
                (F::File, Value::Str(_) | Value::Bytes(_)) => {
                    filename = as_text(&v);
                    true
                }
                _ => false,
            };
            if !ok {
                return Err(bad);
            }
        }
        let first_line = self.i32()? as i64;
        for _ in 0..layout.after_line {
            // Python 2 may write lnotab as a reference to an equal interned string.
            if !matches!(self.value()?, Value::Bytes(_) | Value::Str(_)) {
                return Err(bad);
            }
        }
        match (name, filename) {
            (Some(name), Some(filename)) => {
                let mut hash = Fnv::default();
                hash.write(name.as_bytes());
                hash.write(filename.as_bytes());
                hash.write(&first_line.to_le_bytes());
                hash.write(&bytecode.unwrap_or_else(|| Arc::from(&[][..])));
                Ok(Code {
                    name,
                    filename,
                    first_line,
                    identity: hash.0,
                })
            }
            _ => Err(bad),
        }
    }
}

/// FNV-1a: a stable hash (the same on every platform and Rust version).
struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl Fnv {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ b as u64).wrapping_mul(0x0100_0000_01b3);
        }
        // Separate fields so ("ab", "c") and ("a", "bc") differ.
        self.0 = (self.0 ^ 0xff).wrapping_mul(0x0100_0000_01b3);
    }
}

fn as_text(v: &Value) -> Option<Arc<str>> {
    match v {
        Value::Str(s) => Some(s.clone()),
        Value::Bytes(b) => Some(text(b)),
        _ => None,
    }
}

/// Field kinds used to recognise a code-object layout.
#[derive(Clone, Copy)]
enum F {
    Bytes,
    Tuple,
    Str,
    Name,
    File,
    Any,
}

struct Layout {
    raw_ints: usize,
    before_line: &'static [F],
    after_line: usize,
}

const LAYOUTS: &[Layout] = &[
    // 3.11+: argcount, posonly, kwonly, stacksize, flags; code, consts, names,
    // localsplusnames, localspluskinds, filename, name, qualname; firstlineno; linetable,
    // exceptiontable.
    Layout {
        raw_ints: 5,
        before_line: &[
            F::Bytes,
            F::Tuple,
            F::Tuple,
            F::Tuple,
            F::Bytes,
            F::File,
            F::Name,
            F::Str,
        ],
        after_line: 2,
    },
    // 3.8-3.10: argcount, posonly, kwonly, nlocals, stacksize, flags; code, consts, names,
    // varnames, freevars, cellvars, filename, name; firstlineno; lnotab/linetable.
    Layout {
        raw_ints: 6,
        before_line: &[
            F::Bytes,
            F::Tuple,
            F::Tuple,
            F::Tuple,
            F::Tuple,
            F::Tuple,
            F::File,
            F::Name,
        ],
        after_line: 1,
    },
    // 3.0-3.7: as 3.8 without posonly.
    Layout {
        raw_ints: 5,
        before_line: &[
            F::Bytes,
            F::Tuple,
            F::Tuple,
            F::Tuple,
            F::Tuple,
            F::Tuple,
            F::File,
            F::Name,
        ],
        after_line: 1,
    },
    // 2.7: argcount, nlocals, stacksize, flags; the rest as 3.0 (strings may be bytes).
    Layout {
        raw_ints: 4,
        before_line: &[
            F::Any,
            F::Tuple,
            F::Tuple,
            F::Tuple,
            F::Tuple,
            F::Tuple,
            F::File,
            F::Name,
        ],
        after_line: 1,
    },
];

impl fmt::Display for Code {
    /// As Python's `repr(code)`. The dump does not record the memory address, so a stand-in
    /// is printed: `0x7f` and 10 hex digits of the identity hash, the width of a 64-bit
    /// CPython address, so that report columns line up exactly as pstats' do.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "<code object {} at 0x7f{:010x}, file \"{}\", line {}>",
            self.name,
            self.identity & 0xff_ffff_ffff,
            self.filename,
            self.first_line
        )
    }
}

/// Writes `value` as marshal data that CPython 3.4+ reads (`marshal.loads`). No
/// back-references are written; code objects cannot be written.
pub fn write(value: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    write_into(&mut out, value);
    out
}

fn write_len(out: &mut Vec<u8>, n: usize) {
    out.extend_from_slice(&(n as i32).to_le_bytes());
}

fn write_into(out: &mut Vec<u8>, value: &Value) {
    match value {
        Value::None => out.push(b'N'),
        Value::Bool(b) => out.push(if *b { b'T' } else { b'F' }),
        Value::StopIteration => out.push(b'S'),
        Value::Ellipsis => out.push(b'.'),
        Value::Int(i) => match i32::try_from(*i) {
            Ok(small) => {
                out.push(b'i');
                out.extend_from_slice(&small.to_le_bytes());
            }
            Err(_) => {
                // 15-bit digits, least significant first; the sign goes on the count.
                let mut digits = Vec::new();
                let mut m = i.unsigned_abs();
                while m > 0 {
                    digits.push((m & 0x7fff) as u16);
                    m >>= 15;
                }
                out.push(b'l');
                let n = digits.len() as i32;
                out.extend_from_slice(&(if *i < 0 { -n } else { n }).to_le_bytes());
                for d in digits {
                    out.extend_from_slice(&d.to_le_bytes());
                }
            }
        },
        Value::BigInt(f) | Value::Float(f) => {
            out.push(b'g');
            out.extend_from_slice(&f.to_le_bytes());
        }
        Value::Complex(re, im) => {
            out.push(b'y');
            out.extend_from_slice(&re.to_le_bytes());
            out.extend_from_slice(&im.to_le_bytes());
        }
        Value::Bytes(b) => {
            out.push(b's');
            write_len(out, b.len());
            out.extend_from_slice(b);
        }
        Value::Str(s) => {
            if s.is_ascii() && s.len() < 256 {
                out.push(b'z');
                out.push(s.len() as u8);
            } else {
                out.push(b'u');
                write_len(out, s.len());
            }
            out.extend_from_slice(s.as_bytes());
        }
        Value::Tuple(items) => {
            if items.len() < 256 {
                out.push(b')');
                out.push(items.len() as u8);
            } else {
                out.push(b'(');
                write_len(out, items.len());
            }
            items.iter().for_each(|v| write_into(out, v));
        }
        Value::List(items) | Value::Set(items) | Value::FrozenSet(items) => {
            out.push(match value {
                Value::List(_) => b'[',
                Value::Set(_) => b'<',
                _ => b'>',
            });
            write_len(out, items.len());
            items.iter().for_each(|v| write_into(out, v));
        }
        Value::Dict(entries) => {
            out.push(b'{');
            for (k, v) in entries.iter() {
                write_into(out, k);
                write_into(out, v);
            }
            out.push(b'0');
        }
        Value::Slice(parts) => {
            out.push(b':');
            parts.iter().for_each(|v| write_into(out, v));
        }
        // A code object's bytecode is not kept; write its repr, as a name.
        Value::Code(code) => write_into(out, &Value::Str(code.to_string().into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refs_are_pre_order() {
        // A flagged tuple (slot 0) holding a flagged str (slot 1), then a ref to slot 1.
        let data = b"\xa9\x02\xda\x01xr\x01\x00\x00\x00";
        let v = read(data).unwrap();
        let Value::Tuple(items) = v else { panic!() };
        assert_eq!(items[0], Value::Str("x".into()));
        assert_eq!(items[1], Value::Str("x".into()));
    }

    /// The stats fast path takes plain ints, floats and references to either; anything
    /// else (a flagged int, a reference to a string) is left whole for the general decoder.
    #[test]
    fn plain_numbers_and_what_they_leave() {
        let mut data = b"\xe9\x07\x00\x00\x00r\x00\x00\x00\x00g".to_vec();
        data.extend(1.5f64.to_le_bytes());
        data.extend(b"\xda\x01xr\x01\x00\x00\x00NNNNNNNNN");
        let mut r = Reader::new(&data);
        assert_eq!(r.plain_number(), None);
        assert_eq!(r.value().unwrap(), Value::Int(7));
        assert_eq!(r.plain_number(), Some(Num::Int(7)));
        assert_eq!(r.plain_number(), Some(Num::Float(1.5)));
        assert_eq!(r.value().unwrap(), Value::Str("x".into()));
        assert_eq!(r.plain_number(), None);
        assert_eq!(r.value().unwrap(), Value::Str("x".into()));
    }

    #[test]
    fn ref_to_unfinished_container_is_an_error() {
        let data = b"\xa9\x01r\x00\x00\x00\x00";
        assert!(matches!(read(data), Err(MarshalError::Bad { .. })));
    }

    /// The ASCII types hold Latin-1 for CPython (`PyUnicode_1BYTE_KIND`); `u` is UTF-8.
    #[test]
    fn ascii_string_types_read_as_latin1() {
        assert_eq!(read(b"z\x03abc").unwrap(), Value::Str("abc".into()));
        assert_eq!(read(b"z\x02\xe9t").unwrap(), Value::Str("\u{e9}t".into()));
        assert_eq!(
            read(b"a\x01\x00\x00\x00\xff").unwrap(),
            Value::Str("\u{ff}".into())
        );
        assert_eq!(
            read(b"u\x02\x00\x00\x00\xc3\xa9").unwrap(),
            Value::Str("\u{e9}".into())
        );
    }

    #[test]
    fn dict_keeps_order() {
        let data = b"{\xe9\x03\x00\x00\x00N\xe9\x01\x00\x00\x00N0";
        let Value::Dict(d) = read(data).unwrap() else {
            panic!()
        };
        assert_eq!(d[0].0, Value::Int(3));
        assert_eq!(d[1].0, Value::Int(1));
    }

    #[test]
    fn errors_say_where() {
        assert_eq!(
            read(b"G").unwrap_err().to_string(),
            "unknown marshal type 0x47 at byte 0"
        );
        assert_eq!(
            read(b"{\xe9\x03\x00").unwrap_err(),
            MarshalError::Truncated(4)
        );
        assert_eq!(read(b"").unwrap_err(), MarshalError::Empty);
        // A length field far beyond the data does not allocate.
        assert!(matches!(
            read(b"[\xff\xff\xff\x7f"),
            Err(MarshalError::Truncated(_))
        ));
    }

    #[test]
    fn depth_is_limited() {
        let data = vec![b'['; 100_000];
        let data: Vec<u8> = data
            .iter()
            .flat_map(|_| [b'[', 1, 0, 0, 0])
            .take(5 * (MAX_DEPTH + 10))
            .collect();
        assert!(matches!(read(&data), Err(MarshalError::TooDeep(_))));
    }

    #[test]
    fn long_ints() {
        // 2**15 + 1 = digits [1, 1]
        let v = read(b"l\x02\x00\x00\x00\x01\x00\x01\x00").unwrap();
        assert_eq!(v, Value::Int(32769));
        let v = read(b"l\xfe\xff\xff\xff\x01\x00\x01\x00").unwrap();
        assert_eq!(v, Value::Int(-32769));
    }
}
