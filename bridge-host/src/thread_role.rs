//! Which DAW threads render audio: a thread that has called process (of any instance), or
//! that the DAW says renders, never waits for a socket round trip to set or read a
//! parameter. Kept per thread, for the whole process.

use std::cell::Cell;

/// What a DAW thread is to us: one that renders audio (a DAW's audio thread, or one of its
/// worker pool) never waits for a socket round trip to set or read a parameter.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ThreadRole {
    /// Not known yet.
    Unknown,
    /// It has called process (of any instance), or the DAW says it renders.
    Processing,
    /// The DAW says it does not render (until it calls process after all).
    Other,
}

thread_local! {
    static THREAD_ROLE: Cell<ThreadRole> = const { Cell::new(ThreadRole::Unknown) };
}

/// Marks the calling thread as one that renders audio (it is inside process).
pub fn mark_processing() {
    THREAD_ROLE.with(|role| role.set(ThreadRole::Processing));
}

/// Whether the calling thread renders audio (has called process, or was found to render
/// by [`is_processing_thread_asking`]).
pub fn is_processing_thread() -> bool {
    THREAD_ROLE.with(Cell::get) == ThreadRole::Processing
}

/// Like [`is_processing_thread`], but a thread not seen before is looked up once with
/// `daw_says_it_renders`: a worker of a DAW's pool that sets a parameter before it ever
/// processed is then already an audio thread. The answer is kept for the thread.
pub fn is_processing_thread_asking(daw_says_it_renders: impl FnOnce() -> bool) -> bool {
    THREAD_ROLE.with(|role| {
        if role.get() == ThreadRole::Unknown {
            role.set(if daw_says_it_renders() {
                ThreadRole::Processing
            } else {
                ThreadRole::Other
            });
        }
        role.get() == ThreadRole::Processing
    })
}
