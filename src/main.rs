#[cfg(feature = "ssr")]
fn main() -> std::process::ExitCode {
    profdiff::cli::main()
}

#[cfg(not(feature = "ssr"))]
fn main() {
    // The browser build has no binary; see `hydrate()` in lib.rs.
}
