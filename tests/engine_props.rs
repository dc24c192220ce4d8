//! Hostile and random input: the engine never panics, and what it writes it reads back.

use std::sync::OnceLock;

use profdiff::engine::{
    CallerStats, Function, FunctionKey, Profile, Report, Restriction, SortKey, Source,
};
use proptest::prelude::*;

/// A few real dumps of different producers to mutate.
fn seeds() -> &'static Vec<Vec<u8>> {
    static SEEDS: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    SEEDS.get_or_init(|| {
        [
            "cprofile_3.11.prof",
            "cprofile_2.7.prof",
            "profile_3.8.prof",
            "profile_3.11.prof",
            "yappi.prof",
            "pyinstrument.prof",
        ]
        .iter()
        .map(|f| std::fs::read(format!("tests/fixtures/pstats/dumps/{f}")).unwrap())
        .collect()
    })
}

/// Exercises everything downstream of a successful parse.
fn use_profile(p: Profile) {
    let _ = p.producer();
    let _ = p.strip_dirs();
    let mut r = Report::new(vec![Source {
        label: "x".into(),
        profile: p.into(),
    }]);
    r.sort(&[
        SortKey::parse("cumulative").unwrap(),
        SortKey::parse("stdname").unwrap(),
    ]);
    let _ = r.print_stats(&[Restriction::Count(20)]);
    let _ = r.print_callers(&[Restriction::Fraction(0.5)]);
    let _ = r.print_callees(&[Restriction::Regex("a|b".into())]);
}

#[derive(Debug, Clone)]
enum Mutation {
    Flip(usize, u8),
    Truncate(usize),
    Insert(usize, Vec<u8>),
    Remove(usize, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Flip(i, b)),
        any::<usize>().prop_map(Mutation::Truncate),
        (
            any::<usize>(),
            proptest::collection::vec(any::<u8>(), 1..16)
        )
            .prop_map(|(i, v)| Mutation::Insert(i, v)),
        (any::<usize>(), 1usize..64).prop_map(|(i, n)| Mutation::Remove(i, n)),
    ]
}

fn apply(data: &mut Vec<u8>, m: &Mutation) {
    if data.is_empty() {
        return;
    }
    let len = data.len();
    match m {
        Mutation::Flip(i, b) => data[i % len] ^= b | 1,
        Mutation::Truncate(i) => data.truncate(i % len),
        Mutation::Insert(i, v) => {
            let at = i % len;
            data.splice(at..at, v.iter().copied());
        }
        Mutation::Remove(i, n) => {
            let at = i % len;
            data.drain(at..(at + n).min(len));
        }
    }
}

fn arb_key() -> impl Strategy<Value = FunctionKey> {
    (
        "[a-z/~<>. ]{0,12}|é[a-zΩ]{0,3}",
        -5i64..100_000,
        "[a-zA-Z_<>{} ]{1,10}",
    )
        .prop_map(|(file, line, name)| FunctionKey::new(&file, line, &name))
}

fn arb_profile() -> impl Strategy<Value = Profile> {
    let caller = (
        arb_key(),
        0i64..1000,
        0i64..1000,
        0.0f64..10.0,
        0.0f64..10.0,
    )
        .prop_map(|(k, nc, cc, tt, ct)| (k, CallerStats::Full { nc, cc, tt, ct }));
    let function = (
        arb_key(),
        0i64..1_000_000,
        0i64..1_000_000,
        0.0f64..100.0,
        0.0f64..100.0,
        proptest::collection::vec(caller, 0..4),
    )
        .prop_map(|(key, cc, nc, tt, ct, mut callers)| {
            callers.sort_by(|a, b| a.0.cmp(&b.0));
            callers.dedup_by(|a, b| a.0 == b.0);
            Function {
                key,
                cc,
                nc,
                tt,
                ct,
                callers,
            }
        });
    proptest::collection::vec(function, 1..30).prop_map(Profile::from_functions)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..512)) {
        if let Ok(p) = Profile::parse(&data) {
            use_profile(p);
        }
    }

    #[test]
    fn mutated_dumps_never_panic(seed in 0usize..6, mutations in proptest::collection::vec(mutation(), 1..6)) {
        let mut data = seeds()[seed].clone();
        for m in &mutations {
            apply(&mut data, m);
        }
        match Profile::parse(&data) {
            Ok(p) => use_profile(p),
            Err(e) => prop_assert!(e.to_string().starts_with("not a Python profile dump: ")),
        }
    }

    #[test]
    fn dump_then_parse_round_trips(profile in arb_profile()) {
        let back = Profile::parse(&profile.dump()).unwrap();
        prop_assert_eq!(back.functions(), profile.functions());
    }
}
