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

use std::ffi::{OsString, c_void};
use std::io::{self, Read, Write};
use std::os::windows::ffi::{OsStrExt, OsStringExt};
use std::os::windows::io::{AsHandle, AsRawHandle, BorrowedHandle, FromRawHandle, OwnedHandle};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock, PoisonError};
use std::time::Duration;

use windows_sys::Win32::Foundation::{
    DUPLICATE_CLOSE_SOURCE, DUPLICATE_SAME_ACCESS, DuplicateHandle, ERROR_BROKEN_PIPE, ERROR_IO_PENDING,
    ERROR_OPERATION_ABORTED, ERROR_PIPE_CONNECTED, ERROR_PIPE_NOT_CONNECTED, GENERIC_READ, GENERIC_WRITE, HANDLE,
    INVALID_HANDLE_VALUE, LocalFree, STILL_ACTIVE, WAIT_FAILED, WAIT_TIMEOUT,
};
use windows_sys::Win32::Security::Authorization::{
    ConvertSidToStringSidW, ConvertStringSecurityDescriptorToSecurityDescriptorW, SDDL_REVISION_1,
};
use windows_sys::Win32::Security::Cryptography::{BCRYPT_USE_SYSTEM_PREFERRED_RNG, BCryptGenRandom};
use windows_sys::Win32::Security::{
    GetTokenInformation, PSECURITY_DESCRIPTOR, SECURITY_ATTRIBUTES, TOKEN_QUERY, TOKEN_USER, TokenUser,
};
use windows_sys::Win32::Storage::FileSystem::{
    CreateFileW, FILE_FLAG_FIRST_PIPE_INSTANCE, FILE_FLAG_OVERLAPPED, OPEN_EXISTING, PIPE_ACCESS_DUPLEX, ReadFile,
    SECURITY_IDENTIFICATION, SECURITY_SQOS_PRESENT, SYNCHRONIZE, WriteFile,
};
use windows_sys::Win32::System::IO::{CancelIoEx, GetOverlappedResult, OVERLAPPED};
use windows_sys::Win32::System::JobObjects::{
    AssignProcessToJobObject, CreateJobObjectW, JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE,
    JOBOBJECT_EXTENDED_LIMIT_INFORMATION, JobObjectExtendedLimitInformation, SetInformationJobObject,
};
use windows_sys::Win32::System::LibraryLoader::{
    GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS, GET_MODULE_HANDLE_EX_FLAG_UNCHANGED_REFCOUNT, GetModuleFileNameW,
    GetModuleHandleExW,
};
use windows_sys::Win32::System::Memory::{
    CreateFileMappingW, FILE_MAP_READ, FILE_MAP_WRITE, MEMORY_BASIC_INFORMATION, MEMORY_MAPPED_VIEW_ADDRESS,
    MapViewOfFile, PAGE_READWRITE, UnmapViewOfFile, VirtualLock, VirtualQuery,
};
use windows_sys::Win32::System::Pipes::{
    ConnectNamedPipe, CreateNamedPipeW, GetNamedPipeClientProcessId, GetNamedPipeServerProcessId, PIPE_READMODE_BYTE,
    PIPE_REJECT_REMOTE_CLIENTS, PIPE_TYPE_BYTE, PIPE_UNLIMITED_INSTANCES, PIPE_WAIT,
};
use windows_sys::Win32::System::Threading::{
    CreateEventW, GetCurrentProcess, GetCurrentProcessorNumber, GetCurrentThread, GetExitCodeProcess,
    GetThreadPriority, INFINITE, OpenProcess, OpenProcessToken, PROCESS_DUP_HANDLE, PROCESS_QUERY_LIMITED_INFORMATION,
    SetEvent, SetThreadAffinityMask, SetThreadPriority, THREAD_PRIORITY_HIGHEST, THREAD_PRIORITY_NORMAL,
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

/// A manual-reset event for one direction of overlapped I/O.
fn io_event() -> io::Result<OwnedHandle> {
    // SAFETY: no security attributes, no name; the call only creates an object.
    owned(unsafe { CreateEventW(std::ptr::null(), 1, 0, std::ptr::null()) })
}

/// A security descriptor that admits only the user this process runs as.
struct OwnerOnly(PSECURITY_DESCRIPTOR);

// SAFETY: the descriptor is immutable after creation and only read by the system.
unsafe impl Send for OwnerOnly {}
// SAFETY: as above.
unsafe impl Sync for OwnerOnly {}

impl OwnerOnly {
    fn new() -> io::Result<Self> {
        let sid = current_user_sid()?;
        // Protected DACL (no inherited entries) with one entry: all access for this user.
        let sddl = wide(&format!("D:P(A;;GA;;;{sid})"));
        let mut descriptor: PSECURITY_DESCRIPTOR = std::ptr::null_mut();
        // SAFETY: `sddl` is NUL-terminated; the call allocates the descriptor with
        // LocalAlloc and stores it in `descriptor`, which `Drop` frees.
        check(unsafe {
            ConvertStringSecurityDescriptorToSecurityDescriptorW(
                sddl.as_ptr(),
                SDDL_REVISION_1,
                &mut descriptor,
                std::ptr::null_mut(),
            )
        })?;
        Ok(Self(descriptor))
    }

    fn attributes(&self) -> SECURITY_ATTRIBUTES {
        SECURITY_ATTRIBUTES {
            nLength: size_of::<SECURITY_ATTRIBUTES>() as u32,
            lpSecurityDescriptor: self.0,
            bInheritHandle: 0,
        }
    }
}

impl Drop for OwnerOnly {
    fn drop(&mut self) {
        // SAFETY: allocated by ConvertStringSecurityDescriptorToSecurityDescriptorW.
        unsafe { LocalFree(self.0) };
    }
}

/// The current user's SID as text (`S-1-5-21-...`).
fn current_user_sid() -> io::Result<String> {
    let mut token = std::ptr::null_mut();
    // SAFETY: the pseudo handle of this process; the call stores a new token handle.
    check(unsafe { OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &mut token) })?;
    let token = owned(token)?;
    let mut needed = 0u32;
    // SAFETY: asks for the size only (a null buffer of length 0).
    unsafe { GetTokenInformation(token.as_raw_handle(), TokenUser, std::ptr::null_mut(), 0, &mut needed) };
    // u64s keep the buffer aligned for TOKEN_USER.
    let mut buffer = vec![0u64; (needed as usize).div_ceil(8).max(1)];
    // SAFETY: the buffer holds `needed` bytes.
    check(unsafe {
        GetTokenInformation(
            token.as_raw_handle(),
            TokenUser,
            buffer.as_mut_ptr().cast(),
            (buffer.len() * 8) as u32,
            &mut needed,
        )
    })?;
    // SAFETY: the call filled the aligned buffer with a TOKEN_USER whose SID points inside it.
    let sid = unsafe { (*buffer.as_ptr().cast::<TOKEN_USER>()).User.Sid };
    let mut text: *mut u16 = std::ptr::null_mut();
    // SAFETY: `sid` is valid while `buffer` lives; the call allocates the text, freed below.
    check(unsafe { ConvertSidToStringSidW(sid, &mut text) })?;
    // SAFETY: a NUL-terminated string the call allocated.
    let result = unsafe {
        let length = (0..).take_while(|&i| *text.add(i) != 0).count();
        String::from_utf16_lossy(std::slice::from_raw_parts(text, length))
    };
    // SAFETY: allocated by ConvertSidToStringSidW with LocalAlloc.
    unsafe { LocalFree(text.cast()) };
    Ok(result)
}

