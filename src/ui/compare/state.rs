//! The comparison view's state lives in the URL query, so a reload or a bookmark shows the
//! same view (within the tab's session). Defaults are left out of the URL.

use leptos_router::params::ParamsMap;

use super::columns::Col;
use crate::engine::compare::{Metric, Status};
use crate::model::{CompareRequest, Mode, ProfileId};
use crate::ui::widgets::{DEFAULT_PAGE_SIZE, PAGE_SIZES};

/// Statuses shown when the URL does not say.
pub const DEFAULT_STATUSES: [Status; 5] = [
    Status::Slower,
    Status::Faster,
    Status::New,
    Status::Removed,
    Status::Insufficient,
];

#[derive(Clone, Debug, PartialEq)]
pub struct ViewState {
    /// What decides the numbers (a change refetches).
    pub req: CompareRequest,
    /// The sort column; `None`: the chosen metric's Δ.
    pub sort: Option<Col>,
    /// Flip the column's natural order (numbers: largest first; names: A→Z).
    pub reverse: bool,
    pub statuses: Vec<Status>,
    /// Runs mode: show rows beyond the thresholds that are not significant (greyed).
    pub noise: bool,
    pub filter: String,
    /// The selected row: its position in the comparison's rows (the same request always
    /// computes the same rows in the same order, so the position is a stable address).
    pub row: Option<usize>,
    pub page: usize,
    /// Rows per page (one of [`PAGE_SIZES`]).
    pub per: usize,
    /// The flame graph's zoomed node (0: the root) and search text.
    pub flame_zoom: u32,
    pub flame_q: String,
}

impl Default for ViewState {
    fn default() -> Self {
        ViewState {
            req: CompareRequest::default(),
            sort: None,
            reverse: false,
            statuses: DEFAULT_STATUSES.to_vec(),
            noise: true,
            filter: String::new(),
            row: None,
            page: 0,
            per: DEFAULT_PAGE_SIZE,
            flame_zoom: 0,
            flame_q: String::new(),
        }
    }
}

/// Profile ids from a comma-separated list; anything that is not one is left out.
fn ids(s: Option<String>) -> Vec<ProfileId> {
    s.map(|s| {
        s.split(',')
            .filter_map(|x| ProfileId::parse(x).ok())
            .collect()
    })
    .unwrap_or_default()
}

fn status_name(s: Status) -> &'static str {
    s.as_str()
}

fn parse_status(s: &str) -> Option<Status> {
    Status::ALL.into_iter().find(|x| x.as_str() == s)
}

/// Percent-encodes a query value.
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~,".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

impl ViewState {
    pub fn from_query(q: &ParamsMap) -> ViewState {
        let d = ViewState::default();
        let num = |k: &str, dflt: f64| {
            q.get(k)
                .and_then(|v| v.parse::<f64>().ok())
                .filter(|v| v.is_finite() && *v >= 0.0)
                .unwrap_or(dflt)
        };
        let mode = q
            .get("mode")
            .and_then(|m| Mode::parse(&m))
            .unwrap_or(d.req.mode);
        ViewState {
            req: CompareRequest {
                mode,
                a: ids(q.get("a")),
                // A matrix is one series: `b` has no meaning there.
                b: if mode == Mode::Matrix {
                    Vec::new()
                } else {
                    ids(q.get("b"))
                },
                metric: q
                    .get("metric")
                    .and_then(|m| Metric::parse(&m))
                    .unwrap_or(d.req.metric),
                normalize: q.get("norm").is_some_and(|v| v == "1"),
                min_ms: num("min_ms", d.req.min_ms),
                min_pct: num("min_pct", d.req.min_pct),
                alpha: Some(num("alpha", d.req.alpha))
                    .filter(|a| *a > 0.0 && *a < 1.0)
                    .unwrap_or(d.req.alpha),
                test: q
                    .get("test")
                    .and_then(|t| crate::engine::stats::TestKind::parse(&t))
                    .unwrap_or(d.req.test),
            },
            sort: q.get("sort").and_then(|c| Col::parse(&c)),
            reverse: q.get("rev").is_some_and(|v| v == "1"),
            statuses: match q.get("status") {
                None => d.statuses,
                Some(s) => s.split(',').filter_map(parse_status).collect(),
            },
            noise: q.get("noise").is_none_or(|v| v != "0"),
            filter: q.get("q").unwrap_or_default(),
            row: q.get("row").and_then(|r| r.parse().ok()),
            page: q.get("page").and_then(|p| p.parse().ok()).unwrap_or(0),
            per: q
                .get("per")
                .and_then(|p| p.parse().ok())
                .filter(|p| PAGE_SIZES.contains(p))
                .unwrap_or(DEFAULT_PAGE_SIZE),
            flame_zoom: q.get("fz").and_then(|p| p.parse().ok()).unwrap_or(0),
            flame_q: q.get("fq").unwrap_or_default(),
        }
    }

