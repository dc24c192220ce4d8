//! Parse memory: peak heap while parsing a dump, what the parsed model keeps, and the
//! difference (transient) as a multiple of the file size.
//!     cargo run --release --example parse_memory -- FILE...

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Counts live and peak heap bytes.
struct Counting;
static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let now = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn main() {
    for path in std::env::args().skip(1) {
        let data = std::fs::read(&path).expect("readable file");
        let before = LIVE.load(Ordering::Relaxed);
        PEAK.store(before, Ordering::Relaxed);
        let parsed = profdiff::engine::Profile::parse(&data);
        let peak = PEAK.load(Ordering::Relaxed) - before;
        let profile = match parsed {
            Ok(p) => p,
            Err(e) => {
                // Refused (e.g. over the memory budget): what it cost to find out.
                println!(
                    "{path}: file {:.2} MB; refused ({e}); peak during parse {:.2} MB = {:.2}x file",
                    data.len() as f64 / 1e6,
                    peak as f64 / 1e6,
                    peak as f64 / data.len() as f64,
                );
                continue;
            }
        };
        let kept = LIVE.load(Ordering::Relaxed) - before;
        println!(
            "{path}: file {:.2} MB, {} functions; peak during parse {:.2} MB, model {:.2} MB, transient {:.2} MB = {:.2}x file",
            data.len() as f64 / 1e6,
            profile.len(),
            peak as f64 / 1e6,
            kept as f64 / 1e6,
            (peak - kept) as f64 / 1e6,
            (peak - kept) as f64 / data.len() as f64,
        );
    }
}
