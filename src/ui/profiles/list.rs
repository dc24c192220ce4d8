//! The session's profiles: open, download, delete, and pick A and B (or several of each,
//! or a series) for a comparison.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use leptos_router::components::A;
use leptos_router::hooks::use_navigate;

use crate::model::{AppError, Mode, ProfileId, ProfileSummary, SessionId};
use crate::ui::browser;
use crate::ui::fmt;
use crate::ui::session::SessionCtx;

/// Deletes one profile of the session.
#[server(prefix = "/fn")]
pub async fn delete_profile(session: SessionId, id: ProfileId) -> Result<(), AppError> {
    use crate::server::{AppState, service};
    service::delete(&AppState::from_context()?, session, id).await
}

/// *Merge runs*: one new profile from several of the session's (see `engine::merge`).
#[server(prefix = "/fn", input = Json)]
pub async fn merge_runs(
    session: SessionId,
    ids: Vec<ProfileId>,
    name: Option<String>,
) -> Result<ProfileSummary, AppError> {
    use crate::server::{AppState, service};
    service::merge(&AppState::from_context()?, session, &ids, name).await
}

/// With exactly two profiles, their ids older first (by upload time, then list order).
fn older_newer(list: &[ProfileSummary]) -> Option<(ProfileId, ProfileId)> {
    match list {
        [a, b] if b.uploaded_ms < a.uploaded_ms => Some((b.id, a.id)),
        [a, b] => Some((a.id, b.id)),
        _ => None,
    }
}

/// A profile's part in the next comparison.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Role {
    Baseline,
    Candidate,
}

