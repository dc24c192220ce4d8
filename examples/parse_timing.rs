//! Splits parse time into its two stages (marshal decoding, model building) for one dump.
//!     cargo run --release --example parse_timing -- FILE
use std::time::Instant;

use profdiff::engine::{Profile, marshal};

fn main() {
    let path = std::env::args().nth(1).expect("usage: parse_timing FILE");
    let data = std::fs::read(&path).expect("readable file");
    let runs = 30;
    let best = |f: &dyn Fn()| {
        (0..runs)
            .map(|_| {
                let t = Instant::now();
                f();
                t.elapsed()
            })
            .min()
            .unwrap()
    };
    let value = marshal::read(&data).unwrap();
    let decode = best(&|| {
        marshal::read(&data).unwrap();
    });
    let build = best(&|| {
        Profile::from_value(&value).unwrap();
    });
    let drop_tree = best(&|| {
        let v = marshal::read(&data).unwrap();
        drop(v);
    })
    .saturating_sub(decode);
    let streaming = best(&|| {
        Profile::parse(&data).unwrap();
    });
    println!(
        "{path}: generic: marshal decode {decode:?} + model build {build:?} (tree drop ~{drop_tree:?}); streaming Profile::parse {streaming:?}"
    );
}
