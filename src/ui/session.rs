//! The per-tab session: minted by the server, kept in `sessionStorage` (per tab: a reload
//! keeps it, a new tab starts empty). A duplicated tab copies `sessionStorage`, so at
//! start-up a tab asks the others over a `BroadcastChannel` whether its id is taken and,
//! if so, gets its own session. An expired or unknown session is replaced with a notice.

use std::time::Duration;

use leptos::prelude::*;
use leptos::task::spawn_local;

use super::browser;
use super::fmt;
use crate::model::{AppError, ProfileSummary, SessionId, SessionInfo};

/// A new session.
#[server(prefix = "/fn")]
pub async fn new_session() -> Result<SessionInfo, AppError> {
    use crate::server::{AppState, service};
    service::create_session(&AppState::from_context()?).await
}

/// The badge's numbers and the session's profiles (oldest first), from one listing;
/// [`AppError::SessionGone`] for a gone session.
#[server(prefix = "/fn")]
pub async fn get_session_state(
    session: SessionId,
) -> Result<(SessionInfo, Vec<ProfileSummary>), AppError> {
    use crate::server::{AppState, service};
    service::session_state(&AppState::from_context()?, session).await
}

/// Deletes every profile of the session (the session stays).
#[server(prefix = "/fn")]
pub async fn clear_session(session: SessionId) -> Result<usize, AppError> {
    use crate::server::{AppState, service};
    service::clear(&AppState::from_context()?, session).await
}

/// The tab's session and what it holds, shared by every page.
#[derive(Clone, Copy)]
pub struct SessionCtx {
    /// `None` until the tab has a session the server knows.
    pub id: RwSignal<Option<SessionId>>,
    pub info: RwSignal<Option<SessionInfo>>,
    /// The session's profiles; `None` while loading.
    pub profiles: RwSignal<Option<Vec<ProfileSummary>>>,
    /// Something the user should know about the session (replaced, duplicated tab...).
    pub notice: RwSignal<Option<String>>,
    /// Browser clock minus server clock, to count down to expiry.
    clock_skew: RwSignal<f64>,
    /// The duplicate check found another tab with our id.
    taken: RwSignal<bool>,
    /// A new session is being minted: several failing calls ask for one only once.
    replacing: StoredValue<bool>,
}

impl SessionCtx {
    pub fn use_ctx() -> SessionCtx {
        expect_context::<SessionCtx>()
    }

    /// A server function's error, passed on; a gone session is replaced on the way.
    pub fn check(&self, e: AppError) -> AppError {
        if e == AppError::SessionGone {
            self.replace(Some(
                "Your session expired or was removed, so this tab started a new, empty one.",
            ));
        }
        e
    }

    /// A server function's error as a message (see [`SessionCtx::check`]).
    pub fn error(&self, e: AppError) -> String {
        self.check(e).to_string()
    }

    /// Reloads the badge and the profile list.
    pub fn refresh(&self) {
        let ctx = *self;
        let Some(id) = ctx.id.get_untracked() else {
            return;
        };
        spawn_local(async move {
            match get_session_state(id).await {
                Ok(state) => ctx.set_state(state),
                Err(e) => {
                    ctx.error(e);
                }
            }
        });
    }

    /// Shows what the server said of the session: the badge's numbers and the profiles.
    fn set_state(&self, (info, profiles): (SessionInfo, Vec<ProfileSummary>)) {
        self.clock_skew
            .set(browser::now_ms() - info.server_now_ms as f64);
        self.info.set(Some(info));
        self.profiles.set(Some(profiles));
    }

    /// Gives the tab a new session, telling the user why when `notice` is set.
    pub fn replace(&self, notice: Option<&str>) {
        let ctx = *self;
        if ctx.replacing.get_value() {
            return;
        }
        ctx.replacing.set_value(true);
        ctx.id.set(None);
        ctx.info.set(None);
        ctx.profiles.set(None);
        if let Some(n) = notice {
            ctx.notice.set(Some(n.to_string()));
        }
        spawn_local(async move {
            match new_session().await {
                Ok(info) => {
                    browser::store_session(&info.id.to_string());
                    ctx.id.set(Some(info.id));
                    ctx.set_state((info, Vec::new()));
                }
                Err(e) => ctx.notice.set(Some(format!("Cannot start a session: {e}"))),
            }
            ctx.replacing.set_value(false);
        });
    }

    /// Milliseconds until the session expires, by the browser's clock.
    pub fn ms_left(&self, now_ms: f64) -> Option<f64> {
        let info = self.info.get()?;
        Some(info.expires_ms as f64 - (now_ms - self.clock_skew.get()))
    }
}

