//! What differs per operating system, behind one API that both modules implement:
//!
//! - **control channel**: [`Stream`] and [`Listener`], a local connection with read and write
//!   timeouts that only this user can reach (Linux: an abstract unix socket, whose peer's
//!   user the kernel reports; Windows: a named pipe whose security descriptor admits only
//!   the current user, with overlapped I/O for the timeouts named pipes otherwise lack);
//! - **shared memory**: [`SharedMemory`], an anonymous object no one it is handed to can
//!   resize, and its [`Mapping`] (Linux: a sealed memfd; Windows: an unnamed pagefile-backed
//!   section, handed over without the right to extend it);
//! - **doorbells**: [`wait`] / [`wake`] on a 32-bit word in shared memory, with the
//!   [`Waker`] that carries the wake across processes (Linux: a futex *without* the private
//!   flag, and the waker is nothing; Windows: an auto-reset event per doorbell);
//! - **handing objects over**: [`send_objects`] / [`receive_objects`] pass shared memory and
//!   wakers to the server after a request that announces them (Linux: `SCM_RIGHTS`;
//!   Windows: the proxy duplicates its handles into the server and sends their values);
//! - `random_bytes`: unguessable names and tokens;
//! - `current_cpu` / `pin_current_thread`: keep the server's audio thread on the host's CPU;
//! - `current_realtime_priority` / `set_current_realtime_priority` / `realtime_priority_limit`:
//!   give the server's audio thread the host audio thread's realtime priority (one step
//!   below it, or as high as it may go);
//! - `die_with_parent` / `parent_is` / `process_alive`: a server never outlives its DAW;
//! - `library_path_of`: the file a function's code was loaded from (the proxy finds its
//!   sidecar config and servers next to itself).

#[cfg(target_os = "linux")]
mod linux;
#[cfg(target_os = "linux")]
pub use linux::*;

#[cfg(windows)]
mod windows;
#[cfg(windows)]
pub use windows::*;

#[cfg(not(any(target_os = "linux", windows)))]
compile_error!("vstbridge's IPC layer supports Linux and Windows");

/// An owned stream reads as its shared reference does (each OS implements `Read` for
/// `&Stream`, which is what lets one thread read while another writes).
impl std::io::Read for Stream {
    fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
        (&*self).read(buffer)
    }
}

/// An owned stream writes as its shared reference does.
impl std::io::Write for Stream {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        (&*self).write(bytes)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        (&*self).flush()
    }
}
