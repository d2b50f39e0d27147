//! What differs per operating system, behind one set of functions:
//! - `futex_wait(word, expected, timeout)` / `futex_wake(word)`: cross-process wait and
//!   wake on a 32-bit word in shared memory (Linux: a futex *without* the private flag,
//!   since a private futex does not cross processes; Windows will use named events);
//! - `random_bytes`: unguessable names and tokens;
//! - `sealed_shared_memory` / `check_sealed`: an anonymous shared-memory file no one can
//!   resize (Linux: a sealed memfd; Windows will use an unnamed section);
//! - `send_fd` / `receive_fd`: hand it to the server over a connection (Linux: SCM_RIGHTS;
//!   Windows will duplicate the handle into the server);
//! - `current_cpu` / `pin_current_thread`: keep the server's audio thread on the host's CPU;
//! - `current_realtime_priority` / `set_current_realtime_priority` / `realtime_priority_limit`:
//!   give the server's audio thread the host audio thread's realtime priority (one step
//!   below it, or as high as it may go);
//! - `die_with_parent`: make this process exit when its parent dies;
//! - `library_path_of`: the file a function's code was loaded from (the proxy finds its
//!   sidecar config and servers next to itself).

#[cfg(target_os = "linux")]
mod linux;
#[cfg(target_os = "linux")]
pub use linux::*;

#[cfg(not(target_os = "linux"))]
compile_error!(
    "vstbridge's IPC layer supports Linux so far; the Windows module (named events, named pipes, PE) plugs in here"
);
