//! The pure engine: bytes in, reports and comparisons out.
//!
//! No I/O, no async, no feature gates: this module compiles for wasm32 and native alike,
//! so the server, the CLI and (later) the browser share one implementation.

pub mod compare;
pub mod flame;
pub mod flame_svg;
pub mod marshal;
pub mod merge;
pub mod profile;
pub mod py2dict;
pub mod pyfmt;
pub mod report;
pub mod stacks;
pub mod stats;
pub mod trace;

pub use profile::{CallerStats, Function, FunctionKey, Producer, Profile, ProfileError};
pub use report::{Report, Restriction, SortKey, Source};
