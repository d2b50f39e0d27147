//! Windows: named pipes with overlapped I/O (the timeouts synchronous pipes lack) behind a
//! security descriptor that admits only the current user; unnamed pagefile-backed sections;
//! an auto-reset event per doorbell; handles duplicated into the server; BCryptGenRandom;
//! processor number, affinity and thread priority of the calling thread; a thread that ends
//! a server when its parent's process handle is signalled, and a kill-on-close job for the
//! servers a proxy starts; GetModuleHandleExW.
//!
//! Every call into Win32 here is a system call on handles this module owns or was handed
//! (never on addresses from shared memory), so each `unsafe` block argues only about the
//! pointers it passes.
//!
//! The control channel lives in `control` (named pipes in `pipe`), shared memory in
//! `memory`, serving a Linux proxy from under Wine in `wine`; the doorbell wakers, handing
//! objects over, processes and threads here.

mod control;
mod memory;
mod pipe;
mod wine;

pub use control::{Listener, Stream};
pub use memory::{Mapping, SharedMemory};
pub use wine::{LinuxProxy, linux_proxy, serve_linux_proxy};

use std::ffi::{OsString, c_void};
use std::io::{self, Read, Write};
use std::os::windows::ffi::{OsStrExt, OsStringExt};
use std::os::windows::io::{AsHandle, AsRawHandle, BorrowedHandle, FromRawHandle, OwnedHandle};
use std::path::PathBuf;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use windows_sys::Win32::Foundation::{
    DUPLICATE_CLOSE_SOURCE, DUPLICATE_SAME_ACCESS, DuplicateHandle, HANDLE, INVALID_HANDLE_VALUE, STILL_ACTIVE,
    WAIT_FAILED,
};
use windows_sys::Win32::Security::Cryptography::{BCRYPT_USE_SYSTEM_PREFERRED_RNG, BCryptGenRandom};
use windows_sys::Win32::Storage::FileSystem::SYNCHRONIZE;
use windows_sys::Win32::System::JobObjects::{
    AssignProcessToJobObject, CreateJobObjectW, JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE,
    JOBOBJECT_EXTENDED_LIMIT_INFORMATION, JobObjectExtendedLimitInformation, SetInformationJobObject,
};
use windows_sys::Win32::System::LibraryLoader::{
    GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS, GET_MODULE_HANDLE_EX_FLAG_UNCHANGED_REFCOUNT, GetModuleFileNameW,
    GetModuleHandleExW,
};
use windows_sys::Win32::System::Threading::{
    CreateEventW, GetCurrentProcess, GetCurrentProcessorNumber, GetCurrentThread, GetExitCodeProcess,
    GetThreadPriority, INFINITE, OpenProcess, PROCESS_DUP_HANDLE, PROCESS_QUERY_LIMITED_INFORMATION, SetEvent,
    SetThreadAffinityMask, SetThreadPriority, THREAD_PRIORITY_HIGHEST, THREAD_PRIORITY_NORMAL,
    THREAD_PRIORITY_TIME_CRITICAL, TerminateProcess, WaitForSingleObject,
};

/// An OS object handed to another process: a handle.
pub type Object = OwnedHandle;
/// A borrowed [`Object`].
pub type ObjectRef<'a> = BorrowedHandle<'a>;

