//! Flame graphs in the web app: one profile's (the profile page) and the differential one of
//! a comparison. Frames are absolutely positioned boxes, only those at least half a pixel
//! wide at the current zoom (so a 50,000-function profile draws a few thousand), with one
//! listener each for clicks, hovers and keys on the whole graph.
//!
//! Click a frame to zoom into it (the breadcrumb goes back); hover or move with the arrow
//! keys for its numbers; Enter zooms to the focused frame, Escape back to the root. The
//! search box marks matching frames and says how many match and what share of the time
//! they hold. Picking a frame selects its function elsewhere (the diff table's row), and a
//! selected function is outlined here.

use std::collections::HashSet;
use std::sync::Arc;

use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use crate::engine::FunctionKey;
use crate::engine::compare::{FunctionRef, Options};
use crate::engine::flame::{ChangeBy, FlameTree, OTHER, ROOT};
use crate::engine::flame_svg::{self, Palette, SizeBy};
use crate::model::{Access, AppError, ProfileId};
use crate::ui::browser;
use crate::ui::viewer::Viewer;
use crate::ui::widgets::TextFilter;

/// The call tree of profile `a`, or the union tree of `a` (baseline) and `b`.
#[server(prefix = "/fn", input = Json)]
pub async fn load_flame(
    access: Access,
    a: ProfileId,
    b: Option<ProfileId>,
    normalize: bool,
) -> Result<FlameTree, AppError> {
    use crate::server::{AppState, service};
    let state = AppState::from_context()?;
    service::flame(&state, access, a, b, normalize).await
}

/// The differential flame graph of runs: each side's runs merged, per run.
#[server(prefix = "/fn", input = Json)]
pub async fn load_flame_runs(
    access: Access,
    a: Vec<ProfileId>,
    b: Vec<ProfileId>,
) -> Result<FlameTree, AppError> {
    use crate::server::{AppState, service};
    let state = AppState::from_context()?;
    service::flame_runs(&state, access, &a, &b).await
}

/// Row height in pixels.
const ROW: f64 = 18.0;
/// Frames narrower than this share of the graph are not drawn.
const MIN_SHARE: f64 = 0.0005;

/// A flame-graph card that loads its tree; `zoom` and `query` are the caller's (the
/// comparison keeps them in the permalink).
#[component]
pub fn FlameCard(
    #[prop(into)] a: Signal<Option<ProfileId>>,
    #[prop(into)] b: Signal<Option<ProfileId>>,
    #[prop(into)] options: Signal<Options>,
    #[prop(into)] zoom: Signal<u32>,
    on_zoom: Callback<u32>,
    #[prop(into)] query: Signal<String>,
    on_query: Callback<String>,
    #[prop(into)] picked: Signal<Vec<FunctionRef>>,
    on_pick: Callback<(FunctionKey, u32)>,
    /// Runs mode: the runs of each side (merged per side, per run) instead of `a` and `b`.
    #[prop(optional, into)]
    runs: Option<Signal<(Vec<ProfileId>, Vec<ProfileId>)>>,
    /// Runs mode: the functions whose change is significant; every other frame is grey.
    #[prop(optional)]
    significant: Option<Arc<HashSet<FunctionKey>>>,
) -> impl IntoView {
    let ctx = Viewer::use_ctx();
    // The callers derive these from their whole view state, which changes with every sort,
    // filter and page of their tables: as memos they wake the graph only when they change
    // (each wake repaints, re-places or re-marks every node; 50,000-function trees have
    // hundreds of thousands).
    let options: Signal<Options> = Memo::new(move |_| options.get()).into();
    let zoom: Signal<u32> = Memo::new(move |_| zoom.get()).into();
    let query: Signal<String> = Memo::new(move |_| query.get()).into();
    let picked: Signal<Vec<FunctionRef>> = Memo::new(move |_| picked.get()).into();
    // A memo: the owner's view state changes with every zoom and search, the tree only
    // with the profiles or normalisation (refetching would also lose the keyboard focus).
    let key = Memo::new(move |_| {
        (
            ctx.access.get(),
            a.get(),
            b.get(),
            options.with(|o| o.normalize),
            runs.map(|r| r.get()),
        )
    });
    let tree = LocalResource::new(move || {
        let (session, a, b, normalize, runs) = key.get();
        async move {
            let Some(session) = session else {
                return Ok(None);
            };
            let loaded = match (runs, a) {
                (Some((ra, rb)), _) => load_flame_runs(session, ra, rb).await,
                (None, Some(a)) => load_flame(session, a, b, normalize).await,
                (None, None) => return Ok(None),
            };
            loaded.map(|t| Some(Arc::new(t))).map_err(|e| ctx.error(e))
        }
    });
    let two = move || b.with(Option::is_some) || runs.is_some();
    view! {
        <section class="card flame-card" data-testid="flame-card">
            <h2>{move || if runs.is_some() { "Differential flame graph of the mean run" } else if two() { "Differential flame graph" } else { "Flame graph" }}</h2>
            {significant.is_some().then(|| view! { <p class="muted" data-testid="flame-runs-note">"Each side's runs merged and divided by their count. Frames of functions whose change is not significant are grey."</p> })}
            <Transition fallback=|| view! { <p class="muted">"Building the call tree…"</p> }>
                {move || tree.get().map(|r| match r {
                    Ok(Some(t)) => view! { <FlameGraph tree=t options zoom on_zoom query on_query picked on_pick significant=significant.clone()/> }.into_any(),
                    Ok(None) => view! { <p class="muted">"Pick a profile."</p> }.into_any(),
                    Err(e) => view! { <p class="error" role="alert">{e}</p> }.into_any(),
                })}
            </Transition>
        </section>
    }
}

