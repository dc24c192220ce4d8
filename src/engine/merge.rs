//! Several profiles as one: *Merge runs* in the web app, `profdiff merge` in the CLI.
//!
//! Traced profiles add up as `pstats.Stats.add` adds them (numbers summed per function,
//! callers per caller, functions new to the sum appended in order), so the merged dump is
//! what `pstats.Stats(a).add(b, c).dump_stats()` writes. Sampled profiles sum their
//! samples: with stacks (collapsed stacks, speedscope, py-spy) the stacks are concatenated
//! and written as folded stacks, which keeps the flame graph exact; without them (3.15's
//! `--pstats`) the function table adds up like pstats and keeps the sampled marker.
//!
//! The result is the bytes of a file any reader of its format opens (and profdiff reads
//! back to the same numbers), so a merged profile is stored, downloaded and compared like
//! an upload.

use std::fmt::Write;

use super::marshal::{self, Value};
use super::profile::{Producer, Profile};

/// Why profiles cannot be merged. The message is what a user sees.
#[derive(Debug, PartialEq, thiserror::Error)]
pub enum MergeError {
    #[error("pick two or more profiles to merge")]
    TooFew,
    #[error(
        "cannot merge a {0} profile with a {1} one: their numbers do not add up (merge runs of one profiler)"
    )]
    Producers(String, String),
    #[error(
        "cannot merge sampled profiles taken at different intervals ({0} and {1}): their samples do not add up"
    )]
    Intervals(String, String),
    #[error("the merged profile would be larger than {0} bytes")]
    TooLarge(usize),
}

/// How a merged profile is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MergedFormat {
    /// A pstats dump (marshal).
    Pstats,
    /// Folded stacks with profdiff's header line.
    Folded,
}

impl MergedFormat {
    /// The file name extension people expect.
    pub fn extension(self) -> &'static str {
        match self {
            MergedFormat::Pstats => "prof",
            MergedFormat::Folded => "folded.txt",
        }
    }
}

fn interval_label(i: Option<f64>) -> String {
    i.map_or_else(|| "unknown".into(), |i| format!("{i} s"))
}

/// Merges `profiles` in order into the bytes of one file, at most `max_bytes` long.
pub fn merge(
    profiles: &[&Profile],
    max_bytes: usize,
) -> Result<(Vec<u8>, MergedFormat), MergeError> {
    let [first, rest @ ..] = profiles else {
        return Err(MergeError::TooFew);
    };
    if rest.is_empty() {
        return Err(MergeError::TooFew);
    }
    let producer = first.producer();
    let interval = first.sampling().map(|s| s.interval);
    for p in rest {
        if p.producer() != producer {
            return Err(MergeError::Producers(
                producer.to_string(),
                p.producer().to_string(),
            ));
        }
        let other = p.sampling().map(|s| s.interval);
        if other != interval {
            return Err(MergeError::Intervals(
                interval_label(interval.flatten()),
                interval_label(other.flatten()),
            ));
        }
    }
    let too_large = MergeError::TooLarge(max_bytes);
    if profiles.iter().all(|p| p.stacks().is_some()) {
        let mut out = String::new();
        let _ = write!(out, "{} producer={producer}", super::stacks::HEADER);
        if let Some(i) = interval.flatten() {
            let _ = write!(out, " interval={i}");
        }
        let _ = writeln!(out, " merged={}", profiles.len());
        for p in profiles {
            let stacks = p.stacks().expect("checked above");
            if !stacks.write_folded(&mut out, max_bytes) {
                return Err(too_large);
            }
        }
        return Ok((out.into_bytes(), MergedFormat::Folded));
    }
    let mut sum = (*first).clone();
    for p in rest {
        sum.merge(p);
    }
    let mut value = sum.to_value();
    if producer == Producer::Sampling
        && let Value::Dict(entries) = &mut value
    {
        // profiling.sampling's marker (`("__sampled__",): True`), so the sum reads back as
        // sampled.
        let mut with_marker = Vec::with_capacity(entries.len() + 1);
        with_marker.push((
            Value::Tuple(std::sync::Arc::new([Value::Str("__sampled__".into())])),
            Value::Bool(true),
        ));
        with_marker.extend(entries.iter().cloned());
        *entries = with_marker.into();
    }
    let bytes = marshal::write(&value);
    if bytes.len() > max_bytes {
        return Err(too_large);
    }
    Ok((bytes, MergedFormat::Pstats))
}
