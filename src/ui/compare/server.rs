//! The comparison view's server functions: the three comparison forms, one function's
//! edge diff, and exports. Each takes a [`CompareReq`]; parsed profiles come from the cache.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use crate::engine::compare::Comparison;
use crate::engine::compare::edges::Edges;
use crate::engine::compare::runs::{Matrix, RunsComparison};
use crate::ui::types::CompareReq;

/// One baseline against one candidate.
#[server(prefix = "/fn", input = Json)]
pub async fn compare_two(session: String, req: CompareReq) -> Result<Comparison, ServerFnError> {
    use crate::ui::ssr::*;
    let options = options(&req)?;
    let state = state()?;
    let (sid, _) = open_session(&state, &session).await?;
    let (_, base) = profile(&state, sid, &req.a[0]).await?;
    let (_, cand) = profile(&state, sid, &req.b[0]).await?;
    blocking(move || crate::engine::compare::compare(&base, &cand, &options)).await
}

/// N baseline runs against M candidate runs.
#[server(prefix = "/fn", input = Json)]
pub async fn compare_runs(
    session: String,
    req: CompareReq,
) -> Result<RunsComparison, ServerFnError> {
    use crate::ui::ssr::*;
    let options = options(&req)?;
    let state = state()?;
    let (sid, _) = open_session(&state, &session).await?;
    let a: Vec<_> = profiles(&state, sid, &req.a)
        .await?
        .into_iter()
        .map(|(_, p)| p)
        .collect();
    let b: Vec<_> = profiles(&state, sid, &req.b)
        .await?
        .into_iter()
        .map(|(_, p)| p)
        .collect();
    blocking(move || crate::engine::compare::runs::compare_runs(&a, &b, &options)).await
}

/// K profiles in order.
#[server(prefix = "/fn", input = Json)]
pub async fn compare_matrix(session: String, req: CompareReq) -> Result<Matrix, ServerFnError> {
    use crate::ui::ssr::*;
    let options = options(&req)?;
    let state = state()?;
    let (sid, _) = open_session(&state, &session).await?;
    let series: Vec<_> = profiles(&state, sid, &req.a)
        .await?
        .into_iter()
        .map(|(m, p)| (m.name, p))
        .collect();
    blocking(move || crate::engine::compare::runs::matrix(&series, options.metric)).await
}

/// Callers and callees of the row named `display`, on both sides.
#[server(prefix = "/fn", input = Json)]
pub async fn compare_edges(
    session: String,
    req: CompareReq,
    display: String,
) -> Result<Edges, ServerFnError> {
    use crate::ui::ssr::*;
    let options = options(&req)?;
    let state = state()?;
    let (sid, _) = open_session(&state, &session).await?;
    let (_, base) = profile(&state, sid, &req.a[0]).await?;
    let (_, cand) = profile(&state, sid, &req.b[0]).await?;
    blocking(move || {
        let c = crate::engine::compare::compare(&base, &cand, &options);
        let row = c
            .rows
            .iter()
            .find(|r| r.display == display)
            .ok_or_else(|| missing("that function is not in this comparison"))?;
        Ok(crate::engine::compare::edges::edges(&base, &cand, &c, row))
    })
    .await?
}

/// The comparison as `markdown`, `csv` or `json` (the CLI's formats), sorted by `sort`
/// (a `SortField` name) when given. Markdown holds the `limit` largest changes.
#[server(prefix = "/fn", input = Json)]
pub async fn export_comparison(
    session: String,
    req: CompareReq,
    format: String,
    sort: Option<String>,
    reverse: bool,
) -> Result<String, ServerFnError> {
    use crate::engine::compare::SortField;
    use crate::engine::compare::export::{self, Format};
    use crate::ui::ssr::*;
    use crate::ui::types::Mode;
    let options = options(&req)?;
    let fmt =
        Format::parse(&format).ok_or_else(|| bad(format!("unknown export format {format:?}")))?;
    let limit = (fmt == Format::Markdown).then_some(50);
    let state = state()?;
    let (sid, _) = open_session(&state, &session).await?;
    let loaded = profiles(&state, sid, &[req.a.clone(), req.b.clone()].concat()).await?;
    let (a, b) = loaded.split_at(req.a.len());
    let (a, b) = (a.to_vec(), b.to_vec());
    blocking(move || match req.mode {
        Mode::Two => {
            let mut c = crate::engine::compare::compare(&a[0].1, &b[0].1, &options);
            if let Some(field) = sort.as_deref().and_then(SortField::parse) {
                c.sort(field, reverse);
            }
            export::comparison(&c, fmt, limit)
        }
        Mode::Runs => {
            let (a, b): (Vec<_>, Vec<_>) = (
                a.into_iter().map(|x| x.1).collect(),
                b.into_iter().map(|x| x.1).collect(),
            );
            export::runs(
                &crate::engine::compare::runs::compare_runs(&a, &b, &options),
                fmt,
                limit,
            )
        }
        Mode::Matrix => {
            let series: Vec<_> = a.into_iter().map(|(m, p)| (m.name, p)).collect();
            export::matrix(
                &crate::engine::compare::runs::matrix(&series, options.metric),
                fmt,
                limit,
            )
        }
    })
    .await
}
