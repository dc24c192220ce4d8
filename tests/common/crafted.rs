//! Crafted profile dumps: valid marshal data that CPython's `marshal` and `pstats` load
//! (checked with CPython 3.11 when this was written: `pstats.Stats(path)` loads each one),
//! built so that back-references make a small file describe a huge model. The hostile-input
//! tests upload them; `cargo run --example crafted_dumps DIR` writes them to files.
#![allow(dead_code)]

/// Marshal bytes, written by hand so that the sharing is exactly what the attack needs.
#[derive(Default)]
pub struct Marshal(pub Vec<u8>);

const FLAG: u8 = 0x80;

impl Marshal {
    pub fn int(&mut self, i: i32) -> &mut Self {
        self.0.push(b'i');
        self.0.extend_from_slice(&i.to_le_bytes());
        self
    }

    pub fn float(&mut self, f: f64) -> &mut Self {
        self.0.push(b'g');
        self.0.extend_from_slice(&f.to_le_bytes());
        self
    }

    /// A short ASCII string (`z`), flagged for back-references when `flag`.
    pub fn short_str(&mut self, s: &str, flag: bool) -> &mut Self {
        assert!(s.len() < 256 && s.is_ascii());
        self.0.push(if flag { b'z' | FLAG } else { b'z' });
        self.0.push(s.len() as u8);
        self.0.extend_from_slice(s.as_bytes());
        self
    }

    /// Any string (`u`), flagged when `flag`.
    pub fn str(&mut self, s: &str, flag: bool) -> &mut Self {
        self.0.push(if flag { b'u' | FLAG } else { b'u' });
        self.0.extend_from_slice(&(s.len() as i32).to_le_bytes());
        self.0.extend_from_slice(s.as_bytes());
        self
    }

    pub fn bytes(&mut self, b: &[u8]) -> &mut Self {
        self.0.push(b's');
        self.0.extend_from_slice(&(b.len() as i32).to_le_bytes());
        self.0.extend_from_slice(b);
        self
    }

    /// A back-reference to slot `i`.
    pub fn r(&mut self, i: u32) -> &mut Self {
        self.0.push(b'r');
        self.0.extend_from_slice(&i.to_le_bytes());
        self
    }

    /// A small tuple header (`)`), flagged when `flag`; its items follow.
    pub fn tuple(&mut self, n: u8, flag: bool) -> &mut Self {
        self.0.push(if flag { b')' | FLAG } else { b')' });
        self.0.push(n);
        self
    }

    /// A dict header, flagged when `flag`; entries follow, then [`Marshal::end`].
    pub fn dict(&mut self, flag: bool) -> &mut Self {
        self.0.push(if flag { b'{' | FLAG } else { b'{' });
        self
    }

    pub fn end(&mut self) -> &mut Self {
        self.0.push(b'0');
        self
    }

    /// `(file, line, name)` with plain strings.
    pub fn key(&mut self, file: &str, line: i32, name: &str) -> &mut Self {
        self.tuple(3, false)
            .short_str(file, false)
            .int(line)
            .short_str(name, false)
    }

    /// The first four items of a function's `(cc, nc, tt, ct, callers)`; its callers dict
    /// follows.
    pub fn stats_head(&mut self) -> &mut Self {
        self.tuple(5, false).int(1).int(1).float(0.001).float(0.002)
    }

    /// `(nc, cc, tt, ct)`.
    pub fn edge_stats(&mut self) -> &mut Self {
        self.tuple(4, false).int(1).int(1).float(0.001).float(0.002)
    }
}

/// `functions` functions that all share one callers dict of `edges` entries (by
/// back-reference). The file is about 40 bytes per function plus 45 per edge; expanded per
/// function, the model holds `functions × edges` caller edges.
pub fn shared_callers(functions: u32, edges: u32) -> Vec<u8> {
    let mut m = Marshal::default();
    // Slot 0: the top-level dict; slot 1: the file name; slot 2: the shared callers dict;
    // slot 3: the stats of every edge.
    m.dict(true);
    for f in 0..functions {
        m.tuple(3, false);
        if f == 0 {
            m.short_str("a.py", true);
        } else {
            m.r(1);
        }
        m.int(f as i32 + 1).short_str(&format!("f{f}"), false);
        m.stats_head();
        if f == 0 {
            m.dict(true);
            for e in 0..edges {
                m.tuple(3, false)
                    .r(1)
                    .int(-(e as i32) - 1)
                    .short_str("c", false);
                if e == 0 {
                    m.tuple(4, true).int(1).int(1).float(0.001).float(0.002);
                } else {
                    m.r(3);
                }
            }
            m.end();
        } else {
            m.r(2);
        }
    }
    m.end();
    m.0
}

