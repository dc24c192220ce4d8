//! The comparison view's server functions: the comparison itself (any of the three forms),
//! one function's edge diff, and exports. Each takes a [`CompareReq`]; the three share one
//! way of loading its profiles and running it ([`ssr::Job`]), so the view, the edge diff
//! and the exports always compute the same comparison.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use super::Loaded;
use crate::engine::compare::edges::Edges;
use crate::ui::types::CompareReq;

#[cfg(feature = "ssr")]
mod ssr {
    use std::sync::Arc;

    use leptos::prelude::ServerFnError;

    use super::Loaded;
    use crate::engine::Profile;
    use crate::engine::compare::runs::{compare_runs, matrix};
    use crate::engine::compare::{Options, compare};
    use crate::server::store::ProfileMeta;
    use crate::ui::ssr::{open_session, options, profiles, state};
    use crate::ui::types::{CompareReq, Mode};

    /// A checked request with its profiles loaded (from the cache when possible).
    pub struct Job {
        pub mode: Mode,
        pub options: Options,
        pub a: Vec<(ProfileMeta, Arc<Profile>)>,
        pub b: Vec<(ProfileMeta, Arc<Profile>)>,
    }

    impl Job {
        pub async fn load(session: &str, req: CompareReq) -> Result<Job, ServerFnError> {
            let options = options(&req)?;
            let state = state()?;
            let (sid, _) = open_session(&state, session).await?;
            Ok(Job {
                mode: req.mode,
                options,
                a: profiles(&state, sid, &req.a).await?,
                b: profiles(&state, sid, &req.b).await?,
            })
        }

        /// Runs the comparison (CPU-bound: call it on the blocking pool).
        pub fn run(&self) -> Loaded {
            let shared = |side: &[(ProfileMeta, Arc<Profile>)]| -> Vec<Arc<Profile>> {
                side.iter().map(|(_, p)| p.clone()).collect()
            };
            match self.mode {
                Mode::Two => {
                    Loaded::Two(Arc::new(compare(&self.a[0].1, &self.b[0].1, &self.options)))
                }
                Mode::Runs => Loaded::Runs(Arc::new(compare_runs(
                    &shared(&self.a),
                    &shared(&self.b),
                    &self.options,
                ))),
                Mode::Matrix => {
                    let series: Vec<(String, Arc<Profile>)> = self
                        .a
                        .iter()
                        .map(|(m, p)| (m.name.clone(), p.clone()))
                        .collect();
                    Loaded::Matrix(Arc::new(matrix(&series, self.options.metric)))
                }
            }
        }
    }
}

/// The comparison the request describes: two-way, runs or matrix.
#[server(prefix = "/fn", input = Json)]
pub async fn compare_view(session: String, req: CompareReq) -> Result<Loaded, ServerFnError> {
    use crate::ui::ssr::blocking;
    let job = ssr::Job::load(&session, req).await?;
    blocking(move || job.run()).await
}

/// Callers and callees of the row named `display`, on both sides (two-way comparisons).
#[server(prefix = "/fn", input = Json)]
pub async fn compare_edges(
    session: String,
    req: CompareReq,
    display: String,
) -> Result<Edges, ServerFnError> {
    use crate::ui::ssr::{bad, blocking, missing};
    let job = ssr::Job::load(&session, req).await?;
    blocking(move || {
        let Loaded::Two(c) = job.run() else {
            return Err(bad("callers and callees are shown for two-way comparisons"));
        };
        let row = c
            .rows
            .iter()
            .find(|r| r.display == display)
            .ok_or_else(|| missing("that function is not in this comparison"))?;
        let (base, cand) = (&job.a[0].1, &job.b[0].1);
        Ok(crate::engine::compare::edges::edges(base, cand, &c, row))
    })
    .await?
}

/// The comparison as `markdown`, `csv` or `json` (the CLI's formats), sorted by `sort`
/// (a `SortField` name) when given. Markdown holds the 50 largest changes.
#[server(prefix = "/fn", input = Json)]
pub async fn export_comparison(
    session: String,
    req: CompareReq,
    format: String,
    sort: Option<String>,
    reverse: bool,
) -> Result<String, ServerFnError> {
    use std::sync::Arc;

    use crate::engine::compare::SortField;
    use crate::engine::compare::export::{self, Format};
    use crate::ui::ssr::{bad, blocking};
    let fmt =
        Format::parse(&format).ok_or_else(|| bad(format!("unknown export format {format:?}")))?;
    let limit = (fmt == Format::Markdown).then_some(50);
    let job = ssr::Job::load(&session, req).await?;
    blocking(move || match job.run() {
        Loaded::Two(c) => {
            let mut c = Arc::unwrap_or_clone(c);
            if let Some(field) = sort.as_deref().and_then(SortField::parse) {
                c.sort(field, reverse);
            }
            export::comparison(&c, fmt, limit)
        }
        Loaded::Runs(r) => export::runs(&r, fmt, limit),
        Loaded::Matrix(m) => export::matrix(&m, fmt, limit),
    })
    .await
}
