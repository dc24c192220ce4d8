//! The diff table's columns: every field of the comparison JSON contract
//! (docs/compare-json.md), with how to sort and show each, and the table's row order. Pure
//! code, shared by the browser (the table) and the server (exports in the table's order).

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::engine::compare::{Comparison, Metric, Row, SideStats, Status};
use crate::ui::fmt;
use crate::ui::order;

/// Baseline (A) or candidate (B).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Side {
    A,
    B,
}

/// A number each side has.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Field {
    Ncalls,
    Pcalls,
    Tottime,
    Cumtime,
    TottimePerCall,
    CumtimePerCall,
    SharePct,
}

impl Field {
    const ALL: [Field; 7] = [
        Field::Ncalls,
        Field::Pcalls,
        Field::Tottime,
        Field::Cumtime,
        Field::TottimePerCall,
        Field::CumtimePerCall,
        Field::SharePct,
    ];

    fn id(self) -> &'static str {
        match self {
            Field::Ncalls => "ncalls",
            Field::Pcalls => "pcalls",
            Field::Tottime => "tottime",
            Field::Cumtime => "cumtime",
            Field::TottimePerCall => "tottime_per_call",
            Field::CumtimePerCall => "cumtime_per_call",
            Field::SharePct => "share_pct",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Field::Ncalls => "calls",
            Field::Pcalls => "prim",
            Field::Tottime => "tottime",
            Field::Cumtime => "cumtime",
            Field::TottimePerCall => "tt/call",
            Field::CumtimePerCall => "ct/call",
            Field::SharePct => "share",
        }
    }

    fn title(self) -> &'static str {
        match self {
            Field::Ncalls => "total calls",
            Field::Pcalls => "primitive (non-recursive) calls",
            Field::Tottime => "time in the function itself",
            Field::Cumtime => "time including callees",
            Field::TottimePerCall => "tottime per call",
            Field::CumtimePerCall => "cumtime per primitive call",
            Field::SharePct => "share of the side's total time",
        }
    }

    fn value(self, s: &SideStats) -> Option<f64> {
        match self {
            Field::Ncalls => s.ncalls.map(|n| n as f64),
            Field::Pcalls => s.pcalls.map(|n| n as f64),
            Field::Tottime => Some(s.tottime),
            Field::Cumtime => Some(s.cumtime),
            Field::TottimePerCall => s.tottime_per_call,
            Field::CumtimePerCall => s.cumtime_per_call,
            Field::SharePct => Some(s.share_pct),
        }
    }

    fn cell(self, s: &SideStats) -> String {
        let secs = |t: Option<f64>| t.map(fmt::secs).unwrap_or_else(|| "—".into());
        match self {
            Field::Ncalls => fmt::opt_count(s.ncalls),
            Field::Pcalls => fmt::opt_count(s.pcalls),
            Field::Tottime => fmt::secs(s.tottime),
            Field::Cumtime => fmt::secs(s.cumtime),
            Field::TottimePerCall => secs(s.tottime_per_call),
            Field::CumtimePerCall => secs(s.cumtime_per_call),
            Field::SharePct => format!("{:.1}%", s.share_pct),
        }
    }
}

/// A column of the diff table. Its [`Col::id`] is stable: the URL's `sort=` and the tests
/// use it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Col {
    Function,
    Status,
    Match,
    Side(Side, Field),
    DeltaNcalls,
    DeltaTottime,
    DeltaCumtime,
    DeltaPct,
    DeltaSharePp,
    RatioTottime,
    RatioCumtime,
}

/// Header groups, in display order, with how many columns each spans.
pub const GROUPS: [(&str, usize); 5] = [
    ("", 3),
    ("baseline", 7),
    ("candidate", 7),
    ("Δ", 5),
    ("ratio", 2),
];

