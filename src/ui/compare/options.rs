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

/// `view_state` changed by `f`, from its first page, applied.
fn changed(
    view_state: Memo<ViewState>,
    apply: Callback<ViewState>,
    f: impl FnOnce(&mut ViewState),
) {
    let mut v = view_state.get_untracked();
    f(&mut v);
    v.page = 0;
    apply.run(v);
}

/// A threshold input: shows `get` of the view; a change to a finite number ≥ 0 that
/// `accept` allows is applied through `set` (anything else is left unapplied). Plain `fn`s,
/// not closures, so every field is one compiled view.
#[component]
fn NumberField(
    view_state: Memo<ViewState>,
    apply: Callback<ViewState>,
    label: &'static str,
    title: &'static str,
    testid: &'static str,
    min: &'static str,
    #[prop(optional)] max: Option<&'static str>,
    get: fn(&ViewState) -> f64,
    set: fn(&mut ViewState, f64),
    accept: fn(f64) -> bool,
) -> impl IntoView {
    let on_change = move |ev: leptos::ev::Event| {
        let parsed = event_target_value(&ev).trim().parse::<f64>().ok();
        if let Some(x) = parsed.filter(|x| x.is_finite() && *x >= 0.0 && accept(*x)) {
            changed(view_state, apply, |v| set(v, x));
        }
    };
    view! {
        <label class="field small" title=title>
            <span>{label}</span>
            <input
                type="number"
                min=min
                max=max
                step="any"
                data-testid=testid
                prop:value=move || view_state.with(|v| get(v).to_string())
                on:change=on_change
            />
        </label>
    }
}

/// Metric, normalisation, thresholds, exports.
#[component]
pub fn Options(view_state: Memo<ViewState>, apply: Callback<ViewState>) -> impl IntoView {
    let ctx = Viewer::use_ctx();
    let change = move |f: Box<dyn FnOnce(&mut ViewState)>| changed(view_state, apply, f);
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
                    <NumberField
                        view_state=view_state
                        apply=apply
                        label="min ms"
                        title="a change counts when |Δ| is at least this many milliseconds"
                        testid="min-ms"
                        min="0"
                        get=|v| v.req.min_ms
                        set=|v, x| v.req.min_ms = x
                        accept=|_| true
                    />
                    <NumberField
                        view_state=view_state
                        apply=apply
                        label="min %"
                        title="…and |Δ%| is at least this many percent"
                        testid="min-pct"
                        min="0"
                        get=|v| v.req.min_pct
                        set=|v, x| v.req.min_pct = x
                        accept=|_| true
                    />
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
                    <NumberField
                        view_state=view_state
                        apply=apply
                        label="α"
                        title="significance level: a change counts only if its q-value (the test's p-value, Benjamini–Hochberg adjusted over all functions) is below this"
                        testid="alpha"
                        min="0.001"
                        max="0.5"
                        get=|v| v.req.alpha
                        set=|v, x| v.req.alpha = x
                        accept={|x| x > 0.0 && x < 1.0}
                    />
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
