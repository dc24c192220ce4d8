//! Parses one dump N times (default 5): a target for profilers such as callgrind.
//!     cargo run --release --example parse_once -- FILE [N]
fn main() {
    let mut args = std::env::args().skip(1);
    let path = args.next().expect("usage: parse_once FILE [N]");
    let n: usize = args.next().map_or(5, |n| n.parse().expect("N is a number"));
    let data = std::fs::read(&path).expect("readable file");
    let mut functions = 0;
    for _ in 0..n {
        functions += profdiff::engine::Profile::parse(&data).unwrap().len();
    }
    println!("{functions}");
}
