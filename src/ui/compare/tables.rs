//! Runs mode (N baseline runs vs M candidate runs: medians, spread, significance, interval) and matrix
//! mode (K profiles in order, a sparkline per function).

use std::collections::HashSet;
use std::fmt::Write;
use std::sync::Arc;

use leptos::prelude::*;

use super::columns::{Col, Field, Side};
use super::filters::{FilterBox, StatusChips, chip_counts};
use super::state::ViewState;
use crate::engine::FunctionKey;
use crate::engine::compare::export;
use crate::engine::compare::runs::{Matrix, RunsComparison, RunsRow, Spread};
use crate::engine::compare::{Metric, Status};
use crate::engine::flame_svg::escape;
use crate::engine::stats;
use crate::ui::flame::FlameCard;
use crate::ui::fmt;
use crate::ui::order;
use crate::ui::widgets::TextFilter;
use crate::ui::widgets::{Pager, SortHeader};

/// A tiny line of `values` (gaps where a profile lacks the function), as SVG markup.
fn sparkline_svg(out: &mut String, values: &[Option<f64>]) {
    let (w, h) = (120.0, 24.0);
    let max = values
        .iter()
        .flatten()
        .copied()
        .fold(0.0f64, f64::max)
        .max(f64::MIN_POSITIVE);
    let n = values.len().max(2) - 1;
    let pts: Vec<(f64, f64)> = values
        .iter()
        .enumerate()
        .filter_map(|(i, v)| {
            v.map(|v| {
                (
                    2.0 + i as f64 * (w - 4.0) / n as f64,
                    h - 2.0 - v / max * (h - 4.0),
                )
            })
        })
        .collect();
    let line = pts
        .iter()
        .map(|(x, y)| format!("{x:.1},{y:.1}"))
        .collect::<Vec<_>>()
        .join(" ");
    let title = escape(
        &values
            .iter()
            .map(|v| v.map(fmt::secs).unwrap_or_else(|| "—".into()))
            .collect::<Vec<_>>()
            .join(" → "),
    );
    let _ = write!(
        out,
        "<svg class=\"spark\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" role=\"img\" \
         aria-label=\"{title}\"><title>{title}</title><polyline points=\"{line}\" fill=\"none\"></polyline>"
    );
    for (x, y) in pts {
        let _ = write!(out, "<circle cx=\"{x}\" cy=\"{y}\" r=\"1.8\"></circle>");
    }
    out.push_str("</svg>");
}

/// A matrix page's rows (`idx`: positions in `m.rows`, in display order) as markup, as
/// [`runs_page_html`] does for runs. Every text is escaped.
fn matrix_page_html(m: &Matrix, idx: &[usize]) -> String {
    let mut out = String::with_capacity(idx.len() * (1024 + 64 * m.profiles.len()));
    for &i in idx {
        let r = &m.rows[i];
        let _ = write!(
            out,
            "<tr data-testid=\"matrix-row\"><td class=\"fn\">{}</td>",
            escape(&r.display)
        );
        for v in &r.values {
            let text = v.map(fmt::secs).unwrap_or_else(|| "—".into());
            let _ = write!(out, "<td class=\"num\">{text}</td>");
        }
        out.push_str("<td>");
        sparkline_svg(&mut out, &r.values);
        let class = if r.delta > 0.0 {
            "num worse"
        } else if r.delta < 0.0 {
            "num better"
        } else {
            "num"
        };
        let _ = write!(
            out,
            "</td><td class=\"{class}\">{}</td><td class=\"num\">{}</td></tr>",
            fmt::signed_secs(r.delta),
            fmt::pct(r.pct)
        );
    }
    out
}

/// Each run of both sides as a dot on one axis: overlap means noise.
fn strip_svg(out: &mut String, a: &Spread, b: &Spread) {
    let (w, h) = (120.0, 18.0);
    let max = a
        .runs
        .iter()
        .chain(&b.runs)
        .copied()
        .fold(0.0f64, f64::max)
        .max(f64::MIN_POSITIVE);
    let x = move |v: f64| 3.0 + v / max * (w - 6.0);
    let _ = write!(
        out,
        "<svg class=\"strip\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" aria-hidden=\"true\">"
    );
    for (runs, y, class) in [(&a.runs, 5.0, "run-a"), (&b.runs, 13.0, "run-b")] {
        for &v in runs {
            let _ = write!(
                out,
                "<circle cx=\"{}\" cy=\"{y}\" r=\"2.5\" class=\"{class}\"></circle>",
                x(v)
            );
        }
    }
    out.push_str("</svg>");
}