/// One drawn frame: node, left and width (shares of the graph), row.
#[derive(Clone, PartialEq)]
struct Placed {
    node: u32,
    left: f64,
    width: f64,
    row: usize,
    ancestor: bool,
}

/// The frames to draw when zoomed into `zoom`: its ancestors as full-width rows, then its
/// subtree (contiguous in pre-order) scaled to the width.
fn place(tree: &FlameTree, pos: &[(f64, f64)], zoom: u32) -> Vec<Placed> {
    let z = (zoom as usize).min(tree.nodes.len().saturating_sub(1));
    let mut out: Vec<Placed> = Vec::new();
    let chain = tree.ancestry(z as u32);
    for (row, &n) in chain[..chain.len() - 1].iter().enumerate() {
        out.push(Placed {
            node: n,
            left: 0.0,
            width: 1.0,
            row,
            ancestor: true,
        });
    }
    let base = chain.len() - 1;
    let (zx, zw) = pos[z];
    if zw <= 0.0 {
        return out;
    }
    let zd = tree.nodes[z].depth;
    for (i, (n, &(x, w))) in tree.nodes.iter().zip(pos).enumerate().skip(z) {
        if i > z && n.depth <= zd {
            break;
        }
        let width = w / zw;
        if width < MIN_SHARE {
            continue;
        }
        out.push(Placed {
            node: i as u32,
            left: (x - zx) / zw,
            width,
            row: base + (n.depth - zd) as usize,
            ancestor: false,
        });
    }
    out
}

