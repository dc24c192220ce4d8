//! A flame graph as one self-contained SVG file, in flamegraph.pl's structure: a `<g>` per
//! frame holding a `<title>` (name, `file:line`, numbers) and a `<rect>` with its `fill`,
//! then the frame's `<text>`; an inline script gives click-to-zoom and search, so the file
//! works opened on its own in a browser, and tools that read flamegraph.pl's SVGs read it.

use std::fmt::Write;

use super::compare::Status;
use super::flame::{Change, ChangeBy, FlameNode, FlameTree, OTHER, ROOT, Unit};

/// Width of a node on a two-sided tree.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SizeBy {
    /// The larger of the two sides (a node never hides the other side's time).
    Larger,
    /// The candidate's time, as flamegraph.pl's differential graphs.
    Candidate,
}

/// Colours for differential graphs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Palette {
    /// Red slower, blue faster, purple new, green removed.
    Classic,
    /// Okabe–Ito: vermillion slower, blue faster, reddish purple new, bluish green removed.
    ColorBlind,
}

#[derive(Clone, Debug)]
pub struct SvgOptions {
    pub title: String,
    pub width: f64,
    /// Icicle (root on top) rather than flame (root at the bottom).
    pub icicle: bool,
    pub size_by: SizeBy,
    pub palette: Palette,
    /// How changes are judged (two-sided trees).
    pub change: Option<ChangeBy>,
}

const ROW: f64 = 16.0;
const PAD: f64 = 10.0;
const TOP: f64 = 52.0;
const BOTTOM: f64 = 28.0;
/// Narrower than this (pixels) is not drawn, as flamegraph.pl's `--minwidth` default.
const MIN_WIDTH: f64 = 0.1;

/// Each node's width measure, so that children always fit in their parent.
pub fn sizes(tree: &FlameTree, size_by: SizeBy) -> Vec<f64> {
    let mut size: Vec<f64> = tree
        .nodes
        .iter()
        .map(|n| match (tree.sides, size_by) {
            (1, _) => n.value[0],
            (_, SizeBy::Candidate) => n.value[1],
            (_, SizeBy::Larger) => n.value[0].max(n.value[1]),
        })
        .collect();
    // Pre-order: children come after their parent, so walk backwards.
    for i in (0..tree.nodes.len()).rev() {
        let sum: f64 = tree.nodes[i]
            .children
            .iter()
            .map(|&c| size[c as usize])
            .sum();
        if sum > size[i] {
            size[i] = sum;
        }
    }
    size
}

/// Each node's start and width as fractions of the root.
pub fn layout(tree: &FlameTree, size: &[f64]) -> Vec<(f64, f64)> {
    let total = size.first().copied().unwrap_or(0.0);
    let mut out = vec![(0.0, 0.0); tree.nodes.len()];
    if total <= 0.0 {
        return out;
    }
    out[0] = (0.0, 1.0);
    for (i, n) in tree.nodes.iter().enumerate() {
        let mut x = out[i].0;
        for &c in &n.children {
            let w = size[c as usize] / total;
            out[c as usize] = (x, w);
            x += w;
        }
    }
    out
}

pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Not allowed in XML 1.0 at all.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

/// A number in the tree's unit: `1.23 s`, `45.6 ms`, `120 samples`.
pub fn amount(v: f64, unit: Unit) -> String {
    match unit {
        Unit::Samples => format!("{} samples", v.round() as i64),
        Unit::Seconds => {
            let a = v.abs();
            if a >= 1.0 {
                format!("{v:.3} s")
            } else if a >= 1e-3 {
                format!("{:.3} ms", v * 1e3)
            } else {
                format!("{:.1} µs", v * 1e6)
            }
        }
    }
}

