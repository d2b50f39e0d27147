//! A doorbell: one 32-bit counter in shared memory that one side increments and wakes, and
//! the other waits on (with a timeout, always). The counter only grows, so a waiter that
//! remembers the last value it saw never misses a ring, however the two race.

use std::io::{self, Read, Write};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use interprocess::local_socket::Stream;
use interprocess::local_socket::traits::Stream as _;

use crate::os;

/// A doorbell on a word of a shared mapping.
#[derive(Clone, Copy)]
pub struct Doorbell<'a> {
    word: &'a AtomicU32,
    /// Benchmarks only: wake through this socket (a byte per ring) instead of the futex.
    signal: Option<&'a Stream>,
}

impl<'a> Doorbell<'a> {
    /// A doorbell on `word`.
    pub fn new(word: &'a AtomicU32) -> Self {
        Self { word, signal: None }
    }

    /// A doorbell on `word` that wakes through `signal` instead of the futex (the
    /// socket-synced design the benchmarks compare against).
    pub fn with_signal(word: &'a AtomicU32, signal: Option<&'a Stream>) -> Self {
        Self { word, signal }
    }

    /// The current count; pass it to [`Doorbell::wait_past`] to wait for the next ring.
    pub fn current(&self) -> u32 {
        self.word.load(Ordering::Acquire)
    }

    /// Rings: publishes everything written before it and wakes the other side.
    pub fn ring(&self) -> io::Result<()> {
        self.word.fetch_add(1, Ordering::AcqRel);
        match self.signal {
            Some(mut signal) => signal.write_all(&[1]),
            None => os::futex_wake(self.word),
        }
    }

    /// Spins (without a system call) until the count differs from `seen` or `budget`
    /// passes; the new count, or `None`. Worth it only when the other side runs on another
    /// CPU: there the reply often comes sooner than a sleep and a cross-CPU wake would take.
    pub fn spin_past(&self, seen: u32, budget: Duration) -> Option<u32> {
        let started = Instant::now();
        loop {
            // Read the clock once per batch: the vDSO read costs tens of nanoseconds.
            for _ in 0..64 {
                let now = self.current();
                if now != seen {
                    return Some(now);
                }
                std::hint::spin_loop();
            }
            if started.elapsed() >= budget {
                return None;
            }
        }
    }

    /// Waits until the count differs from `seen` or `timeout` passes. Returns the new count,
    /// or `None` on timeout.
    pub fn wait_past(&self, seen: u32, timeout: Duration) -> io::Result<Option<u32>> {
        let deadline = Instant::now() + timeout;
        loop {
            let now = self.current();
            if now != seen {
                return Ok(Some(now));
            }
            let remaining = deadline.saturating_duration_since(Instant::now());
            if remaining.is_zero() {
                return Ok(None);
            }
            match self.signal {
                Some(mut signal) => {
                    // A byte per ring; the counter decides, a stale byte only wakes early.
                    signal.set_recv_timeout(Some(remaining))?;
                    let mut byte = [0u8; 1];
                    match signal.read(&mut byte) {
                        Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
                        Ok(_) => {}
                        Err(error) if matches!(error.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => {}
                        Err(error) => return Err(error),
                    }
                }
                None => os::futex_wait(self.word, seen, remaining)?,
            }
        }
    }
}
