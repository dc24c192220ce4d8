//! A comparison as one self-contained HTML file: `profdiff diff A B --format html` and the
//! web app's *Download report*.
//!
//! Self-contained means it opens from `file://` with the network off: styles, script and
//! data are inline, the differential flame graph is an embedded `data:` SVG (its own
//! click-to-zoom and search work inside it), and a Content-Security-Policy forbids every
//! request, so a report can be attached to a ticket or mailed and read anywhere. Every name
//! from a profile is escaped (function names are attacker-controlled text).

use std::fmt::Write;

use base64::Engine;

use super::export::{human_secs, p_text, pct, ratio_with_ci, signed_secs, verdict};
use super::runs::{Matrix, RunsComparison};
use super::{Comparison, Metric, Row, Status, TopEntry};
use crate::engine::flame_svg::escape;

/// At most this many rows go into a report's table (largest changes first); the CSV and
/// JSON exports hold every row.
pub const MAX_ROWS: usize = 5000;

/// What the report is of, for its title and headings.
pub struct Names<'a> {
    pub baseline: &'a str,
    pub candidate: &'a str,
}

const STYLE: &str = r#"
:root { --bg:#f6f7f9; --surface:#fff; --text:#1c2128; --muted:#5f6b7a; --border:#d8dde4;
  --slower:#c93c37; --faster:#1f8a4c; --new:#8a5a00; --removed:#5b5fc7; --grey:#6b7280; }
@media (prefers-color-scheme: dark) { :root { --bg:#0f1217; --surface:#171b22; --text:#e3e7ed;
  --muted:#9aa5b3; --border:#2c333d; --slower:#ff7b72; --faster:#56d364; --new:#e3b341;
  --removed:#a5a8ff; --grey:#9aa5b3; } }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1400px; padding: 16px; background: var(--bg); color: var(--text);
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; }
h1 { font-size: 20px; margin: 0 0 4px; } h2 { font-size: 16px; margin: 0 0 8px; }
section { background: var(--surface); border: 1px solid var(--border); border-radius: 6px;
  padding: 12px 16px; margin: 12px 0; overflow-x: auto; }
.muted { color: var(--muted); } .note { border-left: 4px solid var(--new); padding-left: 8px; }
dl.cards { display: flex; flex-wrap: wrap; gap: 12px; margin: 0; }
dl.cards div { min-width: 150px; } dt { color: var(--muted); font-size: 12px; } dd { margin: 0; font-size: 16px; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { padding: 3px 8px; border-bottom: 1px solid var(--border); text-align: left; white-space: nowrap; }
th { cursor: pointer; user-select: none; position: sticky; top: 0; background: var(--surface); }
th[aria-sort=ascending]::after { content: " ▲"; } th[aria-sort=descending]::after { content: " ▼"; }
td.num, th.num { text-align: right; } td.fn { font-family: ui-monospace, Menlo, Consolas, monospace; white-space: normal; word-break: break-all; }
.st-slower { color: var(--slower); } .st-faster { color: var(--faster); } .st-new { color: var(--new); }
.st-removed { color: var(--removed); } .st-unchanged, .st-insufficient, tr.grey td { color: var(--grey); }
input[type=search] { font: inherit; padding: 4px 8px; width: min(420px, 100%); margin-bottom: 8px;
  background: var(--surface); color: var(--text); border: 1px solid var(--border); border-radius: 4px; }
svg.chart text { fill: var(--text); font-size: 12px; } svg.chart .slower { fill: var(--slower); } svg.chart .faster { fill: var(--faster); }
svg.chart .new { fill: var(--new); } svg.chart .removed { fill: var(--removed); }
object.flame { width: 100%; min-height: 300px; border: 0; }
"#;

/// Sorts a table by the clicked header (numbers by `data-v`, text otherwise) and filters its
/// rows by the search box. No network, no libraries.
const SCRIPT: &str = r#"
(function () {
  var table = document.getElementById("rows"), body = table.tBodies[0];
  var rows = Array.prototype.slice.call(body.rows);
  Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, col) {
    th.tabIndex = 0;
    var sort = function () {
      var desc = th.getAttribute("aria-sort") !== "descending";
      Array.prototype.forEach.call(table.tHead.rows[0].cells, function (o) { o.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", desc ? "descending" : "ascending");
      var key = function (r) { var c = r.cells[col], v = c.getAttribute("data-v"); return v === null ? c.textContent : (v === "" ? null : parseFloat(v)); };
      rows.sort(function (a, b) {
        var x = key(a), y = key(b);
        if (x === null || y === null) return (x === null) - (y === null);
        var d = typeof x === "number" ? x - y : String(x).localeCompare(String(y));
        return desc ? -d : d;
      });
      rows.forEach(function (r) { body.appendChild(r); });
    };
    th.addEventListener("click", sort);
    th.addEventListener("keydown", function (e) { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); sort(); } });
  });
  var box = document.getElementById("filter"), shown = document.getElementById("shown");
  box.addEventListener("input", function () {
    var q = box.value.toLowerCase(), n = 0;
    rows.forEach(function (r) { var hit = r.textContent.toLowerCase().indexOf(q) >= 0; r.hidden = !hit; n += hit; });
    shown.textContent = n + " rows shown";
  });
})();
"#;

/// A `<td>` with a sort key: `data-v` holds the number (empty for a missing one).
fn num_cell(out: &mut String, text: &str, v: Option<f64>) {
    let _ = write!(
        out,
        "<td class=\"num\" data-v=\"{}\">{}</td>",
        v.filter(|x| x.is_finite())
            .map_or(String::new(), |x| x.to_string()),
        escape(text)
    );
}

/// The policy allows `data:` objects *and* frames: Chromium loads an `<object>`'s SVG as a
/// nested frame and checks `frame-src` too (without it the report showed the fallback text
/// instead of the flame graph), Firefox checks `object-src`. Nothing else may load.
fn head(out: &mut String, title: &str) {
    let _ = write!(
        out,
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; \
         style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:; object-src data:; \
         frame-src data:\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta name=\"generator\" content=\"profdiff\"><title>{}</title><style>{STYLE}</style></head><body>",
        escape(title)
    );
}

fn notes(out: &mut String, notes: &[String]) {
    for n in notes {
        let _ = write!(out, "<p class=\"note\" role=\"note\">{}</p>", escape(n));
    }
}

/// Horizontal bars of the largest changes, one per entry, scaled to the largest.
fn chart(out: &mut String, entries: &[&TopEntry]) {
    if entries.is_empty() {
        out.push_str("<p class=\"muted\">No change beyond the thresholds.</p>");
        return;
    }
    let max = entries
        .iter()
        .map(|e| e.delta.abs())
        .fold(0.0f64, f64::max)
        .max(f64::MIN_POSITIVE);
    let (w, bar, row) = (900.0, 260.0, 20.0);
    let h = row * entries.len() as f64 + 4.0;
    let _ = write!(
        out,
        "<svg class=\"chart\" viewBox=\"0 0 {w} {h}\" width=\"100%\" role=\"img\" aria-label=\"largest changes\">"
    );
    for (i, e) in entries.iter().enumerate() {
        let y = 2.0 + i as f64 * row;
        let len = (e.delta.abs() / max * bar).max(1.0);
        let _ = write!(
            out,
            "<rect class=\"{}\" x=\"0\" y=\"{y}\" width=\"{len:.1}\" height=\"{}\"><title>{}</title></rect>\
             <text x=\"{}\" y=\"{}\">{} ({}) {}</text>",
            e.status.as_str(),
            row - 4.0,
            escape(&e.display),
            bar + 8.0,
            y + row - 7.0,
            escape(&signed_secs(e.delta)),
            escape(&pct(e.pct)),
            escape(&e.display)
        );
    }
    out.push_str("</svg>");
}

fn flame(out: &mut String, svg: Option<&str>) {
    let Some(svg) = svg else { return };
    let data = base64::engine::general_purpose::STANDARD.encode(svg.as_bytes());
    let _ = write!(
        out,
        "<section><h2>Differential flame graph</h2><p class=\"muted\">Width: time; red: slower, \
         blue: faster; click a frame to zoom, Search to highlight.</p>\
         <object class=\"flame\" type=\"image/svg+xml\" data=\"data:image/svg+xml;base64,{data}\" \
         data-testid=\"report-flame\">The flame graph needs a browser that shows SVG.</object></section>"
    );
}

fn table_start(out: &mut String, headers: &[(&str, bool)], total: usize) {
    let _ = write!(
        out,
        "<section><h2>Functions</h2><input type=\"search\" id=\"filter\" placeholder=\"Filter rows\" aria-label=\"Filter rows\"> \
         <span class=\"muted\" id=\"shown\">{} rows shown</span>",
        total.min(MAX_ROWS)
    );
    if total > MAX_ROWS {
        let _ = write!(
            out,
            "<p class=\"muted\">The {MAX_ROWS} largest changes of {total} rows; the CSV and JSON exports hold every row.</p>"
        );
    }
    out.push_str("<table id=\"rows\"><thead><tr>");
    for (h, numeric) in headers {
        let _ = write!(
            out,
            "<th scope=\"col\"{}>{}</th>",
            if *numeric { " class=\"num\"" } else { "" },
            escape(h)
        );
    }
    out.push_str("</tr></thead><tbody>");
}

fn end(out: &mut String) {
    let _ = writeln!(
        out,
        "</tbody></table></section><script>{SCRIPT}</script></body></html>"
    );
}

/// A two-way comparison: summary, chart of the largest changes, the differential flame
/// graph (`flame_svg`, when given) and the sortable table.
pub fn two_way(c: &Comparison, names: &Names, flame_svg: Option<&str>) -> String {
    let s = &c.summary;
    let mut out = String::with_capacity(4096 + c.rows.len().min(MAX_ROWS) * 400);
    let title = format!("profdiff: {} → {}", names.baseline, names.candidate);
    head(&mut out, &title);
    let _ = write!(
        out,
        "<h1>{}</h1><p class=\"muted\">metric {} ({}), a change counts from {} ms and {}%</p>",
        escape(&title),
        s.metric.as_str(),
        if s.normalized {
            "normalised"
        } else {
            "absolute"
        },
        s.min_ms,
        s.min_pct
    );
    notes(&mut out, &s.notes);
    let k = &s.counts;
    let _ = write!(
        out,
        "<section><dl class=\"cards\" data-testid=\"report-summary\">\
         <div><dt>Total time</dt><dd>{} → {}</dd><dd class=\"muted\">{} ({})</dd></div>\
         <div><dt>Slower</dt><dd class=\"st-slower\">{}</dd></div><div><dt>Faster</dt><dd class=\"st-faster\">{}</dd></div>\
         <div><dt>New / removed</dt><dd>{} / {}</dd></div><div><dt>Unchanged</dt><dd>{}</dd></div>\
         <div><dt>Functions</dt><dd>{} → {}</dd></div></dl></section>",
        escape(&human_secs(s.baseline.total_time)),
        escape(&human_secs(s.candidate.total_time)),
        escape(&signed_secs(s.delta_time)),
        escape(&pct(s.delta_pct)),
        k.slower,
        k.faster,
        k.new,
        k.removed,
        k.unchanged,
        s.baseline.functions,
        s.candidate.functions
    );
    out.push_str("<section><h2>Largest changes</h2>");
    let entries: Vec<&TopEntry> = s
        .top_regressions
        .iter()
        .chain(&s.top_improvements)
        .collect();
    chart(&mut out, &entries);
    out.push_str("</section>");
    flame(&mut out, flame_svg);
    let headers = [
        ("status", false),
        ("function", false),
        ("A tottime", true),
        ("B tottime", true),
        ("Δ tottime", true),
        ("A cumtime", true),
        ("B cumtime", true),
        ("Δ cumtime", true),
        ("Δ%", true),
        ("ratio", true),
        ("A calls", true),
        ("B calls", true),
    ];
    table_start(&mut out, &headers, c.rows.len());
    for r in c.rows.iter().take(MAX_ROWS) {
        two_way_row(&mut out, r, s.metric);
    }
    end(&mut out);
    out
}

fn two_way_row(out: &mut String, r: &Row, metric: Metric) {
    let st = r.status.as_str();
    let _ = write!(
        out,
        "<tr class=\"{}\"><td class=\"st-{st}\">{st}</td><td class=\"fn\">{}</td>",
        if r.status == Status::Unchanged {
            "grey"
        } else {
            ""
        },
        escape(&r.display)
    );
    let side = |s: &Option<super::SideStats>, f: fn(&super::SideStats) -> f64| s.as_ref().map(f);
    let secs = |v: Option<f64>| v.map_or("—".to_string(), human_secs);
    for (a, b, d) in [
        (
            side(&r.baseline, |s| s.tottime),
            side(&r.candidate, |s| s.tottime),
            r.delta.tottime,
        ),
        (
            side(&r.baseline, |s| s.cumtime),
            side(&r.candidate, |s| s.cumtime),
            r.delta.cumtime,
        ),
    ] {
        num_cell(out, &secs(a), a);
        num_cell(out, &secs(b), b);
        num_cell(out, &signed_secs(d), Some(d));
    }
    num_cell(out, &pct(r.delta.pct), r.delta.pct);
    let ratio = match metric {
        Metric::Tottime => r.ratio.tottime,
        Metric::Cumtime => r.ratio.cumtime,
    };
    num_cell(
        out,
        &ratio.map_or("—".into(), |x| format!("{x:.2}×")),
        ratio,
    );
    let calls = |s: &Option<super::SideStats>| s.as_ref().and_then(|s| s.ncalls);
    for n in [calls(&r.baseline), calls(&r.candidate)] {
        num_cell(
            out,
            &n.map_or("—".into(), |n| n.to_string()),
            n.map(|n| n as f64),
        );
    }
    out.push_str("</tr>");
}

/// A runs comparison: summary with the test, and the table with intervals and verdicts
/// (what the statistics do not back is grey).
pub fn runs(c: &RunsComparison, names: &Names) -> String {
    let s = &c.summary;
    let t = &s.test;
    let mut out = String::with_capacity(4096 + c.rows.len().min(MAX_ROWS) * 400);
    let title = format!(
        "profdiff runs: {} ({}) → {} ({})",
        names.baseline, s.baseline_runs, names.candidate, s.candidate_runs
    );
    head(&mut out, &title);
    let _ = write!(
        out,
        "<h1>{}</h1><p class=\"muted\">metric {}; Mann–Whitney U per function, Benjamini–Hochberg over {} functions, α {}</p>",
        escape(&title),
        s.metric.as_str(),
        t.tests,
        t.alpha
    );
    notes(&mut out, &s.notes);
    if !c.can_reach_alpha() {
        let _ = write!(
            out,
            "<p class=\"note\" role=\"alert\">{} vs {} runs cannot reach α {} (the smallest possible p is {}): changes beyond the thresholds are insufficient.</p>",
            s.baseline_runs,
            s.candidate_runs,
            t.alpha,
            p_text(t.smallest_p)
        );
    }
    let k = &s.counts;
    let _ = write!(
        out,
        "<section><dl class=\"cards\" data-testid=\"report-summary\">\
         <div><dt>Median total</dt><dd>{} → {}</dd><dd class=\"muted\">{} ({}) · p {}</dd></div>\
         <div><dt>Slower</dt><dd class=\"st-slower\">{}</dd></div><div><dt>Faster</dt><dd class=\"st-faster\">{}</dd></div>\
         <div><dt>Within noise</dt><dd>{}</dd></div><div><dt>Insufficient</dt><dd>{}</dd></div>\
         <div><dt>New / removed</dt><dd>{} / {}</dd></div></dl></section>",
        escape(&human_secs(s.baseline_totals.median)),
        escape(&human_secs(s.candidate_totals.median)),
        escape(&signed_secs(s.delta_time)),
        escape(&pct(s.delta_pct)),
        p_text(t.totals_p_value),
        k.slower,
        k.faster,
        s.within_noise,
        k.insufficient,
        k.new,
        k.removed
    );
    let headers = [
        ("status", false),
        ("verdict", false),
        ("function", false),
        ("q", true),
        ("ratio [95% CI]", true),
        ("A median", true),
        ("B median", true),
        ("Δ", true),
        ("Δ%", true),
    ];
    table_start(&mut out, &headers, c.rows.len());
    for r in c.rows.iter().take(MAX_ROWS) {
        let st = r.status.as_str();
        let grey = !matches!(r.status, Status::Slower | Status::Faster);
        let _ = write!(
            out,
            "<tr class=\"{}\"><td class=\"st-{st}\">{st}</td><td>{}</td><td class=\"fn\">{}</td>",
            if grey { "grey" } else { "" },
            verdict(r),
            escape(&r.display)
        );
        num_cell(&mut out, &p_text(r.q_value), Some(r.q_value));
        let ratio = (r.baseline.median > 0.0).then(|| r.candidate.median / r.baseline.median);
        num_cell(&mut out, &ratio_with_ci(r), ratio);
        num_cell(
            &mut out,
            &human_secs(r.baseline.median),
            Some(r.baseline.median),
        );
        num_cell(
            &mut out,
            &human_secs(r.candidate.median),
            Some(r.candidate.median),
        );
        num_cell(&mut out, &signed_secs(r.delta), Some(r.delta));
        num_cell(&mut out, &pct(r.pct), r.pct);
        out.push_str("</tr>");
    }
    end(&mut out);
    out
}

/// A matrix of K profiles: each function's time in each, first to last.
pub fn matrix(m: &Matrix) -> String {
    let mut out = String::with_capacity(4096 + m.rows.len().min(MAX_ROWS) * 300);
    let title = format!("profdiff matrix of {} profiles", m.profiles.len());
    head(&mut out, &title);
    let _ = write!(
        out,
        "<h1>{}</h1><p class=\"muted\">metric {}</p>",
        escape(&title),
        m.metric.as_str()
    );
    notes(&mut out, &m.notes);
    out.push_str("<section><ol>");
    for (name, total) in m.profiles.iter().zip(&m.totals) {
        let _ = write!(
            out,
            "<li>{} (total {})</li>",
            escape(name),
            escape(&human_secs(*total))
        );
    }
    out.push_str("</ol></section>");
    let numbered: Vec<String> = (1..=m.profiles.len()).map(|i| format!("#{i}")).collect();
    let mut headers: Vec<(&str, bool)> = vec![("function", false), ("Δ", true), ("Δ%", true)];
    headers.extend(numbered.iter().map(|h| (h.as_str(), true)));
    table_start(&mut out, &headers, m.rows.len());
    for r in m.rows.iter().take(MAX_ROWS) {
        let _ = write!(out, "<tr><td class=\"fn\">{}</td>", escape(&r.display));
        num_cell(&mut out, &signed_secs(r.delta), Some(r.delta));
        num_cell(&mut out, &pct(r.pct), r.pct);
        for v in &r.values {
            num_cell(&mut out, &v.map_or("—".into(), human_secs), *v);
        }
        out.push_str("</tr>");
    }
    end(&mut out);
    out
}
