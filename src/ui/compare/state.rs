//! The comparison view's state lives in the URL query, so a reload or a bookmark shows the
//! same view (within the tab's session). Defaults are left out of the URL.

use leptos_router::params::ParamsMap;

use crate::engine::compare::Status;
use crate::ui::types::{CompareReq, Mode};

/// Statuses shown when the URL does not say.
pub const DEFAULT_STATUSES: [Status; 4] =
    [Status::Slower, Status::Faster, Status::New, Status::Removed];

#[derive(Clone, Debug, PartialEq)]
pub struct ViewState {
    /// What decides the numbers (a change refetches).
    pub req: CompareReq,
    /// Column id (see `columns`); empty: the chosen metric's Δ.
    pub sort: String,
    /// Flip the column's natural order (numbers: largest first; names: A→Z).
    pub reverse: bool,
    pub statuses: Vec<Status>,
    pub filter: String,
    /// The selected row's display name.
    pub row: Option<String>,
    pub page: usize,
}

impl Default for ViewState {
    fn default() -> Self {
        ViewState {
            req: CompareReq {
                mode: Mode::Two,
                a: Vec::new(),
                b: Vec::new(),
                metric: "tottime".into(),
                normalize: false,
                min_ms: 1.0,
                min_pct: 5.0,
            },
            sort: String::new(),
            reverse: false,
            statuses: DEFAULT_STATUSES.to_vec(),
            filter: String::new(),
            row: None,
            page: 0,
        }
    }
}

fn ids(s: Option<String>) -> Vec<String> {
    s.map(|s| {
        s.split(',')
            .filter(|x| !x.is_empty())
            .map(str::to_string)
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
            req: CompareReq {
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
                    .filter(|m| m == "cumtime")
                    .unwrap_or(d.req.metric),
                normalize: q.get("norm").is_some_and(|v| v == "1"),
                min_ms: num("min_ms", d.req.min_ms),
                min_pct: num("min_pct", d.req.min_pct),
            },
            sort: q.get("sort").unwrap_or_default(),
            reverse: q.get("rev").is_some_and(|v| v == "1"),
            statuses: match q.get("status") {
                None => d.statuses,
                Some(s) => s.split(',').filter_map(parse_status).collect(),
            },
            filter: q.get("q").unwrap_or_default(),
            row: q.get("row").filter(|r| !r.is_empty()),
            page: q.get("page").and_then(|p| p.parse().ok()).unwrap_or(0),
        }
    }

    pub fn to_query(&self) -> String {
        let d = ViewState::default();
        let mut parts = vec![format!("mode={}", self.req.mode.as_str())];
        let mut put = |k: &str, v: String| parts.push(format!("{k}={}", encode(&v)));
        put("a", self.req.a.join(","));
        if !self.req.b.is_empty() {
            put("b", self.req.b.join(","));
        }
        if self.req.metric != d.req.metric {
            put("metric", self.req.metric.clone());
        }
        if self.req.normalize {
            put("norm", "1".into());
        }
        if self.req.min_ms != d.req.min_ms {
            put("min_ms", self.req.min_ms.to_string());
        }
        if self.req.min_pct != d.req.min_pct {
            put("min_pct", self.req.min_pct.to_string());
        }
        if !self.sort.is_empty() {
            put("sort", self.sort.clone());
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
        if !self.filter.is_empty() {
            put("q", self.filter.clone());
        }
        if let Some(r) = &self.row {
            put("row", r.clone());
        }
        if self.page > 0 {
            put("page", self.page.to_string());
        }
        parts.join("&")
    }

    /// What decides which rows show and in which order: selecting a row or turning a page
    /// does not change it, so neither re-sorts.
    pub fn order_key(&self) -> (Vec<Status>, String, String, bool) {
        (
            self.statuses.clone(),
            self.filter.clone(),
            self.sort_column(),
            self.reverse,
        )
    }

    /// The sort column, defaulting to the chosen metric's Δ.
    pub fn sort_column(&self) -> String {
        if self.sort.is_empty() {
            format!("d.{}", self.req.metric)
        } else {
            self.sort.clone()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_round_trip() {
        let v = ViewState {
            req: CompareReq {
                mode: Mode::Runs,
                a: vec!["x".into(), "y".into()],
                b: vec!["z".into()],
                metric: "cumtime".into(),
                normalize: true,
                min_ms: 0.5,
                min_pct: 10.0,
            },
            sort: "d.pct".into(),
            reverse: true,
            statuses: vec![Status::Slower],
            filter: "a b&c=(d)".into(),
            row: Some("~:0(<built-in method time.sleep>)".into()),
            page: 3,
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
    }
}
