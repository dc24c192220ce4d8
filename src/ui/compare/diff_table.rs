//! The two-way diff table: every contract column (see [`super::columns`]), sortable, filtered
//! by status and text, paged; a row click selects it.

use std::sync::Arc;

use leptos::prelude::*;

use super::columns::{Col, GROUPS};
use super::filters::{FilterBox, StatusChips, chip_counts, status_chip};
use super::state::ViewState;
use super::{PAGE, ordered};
use crate::engine::compare::{Comparison, Row, Status};
use crate::ui::fmt;
use crate::ui::widgets::{Pager, SortHeader};

#[component]
pub fn DiffTable(
    c: Arc<Comparison>,
    view_state: Memo<ViewState>,
    apply: Callback<ViewState>,
    select: Callback<usize>,
) -> impl IntoView {
    let order_key = Memo::new(move |_| view_state.with(ViewState::order_key));
    let order = Memo::new({
        let c = c.clone();
        move |_| {
            order_key.with(|_| ());
            view_state.with_untracked(|v| ordered(&c, v))
        }
    });
    let page = Signal::derive(move || view_state.with(|v| v.page));
    let set_page = Callback::new(move |p: usize| {
        let mut v = view_state.get_untracked();
        v.page = p;
        apply.run(v);
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
    let selected = Signal::derive(move || view_state.with(|v| v.row));
    let rows_c = c;
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
                    <tbody>
                        {move || {
                            let start = page.get() * PAGE;
                            let sel = selected.get();
                            order.with(|o| {
                                o.iter().skip(start).take(PAGE).map(|&i| {
                                    let r: &Row = &rows_c.rows[i];
                                    let is_sel = sel == Some(i);
                                    view! {
                                        <tr
                                            class=format!("row-{}", r.status.as_str())
                                            class:selected=is_sel
                                            id=is_sel.then_some("selected-row")
                                            tabindex="0"
                                            data-testid="diff-row"
                                            data-status=r.status.as_str()
                                            data-row=i
                                            on:click=move |_| select.run(i)
                                            on:keydown=move |ev| if ev.key() == "Enter" { select.run(i) }
                                        >
                                            {Col::all().map(|col| {
                                                let text = col.cell(r);
                                                match col {
                                                    Col::Function => view! { <td class="fn" title=r.baseline_function.as_ref().map(|b| format!("baseline: {}:{}({})", b.file, b.line, b.name))>{text}</td> }.into_any(),
                                                    Col::Status => view! { <td>{status_chip(r.status)}</td> }.into_any(),
                                                    Col::Match => view! { <td class="match">{text}</td> }.into_any(),
                                                    col => view! { <td class="num" data-col=col.id() title=col.exact(r)>{text}</td> }.into_any(),
                                                }
                                            }).collect_view()}
                                        </tr>
                                    }
                                }).collect_view()
                            })
                        }}
                    </tbody>
                </table>
            </div>
            <Pager page set_page total=Signal::derive(move || order.with(Vec::len)) size=PAGE/>
            {move || {
                let hidden = view_state.with(|v| !v.statuses.contains(&Status::Unchanged));
                (hidden && unchanged > 0).then(|| view! {
                    <p class="muted small">{format!("{} unchanged functions hidden; toggle the “unchanged” chip to see them.", fmt::count(unchanged as i64))}</p>
                })
            }}
        </section>
    }
}
