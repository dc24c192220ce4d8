//! The comparison view, the heart of the app: pickers, summary cards, the bar chart of
//! the largest changes, the diff table (every contract column, sortable, filtered), the
//! selected row's caller/callee diff, runs and matrix modes, exports. Everything that
//! shapes the view sits in the URL query (see [`state`]), so a link restores it.
//!
//! One file per piece: [`pickers`] (which profiles), [`options`] (metric, thresholds,
//! exports), [`two_way`] (summary and diff table), [`edges`] (the selected row's callers and
//! callees), [`tables`] (runs and matrix), [`filters`] (status chips, text filter),
//! [`columns`] (the diff table's columns), [`server`] (the server functions).

pub mod chart;
pub mod columns;
mod diff_table;
mod edges;
mod filters;
mod options;
mod pickers;
pub mod server;
pub mod state;
mod tables;
mod two_way;

use leptos::prelude::*;
use leptos_router::NavigateOptions;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_params_map, use_query_map};

use crate::engine::compare::Comparison;
use crate::model::{AppError, Outcome, ProfileId, ProfileSummary, ShareId, ShareInfo, ShareView};
use crate::ui::share::{ShareBanner, ShareGone, get_share};
use crate::ui::viewer::Viewer;
use crate::ui::widgets::TextFilter;
pub use filters::chip_counts;
use server::compare_view;
use state::ViewState;

/// The positions in `idx` (in its order) whose rows the view shows: filtered by status and
/// text.
///
/// Given every row already sorted for the view ([`columns::all_sorted`]), this is the
/// view's order: both sorts are stable and ties keep the rows' order, so filtering a sorted
/// list and sorting a filtered one agree (tested against the latter). The diff table sorts once per column and direction
/// and only filters when a chip or the text filter changes (50,000 rows by name: a sort is
/// tens of milliseconds in the browser, a filter a few).
pub fn shown(c: &Comparison, v: &ViewState, idx: impl IntoIterator<Item = usize>) -> Vec<usize> {
    let filter = TextFilter::new(&v.filter, false).unwrap_or_default();
    idx.into_iter()
        .filter(|&i| {
            let r = &c.rows[i];
            v.statuses.contains(&r.status) && filter.matches(&r.display)
        })
        .collect()
}

/// A profile's name from the session's list, or its short id while the list loads.
fn profile_name(list: &Option<Vec<ProfileSummary>>, id: &ProfileId) -> String {
    list.as_ref()
        .and_then(|l| l.iter().find(|p| p.id == *id))
        .map(|p| p.name.clone())
        .unwrap_or_else(|| id.short())
}

/// What the comparison request has led to so far.
#[derive(Clone)]
enum Loaded {
    /// The query does not name enough profiles yet.
    Incomplete,
    /// The tab has no session yet (it is being minted or checked).
    NoSession,
    Done(Outcome),
}

/// A share page's share: loading, gone (unknown, revoked, expired), or what it holds.
type ShareLoad = LocalResource<Result<ShareInfo, AppError>>;

/// The comparison page as a lazily loaded route: built with `cargo leptos --split`, its code
/// (the biggest part of the app) is a separate wasm file fetched on the first visit to
/// `/compare`, so the profile list and profile view start faster. [`LazyRoute::data`] is in
/// the main bundle and starts the comparison at once, while that file downloads (as
/// hackernews' `StoryRoute` does).
///
/// [`LazyRoute::data`]: leptos_router::LazyRoute::data
///
/// The same route serves share pages (`/s/{id}`): the [`Viewer`] is then the share,
/// read-only, and a profile share opens the profile view.
pub struct CompareRoute {
    view_state: Memo<ViewState>,
    data: LocalResource<Result<Loaded, AppError>>,
    viewer: Viewer,
    share: Option<ShareLoad>,
}

