//! Whose profiles the compare page and the profile view show: the tab's session, or a
//! share (read-only, at `/s/{id}`). Those views read [`Viewer::use_ctx`] instead of the
//! session directly, so one set of components serves both.

use leptos::prelude::*;

use super::session::SessionCtx;
use crate::model::{Access, AppError, ProfileSummary, ShareId};

#[derive(Clone, Copy)]
pub struct Viewer {
    /// `None` until the tab has a session (a share's access is known at once).
    pub access: Signal<Option<Access>>,
    /// The profiles the views may name; `None` while loading.
    pub profiles: Signal<Option<Vec<ProfileSummary>>>,
    /// On a share page: the share (`None` inside when the link's id is malformed).
    pub share: Option<Option<ShareId>>,
    /// Captured at construction: errors are checked after an `await`, where context is
    /// out of reach.
    tab: SessionCtx,
}

impl Viewer {
    /// The tab's session and its profiles.
    pub fn session() -> Viewer {
        let ctx = SessionCtx::use_ctx();
        Viewer {
            access: Signal::derive(move || ctx.id.get().map(Access::Session)),
            profiles: ctx.profiles.into(),
            share: None,
            tab: ctx,
        }
    }

    /// A share's snapshot (`id` is `None` for a malformed link: nothing loads).
    pub fn share(id: Option<ShareId>, profiles: Signal<Option<Vec<ProfileSummary>>>) -> Viewer {
        Viewer {
            access: Signal::stored(id.map(Access::Share)),
            profiles,
            share: Some(id),
            tab: SessionCtx::use_ctx(),
        }
    }

    /// The viewer a share page provided, or else the tab's session.
    pub fn use_ctx() -> Viewer {
        use_context::<Viewer>().unwrap_or_else(Viewer::session)
    }

    pub fn read_only(&self) -> bool {
        self.share.is_some()
    }

    /// The compare page's path: `/compare`, or the share's own.
    pub fn compare_path(&self) -> String {
        match self.share {
            Some(Some(id)) => format!("/s/{id}"),
            Some(None) => "/s/invalid".into(),
            None => "/compare".into(),
        }
    }

    /// A server function's error, passed on; for the session, a gone one is replaced (see
    /// [`SessionCtx::check`]).
    pub fn check(&self, e: AppError) -> AppError {
        match self.share {
            Some(_) => e,
            None => self.tab.check(e),
        }
    }

    pub fn error(&self, e: AppError) -> String {
        self.check(e).to_string()
    }
}
