//! Small pieces shared by the views: sortable column headers, a pager, status chips.

use leptos::prelude::*;

/// A column header that sorts on click (or Enter/Space: it is a button).
#[component]
pub fn SortHeader(
    label: &'static str,
    #[prop(optional)] title: &'static str,
    active: Signal<bool>,
    /// Whether the active sort is descending (larger / regressions first).
    descending: Signal<bool>,
    on_sort: Callback<()>,
    #[prop(optional)] numeric: Option<bool>,
) -> impl IntoView {
    let numeric = numeric.unwrap_or(label != "function");
    view! {
        <th
            scope="col"
            class:num=numeric
            aria-sort=move || match (active.get(), descending.get()) {
                (false, _) => "none",
                (true, true) => "descending",
                (true, false) => "ascending",
            }
        >
            <button type="button" class="sort" title=title on:click=move |_| on_sort.run(())>
                {label}
                <span class="arrow" aria-hidden="true">
                    {move || match (active.get(), descending.get()) {
                        (false, _) => "",
                        (true, true) => " ▼",
                        (true, false) => " ▲",
                    }}
                </span>
            </button>
        </th>
    }
}

/// Previous / next over `total` rows, `size` per page.
#[component]
pub fn Pager(page: Signal<usize>, set_page: Callback<usize>, total: Signal<usize>, size: usize) -> impl IntoView {
    let pages = move || total.get().div_ceil(size).max(1);
    view! {
        <nav class="pager" aria-label="pages" data-testid="pager">
            <button type="button" class="btn btn-small" disabled=move || page.get() == 0 on:click=move |_| set_page.run(page.get_untracked().saturating_sub(1))>
                "← Prev"
            </button>
            <span class="muted">
                {move || {
                    let t = total.get();
                    if t == 0 {
                        "no rows".to_string()
                    } else {
                        let start = page.get() * size;
                        format!("rows {}–{} of {} · page {} of {}", start + 1, (start + size).min(t), t, page.get() + 1, pages())
                    }
                }}
            </span>
            <button type="button" class="btn btn-small" disabled=move || { page.get() + 1 >= pages() } on:click=move |_| set_page.run(page.get_untracked() + 1)>
                "Next →"
            </button>
        </nav>
    }
}