#[leptos_router::lazy_route]
impl leptos_router::LazyRoute for CompareRoute {
    fn data() -> Self {
        let share_param = use_params_map().with_untracked(|p| p.get("share"));
        let (viewer, share) = match share_param {
            None => (Viewer::session(), None),
            Some(text) => {
                let id = ShareId::parse(&text).ok();
                let info: ShareLoad = LocalResource::new(move || async move {
                    match id {
                        Some(id) => get_share(id).await,
                        None => Err(AppError::NotFound("no such share".into())),
                    }
                });
                let profiles =
                    Signal::derive(move || info.get().and_then(Result::ok).map(|i| i.profiles));
                (Viewer::share(id, profiles), Some(info))
            }
        };
        let ctx = viewer;
        let query = use_query_map();
        let view_state = Memo::new(move |_| query.with(ViewState::from_query));
        // Only the request's fields refetch: sorting, paging and filtering stay local.
        let req = Memo::new(move |_| view_state.with(|v| v.req.clone()));
        let data = LocalResource::new(move || {
            let (session, req) = (ctx.access.get(), req.get());
            async move {
                if !req.is_complete() {
                    return Ok(Loaded::Incomplete);
                }
                let Some(session) = session else {
                    return Ok(Loaded::NoSession);
                };
                compare_view(session, req)
                    .await
                    .and_then(|a| a.into_outcome().map_err(AppError::Transport))
                    .map(Loaded::Done)
                    .map_err(|e| ctx.check(e))
            }
        });
        CompareRoute {
            view_state,
            data,
            viewer,
            share,
        }
    }

    fn view(this: Self) -> AnyView {
        let CompareRoute {
            view_state,
            data,
            viewer,
            share,
        } = this;
        let Some(share) = share else {
            return view! { <ComparePage view_state data viewer/> }.into_any();
        };
        view! {
            <Suspense fallback=|| view! { <p class="loading" data-testid="loading">"Opening the share…"</p> }>
                {move || Suspend::new(async move {
                    match share.await {
                        Err(_) => view! { <ShareGone/> }.into_any(),
                        Ok(info) => {
                            let kind = info.view.clone();
                            let banner = view! { <ShareBanner info/> };
                            match kind {
                                ShareView::Compare { .. } => view! { {banner} <ComparePage view_state data viewer/> }.into_any(),
                                ShareView::Profile { id } => view! { {banner} <SharedProfile id viewer/> }.into_any(),
                            }
                        }
                    }
                })}
            </Suspense>
        }
        .into_any()
    }
}

/// A profile share: the profile view, reading from the share.
#[component]
fn SharedProfile(id: ProfileId, viewer: Viewer) -> impl IntoView {
    provide_context(viewer);
    view! { <crate::ui::profile_view::ProfileView pid=Signal::stored(Some(id))/> }
}

#[component]
fn ComparePage(
    view_state: Memo<ViewState>,
    data: LocalResource<Result<Loaded, AppError>>,
    viewer: Viewer,
) -> impl IntoView {
    // The components below read whose profiles they show from here.
    provide_context(viewer);
    let navigate = use_navigate();
    let path = viewer.compare_path();
    let apply = Callback::new(move |v: ViewState| {
        navigate(
            &format!("{path}?{}", v.to_query()),
            NavigateOptions {
                replace: true,
                scroll: false,
                ..Default::default()
            },
        );
    });
    // The previous comparison stays on screen (under a loading bar) until the next is ready.
    let pending = RwSignal::new(false);
    let loading = || view! { <p class="loading" data-testid="loading">"Comparing…"</p> };
    view! {
        <pickers::Pickers view_state apply/>
        <options::Options view_state apply/>
        <div class="loading-bar" class:active=move || pending.get() aria-hidden="true"></div>
        <Transition fallback=loading set_pending=pending>
            <ErrorBoundary fallback=|errors| view! {
                <section class="card">
                    <p class="error" role="alert" data-testid="compare-error">
                        {move || errors.with(|e| e.iter().map(|(_, e)| e.to_string()).collect::<Vec<_>>().join("; "))}
                    </p>
                </section>
            }>
                {move || Suspend::new(async move {
                    data.await.map(|loaded| match loaded {
                        Loaded::Incomplete if viewer.read_only() => view! {
                            <section class="card empty" data-testid="compare-empty">
                                <p>"Pick profiles to compare: choose a baseline and a candidate above."</p>
                            </section>
                        }.into_any(),
                        Loaded::Incomplete => view! {
                            <section class="card empty" data-testid="compare-empty">
                                <p>"Pick profiles to compare: choose a baseline and a candidate above, or pick A and B on the "<A href="/">"profile list"</A>"."</p>
                            </section>
                        }.into_any(),
                        Loaded::NoSession => loading().into_any(),
                        Loaded::Done(Outcome::Two(c)) => view! { <two_way::TwoWay c view_state apply/> }.into_any(),
                        Loaded::Done(Outcome::Runs(c)) => view! { <tables::RunsView c view_state apply/> }.into_any(),
                        Loaded::Done(Outcome::Matrix(m)) => view! { <tables::MatrixView m view_state apply/> }.into_any(),
                    })
                })}
            </ErrorBoundary>
        </Transition>
    }
}

