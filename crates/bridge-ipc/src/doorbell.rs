//! A doorbell: one 32-bit counter in shared memory that one side increments and wakes, and
//! the other waits on (with a timeout, always). The counter only grows, so a waiter that
//! remembers the last value it saw never misses a ring, however the two race. The wake
//! itself is the OS's (see [`os::wait`]): a futex on the word on Linux, the doorbell's own
//! [`os::Waker`] event on Windows.
//!
//! For the benchmarks' socket-synced baseline a doorbell can instead send each ring as a
//! message on a socket, the way bridges that synchronise audio over a socket do: a 64-bit
//! length, then the block request or reply itself, read back whole by the other side.

use std::io::{self, Read, Write};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use crate::os::{self, Stream, Waker};

/// A doorbell on a word of a shared mapping.
#[derive(Clone, Copy)]
pub struct Doorbell<'a> {
    word: &'a AtomicU32,
    /// How many threads sleep (or are about to) on `word`: a ring wakes only when someone
    /// sleeps, so a side that spins costs the ringer no system call.
    waiters: &'a AtomicU32,
    /// What carries the wake to the other process besides the word.
    waker: &'a Waker,
    /// Benchmarks only: wake through a socket message instead of the futex.
    signal: Option<SocketSignal<'a>>,
}

/// The largest message a socket-signalled ring carries.
const MAX_MESSAGE: usize = 512;

/// Benchmarks only: a socket each ring is sent through as a message holding `len` bytes
/// at `message` (the request or reply the ring announces).
#[derive(Clone, Copy)]
pub struct SocketSignal<'a> {
    stream: &'a Stream,
    message: *const u8,
    len: usize,
}

impl<'a> SocketSignal<'a> {
    /// A signal that sends the `len` bytes at `message` (at most 512 are sent) with each ring.
    ///
    /// # Safety
    /// `message` must stay valid for reads of `len` bytes for as long as the signal is used,
    /// and nothing may write those bytes while a ring copies them (the ringing side owns
    /// them until it rings).
    pub unsafe fn new(stream: &'a Stream, message: *const u8, len: usize) -> Self {
        Self { stream, message, len }
    }
}

impl<'a> Doorbell<'a> {
    /// A doorbell on `word` whose sleepers are counted in `waiters` and woken through
    /// `waker` (both sides must use the same word, count and waker).
    pub fn new(word: &'a AtomicU32, waiters: &'a AtomicU32, waker: &'a Waker) -> Self {
        Self {
            word,
            waiters,
            waker,
            signal: None,
        }
    }

    /// Benchmarks only: wake through `signal` instead of the futex or event (the
    /// socket-synced design the benchmarks compare against).
    pub fn with_signal(self, signal: Option<SocketSignal<'a>>) -> Self {
        Self { signal, ..self }
    }

    /// The current count; pass it to [`Doorbell::wait_past`] to wait for the next ring.
    pub fn current(&self) -> u32 {
        self.word.load(Ordering::Acquire)
    }

    /// Rings: publishes everything written before it and wakes the other side.
    pub fn ring(&self) -> io::Result<()> {
        let Some(signal) = self.signal else {
            // Raise the count, then look for sleepers; a waiter announces itself, then
            // re-reads the count (both sequentially consistent), so one of the two always
            // sees the other: no ring is ever lost, and none costs a wake nobody needs.
            self.word.fetch_add(1, Ordering::SeqCst);
            if self.waiters.load(Ordering::SeqCst) == 0 {
                return Ok(());
            }
            return os::wake(self.word, self.waker);
        };
        // The message is copied before the count moves: from then on the other side owns
        // the memory it describes and may write it.
        let len = signal.len.min(MAX_MESSAGE);
        let mut frame = [0u8; 8 + MAX_MESSAGE];
        frame[..8].copy_from_slice(&(len as u64).to_le_bytes());
        // SAFETY: `SocketSignal::new`'s contract: `len` readable bytes that nobody writes
        // while this side owns them, which it does until the count moves below.
        unsafe { std::ptr::copy_nonoverlapping(signal.message, frame[8..].as_mut_ptr(), len) };
        self.word.fetch_add(1, Ordering::AcqRel);
        let mut stream = signal.stream;
        stream.write_all(&frame[..8 + len])
    }

    /// Spins (without a system call) until the count differs from `seen` or `budget`
    /// passes; the new count, or `None`. Worth it only when the other side runs on another
    /// CPU: there the reply often comes sooner than a sleep and a cross-CPU wake would take.
    pub fn spin_past(&self, seen: u32, budget: Duration) -> Option<u32> {
        if self.signal.is_some() {
            // Every ring's message must be read off the socket, which only a wait does.
            return None;
        }
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
        if let Some(signal) = self.signal {
            // A socket-synced waiter reads the ring's message before anything else, so each
            // ring's message is read by the wait it ends.
            loop {
                let received = receive_message(signal.stream)?;
                let now = self.current();
                if now != seen {
                    return Ok(Some(now));
                }
                if !received && Instant::now() >= deadline {
                    return Ok(None);
                }
            }
        }
        loop {
            let now = self.current();
            if now != seen {
                return Ok(Some(now));
            }
            let remaining = deadline.saturating_duration_since(Instant::now());
            if remaining.is_zero() {
                return Ok(None);
            }
            self.waiters.fetch_add(1, Ordering::SeqCst);
            let waited = if self.word.load(Ordering::SeqCst) == seen {
                os::wait(self.word, seen, remaining, self.waker)
            } else {
                Ok(())
            };
            self.waiters.fetch_sub(1, Ordering::SeqCst);
            waited?;
        }
    }
}

/// How long one read of a socket-signalled doorbell blocks before the waiter re-checks its
/// deadline (set once on the socket, not per read, as a socket-synced bridge would; a wait
/// may so overrun its deadline by this much, which only the benchmarks' baseline uses).
pub const SIGNAL_POLL: Duration = Duration::from_millis(10);

/// Reads one ring's message whole, the length and then the body (two reads, as a
/// socket-synced bridge reads its request); `false` after [`SIGNAL_POLL`] without one. The
/// counter decides what the ring meant.
fn receive_message(mut stream: &Stream) -> io::Result<bool> {
    let mut length = [0u8; 8];
    let got = match stream.read(&mut length) {
        Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
        Ok(got) => got,
        Err(error) if matches!(error.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => {
            return Ok(false);
        }
        Err(error) => return Err(error),
    };
    stream.read_exact(&mut length[got..])?;
    let len = u64::from_le_bytes(length) as usize;
    if len > MAX_MESSAGE {
        return Err(io::Error::new(io::ErrorKind::InvalidData, "oversized ring message"));
    }
    let mut body = [0u8; MAX_MESSAGE];
    stream.read_exact(&mut body[..len])?;
    Ok(true)
}
