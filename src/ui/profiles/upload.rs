//! Uploads: drag and drop or the picker, one request per file with a progress bar, and the
//! server's answer (the stored profile's summary, or why it was refused).

use leptos::prelude::*;
use leptos_router::components::A;

use crate::model::{ProfileId, ProfileSummary};
use crate::ui::browser::{self, PickedFile, UploadEnd};
use crate::ui::fmt;
use crate::ui::session::SessionCtx;

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
        // `from_slice`, as the server functions' decoder reads: `from_str` would add a second
        // copy of every JSON decoder these types use to the bundle.
        UploadEnd::Answered(201, body) => {
            match serde_json::from_slice::<Stored>(body.as_bytes())
                .ok()
                .and_then(|s| s.profiles.into_iter().next())
            {
                Some(p) => {
                    let summary = match p.samples {
                        Some(n) => format!(
                            "✓ {} · {} functions · {} samples",
                            p.label(),
                            fmt::count(p.functions as i64),
                            fmt::count(n.min(i64::MAX as u64) as i64),
                        ),
                        None => format!(
                            "✓ {} · {} functions · {} calls · {}",
                            p.label(),
                            fmt::count(p.functions as i64),
                            fmt::count(p.total_calls),
                            fmt::secs(p.total_time),
                        ),
                    };
                    (UploadState::Done { id: p.id, summary }, false)
                }
                None => (
                    UploadState::Failed("the server's answer could not be read".into()),
                    false,
                ),
            }
        }
        UploadEnd::Answered(status, body) => {
            match serde_json::from_slice::<Refused>(body.as_bytes()) {
                Ok(r) => (
                    UploadState::Failed(r.error),
                    r.kind.as_deref() == Some("session_gone"),
                ),
                Err(_) => (
                    UploadState::Failed(format!("the server answered HTTP {status}")),
                    false,
                ),
            }
        }
    }
}

#[component]
pub fn UploadZone() -> impl IntoView {
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
                <span class="dropzone-main">"Drop profiles here, or " <u>"choose files"</u></span>
                <span class="dropzone-hint">
                    "pstats dumps (cProfile, profile, yappi, pyinstrument, profiling.sampling --pstats), folded stacks (py-spy -f raw, profiling.sampling --collapsed), speedscope (py-spy, pyinstrument), .pyisession or viztracer JSON"
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