/// A handle returned by a Win32 call, owned; the last OS error when it is null or invalid.
fn owned(handle: HANDLE) -> io::Result<OwnedHandle> {
    if handle.is_null() || handle == INVALID_HANDLE_VALUE {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: a fresh handle the call just returned to us; nobody else owns it.
    Ok(unsafe { OwnedHandle::from_raw_handle(handle) })
}

/// `Ok` when a Win32 call returned a nonzero BOOL, the last OS error otherwise.
fn check(result: i32) -> io::Result<()> {
    if result != 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// NUL-terminated UTF-16.
fn wide(text: &str) -> Vec<u16> {
    std::ffi::OsStr::new(text)
        .encode_wide()
        .chain(std::iter::once(0))
        .collect()
}

/// Milliseconds for a Win32 wait: rounded up, so a short timeout still waits; `None` is
/// forever.
fn wait_millis(timeout: Option<Duration>) -> u32 {
    match timeout {
        None => INFINITE,
        Some(timeout) => {
            let millis = timeout.as_nanos().div_ceil(1_000_000);
            u32::try_from(millis).unwrap_or(INFINITE - 1).min(INFINITE - 1)
        }
    }
}

/// Sleeps until `word` no longer holds `expected` and `waker` is set, or `timeout` passes.
/// Spurious returns are possible (a set left from an earlier ring); callers re-check the
/// word. A Linux proxy's pipe cannot time out (see `wine`): its sleep ends with a ring.
pub fn wait(word: &AtomicU32, expected: u32, timeout: Duration, waker: &Waker) -> io::Result<()> {
    if word.load(Ordering::SeqCst) != expected {
        return Ok(());
    }
    let event = match waker {
        Waker::Event(event) => event,
        Waker::Futex => return wine::futex_wait(word, expected, timeout),
        Waker::Pipe(pipe) => return pipe.wait(timeout),
    };
    // SAFETY: our event handle.
    match unsafe { WaitForSingleObject(event.as_raw_handle(), wait_millis(Some(timeout))) } {
        WAIT_FAILED => Err(io::Error::last_os_error()),
        _ => Ok(()),
    }
}

/// Wakes the side that sleeps on `waker` (one thread sleeps on each doorbell).
pub fn wake(word: &AtomicU32, waker: &Waker) -> io::Result<()> {
    match waker {
        // SAFETY: our event handle.
        Waker::Event(event) => check(unsafe { SetEvent(event.as_raw_handle()) }),
        Waker::Futex => wine::futex_wake(word),
        Waker::Pipe(pipe) => pipe.wake(),
    }
}

/// What carries a doorbell's wake across processes.
#[derive(Debug)]
pub enum Waker {
    /// An auto-reset event, created by a Windows proxy and duplicated into the server.
    Event(OwnedHandle),
    /// Nothing but the word: a raw Linux futex, serving a Linux proxy under a Wine that
    /// allows it.
    Futex,
    /// A Linux proxy's doorbell pipe, under a Wine that traps Linux system calls.
    Pipe(wine::PipeDoorbell),
}

impl Waker {
    /// A new waker (a Windows proxy's: an event, whatever `method` says, the only kind a
    /// Windows server takes from it).
    pub fn new(_method: bridge_proto::WakeMethod) -> io::Result<Self> {
        // SAFETY: an unnamed auto-reset event, not signalled.
        owned(unsafe { CreateEventW(std::ptr::null(), 0, 0, std::ptr::null()) }).map(Self::Event)
    }

    /// How many objects a waker of `method` is handed over as: an event from a Windows
    /// proxy; from a Linux proxy, nothing for the futex and a pipe otherwise.
    pub fn objects(method: bridge_proto::WakeMethod) -> usize {
        match (wine::linux_proxy(), method) {
            (None, _) => 1,
            (Some(_), bridge_proto::WakeMethod::Native) => 0,
            (Some(_), bridge_proto::WakeMethod::Pipe) => 1,
        }
    }

    /// The object to hand the other side.
    pub fn object(&self) -> Option<ObjectRef<'_>> {
        match self {
            Self::Event(event) => Some(event.as_handle()),
            Self::Futex => None,
            Self::Pipe(pipe) => Some(pipe.handle()),
        }
    }

    /// The waker the other side handed over, from its objects.
    pub fn from_objects(objects: &mut impl Iterator<Item = Object>) -> io::Result<Self> {
        match wine::linux_proxy() {
            Some(mode) if mode.futex => Ok(Self::Futex),
            Some(_) => {
                let pipe = objects
                    .next()
                    .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "a doorbell's pipe is missing"))?;
                wine::PipeDoorbell::new(std::fs::File::from(pipe)).map(Self::Pipe)
            }
            None => objects
                .next()
                .map(Self::Event)
                .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "a doorbell's event is missing")),
        }
    }
}

