//! Which profiles are compared: baseline and candidate pickers with a swap button, or the
//! runs and series lists.

use leptos::prelude::*;

use super::profile_name;
use super::state::ViewState;
use crate::model::{Mode, ProfileId};
use crate::ui::viewer::Viewer;

/// Baseline and candidate pickers with a swap button (or the runs / series lists).
#[component]
pub fn Pickers(view_state: Memo<ViewState>, apply: Callback<ViewState>) -> impl IntoView {
    let ctx = Viewer::use_ctx();
    let set_side = move |side: char, id: String| {
        let Ok(id) = ProfileId::parse(&id) else {
            return;
        };
        let mut v = view_state.get_untracked();
        v.req.mode = Mode::Two;
        let other = if side == 'a' { &v.req.b } else { &v.req.a }
            .first()
            .cloned();
        let keep = other.map(|o| vec![o]).unwrap_or_default();
        if side == 'a' {
            v.req.a = vec![id];
            v.req.b = keep;
        } else {
            v.req.b = vec![id];
            v.req.a = keep;
        }
        v.row = None;
        v.page = 0;
        apply.run(v);
    };
    let swap = move |_| {
        let mut v = view_state.get_untracked();
        std::mem::swap(&mut v.req.a, &mut v.req.b);
        v.row = None;
        v.page = 0;
        apply.run(v);
    };
    let picker = move |side: char, label: &'static str| {
        let current = move || {
            view_state.with(|v| {
                if side == 'a' {
                    v.req.a.first().cloned()
                } else {
                    v.req.b.first().cloned()
                }
            })
        };
        view! {
            <label class="field">
                <span>{label}</span>
                <select
                    data-testid=if side == 'a' { "pick-baseline" } else { "pick-candidate" }
                    on:change=move |ev| set_side(side, event_target_value(&ev))
                    prop:value=move || current().map(|id| id.to_string()).unwrap_or_default()
                >
                    <option value="" disabled selected=move || current().is_none()>"— choose —"</option>
                    {move || ctx.profiles.get().unwrap_or_default().into_iter().map(|p| {
                        let id = p.id;
                        view! { <option value=p.id.to_string() selected=move || current() == Some(id)>{p.name}</option> }
                    }).collect_view()}
                </select>
            </label>
        }
    };
    let names = move |ids: Vec<ProfileId>| {
        let list = ctx.profiles.get();
        ids.iter()
            .map(|id| profile_name(&list, id))
            .collect::<Vec<_>>()
            .join(", ")
    };
    view! {
        <section class="card pickers">
            {move || match view_state.with(|v| v.req.mode) {
                Mode::Two => view! {
                    <div class="picker-row">
                        {picker('a', "Baseline (A)")}
                        <button type="button" class="btn swap" data-testid="swap" title="swap baseline and candidate" on:click=swap>"⇄ Swap"</button>
                        {picker('b', "Candidate (B)")}
                    </div>
                }.into_any(),
                Mode::Runs => view! {
                    <div class="picker-row">
                        <p class="runs-side"><strong>{move || format!("Baseline runs ({}): ", view_state.with(|v| v.req.a.len()))}</strong>{move || names(view_state.with(|v| v.req.a.clone()))}</p>
                        <button type="button" class="btn swap" data-testid="swap" on:click=swap>"⇄ Swap"</button>
                        <p class="runs-side"><strong>{move || format!("Candidate runs ({}): ", view_state.with(|v| v.req.b.len()))}</strong>{move || names(view_state.with(|v| v.req.b.clone()))}</p>
                    </div>
                }.into_any(),
                Mode::Matrix => view! {
                    <p class="runs-side"><strong>"Series, in order: "</strong>{move || names(view_state.with(|v| v.req.a.clone()))}</p>
                }.into_any(),
            }}
        </section>
    }
}
