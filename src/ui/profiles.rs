//! The home page: upload (drag and drop or picker, a progress bar per file) and the
//! session's profile list, where profiles are opened, downloaded, deleted, and picked
//! for a comparison.

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_navigate;

use super::browser::{self, PickedFile, UploadEnd};
use super::fmt;
use super::session::SessionCtx;
use crate::model::{AppError, Mode, ProfileId, ProfileSummary, SessionId};

/// Deletes one profile of the session.
#[server(prefix = "/fn")]
pub async fn delete_profile(session: SessionId, id: ProfileId) -> Result<(), AppError> {
    use crate::server::{AppState, service};
    service::delete(&AppState::from_context()?, session, id).await
}

#[component]
pub fn HomePage() -> impl IntoView {
    view! {
        <UploadZone/>
        <ProfileList/>
    }
}

#[derive(Clone, PartialEq)]
enum UploadState {
    Sending,
    /// All bytes sent; the server is parsing and storing.
    Processing,
    /// Stored: the profile's id and a one-line summary.
    Done {
        id: ProfileId,
        summary: String,
    },
    Failed(String),
}

/// `POST /api/upload`'s answer (see README, HTTP API): the stored profiles, or an error.
#[derive(serde::Deserialize)]
struct Stored {
    profiles: Vec<ProfileSummary>,
}

#[derive(serde::Deserialize)]
struct Refused {
    error: String,
    /// The error's kind (`session_gone` when the session expired).
    #[serde(default)]
    kind: Option<String>,
}

#[derive(Clone)]
struct UploadItem {
    key: u64,
    name: String,
    size: f64,
    sent: RwSignal<f64>,
    state: RwSignal<UploadState>,
}

/// The server's answer to one upload: the stored profile, or its error message; and
/// whether the session was gone.
fn upload_result(end: UploadEnd) -> (UploadState, bool) {
    match end {
        UploadEnd::Failed(m) => (UploadState::Failed(m), false),
        UploadEnd::Answered(201, body) => {
            match serde_json::from_str::<Stored>(&body)
                .ok()
                .and_then(|s| s.profiles.into_iter().next())
            {
                Some(p) => {
                    let summary = format!(
                        "✓ {} · {} functions · {} calls · {}",
                        p.producer.as_str(),
                        fmt::count(p.functions as i64),
                        fmt::count(p.total_calls),
                        fmt::secs(p.total_time),
                    );
                    (UploadState::Done { id: p.id, summary }, false)
                }
                None => (
                    UploadState::Failed("the server's answer could not be read".into()),
                    false,
                ),
            }
        }
        UploadEnd::Answered(status, body) => match serde_json::from_str::<Refused>(&body) {
            Ok(r) => (
                UploadState::Failed(r.error),
                r.kind.as_deref() == Some("session_gone"),
            ),
            Err(_) => (
                UploadState::Failed(format!("the server answered HTTP {status}")),
                false,
            ),
        },
    }
}

#[component]
fn UploadZone() -> impl IntoView {
    let ctx = SessionCtx::use_ctx();
    let items = RwSignal::new(Vec::<UploadItem>::new());
    let next_key = StoredValue::new(0u64);
    let hover = RwSignal::new(false);

    // Files chosen before the tab had its session wait here until it has one.
    let waiting = StoredValue::new_local(Vec::<PickedFile>::new());
    let start = move |files: Vec<PickedFile>| {
        let Some(session) = ctx.id.get_untracked() else {
            waiting.update_value(|w| w.extend(files));
            return;
        };
        for file in files {
            let key = next_key.get_value();
            next_key.set_value(key + 1);
            let item = UploadItem {
                key,
                name: file.name.clone(),
                size: file.size,
                sent: RwSignal::new(0.0),
                state: RwSignal::new(UploadState::Sending),
            };
            let (sent, state) = (item.sent, item.state);
            let size = file.size;
            items.update(|v| v.insert(0, item));
            browser::upload(
                &session.to_string(),
                &file,
                move |loaded| {
                    sent.set(loaded);
                    if loaded >= size {
                        state.set(UploadState::Processing);
                    }
                },
                move |end| {
                    let (result, gone) = upload_result(end);
                    if gone {
                        ctx.replace(Some("Your session expired, so this tab started a new one; upload the files again."));
                    }
                    sent.set(size);
                    state.set(result);
                    ctx.refresh();
                },
            );
        }
    };

    // Once hydrated: files picked before (the input works in the server-rendered page, but
    // nothing listened), then, once the session is known, whatever waited for it.
    Effect::new(move |_| start(browser::files_in_input("file-input")));
    Effect::new(move |_| {
        if ctx.id.get().is_some() {
            let files = waiting.try_update_value(std::mem::take).unwrap_or_default();
            if !files.is_empty() {
                start(files);
            }
        }
    });

    view! {
        <section class="card upload" aria-labelledby="upload-title">
            <h2 id="upload-title">"Upload profiles"</h2>
            <label
                class="dropzone"
                class:hover=move || hover.get()
                data-testid="dropzone"
                on:dragover=move |ev| {
                    ev.prevent_default();
                    hover.set(true);
                }
                on:dragleave=move |_| hover.set(false)
                on:drop=move |ev| {
                    ev.prevent_default();
                    hover.set(false);
                    start(browser::files_from_drop(&ev));
                }
            >
                <input
                    type="file"
                    multiple
                    class="visually-hidden"
                    id="file-input"
                    data-testid="file-input"
                    on:change=move |ev| start(browser::files_from_input(&ev))
                />
                <span class="dropzone-main">"Drop .prof / .pstats files here, or " <u>"choose files"</u></span>
                <span class="dropzone-hint">
                    "cProfile, profile, yappi or pyinstrument dumps (pstats format)"
                    {move || ctx.info.get().map(|i| format!(", up to {} each", fmt::bytes(i.max_upload_bytes)))}
                </span>
            </label>
            <ul class="uploads" data-testid="uploads" aria-live="polite">
                <For each=move || items.get() key=|i| i.key let:item>
                    <UploadRow item/>
                </For>
            </ul>
        </section>
    }
}

