//! The two-way diff table: every contract column (see [`super::columns`]), sortable, filtered
//! by status and text, paged; a row click selects it.

use std::sync::Arc;

use leptos::prelude::*;

use super::columns::all_sorted;
use super::columns::{Col, GROUPS};
use super::filters::{FilterBox, StatusChips, chip_counts};
use super::shown;
use super::state::ViewState;
use super::tables::{page_slice, pager};
use crate::engine::compare::{Comparison, Status};
use crate::engine::flame_svg::escape;
use crate::ui::widgets::SortHeader;
use crate::ui::{browser, fmt};

/// Every row of `c` sorted for the view's column and direction, re-sorted only when those
/// change; the rows the table shows are its filtered subset (see [`shown`]).
pub fn sorted_rows(c: Arc<Comparison>, view_state: Memo<ViewState>) -> Memo<Arc<Vec<usize>>> {
    let sort_key = Memo::new(move |_| view_state.with(|v| (v.sort_column(), v.reverse)));
    Memo::new(move |_| {
        let (col, reverse) = sort_key.get();
        Arc::new(all_sorted(&c, col, reverse))
    })
}

#[component]
pub fn DiffTable(
    c: Arc<Comparison>,
    view_state: Memo<ViewState>,
    /// [`sorted_rows`] of `c`.
    sorted: Memo<Arc<Vec<usize>>>,
    apply: Callback<ViewState>,
    select: Callback<usize>,
) -> impl IntoView {
    let order_key = Memo::new(move |_| view_state.with(ViewState::order_key));
    let order = Memo::new({
        let c = c.clone();
        move |_| {
            order_key.with(|_| ());
            let sorted = sorted.get();
            view_state.with_untracked(|v| shown(&c, v, sorted.iter().copied()))
        }
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
    let counts = chip_counts(&c.summary.counts);
    let unchanged = c.summary.counts.unchanged;
    // Either side sampled: its counts are samples (see `Col::sampled_label`).
    let sampled = c.summary.sampled();
    // What the page's markup depends on besides the order: a memo, so a flame-graph zoom or
    // search (also view state) does not rebuild it.
    let window = Memo::new(move |_| view_state.with(|v| (v.page, v.per, v.row)));
    let rows_html = move || {
        let (page, per, sel) = window.get();
        order.with(|o| page_html(&c, page_slice(o, page, per), sel))
    };
    // One listener for the page's rows: `data-row` says which.
    let row_of = |ev: &leptos::ev::Event| {
        browser::closest_attr(ev, "data-row").and_then(|n| n.parse::<usize>().ok())
    };
    let on_click = move |ev: leptos::ev::MouseEvent| {
        if let Some(i) = row_of(&ev) {
            select.run(i);
        }
    };
    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        if ev.key() != "Enter" {
            return;
        }
        if let Some(i) = row_of(&ev) {
            select.run(i);
            // The rows are new elements now: keep the keyboard on the selected one.
            browser::focus_later("selected-row");
        }
    };
    view! {
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
                                        label=if sampled { col.sampled_label() } else { col.label() }
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
                    <tbody on:click=on_click on:keydown=on_key inner_html=rows_html></tbody>
                </table>
            </div>
            {pager(view_state, apply, Signal::derive(move || order.with(Vec::len)))}
            {move || {
                let hidden = view_state.with(|v| !v.statuses.contains(&Status::Unchanged));
                (hidden && unchanged > 0).then(|| view! {
                    <p class="muted small">{format!("{} unchanged functions hidden; toggle the “unchanged” chip to see them.", fmt::count(unchanged as i64))}</p>
                })
            }}
        </section>
    }
}

/// The rows of one page (`rows`: positions in `c.rows`, in display order) as markup for
/// the table body, `sel` marked as selected.
///
/// Why a string rather than a view per cell: a page is up to 250 rows of 24 cells, and
/// re-rendering 100 of them as views (a chip toggle, a re-sort, a page turn) spent ~100 ms
/// in attribute and text calls across the wasm boundary; the browser parses the same
/// markup in ~10 ms. Every text and attribute value is escaped.
fn page_html(c: &Comparison, rows: &[usize], sel: Option<usize>) -> String {
    use std::fmt::Write;
    let cols: Vec<(Col, String)> = Col::all().map(|col| (col, col.id())).collect();
    let mut out = String::with_capacity(rows.len() * 2048);
    for &i in rows {
        let r = &c.rows[i];
        let status = r.status.as_str();
        let is_sel = sel == Some(i);
        let _ = write!(
            out,
            "<tr class=\"row-{status}{}\"{} tabindex=\"0\" data-testid=\"diff-row\" data-status=\"{status}\" data-row=\"{i}\">",
            if is_sel { " selected" } else { "" },
            if is_sel { " id=\"selected-row\"" } else { "" },
        );
        for (col, id) in &cols {
            let text = escape(&col.cell(r));
            match col {
                Col::Function => {
                    out.push_str("<td class=\"fn\"");
                    if let Some(b) = &r.baseline_function {
                        let title = format!("baseline: {}:{}({})", b.file, b.line, b.name);
                        let _ = write!(out, " title=\"{}\"", escape(&title));
                    }
                    let _ = write!(out, ">{text}</td>");
                }
                Col::Status => {
                    let _ = write!(
                        out,
                        "<td><span class=\"chip chip-{status}\">{status}</span></td>"
                    );
                }
                Col::Match => {
                    let _ = write!(out, "<td class=\"match\">{text}</td>");
                }
                col => {
                    let _ = write!(out, "<td class=\"num\" data-col=\"{id}\"");
                    if let Some(exact) = col.exact(r) {
                        let _ = write!(out, " title=\"{}\"", escape(&exact));
                    }
                    let _ = write!(out, ">{text}</td>");
                }
            }
        }
        out.push_str("</tr>");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::tests::pair;
    use super::*;
    use crate::engine::compare::FunctionRef;

    #[test]
    fn a_page_is_one_row_per_position_with_every_column() {
        let c = pair();
        let html = page_html(&c, &[2, 0], Some(0));
        let rows: Vec<&str> = html.split("</tr>").filter(|s| !s.is_empty()).collect();
        assert_eq!(rows.len(), 2);
        assert!(rows[0].contains("data-row=\"2\""));
        assert!(rows[1].contains("data-row=\"0\""));
        // Only the selected row is marked, and it has the id the view scrolls to.
        assert!(!rows[0].contains("selected"));
        assert!(
            rows[1].contains("class=\"row-") && rows[1].contains(" selected\" id=\"selected-row\"")
        );
        for (row, &i) in rows.iter().zip(&[2usize, 0]) {
            let r = &c.rows[i];
            assert_eq!(row.matches("<td").count(), Col::all().count());
            assert!(row.contains(&format!("data-status=\"{}\"", r.status.as_str())));
            for col in Col::all().filter(|c| c.is_numeric()) {
                assert!(row.contains(&format!("data-col=\"{}\"", col.id())));
                if let Some(exact) = col.exact(r) {
                    assert!(row.contains(&format!("title=\"{exact}\"")));
                }
            }
        }
        assert_eq!(page_html(&c, &[], None), "");
    }

    #[test]
    fn names_and_titles_are_escaped() {
        let mut c = pair();
        let hostile = "<img src=x onerror=alert(1)>&\"'";
        c.rows[1].display = hostile.into();
        c.rows[1].baseline_function = Some(FunctionRef {
            file: "a\".py".into(),
            line: 3,
            name: hostile.into(),
        });
        let html = page_html(&c, &[1], None);
        assert!(!html.contains("<img"), "{html}");
        assert_eq!(
            html.matches("&lt;img src=x onerror=alert(1)&gt;&amp;&quot;&#39;")
                .count(),
            2
        );
        assert!(html.contains("title=\"baseline: a&quot;.py:3(&lt;img"));
        // Every quote inside an attribute is escaped: the attributes still parse.
        assert_eq!(html.matches('"').count() % 2, 0);
    }
}