/// The columns the runs and matrix tables sort by: the function, each side's value (the
/// chosen metric's median for runs, the first and last profile's for a matrix), the change
/// and the relative change. In the URL they are the diff table's columns of the same
/// meaning.
#[derive(Clone, Copy, PartialEq, Eq)]
enum By {
    Function,
    A,
    B,
    Delta,
    Pct,
}

impl By {
    /// The view's sort, as one of these (the change, when it is none of them).
    fn of(v: &ViewState) -> By {
        match v.sort {
            Some(Col::Function) => By::Function,
            Some(Col::Side(Side::A, _)) => By::A,
            Some(Col::Side(Side::B, _)) => By::B,
            Some(Col::DeltaPct) => By::Pct,
            _ => By::Delta,
        }
    }

    fn col(self, v: &ViewState) -> Col {
        let field = match v.req.metric {
            Metric::Tottime => Field::Tottime,
            Metric::Cumtime => Field::Cumtime,
        };
        match self {
            By::Function => Col::Function,
            By::A => Col::Side(Side::A, field),
            By::B => Col::Side(Side::B, field),
            By::Delta => Col::delta_of(v.req.metric),
            By::Pct => Col::DeltaPct,
        }
    }
}

fn sort_header(
    by: By,
    label: &'static str,
    view_state: Memo<ViewState>,
    apply: Callback<ViewState>,
) -> impl IntoView {
    let current = move || view_state.with(By::of);
    view! {
        <SortHeader
            label
            numeric=by != By::Function
            active=Signal::derive(move || current() == by)
            descending=Signal::derive(move || (by == By::Function) == view_state.with(|v| v.reverse))
            on_sort=Callback::new(move |_| {
                let mut v = view_state.get_untracked();
                if current() == by { v.reverse = !v.reverse } else { v.sort = Some(by.col(&v)); v.reverse = false }
                v.page = 0;
                apply.run(v);
            })
        />
    }
}

/// Sorts `idx` by the view's sort.
fn sort_idx(
    idx: &mut [usize],
    v: &ViewState,
    num: impl Fn(usize, By) -> Option<f64>,
    name: impl Fn(usize) -> String,
) {
    let by = By::of(v);
    let all = 0..idx.iter().max().map_or(0, |m| m + 1);
    if by == By::Function {
        let names: Vec<String> = all.map(name).collect();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        order::by_text(idx, &names, v.reverse);
    } else {
        let keys: Vec<Option<f64>> = all.map(|i| num(i, by)).collect();
        order::by_number(idx, &keys, false, v.reverse);
    }
}

/// The positions page `page` of `per` rows shows, out of a table's `order` (empty past
/// the end).
pub fn page_slice(order: &[usize], page: usize, per: usize) -> &[usize] {
    let start = page.saturating_mul(per).min(order.len());
    &order[start..start.saturating_add(per).min(order.len())]
}

/// A comparison table's pager: page and page size live in the view state (the URL).
pub fn pager(
    view_state: Memo<ViewState>,
    apply: Callback<ViewState>,
    total: Signal<usize>,
) -> impl IntoView {
    view! {
        <Pager
            page=Signal::derive(move || view_state.with(|v| v.page))
            set_page=Callback::new(move |p| { let mut v = view_state.get_untracked(); v.page = p; apply.run(v); })
            total
            size=Signal::derive(move || view_state.with(|v| v.per))
            set_size=Callback::new(move |per: usize| {
                // The page that holds the first row shown so far.
                let mut v = view_state.get_untracked();
                v.page = v.page.saturating_mul(v.per) / per;
                v.per = per;
                apply.run(v);
            })
        />
    }
}

/// A comparison's caveats (sampled against traced, differing intervals), one note each.
#[component]
pub fn Notes(notes: Vec<String>) -> impl IntoView {
    notes
        .into_iter()
        .map(|n| view! { <p class="compare-note" role="note" data-testid="compare-note">{n}</p> })
        .collect_view()
}

fn spread_cell(s: &Spread) -> String {
    format!("{} – {}", fmt::secs(s.min), fmt::secs(s.max))
}

