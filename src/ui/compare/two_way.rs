//! A two-way comparison: summary cards, the chart of the largest changes, the diff table
//! ([`super::diff_table`]) and the selected row's edges ([`super::edges`]).

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use leptos::prelude::*;

use super::chart::DeltaChart;
use super::diff_table::{DiffTable, sorted_rows};
use super::edges::EdgePanel;
use super::shown;
use super::state::ViewState;
use super::tables::Notes;
use crate::engine::FunctionKey;
use crate::engine::compare::{Comparison, Summary, count_label};
use crate::model::ProfileId;
use crate::ui::browser;
use crate::ui::flame::FlameCard;
use crate::ui::fmt;

/// Row positions by `(file, line, name)`.
type RowsByKey = HashMap<(Arc<str>, i64, Arc<str>), usize>;

#[component]
pub fn TwoWay(
    c: Arc<Comparison>,
    view_state: Memo<ViewState>,
    apply: Callback<ViewState>,
) -> impl IntoView {
    // Selecting a row (table or chart) shows it: its status and page are brought into view.
    // `(row, flame-graph zoom)`: a frame picked in the flame graph zooms and selects in one
    // change of the view state (two would race: each starts from the state before).
    let sorted = sorted_rows(c.clone(), view_state);
    let select_zoomed = Callback::new({
        let c = c.clone();
        move |(row, zoom): (usize, Option<u32>)| {
            // Selecting changes neither the sort column nor its direction: the table's
            // sorted rows hold, and only the filtering is redone.
            let sorted = sorted.get_untracked();
            let find = |v: &ViewState| {
                shown(&c, v, sorted.iter().copied())
                    .iter()
                    .position(|&i| i == row)
            };
            let Some(r) = c.rows.get(row) else { return };
            let mut v = view_state.get_untracked();
            if let Some(z) = zoom {
                v.flame_zoom = z;
            }
            if !v.statuses.contains(&r.status) {
                v.statuses.push(r.status);
            }
            let mut pos = find(&v);
            if pos.is_none() {
                v.filter.clear();
                pos = find(&v);
            }
            v.page = pos.map(|p| p / v.per).unwrap_or(0);
            v.row = Some(row);
            apply.run(v);
            browser::scroll_into_view("selected-row");
        }
    });
    let select = Callback::new(move |row: usize| select_zoomed.run((row, None)));
    // The chart names its bars by display name.
    let select_named = Callback::new({
        let c = c.clone();
        move |display: String| {
            if let Some(i) = c.rows.iter().position(|r| r.display == display) {
                select.run(i);
            }
        }
    });
    let selected_name = Signal::derive({
        let c = c.clone();
        move || {
            view_state
                .with(|v| v.row)
                .and_then(|i| c.rows.get(i))
                .map(|r| r.display.clone())
        }
    });
    // The flame graph: its frames are the baseline's keys (the candidate's for new ones);
    // a row is found by either of its keys. Built on the first pick (50,000 rows take a
    // while, and most views never pick a frame).
    let by_key: Arc<OnceLock<RowsByKey>> = Arc::default();
    let rows_by_key = {
        let c = c.clone();
        move || {
            let mut m = HashMap::new();
            for (i, r) in c.rows.iter().enumerate() {
                for f in std::iter::once(&r.function).chain(&r.baseline_function) {
                    m.entry((f.file.clone(), f.line, f.name.clone()))
                        .or_insert(i);
                }
            }
            m
        }
    };
    let zoom_to = Callback::new(move |n: u32| {
        let mut v = view_state.get_untracked();
        v.flame_zoom = n;
        apply.run(v);
    });
    let pick_frame = Callback::new(move |(k, zoom): (FunctionKey, u32)| {
        let by_key = by_key.get_or_init(&rows_by_key);
        match by_key.get(&(k.file.clone(), k.line, k.name.clone())) {
            Some(&row) => select_zoomed.run((row, Some(zoom))),
            None => zoom_to.run(zoom),
        }
    });
    let picked = Signal::derive({
        let c = c.clone();
        move || {
            view_state
                .with(|v| v.row)
                .and_then(|i| c.rows.get(i))
                .map(|r| {
                    std::iter::once(r.function.clone())
                        .chain(r.baseline_function.clone())
                        .collect()
                })
                .unwrap_or_default()
        }
    });
    let first = |ids: &[ProfileId]| ids.first().copied();
    let s = &c.summary;
    view! {
        <SummaryCards s=s.clone()/>
        <section class="card">
            <h2>"Largest changes"</h2>
            <DeltaChart regressions=s.top_regressions.clone() improvements=s.top_improvements.clone() selected=selected_name on_select=select_named/>
        </section>
        <FlameCard
            a=Signal::derive(move || view_state.with(|v| first(&v.req.a)))
            b=Signal::derive(move || view_state.with(|v| first(&v.req.b)))
            options=Signal::derive(move || view_state.with(|v| v.req.options()))
            zoom=Signal::derive(move || view_state.with(|v| v.flame_zoom))
            on_zoom=zoom_to
            query=Signal::derive(move || view_state.with(|v| v.flame_q.clone()))
            on_query=Callback::new(move |q: String| {
                let mut v = view_state.get_untracked();
                v.flame_q = q;
                apply.run(v);
            })
            picked
            on_pick=pick_frame
        />
        <DiffTable c=c.clone() view_state sorted apply select/>
        <EdgePanel view_state/>
    }
}