#[component]
fn FlameGraph(
    tree: Arc<FlameTree>,
    options: Signal<Options>,
    zoom: Signal<u32>,
    on_zoom: Callback<u32>,
    query: Signal<String>,
    on_query: Callback<String>,
    picked: Signal<Vec<FunctionRef>>,
    on_pick: Callback<(FunctionKey, u32)>,
    significant: Option<Arc<HashSet<FunctionKey>>>,
) -> impl IntoView {
    let two = tree.sides == 2;
    // Runs mode: frames (by frame id) of functions whose change is not significant.
    let grey: Option<Arc<Vec<bool>>> =
        significant.map(|set| Arc::new(tree.frames.iter().map(|k| !set.contains(k)).collect()));
    let icicle = RwSignal::new(true);
    let by_candidate = RwSignal::new(false);
    let share = RwSignal::new(false);
    let colorblind = RwSignal::new(false);
    let hover: RwSignal<Option<u32>> = RwSignal::new(None);
    let focus: RwSignal<Option<u32>> = RwSignal::new(None);
    let size_by = Signal::derive(move || {
        if by_candidate.get() {
            SizeBy::Candidate
        } else {
            SizeBy::Larger
        }
    });
    let t = tree.clone();
    let size = Memo::new(move |_| flame_svg::sizes(&t, size_by.get()));
    let t = tree.clone();
    let pos = Memo::new(move |_| size.with(|s| flame_svg::layout(&t, s)));
    let t = tree.clone();
    let placed = Memo::new(move |_| pos.with(|p| place(&t, p, zoom.get())));
    let paint = Signal::derive(move || Paint {
        options: options.get(),
        share: share.get(),
        colorblind: colorblind.get(),
    });
    let t = tree.clone();
    let fills = Memo::new(move |_| {
        paint.with(|p| {
            let mut fills = p.fills(&t);
            if let Some(grey) = &grey {
                let unchanged = p.unchanged();
                for (f, n) in fills.iter_mut().zip(&t.nodes) {
                    if n.frame < OTHER && grey[n.frame as usize] {
                        f.clone_from(&unchanged);
                    }
                }
            }
            fills
        })
    });
    let t = tree.clone();
    // (which frames match, how many, share of time); an invalid pattern says why.
    let matches = Memo::new(move |_| {
        let q = query.get();
        if q.trim().is_empty() {
            return Ok(None);
        }
        let filter = TextFilter::new(q.trim(), false)?;
        Ok(Some(size.with(|s| t.search(|l| filter.matches(l), s))))
    });
    let t = tree.clone();
    let picked_nodes = Memo::new(move |_| {
        let keys = picked.get();
        t.nodes
            .iter()
            .map(|n| {
                n.frame < OTHER && {
                    let k = &t.frames[n.frame as usize];
                    keys.iter()
                        .any(|r| r.name == k.name && r.file == k.file && r.line == k.line)
                }
            })
            .collect::<Vec<bool>>()
    });
    let rows = Memo::new(move |_| placed.with(|p| p.iter().map(|x| x.row + 1).max().unwrap_or(1)));
    let t = tree.clone();
    // The selected function's frame, for the sandwich.
    let sandwich_of = Memo::new(move |_| {
        picked.with(|keys| {
            keys.iter()
                .find_map(|r| t.frame_of(&r.name, &r.file, r.line))
        })
    });
    // The sandwich follows the selection a task later, so a click's zoom is drawn (and
    // painted) before the sandwich of the newly picked function is built.
    let sandwich_shown = RwSignal::new(None::<u32>);
    Effect::new(move |_| {
        let f = sandwich_of.get();
        set_timeout(
            move || {
                sandwich_shown.try_set(f);
            },
            std::time::Duration::ZERO,
        );
    });
    let t = tree.clone();
    // Zooms into `node` and, for a function's frame, picks the function (one call: the
    // owner changes its state once).
    let pick = move |node: u32| {
        let n = &t.nodes[node as usize];
        if n.frame < OTHER {
            on_pick.run((t.frames[n.frame as usize].clone(), node));
        } else {
            on_zoom.run(node);
        }
    };
    let pick_click = pick.clone();
    let on_click = move |ev: leptos::ev::MouseEvent| {
        let Some(node) =
            browser::closest_attr(&ev, "data-node").and_then(|n| n.parse::<u32>().ok())
        else {
            return;
        };
        focus.set(Some(node));
        pick_click(node);
    };
    let on_over = move |ev: leptos::ev::MouseEvent| {
        hover.set(browser::closest_attr(&ev, "data-node").and_then(|n| n.parse().ok()));
    };
    let t = tree.clone();
    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        let current = focus.get_untracked().unwrap_or(zoom.get_untracked());
        let n = &t.nodes[current as usize];
        let siblings = &t.nodes[n.parent as usize].children;
        let at = siblings.iter().position(|&c| c == current);
        let next = match ev.key().as_str() {
            "ArrowUp" if icicle.get_untracked() => Some(n.parent),
            "ArrowDown" if !icicle.get_untracked() => Some(n.parent),
            "ArrowDown" | "ArrowUp" => n.children.first().copied(),
            "ArrowLeft" => at.and_then(|i| i.checked_sub(1)).map(|i| siblings[i]),
            "ArrowRight" => at.and_then(|i| siblings.get(i + 1)).copied(),
            "Enter" | " " => {
                ev.prevent_default();
                pick(current);
                return;
            }
            "Escape" => {
                on_zoom.run(0);
                return;
            }
            _ => return,
        };
        ev.prevent_default();
        if let Some(next) = next {
            focus.set(Some(next));
        }
    };
    let t = tree.clone();
    let crumbs = move || {
        let chain = t.ancestry(zoom.get());
        chain
            .into_iter()
            .map(|n| {
                let label = t.label(&t.nodes[n as usize]);
                view! { <button type="button" class="crumb" on:click=move |_| on_zoom.run(n)>{label}</button> }
            })
            .collect_view()
    };
    let t = tree.clone();
    let details = move || {
        let node = hover.get().or(focus.get()).unwrap_or(zoom.get());
        t.nodes
            .get(node as usize)
            .map(|n| flame_svg::describe(&t, n))
            .unwrap_or_default()
    };
    let t = tree.clone();
    let frames = move || {
        let (fills, hits, picked) = (fills.get(), matches.get(), picked_nodes.get());
        let hits = hits.ok().flatten().map(|(h, _, _)| h);
        let focused = focus.get();
        let mark = |node: u32, class: &mut String| {
            if hits.as_ref().is_some_and(|h| h[node as usize]) {
                class.push_str(" match");
            }
            if picked[node as usize] {
                class.push_str(" picked");
            }
            if focused == Some(node) {
                class.push_str(" focused");
            }
        };
        placed.with(|placed| {
            frame_boxes(
                &t,
                placed,
                &fills,
                rows.get(),
                icicle.get(),
                "flame-node",
                mark,
            )
        })
    };
    let summary = move || match matches.get() {
        Ok(None) => String::new(),
        Ok(Some((_, count, share))) => format!(
            "{count} {} · {:.1}% of time",
            if count == 1 {
                "frame matches"
            } else {
                "frames match"
            },
            share * 100.0
        ),
        Err(e) => e,
    };
    let caveat = (!tree.exact).then(|| {
        view! { <p class="muted flame-caveat" data-testid="flame-estimated">"Estimated from pstats: a function's time is shared among its callers by each call edge's time, so paths through functions with several callers are estimates (striped frames). Files with stacks (sampled formats) give exact trees."</p> }
    });
    let truncated = tree.truncated.then(|| {
        view! { <p class="muted">"The tree was cut at its size limit: the smallest, deepest frames are missing."</p> }
    });
    view! {
        <div class="toolbar flame-toolbar">
            <input type="search" class="flame-search" placeholder="Search frames (text or /regex/)" aria-label="Search frames" data-testid="flame-search"
                prop:value=move || query.get() on:input=move |ev| on_query.run(event_target_value(&ev))/>
            <span class="muted" data-testid="flame-matches" aria-live="polite">{summary}</span>
            <label><input type="checkbox" prop:checked=move || !icicle.get() on:change=move |_| icicle.update(|v| *v = !*v)/>" flame (root at the bottom)"</label>
            {two.then(|| view! {
                <label><input type="checkbox" prop:checked=move || by_candidate.get() on:change=move |_| by_candidate.update(|v| *v = !*v)/>" width by B"</label>
                <label><input type="checkbox" prop:checked=move || share.get() on:change=move |_| share.update(|v| *v = !*v)/>" colour by share of total"</label>
                <label><input type="checkbox" prop:checked=move || colorblind.get() on:change=move |_| colorblind.update(|v| *v = !*v)/>" colour-blind palette"</label>
            })}
        </div>
        <nav class="crumbs" aria-label="Zoom path" data-testid="flame-crumbs">{crumbs}</nav>
        {caveat}
        {truncated}
        <div class="flame" tabindex="0" role="tree" aria-label="Flame graph: arrows move, Enter zooms, Escape resets" data-testid="flame"
            aria-activedescendant=move || focus.get().map(|n| format!("flame-node-{n}"))
            style=move || format!("height:{}px", rows.get() as f64 * ROW)
            on:click=on_click on:mouseover=on_over on:mouseleave=move |_| hover.set(None) on:keydown=on_key
            inner_html=frames>
        </div>
        <pre class="flame-details" data-testid="flame-details" aria-live="polite">{details}</pre>
        {two.then(|| view! { <FlameLegend colorblind/> })}
        {move || sandwich_shown.get().map(|f| view! {
            <SandwichView tree=tree.clone() frame=f paint size_by on_pick=Callback::new(move |k| on_pick.run((k, zoom.get_untracked())))/>
        })}
    }
}