/// The hover text: label, then the numbers.
pub fn describe(tree: &FlameTree, node: &FlameNode) -> String {
    let u = tree.unit;
    let t = tree.totals();
    let pct = |v: f64, t: f64| if t > 0.0 { v / t * 100.0 } else { 0.0 };
    let mut s = tree.label(node);
    if tree.sides < 2 {
        let _ = write!(
            s,
            "\n{} ({:.2}%), own {}",
            amount(node.value[0], u),
            pct(node.value[0], t[0]),
            amount(node.self_value[0], u)
        );
    } else {
        let [a, b] = node.value;
        let _ = write!(
            s,
            "\nA {} ({:.2}%) → B {} ({:.2}%)\nΔ {}{}",
            amount(a, u),
            pct(a, t[0]),
            amount(b, u),
            pct(b, t[1]),
            if b >= a { "+" } else { "−" },
            amount((b - a).abs(), u)
        );
        if a > 0.0 {
            let _ = write!(s, " ({:+.1}%)", (b - a) / a * 100.0);
        }
        let _ = write!(
            s,
            "\nown: A {} → B {}",
            amount(node.self_value[0], u),
            amount(node.self_value[1], u)
        );
    }
    if !node.exact {
        s.push_str("\nestimated: pstats keeps caller→callee totals, not paths");
    }
    s
}

/// A warm colour per name, stable across files (flamegraph.pl's "hot" palette).
pub fn hot(name: &str) -> String {
    // FNV-1a: the same name gets the same colour in every graph.
    let mut h: u32 = 0x811c9dc5;
    for b in name.bytes() {
        h = (h ^ b as u32).wrapping_mul(0x01000193);
    }
    let r = (h & 0xff) as f64 / 255.0;
    let g = ((h >> 8) & 0xff) as f64 / 255.0;
    let b = ((h >> 16) & 0xff) as f64 / 255.0;
    format!(
        "rgb({},{},{})",
        (205.0 + 50.0 * r) as u8,
        (230.0 * g) as u8,
        (55.0 * b) as u8
    )
}

/// The fill for a change.
pub fn fill(change: Change, palette: Palette) -> String {
    let mix = |rgb: (f64, f64, f64), t: f64| {
        // From near white (small change) to the full colour (the largest).
        let t = 0.2 + 0.8 * t;
        let c = |x: f64| (255.0 - (255.0 - x) * t).round() as u8;
        format!("rgb({},{},{})", c(rgb.0), c(rgb.1), c(rgb.2))
    };
    let (slower, faster, new, removed) = match palette {
        Palette::Classic => (
            (220.0, 30.0, 30.0),
            (40.0, 90.0, 220.0),
            "rgb(170,60,200)",
            "rgb(60,160,80)",
        ),
        Palette::ColorBlind => (
            (213.0, 94.0, 0.0),
            (0.0, 114.0, 178.0),
            "rgb(204,121,167)",
            "rgb(0,158,115)",
        ),
    };
    match change {
        Change::New => new.into(),
        Change::Removed => removed.into(),
        Change::Changed {
            status: Status::Slower,
            intensity,
        } => mix(slower, intensity),
        Change::Changed { intensity, .. } => mix(faster, intensity),
        Change::Unchanged => "rgb(215,215,215)".into(),
    }
}

/// The differential flame graph of `a` and `b` as a report embeds it: icicle, width by the
/// larger side, coloured by the comparison's options.
pub fn differential(
    a: &crate::engine::Profile,
    b: &crate::engine::Profile,
    options: &crate::engine::compare::Options,
    title: &str,
) -> String {
    let tree =
        crate::engine::flame::tree_of_two(a, b, options, &crate::engine::flame::Limits::default());
    svg(
        &tree,
        &SvgOptions {
            title: if tree.exact {
                title.to_string()
            } else {
                format!("{title} (estimated from pstats edges)")
            },
            width: 1200.0,
            icicle: true,
            size_by: SizeBy::Larger,
            palette: Palette::Classic,
            change: Some(ChangeBy {
                options: *options,
                share: false,
            }),
        },
    )
}

