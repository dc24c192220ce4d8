//! The comparison view, the heart of the app: pickers, summary cards, the bar chart of
//! the largest changes, the diff table (every contract column, sortable, filtered), the
//! selected row's caller/callee diff, runs and matrix modes, exports. Everything that
//! shapes the view sits in the URL query (see [`state`]), so a link restores it.

pub mod chart;
pub mod columns;
pub mod server;
pub mod state;
mod tables;

use std::sync::Arc;

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::NavigateOptions;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_query_map};

use crate::engine::compare::edges::{EdgeRow, Edges};
use crate::engine::compare::export::Format;
use crate::engine::compare::{Comparison, Counts, Metric, Row, Status};
use crate::model::{Mode, Outcome, ProfileId, ProfileSummary};
use crate::ui::browser;
use crate::ui::fmt;
use crate::ui::session::SessionCtx;
use crate::ui::widgets::TextFilter;
use crate::ui::widgets::{Pager, SortHeader};
use chart::DeltaChart;
use columns::{Col, GROUPS};
use server::*;
use state::ViewState;

/// Rows per page of the diff table.
pub const PAGE: usize = 100;

/// Positions of the rows the view shows, in order: filtered by status and text, sorted by
/// the view's column.
pub fn ordered(c: &Comparison, v: &ViewState) -> Vec<usize> {
    let filter = TextFilter::new(&v.filter, false).unwrap_or_default();
    let mut idx: Vec<usize> = (0..c.rows.len())
        .filter(|&i| {
            let r = &c.rows[i];
            v.statuses.contains(&r.status) && filter.matches(&r.display)
        })
        .collect();
    columns::sorted(&c.rows, &mut idx, v.sort_column(), v.reverse);
    idx
}

fn profile_name(list: &Option<Vec<ProfileSummary>>, id: &ProfileId) -> String {
    list.as_ref()
        .and_then(|l| l.iter().find(|p| p.id == *id))
        .map(|p| p.name.clone())
        .unwrap_or_else(|| id.short())
}

/// The comparison page as a lazily loaded route: built with `cargo leptos --split`, its code
/// (the biggest part of the app) is a separate wasm file fetched on the first visit to
/// `/compare`, so the profile list and profile view start faster.
pub struct CompareRoute;

#[leptos_router::lazy_route]
impl leptos_router::LazyRoute for CompareRoute {
    fn data() -> Self {
        CompareRoute
    }

    fn view(this: Self) -> AnyView {
        let CompareRoute = this;
        view! { <ComparePage/> }.into_any()
    }
}

#[component]
pub fn ComparePage() -> impl IntoView {
    let ctx = SessionCtx::use_ctx();
    let query = use_query_map();
    let view_state = Memo::new(move |_| query.with(ViewState::from_query));
    let navigate = use_navigate();
    let apply = Callback::new(move |v: ViewState| {
        navigate(
            &format!("/compare?{}", v.to_query()),
            NavigateOptions {
                replace: true,
                scroll: false,
                ..Default::default()
            },
        );
    });
    let req = Memo::new(move |_| view_state.with(|v| v.req.clone()));
    let data = RwSignal::new(None::<Result<Outcome, String>>);
    let loading = RwSignal::new(false);
    let generation = StoredValue::new(0u64);
    Effect::new(move |_| {
        let (Some(session), req) = (ctx.id.get(), req.get()) else {
            return;
        };
        if !req.is_complete() {
            data.set(None);
            return;
        }
        generation.update_value(|g| *g += 1);
        let mine = generation.get_value();
        loading.set(true);
        spawn_local(async move {
            let result = compare_view(session, req).await;
            // A newer request supersedes this one.
            if generation.get_value() == mine {
                data.set(Some(result.map_err(|e| ctx.error(e))));
                loading.set(false);
            }
        });
    });

    view! {
        <Pickers view_state apply/>
        <Options view_state apply/>
        <div class="loading-bar" class:active=move || loading.get() aria-hidden="true"></div>
        {move || match data.get() {
            None if !req.with(|r| r.is_complete()) => view! {
                <section class="card empty" data-testid="compare-empty">
                    <p>"Pick profiles to compare: choose a baseline and a candidate above, or pick A and B on the "<A href="/">"profile list"</A>"."</p>
                </section>
            }.into_any(),
            None => view! { <p class="loading" data-testid="loading">"Comparing…"</p> }.into_any(),
            Some(Err(e)) => view! { <section class="card"><p class="error" role="alert" data-testid="compare-error">{e}</p></section> }.into_any(),
            Some(Ok(Outcome::Two(c))) => view! { <TwoWay c view_state apply/> }.into_any(),
            Some(Ok(Outcome::Runs(c))) => view! { <tables::RunsView c view_state apply/> }.into_any(),
            Some(Ok(Outcome::Matrix(m))) => view! { <tables::MatrixView m view_state apply/> }.into_any(),
        }}
    }
}