/// Totals on both sides and how many functions changed, by status.
#[component]
fn SummaryCards(s: Summary) -> impl IntoView {
    let scale_note = if s.normalized {
        format!("candidate scaled ×{:.4}", s.scale)
    } else {
        "absolute times".to_string()
    };
    let notes = s.notes.clone();
    view! {
        <section class="card">
            <Notes notes/>
            <dl class="cards" data-testid="summary-cards">
                {card(
                    "Total time",
                    format!("{} → {}", fmt::secs(s.baseline.total_time), fmt::secs(s.candidate.total_time)),
                    format!("{} ({})", fmt::signed_secs(s.delta_time), fmt::pct(s.delta_pct)),
                    if s.delta_time > 0.0 { "worse" } else if s.delta_time < 0.0 { "better" } else { "" },
                )}
                {card(
                    match count_label(&s.baseline, &s.candidate) {
                        "calls" => "Calls",
                        "samples" => "Samples",
                        _ => "Calls / samples",
                    },
                    format!("{} → {}", fmt::count(s.baseline.count()), fmt::count(s.candidate.count())),
                    fmt::signed_count(Some(s.candidate.count().saturating_sub(s.baseline.count()))),
                    "",
                )}
                {card("Slower", fmt::count(s.counts.slower as i64), format!("≥ {} ms and ≥ {}%", s.min_ms, s.min_pct), "worse")}
                {card("Faster", fmt::count(s.counts.faster as i64), format!("{} unchanged", fmt::count(s.counts.unchanged as i64)), "better")}
                {card("New", fmt::count(s.counts.new as i64), "only in B".to_string(), "")}
                {card("Removed", fmt::count(s.counts.removed as i64), "only in A".to_string(), "")}
            </dl>
            <p class="muted small">{format!("Metric {} · {} · {} vs {} functions ({} vs {})", s.metric.as_str(), scale_note, fmt::count(s.baseline.functions as i64), fmt::count(s.candidate.functions as i64), s.baseline.producer.as_str(), s.candidate.producer.as_str())}</p>
        </section>
    }
}

fn card(label: &'static str, value: String, detail: String, class: &'static str) -> impl IntoView {
    view! {
        <div class=format!("stat {class}")>
            <dt>{label}</dt>
            <dd>{value}</dd>
            <dd class="detail">{detail}</dd>
        </div>
    }
}
