//! The application shell and routes, shared by server rendering and hydration.

use leptos::prelude::*;
use leptos_meta::{MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::components::{A, Route, Router, Routes};
use leptos_router::{Lazy, StaticSegment, path};

use crate::ui::compare::CompareRoute;
use crate::ui::profile_view::ProfilePage;
use crate::ui::profiles::HomePage;
use crate::ui::session::{SessionBadge, SessionNotice, provide_session};

/// The HTML document the server renders around the app.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="light dark"/>
                <AutoReload options=options.clone()/>
                <HydrationScripts options/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    provide_session();
    view! {
        <Stylesheet id="leptos" href="/pkg/profdiff.css"/>
        <Title text="profdiff"/>
        <Router>
            <header class="topbar">
                <A href="/" attr:class="brand-link">
                    <h1 class="brand">"profdiff"</h1>
                </A>
                <nav class="nav" aria-label="main">
                    <A href="/">"Profiles"</A>
                    <A href="/compare">"Compare"</A>
                </nav>
                <SessionBadge/>
            </header>
            <SessionNotice/>
            <main>
                <Routes fallback=|| view! { <p class="not-found">"Page not found."</p> }>
                    <Route path=StaticSegment("") view=HomePage/>
                    <Route path=path!("/profile/:id") view=ProfilePage/>
                    <Route path=StaticSegment("compare") view={Lazy::<CompareRoute>::new()}/>
                    <Route path=path!("/s/:share") view={Lazy::<CompareRoute>::new()}/>
                </Routes>
            </main>
        </Router>
    }
}
