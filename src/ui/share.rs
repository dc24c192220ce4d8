//! Share links in the UI: the *Share* button (comparison and profile views) with the link
//! to copy, the session's list of its shares with *Revoke*, and the banner and not-found
//! card of a share page (`/s/{id}`, served by the compare route in read-only mode).

use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use leptos::task::spawn_local;

use super::browser;
use super::fmt;
use super::session::SessionCtx;
use crate::model::{AppError, SessionId, ShareId, ShareInfo, ShareTarget, ShareView};

/// Makes a share of what `target` names (see `service::create_share`).
#[server(prefix = "/fn", input = Json)]
pub async fn create_share(session: SessionId, target: ShareTarget) -> Result<ShareInfo, AppError> {
    use crate::server::{AppState, service};
    service::create_share(&AppState::from_context()?, session, target).await
}

/// The session's live shares, oldest first.
#[server(prefix = "/fn", input = Json)]
pub async fn list_shares(session: SessionId) -> Result<Vec<ShareInfo>, AppError> {
    use crate::server::{AppState, service};
    service::shares(&AppState::from_context()?, session).await
}

/// Ends one of the session's shares.
#[server(prefix = "/fn", input = Json)]
pub async fn revoke_share(session: SessionId, share: ShareId) -> Result<(), AppError> {
    use crate::server::{AppState, service};
    service::revoke_share(&AppState::from_context()?, session, share).await
}

/// What a share link opens; no session needed (the id is the key).
#[server(prefix = "/fn", input = Json)]
pub async fn get_share(share: ShareId) -> Result<ShareInfo, AppError> {
    use crate::server::{AppState, service};
    service::share(&AppState::from_context()?, share).await
}

/// The link's absolute address.
fn link(info: &ShareInfo) -> String {
    format!("{}{}", browser::origin(), info.path)
}

/// *Share*: makes a read-only link to `target` and shows it, with a copy button.
#[component]
pub fn ShareButton(#[prop(into)] target: Signal<Option<ShareTarget>>) -> impl IntoView {
    let ctx = SessionCtx::use_ctx();
    let made = RwSignal::new(None::<ShareInfo>);
    let status = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let share = move |_| {
        let (Some(session), Some(target)) = (ctx.id.get_untracked(), target.get_untracked()) else {
            return;
        };
        busy.set(true);
        status.set(String::new());
        spawn_local(async move {
            match create_share(session, target).await {
                Ok(info) => made.set(Some(info)),
                Err(e) => {
                    made.set(None);
                    status.set(ctx.error(e));
                }
            }
            busy.set(false);
        });
    };
    let copy = move |_| {
        let Some(info) = made.get_untracked() else {
            return;
        };
        spawn_local(async move {
            status.set(match browser::copy_text(&link(&info)).await {
                Ok(()) => "Copied.".into(),
                Err(e) => e,
            });
        });
    };
    view! {
        <span class="share">
            <button type="button" class="btn" data-testid="share" title="a read-only link anyone with it can open"
                disabled=move || busy.get() || target.with(Option::is_none) on:click=share>
                "Share"
            </button>
            {move || made.get().map(|info| view! {
                <span class="share-made" data-testid="share-made">
                    <label class="field share-link">
                        <span>"Share link"</span>
                        <input type="text" readonly size="60" data-testid="share-link" prop:value=link(&info)/>
                    </label>
                    <button type="button" class="btn" data-testid="share-copy" on:click=copy>"Copy"</button>
                    <span class="muted">{format!("read-only, until {}", fmt::when(info.expires_ms))}</span>
                </span>
            })}
            <span class="muted" role="status" data-testid="share-status">{move || status.get()}</span>
        </span>
    }
}

/// What a share shows, in words.
fn describe(info: &ShareInfo) -> String {
    let names = info
        .profiles
        .iter()
        .map(|p| p.name.as_str())
        .collect::<Vec<_>>();
    match &info.view {
        ShareView::Profile { .. } => format!("Profile {}", names.join(", ")),
        ShareView::Compare { .. } => format!("Comparison of {}", names.join(" · ")),
    }
}

/// The session's shares with their links and *Revoke* (on the profile list).
#[component]
pub fn SharesCard() -> impl IntoView {
    let ctx = SessionCtx::use_ctx();
    let version = RwSignal::new(0u32);
    let status = RwSignal::new(String::new());
    let shares = LocalResource::new(move || {
        let (session, _) = (ctx.id.get(), version.get());
        async move {
            match session {
                Some(s) => list_shares(s).await.map_err(|e| ctx.error(e)),
                None => Ok(Vec::new()),
            }
        }
    });
    let revoke = move |id: ShareId| {
        let Some(session) = ctx.id.get_untracked() else {
            return;
        };
        spawn_local(async move {
            match revoke_share(session, id).await {
                Ok(()) => status.set("Revoked: the link no longer opens.".into()),
                Err(e) => status.set(ctx.error(e)),
            }
            version.update(|v| *v += 1);
        });
    };
    view! {
        <Transition fallback=|| ()>
            {move || shares.get().map(|r| match r {
                Ok(list) if list.is_empty() => ().into_any(),
                Ok(list) => view! {
                    <section class="card" data-testid="shares">
                        <h2>"Share links"</h2>
                        <p class="muted">"Read-only snapshots: whoever has a link sees what it shows until it expires or you revoke it."</p>
                        <table class="data">
                            <thead><tr><th>"What"</th><th>"Link"</th><th>"Expires"</th><th></th></tr></thead>
                            <tbody>
                                {list.into_iter().map(|info| {
                                    let id = info.id;
                                    view! {
                                        <tr data-testid="share-row">
                                            <td>{describe(&info)}</td>
                                            <td><a href=info.path.clone() data-testid="share-row-link">{link(&info)}</a></td>
                                            <td>{fmt::when(info.expires_ms)}</td>
                                            <td><button type="button" class="btn danger" data-testid="share-revoke" on:click=move |_| revoke(id)>"Revoke"</button></td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    </section>
                }.into_any(),
                Err(e) => view! { <p class="error" role="alert">{e}</p> }.into_any(),
            })}
            <p class="muted" role="status" data-testid="shares-status">{move || status.get()}</p>
        </Transition>
    }
}

/// The top of a share page: what it is and until when.
#[component]
pub fn ShareBanner(info: ShareInfo) -> impl IntoView {
    view! {
        <section class="card share-banner" data-testid="share-banner">
            <p>
                <strong>"Shared, read-only: "</strong>{describe(&info)}
                <span class="muted">{format!(" · made {} · link works until {}", fmt::when(info.created_ms), fmt::when(info.expires_ms))}</span>
            </p>
        </section>
    }
}

/// A share page whose link is unknown, revoked or expired.
#[component]
pub fn ShareGone() -> impl IntoView {
    view! {
        <section class="card" data-testid="share-gone">
            <h2>"Share link not found"</h2>
            <p>"This share link is unknown, was revoked by its owner, or has expired. Ask whoever sent it for a new one."</p>
            <p><a href="/">"Open profdiff"</a></p>
        </section>
    }
}