/// Whether a runs row is greyed: nothing the statistics back (unchanged, within noise,
/// insufficient, and new or removed functions whose q-value is not below alpha — one that
/// shows up in one run of eight).
fn greyed(r: &RunsRow, alpha: f64) -> bool {
    match r.status {
        Status::Slower | Status::Faster => false,
        Status::New | Status::Removed => r.q_value >= alpha,
        Status::Unchanged | Status::Insufficient => true,
    }
}

/// The ratio of medians and its 95% interval on a log axis from ¼× to 4×, a tick at 1×:
/// an interval clear of the tick is a change the runs agree on.
fn interval_svg(out: &mut String, r: &RunsRow) {
    let (w, h) = (120.0, 18.0);
    let x = move |ratio: f64| {
        let l = if ratio > 0.0 { ratio.log2() } else { -2.0 };
        4.0 + (l.clamp(-2.0, 2.0) + 2.0) / 4.0 * (w - 8.0)
    };
    let observed = (r.baseline.median > 0.0).then(|| r.candidate.median / r.baseline.median);
    let class = match r.status {
        Status::Slower => "ci ci-slower",
        Status::Faster => "ci ci-faster",
        _ => "ci ci-grey",
    };
    let title = escape(&export::ratio_with_ci(r));
    let _ = write!(
        out,
        "<svg class=\"{class}\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" role=\"img\" \
         aria-label=\"ratio {title}\"><title>candidate / baseline median: {title}</title>\
         <line class=\"ci-one\" x1=\"{one}\" x2=\"{one}\" y1=\"2\" y2=\"{}\"></line>",
        h - 2.0,
        one = x(1.0),
    );
    if let Some([lo, hi]) = r.ratio_ci {
        let _ = write!(
            out,
            "<line class=\"ci-bar\" x1=\"{}\" x2=\"{}\" y1=\"{y}\" y2=\"{y}\"></line>",
            x(lo),
            x(hi),
            y = h / 2.0
        );
    }
    if let Some(o) = observed {
        let _ = write!(
            out,
            "<circle class=\"ci-dot\" cx=\"{}\" cy=\"{}\" r=\"3\"></circle>",
            x(o),
            h / 2.0
        );
    }
    out.push_str("</svg>");
}

/// A runs page's rows (`idx`: positions in `c.rows`, in display order) as markup for the
/// table body — for the reason the diff table's `page_html` gives: views per cell and per
/// plotted run cost more in calls across the wasm boundary than the browser's parser takes
/// for the same markup. Every text is escaped.
fn runs_page_html(c: &RunsComparison, idx: &[usize], alpha: f64) -> String {
    let mut out = String::with_capacity(idx.len() * 3072);
    for &i in idx {
        let r = &c.rows[i];
        let status = r.status.as_str();
        let verdict = export::verdict(r);
        let (p, q) = (export::p_text(r.p_value), export::p_text(r.q_value));
        let _ = write!(
            out,
            "<tr class=\"row-{status}{}\" data-testid=\"runs-row\" data-status=\"{status}\" \
             data-verdict=\"{verdict}\"><td class=\"fn\">{}</td>\
             <td><span class=\"chip chip-{status}\">{status}</span></td><td>",
            if greyed(r, alpha) {
                " not-significant"
            } else {
                ""
            },
            escape(&r.display),
        );
        if !verdict.is_empty() {
            let _ = write!(
                out,
                "<span class=\"chip chip-verdict-{}\" title=\"p {p} · q {q}\">{verdict}</span>",
                verdict.replace(' ', "-")
            );
        }
        let _ = write!(
            out,
            "</td><td class=\"num\" title=\"p {p}\">{q}</td>\
             <td class=\"num\" data-testid=\"ratio-ci\">{}</td><td>",
            escape(&export::ratio_with_ci(r))
        );
        interval_svg(&mut out, r);
        let _ = write!(
            out,
            "</td><td class=\"num\">{}</td><td class=\"num muted\">{}</td>\
             <td class=\"num\">{}</td><td class=\"num muted\">{}</td>\
             <td class=\"num\">{}</td><td class=\"num\">{}</td><td>",
            fmt::secs(r.baseline.median),
            spread_cell(&r.baseline),
            fmt::secs(r.candidate.median),
            spread_cell(&r.candidate),
            fmt::signed_secs(r.delta),
            fmt::pct(r.pct),
        );
        strip_svg(&mut out, &r.baseline, &r.candidate);
        out.push_str("</td></tr>");
    }
    out
}