/// The path this process opens for a path the proxy sent: a Linux proxy's path through
/// Wine's DOS name for it, a Windows proxy's as it is.
pub fn local_path(path: &str) -> io::Result<PathBuf> {
    if wine::linux_proxy().is_some() {
        return wine::dos_path(path);
    }
    Ok(PathBuf::from(path))
}

/// How this server's doorbells wake: natively (events from a Windows proxy, the futex for a
/// Linux one where Wine allows it) or by pipes.
pub fn wake_method() -> bridge_proto::WakeMethod {
    match wine::linux_proxy() {
        Some(mode) if !mode.futex => bridge_proto::WakeMethod::Pipe,
        _ => bridge_proto::WakeMethod::Native,
    }
}

/// A second owned handle for `object` in this process (what a test uses to stand in for the
/// other side).
pub fn duplicate(object: ObjectRef<'_>) -> io::Result<Object> {
    object.try_clone_to_owned()
}

/// Fills `buffer` with random bytes from the system's generator.
pub fn random_bytes(buffer: &mut [u8]) -> io::Result<()> {
    for chunk in buffer.chunks_mut(u32::MAX as usize) {
        // SAFETY: the chunk is writable for its length; no algorithm handle with the
        // system-preferred flag.
        let status = unsafe {
            BCryptGenRandom(
                std::ptr::null_mut(),
                chunk.as_mut_ptr(),
                chunk.len() as u32,
                BCRYPT_USE_SYSTEM_PREFERRED_RNG,
            )
        };
        if status < 0 {
            return Err(io::Error::other(format!("BCryptGenRandom failed ({status:#x})")));
        }
    }
    Ok(())
}

/// The most objects one [`send_objects`] carries.
const MAX_OBJECTS: usize = 4;

/// Hands `objects` to the process at the other end of `stream`: each handle is duplicated
/// into that process, and the values it has there are sent as a count and 64-bit numbers.
/// Only the proxy sends objects, to the server it started.
pub fn send_objects(stream: &Stream, objects: &[ObjectRef<'_>]) -> io::Result<()> {
    let Stream::Pipe(pipe) = stream else {
        return Err(io::Error::new(io::ErrorKind::Unsupported, "a server sends no objects"));
    };
    if objects.len() > MAX_OBJECTS {
        return Err(io::Error::other("too many objects for one hand-over"));
    }
    let pid = pipe.peer_process_id()?;
    // SAFETY: asks only for the right to duplicate handles into that process.
    let peer = owned(unsafe { OpenProcess(PROCESS_DUP_HANDLE, 0, pid) })?;
    let mut message = vec![objects.len() as u8];
    let mut remote_handles = Vec::with_capacity(objects.len());
    for object in objects {
        let mut remote: HANDLE = std::ptr::null_mut();
        // SAFETY: duplicates our handle into the peer, with the same access; the value is
        // only meaningful there.
        let duplicated = check(unsafe {
            DuplicateHandle(
                GetCurrentProcess(),
                object.as_raw_handle(),
                peer.as_raw_handle(),
                &mut remote,
                0,
                0,
                DUPLICATE_SAME_ACCESS,
            )
        });
        if let Err(error) = duplicated {
            close_remote(&peer, &remote_handles);
            return Err(error);
        }
        remote_handles.push(remote);
        message.extend_from_slice(&(remote as usize as u64).to_le_bytes());
    }
    let sent = (&*stream).write_all(&message);
    if sent.is_err() {
        close_remote(&peer, &remote_handles);
    }
    sent
}

/// Closes handles duplicated into `peer` that it will never learn about.
fn close_remote(peer: &OwnedHandle, handles: &[HANDLE]) {
    for &handle in handles {
        // SAFETY: DUPLICATE_CLOSE_SOURCE with no target closes `handle` in `peer`.
        unsafe {
            DuplicateHandle(
                peer.as_raw_handle(),
                handle,
                std::ptr::null_mut(),
                std::ptr::null_mut(),
                0,
                0,
                DUPLICATE_CLOSE_SOURCE,
            )
        };
    }
}

/// Receives exactly `count` objects [`send_objects`] sent (within the stream's read
/// timeout). The handles were duplicated into this process by the proxy that started it and
/// proved itself with the token; any other count is an error.
pub fn receive_objects(stream: &Stream, count: usize) -> io::Result<Vec<Object>> {
    if let Stream::Linux(pipes) = stream {
        return wine::receive_objects(pipes, count);
    }
    let mut sent = [0u8; 1];
    (&*stream).read_exact(&mut sent)?;
    let sent = usize::from(sent[0]);
    if sent > MAX_OBJECTS {
        return Err(io::Error::new(io::ErrorKind::InvalidData, "too many objects announced"));
    }
    let mut values = vec![0u8; sent * 8];
    (&*stream).read_exact(&mut values)?;
    let objects: Vec<Object> = values
        .chunks_exact(8)
        .map(|value| {
            let raw = u64::from_le_bytes(value.try_into().expect("8 bytes")) as usize as HANDLE;
            // SAFETY: the proxy duplicated this handle into our process for us alone; we take
            // ownership of it exactly once.
            unsafe { OwnedHandle::from_raw_handle(raw) }
        })
        .collect();
    if objects.len() != count {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{} handles arrived where {count} were expected", objects.len()),
        ));
    }
    Ok(objects)
}