/// Baseline and candidate pickers with a swap button (or the runs / series lists).
#[component]
fn Pickers(view_state: Memo<ViewState>, apply: Callback<ViewState>) -> impl IntoView {
    let ctx = SessionCtx::use_ctx();
    let set_side = move |side: char, id: String| {
        let Ok(id) = ProfileId::parse(&id) else {
            return;
        };
        let mut v = view_state.get_untracked();
        v.req.mode = Mode::Two;
        let other = if side == 'a' { &v.req.b } else { &v.req.a }
            .first()
            .cloned();
        let keep = other.map(|o| vec![o]).unwrap_or_default();
        if side == 'a' {
            v.req.a = vec![id];
            v.req.b = keep;
        } else {
            v.req.b = vec![id];
            v.req.a = keep;
        }
        v.row = None;
        v.page = 0;
        apply.run(v);
    };
    let swap = move |_| {
        let mut v = view_state.get_untracked();
        std::mem::swap(&mut v.req.a, &mut v.req.b);
        v.row = None;
        v.page = 0;
        apply.run(v);
    };
    let picker = move |side: char, label: &'static str| {
        let current = move || {
            view_state.with(|v| {
                if side == 'a' {
                    v.req.a.first().cloned()
                } else {
                    v.req.b.first().cloned()
                }
            })
        };
        view! {
            <label class="field">
                <span>{label}</span>
                <select
                    data-testid=if side == 'a' { "pick-baseline" } else { "pick-candidate" }
                    on:change=move |ev| set_side(side, event_target_value(&ev))
                    prop:value=move || current().map(|id| id.to_string()).unwrap_or_default()
                >
                    <option value="" disabled selected=move || current().is_none()>"— choose —"</option>
                    {move || ctx.profiles.get().unwrap_or_default().into_iter().map(|p| {
                        let id = p.id;
                        view! { <option value=p.id.to_string() selected=move || current() == Some(id)>{p.name}</option> }
                    }).collect_view()}
                </select>
            </label>
        }
    };
    let names = move |ids: Vec<ProfileId>| {
        let list = ctx.profiles.get();
        ids.iter()
            .map(|id| profile_name(&list, id))
            .collect::<Vec<_>>()
            .join(", ")
    };
    view! {
        <section class="card pickers">
            {move || match view_state.with(|v| v.req.mode) {
                Mode::Two => view! {
                    <div class="picker-row">
                        {picker('a', "Baseline (A)")}
                        <button type="button" class="btn swap" data-testid="swap" title="swap baseline and candidate" on:click=swap>"⇄ Swap"</button>
                        {picker('b', "Candidate (B)")}
                    </div>
                }.into_any(),
                Mode::Runs => view! {
                    <div class="picker-row">
                        <p class="runs-side"><strong>{move || format!("Baseline runs ({}): ", view_state.with(|v| v.req.a.len()))}</strong>{move || names(view_state.with(|v| v.req.a.clone()))}</p>
                        <button type="button" class="btn swap" data-testid="swap" on:click=swap>"⇄ Swap"</button>
                        <p class="runs-side"><strong>{move || format!("Candidate runs ({}): ", view_state.with(|v| v.req.b.len()))}</strong>{move || names(view_state.with(|v| v.req.b.clone()))}</p>
                    </div>
                }.into_any(),
                Mode::Matrix => view! {
                    <p class="runs-side"><strong>"Series, in order: "</strong>{move || names(view_state.with(|v| v.req.a.clone()))}</p>
                }.into_any(),
            }}
        </section>
    }
}

