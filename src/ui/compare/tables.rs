//! Runs mode (N baseline runs vs M candidate runs: medians, spread, noise flag) and matrix
//! mode (K profiles in order, a sparkline per function).

use std::sync::Arc;

use leptos::prelude::*;

use super::PAGE;
use super::columns::{Col, Field, Side};
use super::filters::{FilterBox, StatusChips, chip_counts};
use super::state::ViewState;
use crate::engine::compare::Metric;
use crate::engine::compare::runs::{Matrix, RunsComparison, Spread};
use crate::ui::fmt;
use crate::ui::order;
use crate::ui::widgets::TextFilter;
use crate::ui::widgets::{Pager, SortHeader};

/// A tiny line of `values` (gaps where a profile lacks the function).
pub fn sparkline(values: &[Option<f64>]) -> impl IntoView + use<> {
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
    let title = values
        .iter()
        .map(|v| v.map(fmt::secs).unwrap_or_else(|| "—".into()))
        .collect::<Vec<_>>()
        .join(" → ");
    view! {
        <svg class="spark" viewBox=format!("0 0 {w} {h}") width=w height=h role="img" aria-label=title.clone()>
            <title>{title.clone()}</title>
            <polyline points=line fill="none"></polyline>
            {pts.into_iter().map(|(x, y)| view! { <circle cx=x cy=y r="1.8"></circle> }).collect_view()}
        </svg>
    }
}

/// Each run of both sides as a dot on one axis: overlap means noise.
fn strip(a: &Spread, b: &Spread) -> impl IntoView + use<> {
    let (w, h) = (120.0, 18.0);
    let max = a
        .runs
        .iter()
        .chain(&b.runs)
        .copied()
        .fold(0.0f64, f64::max)
        .max(f64::MIN_POSITIVE);
    let x = move |v: f64| 3.0 + v / max * (w - 6.0);
    let dots = |runs: &[f64], y: f64, class: &'static str| {
        runs.iter()
            .map(|&v| view! { <circle cx=x(v) cy=y r="2.5" class=class></circle> })
            .collect_view()
    };
    view! {
        <svg class="strip" viewBox=format!("0 0 {w} {h}") width=w height=h aria-hidden="true">
            {dots(&a.runs, 5.0, "run-a")}
            {dots(&b.runs, 13.0, "run-b")}
        </svg>
    }
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

