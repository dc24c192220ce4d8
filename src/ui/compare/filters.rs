//! Which rows the tables show: status chips with counts and the text filter.

use leptos::prelude::*;

use super::state::ViewState;
use crate::engine::compare::{Counts, Status};
use crate::ui::fmt;
use crate::ui::widgets::TextFilter;

/// The chips' statuses in display order, with their counts (`insufficient` only where
/// some row has it: runs with too few runs).
pub fn chip_counts(c: &Counts) -> Vec<(Status, usize)> {
    let mut out = vec![
        (Status::Slower, c.slower),
        (Status::Faster, c.faster),
        (Status::New, c.new),
        (Status::Removed, c.removed),
    ];
    if c.insufficient > 0 {
        out.push((Status::Insufficient, c.insufficient));
    }
    out.push((Status::Unchanged, c.unchanged));
    out
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
