//! Parses one dump N times (default 5), or with `--report` also sorts and prints it as
//! `profdiff stats --sort cumulative` does: a target for profilers such as callgrind.
//!     cargo run --release --example parse_once -- FILE [N] [--report]
fn main() {
    let mut args = std::env::args().skip(1);
    let path = args.next().expect("usage: parse_once FILE [N]");
    let n: usize = args.next().map_or(5, |n| n.parse().expect("N is a number"));
    let report = args.next().as_deref() == Some("--report");
    let data = std::fs::read(&path).expect("readable file");
    let mut size = 0;
    for _ in 0..n {
        let profile = profdiff::engine::Profile::parse(&data).unwrap();
        size += profile.len();
        if report {
            use profdiff::engine::{Report, SortKey, Source};
            let mut r = Report::new(vec![Source {
                label: path.clone(),
                profile: profile.into(),
            }]);
            r.sort(&[SortKey::parse("cumulative").unwrap()]);
            size += r.print_stats(&[]).len();
        }
    }
    println!("{size}");
}

/// As the `profdiff` binary (src/main.rs).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