/// *Merge runs*, then compare merged against merged: each side with two or more runs
/// becomes one profile (pstats' add; samples summed), and the two-way comparison opens
/// with its flame graph and edges.
#[component]
fn CompareMerged(view_state: Memo<ViewState>) -> impl IntoView {
    use crate::model::ProfileId;
    use crate::ui::profiles::list::merge_runs;
    use crate::ui::session::SessionCtx;
    let ctx = SessionCtx::use_ctx();
    let navigate = leptos_router::hooks::use_navigate();
    let error = RwSignal::new(None::<String>);
    let merging = Action::new_local(move |_: &()| {
        let (a, b) = view_state.with_untracked(|v| (v.req.a.clone(), v.req.b.clone()));
        let session = ctx.id.get_untracked();
        async move {
            let session = session.ok_or_else(|| "no session yet".to_string())?;
            let one = |ids: Vec<ProfileId>| async move {
                if ids.len() == 1 {
                    return Ok(ids[0]);
                }
                merge_runs(session, ids, None)
                    .await
                    .map(|p| p.id)
                    .map_err(|e| ctx.error(e))
            };
            let ma = one(a).await?;
            let mb = one(b).await?;
            Ok::<_, String>((ma, mb))
        }
    });
    Effect::new(move |_| {
        let Some(result) = merging.value().get() else {
            return;
        };
        ctx.refresh();
        match result {
            Ok((a, b)) => {
                error.set(None);
                navigate(
                    &format!("/compare?mode=two&a={a}&b={b}"),
                    Default::default(),
                );
            }
            Err(e) => error.set(Some(format!("Cannot merge: {e}"))),
        }
    });
    view! {
        <button
            type="button"
            class="btn"
            data-testid="compare-merged"
            title="merge each side's runs into one profile (pstats' add; samples summed) and compare the two"
            disabled=move || merging.pending().get()
            on:click=move |_| { merging.dispatch(()); }
        >
            {move || if merging.pending().get() { "Merging…" } else { "Compare merged A vs merged B" }}
        </button>
        {move || error.get().map(|m| view! { <p class="error" role="alert" data-testid="merge-error">{m}</p> })}
    }
}

