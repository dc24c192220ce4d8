//! One profile: its summary and the pstats table, sortable on every column, filtered by
//! substring or regular expression, paged so 50,000 rows never freeze the tab; clicking a
//! function shows its callers and callees with pstats' per-edge numbers.

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

use crate::engine::FunctionKey;
use crate::engine::compare::{FunctionRef, Options};
use crate::ui::flame::FlameCard;

use super::browser;
use super::fmt;
use super::viewer::Viewer;
use super::widgets::{Pager, SortHeader, TextFilter};
use crate::model::{
    Access, AppError, EdgeLine, FunctionEdges, FunctionRow, ProfileId, ProfileTable, ShareTarget,
};

/// Every function of a profile.
#[server(prefix = "/fn")]
pub async fn get_profile_table(access: Access, id: ProfileId) -> Result<ProfileTable, AppError> {
    use crate::server::{AppState, service};
    service::table(&AppState::from_context()?, access, id).await
}

/// Callers and callees of the function at `index`.
#[server(prefix = "/fn")]
pub async fn get_function_edges(
    access: Access,
    id: ProfileId,
    index: u32,
) -> Result<FunctionEdges, AppError> {
    use crate::server::{AppState, service};
    service::function_edges(&AppState::from_context()?, access, id, index as usize).await
}

/// Columns of the pstats table.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Col {
    Ncalls,
    Tottime,
    TotPer,
    Cumtime,
    CumPer,
    Function,
}

fn per(t: f64, n: Option<i64>) -> Option<f64> {
    n.filter(|n| *n > 0).map(|n| t / n as f64)
}

/// A numeric column's value (`None`: not recorded, sorts last).
fn key(r: &FunctionRow, col: Col) -> Option<f64> {
    match col {
        Col::Ncalls => r.ncalls.map(|n| n as f64),
        Col::Tottime => Some(r.tottime),
        Col::TotPer => per(r.tottime, r.ncalls),
        Col::Cumtime => Some(r.cumtime),
        Col::CumPer => per(r.cumtime, r.pcalls),
        Col::Function => None,
    }
}

const PAGE: usize = 100;

#[component]
pub fn ProfilePage() -> impl IntoView {
    let params = use_params_map();
    let pid =
        Memo::new(move |_| params.with(|p| p.get("id").and_then(|id| ProfileId::parse(&id).ok())));
    view! { <ProfileView pid/> }
}