/// How frames are coloured: by change (two sides) or by name (one).
#[derive(Clone, Copy, PartialEq)]
struct Paint {
    options: Options,
    share: bool,
    colorblind: bool,
}

impl Paint {
    /// The fill of a frame whose change is within the thresholds (or not significant).
    fn unchanged(&self) -> String {
        flame_svg::fill(
            crate::engine::flame::Change::Unchanged,
            if self.colorblind {
                Palette::ColorBlind
            } else {
                Palette::Classic
            },
        )
    }

    fn fills(&self, t: &FlameTree) -> Vec<String> {
        let grey = || "rgb(200,200,200)".to_string();
        if t.sides < 2 {
            return t
                .nodes
                .iter()
                .map(|n| match n.frame {
                    ROOT | OTHER => grey(),
                    _ => flame_svg::hot(&t.label(n)),
                })
                .collect();
        }
        let palette = if self.colorblind {
            Palette::ColorBlind
        } else {
            Palette::Classic
        };
        let changes = t.changes(&ChangeBy {
            options: self.options,
            share: self.share,
        });
        changes
            .into_iter()
            .zip(&t.nodes)
            .map(|(c, n)| match n.frame {
                ROOT => grey(),
                _ => flame_svg::fill(c, palette),
            })
            .collect()
    }
}