#[component]
pub fn RunsView(
    c: Arc<RunsComparison>,
    view_state: Memo<ViewState>,
    apply: Callback<ViewState>,
) -> impl IntoView {
    let s = c.summary.clone();
    let c2 = c.clone();
    let order_key = Memo::new(move |_| view_state.with(ViewState::order_key));
    let order = Memo::new(move |_| {
        order_key.with(|_| ());
        view_state.with_untracked(|v| {
            let filter = TextFilter::new(&v.filter, false).ok();
            let mut idx: Vec<usize> = (0..c2.rows.len())
                .filter(|&i| {
                    let r = &c2.rows[i];
                    // Rows within noise have their own chip: they are what the test set aside.
                    (if r.within_noise {
                        v.noise
                    } else {
                        v.statuses.contains(&r.status)
                    }) && filter.as_ref().is_none_or(|f| f.matches(&r.display))
                })
                .collect();
            sort_idx(
                &mut idx,
                v,
                |i, col| {
                    let r = &c2.rows[i];
                    match col {
                        By::Pct => r.pct,
                        By::A => Some(r.baseline.median),
                        By::B => Some(r.candidate.median),
                        _ => Some(r.delta),
                    }
                },
                |i| c2.rows[i].display.clone(),
            );
            idx
        })
    });
    let mut chip_totals = s.counts.clone();
    chip_totals.unchanged -= s.within_noise;
    let counts = chip_counts(&chip_totals);
    let rows = c.clone();
    // What the page's markup depends on besides the order: a memo, so a flame-graph zoom or
    // search (also view state) does not rebuild it.
    let window = Memo::new(move |_| view_state.with(|v| (v.page, v.per)));
    let t = s.test.clone();
    let reachable = c.can_reach_alpha();
    let needed = (2..=20)
        .find(|&n| stats::smallest_p(n, n) <= t.alpha)
        .unwrap_or(20);
    let noise_on = move || view_state.with(|v| v.noise);
    let alpha = t.alpha;
    // The flame graph greys every frame whose function the statistics do not back.
    let significant_keys: Arc<HashSet<FunctionKey>> = Arc::new(
        c.rows
            .iter()
            .filter(|r| !greyed(r, alpha))
            .map(|r| FunctionKey::new(&r.function.file, r.function.line, &r.function.name))
            .collect(),
    );
    let zoom_to = Callback::new(move |node: u32| {
        let mut v = view_state.get_untracked();
        v.flame_zoom = node;
        apply.run(v);
    });
    view! {
        <section class="card">
            <Notes notes=s.notes.clone()/>
            {(!reachable).then(|| view! {
                <p class="compare-note warn" role="alert" data-testid="runs-insufficient">
                    {format!(
                        "{} vs {} runs cannot reach α = {} (the smallest possible p is {}): changes beyond the thresholds are marked insufficient, not slower or faster. Record at least {needed} runs a side.",
                        s.baseline_runs, s.candidate_runs, t.alpha, export::p_text(t.smallest_p)
                    )}
                </p>
            })}
            <dl class="cards" data-testid="summary-cards">
                <div class="stat"><dt>"Runs"</dt><dd>{format!("{} vs {}", s.baseline_runs, s.candidate_runs)}</dd><dd class="detail">{format!("metric {}", s.metric.as_str())}</dd></div>
                <div class=format!("stat {}", if t.totals_p_value >= t.alpha { "" } else if s.delta_time > 0.0 { "worse" } else { "better" })>
                    <dt>"Median total"</dt>
                    <dd>{format!("{} → {}", fmt::secs(s.baseline_totals.median), fmt::secs(s.candidate_totals.median))}</dd>
                    <dd class="detail" data-testid="totals-test">{format!(
                        "{} ({}) · p {}{}",
                        fmt::signed_secs(s.delta_time),
                        fmt::pct(s.delta_pct),
                        export::p_text(t.totals_p_value),
                        t.totals_ratio_ci.map(|[lo, hi]| format!(" · ×{lo:.2}–{hi:.2}")).unwrap_or_default()
                    )}</dd>
                </div>
                <div class="stat worse"><dt>"Slower"</dt><dd>{s.counts.slower}</dd><dd class="detail">{format!("≥ {} ms, ≥ {}%, q < {}", s.min_ms, s.min_pct, t.alpha)}</dd></div>
                <div class="stat better"><dt>"Faster"</dt><dd>{s.counts.faster}</dd><dd class="detail">{format!("{} unchanged", s.counts.unchanged - s.within_noise)}</dd></div>
                <div class="stat"><dt>"New / removed"</dt><dd>{format!("{} / {}", s.counts.new, s.counts.removed)}</dd></div>
                <div class="stat"><dt>"Within noise"</dt><dd data-testid="within-noise">{s.within_noise}</dd><dd class="detail">{format!("beyond the thresholds, q ≥ {}", t.alpha)}</dd></div>
                {(s.counts.insufficient > 0).then(|| view! {
                    <div class="stat"><dt>"Insufficient"</dt><dd data-testid="insufficient">{s.counts.insufficient}</dd><dd class="detail">"too few runs to tell"</dd></div>
                })}
                <div class="stat"><dt>"Test"</dt><dd>{if t.name == "welch-t" { "Welch's t" } else { "Mann–Whitney U" }}</dd><dd class="detail" data-testid="test-summary">{format!("BH over {} functions · α {}", t.tests, t.alpha)}</dd></div>
            </dl>
        </section>
        <FlameCard
            a=Signal::derive(|| None)
            b=Signal::derive(|| None)
            runs=Signal::derive(move || view_state.with(|v| (v.req.a.clone(), v.req.b.clone())))
            significant=significant_keys
            options=Signal::derive(move || view_state.with(|v| v.req.options()))
            zoom=Signal::derive(move || view_state.with(|v| v.flame_zoom))
            on_zoom=zoom_to
            query=Signal::derive(move || view_state.with(|v| v.flame_q.clone()))
            on_query=Callback::new(move |q: String| {
                let mut v = view_state.get_untracked();
                v.flame_q = q;
                apply.run(v);
            })
            picked=Signal::derive(Vec::new)
            on_pick=Callback::new(move |(_, node): (FunctionKey, u32)| zoom_to.run(node))
        />
        <section class="card">
            <div class="toolbar">
                <StatusChips counts view_state apply/>
                <button
                    type="button"
                    class="chip chip-noise toggle"
                    class:off=move || !noise_on()
                    aria-pressed=move || noise_on().to_string()
                    data-testid="chip-noise"
                    title="rows beyond the thresholds whose change is not significant"
                    on:click=move |_| {
                        let mut v = view_state.get_untracked();
                        v.noise = !v.noise;
                        v.page = 0;
                        apply.run(v);
                    }
                >
                    {format!("within noise {}", fmt::count(s.within_noise as i64))}
                </button>
                <FilterBox view_state apply/>
                {(!crate::ui::viewer::Viewer::use_ctx().read_only()).then(|| view! { <CompareMerged view_state/> })}
            </div>
            <div class="table-wrap">
                <table class="data runs" data-testid="runs-table" data-rows=move || order.with(Vec::len)>
                    <thead>
                        <tr>
                            {sort_header(By::Function, "function", view_state, apply)}
                            <th scope="col">"status"</th>
                            <th scope="col">"verdict"</th>
                            <th scope="col" class="num">"q"</th>
                            <th scope="col" class="num">"ratio [95% CI]"</th>
                            <th scope="col">"interval"</th>
                            {sort_header(By::A, "A median", view_state, apply)}
                            <th scope="col" class="num">"A min – max"</th>
                            {sort_header(By::B, "B median", view_state, apply)}
                            <th scope="col" class="num">"B min – max"</th>
                            {sort_header(By::Delta, "Δ", view_state, apply)}
                            {sort_header(By::Pct, "Δ%", view_state, apply)}
                            <th scope="col">"runs (A above, B below)"</th>
                        </tr>
                    </thead>
                    <tbody inner_html=move || {
                        let (page, per) = window.get();
                        order.with(|o| runs_page_html(&rows, page_slice(o, page, per), alpha))
                    }></tbody>
                </table>
            </div>
            {pager(view_state, apply, Signal::derive(move || order.with(Vec::len)))}
        </section>
    }
}

