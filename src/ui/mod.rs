//! The UI room: Leptos components. Server functions live beside the components that call
//! them and reach storage through the server's `AppState` (provided as context).

pub mod browser;
pub mod compare;
pub mod fmt;
pub mod order;
pub mod profile_view;
pub mod profiles;
pub mod session;
pub mod types;
pub mod widgets;

#[cfg(feature = "ssr")]
pub(crate) mod ssr;