fn pipe_path(name: &str) -> Vec<u16> {
    wide(&format!(r"\\.\pipe\{name}"))
}

/// A connection on the control channel: one end of a named pipe, opened for overlapped
/// I/O so every read and write can be bounded.
pub struct Stream {
    pipe: OwnedHandle,
    /// Whether this end connected (the proxy) rather than accepted (the server).
    is_client: bool,
    /// Nanoseconds, `u64::MAX` for none.
    read_timeout: AtomicU64,
    write_timeout: AtomicU64,
    /// One event per direction, each used by one operation at a time.
    reading: Mutex<OwnedHandle>,
    writing: Mutex<OwnedHandle>,
}

fn timeout_to_nanos(timeout: Option<Duration>) -> u64 {
    timeout.map_or(u64::MAX, |timeout| {
        timeout.as_nanos().min(u128::from(u64::MAX - 1)) as u64
    })
}

fn nanos_to_timeout(nanos: u64) -> Option<Duration> {
    (nanos != u64::MAX).then(|| Duration::from_nanos(nanos))
}

impl Stream {
    fn new(pipe: OwnedHandle, is_client: bool) -> io::Result<Self> {
        Ok(Self {
            pipe,
            is_client,
            read_timeout: AtomicU64::new(u64::MAX),
            write_timeout: AtomicU64::new(u64::MAX),
            reading: Mutex::new(io_event()?),
            writing: Mutex::new(io_event()?),
        })
    }

