//! The UI room: Leptos components. Server functions live beside the components that call
//! them; their bodies (server only) call the service layer (`server::service`) with the
//! `AppState` the site provides as context, and return [`crate::model::AppError`].

pub mod browser;
pub mod compare;
pub mod flame;
pub mod fmt;
pub mod order;
pub mod profile_view;
pub mod profiles;
pub mod session;
pub mod share;
pub mod viewer;
pub mod widgets;