#[component]
fn UploadRow(item: UploadItem) -> impl IntoView {
    let UploadItem {
        name,
        size,
        sent,
        state,
        ..
    } = item;
    let percent = move || {
        if size > 0.0 {
            (sent.get() / size * 100.0).min(100.0)
        } else {
            100.0
        }
    };
    view! {
        <li class="upload-item" data-testid="upload-item">
            <div class="upload-head">
                <span class="upload-name">{name}</span>
                <span class="upload-size">{fmt::bytes(size as u64)}</span>
            </div>
            <progress max="100" value=move || percent().to_string() aria-label="upload progress"></progress>
            <div class="upload-status">
                {move || match state.get() {
                    UploadState::Sending => view! { <span>{format!("sending… {:.0}%", percent())}</span> }.into_any(),
                    UploadState::Processing => view! { <span>"parsing…"</span> }.into_any(),
                    UploadState::Done { id, summary } => view! {
                        <span class="ok" data-testid="upload-ok">
                            {summary}
                            " "
                            <A href=format!("/profile/{id}")>"open"</A>
                        </span>
                    }.into_any(),
                    UploadState::Failed(m) => view! { <span class="error" data-testid="upload-error" role="alert">{m}</span> }.into_any(),
                }}
            </div>
        </li>
    }
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
fn ProfileList() -> impl IntoView {
    let ctx = SessionCtx::use_ctx();
    // Picked profiles in the order picked.
    let roles = RwSignal::new(Vec::<(ProfileId, Role)>::new());
    let error = RwSignal::new(None::<String>);
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
                </div>
            </div>
            {move || error.get().map(|m| view! { <p class="error" role="alert" data-testid="list-error">{m}</p> })}
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
                                    let (name, row_name, href) = (p.name.clone(), p.name.clone(), format!("/profile/{}", p.id));
                                    view! {
                                        <tr data-testid="profile-row" data-name=row_name>
                                            <td class="pick">
                                                <button
                                                    type="button"
                                                    class="role"
                                                    class:on=move || role_of(id) == Some(Role::Baseline)
                                                    aria-pressed=move || (role_of(id) == Some(Role::Baseline)).to_string()
                                                    title="baseline"
                                                    data-testid="pick-a"
                                                    on:click=move |_| toggle(id, Role::Baseline)
                                                >
                                                    "A"
                                                </button>
                                                <button
                                                    type="button"
                                                    class="role role-b"
                                                    class:on=move || role_of(id) == Some(Role::Candidate)
                                                    aria-pressed=move || (role_of(id) == Some(Role::Candidate)).to_string()
                                                    title="candidate"
                                                    data-testid="pick-b"
                                                    on:click=move |_| toggle(id, Role::Candidate)
                                                >
                                                    "B"
                                                </button>
                                            </td>
                                            <td class="name"><A href=href.clone()>{name}</A></td>
                                            <td>{p.producer.as_str()}</td>
                                            <td class="num">{fmt::count(p.functions as i64)}</td>
                                            <td class="num" title=format!("{} primitive", p.primitive_calls)>{fmt::count(p.total_calls)}</td>
                                            <td class="num" title=format!("{} s", p.total_time)>{fmt::secs(p.total_time)}</td>
                                            <td class="num">{fmt::bytes(p.size_bytes)}</td>
                                            <td class="when">{fmt::when(p.uploaded_ms)}</td>
                                            <td class="row-actions">
                                                <A href=href>"Open"</A>
                                                <button type="button" class="btn btn-small" on:click=move |_| download(pdl.clone())>"Download"</button>
                                                <button type="button" class="btn btn-small btn-danger" data-testid="delete-profile" on:click=move |_| delete(pd.clone())>"Delete"</button>
                                            </td>
                                        </tr>
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
