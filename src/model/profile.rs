//! One uploaded profile: its summary (what the store keeps besides the bytes, what the list
//! shows, what REST answers), its function rows and one function's edges. The REST API and
//! the web app use these same types, so they show the same numbers.

use serde::{Deserialize, Serialize, Serializer};

use super::ids::ProfileId;
use crate::engine::compare::SideStats;
use crate::engine::pyfmt::rfc3339_ms;
use crate::engine::{CallerStats, FunctionKey, Producer, Profile};

/// A stored profile's summary. Serialised with `uploaded_at` (RFC 3339) beside
/// `uploaded_ms`; reading ignores `uploaded_at`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct ProfileSummary {
    pub id: ProfileId,
    /// The file name as uploaded (display only; never used as a path).
    pub name: String,
    /// Milliseconds since the Unix epoch.
    pub uploaded_ms: i64,
    pub size_bytes: u64,
    pub producer: Producer,
    pub functions: usize,
    pub total_calls: i64,
    pub primitive_calls: i64,
    pub total_time: f64,
    /// Where it came from, for people: `cProfile`, `py-spy · 250 Hz` (empty in summaries
    /// stored before sampled formats were read: show `producer`).
    #[serde(default)]
    pub source: String,
    /// Sampled profiles: how many samples, and the seconds between them when known.
    #[serde(default)]
    pub samples: Option<u64>,
    #[serde(default)]
    pub interval: Option<f64>,
}

impl Serialize for ProfileSummary {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("ProfileSummary", 13)?;
        st.serialize_field("id", &self.id)?;
        st.serialize_field("name", &self.name)?;
        st.serialize_field("uploaded_at", &rfc3339_ms(self.uploaded_ms))?;
        st.serialize_field("uploaded_ms", &self.uploaded_ms)?;
        st.serialize_field("size_bytes", &self.size_bytes)?;
        st.serialize_field("producer", &self.producer)?;
        st.serialize_field("functions", &self.functions)?;
        st.serialize_field("total_calls", &self.total_calls)?;
        st.serialize_field("primitive_calls", &self.primitive_calls)?;
        st.serialize_field("total_time", &self.total_time)?;
        st.serialize_field("source", &self.label())?;
        st.serialize_field("samples", &self.samples)?;
        st.serialize_field("interval", &self.interval)?;
        st.end()
    }
}

impl ProfileSummary {
    /// The summary of a parsed upload. Call counts are the comparison's (yappi's swap
    /// undone, none for pyinstrument), so the list, the profile view and a comparison agree.
    pub fn of(id: ProfileId, name: String, uploaded_ms: i64, size_bytes: u64, p: &Profile) -> Self {
        let totals = crate::engine::compare::SideTotals::of(p);
        ProfileSummary {
            id,
            name,
            uploaded_ms,
            size_bytes,
            producer: totals.producer,
            functions: totals.functions,
            total_calls: totals.total_calls,
            primitive_calls: totals.primitive_calls,
            total_time: totals.total_time,
            source: p.producer_label(),
            samples: p.sampling().map(|s| s.samples),
            interval: p.sampling().and_then(|s| s.interval),
        }
    }

    /// `source`, or the producer's name for summaries stored without one.
    pub fn label(&self) -> String {
        if self.source.is_empty() {
            self.producer.as_str().to_string()
        } else {
            self.source.clone()
        }
    }

    /// Counts are samples, not calls.
    pub fn is_sampled(&self) -> bool {
        self.producer.is_sampling()
    }
}

/// One function of a profile: pstats' numbers, call counts as the profiler meant them
/// (yappi's swap undone; `null` where pyinstrument recorded none).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FunctionRow {
    /// Position in the profile (dump order), to ask for its callers and callees.
    pub index: u32,
    /// pstats' name for it: `file:line(name)`, or `{built-in ...}`.
    pub display: String,
    pub file: String,
    pub line: i64,
    pub name: String,
    pub ncalls: Option<i64>,
    pub pcalls: Option<i64>,
    pub tottime: f64,
    pub cumtime: f64,
    pub tottime_per_call: Option<f64>,
    pub cumtime_per_call: Option<f64>,
    /// How many callers it has.
    pub callers: usize,
}

impl FunctionRow {
    /// The row of the function at `index` in `p`.
    pub fn of(p: &Profile, producer: Producer, index: usize) -> FunctionRow {
        let f = &p.functions()[index];
        let s = SideStats::new(f, producer, 1.0, 0.0);
        FunctionRow {
            index: index as u32,
            display: f.key.display(),
            file: f.key.file.to_string(),
            line: f.key.line,
            name: f.key.name.to_string(),
            ncalls: s.ncalls,
            pcalls: s.pcalls,
            tottime: s.tottime,
            cumtime: s.cumtime,
            tottime_per_call: s.tottime_per_call,
            cumtime_per_call: s.cumtime_per_call,
            callers: f.callers.len(),
        }
    }
}

/// A profile's summary and every function, in dump order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProfileTable {
    pub summary: ProfileSummary,
    pub rows: Vec<FunctionRow>,
}

/// One caller or callee edge: pstats records each edge's numbers exactly.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EdgeLine {
    /// The other function's position in the profile (`None` if the dump lacks it).
    pub index: Option<u32>,
    pub display: String,
    pub ncalls: i64,
    pub pcalls: Option<i64>,
    pub tottime: Option<f64>,
    pub cumtime: Option<f64>,
}

/// Callers and callees of one function.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FunctionEdges {
    pub display: String,
    pub callers: Vec<EdgeLine>,
    pub callees: Vec<EdgeLine>,
}

impl FunctionEdges {
    /// Callers and callees of the function at `index` in `p`, `None` past the end.
    pub fn of(p: &Profile, index: usize) -> Option<FunctionEdges> {
        let f = p.functions().get(index)?;
        let line = |key: &FunctionKey, s: &CallerStats| {
            let (ncalls, pcalls, tottime, cumtime) = match *s {
                CallerStats::Full { nc, cc, tt, ct } => (nc, Some(cc), Some(tt), Some(ct)),
                CallerStats::Count(n) => (n, None, None, None),
            };
            EdgeLine {
                index: p.position(key).map(|i| i as u32),
                display: key.display(),
                ncalls,
                pcalls,
                tottime,
                cumtime,
            }
        };
        Some(FunctionEdges {
            display: f.key.display(),
            callers: f.callers.iter().map(|(k, s)| line(k, s)).collect(),
            callees: p
                .callees_of(&f.key)
                .map(|(callee, s)| line(&callee.key, s))
                .collect(),
        })
    }
}
