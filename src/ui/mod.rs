//! The UI room: Leptos components. Server functions live beside the components that call
//! them.

pub mod home;
pub mod session;