    /// Connects to the listener on `name`; `NotFound` while nobody listens there yet.
    pub fn connect(name: &str) -> io::Result<Self> {
        let path = pipe_path(name);
        // SAFETY: `path` is NUL-terminated. Identification level only: the server may learn
        // who we are but cannot act as us.
        let pipe = owned(unsafe {
            CreateFileW(
                path.as_ptr(),
                GENERIC_READ | GENERIC_WRITE,
                0,
                std::ptr::null(),
                OPEN_EXISTING,
                FILE_FLAG_OVERLAPPED | SECURITY_SQOS_PRESENT | SECURITY_IDENTIFICATION,
                std::ptr::null_mut(),
            )
        })?;
        Self::new(pipe, true)
    }

    /// Bounds every read (`None`: wait forever); a read that times out fails.
    pub fn set_read_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        self.read_timeout.store(timeout_to_nanos(timeout), Ordering::Relaxed);
        Ok(())
    }

    /// Bounds every write (`None`: wait forever); a write that times out fails.
    pub fn set_write_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        self.write_timeout.store(timeout_to_nanos(timeout), Ordering::Relaxed);
        Ok(())
    }

    /// The pipe's security descriptor admits only this user, and the pipe rejects remote
    /// clients, so the system has already refused anyone else by the time a connection
    /// exists: nothing is left to check here.
    pub fn check_peer_is_same_user(&self) -> io::Result<()> {
        Ok(())
    }

    /// The process at the other end.
    fn peer_process_id(&self) -> io::Result<u32> {
        let mut pid = 0u32;
        // SAFETY: our pipe handle; the call stores the id.
        check(unsafe {
            if self.is_client {
                GetNamedPipeServerProcessId(self.pipe.as_raw_handle(), &mut pid)
            } else {
                GetNamedPipeClientProcessId(self.pipe.as_raw_handle(), &mut pid)
            }
        })?;
        Ok(pid)
    }

    /// Runs one overlapped operation that `start` begins, waiting at most `timeout` for it;
    /// a timed-out operation is cancelled (and waited for, since it refers to `overlapped`
    /// on this stack) and fails with `TimedOut`.
    fn overlapped(
        &self,
        event: &Mutex<OwnedHandle>,
        timeout: Option<Duration>,
        start: impl FnOnce(*mut OVERLAPPED) -> i32,
    ) -> io::Result<u32> {
        let event = event.lock().unwrap_or_else(PoisonError::into_inner);
        // SAFETY: OVERLAPPED is plain data; all zero is its documented initial state.
        let mut overlapped: OVERLAPPED = unsafe { std::mem::zeroed() };
        overlapped.hEvent = event.as_raw_handle();
        let mut timed_out = false;
        if start(&mut overlapped) == 0 {
            let error = io::Error::last_os_error();
            if error.raw_os_error() != Some(ERROR_IO_PENDING as i32) {
                return Err(error);
            }
            // SAFETY: our event handle.
            if unsafe { WaitForSingleObject(event.as_raw_handle(), wait_millis(timeout)) } == WAIT_TIMEOUT {
                timed_out = true;
                // SAFETY: cancels only the operation on `overlapped`, on our pipe.
                unsafe { CancelIoEx(self.pipe.as_raw_handle(), &overlapped) };
            }
        }
        let mut transferred = 0u32;
        // SAFETY: waits (bWait = TRUE) until the operation on `overlapped` is finished, so
        // the kernel no longer refers to it or to the buffer when we return.
        let done = unsafe { GetOverlappedResult(self.pipe.as_raw_handle(), &overlapped, &mut transferred, 1) };
        if done != 0 {
            return Ok(transferred);
        }
        let error = io::Error::last_os_error();
        if timed_out && error.raw_os_error() == Some(ERROR_OPERATION_ABORTED as i32) {
            return Err(io::Error::new(io::ErrorKind::TimedOut, "the pipe operation timed out"));
        }
        Err(error)
    }
}

