//! Writes the crafted dumps of the hostile-input tests to a directory, to load them with
//! CPython (`pstats.Stats(path)`) or seed the fuzzer:
//!     cargo run --example crafted_dumps -- DIR

#[path = "../tests/common/crafted.rs"]
mod crafted;

fn main() {
    let dir = std::path::PathBuf::from(std::env::args().nth(1).expect("usage: crafted_dumps DIR"));
    std::fs::create_dir_all(&dir).expect("a writable directory");
    let files: [(&str, Vec<u8>); 14] = [
        (
            "shared_callers_2000x5000.prof",
            crafted::shared_callers(2000, 5000),
        ),
        (
            "shared_callers_20000x50000.prof",
            crafted::shared_callers(20_000, 50_000),
        ),
        (
            "shared_code_name_1000x1MiB.prof",
            crafted::shared_code_name(1000, 1 << 20),
        ),
        (
            "repeated_caller_key.prof",
            crafted::repeated_caller_key(4, 2000, 1 << 20),
        ),
        ("non_finite_times.prof", crafted::non_finite_times()),
        ("huge_counts.prof", crafted::huge_counts()),
        ("wide_list.bin", crafted::wide_list(1 << 20)),
        // 20,000 functions of one name in one file at different lines, shifted by one line
        // on the other side: the worst case for matching by nearest line.
        ("one_name_a.prof", crafted::one_name_many_lines(20_000, 0)),
        ("one_name_b.prof", crafted::one_name_many_lines(20_000, 1)),
        // 2^60 paths from the root in 60 diamonds of pstats edges.
        ("diamond_chain_60.prof", crafted::diamond_chain(60)),
        // Sampled formats at their smallest per sample (parse_memory reports their peaks).
        (
            "speedscope_3M_samples.json",
            crafted::speedscope_tiny_samples(3_000_000),
        ),
        (
            "folded_3M_stacks.txt",
            crafted::folded_tiny_stacks(3_000_000),
        ),
        (
            "pyisession_3M_records.json",
            crafted::pyisession_tiny_records(3_000_000),
        ),
        (
            "viztracer_1M_events.json",
            crafted::viztracer_tiny_events(1_000_000),
        ),
    ];
    for (name, bytes) in files {
        let path = dir.join(name);
        std::fs::write(&path, &bytes).expect("written");
        println!("{} ({} bytes)", path.display(), bytes.len());
    }
}