/// The whole SVG document.
pub fn svg(tree: &FlameTree, o: &SvgOptions) -> String {
    let size = sizes(tree, o.size_by);
    let pos = layout(tree, &size);
    let changes = o
        .change
        .as_ref()
        .map(|by| tree.changes(by))
        .filter(|_| tree.sides == 2);
    let depth = tree.nodes.iter().map(|n| n.depth).max().unwrap_or(0) as f64 + 1.0;
    let inner = o.width - 2.0 * PAD;
    let height = TOP + depth * ROW + BOTTOM;
    let mut s = String::with_capacity(tree.nodes.len() * 200 + 8192);
    let _ = write!(
        s,
        r##"<?xml version="1.0" standalone="no"?>
<svg version="1.1" width="{w}" height="{height}" viewBox="0 0 {w} {height}" xmlns="http://www.w3.org/2000/svg" data-icicle="{icicle}" data-inner="{inner}" data-pad="{PAD}">
<style>
text {{ font-family: Verdana, sans-serif; font-size: 12px; fill: #000; }}
#title {{ font-size: 17px; text-anchor: middle; }}
.f text {{ pointer-events: none; }}
.f:hover rect {{ stroke: #000; stroke-width: 0.5; }}
.parent {{ opacity: 0.5; }}
#search, #reset {{ cursor: pointer; fill: #555; }}
</style>
<rect x="0" y="0" width="{w}" height="{height}" fill="#f8f8f8"/>
<text id="title" x="{mid}" y="24">{title}</text>
<text id="reset" x="{PAD}" y="42" visibility="hidden">Reset zoom</text>
<text id="search" x="{sx}" y="42">Search</text>
<text id="matched" x="{mx}" y="{my}" text-anchor="end"></text>
<text id="details" x="{PAD}" y="{my}"> </text>
"##,
        w = o.width,
        icicle = o.icicle,
        mid = o.width / 2.0,
        title = escape(&o.title),
        sx = o.width - PAD - 60.0,
        my = height - 10.0,
        mx = o.width - PAD,
    );
    s.push_str("<g id=\"frames\">\n");
    for (i, n) in tree.nodes.iter().enumerate() {
        let (fx, fw) = pos[i];
        let width = fw * inner;
        if width < MIN_WIDTH {
            continue;
        }
        let x = PAD + fx * inner;
        let y = if o.icicle {
            TOP + n.depth as f64 * ROW
        } else {
            TOP + (depth - 1.0 - n.depth as f64) * ROW
        };
        let label = tree.label(n);
        let colour = match (&changes, n.frame) {
            (_, ROOT) => "rgb(200,200,200)".to_string(),
            (Some(c), _) => fill(c[i], o.palette),
            (None, OTHER) => "rgb(190,190,190)".to_string(),
            (None, _) => hot(&label),
        };
        let text = fit(&label, width);
        let _ = writeln!(
            s,
            r#"<g class="f" data-x="{fx}" data-w="{fw}" data-d="{d}" data-n="{name}"><title>{title}</title><rect x="{x:.2}" y="{y}" width="{width:.2}" height="{h}" fill="{colour}" rx="2" ry="2"/><text x="{tx:.2}" y="{ty}">{text}</text></g>"#,
            d = n.depth,
            name = escape(&label),
            title = escape(&describe(tree, n)),
            h = ROW - 1.0,
            tx = x + 3.0,
            ty = y + 11.5,
            text = escape(&text),
        );
    }
    s.push_str("</g>\n<script type=\"text/ecmascript\"><![CDATA[\n");
    s.push_str(SCRIPT);
    s.push_str("\n]]></script>\n</svg>\n");
    s
}

/// The label cut to what fits in `width` pixels (about 7 px a character), with `..`.
fn fit(label: &str, width: f64) -> String {
    let room = ((width - 6.0) / 7.0).floor();
    if room < 3.0 {
        return String::new();
    }
    let room = room as usize;
    if label.chars().count() <= room {
        return label.to_string();
    }
    let mut out: String = label.chars().take(room - 2).collect();
    out.push_str("..");
    out
}

/// Zoom (click a frame; click "Reset zoom" or the root to go back) and search (a regular
/// expression over the frames' names; matches turn magenta and the share of time they hold
/// is shown, nested matches counted once).
const SCRIPT: &str = r#"
(function () {
  var svg = document.documentElement;
  var inner = parseFloat(svg.getAttribute("data-inner"));
  var pad = parseFloat(svg.getAttribute("data-pad"));
  var frames = Array.prototype.slice.call(document.querySelectorAll("g.f"));
  var details = document.getElementById("details");
  var matched = document.getElementById("matched");
  var reset = document.getElementById("reset");
  function num(g, a) { return parseFloat(g.getAttribute(a)); }
  function fitText(g, w) {
    var t = g.querySelector("text"), name = g.getAttribute("data-n");
    var room = Math.floor((w - 6) / 7);
    t.textContent = room < 3 ? "" : (name.length <= room ? name : name.slice(0, room - 2) + "..");
  }
  function zoom(target) {
    var zx = num(target, "data-x"), zw = num(target, "data-w"), zd = num(target, "data-d");
    reset.setAttribute("visibility", zd > 0 ? "visible" : "hidden");
    frames.forEach(function (g) {
      var x = num(g, "data-x"), w = num(g, "data-w"), d = num(g, "data-d");
      var rect = g.querySelector("rect"), t = g.querySelector("text");
      var ancestor = d < zd && x <= zx + 1e-12 && x + w >= zx + zw - 1e-12;
      var nx = (x - zx) / zw, nw = w / zw;
      g.classList.remove("parent");
      if (ancestor) { nx = 0; nw = 1; g.classList.add("parent"); }
      else if (d < zd || nx + nw <= 1e-9 || nx >= 1 - 1e-9 || nw * inner < 0.1) {
        g.style.display = "none"; return;
      }
      g.style.display = "";
      rect.setAttribute("x", (pad + nx * inner).toFixed(2));
      rect.setAttribute("width", (nw * inner).toFixed(2));
      t.setAttribute("x", (pad + nx * inner + 3).toFixed(2));
      fitText(g, nw * inner);
    });
  }
  frames.forEach(function (g) {
    g.addEventListener("click", function () { zoom(g); });
    g.addEventListener("mouseover", function () {
      details.textContent = g.querySelector("title").textContent.split("\n").join(" · ");
    });
    g.addEventListener("mouseout", function () { details.textContent = " "; });
  });
  reset.addEventListener("click", function () { if (frames.length) zoom(frames[0]); });
  function search(re) {
    var spans = [], count = 0;
    frames.forEach(function (g) {
      var rect = g.querySelector("rect");
      if (!rect.hasAttribute("data-fill")) rect.setAttribute("data-fill", rect.getAttribute("fill"));
      var hit = re !== null && re.test(g.getAttribute("data-n"));
      rect.setAttribute("fill", hit ? "rgb(230,0,230)" : rect.getAttribute("data-fill"));
      if (hit) { count++; spans.push([num(g, "data-x"), num(g, "data-x") + num(g, "data-w")]); }
    });
    spans.sort(function (a, b) { return a[0] - b[0]; });
    var share = 0, end = -1;
    spans.forEach(function (s) {
      if (s[1] <= end) return;
      share += s[1] - Math.max(s[0], end); end = s[1];
    });
    matched.textContent = re === null ? "" :
      count + (count === 1 ? " frame matches" : " frames match") + " · " + (share * 100).toFixed(1) + "% of time";
  }
  document.getElementById("search").addEventListener("click", function () {
    var term = window.prompt("Search for (regular expression):", "");
    if (term === null || term === "") { search(null); return; }
    try { search(new RegExp(term)); } catch (e) { matched.textContent = "not a regular expression"; }
  });
})();
"#;