impl Read for &Stream {
    fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
        let length = buffer.len().min(u32::MAX as usize) as u32;
        let timeout = nanos_to_timeout(self.read_timeout.load(Ordering::Relaxed));
        let pipe = self.pipe.as_raw_handle();
        // SAFETY: the buffer outlives the operation: `overlapped` waits for it to finish.
        let read = self.overlapped(&self.reading, timeout, |overlapped| unsafe {
            ReadFile(pipe, buffer.as_mut_ptr(), length, std::ptr::null_mut(), overlapped)
        });
        match read {
            Ok(read) => Ok(read as usize),
            // The other end closed: end of stream.
            Err(error)
                if matches!(
                    error.raw_os_error(),
                    Some(code) if code == ERROR_BROKEN_PIPE as i32 || code == ERROR_PIPE_NOT_CONNECTED as i32
                ) =>
            {
                Ok(0)
            }
            Err(error) => Err(error),
        }
    }
}

impl Write for &Stream {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        let length = bytes.len().min(u32::MAX as usize) as u32;
        let timeout = nanos_to_timeout(self.write_timeout.load(Ordering::Relaxed));
        let pipe = self.pipe.as_raw_handle();
        // SAFETY: the bytes outlive the operation: `overlapped` waits for it to finish.
        let written = self.overlapped(&self.writing, timeout, |overlapped| unsafe {
            WriteFile(pipe, bytes.as_ptr(), length, std::ptr::null_mut(), overlapped)
        })?;
        Ok(written as usize)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Listens for [`Stream`]s on a named pipe only this user may open.
pub struct Listener {
    path: Vec<u16>,
    security: OwnerOnly,
    /// The instance the next client connects to (created ahead, so a client never finds
    /// the name missing between two accepts).
    next: Mutex<Option<OwnedHandle>>,
    accepting: Mutex<OwnedHandle>,
}

impl Listener {
    /// Listens on `name`; fails if a pipe of that name exists already (someone else's).
    pub fn bind(name: &str) -> io::Result<Self> {
        let listener = Self {
            path: pipe_path(name),
            security: OwnerOnly::new()?,
            next: Mutex::new(None),
            accepting: Mutex::new(io_event()?),
        };
        let first = listener.instance(true)?;
        *listener.next.lock().unwrap_or_else(PoisonError::into_inner) = Some(first);
        Ok(listener)
    }

    fn instance(&self, first: bool) -> io::Result<OwnedHandle> {
        let attributes = self.security.attributes();
        let first_flag = if first { FILE_FLAG_FIRST_PIPE_INSTANCE } else { 0 };
        // SAFETY: `path` is NUL-terminated and `attributes` points at a live descriptor.
        owned(unsafe {
            CreateNamedPipeW(
                self.path.as_ptr(),
                PIPE_ACCESS_DUPLEX | FILE_FLAG_OVERLAPPED | first_flag,
                PIPE_TYPE_BYTE | PIPE_READMODE_BYTE | PIPE_WAIT | PIPE_REJECT_REMOTE_CLIENTS,
                PIPE_UNLIMITED_INSTANCES,
                64 * 1024,
                64 * 1024,
                0,
                &attributes,
            )
        })
    }