/// A CPython 3.11+ code object (the layout `profile` module dumps carry) named `name` in
/// `filename`, flagged so that later keys can refer to it.
fn code_object(m: &mut Marshal, filename: &str, name: &str) {
    m.0.push(b'c' | FLAG);
    // argcount, posonlyargcount, kwonlyargcount, stacksize, flags
    for v in [0i32, 0, 0, 1, 0] {
        m.0.extend_from_slice(&v.to_le_bytes());
    }
    m.bytes(b"\x97\x00d\x00S\x00"); // RESUME 0; LOAD_CONST 0; RETURN_VALUE
    m.tuple(1, false).0.push(b'N'); // consts: (None,)
    m.tuple(0, false); // names
    m.tuple(0, false); // localsplusnames
    m.bytes(b""); // localspluskinds
    m.str(filename, false);
    m.short_str(name, false);
    m.short_str(name, false); // qualname
    m.0.extend_from_slice(&1i32.to_le_bytes()); // firstlineno
    m.bytes(b""); // linetable
    m.bytes(b""); // exceptiontable
}

/// `keys` functions whose keys all name one code object (by back-reference) whose file
/// name is `filename_bytes` long: the file holds the name once, every key's name repeats it.
pub fn shared_code_name(keys: u32, filename_bytes: usize) -> Vec<u8> {
    let mut m = Marshal::default();
    m.dict(true); // slot 0
    let long = "x".repeat(filename_bytes);
    for k in 0..keys {
        m.tuple(3, false).short_str("profile", false).int(k as i32);
        if k == 0 {
            code_object(&mut m, &long, "<module>"); // slot 1
        } else {
            m.r(1);
        }
        m.stats_head().dict(false).end();
    }
    m.end();
    m.0
}

/// `functions` functions, each called by one caller `edges` times over (a callers dict
/// repeating one back-reference; marshal's dict keeps the last): the caller's key tuple
/// (slot 1) names a file of `filename_bytes` bytes, so every edge uses that many bytes of
/// names without adding any to the file.
pub fn repeated_caller_key(functions: u32, edges: u32, filename_bytes: usize) -> Vec<u8> {
    let mut m = Marshal::default();
    m.dict(true); // slot 0
    m.tuple(3, true) // slot 1
        .str(&"x".repeat(filename_bytes), false)
        .int(1)
        .short_str("caller", false);
    m.stats_head().dict(false).end();
    for f in 0..functions {
        m.key("a.py", f as i32 + 2, "f");
        m.stats_head();
        m.dict(false);
        for _ in 0..edges {
            m.r(1).edge_stats();
        }
        m.end();
    }
    m.end();
    m.0
}

/// A dump whose first function's times are NaN and infinity.
pub fn non_finite_times() -> Vec<u8> {
    let mut m = Marshal::default();
    m.dict(false);
    m.key("app.py", 1, "nan_fn");
    m.tuple(5, false)
        .int(1)
        .int(1)
        .float(f64::NAN)
        .float(f64::INFINITY)
        .dict(false)
        .end();
    m.key("app.py", 2, "ok_fn");
    m.tuple(5, false)
        .int(1)
        .int(1)
        .float(0.5)
        .float(0.5)
        .dict(false)
        .end();
    m.end();
    m.0
}

/// A dump whose call counts add up past `i64::MAX`.
pub fn huge_counts() -> Vec<u8> {
    let mut m = Marshal::default();
    m.dict(false);
    for f in 0..3 {
        m.key("app.py", f + 1, &format!("f{f}"));
        m.tuple(5, false);
        for _ in 0..2 {
            // i64::MAX - 1 as a marshal long: `I` (int64).
            m.0.push(b'I');
            m.0.extend_from_slice(&(i64::MAX - 1).to_le_bytes());
        }
        m.float(0.1).float(0.1).dict(false).end();
    }
    m.end();
    m.0
}