/// The boxes of `placed` frames as one HTML string; `mark` adds classes (match, picked,
/// focused) by node.
///
/// Why a string (set as the container's `innerHTML`) rather than a view per box: building
/// ~2,000 boxes as views took 40 ms and a keyed `<For>` with reactive styles was slower
/// still (80–170 ms); the browser parses the same markup in a few milliseconds. Clicks,
/// hovers and keys are handled on the container (`data-node` says which frame), and every
/// label is escaped.
fn frame_boxes(
    t: &FlameTree,
    placed: &[Placed],
    fills: &[String],
    rows: usize,
    icicle: bool,
    id_prefix: &str,
    mark: impl Fn(u32, &mut String),
) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(placed.len() * 160);
    let mut class = String::new();
    for p in placed {
        let n = &t.nodes[p.node as usize];
        let top = if icicle { p.row } else { rows - 1 - p.row } as f64 * ROW;
        class.clear();
        class.push_str("frame");
        if p.ancestor {
            class.push_str(" ancestor");
        }
        if !n.exact {
            class.push_str(" estimated");
        }
        mark(p.node, &mut class);
        let _ = write!(
            out,
            "<div class=\"{class}\" style=\"left:{:.4}%;width:{:.4}%;top:{top}px;background:",
            p.left * 100.0,
            p.width * 100.0,
        );
        out.push_str(&flame_svg::escape(&fills[p.node as usize]));
        let _ = write!(
            out,
            "\" data-node=\"{}\" id=\"{id_prefix}-{}\" role=\"treeitem\">",
            p.node, p.node
        );
        if p.width > 0.02 {
            out.push_str(&flame_svg::escape(&t.label(n)));
        }
        out.push_str("</div>");
    }
    out
}