/// Ends this process when `expected_parent` ends: a thread waits on the parent's process
/// handle (taken now, so a later process with a reused id cannot stand in for it). Fails if
/// the parent is already gone.
pub fn die_with_parent(expected_parent: u32) -> io::Result<()> {
    if wine::linux_proxy().is_some() {
        // A Linux pid: the proxy asked the kernel to kill this process with it
        // (`PR_SET_PDEATHSIG` before Wine started), and `parent_is` watches its /proc entry.
        return match wine::linux_process_alive(expected_parent) {
            true => Ok(()),
            false => Err(io::Error::new(
                io::ErrorKind::NotConnected,
                "the Linux process that started this server is gone",
            )),
        };
    }
    // SAFETY: asks only to wait on the process and read its exit code.
    let parent = owned(unsafe { OpenProcess(SYNCHRONIZE | PROCESS_QUERY_LIMITED_INFORMATION, 0, expected_parent) })
        .map_err(|error| {
            io::Error::new(
                io::ErrorKind::NotConnected,
                format!("the parent process is gone: {error}"),
            )
        })?;
    if !is_running(&parent) {
        return Err(io::Error::new(
            io::ErrorKind::NotConnected,
            "the process that started this server is gone",
        ));
    }
    std::thread::Builder::new()
        .name("vstbridge-parent-watch".into())
        .spawn(move || {
            // SAFETY: our process handle; INFINITE until the parent ends.
            unsafe { WaitForSingleObject(parent.as_raw_handle(), INFINITE) };
            // Not a normal exit: the plugin's threads and destructors must not run on.
            // SAFETY: ends this process, which is what the parent's end means for it.
            unsafe { TerminateProcess(GetCurrentProcess(), 1) };
        })?;
    Ok(())
}

fn is_running(process: &OwnedHandle) -> bool {
    let mut code = 0u32;
    // SAFETY: our process handle; the call stores the exit code.
    let answered = unsafe { GetExitCodeProcess(process.as_raw_handle(), &mut code) };
    answered != 0 && code == STILL_ACTIVE as u32
}

/// Puts `child` in this process's kill-on-close job, so the system ends it when this
/// process ends, however it ends.
pub fn tie_to_this_process(child: &std::process::Child) -> io::Result<()> {
    static JOB: OnceLock<Result<OwnedHandle, String>> = OnceLock::new();
    let job = JOB
        .get_or_init(|| {
            let create = || -> io::Result<OwnedHandle> {
                // SAFETY: an unnamed job with default security.
                let job = owned(unsafe { CreateJobObjectW(std::ptr::null(), std::ptr::null()) })?;
                // SAFETY: plain data; zero means "no limits" for every other field.
                let mut limits: JOBOBJECT_EXTENDED_LIMIT_INFORMATION = unsafe { std::mem::zeroed() };
                limits.BasicLimitInformation.LimitFlags = JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE;
                // SAFETY: the structure and its size for this information class.
                check(unsafe {
                    SetInformationJobObject(
                        job.as_raw_handle(),
                        JobObjectExtendedLimitInformation,
                        (&limits as *const JOBOBJECT_EXTENDED_LIMIT_INFORMATION).cast::<c_void>(),
                        size_of::<JOBOBJECT_EXTENDED_LIMIT_INFORMATION>() as u32,
                    )
                })?;
                Ok(job)
            };
            create().map_err(|error| error.to_string())
        })
        .as_ref()
        .map_err(|error| io::Error::other(format!("no job for the servers: {error}")))?;
    // SAFETY: our job handle and the child's process handle, both live.
    check(unsafe { AssignProcessToJobObject(job.as_raw_handle(), child.as_raw_handle()) })
}