/// Creates the tab's session context and, in the browser, finds or makes its session.
pub fn provide_session() -> SessionCtx {
    let ctx = SessionCtx {
        id: RwSignal::new(None),
        info: RwSignal::new(None),
        profiles: RwSignal::new(None),
        notice: RwSignal::new(None),
        clock_skew: RwSignal::new(0.0),
        taken: RwSignal::new(false),
        replacing: StoredValue::new(false),
    };
    provide_context(ctx);
    // Effects run only in the browser, once hydrated.
    Effect::new(move |_| {
        browser::listen_tabs(
            move |id| {
                ctx.id
                    .get_untracked()
                    .is_some_and(|mine| mine.to_string() == id)
            },
            move |id| {
                if browser::stored_session().as_deref() == Some(id)
                    && ctx.id.get_untracked().is_none()
                {
                    ctx.taken.set(true);
                }
            },
        );
        match browser::stored_session().and_then(|id| SessionId::parse(&id).ok()) {
            None => ctx.replace(None),
            Some(id) => {
                // A live tab holding the same id answers within a few milliseconds.
                browser::say_hello(&id.to_string());
                set_timeout(
                    move || {
                        if ctx.taken.get_untracked() {
                            ctx.replace(Some(
                                "This tab is a copy of another tab, so it got its own session (the other tab keeps its profiles).",
                            ));
                            return;
                        }
                        spawn_local(async move {
                            match get_session_state(id).await {
                                Ok(state) => {
                                    ctx.id.set(Some(id));
                                    ctx.set_state(state);
                                }
                                Err(e) => {
                                    let gone = e == AppError::SessionGone;
                                    let msg = ctx.error(e);
                                    if !gone {
                                        ctx.notice.set(Some(msg));
                                    }
                                }
                            }
                        });
                    },
                    Duration::from_millis(250),
                );
            }
        }
    });
    ctx
}

/// Short id, profiles, storage used, time to expiry, and "Clear session".
#[component]
pub fn SessionBadge() -> impl IntoView {
    let ctx = SessionCtx::use_ctx();
    let now = RwSignal::new(0.0);
    Effect::new(move |_| {
        now.set(browser::now_ms());
        set_interval(move || now.set(browser::now_ms()), Duration::from_secs(15));
    });
    let short = move || match ctx.id.get() {
        Some(id) => id.short(),
        None => "…".to_string(),
    };
    let clearing = ServerAction::<ClearSession>::new();
    // Once cleared (or refused), the badge and the list show what the server holds.
    Effect::new(move |_| {
        let Some(result) = clearing.value().get() else {
            return;
        };
        if let Err(e) = result {
            ctx.notice.set(Some(ctx.error(e)));
        }
        ctx.refresh();
    });
    let clear = move |_| {
        let Some(id) = ctx.id.get_untracked() else {
            return;
        };
        let confirmed = ctx
            .profiles
            .with_untracked(|p| p.as_ref().is_none_or(|p| p.is_empty()))
            || window()
                .confirm_with_message("Delete every profile of this session?")
                .unwrap_or(false);
        if confirmed {
            clearing.dispatch(ClearSession { session: id });
        }
    };
    view! {
        <div class="session-badge" data-testid="session-badge">
            <span class="session-label">"Session"</span>
            <code data-testid="session-id" title=move || ctx.id.get().map(|id| id.to_string()).unwrap_or_default()>
                {short}
            </code>
            <span class="session-stat" data-testid="session-profiles">
                {move || ctx.info.get().map(|i| match i.profiles {
                    1 => "1 profile".to_string(),
                    n => format!("{n} profiles"),
                }).unwrap_or_default()}
            </span>
            <span
                class="session-stat"
                data-testid="session-bytes"
                title=move || {
                    ctx.info
                        .get()
                        .map(|i| format!("limit {}", fmt::bytes(i.max_session_bytes)))
                        .unwrap_or_default()
                }
            >
                {move || ctx.info.get().map(|i| fmt::bytes(i.bytes_used)).unwrap_or_default()}
            </span>
            <span class="session-stat" data-testid="session-expiry" title="time until the session and its profiles are deleted unless used">
                {move || {
                    ctx.ms_left(now.get()).map(|ms| format!("expires in {}", fmt::time_left(ms))).unwrap_or_default()
                }}
            </span>
            <button
                type="button"
                class="btn btn-small btn-danger"
                data-testid="clear-session"
                disabled=move || ctx.id.get().is_none() || clearing.pending().get()
                on:click=clear
            >
                "Clear session"
            </button>
        </div>
    }
}

/// The session notice, if any, with a close button.
#[component]
pub fn SessionNotice() -> impl IntoView {
    let ctx = SessionCtx::use_ctx();
    move || {
        ctx.notice.get().map(|n| {
            view! {
                <div class="notice" role="status" data-testid="session-notice">
                    <span>{n}</span>
                    <button type="button" class="btn btn-small" aria-label="Dismiss" on:click=move |_| ctx.notice.set(None)>
                        "×"
                    </button>
                </div>
            }
        })
    }
}
