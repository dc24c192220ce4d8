//! Types the server functions exchange with the browser. Comparison results use the
//! engine's own types (the JSON contract); these cover what the engine has no type for.

use serde::{Deserialize, Serialize};

use crate::engine::Producer;

/// What the session badge shows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SessionInfo {
    pub id: String,
    pub created_ms: i64,
    /// When the session expires unless used again (each use moves this on).
    pub expires_ms: i64,
    /// The server's clock when it answered: the badge counts down from here, so a wrong
    /// client clock does not matter.
    pub server_now_ms: i64,
    pub profiles: usize,
    pub bytes_used: u64,
    pub max_profiles: u64,
    pub max_session_bytes: u64,
    pub max_upload_bytes: u64,
}

/// One uploaded profile, as the list shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProfileSummary {
    pub id: String,
    pub name: String,
    pub uploaded_ms: i64,
    pub size_bytes: u64,
    pub producer: Producer,
    pub functions: usize,
    pub total_calls: i64,
    pub primitive_calls: i64,
    pub total_time: f64,
}

/// One function of a profile: pstats' numbers, call counts as the profiler meant them
/// (yappi's swap undone; `None` where pyinstrument recorded none).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TableRow {
    /// Position in the profile, to ask for its callers and callees.
    pub index: u32,
    /// pstats' name for it: `file:line(name)`, or `{built-in ...}`.
    pub display: String,
    pub ncalls: Option<i64>,
    pub pcalls: Option<i64>,
    pub tottime: f64,
    pub cumtime: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProfileTable {
    pub summary: ProfileSummary,
    pub rows: Vec<TableRow>,
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

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FunctionEdges {
    pub display: String,
    pub callers: Vec<EdgeLine>,
    pub callees: Vec<EdgeLine>,
}

/// Which comparison the view shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
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

/// Everything that decides a comparison's numbers (the rest of the view — sort, filters,
/// selection — happens in the browser).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CompareReq {
    pub mode: Mode,
    /// The baseline (two), the baseline runs (runs), or the series in order (matrix).
    pub a: Vec<String>,
    /// The candidate (two) or the candidate runs (runs); empty for matrix.
    pub b: Vec<String>,
    /// `tottime` or `cumtime`.
    pub metric: String,
    pub normalize: bool,
    pub min_ms: f64,
    pub min_pct: f64,
}

impl CompareReq {
    /// Whether the request names enough profiles for its mode.
    pub fn is_complete(&self) -> bool {
        match self.mode {
            Mode::Two => self.a.len() == 1 && self.b.len() == 1,
            Mode::Runs => !self.a.is_empty() && !self.b.is_empty(),
            Mode::Matrix => self.a.len() >= 2,
        }
    }
}
