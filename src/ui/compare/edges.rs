//! The selected row's callers and callees on both sides, with how each edge changed.

use leptos::prelude::*;

use super::server::compare_edges;
use super::state::ViewState;
use crate::engine::compare::edges::{EdgeRow, EdgeStats};
use crate::model::AppError;
use crate::ui::fmt;
use crate::ui::viewer::Viewer;

/// The selected row's callers and callees on both sides.
#[component]
pub fn EdgePanel(view_state: Memo<ViewState>) -> impl IntoView {
    let ctx = Viewer::use_ctx();
    let key = Memo::new(move |_| view_state.with(|v| (v.req.clone(), v.row)));
    // `None`: no row selected (or no session yet), nothing to load.
    let edges = LocalResource::new(move || {
        let ((req, row), session) = (key.get(), ctx.access.get());
        async move {
            let (Some(row), Some(session)) = (row, session) else {
                return Ok(None);
            };
            compare_edges(session, req, row)
                .await
                .map(Some)
                .map_err(|e| ctx.check(e))
        }
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
                                    let calls = |s: &Option<EdgeStats>| s.as_ref().map(|s| fmt::count(s.ncalls)).unwrap_or_else(|| "—".into());
                                    let cum = |s: &Option<EdgeStats>| s.as_ref().and_then(|s| s.cumtime).map(fmt::secs).unwrap_or_else(|| "—".into());
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
            <Suspense fallback=|| view! { <p class="loading">"Loading edges…"</p> }>
                {move || Suspend::new(async move {
                    match edges.await {
                        Ok(None) => view! { <p class="muted">"Select a row or a bar to see how its callers and callees changed."</p> }.into_any(),
                        Err(e) => error_line(e).into_any(),
                        Ok(Some(e)) => view! {
                            <h3 class="fn" data-testid="edge-function">{e.function.clone()}</h3>
                            <div class="split">
                                {table("Called by", e.callers)}
                                {table("Calls", e.callees)}
                            </div>
                        }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

fn error_line(e: AppError) -> impl IntoView {
    view! { <p class="error" role="alert">{e.to_string()}</p> }
}
