//! The comparison view's server functions: the comparison itself (any of the three forms),
//! one row's edge diff, and exports. Each takes a [`CompareRequest`] and goes through the
//! service layer's one dispatch, which keeps recent comparisons: the edge diff and exports
//! reuse the computed rows, addressed by position, instead of recomputing and searching.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use super::columns::Col;
use crate::engine::compare::edges::Edges;
use crate::engine::compare::export::Format;
use crate::model::{AppError, CompareRequest, Outcome, SessionId};

/// The comparison the request describes: two-way, runs or matrix.
#[server(prefix = "/fn", input = Json)]
pub async fn compare_view(session: SessionId, req: CompareRequest) -> Result<Outcome, AppError> {
    use crate::server::{AppState, service};
    let state = AppState::from_context()?;
    Ok((*service::compare(&state, session, &req).await?).clone())
}

/// Callers and callees, on both sides, of row `row` of a two-way comparison.
#[server(prefix = "/fn", input = Json)]
pub async fn compare_edges(
    session: SessionId,
    req: CompareRequest,
    row: usize,
) -> Result<Edges, AppError> {
    use crate::server::{AppState, service};
    let state = AppState::from_context()?;
    service::compare_edges(&state, session, &req, row).await
}

/// The comparison as Markdown (the 50 largest changes, by change), CSV or JSON (every row,
/// in the table's order: `sort`, flipped by `reverse`).
#[server(prefix = "/fn", input = Json)]
pub async fn export_comparison(
    session: SessionId,
    req: CompareRequest,
    format: Format,
    sort: Col,
    reverse: bool,
) -> Result<String, AppError> {
    use crate::engine::compare::Comparison;
    use crate::engine::compare::export;
    use crate::server::{AppState, service};
    let state = AppState::from_context()?;
    let outcome = service::compare(&state, session, &req).await?;
    let limit = (format == Format::Markdown).then_some(50);
    state
        .jobs
        .run(move |_| {
            Ok(match &*outcome {
                Outcome::Two(c) if format == Format::Markdown => {
                    export::comparison(c, format, limit)
                }
                Outcome::Two(c) => {
                    let order = super::columns::all_sorted(c, sort, reverse);
                    let sorted = Comparison {
                        summary: c.summary.clone(),
                        rows: order.iter().map(|&i| c.rows[i].clone()).collect(),
                        order: c.order,
                    };
                    export::comparison(&sorted, format, limit)
                }
                Outcome::Runs(r) => export::runs(r, format, limit),
                Outcome::Matrix(m) => export::matrix(m, format, limit),
            })
        })
        .await
}
