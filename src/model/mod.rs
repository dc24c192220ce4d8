//! Types the server and the browser share: ids, a profile's summary and rows, the session's
//! numbers, comparison requests and results, and the one error type. Everything here
//! compiles in both builds; what only the server needs sits behind `#[cfg(feature = "ssr")]`
//! on the type it belongs to (as realworld-leptos does with its models).

pub mod compare;
pub mod error;
pub mod ids;
pub mod profile;
pub mod session;
pub mod share;

pub use compare::{CompareRequest, Mode, Outcome};
pub use error::AppError;
pub use ids::{IdError, ProfileId, SessionId};
pub use profile::{EdgeLine, FunctionEdges, FunctionRow, ProfileSummary, ProfileTable};
pub use session::SessionInfo;
pub use share::{Access, ShareId, ShareInfo, ShareTarget, ShareView};
