//! Exports of comparisons: a terminal table, Markdown (summary and top changes, ready for a
//! pull request), CSV (every row, full precision) and JSON (the documented contract).

use std::fmt::Write;

use super::runs::{Matrix, RunsComparison};
use super::{Comparison, Status};

/// An output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Text,
    Markdown,
    Csv,
    Json,
}

impl Format {
    pub const NAMES: &'static [&'static str] = &["text", "markdown", "csv", "json"];

    pub fn parse(s: &str) -> Option<Format> {
        Some(match s {
            "text" => Format::Text,
            "markdown" | "md" => Format::Markdown,
            "csv" => Format::Csv,
            "json" => Format::Json,
            _ => return None,
        })
    }
}

/// Seconds with a readable unit: `1.234 s`, `12.3 ms`, `45 µs`.
pub fn human_secs(s: f64) -> String {
    let a = s.abs();
    if a < 0.5e-6 {
        return "0".to_string();
    }
    if a >= 1.0 {
        format!("{s:.3} s")
    } else if a >= 1e-3 {
        format!("{:.1} ms", s * 1e3)
    } else {
        format!("{:.0} µs", s * 1e6)
    }
}

/// As [`human_secs`] with an explicit sign.
pub fn signed_secs(s: f64) -> String {
    if s > 0.0 {
        format!("+{}", human_secs(s))
    } else {
        human_secs(s)
    }
}

fn pct(p: Option<f64>) -> String {
    match p {
        Some(p) if p.is_finite() => format!("{p:+.1}%"),
        _ => "–".to_string(),
    }
}

fn ratio(r: Option<f64>) -> String {
    r.map_or("–".to_string(), |r| format!("{r:.2}×"))
}

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map_or(String::new(), |v| v.to_string())
}

/// A rectangular table; `numeric` columns are right-aligned.
struct Table {
    headers: Vec<String>,
    numeric: Vec<bool>,
    rows: Vec<Vec<String>>,
}