impl Col {
    /// All columns, in display order.
    pub fn all() -> impl Iterator<Item = Col> {
        [Col::Function, Col::Status, Col::Match]
            .into_iter()
            .chain(Field::ALL.map(|f| Col::Side(Side::A, f)))
            .chain(Field::ALL.map(|f| Col::Side(Side::B, f)))
            .chain([
                Col::DeltaNcalls,
                Col::DeltaTottime,
                Col::DeltaCumtime,
                Col::DeltaPct,
                Col::DeltaSharePp,
                Col::RatioTottime,
                Col::RatioCumtime,
            ])
    }

    /// The change of the chosen metric: the table's default order.
    pub fn delta_of(metric: Metric) -> Col {
        match metric {
            Metric::Tottime => Col::DeltaTottime,
            Metric::Cumtime => Col::DeltaCumtime,
        }
    }

    pub fn id(self) -> String {
        match self {
            Col::Function => "function".into(),
            Col::Status => "status".into(),
            Col::Match => "match".into(),
            Col::Side(Side::A, f) => format!("a.{}", f.id()),
            Col::Side(Side::B, f) => format!("b.{}", f.id()),
            Col::DeltaNcalls => "d.ncalls".into(),
            Col::DeltaTottime => "d.tottime".into(),
            Col::DeltaCumtime => "d.cumtime".into(),
            Col::DeltaPct => "d.pct".into(),
            Col::DeltaSharePp => "d.share_pp".into(),
            Col::RatioTottime => "r.tottime".into(),
            Col::RatioCumtime => "r.cumtime".into(),
        }
    }

    pub fn parse(id: &str) -> Option<Col> {
        Col::all().find(|c| c.id() == id)
    }

    pub fn label(self) -> &'static str {
        match self {
            Col::Function => "function",
            Col::Status => "status",
            Col::Match => "match",
            Col::Side(_, f) => f.label(),
            Col::DeltaNcalls => "calls",
            Col::DeltaTottime | Col::RatioTottime => "tottime",
            Col::DeltaCumtime | Col::RatioCumtime => "cumtime",
            Col::DeltaPct => "%",
            Col::DeltaSharePp => "share",
        }
    }

    /// The header for sampled profiles, where pstats' call counts are samples: `ncalls` is
    /// samples with the function on the stack, the primitive count samples running it.
    pub fn sampled_label(self) -> &'static str {
        match self {
            Col::Side(_, Field::Ncalls) | Col::DeltaNcalls => "on stack",
            Col::Side(_, Field::Pcalls) => "running",
            Col::Side(_, Field::TottimePerCall) | Col::Side(_, Field::CumtimePerCall) => {
                "per sample"
            }
            col => col.label(),
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Col::Function => "pstats name: file:line(function)",
            Col::Status => "slower, faster, unchanged, new, removed",
            Col::Match => "how the two sides were paired: exact, moved, path, address",
            Col::Side(_, f) => f.title(),
            Col::DeltaNcalls => "change of total calls",
            Col::DeltaTottime => "candidate − baseline tottime",
            Col::DeltaCumtime => "candidate − baseline cumtime",
            Col::DeltaPct => "relative change of the chosen metric",
            Col::DeltaSharePp => "change of share of total time, percentage points",
            Col::RatioTottime => "candidate / baseline tottime",
            Col::RatioCumtime => "candidate / baseline cumtime",
        }
    }

    /// Names sort A→Z; numbers (and status, by severity) sort largest first.
    pub fn is_text(self) -> bool {
        matches!(self, Col::Function | Col::Match)
    }

    /// Shown as a number (right-aligned).
    pub fn is_numeric(self) -> bool {
        !matches!(self, Col::Function | Col::Match | Col::Status)
    }

    /// The number a numeric column sorts by; `None` sorts last. Status sorts by severity.
    pub fn value(self, row: &Row) -> Option<f64> {
        match self {
            Col::Side(side, f) => side_of(row, side).and_then(|s| f.value(s)),
            Col::DeltaNcalls => row.delta.ncalls.map(|n| n as f64),
            Col::DeltaTottime => Some(row.delta.tottime),
            Col::DeltaCumtime => Some(row.delta.cumtime),
            Col::DeltaPct => row.delta.pct,
            Col::DeltaSharePp => Some(row.delta.share_pp),
            Col::RatioTottime => row.ratio.tottime,
            Col::RatioCumtime => row.ratio.cumtime,
            Col::Status => Some(status_rank(row.status)),
            Col::Function | Col::Match => None,
        }
    }

    /// A text column's sort key.
    pub fn text(self, row: &Row) -> &str {
        match self {
            Col::Match => row.match_kind.map_or("", |m| m.as_str()),
            _ => &row.display,
        }
    }

    /// What a cell shows.
    pub fn cell(self, row: &Row) -> String {
        match self {
            Col::Function => row.display.clone(),
            Col::Status => row.status.as_str().to_string(),
            Col::Match => row
                .match_kind
                .map(|m| m.as_str().to_string())
                .unwrap_or_else(|| "—".into()),
            // A side the row lacks shows a dash.
            Col::Side(side, f) => side_of(row, side).map_or_else(|| "—".into(), |s| f.cell(s)),
            Col::DeltaNcalls => fmt::signed_count(row.delta.ncalls),
            Col::DeltaTottime => fmt::signed_secs(row.delta.tottime),
            Col::DeltaCumtime => fmt::signed_secs(row.delta.cumtime),
            Col::DeltaPct => fmt::pct(row.delta.pct),
            Col::DeltaSharePp => fmt::pp(row.delta.share_pp),
            Col::RatioTottime => fmt::ratio(row.ratio.tottime),
            Col::RatioCumtime => fmt::ratio(row.ratio.cumtime),
        }
    }

    /// The exact value behind a cell, for its tooltip.
    pub fn exact(self, row: &Row) -> Option<String> {
        (self != Col::Status)
            .then(|| self.value(row))
            .flatten()
            .map(|v| v.to_string())
    }
}