/// Metric, normalisation, thresholds, exports.
#[component]
fn Options(view_state: Memo<ViewState>, apply: Callback<ViewState>) -> impl IntoView {
    let ctx = SessionCtx::use_ctx();
    let change = move |f: Box<dyn FnOnce(&mut ViewState)>| {
        let mut v = view_state.get_untracked();
        f(&mut v);
        v.page = 0;
        apply.run(v);
    };
    let number = move |ev: &leptos::ev::Event| {
        event_target_value(ev)
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|x| x.is_finite() && *x >= 0.0)
    };
    let status = RwSignal::new(None::<(bool, String)>);
    let export = move |format: Format| {
        let Some(session) = ctx.id.get_untracked() else {
            return;
        };
        let v = view_state.get_untracked();
        let names = {
            let list = ctx.profiles.get_untracked();
            let stem = |ids: &[ProfileId]| {
                ids.first()
                    .map(|id| profile_name(&list, id))
                    .unwrap_or_default()
            };
            let clean = |s: String| {
                s.trim_end_matches(".prof")
                    .trim_end_matches(".pstats")
                    .to_string()
            };
            match v.req.mode {
                Mode::Matrix => format!("matrix-{}", clean(stem(&v.req.a))),
                _ => format!("{}-vs-{}", clean(stem(&v.req.a)), clean(stem(&v.req.b))),
            }
        };
        let ext = match format {
            Format::Csv => "csv",
            Format::Json => "json",
            _ => "md",
        };
        status.set(Some((true, format!("exporting {ext}…"))));
        spawn_local(async move {
            match export_comparison(session, v.req.clone(), format, v.sort_column(), v.reverse)
                .await
            {
                Ok(text) if format == Format::Markdown => match browser::copy_text(&text).await {
                    Ok(()) => status.set(Some((
                        true,
                        format!(
                            "Markdown copied to the clipboard ({} lines)",
                            text.lines().count()
                        ),
                    ))),
                    Err(e) => status.set(Some((false, e))),
                },
                Ok(text) => {
                    let mime = if format == Format::Csv {
                        "text/csv"
                    } else {
                        "application/json"
                    };
                    browser::save_text(&format!("profdiff-{names}.{ext}"), mime, &text);
                    status.set(Some((true, format!("{} saved", ext.to_ascii_uppercase()))));
                }
                Err(e) => status.set(Some((false, ctx.error(e)))),
            }
        });
    };
    let mode = move || view_state.with(|v| v.req.mode);
    view! {
        <section class="card options">
            <div class="toolbar">
                <label class="field">
                    <span>"Metric"</span>
                    <select
                        data-testid="metric"
                        prop:value=move || view_state.with(|v| v.req.metric.as_str())
                        on:change=move |ev| if let Some(m) = Metric::parse(&event_target_value(&ev)) { change(Box::new(move |v| { v.req.metric = m; v.sort = None; })) }
                    >
                        <option value="tottime" selected=move || view_state.with(|v| v.req.metric == Metric::Tottime)>"tottime (own time)"</option>
                        <option value="cumtime" selected=move || view_state.with(|v| v.req.metric == Metric::Cumtime)>"cumtime (with callees)"</option>
                    </select>
                </label>
                <Show when=move || mode() == Mode::Two>
                    <label class="check" title="scale the candidate so both totals match: shows where time moved, not how fast the machine was">
                        <input
                            type="checkbox"
                            data-testid="normalize"
                            prop:checked=move || view_state.with(|v| v.req.normalize)
                            on:change=move |ev| { let on = event_target_checked(&ev); change(Box::new(move |v| v.req.normalize = on)) }
                        />
                        "normalise totals"
                    </label>
                </Show>
                <Show when=move || mode() != Mode::Matrix>
                    <label class="field small" title="a change counts when |Δ| is at least this many milliseconds">
                        <span>"min ms"</span>
                        <input
                            type="number"
                            min="0"
                            step="any"
                            data-testid="min-ms"
                            prop:value=move || view_state.with(|v| v.req.min_ms.to_string())
                            on:change=move |ev| if let Some(x) = number(&ev) { change(Box::new(move |v| v.req.min_ms = x)) }
                        />
                    </label>
                    <label class="field small" title="…and |Δ%| is at least this many percent">
                        <span>"min %"</span>
                        <input
                            type="number"
                            min="0"
                            step="any"
                            data-testid="min-pct"
                            prop:value=move || view_state.with(|v| v.req.min_pct.to_string())
                            on:change=move |ev| if let Some(x) = number(&ev) { change(Box::new(move |v| v.req.min_pct = x)) }
                        />
                    </label>
                </Show>
                <div class="exports">
                    <button type="button" class="btn" data-testid="export-markdown" on:click=move |_| export(Format::Markdown)>"Copy Markdown"</button>
                    <button type="button" class="btn" data-testid="export-csv" on:click=move |_| export(Format::Csv)>"CSV"</button>
                    <button type="button" class="btn" data-testid="export-json" on:click=move |_| export(Format::Json)>"JSON"</button>
                </div>
            </div>
            {move || status.get().map(|(ok, m)| view! { <p class={if ok { "ok" } else { "error" }} role="status" data-testid="export-status">{m}</p> })}
        </section>
    }
}