#[cfg(test)]
mod tests {
    use super::columns::Col;
    use super::*;
    use crate::engine::Profile;
    use crate::engine::compare::Status;
    use crate::engine::compare::{Options, compare};

    /// The rows the view shows in its order, the direct way: filtered, then sorted.
    fn ordered(c: &Comparison, v: &ViewState) -> Vec<usize> {
        let mut idx = shown(c, v, 0..c.rows.len());
        columns::sorted(&c.rows, &mut idx, v.sort_column(), v.reverse);
        idx
    }

    /// A dump of tests/fixtures/compare, parsed.
    pub(super) fn fixture(name: &str) -> Profile {
        let path = format!(
            "{}/tests/fixtures/compare/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        Profile::parse(&std::fs::read(path).unwrap()).unwrap()
    }

    /// The before/after fixture pair compared with the default options (12 rows).
    pub(super) fn pair() -> Comparison {
        compare(
            &fixture("before_3.11.prof"),
            &fixture("after_3.11.prof"),
            &Options::default(),
        )
    }

    fn names(c: &Comparison, v: &ViewState) -> Vec<String> {
        ordered(c, v)
            .iter()
            .map(|&i| c.rows[i].function.name.to_string())
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

    /// The diff table filters a cached full sort instead of sorting the filtered rows.
    #[test]
    fn filtering_a_sorted_list_is_sorting_the_filtered_rows() {
        let c = pair();
        let filters = ["", "src/b", "SHOP", "/^nothing$/", "py:2"];
        let status_sets = [
            Status::ALL.to_vec(),
            ViewState::default().statuses,
            vec![Status::Unchanged],
            vec![Status::New, Status::Faster],
            vec![],
        ];
        for col in Col::all() {
            for reverse in [false, true] {
                let sorted = columns::all_sorted(&c, col, reverse);
                for f in filters {
                    for statuses in &status_sets {
                        let v = ViewState {
                            sort: Some(col),
                            reverse,
                            filter: f.into(),
                            statuses: statuses.clone(),
                            ..ViewState::default()
                        };
                        assert_eq!(
                            shown(&c, &v, sorted.iter().copied()),
                            ordered(&c, &v),
                            "{col:?} reverse={reverse} filter={f:?} {statuses:?}"
                        );
                    }
                }
            }
        }
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
            .find(|r| &*r.function.name == "regress")
            .unwrap();
        assert_eq!(Col::RatioTottime.cell(r), "2.75×");
        assert_eq!(Col::DeltaPct.cell(r), "+175%");
        assert_eq!(Col::Match.cell(r), "path");
        assert_eq!(Col::parse("a.ncalls").unwrap().cell(r), "3");
        let added = c
            .rows
            .iter()
            .find(|r| &*r.function.name == "added_fn")
            .unwrap();
        let a_tottime = Col::parse("a.tottime").unwrap();
        assert_eq!(a_tottime.cell(added), "—");
        assert_eq!(a_tottime.value(added), None);
        assert_eq!(Col::all().count(), 24);
    }
}