fn pager(
    view_state: Memo<ViewState>,
    apply: Callback<ViewState>,
    total: Signal<usize>,
) -> impl IntoView {
    view! {
        <Pager
            page=Signal::derive(move || view_state.with(|v| v.page))
            set_page=Callback::new(move |p| { let mut v = view_state.get_untracked(); v.page = p; apply.run(v); })
            total
            size=PAGE
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
                    v.statuses.contains(&r.status)
                        && filter.as_ref().is_none_or(|f| f.matches(&r.display))
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
    let counts = chip_counts(&s.counts);
    let rows = c.clone();
    view! {
        <section class="card">
            <Notes notes=s.notes.clone()/>
            <dl class="cards" data-testid="summary-cards">
                <div class="stat"><dt>"Runs"</dt><dd>{format!("{} vs {}", s.baseline_runs, s.candidate_runs)}</dd><dd class="detail">{format!("metric {}", s.metric.as_str())}</dd></div>
                <div class=format!("stat {}", if s.delta_time > 0.0 { "worse" } else { "better" })>
                    <dt>"Median total"</dt>
                    <dd>{format!("{} → {}", fmt::secs(s.baseline_totals.median), fmt::secs(s.candidate_totals.median))}</dd>
                    <dd class="detail">{format!("{} ({})", fmt::signed_secs(s.delta_time), fmt::pct(s.delta_pct))}</dd>
                </div>
                <div class="stat worse"><dt>"Slower"</dt><dd>{s.counts.slower}</dd><dd class="detail">{format!("≥ {} ms and ≥ {}%", s.min_ms, s.min_pct)}</dd></div>
                <div class="stat better"><dt>"Faster"</dt><dd>{s.counts.faster}</dd><dd class="detail">{format!("{} unchanged", s.counts.unchanged)}</dd></div>
                <div class="stat"><dt>"New / removed"</dt><dd>{format!("{} / {}", s.counts.new, s.counts.removed)}</dd></div>
                <div class="stat"><dt>"Within noise"</dt><dd data-testid="within-noise">{s.within_noise}</dd><dd class="detail">"medians closer than the runs' spread"</dd></div>
            </dl>
        </section>
        <section class="card">
            <div class="toolbar">
                <StatusChips counts view_state apply/>
                <FilterBox view_state apply/>
            </div>
            <div class="table-wrap">
                <table class="data runs" data-testid="runs-table" data-rows=move || order.with(Vec::len)>
                    <thead>
                        <tr>
                            {sort_header(By::Function, "function", view_state, apply)}
                            <th scope="col">"status"</th>
                            <th scope="col">"noise"</th>
                            {sort_header(By::A, "A median", view_state, apply)}
                            <th scope="col" class="num">"A min – max"</th>
                            {sort_header(By::B, "B median", view_state, apply)}
                            <th scope="col" class="num">"B min – max"</th>
                            {sort_header(By::Delta, "Δ", view_state, apply)}
                            {sort_header(By::Pct, "Δ%", view_state, apply)}
                            <th scope="col">"runs (A above, B below)"</th>
                        </tr>
                    </thead>
                    <tbody>
                        {move || {
                            let start = view_state.with(|v| v.page) * PAGE;
                            order.with(|o| o.iter().skip(start).take(PAGE).map(|&i| {
                                let r = &rows.rows[i];
                                view! {
                                    <tr class=format!("row-{}", r.status.as_str()) data-testid="runs-row" data-status=r.status.as_str()>
                                        <td class="fn">{r.display.clone()}</td>
                                        <td><span class=format!("chip chip-{}", r.status.as_str())>{r.status.as_str()}</span></td>
                                        <td>{r.within_noise.then(|| view! { <span class="chip chip-noise" title="the medians differ by less than the runs' spread">"noise"</span> })}</td>
                                        <td class="num">{fmt::secs(r.baseline.median)}</td>
                                        <td class="num muted">{spread_cell(&r.baseline)}</td>
                                        <td class="num">{fmt::secs(r.candidate.median)}</td>
                                        <td class="num muted">{spread_cell(&r.candidate)}</td>
                                        <td class="num">{fmt::signed_secs(r.delta)}</td>
                                        <td class="num">{fmt::pct(r.pct)}</td>
                                        <td>{strip(&r.baseline, &r.candidate)}</td>
                                    </tr>
                                }
                            }).collect_view())
                        }}
                    </tbody>
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
                            <th>{sparkline(&totals)}</th>
                            <th></th>
                            <th></th>
                        </tr>
                    </thead>
                    <tbody>
                        {move || {
                            let start = view_state.with(|v| v.page) * PAGE;
                            order.with(|o| o.iter().skip(start).take(PAGE).map(|&i| {
                                let r = &rows.rows[i];
                                view! {
                                    <tr data-testid="matrix-row">
                                        <td class="fn">{r.display.clone()}</td>
                                        {r.values.iter().map(|v| view! { <td class="num">{v.map(fmt::secs).unwrap_or_else(|| "—".into())}</td> }).collect_view()}
                                        <td>{sparkline(&r.values)}</td>
                                        <td class={if r.delta > 0.0 { "num worse" } else if r.delta < 0.0 { "num better" } else { "num" }}>{fmt::signed_secs(r.delta)}</td>
                                        <td class="num">{fmt::pct(r.pct)}</td>
                                    </tr>
                                }
                            }).collect_view())
                        }}
                    </tbody>
                </table>
            </div>
            {pager(view_state, apply, Signal::derive(move || order.with(Vec::len)))}
        </section>
    }
}