fn status_chip(s: Status) -> impl IntoView {
    view! { <span class=format!("chip chip-{}", s.as_str())>{s.as_str()}</span> }
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

/// The chips' statuses in display order, with their counts.
pub fn chip_counts(c: &Counts) -> Vec<(Status, usize)> {
    vec![
        (Status::Slower, c.slower),
        (Status::Faster, c.faster),
        (Status::New, c.new),
        (Status::Removed, c.removed),
        (Status::Unchanged, c.unchanged),
    ]
}

/// Status filter chips with counts.
#[component]
pub fn StatusChips(
    counts: Vec<(Status, usize)>,
    view_state: Memo<ViewState>,
    apply: Callback<ViewState>,
) -> impl IntoView {
    view! {
        <div class="chips" role="group" aria-label="show statuses">
            {counts.into_iter().map(|(s, n)| {
                let on = move || view_state.with(|v| v.statuses.contains(&s));
                view! {
                    <button
                        type="button"
                        class=format!("chip chip-{} toggle", s.as_str())
                        class:off=move || !on()
                        aria-pressed=move || on().to_string()
                        data-testid=format!("chip-{}", s.as_str())
                        on:click=move |_| {
                            let mut v = view_state.get_untracked();
                            if v.statuses.contains(&s) { v.statuses.retain(|x| *x != s) } else { v.statuses.push(s) }
                            v.page = 0;
                            apply.run(v);
                        }
                    >
                        {format!("{} {}", s.as_str(), fmt::count(n as i64))}
                    </button>
                }
            }).collect_view()}
        </div>
    }
}

/// The text filter box (substring, or `/regex/`).
#[component]
pub fn FilterBox(view_state: Memo<ViewState>, apply: Callback<ViewState>) -> impl IntoView {
    let error = move || view_state.with(|v| TextFilter::new(&v.filter, false).err());
    view! {
        <label class="field grow">
            <span>"Filter"</span>
            <input
                type="search"
                placeholder="function or path; /regex/"
                data-testid="compare-filter"
                prop:value=move || view_state.with(|v| v.filter.clone())
                on:input=move |ev| {
                    let mut v = view_state.get_untracked();
                    v.filter = event_target_value(&ev);
                    v.page = 0;
                    apply.run(v);
                }
            />
        </label>
        {move || error().map(|e| view! { <p class="error" role="alert">{e}</p> })}
    }
}

#[component]
fn TwoWay(
    c: Arc<Comparison>,
    view_state: Memo<ViewState>,
    apply: Callback<ViewState>,
) -> impl IntoView {
    let ctx = SessionCtx::use_ctx();
    let s = c.summary.clone();
    let c2 = c.clone();
    let order_key = Memo::new(move |_| view_state.with(ViewState::order_key));
    let order = Memo::new(move |_| {
        order_key.with(|_| ());
        view_state.with_untracked(|v| ordered(&c2, v))
    });
    // Selecting a row (table or chart) shows it: its status and page are brought into view.
    let select = Callback::new({
        let c = c.clone();
        move |row: usize| {
            let Some(r) = c.rows.get(row) else { return };
            let mut v = view_state.get_untracked();
            if !v.statuses.contains(&r.status) {
                v.statuses.push(r.status);
            }
            let mut pos = ordered(&c, &v).iter().position(|&i| i == row);
            if pos.is_none() {
                v.filter.clear();
                pos = ordered(&c, &v).iter().position(|&i| i == row);
            }
            v.page = pos.map(|p| p / PAGE).unwrap_or(0);
            v.row = Some(row);
            apply.run(v);
            browser::scroll_into_view("selected-row");
        }
    });
    // The chart names its bars by display name.
    let select_named = Callback::new({
        let c = c.clone();
        move |display: String| {
            if let Some(i) = c.rows.iter().position(|r| r.display == display) {
                select.run(i);
            }
        }
    });
    let page = Signal::derive(move || view_state.with(|v| v.page));
    let set_page = Callback::new(move |p: usize| {
        let mut v = view_state.get_untracked();
        v.page = p;
        apply.run(v);
    });
    let sort_by = move |col: Col| {
        let mut v = view_state.get_untracked();
        if v.sort_column() == col {
            v.reverse = !v.reverse;
        } else {
            v.sort = Some(col);
            v.reverse = false;
        }
        v.page = 0;
        apply.run(v);
    };
    let counts = chip_counts(&s.counts);
    let scale_note = if s.normalized {
        format!("candidate scaled ×{:.4}", s.scale)
    } else {
        "absolute times".to_string()
    };
    let selected = Signal::derive(move || view_state.with(|v| v.row));
    let selected_name = Signal::derive({
        let c = c.clone();
        move || {
            selected
                .get()
                .and_then(|i| c.rows.get(i))
                .map(|r| r.display.clone())
        }
    });
    let rows_c = c.clone();
    view! {
        <section class="card">
            <dl class="cards" data-testid="summary-cards">
                {card(
                    "Total time",
                    format!("{} → {}", fmt::secs(s.baseline.total_time), fmt::secs(s.candidate.total_time)),
                    format!("{} ({})", fmt::signed_secs(s.delta_time), fmt::pct(s.delta_pct)),
                    if s.delta_time > 0.0 { "worse" } else if s.delta_time < 0.0 { "better" } else { "" },
                )}
                {card(
                    "Calls",
                    format!("{} → {}", fmt::count(s.baseline.total_calls), fmt::count(s.candidate.total_calls)),
                    fmt::signed_count(Some(s.candidate.total_calls.saturating_sub(s.baseline.total_calls))),
                    "",
                )}
                {card("Slower", fmt::count(s.counts.slower as i64), format!("≥ {} ms and ≥ {}%", s.min_ms, s.min_pct), "worse")}
                {card("Faster", fmt::count(s.counts.faster as i64), format!("{} unchanged", fmt::count(s.counts.unchanged as i64)), "better")}
                {card("New", fmt::count(s.counts.new as i64), "only in B".to_string(), "")}
                {card("Removed", fmt::count(s.counts.removed as i64), "only in A".to_string(), "")}
            </dl>
            <p class="muted small">{format!("Metric {} · {} · {} vs {} functions ({} vs {})", s.metric.as_str(), scale_note, fmt::count(s.baseline.functions as i64), fmt::count(s.candidate.functions as i64), s.baseline.producer.as_str(), s.candidate.producer.as_str())}</p>
        </section>
        <section class="card">
            <h2>"Largest changes"</h2>
            <DeltaChart regressions=s.top_regressions.clone() improvements=s.top_improvements.clone() selected=selected_name on_select=select_named/>
        </section>
        <section class="card">
            <div class="toolbar">
                <StatusChips counts view_state apply/>
                <FilterBox view_state apply/>
            </div>
            <div class="table-wrap">
                <table class="data diff" data-testid="diff-table" data-rows=move || order.with(Vec::len)>
                    <thead>
                        <tr class="groups">
                            {GROUPS.into_iter().map(|(g, n)| view! { <th colspan=n scope="colgroup" class=format!("group-{}", if g.is_empty() { "none" } else { g })>{g}</th> }).collect_view()}
                        </tr>
                        <tr>
                            {Col::all().map(|col| {
                                view! {
                                    <SortHeader
                                        label=col.label()
                                        title=col.title()
                                        numeric=col.is_numeric()
                                        active=Signal::derive(move || view_state.with(|v| v.sort_column() == col))
                                        descending=Signal::derive(move || view_state.with(|v| col.is_text() == v.reverse))
                                        on_sort=Callback::new(move |_| sort_by(col))
                                    />
                                }
                            }).collect_view()}
                        </tr>
                    </thead>
                    <tbody>
                        {move || {
                            let start = page.get() * PAGE;
                            let sel = selected.get();
                            order.with(|o| {
                                o.iter().skip(start).take(PAGE).map(|&i| {
                                    let r: &Row = &rows_c.rows[i];
                                    let is_sel = sel == Some(i);
                                    view! {
                                        <tr
                                            class=format!("row-{}", r.status.as_str())
                                            class:selected=is_sel
                                            id=is_sel.then_some("selected-row")
                                            tabindex="0"
                                            data-testid="diff-row"
                                            data-status=r.status.as_str()
                                            data-row=i
                                            on:click=move |_| select.run(i)
                                            on:keydown=move |ev| if ev.key() == "Enter" { select.run(i) }
                                        >
                                            {Col::all().map(|col| {
                                                let text = col.cell(r);
                                                match col {
                                                    Col::Function => view! { <td class="fn" title=r.baseline_function.as_ref().map(|b| format!("baseline: {}:{}({})", b.file, b.line, b.name))>{text}</td> }.into_any(),
                                                    Col::Status => view! { <td>{status_chip(r.status)}</td> }.into_any(),
                                                    Col::Match => view! { <td class="match">{text}</td> }.into_any(),
                                                    col => view! { <td class="num" data-col=col.id() title=col.exact(r)>{text}</td> }.into_any(),
                                                }
                                            }).collect_view()}
                                        </tr>
                                    }
                                }).collect_view()
                            })
                        }}
                    </tbody>
                </table>
            </div>
            <Pager page set_page total=Signal::derive(move || order.with(Vec::len)) size=PAGE/>
            {move || {
                let hidden = view_state.with(|v| !v.statuses.contains(&Status::Unchanged));
                (hidden && s.counts.unchanged > 0).then(|| view! {
                    <p class="muted small">{format!("{} unchanged functions hidden; toggle the “unchanged” chip to see them.", fmt::count(s.counts.unchanged as i64))}</p>
                })
            }}
        </section>
        <EdgePanel view_state ctx/>
    }
}

/// The selected row's callers and callees on both sides.
#[component]
fn EdgePanel(view_state: Memo<ViewState>, ctx: SessionCtx) -> impl IntoView {
    let edges = RwSignal::new(None::<Result<Edges, String>>);
    let key = Memo::new(move |_| view_state.with(|v| (v.req.clone(), v.row)));
    Effect::new(move |_| {
        let (req, row) = key.get();
        let (Some(row), Some(session)) = (row, ctx.id.get_untracked()) else {
            edges.set(None);
            return;
        };
        edges.set(Some(Err(String::new())));
        spawn_local(async move {
            let r = compare_edges(session, req, row)
                .await
                .map_err(|e| ctx.error(e));
            edges.set(Some(r));
        });
    });
    let table = |title: &'static str, rows: Vec<EdgeRow>| {
        view! {
            <div class="edge-table">
                <h4>{title}</h4>
                {if rows.is_empty() {
                    view! { <p class="muted">"none"</p> }.into_any()
                } else {
                    view! {
                        <table class="data">
                            <thead><tr>
                                <th class="num">"Δ cumtime"</th><th class="num">"calls A"</th><th class="num">"calls B"</th>
                                <th class="num">"cumtime A"</th><th class="num">"cumtime B"</th><th>"function"</th>
                            </tr></thead>
                            <tbody>
                                {rows.into_iter().map(|r| {
                                    let calls = |s: &Option<crate::engine::compare::edges::EdgeStats>| s.as_ref().map(|s| fmt::count(s.ncalls)).unwrap_or_else(|| "—".into());
                                    let cum = |s: &Option<crate::engine::compare::edges::EdgeStats>| s.as_ref().and_then(|s| s.cumtime).map(fmt::secs).unwrap_or_else(|| "—".into());
                                    view! {
                                        <tr class={if r.delta_cumtime > 0.0 { "worse" } else if r.delta_cumtime < 0.0 { "better" } else { "" }}>
                                            <td class="num">{fmt::signed_secs(r.delta_cumtime)}</td>
                                            <td class="num">{calls(&r.baseline)}</td>
                                            <td class="num">{calls(&r.candidate)}</td>
                                            <td class="num">{cum(&r.baseline)}</td>
                                            <td class="num">{cum(&r.candidate)}</td>
                                            <td class="fn">{r.display}</td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any()
                }}
            </div>
        }
    };
    view! {
        <section class="card" data-testid="edge-diff">
            <h2>"Callers and callees"</h2>
            {move || match edges.get() {
                None => view! { <p class="muted">"Select a row or a bar to see how its callers and callees changed."</p> }.into_any(),
                Some(Err(e)) if e.is_empty() => view! { <p class="loading">"Loading edges…"</p> }.into_any(),
                Some(Err(e)) => view! { <p class="error" role="alert">{e}</p> }.into_any(),
                Some(Ok(e)) => view! {
                    <h3 class="fn" data-testid="edge-function">{e.function.clone()}</h3>
                    <div class="split">
                        {table("Called by", e.callers)}
                        {table("Calls", e.callees)}
                    </div>
                }.into_any(),
            }}
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Profile;
    use crate::engine::compare::{Options, compare};

    fn pair() -> Comparison {
        let read = |name: &str| {
            let path = format!(
                "{}/tests/fixtures/compare/{name}",
                env!("CARGO_MANIFEST_DIR")
            );
            Profile::parse(&std::fs::read(path).unwrap()).unwrap()
        };
        compare(
            &read("before_3.11.prof"),
            &read("after_3.11.prof"),
            &Options::default(),
        )
    }

    fn names(c: &Comparison, v: &ViewState) -> Vec<String> {
        ordered(c, v)
            .iter()
            .map(|&i| c.rows[i].function.name.clone())
            .collect()
    }

    #[test]
    fn default_view_hides_unchanged_and_puts_regressions_first() {
        let c = pair();
        let v = ViewState::default();
        assert_eq!(
            names(&c, &v),
            ["regress", "added_fn", "work", "removed_fn", "improve"]
        );
        let all = ViewState {
            statuses: Status::ALL.to_vec(),
            ..ViewState::default()
        };
        assert_eq!(ordered(&c, &all).len(), 12);
    }

    #[test]
    fn sorting_is_signed_and_puts_missing_values_last() {
        let c = pair();
        let by_pct = ViewState {
            sort: Some(Col::DeltaPct),
            ..ViewState::default()
        };
        // new and removed have no relative change: last, whichever the direction.
        assert_eq!(
            names(&c, &by_pct),
            ["regress", "work", "improve", "added_fn", "removed_fn"]
        );
        let reversed = ViewState {
            reverse: true,
            ..by_pct
        };
        assert_eq!(
            names(&c, &reversed),
            ["improve", "work", "regress", "added_fn", "removed_fn"]
        );
        let by_name = ViewState {
            sort: Some(Col::Function),
            ..ViewState::default()
        };
        let sorted = names(&c, &by_name);
        // by display: src/a/… (removed) before src/b/…, then by line.
        assert_eq!(sorted.first().unwrap(), "removed_fn");
        let by_status = ViewState {
            sort: Some(Col::Status),
            ..ViewState::default()
        };
        let statuses: Vec<Status> = ordered(&c, &by_status)
            .iter()
            .map(|&i| c.rows[i].status)
            .collect();
        assert_eq!(
            statuses,
            [
                Status::Slower,
                Status::New,
                Status::Faster,
                Status::Faster,
                Status::Removed
            ]
        );
    }

    #[test]
    fn filters_by_status_and_text() {
        let c = pair();
        let v = ViewState {
            statuses: vec![Status::New, Status::Removed],
            ..ViewState::default()
        };
        assert_eq!(names(&c, &v), ["added_fn", "removed_fn"]);
        let v = ViewState {
            filter: "SHOP.PY:24".into(),
            ..ViewState::default()
        };
        assert_eq!(names(&c, &v), ["improve"]);
    }

    #[test]
    fn cells_show_contract_values_with_units() {
        let c = pair();
        let r = c
            .rows
            .iter()
            .find(|r| r.function.name == "regress")
            .unwrap();
        assert_eq!(Col::RatioTottime.cell(r), "2.75×");
        assert_eq!(Col::DeltaPct.cell(r), "+175%");
        assert_eq!(Col::Match.cell(r), "path");
        assert_eq!(Col::parse("a.ncalls").unwrap().cell(r), "3");
        let added = c
            .rows
            .iter()
            .find(|r| r.function.name == "added_fn")
            .unwrap();
        let a_tottime = Col::parse("a.tottime").unwrap();
        assert_eq!(a_tottime.cell(added), "—");
        assert_eq!(a_tottime.value(added), None);
        assert_eq!(Col::all().count(), 24);
    }
}
