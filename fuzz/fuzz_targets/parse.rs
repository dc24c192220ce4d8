//! Any bytes: parsing either succeeds or returns an error, never panics, overflows the stack
//! or allocates beyond the input; whatever parses can be reported on.
#![no_main]

use libfuzzer_sys::fuzz_target;
use profdiff::engine::{Profile, Report, Restriction, SortKey, Source};

fuzz_target!(|data: &[u8]| {
    let Ok(profile) = Profile::parse(data) else { return };
    let _ = profile.producer();
    let _ = Profile::parse(&profile.dump()).expect("our own dump parses");
    let mut report = Report::new(vec![Source { label: "fuzz".into(), profile: profile.into() }]);
    report.sort(&[SortKey::parse("time").unwrap(), SortKey::parse("stdname").unwrap()]);
    let _ = report.print_stats(&[Restriction::Count(50)]);
    let _ = report.print_callers(&[Restriction::Fraction(0.5)]);
    let _ = report.print_callees(&[Restriction::Regex("a".into())]);
});
