//! profdiff: read and compare Python profile dumps.
//!
//! Three rooms: [`engine`] (pure: parsing, reports, comparison), `server` (ssr only:
//! configuration, storage, the service layer, REST API) and [`ui`] (Leptos components), with
//! [`model`] holding the types the server and the browser exchange. `site` (ssr) assembles
//! the router from the server's and the UI's parts. Data flows one way:
//! upload → parse → store → compare → view.

// Leptos views are deeply nested types; the comparison view needs more than the default 128.
#![recursion_limit = "256"]

pub mod app;
pub mod engine;
pub mod model;
pub mod ui;

#[cfg(feature = "ssr")]
pub mod cli;
#[cfg(feature = "ssr")]
pub mod server;
#[cfg(feature = "ssr")]
pub mod site;

/// Browser entry point: attaches the app to the server-rendered page.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // Lazy routes (the comparison page is one) need the asynchronous hydration.
    leptos::mount::hydrate_lazy(app::App);
}
