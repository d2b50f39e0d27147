//! The server's heartbeat: a counter in a page of shared memory that a server thread which
//! never enters the plugin raises every [`BEAT`]. The proxy watches it, so a server that is
//! stopped (SIGSTOP, a debugger) or wholly stuck is noticed within the hang timeout whether
//! or not audio runs, while a plugin that is merely busy in a long call keeps beating and is
//! left to that call's budget. The page is shared memory no one can resize, like the audio
//! region, handed to the server right after the main connection's handshake.

use std::io;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use crate::os::{Mapping, Object, ObjectRef, SharedMemory};

/// How often the server beats.
pub const BEAT: Duration = Duration::from_millis(20);
const PAGE: u64 = 4096;

/// The shared counter.
pub struct Heartbeat {
    map: Mapping,
    memory: SharedMemory,
}

// SAFETY: the mapping is plain shared memory accessed only through the atomic below.
unsafe impl Send for Heartbeat {}
// SAFETY: every access from any thread is one atomic operation on the shared word; the
// mapping itself is never written through a reference.
unsafe impl Sync for Heartbeat {}

impl Heartbeat {
    /// A new counter (proxy side).
    pub fn create() -> io::Result<Self> {
        Self::map(SharedMemory::create(PAGE)?)
    }

    /// Maps the counter the proxy handed over (server side); refuses memory that could be
    /// resized, or a short page.
    pub fn open(object: Object) -> io::Result<Self> {
        let memory = SharedMemory::from_object(object)?;
        if memory.size()? < PAGE {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "the heartbeat page is too small",
            ));
        }
        Self::map(memory)
    }

    fn map(memory: SharedMemory) -> io::Result<Self> {
        let map = memory.map()?;
        if map.size() < size_of::<AtomicU32>() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "the heartbeat mapping is empty",
            ));
        }
        Ok(Self { map, memory })
    }

    fn word(&self) -> &AtomicU32 {
        // SAFETY: the mapping is at least a page, page-aligned, and its first word is only
        // ever accessed atomically, by both processes.
        unsafe { &*self.map.as_ptr().cast::<AtomicU32>() }
    }

    /// One beat.
    pub fn beat(&self) {
        self.word().fetch_add(1, Ordering::Release);
    }

    /// The beats so far.
    pub fn count(&self) -> u32 {
        self.word().load(Ordering::Acquire)
    }

    /// The object to hand to the server.
    pub fn object(&self) -> ObjectRef<'_> {
        self.memory.object()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn beats_cross_mappings() {
        let proxy = Heartbeat::create().unwrap();
        let server = Heartbeat::open(crate::os::duplicate(proxy.object()).unwrap()).unwrap();
        server.beat();
        server.beat();
        assert_eq!(proxy.count(), 2);
    }
}