    /// Waits for the next connection.
    pub fn accept(&self) -> io::Result<Stream> {
        let pipe = match self.next.lock().unwrap_or_else(PoisonError::into_inner).take() {
            Some(pipe) => pipe,
            None => self.instance(false)?,
        };
        let event = self.accepting.lock().unwrap_or_else(PoisonError::into_inner);
        // SAFETY: zeroed OVERLAPPED is its initial state.
        let mut overlapped: OVERLAPPED = unsafe { std::mem::zeroed() };
        overlapped.hEvent = event.as_raw_handle();
        // SAFETY: our pipe instance; `overlapped` lives until the wait below ends it.
        if unsafe { ConnectNamedPipe(pipe.as_raw_handle(), &mut overlapped) } == 0 {
            let error = io::Error::last_os_error();
            match error.raw_os_error() {
                Some(code) if code == ERROR_PIPE_CONNECTED as i32 => {}
                Some(code) if code == ERROR_IO_PENDING as i32 => {
                    let mut ignored = 0u32;
                    // SAFETY: waits for the connection, after which nothing refers to
                    // `overlapped`.
                    check(unsafe { GetOverlappedResult(pipe.as_raw_handle(), &overlapped, &mut ignored, 1) })?;
                }
                _ => return Err(error),
            }
        }
        // The next client finds an instance waiting.
        if let Ok(next) = self.instance(false) {
            *self.next.lock().unwrap_or_else(PoisonError::into_inner) = Some(next);
        }
        Stream::new(pipe, false)
    }
}

/// Sleeps until `word` no longer holds `expected` and `waker` is set, or `timeout` passes.
/// Spurious returns are possible (a set left from an earlier ring); callers re-check the
/// word.
pub fn wait(word: &AtomicU32, expected: u32, timeout: Duration, waker: &Waker) -> io::Result<()> {
    if word.load(Ordering::SeqCst) != expected {
        return Ok(());
    }
    // SAFETY: our event handle.
    match unsafe { WaitForSingleObject(waker.0.as_raw_handle(), wait_millis(Some(timeout))) } {
        WAIT_FAILED => Err(io::Error::last_os_error()),
        _ => Ok(()),
    }
}

/// Wakes the side that sleeps on `waker` (one thread sleeps on each doorbell).
pub fn wake(_word: &AtomicU32, waker: &Waker) -> io::Result<()> {
    // SAFETY: our event handle.
    check(unsafe { SetEvent(waker.0.as_raw_handle()) })
}

/// What carries a doorbell's wake across processes: an auto-reset event, created by the
/// proxy and duplicated into the server.
#[derive(Debug)]
pub struct Waker(OwnedHandle);

impl Waker {
    /// OS objects a waker hands over: its event.
    pub const OBJECTS: usize = 1;

    /// A new waker.
    pub fn new() -> io::Result<Self> {
        // SAFETY: an unnamed auto-reset event, not signalled.
        owned(unsafe { CreateEventW(std::ptr::null(), 0, 0, std::ptr::null()) }).map(Self)
    }

    /// The object to hand the other side.
    pub fn object(&self) -> Option<ObjectRef<'_>> {
        Some(self.0.as_handle())
    }

    /// The waker the other side handed over, from its objects.
    pub fn from_objects(objects: &mut impl Iterator<Item = Object>) -> io::Result<Self> {
        objects
            .next()
            .map(Self)
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "a doorbell's event is missing"))
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

/// An unnamed, pagefile-backed section. It has no name any other process could open; it
/// reaches the server only as a handle the proxy duplicates into it. A pagefile-backed
/// section can neither shrink nor grow, so a mapping of it never loses pages underneath.
#[derive(Debug)]
pub struct SharedMemory {
    section: OwnedHandle,
    len: u64,
}

