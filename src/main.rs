/// mimalloc rather than glibc's malloc: parsing a 50,000-function dump ran twice as fast
/// (docs/BENCHMARKS.md); the browser build keeps Rust's default allocator.
#[cfg(feature = "ssr")]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[cfg(feature = "ssr")]
fn main() -> std::process::ExitCode {
    profdiff::cli::main()
}

#[cfg(not(feature = "ssr"))]
fn main() {
    // The browser build has no binary; see `hydrate()` in lib.rs.
}