impl Serialize for Col {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.id())
    }
}

impl<'de> Deserialize<'de> for Col {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Col, D::Error> {
        let id = String::deserialize(d)?;
        Col::parse(&id).ok_or_else(|| serde::de::Error::custom(format!("unknown column {id:?}")))
    }
}

fn side_of(row: &Row, side: Side) -> Option<&SideStats> {
    match side {
        Side::A => row.baseline.as_ref(),
        Side::B => row.candidate.as_ref(),
    }
}

fn status_rank(s: Status) -> f64 {
    match s {
        Status::Slower => 0.0,
        Status::New => 1.0,
        Status::Faster => 2.0,
        Status::Removed => 3.0,
        Status::Insufficient => 3.5,
        Status::Unchanged => 4.0,
    }
}

/// Positions of `rows` ordered by `col`, as the table shows them: names A→Z, status by
/// severity, numbers largest first, `reverse` flipping it; missing values last; stable.
pub fn sorted(rows: &[Row], idx: &mut [usize], col: Col, reverse: bool) {
    if col.is_text() {
        let keys: Vec<&str> = rows.iter().map(|r| col.text(r)).collect();
        order::by_text(idx, &keys, reverse);
    } else {
        let keys: Vec<Option<f64>> = rows.iter().map(|r| col.value(r)).collect();
        order::by_number(idx, &keys, col == Col::Status, reverse);
    }
}

/// Every row of `c` in the table's order for `col` (exports follow it exactly).
pub fn all_sorted(c: &Comparison, col: Col, reverse: bool) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..c.rows.len()).collect();
    sorted(&c.rows, &mut idx, col, reverse);
    idx
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_stable_and_round_trip() {
        let ids: Vec<String> = Col::all().map(Col::id).collect();
        assert_eq!(ids.len(), 24);
        assert_eq!(&ids[..4], ["function", "status", "match", "a.ncalls"]);
        assert_eq!(ids[23], "r.cumtime");
        for c in Col::all() {
            assert_eq!(Col::parse(&c.id()), Some(c));
            let json = serde_json::to_string(&c).unwrap();
            assert_eq!(serde_json::from_str::<Col>(&json).unwrap(), c);
        }
        assert_eq!(Col::parse("a.bogus"), None);
        assert_eq!(GROUPS.iter().map(|g| g.1).sum::<usize>(), 24);
    }
}