/// One profile of the [`Viewer`]'s (the tab's session, or a share's snapshot).
#[component]
pub fn ProfileView(#[prop(into)] pid: Signal<Option<ProfileId>>) -> impl IntoView {
    let ctx = Viewer::use_ctx();
    // `None` while the tab has no session yet.
    let table = LocalResource::new(move || {
        let (session, pid) = (ctx.access.get(), pid.get());
        async move {
            let Some(id) = pid else {
                return Err(AppError::NotFound(
                    "no such profile: the address does not name one".into(),
                ));
            };
            let Some(session) = session else {
                return Ok(None);
            };
            get_profile_table(session, id)
                .await
                .map(Some)
                .map_err(|e| ctx.check(e))
        }
    });
    let loading = || view! { <p class="loading" data-testid="loading">"Loading profile…"</p> };
    view! {
        <Suspense fallback=loading>
            {move || Suspend::new(async move {
                match table.await {
                    Ok(None) => loading().into_any(),
                    Ok(Some(t)) => view! { <ProfileTableView pid=t.summary.id table=t/> }.into_any(),
                    Err(e) => view! {
                        <div class="card">
                            <p class="error" role="alert">{e.to_string()}</p>
                            {(!ctx.read_only()).then(|| view! { <A href="/">"Back to the profile list"</A> })}
                        </div>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn ProfileTableView(table: ProfileTable, pid: ProfileId) -> impl IntoView {
    let ctx = Viewer::use_ctx();
    let ProfileTable { summary, rows } = table;
    let rows = StoredValue::new(rows);
    let sort = RwSignal::new((Col::Cumtime, false));
    let filter = RwSignal::new(String::new());
    let regex = RwSignal::new(false);
    let page = RwSignal::new(0usize);
    let selected = RwSignal::new(None::<u32>);
    let flame_zoom = RwSignal::new(0u32);
    let flame_q = RwSignal::new(String::new());

    let filter_error = Memo::new(move |_| TextFilter::new(&filter.get(), regex.get()).err());
    // Row positions to show, in order: filtered, then sorted.
    let order = Memo::new(move |_| {
        let (col, reversed) = sort.get();
        // An invalid regular expression shows every row (and its error).
        let text = TextFilter::new(&filter.get(), regex.get()).unwrap_or_default();
        rows.with_value(|rows| {
            let mut idx: Vec<usize> = (0..rows.len())
                .filter(|&i| text.matches(&rows[i].display))
                .collect();
            if col == Col::Function {
                let names: Vec<&str> = rows.iter().map(|r| r.display.as_str()).collect();
                crate::ui::order::by_text(&mut idx, &names, reversed);
            } else {
                let keys: Vec<Option<f64>> = rows.iter().map(|r| key(r, col)).collect();
                crate::ui::order::by_number(&mut idx, &keys, false, reversed);
            }
            idx
        })
    });
    Effect::new(move |_| {
        order.with(|_| ());
        page.set(0);
    });
    // `None`: nothing selected.
    let edges = LocalResource::new(move || {
        let (index, session) = (selected.get(), ctx.access.get_untracked());
        async move {
            let (Some(index), Some(session)) = (index, session) else {
                return Ok(None);
            };
            get_function_edges(session, pid, index)
                .await
                .map(Some)
                .map_err(|e| ctx.check(e))
        }
    });
    let select = Callback::new(move |i: u32| {
        selected.set(Some(i));
        browser::scroll_into_view("edges");
    });
    let header = move |label: &'static str, col: Col, title: &'static str| {
        view! {
            <SortHeader
                label
                title
                active=Signal::derive(move || sort.get().0 == col)
                // Names sort A→Z first, numbers largest first.
                descending=Signal::derive(move || sort.get().1 == (col == Col::Function))
                on_sort=Callback::new(move |_| sort.update(|s| *s = if s.0 == col { (col, !s.1) } else { (col, false) }))
            />
        }
    };
    let total = summary.total_time;
    // Sampled profiles count samples: on the stack / running, as profiling.sampling prints.
    let (calls_label, calls_title) = if summary.is_sampled() {
        (
            "samples",
            "samples with the function on the stack / running it",
        )
    } else {
        ("ncalls", "calls (total/primitive when recursive)")
    };
    view! {
        <section class="card">
            <div class="card-head">
                <h2 class="profile-title" data-testid="profile-name">{summary.name.clone()}</h2>
                {(!ctx.read_only()).then(|| view! {
                    <crate::ui::share::ShareButton target=Signal::stored(Some(ShareTarget::Profile { id: pid }))/>
                    <A href="/">"← Profiles"</A>
                })}
            </div>
            <dl class="cards">
                <div class="stat"><dt>"Producer"</dt><dd>{summary.label()}</dd></div>
                <div class="stat"><dt>"Functions"</dt><dd>{fmt::count(summary.functions as i64)}</dd></div>
                {match summary.samples {
                    Some(n) => view! { <div class="stat"><dt>"Samples"</dt><dd title="ncalls below: samples on the stack / samples running">{fmt::count(n.min(i64::MAX as u64) as i64)}</dd></div> }.into_any(),
                    None => view! { <div class="stat"><dt>"Calls"</dt><dd title=format!("{} primitive", fmt::count(summary.primitive_calls))>{fmt::count(summary.total_calls)}</dd></div> }.into_any(),
                }}
                {if summary.samples.is_some() && summary.interval.is_none() {
                    view! { <div class="stat"><dt>"Total time"</dt><dd title="the file does not say the sampling interval: times below are sample counts">"in samples"</dd></div> }.into_any()
                } else {
                    view! { <div class="stat"><dt>"Total time"</dt><dd title=format!("{total} s")>{fmt::secs(total)}</dd></div> }.into_any()
                }}
                <div class="stat"><dt>"Size"</dt><dd>{fmt::bytes(summary.size_bytes)}</dd></div>
            </dl>
        </section>
        <div class="with-side">
        <section class="card">
            <div class="toolbar">
                <label class="field grow">
                    <span>"Filter"</span>
                    <input
                        type="search"
                        placeholder="function, file or path"
                        data-testid="filter"
                        prop:value=move || filter.get()
                        on:input=move |ev| filter.set(event_target_value(&ev))
                    />
                </label>
                <label class="check">
                    <input type="checkbox" data-testid="filter-regex" prop:checked=move || regex.get() on:change=move |ev| regex.set(event_target_checked(&ev))/>
                    "regex"
                </label>
                <span class="muted" data-testid="row-count">
                    {move || format!("{} of {} functions", order.with(Vec::len), rows.with_value(Vec::len))}
                </span>
            </div>
            {move || filter_error.get().map(|e| view! { <p class="error" role="alert" data-testid="filter-error">{e}</p> })}
            <div class="table-wrap">
                <table class="data pstats" data-testid="pstats-table">
                    <thead>
                        <tr>
                            {header(calls_label, Col::Ncalls, calls_title)}
                            {header("tottime", Col::Tottime, "time in the function itself")}
                            {header("percall", Col::TotPer, "tottime / ncalls")}
                            {header("cumtime", Col::Cumtime, "time including callees")}
                            {header("percall", Col::CumPer, "cumtime / primitive calls")}
                            {header("function", Col::Function, "file:line(function)")}
                        </tr>
                    </thead>
                    <tbody>
                        {move || {
                            let start = page.get() * PAGE;
                            order.with(|o| {
                                rows.with_value(|rows| {
                                    o.iter().skip(start).take(PAGE).map(|&i| {
                                        let r = &rows[i];
                                        let index = r.index;
                                        view! {
                                            <tr
                                                class:selected=move || selected.get() == Some(index)
                                                tabindex="0"
                                                on:click=move |_| select.run(index)
                                                on:keydown=move |ev| if ev.key() == "Enter" { select.run(index) }
                                            >
                                                <td class="num">{fmt::ncalls(r.ncalls, r.pcalls)}</td>
                                                <td class="num" title=format!("{} s", r.tottime)>{fmt::secs(r.tottime)}</td>
                                                <td class="num">{per(r.tottime, r.ncalls).map(fmt::secs).unwrap_or_else(|| "—".into())}</td>
                                                <td class="num" title=format!("{} s", r.cumtime)>{fmt::secs(r.cumtime)}</td>
                                                <td class="num">{per(r.cumtime, r.pcalls).map(fmt::secs).unwrap_or_else(|| "—".into())}</td>
                                                <td class="fn" data-testid="fn-cell">{r.display.clone()}</td>
                                            </tr>
                                        }
                                    }).collect_view()
                                })
                            })
                        }}
                    </tbody>
                </table>
            </div>
            <Pager page=page.into() set_page=Callback::new(move |p| page.set(p)) total=Signal::derive(move || order.with(Vec::len)) size=Signal::stored(PAGE)/>
        </section>
        <section class="card side-panel" id="edges" data-testid="edges">
            <Suspense fallback=|| view! { <p class="loading">"Loading callers and callees…"</p> }>
                {move || Suspend::new(async move {
                    match edges.await {
                        Ok(None) => view! { <p class="muted">"Click a function to see its callers and callees."</p> }.into_any(),
                        Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                        Ok(Some(e)) => view! {
                            <h3 class="fn">{e.display.clone()}</h3>
                            <div class="split">
                                <EdgeTable title="Called by" lines=e.callers select/>
                                <EdgeTable title="Calls" lines=e.callees select/>
                            </div>
                        }.into_any(),
                    }
                })}
            </Suspense>
        </section>
        </div>
        <FlameCard
            a=Signal::derive(move || Some(pid))
            b=Signal::derive(|| None)
            options=Signal::derive(Options::default)
            zoom=flame_zoom
            on_zoom=Callback::new(move |n| flame_zoom.set(n))
            query=flame_q
            on_query=Callback::new(move |q| flame_q.set(q))
            picked=Signal::derive(move || {
                selected.get().and_then(|i| rows.with_value(|rows| {
                    rows.iter().find(|r| r.index == i).map(|r| vec![FunctionRef { file: r.file.as_str().into(), line: r.line, name: r.name.as_str().into() }])
                })).unwrap_or_default()
            })
            on_pick=Callback::new(move |(k, node): (FunctionKey, u32)| {
                flame_zoom.set(node);
                let hit = rows.with_value(|rows| {
                    rows.iter().find(|r| *r.name == *k.name && *r.file == *k.file && r.line == k.line).map(|r| r.index)
                });
                // The table row and the callers/callees follow a task later, so the zoom
                // is drawn first.
                if let Some(i) = hit {
                    set_timeout(move || select.run(i), std::time::Duration::ZERO);
                }
            })
        />
    }
}

#[component]
fn EdgeTable(title: &'static str, lines: Vec<EdgeLine>, select: Callback<u32>) -> impl IntoView {
    let empty = lines.is_empty();
    view! {
        <div class="edge-table">
            <h4>{title}</h4>
            {if empty {
                view! { <p class="muted">"none"</p> }.into_any()
            } else {
                view! {
                    <table class="data">
                        <thead><tr><th class="num">"ncalls"</th><th class="num">"tottime"</th><th class="num">"cumtime"</th><th>"function"</th></tr></thead>
                        <tbody>
                            {lines.into_iter().map(|l| {
                                let index = l.index;
                                view! {
                                    <tr>
                                        <td class="num">{match l.pcalls { Some(c) if c != l.ncalls => format!("{}/{}", l.ncalls, c), _ => l.ncalls.to_string() }}</td>
                                        <td class="num">{l.tottime.map(fmt::secs).unwrap_or_else(|| "—".into())}</td>
                                        <td class="num">{l.cumtime.map(fmt::secs).unwrap_or_else(|| "—".into())}</td>
                                        <td class="fn">
                                            {match index {
                                                Some(i) => view! { <button type="button" class="link" on:click=move |_| select.run(i)>{l.display.clone()}</button> }.into_any(),
                                                None => view! { <span>{l.display.clone()}</span> }.into_any(),
                                            }}
                                        </td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }}
        </div>
    }
}