/// A list that claims as many items as there are bytes left, each a one-byte `None`: the
/// reader may not reserve 24 bytes per claimed item before checking what it holds.
pub fn wide_list(items: usize) -> Vec<u8> {
    let mut v = vec![b'['];
    v.extend_from_slice(&(items as i32).to_le_bytes());
    v.extend(std::iter::repeat_n(b'N', items));
    v
}

/// A plain dump of `n` functions of one name in one file at different lines (`offset`
/// shifts them: two such dumps match only by nearest line, the matcher's worst case).
pub fn one_name_many_lines(n: i64, offset: i64) -> Vec<u8> {
    use profdiff::engine::{Function, FunctionKey, Profile};
    Profile::from_functions((0..n).map(|i| Function {
        key: FunctionKey::new("/srv/app/gen.py", i * 2 + offset, "wrapper"),
        cc: 1,
        nc: 1,
        tt: 0.001 * (1 + i % 7) as f64,
        ct: 0.002,
        callers: Vec::new(),
    }))
    .dump()
}

/// A chain of `layers` diamonds: `main` calls `a0` and `b0`, and both functions of every
/// layer call both of the next, each edge holding half the callee's time. A few hundred
/// bytes with 2^layers paths from the root: the worst case for expanding pstats edges into
/// a call tree (every path's share halves per layer, so only a node cap stops it).
pub fn diamond_chain(layers: u32) -> Vec<u8> {
    use profdiff::engine::{CallerStats, Function, FunctionKey, Profile};
    let key = |side: &str, layer: u32| {
        FunctionKey::new(
            "/srv/app/diamond.py",
            layer as i64 + 1,
            &format!("{side}{layer}"),
        )
    };
    let main = FunctionKey::new("/srv/app/diamond.py", 0, "main");
    let edge = |ct: f64| CallerStats::Full {
        nc: 1,
        cc: 1,
        tt: ct / 2.0,
        ct,
    };
    let mut functions = vec![Function {
        key: main.clone(),
        cc: 1,
        nc: 1,
        tt: 0.0,
        ct: 2.0,
        callers: Vec::new(),
    }];
    for layer in 0..layers {
        for side in ["a", "b"] {
            let callers = if layer == 0 {
                vec![(main.clone(), edge(1.0))]
            } else {
                vec![
                    (key("a", layer - 1), edge(0.5)),
                    (key("b", layer - 1), edge(0.5)),
                ]
            };
            let tt = if layer + 1 == layers { 1.0 } else { 0.0 };
            functions.push(Function {
                key: key(side, layer),
                cc: 2,
                nc: 2,
                tt,
                ct: 1.0,
                callers,
            });
        }
    }
    Profile::from_functions(functions).dump()
}

/// The smallest samples speedscope allows, `n` of them, alternating between two frames so
/// no two neighbours merge: the worst case for memory per byte of a sampled file.
pub fn speedscope_tiny_samples(n: usize) -> Vec<u8> {
    let samples = ["[0]", "[1]"].repeat(n / 2).join(",");
    let weights = vec!["1"; n / 2 * 2].join(",");
    format!(
        r#"{{"$schema":"https://www.speedscope.app/file-format-schema.json","shared":{{"frames":[{{"name":"a"}},{{"name":"b"}}]}},"profiles":[{{"type":"sampled","unit":"seconds","samples":[{samples}],"weights":[{weights}]}}],"exporter":"py-spy@0.4.3"}}"#
    )
    .into_bytes()
}

/// `n` one-frame folded stacks alternating between two names (`a 1`, `b 1`).
pub fn folded_tiny_stacks(n: usize) -> Vec<u8> {
    "a 1\nb 1\n".repeat(n / 2).into_bytes()
}

/// `n` one-frame pyinstrument records alternating between two identifiers.
pub fn pyisession_tiny_records(n: usize) -> Vec<u8> {
    let records = [
        r#"[["a\u0000x.py\u00001"],1]"#,
        r#"[["b\u0000x.py\u00001"],1]"#,
    ]
    .repeat(n / 2)
    .join(",");
    format!(r#"{{"frame_records":[{records}]}}"#).into_bytes()
}

/// `n` minimal complete trace events, one after another.
pub fn viztracer_tiny_events(n: usize) -> Vec<u8> {
    let events: Vec<String> = (0..n)
        .map(|i| format!(r#"{{"ph":"X","name":"a","ts":{i},"dur":1}}"#))
        .collect();
    format!(r#"{{"traceEvents":[{}]}}"#, events.join(",")).into_bytes()
}
