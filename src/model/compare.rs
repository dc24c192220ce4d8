//! What a comparison request asks for, and what it answers. The web app's server functions
//! and `POST /api/compare` both turn their input into a [`CompareRequest`] and run it
//! through one dispatch (`server::service::compare`).

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::ids::ProfileId;
use crate::engine::compare::runs::{Matrix, RunsComparison};
use crate::engine::compare::{Comparison, Metric, Options};

/// Which comparison.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// One baseline against one candidate.
    #[default]
    Two,
    /// N baseline runs against M candidate runs (medians, noise).
    Runs,
    /// K profiles in order, one column each.
    Matrix,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Two => "two",
            Mode::Runs => "runs",
            Mode::Matrix => "matrix",
        }
    }

    pub fn parse(s: &str) -> Option<Mode> {
        Some(match s {
            "two" => Mode::Two,
            "runs" => Mode::Runs,
            "matrix" => Mode::Matrix,
            _ => return None,
        })
    }
}

/// Everything that decides a comparison's numbers (sort, filters and selection are the
/// view's business).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CompareRequest {
    pub mode: Mode,
    /// The baseline (two), the baseline runs (runs), or the series in order (matrix).
    pub a: Vec<ProfileId>,
    /// The candidate (two) or the candidate runs (runs); empty for matrix.
    pub b: Vec<ProfileId>,
    pub metric: Metric,
    pub normalize: bool,
    pub min_ms: f64,
    pub min_pct: f64,
    /// Runs mode's significance level (see `Options::alpha`).
    #[serde(default = "default_alpha")]
    pub alpha: f64,
    /// Runs mode's test (see `Options::test`).
    #[serde(default)]
    pub test: crate::engine::stats::TestKind,
}

impl CompareRequest {
    /// The request as the compare page's permalink query writes it (`mode=…&a=…`; the
    /// defaults left out): the view state's part that decides the numbers. Every value is
    /// ids, numbers or names, so nothing needs percent-encoding.
    pub fn to_query(&self) -> String {
        let d = CompareRequest::default();
        let join = |ids: &[ProfileId]| {
            ids.iter()
                .map(ProfileId::to_string)
                .collect::<Vec<_>>()
                .join(",")
        };
        let mut parts = vec![
            format!("mode={}", self.mode.as_str()),
            format!("a={}", join(&self.a)),
        ];
        if !self.b.is_empty() {
            parts.push(format!("b={}", join(&self.b)));
        }
        if self.metric != d.metric {
            parts.push(format!("metric={}", self.metric.as_str()));
        }
        if self.normalize {
            parts.push("norm=1".into());
        }
        if self.min_ms != d.min_ms {
            parts.push(format!("min_ms={}", self.min_ms));
        }
        if self.min_pct != d.min_pct {
            parts.push(format!("min_pct={}", self.min_pct));
        }
        if self.alpha != d.alpha {
            parts.push(format!("alpha={}", self.alpha));
        }
        if self.test != d.test {
            parts.push(format!("test={}", self.test.as_str()));
        }
        parts.join("&")
    }
}

fn default_alpha() -> f64 {
    Options::default().alpha
}

impl Default for CompareRequest {
    fn default() -> Self {
        let o = Options::default();
        CompareRequest {
            mode: Mode::Two,
            a: Vec::new(),
            b: Vec::new(),
            metric: o.metric,
            normalize: o.normalize,
            min_ms: o.min_ms,
            min_pct: o.min_pct,
            alpha: o.alpha,
            test: o.test,
        }
    }
}

impl CompareRequest {
    /// Whether the request names enough profiles for its mode.
    pub fn is_complete(&self) -> bool {
        match self.mode {
            Mode::Two => self.a.len() == 1 && self.b.len() == 1,
            Mode::Runs => !self.a.is_empty() && !self.b.is_empty(),
            Mode::Matrix => self.a.len() >= 2,
        }
    }

    /// What to ask for when it is not complete.
    pub fn missing(&self) -> &'static str {
        match self.mode {
            Mode::Two => "pick one baseline and one candidate",
            Mode::Runs => "pick at least one baseline run and one candidate run",
            Mode::Matrix => "pick two or more profiles for a matrix",
        }
    }

    /// The engine's options.
    pub fn options(&self) -> Options {
        Options {
            metric: self.metric,
            normalize: self.normalize,
            min_ms: self.min_ms,
            min_pct: self.min_pct,
            alpha: self.alpha,
            test: self.test,
        }
    }

    /// The cache's key: the same comparison, whatever spelling of its numbers.
    pub fn cache_key(&self) -> String {
        format!(
            "{}|{}|{}|{}|{}|{:?}|{:?}|{:?}|{}",
            self.mode.as_str(),
            join(&self.a),
            join(&self.b),
            self.metric.as_str(),
            self.normalize,
            self.min_ms.to_bits(),
            self.min_pct.to_bits(),
            self.alpha.to_bits(),
            self.test.as_str()
        )
    }
}

