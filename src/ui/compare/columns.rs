//! The diff table's columns: every field of the comparison JSON contract
//! (docs/compare-json.md), with how to sort and show each.

use crate::engine::compare::{Row, SideStats, Status};
use crate::ui::fmt;

pub struct Column {
    /// Stable id, used in the URL (`sort=`) and tests.
    pub id: &'static str,
    pub label: &'static str,
    /// Header group: "", "baseline", "candidate", "Δ", "ratio".
    pub group: &'static str,
    pub title: &'static str,
}

macro_rules! side_columns {
    ($p:literal, $g:literal) => {
        [
            Column {
                id: concat!($p, ".ncalls"),
                label: "calls",
                group: $g,
                title: "total calls",
            },
            Column {
                id: concat!($p, ".pcalls"),
                label: "prim",
                group: $g,
                title: "primitive (non-recursive) calls",
            },
            Column {
                id: concat!($p, ".tottime"),
                label: "tottime",
                group: $g,
                title: "time in the function itself",
            },
            Column {
                id: concat!($p, ".cumtime"),
                label: "cumtime",
                group: $g,
                title: "time including callees",
            },
            Column {
                id: concat!($p, ".tottime_per_call"),
                label: "tt/call",
                group: $g,
                title: "tottime per call",
            },
            Column {
                id: concat!($p, ".cumtime_per_call"),
                label: "ct/call",
                group: $g,
                title: "cumtime per primitive call",
            },
            Column {
                id: concat!($p, ".share_pct"),
                label: "share",
                group: $g,
                title: "share of the side's total time",
            },
        ]
    };
}

const A: [Column; 7] = side_columns!("a", "baseline");
const B: [Column; 7] = side_columns!("b", "candidate");

const REST: [Column; 7] = [
    Column {
        id: "d.ncalls",
        label: "calls",
        group: "Δ",
        title: "change of total calls",
    },
    Column {
        id: "d.tottime",
        label: "tottime",
        group: "Δ",
        title: "candidate − baseline tottime",
    },
    Column {
        id: "d.cumtime",
        label: "cumtime",
        group: "Δ",
        title: "candidate − baseline cumtime",
    },
    Column {
        id: "d.pct",
        label: "%",
        group: "Δ",
        title: "relative change of the chosen metric",
    },
    Column {
        id: "d.share_pp",
        label: "share",
        group: "Δ",
        title: "change of share of total time, percentage points",
    },
    Column {
        id: "r.tottime",
        label: "tottime",
        group: "ratio",
        title: "candidate / baseline tottime",
    },
    Column {
        id: "r.cumtime",
        label: "cumtime",
        group: "ratio",
        title: "candidate / baseline cumtime",
    },
];

const HEAD: [Column; 3] = [
    Column {
        id: "function",
        label: "function",
        group: "",
        title: "pstats name: file:line(function)",
    },
    Column {
        id: "status",
        label: "status",
        group: "",
        title: "slower, faster, unchanged, new, removed",
    },
    Column {
        id: "match",
        label: "match",
        group: "",
        title: "how the two sides were paired: exact, moved, path, address",
    },
];

/// All columns, in display order.
pub fn all() -> impl Iterator<Item = &'static Column> {
    HEAD.iter()
        .chain(A.iter())
        .chain(B.iter())
        .chain(REST.iter())
}

pub fn is_text(id: &str) -> bool {
    matches!(id, "function" | "status" | "match")
}

fn side<'a>(row: &'a Row, id: &'a str) -> Option<(&'a SideStats, &'a str)> {
    let (p, f) = id.split_once('.')?;
    let s = match p {
        "a" => row.baseline.as_ref()?,
        "b" => row.candidate.as_ref()?,
        _ => return None,
    };
    Some((s, f))
}

fn status_rank(s: Status) -> f64 {
    match s {
        Status::Slower => 0.0,
        Status::New => 1.0,
        Status::Faster => 2.0,
        Status::Removed => 3.0,
        Status::Unchanged => 4.0,
    }
}

/// The number a numeric column sorts by; `None` sorts last.
pub fn value(row: &Row, id: &str) -> Option<f64> {
    if let Some((s, f)) = side(row, id) {
        return match f {
            "ncalls" => s.ncalls.map(|n| n as f64),
            "pcalls" => s.pcalls.map(|n| n as f64),
            "tottime" => Some(s.tottime),
            "cumtime" => Some(s.cumtime),
            "tottime_per_call" => s.tottime_per_call,
            "cumtime_per_call" => s.cumtime_per_call,
            "share_pct" => Some(s.share_pct),
            _ => None,
        };
    }
    match id {
        "d.ncalls" => row.delta.ncalls.map(|n| n as f64),
        "d.tottime" => Some(row.delta.tottime),
        "d.cumtime" => Some(row.delta.cumtime),
        "d.pct" => row.delta.pct,
        "d.share_pp" => Some(row.delta.share_pp),
        "r.tottime" => row.ratio.tottime,
        "r.cumtime" => row.ratio.cumtime,
        "status" => Some(status_rank(row.status)),
        _ => None,
    }
}

/// Text columns' sort key.
pub fn text(row: &Row, id: &str) -> String {
    match id {
        "match" => row
            .match_kind
            .map(|m| m.as_str().to_string())
            .unwrap_or_default(),
        _ => row.display.clone(),
    }
}

/// What a cell shows.
pub fn cell(row: &Row, id: &str) -> String {
    if let Some((s, f)) = side(row, id) {
        return match f {
            "ncalls" => fmt::opt_count(s.ncalls),
            "pcalls" => fmt::opt_count(s.pcalls),
            "tottime" => fmt::secs(s.tottime),
            "cumtime" => fmt::secs(s.cumtime),
            "tottime_per_call" => s
                .tottime_per_call
                .map(fmt::secs)
                .unwrap_or_else(|| "—".into()),
            "cumtime_per_call" => s
                .cumtime_per_call
                .map(fmt::secs)
                .unwrap_or_else(|| "—".into()),
            "share_pct" => format!("{:.1}%", s.share_pct),
            _ => String::new(),
        };
    }
    match id {
        "function" => row.display.clone(),
        "status" => row.status.as_str().to_string(),
        "match" => row
            .match_kind
            .map(|m| m.as_str().to_string())
            .unwrap_or_else(|| "—".into()),
        "d.ncalls" => fmt::signed_count(row.delta.ncalls),
        "d.tottime" => fmt::signed_secs(row.delta.tottime),
        "d.cumtime" => fmt::signed_secs(row.delta.cumtime),
        "d.pct" => fmt::pct(row.delta.pct),
        "d.share_pp" => fmt::pp(row.delta.share_pp),
        "r.tottime" => fmt::ratio(row.ratio.tottime),
        "r.cumtime" => fmt::ratio(row.ratio.cumtime),
        // baseline/candidate columns of a side the row lacks
        _ => "—".into(),
    }
}

/// The exact value behind a cell, for its tooltip.
pub fn exact(row: &Row, id: &str) -> Option<String> {
    value(row, id)
        .filter(|_| id != "status")
        .map(|v| v.to_string())
}

/// The engine's sort field closest to a column (for exports).
pub fn engine_sort(id: &str) -> Option<&'static str> {
    Some(match id {
        "function" => "name",
        "d.tottime" | "d.cumtime" | "d.share_pp" => "delta",
        "d.pct" => "pct",
        "r.tottime" | "r.cumtime" => "ratio",
        "d.ncalls" => "calls",
        _ if id.starts_with("a.") => "baseline",
        _ if id.starts_with("b.") => "candidate",
        _ => return None,
    })
}
