//! How they are compared (metric, normalisation, thresholds) and the exports.

use leptos::prelude::*;

use super::columns::Col;
use super::profile_name;
use super::server::export_comparison;
use super::state::ViewState;
use crate::engine::compare::Metric;
use crate::engine::compare::export::Format;
use crate::model::{Access, CompareRequest, Mode, ProfileId, ShareTarget};
use crate::ui::browser;
use crate::ui::viewer::Viewer;

/// Metric, normalisation, thresholds, exports.
#[component]
pub fn Options(view_state: Memo<ViewState>, apply: Callback<ViewState>) -> impl IntoView {
    let ctx = Viewer::use_ctx();
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
    // One export at a time; its outcome is `(ok, message)`. A local action: the clipboard
    // and the download are the browser's.
    let exporting = Action::new_local(move |job: &ExportJob| {
        let job = job.clone();
        async move { job.run(ctx).await }
    });
    let export = move |format: Format| {
        let Some(access) = ctx.access.get_untracked() else {
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
        exporting.dispatch(ExportJob {
            access,
            sort: v.sort_column(),
            reverse: v.reverse,
            req: v.req,
            format,
            file_stem: format!("profdiff-{names}"),
        });
    };
    let status = move || {
        if exporting.pending().get() {
            let ext = exporting
                .input()
                .with(|j| j.as_ref().map(|j| j.ext()))
                .unwrap_or("");
            return Some((true, format!("exporting {ext}…")));
        }
        exporting.value().get()
    };
    let mode = move || view_state.with(|v| v.req.mode);
    // *Share* snapshots the compared profiles and keeps the whole view in the link.
    let share_target = Signal::derive(move || {
        view_state.with(|v| {
            v.req.is_complete().then(|| ShareTarget::Compare {
                req: v.req.clone(),
                query: v.to_query(),
            })
        })
    });
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
                <Show when=move || mode() == Mode::Runs>
                    <label class="field" title="the test behind each function's p-value">
                        <span>"Test"</span>
                        <select
                            data-testid="runs-test"
                            on:change=move |ev| if let Some(t) = crate::engine::stats::TestKind::parse(&event_target_value(&ev)) { change(Box::new(move |v| v.req.test = t)) }
                        >
                            <option value="mann-whitney-u" selected=move || view_state.with(|v| v.req.test == crate::engine::stats::TestKind::MannWhitneyU)>"Mann–Whitney U (ranks)"</option>
                            <option value="welch-t" selected=move || view_state.with(|v| v.req.test == crate::engine::stats::TestKind::WelchT)>"Welch's t (means)"</option>
                        </select>
                    </label>
                    <label class="field small" title="significance level: a change counts only if its q-value (Mann–Whitney U p-value, Benjamini–Hochberg adjusted over all functions) is below this">
                        <span>"α"</span>
                        <input
                            type="number"
                            min="0.001"
                            max="0.5"
                            step="any"
                            data-testid="alpha"
                            prop:value=move || view_state.with(|v| v.req.alpha.to_string())
                            on:change=move |ev| if let Some(x) = number(&ev).filter(|x| *x > 0.0 && *x < 1.0) { change(Box::new(move |v| v.req.alpha = x)) }
                        />
                    </label>
                </Show>
                <div class="exports">
                    <button type="button" class="btn" data-testid="export-markdown" on:click=move |_| export(Format::Markdown)>"Copy Markdown"</button>
                    <button type="button" class="btn" data-testid="export-csv" on:click=move |_| export(Format::Csv)>"CSV"</button>
                    <button type="button" class="btn" data-testid="export-json" on:click=move |_| export(Format::Json)>"JSON"</button>
                    <button type="button" class="btn" data-testid="export-html" title="one HTML file that opens offline: summary, chart, flame graph, sortable table" on:click=move |_| export(Format::Html)>"Download report"</button>
                    {(!ctx.read_only()).then(|| view! { <crate::ui::share::ShareButton target=share_target/> })}
                </div>
            </div>
            {move || status().map(|(ok, m)| view! { <p class={if ok { "ok" } else { "error" }} role="status" data-testid="export-status">{m}</p> })}
        </section>
    }
}

/// One export: what to export and where it goes.
#[derive(Clone)]
struct ExportJob {
    access: Access,
    req: CompareRequest,
    format: Format,
    sort: Col,
    reverse: bool,
    file_stem: String,
}

impl ExportJob {
    fn ext(&self) -> &'static str {
        match self.format {
            Format::Csv => "csv",
            Format::Json => "json",
            Format::Html => "html",
            _ => "md",
        }
    }

    /// Asks the server for the text, then copies it (Markdown) or saves it (CSV, JSON).
    async fn run(self, ctx: Viewer) -> (bool, String) {
        let ext = self.ext();
        let text =
            match export_comparison(self.access, self.req, self.format, self.sort, self.reverse)
                .await
            {
                Ok(text) => text,
                Err(e) => return (false, ctx.error(e)),
            };
        match self.format {
            Format::Markdown => match browser::copy_text(&text).await {
                Ok(()) => (
                    true,
                    format!(
                        "Markdown copied to the clipboard ({} lines)",
                        text.lines().count()
                    ),
                ),
                Err(e) => (false, e),
            },
            format => {
                let mime = match format {
                    Format::Csv => "text/csv",
                    Format::Html => "text/html",
                    _ => "application/json",
                };
                browser::save_text(&format!("{}.{ext}", self.file_stem), mime, &text);
                (true, format!("{} saved", ext.to_ascii_uppercase()))
            }
        }
    }
}
