//! The comparison view's server functions: the comparison itself (any of the three forms),
//! one row's edge diff, and exports. Each takes a [`CompareRequest`] and goes through the
//! service layer's one dispatch, which keeps recent comparisons: the edge diff and exports
//! reuse the computed rows, addressed by position, instead of recomputing and searching.

use leptos::prelude::*;
use leptos::server_fn::codec::{Json, Post};
use leptos::server_fn::{Bytes, ContentType, Decodes, Encodes, Format, FormatType};

use super::columns::Col;
use crate::engine::compare::edges::Edges;
use crate::engine::compare::export::Format as ExportFormat;
use crate::model::{Access, AppError, CompareRequest, Outcome};

/// The comparison the request describes: two-way, runs or matrix, in the form of
/// [`Outcome::encode`] (a two-way comparison compact, the others JSON), encoded once per
/// cached comparison on the server.
#[server(prefix = "/fn", input = Json, output = Compact)]
pub async fn compare_view(access: Access, req: CompareRequest) -> Result<Answer, AppError> {
    use crate::server::{AppState, service};
    let state = AppState::from_context()?;
    Ok(Answer::Encoded(
        service::compare_encoded(&state, access, &req).await?,
    ))
}

/// [`compare_view`]'s answer: the encoded bytes where it is made (the server keeps them),
/// the outcome where it is read.
pub enum Answer {
    Encoded(Bytes),
    Decoded(Outcome),
}

impl Answer {
    pub fn into_outcome(self) -> Result<Outcome, String> {
        match self {
            Answer::Encoded(bytes) => Outcome::decode(&bytes),
            Answer::Decoded(o) => Ok(o),
        }
    }
}

/// The encoding of [`Answer`]: [`Outcome::encode`]'s bytes as they are.
pub struct CompactEncoding;

pub type Compact = Post<CompactEncoding>;

impl ContentType for CompactEncoding {
    const CONTENT_TYPE: &'static str = "application/x-profdiff-outcome";
}

impl FormatType for CompactEncoding {
    const FORMAT_TYPE: Format = Format::Binary;
}

impl Encodes<Answer> for CompactEncoding {
    type Error = std::convert::Infallible;

    fn encode(a: &Answer) -> Result<Bytes, Self::Error> {
        Ok(match a {
            Answer::Encoded(bytes) => bytes.clone(),
            Answer::Decoded(o) => Bytes::from(o.encode()),
        })
    }
}

impl Decodes<Answer> for CompactEncoding {
    type Error = String;

    fn decode(bytes: Bytes) -> Result<Answer, Self::Error> {
        Outcome::decode(&bytes).map(Answer::Decoded)
    }
}

/// Callers and callees, on both sides, of row `row` of a two-way comparison.
#[server(prefix = "/fn", input = Json)]
pub async fn compare_edges(
    access: Access,
    req: CompareRequest,
    row: usize,
) -> Result<Edges, AppError> {
    use crate::server::{AppState, service};
    let state = AppState::from_context()?;
    service::compare_edges(&state, access, &req, row).await
}

/// The comparison as Markdown (the 50 largest changes, by change), CSV or JSON (every row,
/// in the table's order: `sort`, flipped by `reverse`).
#[server(prefix = "/fn", input = Json)]
pub async fn export_comparison(
    access: Access,
    req: CompareRequest,
    format: ExportFormat,
    sort: Col,
    reverse: bool,
) -> Result<String, AppError> {
    use crate::engine::compare::export;
    use crate::server::{AppState, service};
    let state = AppState::from_context()?;
    let outcome = service::compare(&state, access, &req).await?;
    if format == ExportFormat::Html {
        return report(&state, access, &req, outcome, sort, reverse).await;
    }
    let limit = (format == ExportFormat::Markdown).then_some(50);
    state
        .jobs
        .run(move |_| {
            Ok(match &*outcome {
                Outcome::Two(c) if format == ExportFormat::Markdown => {
                    export::comparison(c, format, limit)
                }
                Outcome::Two(c) => {
                    let sorted = in_view_order(c, sort, reverse);
                    export::comparison(&sorted, format, limit)
                }
                Outcome::Runs(r) => export::runs(r, format, limit),
                Outcome::Matrix(m) => export::matrix(m, format, limit),
            })
        })
        .await
}

/// The self-contained HTML report (*Download report*): summary, chart, the differential
/// flame graph (two-way) and the table in the view's order.
#[cfg(feature = "ssr")]
async fn report(
    state: &crate::server::AppState,
    access: Access,
    req: &CompareRequest,
    outcome: std::sync::Arc<Outcome>,
    sort: Col,
    reverse: bool,
) -> Result<String, AppError> {
    use crate::engine::compare::html;
    use crate::engine::flame_svg;
    use crate::server::service;
    let name = |first: Option<crate::model::ProfileId>| async move {
        match first {
            Some(id) => service::profile(state, access, id)
                .await
                .map(|(m, p)| (m.name, Some(p))),
            None => Ok((String::new(), None)),
        }
    };
    let (bn, pa) = name(req.a.first().copied()).await?;
    let (cn, pb) = name(req.b.first().copied()).await?;
    let options = req.options();
    state
        .jobs
        .run(move |_| {
            Ok(match &*outcome {
                Outcome::Two(c) => {
                    let sorted = in_view_order(c, sort, reverse);
                    let flame = match (&pa, &pb) {
                        (Some(a), Some(b)) => Some(flame_svg::differential(
                            a,
                            b,
                            &options,
                            &format!("Differential flame graph: {bn} → {cn}"),
                        )),
                        _ => None,
                    };
                    let names = html::Names {
                        baseline: &bn,
                        candidate: &cn,
                    };
                    html::two_way(&sorted, &names, flame.as_deref())
                }
                Outcome::Runs(r) => {
                    let (bn, cn) = (format!("{bn} …"), format!("{cn} …"));
                    html::runs(
                        r,
                        &html::Names {
                            baseline: &bn,
                            candidate: &cn,
                        },
                    )
                }
                Outcome::Matrix(m) => html::matrix(m),
            })
        })
        .await
}

/// The comparison with its rows in the table's order (`sort`, flipped by `reverse`), as
/// the CSV, JSON and HTML exports write them.
#[cfg(feature = "ssr")]
fn in_view_order(
    c: &crate::engine::compare::Comparison,
    sort: Col,
    reverse: bool,
) -> crate::engine::compare::Comparison {
    let order = super::columns::all_sorted(c, sort, reverse);
    crate::engine::compare::Comparison {
        summary: c.summary.clone(),
        rows: order.iter().map(|&i| c.rows[i].clone()).collect(),
        order: c.order,
    }
}
