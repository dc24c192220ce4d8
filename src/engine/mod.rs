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

/// Asks for the cache line at `addr` without waiting for it: a hint, no memory is read.
/// Loops that visit scattered memory (a profile's strings, in sorted order) ask a few
/// items ahead, so the misses overlap instead of each stopping the loop. Unlike a plain
/// load, a prefetch is not held up by the locked instructions of reference counting.
#[inline(always)]
pub(crate) fn prefetch<T>(addr: *const T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch reads nothing and cannot fault, whatever the address.
    unsafe {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        _mm_prefetch::<_MM_HINT_T0>(addr.cast::<i8>());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = addr;
}

/// [`prefetch`] of every cache line `item` lies on: a 96-byte [`Function`] spans two, and
/// prefetching only its first line left the fields on the second one to miss.
#[inline(always)]
pub(crate) fn prefetch_all<T>(item: &T) {
    const LINE: usize = 64;
    let start = std::ptr::from_ref(item) as usize;
    let end = start + std::mem::size_of::<T>().max(1) - 1;
    let mut line = start & !(LINE - 1);
    while line <= end {
        prefetch(line as *const u8);
        line += LINE;
    }
}

/// [`prefetch`] of an `Arc`'s reference counts (the 16 bytes before its data), which a
/// clone or drop is about to lock.
#[inline(always)]
pub(crate) fn prefetch_counts<T: ?Sized>(arc: &std::sync::Arc<T>) {
    prefetch(std::sync::Arc::as_ptr(arc).cast::<u8>().wrapping_sub(16));
}
