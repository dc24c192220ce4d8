//! Exports of comparisons: a terminal table, Markdown (summary and top changes, ready for a
//! pull request), CSV (every row, full precision) and JSON (the documented contract).

use std::borrow::Cow;
use std::fmt::Write;

use super::runs::{Matrix, RunsComparison};
use super::{Comparison, Status};
use crate::engine::stats;

/// An output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Text,
    Markdown,
    Csv,
    Json,
    /// One self-contained HTML file (see [`super::html`]).
    Html,
}

impl Format {
    pub fn parse(s: &str) -> Option<Format> {
        Some(match s {
            "text" => Format::Text,
            "markdown" | "md" => Format::Markdown,
            "csv" => Format::Csv,
            "json" => Format::Json,
            "html" => Format::Html,
            _ => return None,
        })
    }
}

/// Report headings when the caller does not name the profiles.
const UNNAMED: super::html::Names<'static> = super::html::Names {
    baseline: "baseline",
    candidate: "candidate",
};

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

pub fn pct(p: Option<f64>) -> String {
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

/// `s` with control characters spelled out (`\n`, `\t`, `\u{1b}`): a function name may
/// hold anything, and must not break a table's lines or send escapes to a terminal.
pub fn visible(s: &str) -> Cow<'_, str> {
    if !s.chars().any(char::is_control) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// `s` as a Markdown code span that shows it exactly as text, whatever it holds: control
/// characters spelled out (so it stays on its line), a fence longer than any run of
/// backticks in it (padded when it starts or ends with one), and, inside a table cell
/// (`in_table`), `|` escaped so it cannot end the cell. Headings, links, images and HTML
/// cannot form inside a code span.
pub fn md_code(s: &str, in_table: bool) -> String {
    let mut text = visible(s).into_owned();
    if in_table {
        text = text.replace('|', "\\|");
    }
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    let pad = if text.is_empty() || text.starts_with(['`', ' ']) || text.ends_with(['`', ' ']) {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{text}{pad}{fence}")
}

/// A text cell for CSV: one that starts like a formula (`=`, `+`, `-`, `@`, tab, carriage
/// return) gets a leading `'`, as OWASP advises, so a spreadsheet shows it as text.
pub fn csv_cell(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    }
}

/// A rectangular table; `numeric` columns are right-aligned.
struct Table {
    headers: Vec<String>,
    numeric: Vec<bool>,
    rows: Vec<Vec<String>>,
}

impl Table {
    fn text(&self) -> String {
        let rows: Vec<Vec<Cow<'_, str>>> = self
            .rows
            .iter()
            .map(|r| r.iter().map(|c| visible(c)).collect())
            .collect();
        let widths: Vec<usize> = (0..self.headers.len())
            .map(|c| {
                rows.iter()
                    .map(|r| r[c].chars().count())
                    .chain([self.headers[c].chars().count()])
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let mut out = String::new();
        let line = |out: &mut String, cells: &[Cow<'_, str>]| {
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
        let headers: Vec<Cow<'_, str>> = self.headers.iter().map(|h| visible(h)).collect();
        line(&mut out, &headers);
        for r in &rows {
            line(&mut out, r);
        }
        out
    }

    /// The last column holds names (any text): each becomes a code span; the others hold
    /// numbers and words of ours.
    fn markdown(&self) -> String {
        let esc = |s: &str| visible(s).replace('|', "\\|");
        let headers: Vec<String> = self.headers.iter().map(|h| esc(h)).collect();
        let mut out = format!("| {} |\n|", headers.join(" | "));
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
                        md_code(v, true)
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
        Format::Html => super::html::two_way(c, &UNNAMED, None),
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
                    csv_cell(&r.display),
                    csv_cell(&r.function.file),
                    r.function.line.to_string(),
                    csv_cell(&r.function.name),
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
                out.push_str(&rows_table(&rows, s.metric, s.sampled()).text());
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
                out.push_str(&rows_table(shown, s.metric, s.sampled()).text());
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
            out.push_str(&notes_lines(&s.notes, format));
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
                "| {} | {} | {} | {:+} |",
                super::count_label(&s.baseline, &s.candidate),
                s.baseline.count(),
                s.candidate.count(),
                s.candidate.count().saturating_sub(s.baseline.count())
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
                out.push_str(
                    &rows_table(&all[..all.len().min(n)], s.metric, s.sampled()).markdown(),
                );
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

/// A comparison's caveats: `note: …` lines in text, quoted notes in Markdown.
fn notes_lines(notes: &[String], format: Format) -> String {
    let mut out = String::new();
    for note in notes {
        let _ = match format {
            Format::Markdown => writeln!(out, "> **Note:** {}\n", visible(note)),
            _ => writeln!(out, "note: {note}"),
        };
    }
    out
}

fn summary_text(c: &Comparison) -> String {
    let s = &c.summary;
    let k = &s.counts;
    let mut out = notes_lines(&s.notes, Format::Text);
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
        "{}: {} -> {}; functions: {} -> {}",
        super::count_label(&s.baseline, &s.candidate),
        s.baseline.count(),
        s.candidate.count(),
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

fn rows_table(rows: &[&super::Row], metric: super::Metric, sampled: bool) -> Table {
    Table {
        headers: owned(&[
            "status",
            "change",
            "%",
            "ratio",
            "baseline",
            "candidate",
            if sampled { "on stack" } else { "calls" },
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
            let _ = writeln!(out, "\n#### {} {title}\n", md_code(&e.function, false));
            out.push_str(&if rows.is_empty() {
                "(none)\n".into()
            } else {
                table(rows).markdown()
            });
        } else {
            let _ = writeln!(out, "\n{} {title}:", visible(&e.function));
            out.push_str(&if rows.is_empty() {
                "  (none)\n".into()
            } else {
                table(rows).text()
            });
        }
    }
    out
}

/// A ratio to three significant digits or so ("1.94", "0.512", "12.3").
fn ratio_text(r: f64) -> String {
    match r.abs() {
        x if x >= 100.0 => format!("{r:.0}"),
        x if x >= 10.0 => format!("{r:.1}"),
        x if x >= 1.0 || x == 0.0 => format!("{r:.2}"),
        _ => format!("{r:.3}"),
    }
}

/// "1.94 [1.80, 2.10]": candidate median / baseline median and its bootstrap interval.
pub fn ratio_with_ci(r: &super::runs::RunsRow) -> String {
    let observed = (r.baseline.median > 0.0).then(|| r.candidate.median / r.baseline.median);
    match (observed, r.ratio_ci) {
        (Some(x), Some([lo, hi])) => {
            format!("{} [{}, {}]", ratio_text(x), ratio_text(lo), ratio_text(hi))
        }
        (Some(x), None) => format!("{} [unbounded]", ratio_text(x)),
        (None, _) => "–".into(),
    }
}

/// A p- or q-value as people read them: "0.002", "<0.001", "1".
pub fn p_text(p: f64) -> String {
    match p {
        _ if p < 0.001 => "<0.001".into(),
        _ if p >= 0.995 => "1".into(),
        _ => format!("{p:.3}"),
    }
}

/// What the statistics say of a row, in words ("" where the thresholds already decided).
pub fn verdict(r: &super::runs::RunsRow) -> &'static str {
    match r.status {
        Status::Slower | Status::Faster => "significant",
        Status::Insufficient => "too few runs",
        Status::Unchanged if r.within_noise => "within noise",
        _ => "",
    }
}

/// The run counts (equal on both sides) from which `alpha` is reachable.
fn runs_needed(alpha: f64) -> usize {
    (2..=stats::EXACT_UP_TO / 2)
        .find(|&n| stats::smallest_p(n, n) <= alpha)
        .unwrap_or(stats::EXACT_UP_TO / 2)
}

/// The summary's statistics in one or two lines: the test, the family, alpha, the total's
/// test, and a warning when the run counts cannot reach alpha.
fn runs_test_lines(c: &RunsComparison) -> String {
    let s = &c.summary;
    let t = &s.test;
    let totals = match t.totals_ratio_ci {
        Some([lo, hi]) => format!(
            "total time p {}, ratio 95% CI [{}, {}]",
            p_text(t.totals_p_value),
            ratio_text(lo),
            ratio_text(hi)
        ),
        None => format!("total time p {}", p_text(t.totals_p_value)),
    };
    let mut out = format!(
        "test: {} per function, Benjamini-Hochberg over {} functions, alpha {}; {totals}\n",
        if t.name == "welch-t" {
            "Welch's t"
        } else {
            "Mann-Whitney U"
        },
        t.tests,
        t.alpha
    );
    if !c.can_reach_alpha() {
        let n = runs_needed(t.alpha);
        out.push_str(&format!(
            "warning: {} vs {} runs cannot reach alpha {} (the smallest possible p is {:.3}); changes beyond the thresholds are marked insufficient: record at least {n} runs a side\n",
            s.baseline_runs, s.candidate_runs, t.alpha, t.smallest_p
        ));
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
            "ratio [95% CI]",
            "q",
            "verdict",
            "baseline median [min–max]",
            "candidate median [min–max]",
            "function",
        ]),
        numeric: vec![false, true, true, true, true, false, true, true, false],
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
                    ratio_with_ci(r),
                    p_text(r.q_value),
                    verdict(r).into(),
                    spread(&r.baseline),
                    spread(&r.candidate),
                    r.display.clone(),
                ]
            })
            .collect(),
    };
    let head = format!(
        "metric: {}, {} baseline runs vs {} candidate runs; median total {} -> {} ({}, {})\n{} slower, {} faster, {} new, {} removed, {} unchanged, {} insufficient; {} beyond the thresholds are within noise\n",
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
        s.counts.insufficient,
        s.within_noise
    );
    let head = head + &runs_test_lines(c) + &notes_lines(&s.notes, format);
    let take = limit.unwrap_or(usize::MAX);
    match format {
        Format::Html => super::html::runs(c, &UNNAMED),
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
                "p_value",
                "q_value",
                "ratio_ci_lo",
                "ratio_ci_hi",
            ];
            headers.extend(["baseline_runs", "candidate_runs"]);
            csv_text(
                &headers,
                c.rows.iter().map(|r| {
                    let join =
                        |v: &[f64]| v.iter().map(f64::to_string).collect::<Vec<_>>().join(" ");
                    vec![
                        r.status.as_str().into(),
                        csv_cell(&r.display),
                        csv_cell(&r.function.file),
                        r.function.line.to_string(),
                        csv_cell(&r.function.name),
                        r.baseline.median.to_string(),
                        r.baseline.min.to_string(),
                        r.baseline.max.to_string(),
                        r.candidate.median.to_string(),
                        r.candidate.min.to_string(),
                        r.candidate.max.to_string(),
                        r.delta.to_string(),
                        opt(r.pct),
                        r.within_noise.to_string(),
                        r.p_value.to_string(),
                        r.q_value.to_string(),
                        opt(r.ratio_ci.map(|c| c[0])),
                        opt(r.ratio_ci.map(|c| c[1])),
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
    let legend = |markdown: bool| -> String {
        m.profiles
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let name = if markdown {
                    md_code(p, false)
                } else {
                    visible(p).into_owned()
                };
                // A list in Markdown, so that each profile is a line of its own.
                let bullet = if markdown { "- " } else { "" };
                format!(
                    "{bullet}#{} = {name} (total {})\n",
                    i + 1,
                    human_secs(m.totals[i])
                )
            })
            .collect()
    };
    match format {
        Format::Html => super::html::matrix(m),
        Format::Json => json(m),
        Format::Text => format!(
            "metric: {}\n{}{}\n{}",
            m.metric.as_str(),
            notes_lines(&m.notes, format),
            legend(false),
            table(limit.unwrap_or(usize::MAX)).text()
        ),
        Format::Markdown => format!(
            "### profdiff matrix ({})\n\n{}{}\n{}",
            m.metric.as_str(),
            notes_lines(&m.notes, format),
            legend(true),
            table(limit.unwrap_or(super::TOP * 2)).markdown()
        ),
        Format::Csv => {
            let names: Vec<String> = m.profiles.iter().map(|p| csv_cell(p)).collect();
            let mut h: Vec<&str> = vec!["display", "file", "line", "name", "delta", "delta_pct"];
            h.extend(names.iter().map(String::as_str));
            csv_text(
                &h,
                m.rows.iter().map(|r| {
                    let mut v = vec![
                        csv_cell(&r.display),
                        csv_cell(&r.function.file),
                        r.function.line.to_string(),
                        csv_cell(&r.function.name),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::compare::{Options, compare};
    use crate::engine::profile::{Function, FunctionKey, Profile};

    fn one(name: &str, file: &str, tt: f64) -> Profile {
        Profile::from_functions([Function {
            key: FunctionKey::new(file, 1, name),
            cc: 1,
            nc: 1,
            tt,
            ct: tt,
            callers: Vec::new(),
        }])
    }

    #[test]
    fn code_spans_hold_any_name() {
        assert_eq!(md_code("f", true), "`f`");
        assert_eq!(md_code("a`b", true), "``a`b``");
        assert_eq!(md_code("``x", true), "``` ``x ```");
        assert_eq!(md_code("a|b", true), "`a\\|b`");
        assert_eq!(md_code("a|b", false), "`a|b`");
        assert_eq!(md_code("x\n# heading", true), "`x\\n# heading`");
        assert_eq!(md_code("", true), "`  `");
        assert_eq!(visible("a\x1b[31mb\tc"), "a\\u{1b}[31mb\\tc");
    }

    #[test]
    fn hostile_names_stay_text_in_markdown_and_csv() {
        // A function name that would close its cell, start a heading, show an image and
        // run HTML if it were pasted raw into a pull request.
        let evil = "x`|` \n# Pwned\n![i](http://e/x.png) <img src=x onerror=alert(1)> ``` | y";
        let a = one(evil, "=HYPERLINK(\"http://e\")", 0.010);
        let b = one(evil, "=HYPERLINK(\"http://e\")", 0.050);
        let c = compare(&a, &b, &Options::default());
        let md = comparison(&c, Format::Markdown, None);
        let row = md
            .lines()
            .find(|l| l.contains("Pwned"))
            .expect("the row is there");
        // On one line, as one code span in the last cell: the only unescaped pipes are the
        // table's own.
        assert!(!md.contains("\n# Pwned"), "{md}");
        let cells: Vec<&str> = split_unescaped(row);
        assert_eq!(cells.len(), 9 + 2, "{row}");
        let last = cells[cells.len() - 2].trim();
        let fence = "````";
        assert!(
            last.starts_with(fence) && last.ends_with(fence) && !last.starts_with("`````"),
            "{last}"
        );
        let csv = comparison(&c, Format::Csv, None);
        let mut reader = csv::Reader::from_reader(csv.as_bytes());
        let rec = reader.records().next().unwrap().unwrap();
        assert!(rec[2].starts_with("'=HYPERLINK"), "display: {}", &rec[2]);
        assert!(rec[3].starts_with("'=HYPERLINK"), "file: {}", &rec[3]);
        assert_eq!(&rec[5], evil, "the name itself is kept whole");
        // Numbers are not touched: a negative change stays a number.
        let faster = comparison(&compare(&b, &a, &Options::default()), Format::Csv, None);
        let rec = csv::Reader::from_reader(faster.as_bytes())
            .records()
            .next()
            .unwrap()
            .unwrap();
        assert!(rec[15].parse::<f64>().unwrap() < 0.0);
        assert!(csv_cell("-x").starts_with('\''));
        assert_eq!(csv_cell("x-"), "x-");
    }

    /// Cells of a Markdown table row, split at pipes not escaped by a backslash.
    fn split_unescaped(row: &str) -> Vec<&str> {
        let mut cells = Vec::new();
        let (mut start, mut prev) = (0, ' ');
        for (i, c) in row.char_indices() {
            if c == '|' && prev != '\\' {
                cells.push(&row[start..i]);
                start = i + 1;
            }
            prev = c;
        }
        cells.push(&row[start..]);
        cells
    }
}
