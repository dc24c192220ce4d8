//! The per-tab session id.
//!
//! Each browser tab keeps its own id in `sessionStorage` (which is per tab: a new tab starts
//! empty, a reload keeps it). Until the server mints ids (the sessions issue), the tab
//! creates a random UUIDv4 itself.

use leptos::prelude::*;

/// The `sessionStorage` key holding this tab's session id.
pub const STORAGE_KEY: &str = "profdiff.session";

/// This tab's id, created on first use. Browser only: on the server it is empty.
pub fn tab_session_id() -> String {
    #[cfg(feature = "hydrate")]
    {
        use gloo_storage::{SessionStorage, Storage};
        match SessionStorage::get::<String>(STORAGE_KEY) {
            Ok(id) if uuid::Uuid::parse_str(&id).is_ok() => id,
            _ => new_tab_session_id(),
        }
    }
    #[cfg(not(feature = "hydrate"))]
    {
        String::new()
    }
}

/// Replaces this tab's id with a fresh one.
pub fn new_tab_session_id() -> String {
    let id = uuid::Uuid::new_v4().to_string();
    #[cfg(feature = "hydrate")]
    {
        use gloo_storage::{SessionStorage, Storage};
        let _ = SessionStorage::set(STORAGE_KEY, &id);
    }
    id
}

/// Shows the tab's session id and lets the user start a new session.
#[component]
pub fn SessionBadge() -> impl IntoView {
    let id = RwSignal::new(None::<String>);
    // Effects run only in the browser, after hydration.
    Effect::new(move |_| id.set(Some(tab_session_id())));
    let short = move || match id.get() {
        Some(id) => id.chars().take(8).collect::<String>(),
        None => "…".to_string(),
    };
    view! {
        <div class="session-badge" data-testid="session-badge">
            <span class="session-label">"Session"</span>
            <code data-testid="session-id" title=move || id.get().unwrap_or_default()>{short}</code>
            <button
                type="button"
                data-testid="new-session"
                disabled=move || id.get().is_none()
                on:click=move |_| id.set(Some(new_tab_session_id()))
            >
                "New session"
            </button>
        </div>
    }
}