    pub fn to_query(&self) -> String {
        let d = ViewState::default();
        let mut parts = vec![self.req.to_query()];
        let mut put = |k: &str, v: String| parts.push(format!("{k}={}", encode(&v)));
        if let Some(col) = self.sort {
            put("sort", col.id());
        }
        if self.reverse {
            put("rev", "1".into());
        }
        if self.statuses != d.statuses {
            put(
                "status",
                self.statuses
                    .iter()
                    .map(|s| status_name(*s))
                    .collect::<Vec<_>>()
                    .join(","),
            );
        }
        if !self.noise {
            put("noise", "0".into());
        }
        if !self.filter.is_empty() {
            put("q", self.filter.clone());
        }
        if let Some(r) = self.row {
            put("row", r.to_string());
        }
        if self.page > 0 {
            put("page", self.page.to_string());
        }
        if self.per != d.per {
            put("per", self.per.to_string());
        }
        if self.flame_zoom > 0 {
            put("fz", self.flame_zoom.to_string());
        }
        if !self.flame_q.is_empty() {
            put("fq", self.flame_q.clone());
        }
        parts.join("&")
    }

    /// What decides which rows show and in which order: selecting a row or turning a page
    /// does not change it, so neither re-sorts.
    pub fn order_key(&self) -> (Vec<Status>, bool, String, Col, bool) {
        (
            self.statuses.clone(),
            self.noise,
            self.filter.clone(),
            self.sort_column(),
            self.reverse,
        )
    }

    /// The sort column, defaulting to the chosen metric's Δ.
    pub fn sort_column(&self) -> Col {
        self.sort.unwrap_or(Col::delta_of(self.req.metric))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_round_trip() {
        let v = ViewState {
            req: CompareRequest {
                mode: Mode::Runs,
                a: vec![ProfileId::new(), ProfileId::new()],
                b: vec![ProfileId::new()],
                metric: Metric::Cumtime,
                normalize: true,
                min_ms: 0.5,
                min_pct: 10.0,
                alpha: 0.01,
                test: crate::engine::stats::TestKind::WelchT,
            },
            sort: Some(Col::DeltaPct),
            reverse: true,
            statuses: vec![Status::Slower],
            noise: false,
            filter: "a b&c=(d)".into(),
            row: Some(17),
            page: 3,
            per: 250,
            flame_zoom: 12,
            flame_q: "/^a;b/".into(),
        };
        let q = v.to_query();
        let mut map = ParamsMap::new();
        for pair in q.split('&') {
            let (k, val) = pair.split_once('=').unwrap();
            let mut bytes = Vec::new();
            let mut it = val.bytes();
            while let Some(b) = it.next() {
                if b == b'%' {
                    let h: String = [it.next().unwrap() as char, it.next().unwrap() as char]
                        .iter()
                        .collect();
                    bytes.push(u8::from_str_radix(&h, 16).unwrap());
                } else {
                    bytes.push(b);
                }
            }
            map.insert(k.to_string(), String::from_utf8(bytes).unwrap());
        }
        assert_eq!(ViewState::from_query(&map), v);
        assert_eq!(
            ViewState::from_query(&ParamsMap::new()),
            ViewState::default()
        );
        assert_eq!(ViewState::default().to_query(), "mode=two&a=");
        // A page size the tables do not offer is the default (no 10,000-row pages by URL).
        let mut odd = ParamsMap::new();
        odd.insert("per".to_string(), "10000".to_string());
        assert_eq!(ViewState::from_query(&odd).per, DEFAULT_PAGE_SIZE);
    }
}
