//! The `profdiff` binary run as a user runs it, for the CLI tests.
#![allow(dead_code)]

use std::process::{Command, Output};

/// `profdiff ARGS`, in `dir` when given (the fixtures' names are relative to it).
pub fn run(dir: Option<&str>, args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_profdiff"));
    if let Some(dir) = dir {
        cmd.current_dir(dir);
    }
    cmd.args(args).output().unwrap()
}

/// The standard output of a run that must succeed (its standard error in the panic if not).
pub fn ok(dir: Option<&str>, args: &[&str]) -> String {
    let out = run(dir, args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}
