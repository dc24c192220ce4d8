//! The landing page.

use leptos::prelude::*;

use super::session::SessionBadge;

#[component]
pub fn HomePage() -> impl IntoView {
    view! {
        <header class="topbar">
            <h1 class="brand">"profdiff"</h1>
            <SessionBadge/>
        </header>
        <section class="intro">
            <p>
                "Upload Python profile dumps (cProfile, profile, yappi, pyinstrument), read them, "
                "and compare runs: which functions got slower or faster."
            </p>
        </section>
    }
}