#[component]
pub fn ProfileList() -> impl IntoView {
    let ctx = SessionCtx::use_ctx();
    // Picked profiles in the order picked.
    let roles = RwSignal::new(Vec::<(ProfileId, Role)>::new());
    let error = RwSignal::new(None::<String>);
    let merged_note = RwSignal::new(None::<String>);
    // The pair last picked for the user, so unpicking it sticks.
    let auto_picked = StoredValue::new(None::<(ProfileId, ProfileId)>);
    Effect::new(move |_| {
        let Some(list) = ctx.profiles.get() else {
            return;
        };
        // Forget picks of profiles that are gone.
        roles.update(|r| r.retain(|(id, _)| list.iter().any(|p| &p.id == id)));
        // Exactly two profiles and nothing picked: the older is A, the newer B, so
        // comparing them is one click.
        let picks =
            |(a, b): (ProfileId, ProfileId)| vec![(a, Role::Baseline), (b, Role::Candidate)];
        match older_newer(&list) {
            Some(pair)
                if roles.with_untracked(Vec::is_empty) && auto_picked.get_value() != Some(pair) =>
            {
                auto_picked.set_value(Some(pair));
                roles.set(picks(pair));
            }
            // A third profile arrived: the guess no longer holds, unless the user kept it.
            None => {
                if let Some(pair) = auto_picked.get_value() {
                    if roles.with_untracked(|r| *r == picks(pair)) {
                        roles.set(Vec::new());
                    }
                    auto_picked.set_value(None);
                }
            }
            Some(_) => {}
        }
    });
    let toggle = move |id: ProfileId, role: Role| {
        roles.update(|r| match r.iter().position(|(i, _)| *i == id) {
            Some(pos) if r[pos].1 == role => {
                r.remove(pos);
            }
            Some(pos) => r[pos].1 = role,
            None => r.push((id, role)),
        })
    };
    let side = move |role: Role| -> Vec<String> {
        roles.with(|r| {
            r.iter()
                .filter(|(_, x)| *x == role)
                .map(|(id, _)| id.to_string())
                .collect()
        })
    };
    let navigate = use_navigate();
    let compare_href = move || {
        let (a, b) = (side(Role::Baseline), side(Role::Candidate));
        if a.is_empty() || b.is_empty() {
            return None;
        }
        let mode = if a.len() == 1 && b.len() == 1 {
            Mode::Two
        } else {
            Mode::Runs
        };
        Some(format!(
            "/compare?mode={}&a={}&b={}",
            mode.as_str(),
            a.join(","),
            b.join(",")
        ))
    };
    let matrix_href = move || {
        let list = ctx.profiles.get().unwrap_or_default();
        let picked: Vec<String> = list
            .iter()
            .filter(|p| roles.with(|r| r.iter().any(|(id, _)| *id == p.id)))
            .map(|p| p.id.to_string())
            .collect();
        (picked.len() >= 2).then(|| format!("/compare?mode=matrix&a={}", picked.join(",")))
    };
    let go = move |href: Option<String>| {
        if let Some(h) = href {
            navigate(&h, Default::default());
        }
    };
    let go2 = go.clone();
    // Merge every picked profile, in list order, into a new one.
    let merging = ServerAction::<MergeRuns>::new();
    let picked_in_order = move || -> Vec<ProfileId> {
        let list = ctx.profiles.get().unwrap_or_default();
        list.iter()
            .filter(|p| roles.with(|r| r.iter().any(|(id, _)| *id == p.id)))
            .map(|p| p.id)
            .collect()
    };
    Effect::new(move |_| {
        let Some(result) = merging.value().get() else {
            return;
        };
        match result {
            Ok(p) => {
                error.set(None);
                roles.set(Vec::new());
                merged_note.set(Some(format!("Merged into {}", p.name)));
            }
            Err(e) => error.set(Some(format!("Cannot merge: {}", ctx.error(e)))),
        }
        ctx.refresh();
    });
    let merge = move |_| {
        let Some(session) = ctx.id.get_untracked() else {
            return;
        };
        let ids = picked_in_order();
        if ids.len() >= 2 {
            merged_note.set(None);
            merging.dispatch(MergeRuns {
                session,
                ids,
                name: None,
            });
        }
    };
    let deleting = ServerAction::<DeleteProfile>::new();
    // The name of the profile being deleted, for the error message.
    let deleting_name = StoredValue::new(String::new());
    Effect::new(move |_| {
        let Some(result) = deleting.value().get() else {
            return;
        };
        match result {
            Ok(()) => error.set(None),
            Err(e) => error.set(Some(format!(
                "Cannot delete {}: {}",
                deleting_name.get_value(),
                ctx.error(e)
            ))),
        }
        ctx.refresh();
    });
    let delete = move |p: ProfileSummary| {
        let Some(session) = ctx.id.get_untracked() else {
            return;
        };
        let confirmed = window()
            .confirm_with_message(&format!("Delete {}?", p.name))
            .unwrap_or(false);
        if confirmed {
            deleting_name.set_value(p.name);
            deleting.dispatch(DeleteProfile { session, id: p.id });
        }
    };
    let download = move |p: ProfileSummary| {
        let Some(session) = ctx.id.get_untracked() else {
            return;
        };
        browser::download_profile(&session.to_string(), &p.id.to_string(), &p.name, move |m| {
            error.set(Some(m))
        });
    };
    let role_of = move |id: ProfileId| {
        roles.with(|r| r.iter().find(|(i, _)| *i == id).map(|(_, role)| *role))
    };

    view! {
        <section class="card" aria-labelledby="list-title">
            <div class="card-head">
                <h2 id="list-title">"Profiles"</h2>
                <div class="actions">
                    <span class="hint">"Pick A (baseline) and B (candidate); several of each compares runs."</span>
                    <button
                        type="button"
                        class="btn btn-primary"
                        data-testid="compare-picked"
                        disabled=move || compare_href().is_none()
                        on:click=move |_| go(compare_href())
                    >
                        "Compare A → B"
                    </button>
                    <button
                        type="button"
                        class="btn"
                        data-testid="matrix-picked"
                        disabled=move || matrix_href().is_none()
                        on:click=move |_| go2(matrix_href())
                    >
                        "Matrix of picked"
                    </button>
                    <button
                        type="button"
                        class="btn"
                        data-testid="merge-picked"
                        title="one new profile from the picked ones: pstats' add for traced profiles, samples summed for sampled ones"
                        disabled=move || merging.pending().get() || picked_in_order().len() < 2
                        on:click=merge
                    >
                        {move || if merging.pending().get() { "Merging…" } else { "Merge picked" }}
                    </button>
                </div>
            </div>
            {move || error.get().map(|m| view! { <p class="error" role="alert" data-testid="list-error">{m}</p> })}
            {move || merged_note.get().map(|m| view! { <p class="ok" role="status" data-testid="merge-status">{m}</p> })}
            {move || match ctx.profiles.get() {
                None => view! { <p class="loading">"Loading profiles…"</p> }.into_any(),
                Some(list) if list.is_empty() => view! {
                    <p class="empty" data-testid="empty-list">"No profiles yet. Upload a "<code>".prof"</code>" file above — for example one written by "<code>"python -m cProfile -o out.prof script.py"</code>"."</p>
                }.into_any(),
                Some(list) => view! {
                    <div class="table-wrap">
                        <table class="data profiles" data-testid="profile-list">
                            <thead>
                                <tr>
                                    <th scope="col">"Pick"</th>
                                    <th scope="col">"Name"</th>
                                    <th scope="col">"Producer"</th>
                                    <th scope="col" class="num">"Functions"</th>
                                    <th scope="col" class="num">"Calls"</th>
                                    <th scope="col" class="num">"Total time"</th>
                                    <th scope="col" class="num">"Size"</th>
                                    <th scope="col">"Uploaded"</th>
                                    <th scope="col">"Actions"</th>
                                </tr>
                            </thead>
                            <tbody>
                                {list.into_iter().map(|p| {
                                    let id = p.id;
                                    let (pd, pdl) = (p.clone(), p.clone());
                                    view! {
                                        <ProfileRow
                                            p
                                            role=Signal::derive(move || role_of(id))
                                            on_pick=Callback::new(move |role| toggle(id, role))
                                            on_download=Callback::new(move |()| download(pdl.clone()))
                                            on_delete=Callback::new(move |()| delete(pd.clone()))
                                        />
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                }.into_any(),
            }}
        </section>
    }
}

/// One profile in the list: its pick buttons, summary and actions.
#[component]
fn ProfileRow(
    p: ProfileSummary,
    role: Signal<Option<Role>>,
    on_pick: Callback<Role>,
    on_download: Callback<()>,
    on_delete: Callback<()>,
) -> impl IntoView {
    let href = format!("/profile/{}", p.id);
    let (row_name, name) = (p.name.clone(), p.name.clone());
    let pick = move |r: Role, label: &'static str| {
        let on = move || role.get() == Some(r);
        let (class, title, testid) = match r {
            Role::Baseline => ("role", "baseline", "pick-a"),
            Role::Candidate => ("role role-b", "candidate", "pick-b"),
        };
        view! {
            <button
                type="button"
                class=class
                class:on=on
                aria-pressed=move || on().to_string()
                title=title
                data-testid=testid
                on:click=move |_| on_pick.run(r)
            >
                {label}
            </button>
        }
    };
    view! {
        <tr data-testid="profile-row" data-name=row_name>
            <td class="pick">
                {pick(Role::Baseline, "A")}
                {pick(Role::Candidate, "B")}
            </td>
            <td class="name"><A href=href.clone()>{name}</A></td>
            <td data-testid="producer">{p.label()}</td>
            <td class="num">{fmt::count(p.functions as i64)}</td>
            <td class="num" title=format!("{} primitive", p.primitive_calls)>{fmt::count(p.total_calls)}</td>
            <td class="num" title=format!("{} s", p.total_time)>{fmt::secs(p.total_time)}</td>
            <td class="num">{fmt::bytes(p.size_bytes)}</td>
            <td class="when">{fmt::when(p.uploaded_ms)}</td>
            <td class="row-actions">
                <A href=href>"Open"</A>
                <button type="button" class="btn btn-small" on:click=move |_| on_download.run(())>"Download"</button>
                <button type="button" class="btn btn-small btn-danger" data-testid="delete-profile" on:click=move |_| on_delete.run(())>"Delete"</button>
            </td>
        </tr>
    }
}
