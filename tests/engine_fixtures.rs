//! Every committed dump parses, with the producer and totals pstats reports.

use profdiff::engine::{Producer, Profile};

fn load(name: &str) -> Profile {
    let data = std::fs::read(format!("tests/fixtures/pstats/dumps/{name}")).unwrap();
    Profile::parse(&data).unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn producers_are_detected() {
    for entry in std::fs::read_dir("tests/fixtures/pstats/dumps").unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        let p = load(&name);
        let want = if name.starts_with("profile_") {
            Producer::Profile
        } else if name == "yappi.prof" {
            Producer::Yappi
        } else if name == "pyinstrument.prof" {
            Producer::Pyinstrument
        } else {
            Producer::CProfile
        };
        assert_eq!(p.producer(), want, "{name}");
        assert_eq!(p.is_python2(), name.contains("_2.7"), "{name}");
    }
}

#[test]
fn real_world_dump_totals() {
    // What CPython's pstats prints for these files (see tests/fixtures/pstats/expected).
    let p = load("dataviewer_before.prof");
    assert_eq!(p.len(), 5635);
    assert_eq!(format!("{:.3}", p.total_time()), "4.159");
    let p = load("gprof2dot_memtrail.pstats");
    assert_eq!(p.len(), 493);
}

#[test]
fn dumps_of_parsed_profiles_parse_the_same() {
    for name in [
        "cprofile_3.13.prof",
        "yappi.prof",
        "dataviewer_after.prof",
        "merged_3.11.prof",
    ] {
        let p = load(name);
        let again = Profile::parse(&p.dump()).unwrap();
        assert_eq!(again.functions(), p.functions(), "{name}");
    }
}

#[test]
fn gprof_text_is_rejected_clearly() {
    let data = std::fs::read("tests/fixtures/gprof2dot_gnu1.gprof.txt").unwrap();
    let err = Profile::parse(&data).unwrap_err().to_string();
    assert!(
        err.starts_with("not a Python profile dump: ") && err.contains("text file"),
        "{err}"
    );
}

/// Found by cargo fuzz: nested code objects made layout detection backtrack exponentially
/// (562 bytes took 28 s). Re-reading is now bounded, so this is a prompt error.
#[test]
fn nested_code_objects_cannot_make_parsing_exponential() {
    let data = std::fs::read("tests/fixtures/hostile/nested_code_objects.bin").unwrap();
    let err = Profile::parse(&data).unwrap_err().to_string();
    assert!(err.starts_with("not a Python profile dump: "), "{err}");
}

#[test]
fn code_object_dumps_of_every_version_still_parse() {
    for v in ["2.7", "3.6", "3.8", "3.10", "3.11", "3.13"] {
        let p = load(&format!("profile_{v}.prof"));
        assert!(
            p.functions()
                .iter()
                .any(|f| f.key.name.starts_with("<code object <module> at 0x7f")),
            "{v}"
        );
    }
}
