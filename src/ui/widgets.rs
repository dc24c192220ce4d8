//! Small pieces shared by the views: the text filter (substring or regular expression),
//! sortable column headers, a pager. The comparison's status chips live in
//! `compare::filters`.

use leptos::prelude::*;

use super::browser::Pattern;

/// A text filter: a case-insensitive substring, or a regular expression when asked for
/// (`regex`) or written as `/…/`.
#[derive(Default)]
pub struct TextFilter {
    needle: String,
    pattern: Option<Pattern>,
}

impl TextFilter {
    pub fn new(filter: &str, regex: bool) -> Result<TextFilter, String> {
        let source = match filter.strip_prefix('/').and_then(|f| f.strip_suffix('/')) {
            Some(re) => Some(re),
            None if regex => Some(filter),
            None => None,
        };
        let pattern = match source {
            Some(re) if !re.is_empty() => {
                Some(Pattern::new(re).map_err(|e| format!("invalid regular expression: {e}"))?)
            }
            _ => None,
        };
        // ASCII case folding: function and file names, and no Unicode tables in the bundle.
        Ok(TextFilter {
            needle: filter.to_ascii_lowercase(),
            pattern,
        })
    }

    pub fn matches(&self, text: &str) -> bool {
        match &self.pattern {
            Some(p) => p.is_match(text),
            None => {
                self.needle.is_empty()
                    || text.len() >= self.needle.len()
                        && text
                            .as_bytes()
                            .windows(self.needle.len())
                            .any(|w| w.eq_ignore_ascii_case(self.needle.as_bytes()))
            }
        }
    }
}

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

/// The page sizes a [`Pager`] offers, and the one the comparison's tables start with: a
/// page is drawn anew on every sort, filter and page turn, and the browser's layout of it
/// grows with its rows (24 cells each in the diff table), so the default stays modest.
pub const PAGE_SIZES: [usize; 4] = [25, 50, 100, 250];
pub const DEFAULT_PAGE_SIZE: usize = 50;

/// Previous / next over `total` rows, `size` per page; with `set_size`, a choice of page
/// sizes ([`PAGE_SIZES`]).
#[component]
pub fn Pager(
    page: Signal<usize>,
    set_page: Callback<usize>,
    total: Signal<usize>,
    #[prop(into)] size: Signal<usize>,
    #[prop(optional)] set_size: Option<Callback<usize>>,
) -> impl IntoView {
    let pages = move || total.get().div_ceil(size.get()).max(1);
    let sizes = set_size.map(|set_size| {
        view! {
            <label class="muted page-size">"rows per page "
                <select data-testid="page-size" prop:value=move || size.get().to_string()
                    on:change=move |ev| match event_target_value(&ev).parse() {
                        Ok(n) if PAGE_SIZES.contains(&n) => set_size.run(n),
                        _ => {}
                    }>
                    {PAGE_SIZES.map(|n| view! { <option value=n.to_string() selected=move || size.get() == n>{n.to_string()}</option> }).collect_view()}
                </select>
            </label>
        }
    });
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
                        let (size, page) = (size.get(), page.get());
                        let start = page.saturating_mul(size);
                        // `page` comes from the URL: any number.
                        format!("rows {}–{} of {} · page {} of {}", start.saturating_add(1), start.saturating_add(size).min(t), t, page.saturating_add(1), pages())
                    }
                }}
            </span>
            <button type="button" class="btn btn-small" disabled=move || { page.get().saturating_add(1) >= pages() } on:click=move |_| set_page.run(page.get_untracked().saturating_add(1))>
                "Next →"
            </button>
            {sizes}
        </nav>
    }
}