impl Table {
    fn text(&self) -> String {
        let widths: Vec<usize> = (0..self.headers.len())
            .map(|c| {
                self.rows
                    .iter()
                    .map(|r| r[c].chars().count())
                    .chain([self.headers[c].chars().count()])
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let mut out = String::new();
        let line = |out: &mut String, cells: &[String]| {
            let last = cells.len() - 1;
            for (c, cell) in cells.iter().enumerate() {
                let w = widths[c];
                if c == last {
                    out.push_str(cell);
                } else if self.numeric[c] {
                    let _ = write!(out, "{cell:>w$}  ");
                } else {
                    let _ = write!(out, "{cell:<w$}  ");
                }
            }
            out.push('\n');
        };
        line(&mut out, &self.headers);
        for r in &self.rows {
            line(&mut out, r);
        }
        out
    }

    fn markdown(&self) -> String {
        let esc = |s: &str| s.replace('|', "\\|");
        let mut out = format!("| {} |\n|", self.headers.join(" | "));
        for &n in &self.numeric {
            out.push_str(if n { " ---: |" } else { " --- |" });
        }
        out.push('\n');
        for r in &self.rows {
            let cells: Vec<String> = r
                .iter()
                .enumerate()
                .map(|(c, v)| {
                    if c == r.len() - 1 {
                        format!("`{}`", v.replace('`', "'"))
                    } else {
                        esc(v)
                    }
                })
                .collect();
            let _ = writeln!(out, "| {} |", cells.join(" | "));
        }
        out
    }
}

fn owned(headers: &[&str]) -> Vec<String> {
    headers.iter().map(|h| h.to_string()).collect()
}

fn csv_text(headers: &[&str], rows: impl Iterator<Item = Vec<String>>) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record(headers);
    for r in rows {
        let _ = w.write_record(&r);
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

fn json<T: serde::Serialize>(v: &T) -> String {
    let mut s =
        serde_json::to_string_pretty(v).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"));
    s.push('\n');
    s
}

/// Renders a two-way comparison; `limit` caps the table rows in text and Markdown
/// (CSV and JSON always hold every row).
pub fn comparison(c: &Comparison, format: Format, limit: Option<usize>) -> String {
    let s = &c.summary;
    let metric = s.metric.as_str();
    match format {
        Format::Json => json(c),
        Format::Csv => csv_text(
            &[
                "status",
                "match",
                "display",
                "file",
                "line",
                "name",
                "baseline_ncalls",
                "baseline_pcalls",
                "baseline_tottime",
                "baseline_cumtime",
                "candidate_ncalls",
                "candidate_pcalls",
                "candidate_tottime",
                "candidate_cumtime",
                "delta_ncalls",
                "delta_tottime",
                "delta_cumtime",
                "delta_pct",
                "ratio_tottime",
                "ratio_cumtime",
                "delta_share_pp",
            ],
            c.rows.iter().map(|r| {
                let side = |s: &Option<super::SideStats>| match s {
                    Some(s) => vec![
                        opt(s.ncalls),
                        opt(s.pcalls),
                        s.tottime.to_string(),
                        s.cumtime.to_string(),
                    ],
                    None => vec![String::new(); 4],
                };
                let mut v = vec![
                    r.status.as_str().to_string(),
                    r.match_kind
                        .map_or(String::new(), |m| m.as_str().to_string()),
                    r.display.clone(),
                    r.function.file.clone(),
                    r.function.line.to_string(),
                    r.function.name.clone(),
                ];
                v.extend(side(&r.baseline));
                v.extend(side(&r.candidate));
                v.extend([
                    opt(r.delta.ncalls),
                    r.delta.tottime.to_string(),
                    r.delta.cumtime.to_string(),
                    opt(r.delta.pct),
                    opt(r.ratio.tottime),
                    opt(r.ratio.cumtime),
                    r.delta.share_pp.to_string(),
                ]);
                v
            }),
        ),
        Format::Text => {
            let mut out = summary_text(c);
            let take = limit.unwrap_or(usize::MAX);
            if c.order != (super::SortField::Delta, false) {
                let rows: Vec<&super::Row> = c.rows.iter().take(take).collect();
                out.push('\n');
                out.push_str(&rows_table(&rows, s.metric).text());
                if rows.len() < c.rows.len() {
                    let _ = writeln!(
                        out,
                        "… {} more rows (--limit, or --format csv/json for all)",
                        c.rows.len() - rows.len()
                    );
                }
                return out;
            }
            // Sorted by change: regressions and improvements apart, each biggest first.
            for (title, all) in sections(c) {
                let shown = &all[..all.len().min(take)];
                let _ = writeln!(out, "\n{title} ({}):", all.len());
                out.push_str(&rows_table(shown, s.metric).text());
                if shown.len() < all.len() {
                    let _ = writeln!(out, "… {} more", all.len() - shown.len());
                }
            }
            let _ = writeln!(
                out,
                "\n{} unchanged (below {} ms or {}%); --format csv or json lists every row",
                s.counts.unchanged, s.min_ms, s.min_pct
            );
            out
        }
        Format::Markdown => {
            let n = limit.unwrap_or(super::TOP);
            let mut out = format!(
                "### profdiff: {metric} {}\n\n",
                if s.normalized {
                    "(normalised)"
                } else {
                    "(absolute)"
                }
            );
            out.push_str("| | baseline | candidate | change |\n| --- | ---: | ---: | ---: |\n");
            let _ = writeln!(
                out,
                "| total time | {} | {} | {} ({}) |",
                human_secs(s.baseline.total_time),
                human_secs(s.candidate.total_time),
                signed_secs(s.delta_time),
                pct(s.delta_pct)
            );
            let _ = writeln!(
                out,
                "| calls | {} | {} | {:+} |",
                s.baseline.total_calls,
                s.candidate.total_calls,
                s.candidate.total_calls - s.baseline.total_calls
            );
            let _ = writeln!(
                out,
                "| functions | {} | {} | {:+} |",
                s.baseline.functions,
                s.candidate.functions,
                s.candidate.functions as i64 - s.baseline.functions as i64
            );
            let k = &s.counts;
            let _ = writeln!(
                out,
                "\n**{} slower, {} faster, {} new, {} removed**, {} unchanged (threshold: {} ms and {}%).\n",
                k.slower, k.faster, k.new, k.removed, k.unchanged, s.min_ms, s.min_pct
            );
            for (title, all) in sections(c) {
                let _ = writeln!(out, "#### {title}\n");
                out.push_str(&rows_table(&all[..all.len().min(n)], s.metric).markdown());
                out.push('\n');
            }
            out
        }
    }
}

/// Regressions (slower and new, biggest first) and improvements (faster and removed,
/// biggest first), leaving out an empty section. Rows must be sorted by change.
fn sections(c: &Comparison) -> Vec<(&'static str, Vec<&super::Row>)> {
    let is = |statuses: [Status; 2]| move |r: &&super::Row| statuses.contains(&r.status);
    let slower: Vec<&super::Row> = c
        .rows
        .iter()
        .filter(is([Status::Slower, Status::New]))
        .collect();
    let faster: Vec<&super::Row> = c
        .rows
        .iter()
        .rev()
        .filter(is([Status::Faster, Status::Removed]))
        .collect();
    [("Slower", slower), ("Faster", faster)]
        .into_iter()
        .filter(|(_, rows)| !rows.is_empty())
        .collect()
}

fn summary_text(c: &Comparison) -> String {
    let s = &c.summary;
    let k = &s.counts;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "metric: {} ({}{}), threshold: {} ms and {}%",
        s.metric.as_str(),
        if s.normalized {
            "normalised"
        } else {
            "absolute"
        },
        if s.normalized {
            format!(", candidate scaled by {:.4}", s.scale)
        } else {
            String::new()
        },
        s.min_ms,
        s.min_pct
    );
    let _ = writeln!(
        out,
        "total time: {} -> {} ({}, {})",
        human_secs(s.baseline.total_time),
        human_secs(s.candidate.total_time),
        signed_secs(s.delta_time),
        pct(s.delta_pct)
    );
    let _ = writeln!(
        out,
        "calls: {} -> {}; functions: {} -> {}",
        s.baseline.total_calls,
        s.candidate.total_calls,
        s.baseline.functions,
        s.candidate.functions
    );
    let _ = writeln!(
        out,
        "{} slower, {} faster, {} new, {} removed, {} unchanged",
        k.slower, k.faster, k.new, k.removed, k.unchanged
    );
    out
}

fn rows_table(rows: &[&super::Row], metric: super::Metric) -> Table {
    Table {
        headers: owned(&[
            "status",
            "change",
            "%",
            "ratio",
            "baseline",
            "candidate",
            "calls",
            "match",
            "function",
        ]),
        numeric: vec![false, true, true, true, true, true, true, false, false],
        rows: rows
            .iter()
            .map(|r| {
                let m = |s: &Option<super::SideStats>| {
                    s.as_ref()
                        .map_or("–".into(), |s| human_secs(s.metric(metric)))
                };
                let calls = |s: &Option<super::SideStats>| {
                    s.as_ref()
                        .and_then(|s| s.ncalls)
                        .map_or("–".into(), |n| n.to_string())
                };
                vec![
                    r.status.as_str().to_string(),
                    signed_secs(r.delta_of(metric)),
                    pct(r.delta.pct),
                    ratio(match metric {
                        super::Metric::Tottime => r.ratio.tottime,
                        super::Metric::Cumtime => r.ratio.cumtime,
                    }),
                    m(&r.baseline),
                    m(&r.candidate),
                    format!("{}→{}", calls(&r.baseline), calls(&r.candidate)),
                    r.match_kind.map_or("–".into(), |k| k.as_str().to_string()),
                    r.display.clone(),
                ]
            })
            .collect(),
    }
}

/// Renders one function's caller and callee edges (text or Markdown; CSV gets the same
/// table as text, JSON is produced by the caller).
pub fn edges(e: &super::edges::Edges, format: Format) -> String {
    let table = |rows: &[super::edges::EdgeRow]| Table {
        headers: owned(&[
            "Δ cumtime",
            "baseline calls",
            "candidate calls",
            "baseline cumtime",
            "candidate cumtime",
            "function",
        ]),
        numeric: vec![true, true, true, true, true, false],
        rows: rows
            .iter()
            .map(|r| {
                let calls = |s: &Option<super::edges::EdgeStats>| {
                    s.as_ref().map_or("–".into(), |s| s.ncalls.to_string())
                };
                let cum = |s: &Option<super::edges::EdgeStats>| {
                    s.as_ref()
                        .and_then(|s| s.cumtime)
                        .map_or("–".into(), human_secs)
                };
                vec![
                    signed_secs(r.delta_cumtime),
                    calls(&r.baseline),
                    calls(&r.candidate),
                    cum(&r.baseline),
                    cum(&r.candidate),
                    r.display.clone(),
                ]
            })
            .collect(),
    };
    let mut out = String::new();
    for (title, rows) in [("called by", &e.callers), ("calls", &e.callees)] {
        if format == Format::Markdown {
            let _ = writeln!(out, "\n#### `{}` {title}\n", e.function);
            out.push_str(&if rows.is_empty() {
                "(none)\n".into()
            } else {
                table(rows).markdown()
            });
        } else {
            let _ = writeln!(out, "\n{} {title}:", e.function);
            out.push_str(&if rows.is_empty() {
                "  (none)\n".into()
            } else {
                table(rows).text()
            });
        }
    }
    out
}

/// Renders a runs comparison.
pub fn runs(c: &RunsComparison, format: Format, limit: Option<usize>) -> String {
    let s = &c.summary;
    let table = |rows: &mut dyn Iterator<Item = &super::runs::RunsRow>| Table {
        headers: owned(&[
            "status",
            "change",
            "%",
            "noise",
            "baseline median [min–max]",
            "candidate median [min–max]",
            "function",
        ]),
        numeric: vec![false, true, true, false, true, true, false],
        rows: rows
            .map(|r| {
                let spread = |x: &super::runs::Spread| {
                    format!(
                        "{} [{}–{}]",
                        human_secs(x.median),
                        human_secs(x.min),
                        human_secs(x.max)
                    )
                };
                vec![
                    r.status.as_str().to_string(),
                    signed_secs(r.delta),
                    pct(r.pct),
                    if r.within_noise {
                        "within noise".into()
                    } else {
                        String::new()
                    },
                    spread(&r.baseline),
                    spread(&r.candidate),
                    r.display.clone(),
                ]
            })
            .collect(),
    };
    let head = format!(
        "metric: {}, {} baseline runs vs {} candidate runs; median total {} -> {} ({}, {})\n{} slower, {} faster, {} new, {} removed, {} unchanged; {} of the changes are within noise\n",
        s.metric.as_str(),
        s.baseline_runs,
        s.candidate_runs,
        human_secs(s.baseline_totals.median),
        human_secs(s.candidate_totals.median),
        signed_secs(s.delta_time),
        pct(s.delta_pct),
        s.counts.slower,
        s.counts.faster,
        s.counts.new,
        s.counts.removed,
        s.counts.unchanged,
        s.within_noise
    );
    let take = limit.unwrap_or(usize::MAX);
    match format {
        Format::Json => json(c),
        Format::Text => format!("{head}\n{}", table(&mut c.rows.iter().take(take)).text()),
        Format::Markdown => format!(
            "### profdiff runs\n\n{head}\n{}",
            table(&mut c.rows.iter().take(limit.unwrap_or(super::TOP * 2))).markdown()
        ),
        Format::Csv => {
            let mut headers = vec![
                "status",
                "display",
                "file",
                "line",
                "name",
                "baseline_median",
                "baseline_min",
                "baseline_max",
                "candidate_median",
                "candidate_min",
                "candidate_max",
                "delta",
                "delta_pct",
                "within_noise",
            ];
            headers.extend(["baseline_runs", "candidate_runs"]);
            csv_text(
                &headers,
                c.rows.iter().map(|r| {
                    let join =
                        |v: &[f64]| v.iter().map(f64::to_string).collect::<Vec<_>>().join(" ");
                    vec![
                        r.status.as_str().into(),
                        r.display.clone(),
                        r.function.file.clone(),
                        r.function.line.to_string(),
                        r.function.name.clone(),
                        r.baseline.median.to_string(),
                        r.baseline.min.to_string(),
                        r.baseline.max.to_string(),
                        r.candidate.median.to_string(),
                        r.candidate.min.to_string(),
                        r.candidate.max.to_string(),
                        r.delta.to_string(),
                        opt(r.pct),
                        r.within_noise.to_string(),
                        join(&r.baseline.runs),
                        join(&r.candidate.runs),
                    ]
                }),
            )
        }
    }
}

/// Renders a matrix of K profiles; text and Markdown add a sparkline per row.
pub fn matrix(m: &Matrix, format: Format, limit: Option<usize>) -> String {
    let spark = |values: &[Option<f64>]| -> String {
        const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
        let max = values.iter().flatten().copied().fold(0.0f64, f64::max);
        values
            .iter()
            .map(|v| match v {
                None => '·',
                Some(v) if max > 0.0 => BARS[((v / max) * 7.0).round().clamp(0.0, 7.0) as usize],
                Some(_) => BARS[0],
            })
            .collect()
    };
    let mut headers = owned(&["change", "%", "trend"]);
    headers.extend((1..=m.profiles.len()).map(|i| format!("#{i}")));
    headers.push("function".into());
    let table = |take: usize| Table {
        numeric: headers
            .iter()
            .map(|h| *h != "function" && *h != "trend")
            .collect(),
        headers: headers.clone(),
        rows: m
            .rows
            .iter()
            .take(take)
            .map(|r| {
                let mut v = vec![signed_secs(r.delta), pct(r.pct), spark(&r.values)];
                v.extend(r.values.iter().map(|x| x.map_or("–".into(), human_secs)));
                v.push(r.display.clone());
                v
            })
            .collect(),
    };
    let legend: String = m
        .profiles
        .iter()
        .enumerate()
        .map(|(i, p)| format!("#{} = {p} (total {})\n", i + 1, human_secs(m.totals[i])))
        .collect();
    match format {
        Format::Json => json(m),
        Format::Text => format!(
            "metric: {}\n{legend}\n{}",
            m.metric.as_str(),
            table(limit.unwrap_or(usize::MAX)).text()
        ),
        Format::Markdown => format!(
            "### profdiff matrix ({})\n\n{legend}\n{}",
            m.metric.as_str(),
            table(limit.unwrap_or(super::TOP * 2)).markdown()
        ),
        Format::Csv => {
            let mut h: Vec<&str> = vec!["display", "file", "line", "name", "delta", "delta_pct"];
            h.extend(m.profiles.iter().map(String::as_str));
            csv_text(
                &h,
                m.rows.iter().map(|r| {
                    let mut v = vec![
                        r.display.clone(),
                        r.function.file.clone(),
                        r.function.line.to_string(),
                        r.function.name.clone(),
                        r.delta.to_string(),
                        opt(r.pct),
                    ];
                    v.extend(r.values.iter().map(|x| opt(*x)));
                    v
                }),
            )
        }
    }
}
