//! The home page: upload (drag and drop or picker, a progress bar per file) and the
//! session's profile list, where profiles are opened, downloaded, deleted, and picked
//! for a comparison, and the session's share links.

pub mod list;
mod upload;

use leptos::prelude::*;

#[component]
pub fn HomePage() -> impl IntoView {
    view! {
        <upload::UploadZone/>
        <list::ProfileList/>
        <crate::ui::share::SharesCard/>
    }
}
