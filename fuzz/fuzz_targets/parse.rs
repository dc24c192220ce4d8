//! Any bytes: parsing either succeeds or returns an error, never panics, overflows the stack
//! or allocates beyond the input; whatever parses stays within its model budget and can be
//! reported on and compared.
#![no_main]

use libfuzzer_sys::fuzz_target;
use profdiff::engine::compare::{Options, compare, export};
use profdiff::engine::profile::Budget;
use profdiff::engine::{Profile, Report, Restriction, SortKey, Source};

fuzz_target!(|data: &[u8]| {
    let Ok(profile) = Profile::parse(data) else { return };
    let model = profile.model_bytes();
    assert!(
        model <= Budget::max_model_bytes(data.len()),
        "a {} byte dump became a {model} byte model",
        data.len()
    );
    let _ = profile.producer();
    let _ = profile.check_numbers();
    let _ = Profile::parse(&profile.dump()).expect("our own dump parses");
    let c = compare(&profile, &profile.strip_dirs(), &Options::default());
    let _ = export::comparison(&c, export::Format::Markdown, Some(20));
    let mut report = Report::new(vec![Source { label: "fuzz".into(), profile: profile.into() }]);
    report.sort(&[SortKey::parse("time").unwrap(), SortKey::parse("stdname").unwrap()]);
    let _ = report.print_stats(&[Restriction::Count(50)]);
    let _ = report.print_callers(&[Restriction::Fraction(0.5)]);
    let _ = report.print_callees(&[Restriction::Regex("a".into())]);
});
