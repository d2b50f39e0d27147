//! The control channel on Windows: named pipes only the current user may open, with
//! overlapped I/O so every read and write can be bounded.

use std::io::{self, Read, Write};
use std::os::windows::io::{AsRawHandle, OwnedHandle};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use windows_sys::Win32::Foundation::{
    ERROR_BROKEN_PIPE, ERROR_IO_PENDING, ERROR_OPERATION_ABORTED, ERROR_PIPE_CONNECTED, ERROR_PIPE_NOT_CONNECTED,
    GENERIC_READ, GENERIC_WRITE, HANDLE, LocalFree, WAIT_OBJECT_0, WAIT_TIMEOUT,
};
use windows_sys::Win32::Security::Authorization::{
    ConvertSidToStringSidW, ConvertStringSecurityDescriptorToSecurityDescriptorW, SDDL_REVISION_1,
};
use windows_sys::Win32::Security::{
    GetTokenInformation, PSECURITY_DESCRIPTOR, SECURITY_ATTRIBUTES, TOKEN_QUERY, TOKEN_USER, TokenUser,
};
use windows_sys::Win32::Storage::FileSystem::{
    CreateFileW, FILE_FLAG_FIRST_PIPE_INSTANCE, FILE_FLAG_OVERLAPPED, OPEN_EXISTING, PIPE_ACCESS_DUPLEX, ReadFile,
    SECURITY_IDENTIFICATION, SECURITY_SQOS_PRESENT, WriteFile,
};
use windows_sys::Win32::System::IO::{CancelIoEx, GetOverlappedResult, OVERLAPPED};
use windows_sys::Win32::System::Pipes::{
    ConnectNamedPipe, CreateNamedPipeW, GetNamedPipeClientProcessId, GetNamedPipeServerProcessId, PIPE_READMODE_BYTE,
    PIPE_REJECT_REMOTE_CLIENTS, PIPE_TYPE_BYTE, PIPE_UNLIMITED_INSTANCES, PIPE_WAIT, PeekNamedPipe,
};
use windows_sys::Win32::System::Threading::{CreateEventW, GetCurrentProcess, OpenProcessToken};
use windows_sys::Win32::UI::WindowsAndMessaging::{
    MSG, MsgWaitForMultipleObjects, PM_NOREMOVE, PM_QS_SENDMESSAGE, PeekMessageW, QS_SENDMESSAGE,
};

use super::{check, owned, wait_millis, wide};

/// A manual-reset event for one direction of overlapped I/O.
fn io_event() -> io::Result<OwnedHandle> {
    // SAFETY: no security attributes, no name; the call only creates an object.
    owned(unsafe { CreateEventW(std::ptr::null(), 1, 0, std::ptr::null()) })
}

/// A security descriptor that admits only the user this process runs as.
struct OwnerOnly(PSECURITY_DESCRIPTOR);

// SAFETY: the descriptor is a LocalAlloc'd block this value alone owns; nothing writes it
// after creation, and freeing it (Drop) needs no particular thread.
unsafe impl Send for OwnerOnly {}
// SAFETY: shared references only hand its address to CreateNamedPipeW, which reads it; no
// method mutates the descriptor, so concurrent reads from several threads are sound.
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

/// A connection on the control channel to a Windows proxy: one end of a named pipe, opened for overlapped
/// I/O so every read and write can be bounded.
pub struct NamedPipe {
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

impl NamedPipe {
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

    /// Whether something can be read (or the other end closed) within `timeout`, looked at
    /// every millisecond or two: a server thread with an editor open waits so, to pump its
    /// window messages between the DAW's requests.
    pub fn wait_readable(&self, timeout: Duration) -> io::Result<bool> {
        let deadline = std::time::Instant::now() + timeout;
        loop {
            let mut available = 0u32;
            // SAFETY: our pipe handle; no buffer, only the count of bytes waiting is stored.
            let peeked = unsafe {
                PeekNamedPipe(
                    self.pipe.as_raw_handle(),
                    std::ptr::null_mut(),
                    0,
                    std::ptr::null_mut(),
                    &mut available,
                    std::ptr::null_mut(),
                )
            };
            // A broken pipe is "readable": the read that follows reports the end.
            if peeked == 0 || available > 0 {
                return Ok(true);
            }
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            if left.is_zero() {
                return Ok(false);
            }
            std::thread::sleep(left.min(Duration::from_millis(1)));
        }
    }

    /// The process at the other end.
    pub(super) fn peer_process_id(&self) -> io::Result<u32> {
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
            if wait_dispatching_sent_messages(event.as_raw_handle(), timeout) == WAIT_TIMEOUT {
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

/// Waits for `event` up to `timeout` (`None`: forever), meanwhile dispatching the messages
/// other threads *send* to this one (not posted ones: no input, no timers). A thread waiting
/// for the other process may own windows that process's windows are children of (the
/// DAW's, which a server's editor is made a child of): creating such a child, or resizing
/// it, sends the parent's thread a message and waits for it to be handled, so a thread
/// that only waited would deadlock with the server. Dispatching sent messages is what a
/// modal wait does. Returns `WAIT_TIMEOUT` or `WAIT_OBJECT_0`.
pub(super) fn wait_dispatching_sent_messages(event: HANDLE, timeout: Option<Duration>) -> u32 {
    let deadline = timeout.map(|timeout| std::time::Instant::now() + timeout);
    loop {
        let left = deadline.map(|deadline| deadline.saturating_duration_since(std::time::Instant::now()));
        // SAFETY: our event handle; waits for it or for a message sent to this thread.
        let woke = unsafe { MsgWaitForMultipleObjects(1, &event, 0, wait_millis(left), QS_SENDMESSAGE) };
        if woke != WAIT_OBJECT_0 + 1 {
            return if woke == WAIT_OBJECT_0 {
                WAIT_OBJECT_0
            } else {
                WAIT_TIMEOUT
            };
        }
        // Peeking dispatches the sent messages waiting for this thread (and removes none of
        // its posted ones).
        // SAFETY: a zeroed MSG is a valid out-parameter; nothing is removed from the queue.
        unsafe {
            let mut message: MSG = std::mem::zeroed();
            PeekMessageW(
                &mut message,
                std::ptr::null_mut(),
                0,
                0,
                PM_NOREMOVE | PM_QS_SENDMESSAGE,
            );
        }
    }
}

impl Read for &NamedPipe {
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

impl Write for &NamedPipe {
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

/// Listens for [`NamedPipe`]s on a named pipe only this user may open.
pub struct NamedPipeListener {
    path: Vec<u16>,
    security: OwnerOnly,
    /// The instance the next client connects to (created ahead, so a client never finds
    /// the name missing between two accepts).
    next: Mutex<Option<OwnedHandle>>,
    accepting: Mutex<OwnedHandle>,
}

impl NamedPipeListener {
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
    pub fn accept(&self) -> io::Result<NamedPipe> {
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
        NamedPipe::new(pipe, false)
    }
}