/// The processor the calling thread runs on.
pub fn current_cpu() -> Option<u32> {
    // SAFETY: no arguments; only reports.
    Some(unsafe { GetCurrentProcessorNumber() })
}

/// Pins the calling thread to `cpu`.
pub fn pin_current_thread(cpu: u32) -> io::Result<()> {
    if cpu >= usize::BITS {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, "no such processor"));
    }
    // SAFETY: changes only the calling thread's affinity.
    match unsafe { SetThreadAffinityMask(GetCurrentThread(), 1usize << cpu) } {
        0 => Err(io::Error::last_os_error()),
        _ => Ok(()),
    }
}

/// The calling thread's priority on the scale the other OS uses for realtime priority,
/// folded to what Windows has: 2 for time-critical, 1 for highest, 0 otherwise.
pub fn current_realtime_priority() -> u32 {
    // SAFETY: the calling thread's pseudo handle; only reports.
    match unsafe { GetThreadPriority(GetCurrentThread()) } {
        THREAD_PRIORITY_TIME_CRITICAL => 2,
        THREAD_PRIORITY_HIGHEST => 1,
        _ => 0,
    }
}

/// The highest priority [`set_current_realtime_priority`] takes (time-critical).
pub fn realtime_priority_limit() -> u32 {
    2
}

/// Runs the calling thread time-critical (2 and above), highest (1) or normal (0).
pub fn set_current_realtime_priority(priority: u32) -> io::Result<()> {
    let level = match priority {
        0 => THREAD_PRIORITY_NORMAL,
        1 => THREAD_PRIORITY_HIGHEST,
        _ => THREAD_PRIORITY_TIME_CRITICAL,
    };
    // SAFETY: changes only the calling thread's priority.
    check(unsafe { SetThreadPriority(GetCurrentThread(), level) })
}

/// Whether `pid` still runs. (The parent watch of [`die_with_parent`] ends this process
/// when the parent ends, so there is no re-parenting to look for.)
pub fn parent_is(pid: u32) -> bool {
    if wine::linux_proxy().is_some() {
        return wine::linux_process_alive(pid);
    }
    process_alive(pid)
}

/// Whether a process with this id runs.
pub fn process_alive(pid: u32) -> bool {
    // SAFETY: asks only to read the exit code.
    owned(unsafe { OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, 0, pid) }).is_ok_and(|process| is_running(&process))
}

/// The file the code at `address` was loaded from (the DLL or executable holding it).
pub fn library_path_of(address: *const ()) -> io::Result<PathBuf> {
    let mut module = std::ptr::null_mut();
    // SAFETY: with FROM_ADDRESS the name argument is read as an address inside a module;
    // UNCHANGED_REFCOUNT leaves the module's load count alone.
    check(unsafe {
        GetModuleHandleExW(
            GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS | GET_MODULE_HANDLE_EX_FLAG_UNCHANGED_REFCOUNT,
            address.cast(),
            &mut module,
        )
    })?;
    let mut buffer = vec![0u16; 512];
    loop {
        // SAFETY: the buffer holds `len` UTF-16 units.
        let written = unsafe { GetModuleFileNameW(module, buffer.as_mut_ptr(), buffer.len() as u32) } as usize;
        if written == 0 {
            return Err(io::Error::last_os_error());
        }
        if written < buffer.len() {
            return Ok(PathBuf::from(OsString::from_wide(&buffer[..written])));
        }
        buffer.resize(buffer.len() * 2, 0);
    }
}