fn join(ids: &[ProfileId]) -> String {
    ids.iter()
        .map(ProfileId::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

/// A computed comparison, in the form its mode produces.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum Outcome {
    Two(Arc<Comparison>),
    Runs(Arc<RunsComparison>),
    Matrix(Arc<Matrix>),
}

/// What the `J` form can hold: [`Outcome`] without `Two`, which has its own form. Decoding
/// through it keeps a JSON decoder of whole two-way comparisons (rows, sides, deltas) out of
/// the browser's bundle, where nothing else needs one. Same variant names, so the same JSON.
#[derive(Deserialize)]
enum JsonOutcome {
    Runs(Arc<RunsComparison>),
    Matrix(Arc<Matrix>),
}

impl From<JsonOutcome> for Outcome {
    fn from(j: JsonOutcome) -> Outcome {
        match j {
            JsonOutcome::Runs(r) => Outcome::Runs(r),
            JsonOutcome::Matrix(m) => Outcome::Matrix(m),
        }
    }
}

impl Outcome {
    /// The web app's form of the outcome: a tag byte, then a two-way comparison's compact
    /// form (`T`, see [`wire`](crate::engine::compare::wire); a 50,000-function one is
    /// ~59 MB as JSON) or any other outcome as JSON (`J`).
    pub fn encode(&self) -> Vec<u8> {
        match self {
            Outcome::Two(c) => {
                let mut out = vec![b'T'];
                out.extend(crate::engine::compare::wire::encode(c));
                out
            }
            other => {
                let mut out = vec![b'J'];
                serde_json::to_writer(&mut out, other).expect("outcomes serialise to JSON");
                out
            }
        }
    }

    /// Reads what [`Outcome::encode`] wrote.
    pub fn decode(bytes: &[u8]) -> Result<Outcome, String> {
        match bytes.split_first() {
            Some((b'T', rest)) => crate::engine::compare::wire::decode(rest)
                .map(|c| Outcome::Two(Arc::new(c)))
                .map_err(|e| e.to_string()),
            Some((b'J', rest)) => serde_json::from_slice::<JsonOutcome>(rest)
                .map(Outcome::from)
                .map_err(|e| e.to_string()),
            _ => Err("the server's answer is not a comparison".into()),
        }
    }

    /// About how many bytes it holds (for the comparison cache).
    pub fn approx_bytes(&self) -> usize {
        use std::mem::size_of;
        let text = |rows: usize, avg: usize| rows * (avg + 2 * size_of::<String>());
        match self {
            Outcome::Two(c) => {
                c.rows.len() * size_of::<crate::engine::compare::Row>()
                    + c.rows
                        .iter()
                        .map(|r| 2 * r.display.len() + r.function.file.len())
                        .sum::<usize>()
            }
            Outcome::Runs(r) => r
                .rows
                .iter()
                .map(|row| {
                    size_of::<crate::engine::compare::runs::RunsRow>()
                        + 8 * (row.baseline.runs.len() + row.candidate.runs.len())
                        + 2 * row.display.len()
                })
                .sum(),
            Outcome::Matrix(m) => {
                text(m.rows.len(), 80) + m.rows.iter().map(|r| 16 * r.values.len()).sum::<usize>()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::compare::runs::{compare_runs, matrix};
    use crate::engine::compare::{Metric, compare};
    use crate::engine::profile::{Function, FunctionKey, Profile};

    fn profile(tt: f64) -> Arc<Profile> {
        Arc::new(Profile::from_functions(vec![Function {
            key: FunctionKey::new("/app/m.py", 3, "f"),
            cc: 2,
            nc: 2,
            tt,
            ct: tt * 2.0,
            callers: Vec::new(),
        }]))
    }

    /// Each mode's outcome comes back as it went, through its tag; anything else is refused.
    #[test]
    fn outcomes_round_trip_through_their_encoding() {
        let (a, b) = (profile(0.5), profile(0.75));
        let options = Options::default();
        let two = Outcome::Two(Arc::new(compare(&a, &b, &options)));
        let runs = Outcome::Runs(Arc::new(compare_runs(
            &[a.clone(), profile(0.5)],
            &[b.clone(), profile(0.8)],
            &options,
        )));
        let series = vec![("a".to_string(), a), ("b".to_string(), b)];
        let grid = Outcome::Matrix(Arc::new(matrix(&series, Metric::Tottime)));
        for (outcome, tag) in [(two, b'T'), (runs, b'J'), (grid, b'J')] {
            let bytes = outcome.encode();
            assert_eq!(bytes[0], tag);
            let back = Outcome::decode(&bytes).expect("decodes");
            assert_eq!(
                serde_json::to_value(&back).unwrap(),
                serde_json::to_value(&outcome).unwrap()
            );
        }
        assert!(Outcome::decode(b"").is_err());
        assert!(Outcome::decode(b"X{}").is_err());
        assert!(Outcome::decode(b"J{\"Two\":").is_err());
        // A two-way comparison only ever travels in its own form: as JSON it is refused
        // (the browser carries no JSON decoder for one).
        let two = Outcome::Two(Arc::new(compare(&profile(0.5), &profile(0.75), &options)));
        let mut json = vec![b'J'];
        serde_json::to_writer(&mut json, &two).unwrap();
        assert!(Outcome::decode(&json).is_err());
        assert!(Outcome::decode(b"T\x01\x02").is_err());
    }
}
