//! Counting our own heap allocations on the audio path, to prove it allocates nothing: a
//! global allocator that forwards to the system one and counts while the calling thread is
//! inside a block. The proxy and the server each install it (`#[global_allocator]`) and
//! mark their audio work with [`counting`]; the server's count travels to the proxy in every
//! block reply, and the proxy answers both counts through its own vendor opcodes. Plugins
//! and hosts have allocators of their own and are not counted.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};

/// The counting allocator.
pub struct CountingAllocator;

thread_local! {
    /// Whether this thread is running a block (a const initialiser without destructor, so
    /// reading it never allocates and works during thread teardown).
    static IN_BLOCK: Cell<bool> = const { Cell::new(false) };
}

static BLOCK_ALLOCATIONS: AtomicU32 = AtomicU32::new(0);
static LARGEST_COUNTED: AtomicUsize = AtomicUsize::new(0);

fn count(size: usize) {
    if IN_BLOCK.try_with(Cell::get).unwrap_or(false) {
        BLOCK_ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        LARGEST_COUNTED.fetch_max(size, Ordering::Relaxed);
    }
}

// SAFETY: every method forwards to the system allocator with the caller's arguments; the
// counting touches only an atomic and a const thread-local.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count(layout.size());
        // SAFETY: forwarded contract.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count(layout.size());
        // SAFETY: forwarded contract.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count(new_size);
        // SAFETY: forwarded contract.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded contract.
        unsafe { System.dealloc(ptr, layout) }
    }
}

/// Runs `block` with this thread's allocations counted.
pub fn counting<R>(block: impl FnOnce() -> R) -> R {
    IN_BLOCK.with(|flag| flag.set(true));
    let result = block();
    IN_BLOCK.with(|flag| flag.set(false));
    result
}

/// The largest single allocation counted since the last call (the fuzzer checks no input
/// makes the proxy allocate more than the caps allow); resets it.
pub fn take_largest() -> usize {
    LARGEST_COUNTED.swap(0, Ordering::Relaxed)
}

/// Allocations counted so far.
pub fn total() -> u32 {
    BLOCK_ALLOCATIONS.load(Ordering::Relaxed)
}