impl SharedMemory {
    /// A new section of `size` bytes, zero-filled.
    pub fn create(size: u64) -> io::Result<Self> {
        // SAFETY: INVALID_HANDLE_VALUE asks for a pagefile-backed section; no name.
        let section = owned(unsafe {
            CreateFileMappingW(
                INVALID_HANDLE_VALUE,
                std::ptr::null(),
                PAGE_READWRITE,
                (size >> 32) as u32,
                size as u32,
                std::ptr::null(),
            )
        })?;
        Ok(Self { section, len: size })
    }

    /// The section another process handed over; its size is learnt from a mapping of all
    /// of it (whole pages: the system rounds a section up to them).
    pub fn from_object(object: Object) -> io::Result<Self> {
        let mut memory = Self {
            section: object,
            len: 0,
        };
        memory.len = memory.map()?.size() as u64;
        Ok(memory)
    }

    /// Its size in bytes.
    pub fn size(&self) -> io::Result<u64> {
        Ok(self.len)
    }

    /// Maps all of it, readable and writable.
    pub fn map(&self) -> io::Result<Mapping> {
        // SAFETY: our section handle; 0 bytes maps the whole section.
        let view = unsafe { MapViewOfFile(self.section.as_raw_handle(), FILE_MAP_READ | FILE_MAP_WRITE, 0, 0, 0) };
        if view.Value.is_null() {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: a zeroed MEMORY_BASIC_INFORMATION is valid; the call fills it for the view.
        let mut info: MEMORY_BASIC_INFORMATION = unsafe { std::mem::zeroed() };
        // SAFETY: `view` is the base of a view we just mapped.
        let answered = unsafe { VirtualQuery(view.Value, &mut info, size_of::<MEMORY_BASIC_INFORMATION>()) };
        // Owned from here: unmapped on every path below.
        let mut mapping = Mapping {
            view: view.Value.cast(),
            len: info.RegionSize,
        };
        if answered == 0 {
            return Err(io::Error::last_os_error());
        }
        if self.len != 0 {
            mapping.len = mapping.len.min(self.len as usize);
        }
        Ok(mapping)
    }

    /// The object to hand another process.
    pub fn object(&self) -> ObjectRef<'_> {
        self.section.as_handle()
    }
}

/// A view of [`SharedMemory`]; unmapped on drop.
#[derive(Debug)]
pub struct Mapping {
    view: *mut u8,
    len: usize,
}

// SAFETY: a view of shared memory is plain memory, valid on every thread until unmapped.
unsafe impl Send for Mapping {}
// SAFETY: as above; the mapping itself is never written through a reference here.
unsafe impl Sync for Mapping {}

impl Mapping {
    /// The first byte.
    pub fn as_ptr(&self) -> *mut u8 {
        self.view
    }

    /// Bytes mapped.
    pub fn size(&self) -> usize {
        self.len
    }

    /// Locks the view into this process's working set, so no access waits for a page.
    pub fn lock(&self) -> io::Result<()> {
        // SAFETY: the range is our mapped view.
        check(unsafe { VirtualLock(self.view.cast(), self.len) })
    }

    /// Faults every page in now, so this process takes no page fault on it later.
    pub fn populate(&self) -> io::Result<()> {
        for offset in (0..self.len).step_by(4096) {
            // SAFETY: inside the view; a read changes nothing the other side sees.
            unsafe { std::ptr::read_volatile(self.view.add(offset)) };
        }
        Ok(())
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        // SAFETY: the base of a view MapViewOfFile returned, unmapped once.
        unsafe {
            UnmapViewOfFile(MEMORY_MAPPED_VIEW_ADDRESS {
                Value: self.view.cast(),
            })
        };
    }
}

/// The most objects one [`send_objects`] carries.
const MAX_OBJECTS: usize = 4;

/// Hands `objects` to the process at the other end of `stream`: each handle is duplicated
/// into that process, and the values it has there are sent as a count and 64-bit numbers.
/// Only the proxy sends objects, to the server it started.
pub fn send_objects(stream: &Stream, objects: &[ObjectRef<'_>]) -> io::Result<()> {
    if objects.len() > MAX_OBJECTS {
        return Err(io::Error::other("too many objects for one hand-over"));
    }
    let pid = stream.peer_process_id()?;
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