/// A selected function's callers (above it, root at the bottom) and callees (below it),
/// every occurrence in the tree merged. Picking a frame here selects its function, so the
/// sandwich moves to it.
#[component]
fn SandwichView(
    tree: Arc<FlameTree>,
    frame: u32,
    paint: Signal<Paint>,
    size_by: Signal<SizeBy>,
    on_pick: Callback<FunctionKey>,
) -> impl IntoView {
    let Some(s) = tree.sandwich(frame) else {
        return ().into_any();
    };
    let hover: RwSignal<Option<String>> = RwSignal::new(None);
    let name = tree.frames[frame as usize].name.to_string();
    let callees_root = flame_svg::describe(&s.callees, s.callees.root());
    let half = move |t: FlameTree, icicle: bool, label: &'static str, testid: &'static str| {
        let t = Arc::new(t);
        let t2 = t.clone();
        let placed = Memo::new(move |_| {
            let size = flame_svg::sizes(&t2, size_by.get());
            place(&t2, &flame_svg::layout(&t2, &size), 0)
        });
        let rows =
            Memo::new(move |_| placed.with(|p| p.iter().map(|x| x.row + 1).max().unwrap_or(1)));
        let t2 = t.clone();
        let frames = move || {
            // A caller's node holds the selected function's time through that chain (its
            // own time means nothing there): callers are coloured by that time.
            let fills = paint.with(|p| {
                let mut p = *p;
                if !icicle {
                    p.options.metric = crate::engine::compare::Metric::Cumtime;
                }
                p.fills(&t2)
            });
            placed.with(|placed| {
                frame_boxes(&t2, placed, &fills, rows.get(), icicle, testid, |_, _| ())
            })
        };
        let (t3, t4) = (t.clone(), t.clone());
        let node_of = |ev: &leptos::ev::MouseEvent| {
            browser::closest_attr(ev, "data-node").and_then(|n| n.parse::<usize>().ok())
        };
        let on_click = move |ev: leptos::ev::MouseEvent| {
            if let Some(n) = node_of(&ev).and_then(|n| t3.nodes.get(n))
                && n.frame < OTHER
            {
                on_pick.run(t3.frames[n.frame as usize].clone());
            }
        };
        let on_over = move |ev: leptos::ev::MouseEvent| {
            hover.set(
                node_of(&ev)
                    .and_then(|n| t4.nodes.get(n))
                    .map(|n| flame_svg::describe(&t4, n)),
            );
        };
        view! {
            <div class="sandwich-half" role="tree" aria-label=label data-testid=testid
                style=move || format!("height:{}px", rows.get() as f64 * ROW)
                on:click=on_click on:mouseover=on_over on:mouseleave=move |_| hover.set(None)
                inner_html=frames>
            </div>
        }
    };
    let occurrences = match s.occurrences {
        1 => "1 occurrence".to_string(),
        n => format!("{n} occurrences merged"),
    };
    view! {
        <section class="sandwich" data-testid="sandwich" aria-label=format!("Sandwich of {name}")>
            <h3>"Sandwich: " <span class="fn">{name.clone()}</span></h3>
            <p class="muted" data-testid="sandwich-caption">{format!("Callers above, callees below · {occurrences}")}</p>
            {half(s.callers, false, "Callers (root at the bottom)", "sandwich-callers")}
            {half(s.callees, true, "Callees", "sandwich-callees")}
            <pre class="flame-details" data-testid="sandwich-details" aria-live="polite">{move || hover.get().unwrap_or_else(|| callees_root.clone())}</pre>
        </section>
    }
    .into_any()
}

/// What the colours mean.
#[component]
fn FlameLegend(colorblind: RwSignal<bool>) -> impl IntoView {
    use crate::engine::compare::Status;
    use crate::engine::flame::Change;
    let swatch = move |change: Change, label: &'static str| {
        view! {
            <span class="legend-item"><span class="swatch" style=move || format!("background:{}", flame_svg::fill(change, if colorblind.get() { Palette::ColorBlind } else { Palette::Classic }))></span>{label}</span>
        }
    };
    view! {
        <div class="flame-legend" data-testid="flame-legend">
            {swatch(Change::Changed { status: Status::Slower, intensity: 1.0 }, "slower (largest)")}
            {swatch(Change::Changed { status: Status::Slower, intensity: 0.2 }, "slower (small)")}
            {swatch(Change::Unchanged, "within thresholds")}
            {swatch(Change::Changed { status: Status::Faster, intensity: 0.2 }, "faster (small)")}
            {swatch(Change::Changed { status: Status::Faster, intensity: 1.0 }, "faster (largest)")}
            {swatch(Change::New, "new (only in B)")}
            {swatch(Change::Removed, "removed (only in A)")}
        </div>
    }
}