#[component]
pub fn MatrixView(
    m: Arc<Matrix>,
    view_state: Memo<ViewState>,
    apply: Callback<ViewState>,
) -> impl IntoView {
    let m2 = m.clone();
    let order_key = Memo::new(move |_| view_state.with(ViewState::order_key));
    let order = Memo::new(move |_| {
        order_key.with(|_| ());
        view_state.with_untracked(|v| {
            let filter = TextFilter::new(&v.filter, false).ok();
            let mut idx: Vec<usize> = (0..m2.rows.len())
                .filter(|&i| {
                    filter
                        .as_ref()
                        .is_none_or(|f| f.matches(&m2.rows[i].display))
                })
                .collect();
            sort_idx(
                &mut idx,
                v,
                |i, col| {
                    let r = &m2.rows[i];
                    match col {
                        By::Pct => r.pct,
                        By::A => r.values.first().copied().flatten(),
                        By::B => r.values.last().copied().flatten(),
                        _ => Some(r.delta),
                    }
                },
                |i| m2.rows[i].display.clone(),
            );
            idx
        })
    });
    let names = m.profiles.clone();
    let totals: Vec<Option<f64>> = m.totals.iter().map(|t| Some(*t)).collect();
    let rows = m.clone();
    // What the page's markup depends on besides the order: a memo, so a flame-graph zoom or
    // search (also view state) does not rebuild it.
    let window = Memo::new(move |_| view_state.with(|v| (v.page, v.per)));
    view! {
        <section class="card">
            <h2>{format!("Matrix of {} profiles · metric {}", m.profiles.len(), m.metric.as_str())}</h2>
            <Notes notes=m.notes.clone()/>
            <div class="toolbar">
                <FilterBox view_state apply/>
                <span class="muted">{move || format!("{} functions", order.with(Vec::len))}</span>
            </div>
            <div class="table-wrap">
                <table class="data matrix" data-testid="matrix-table" data-rows=move || order.with(Vec::len)>
                    <thead>
                        <tr>
                            {sort_header(By::Function, "function", view_state, apply)}
                            {names.iter().map(|n| view! { <th scope="col" class="num">{n.clone()}</th> }).collect_view()}
                            <th scope="col">"trend"</th>
                            {sort_header(By::Delta, "Δ last − first", view_state, apply)}
                            {sort_header(By::Pct, "Δ%", view_state, apply)}
                        </tr>
                        <tr class="totals">
                            <th scope="row">"total"</th>
                            {m.totals.iter().map(|t| view! { <th class="num">{fmt::secs(*t)}</th> }).collect_view()}
                            <th inner_html={
                                let mut svg = String::new();
                                sparkline_svg(&mut svg, &totals);
                                svg
                            }></th>
                            <th></th>
                            <th></th>
                        </tr>
                    </thead>
                    <tbody inner_html=move || {
                        let (page, per) = window.get();
                        order.with(|o| matrix_page_html(&rows, page_slice(o, page, per)))
                    }></tbody>
                </table>
            </div>
            {pager(view_state, apply, Signal::derive(move || order.with(Vec::len)))}
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::fixture;
    use super::*;
    use crate::engine::Profile;
    use crate::engine::compare::Options;
    use crate::engine::compare::runs::compare_runs;

    fn runs() -> RunsComparison {
        let a: Vec<Profile> = (1..=3)
            .map(|n| fixture(&format!("runs_before_{n}.prof")))
            .collect();
        let b: Vec<Profile> = (1..=3)
            .map(|n| fixture(&format!("runs_after_{n}.prof")))
            .collect();
        compare_runs(&a, &b, &Options::default())
    }

    #[test]
    fn a_page_is_its_slice_of_the_order() {
        let order = [4, 2, 7, 1, 0];
        assert_eq!(page_slice(&order, 0, 2), &[4, 2]);
        assert_eq!(page_slice(&order, 2, 2), &[0]);
        assert!(page_slice(&order, 3, 2).is_empty());
        assert!(page_slice(&order, usize::MAX, usize::MAX).is_empty());
    }

    #[test]
    fn a_runs_page_is_one_row_per_position_with_its_plots() {
        let mut c = runs();
        c.rows[1].display = "<b>\"evil\" & co</b>".into();
        let html = runs_page_html(&c, &[1, 0], 0.05);
        assert_eq!(html.matches("<tr ").count(), 2);
        assert_eq!(html.matches("data-testid=\"runs-row\"").count(), 2);
        assert_eq!(html.matches("<svg class=\"strip\"").count(), 2);
        assert_eq!(html.matches("<svg class=\"ci ").count(), 2);
        // Rows in the order asked for, names escaped, never markup.
        let first = html
            .find("&lt;b&gt;&quot;evil&quot; &amp; co&lt;/b&gt;")
            .unwrap();
        let second = html.find(&escape(&c.rows[0].display)).unwrap();
        assert!(first < second);
        assert!(!html.contains("<b>"));
        for (r, row) in [1, 0].iter().map(|&i| &c.rows[i]).zip(html.split("</tr>")) {
            assert!(row.contains(&format!("data-status=\"{}\"", r.status.as_str())));
            assert!(row.contains(&format!("data-verdict=\"{}\"", export::verdict(r))));
            assert_eq!(row.contains("not-significant"), greyed(r, 0.05));
            // A dot per run on each side.
            let dots =
                row.matches("class=\"run-a\"").count() + row.matches("class=\"run-b\"").count();
            assert_eq!(dots, r.baseline.runs.len() + r.candidate.runs.len());
        }
    }

    #[test]
    fn a_matrix_page_is_one_row_per_position_with_a_cell_per_profile() {
        use crate::engine::compare::Metric;
        use crate::engine::compare::runs::matrix;
        let series = vec![
            ("a".to_string(), fixture("before_3.11.prof")),
            ("b".to_string(), fixture("after_3.11.prof")),
            ("c".to_string(), fixture("runs_after_1.prof")),
        ];
        let mut m = matrix(&series, Metric::Tottime);
        m.rows[0].display = "<i>x</i> & \"y\"".into();
        let html = matrix_page_html(&m, &[2, 0]);
        let rows: Vec<&str> = html.split("</tr>").filter(|r| !r.is_empty()).collect();
        assert_eq!(rows.len(), 2);
        for (row, i) in rows.iter().zip([2, 0]) {
            let r = &m.rows[i];
            assert!(row.starts_with("<tr data-testid=\"matrix-row\">"));
            assert!(row.contains(&escape(&r.display)));
            // function, a value per profile, the sparkline, Δ and Δ%.
            assert_eq!(row.matches("<td").count(), 1 + m.profiles.len() + 3);
            assert_eq!(row.matches("<svg class=\"spark\"").count(), 1);
            let missing = r.values.iter().filter(|v| v.is_none()).count();
            assert_eq!(row.matches(">—</td>").count(), missing);
            assert_eq!(row.matches("<circle").count(), r.values.len() - missing);
        }
        assert!(html.contains("&lt;i&gt;x&lt;/i&gt; &amp; &quot;y&quot;") && !html.contains("<i>"));
    }
}
