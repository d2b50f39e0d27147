//! A server under Wine driven by a *Linux* proxy: the other half of the Linux module's
//! `pipes` (read its docs first).
//!
//! The proxy hands this process paths, never handles: `/proc/<pid>/fd/<n>` of its pipes and
//! sealed memfds, which Wine opens through the DOS path `wine_get_dos_file_name` gives. The
//! control channel is two such pipes per connection, asked for through a rendezvous pipe;
//! the audio region is the proxy's memfd mapped as a file section; a doorbell sleeps and
//! wakes by a raw Linux `futex` system call on the shared word where Wine lets a Windows
//! program make one, and by a pipe per doorbell where it does not.
//!
//! Wine before 11.5 does not intercept system calls made by Windows code, so `syscall` (x64)
//! and `int 0x80` (x86) reach the kernel. Wine 11.5 and later trap them (Syscall User
//! Dispatch) and Proton does (seccomp): there such an instruction would be taken for a
//! Windows system call. So the futex is used only when `wine_get_version` names an older
//! Wine and the build is not Proton's, and it is never tried blindly.
//!
//! Reads on this side have no timeouts: Wine gives a plain (non-overlapped) read of a Linux
//! pipe straight to the kernel, which is what makes it fast, and such a read cannot be
//! bounded. A read ends when the proxy writes, or when its process (the only writer) ends.
//! Nor can such a pipe be asked whether it holds anything (`PeekNamedPipe` is "not
//! supported" on it), which a thread with an editor open must know, to pump its window
//! messages until the proxy's next request: that thread's connection is read by a relay
//! thread from then on, which signals an event the editor's thread can wait on.

use std::collections::VecDeque;
use std::ffi::{CStr, c_char};
use std::fs::File;
use std::io::{self, Read, Write};
use std::os::windows::ffi::OsStringExt;
use std::os::windows::io::AsHandle;
use std::os::windows::io::{AsRawHandle, OwnedHandle};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::{Duration, Instant};

use bridge_proto::wine::{DescriptorName, RECORD_BYTES, WineDoorbell, object_kind};
use windows_sys::Win32::Storage::FileSystem::{FILE_ID_INFO, FileIdInfo, GetFileInformationByHandleEx};
use windows_sys::Win32::System::LibraryLoader::{GetModuleHandleW, GetProcAddress};
use windows_sys::Win32::System::Memory::{CreateFileMappingW, GetProcessHeap, HeapFree, PAGE_READWRITE};

use super::{check, owned, wide};

/// How this process serves a Linux proxy, once [`serve_linux_proxy`] said so.
#[derive(Debug, Clone, Copy)]
pub struct LinuxProxy {
    /// Doorbells sleep and wake by raw futex calls (else by pipes).
    pub futex: bool,
}

static LINUX_PROXY: OnceLock<LinuxProxy> = OnceLock::new();

/// The mode this process serves a Linux proxy in, if it does.
pub fn linux_proxy() -> Option<LinuxProxy> {
    LINUX_PROXY.get().copied()
}

/// Makes this process serve a Linux proxy (call once, before any connection): checks that
/// it runs under Wine and chooses its doorbells. Returns the choice, with the Wine version.
pub fn serve_linux_proxy(choice: WineDoorbell) -> io::Result<(LinuxProxy, String)> {
    let version = wine_version().ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::Unsupported,
            "this server was asked to serve a Linux proxy but does not run under Wine",
        )
    })?;
    let build = wine_build_id().unwrap_or_default();
    let allowed = futex_allowed(&version, &build);
    let futex = match choice {
        WineDoorbell::Pipe => false,
        WineDoorbell::Futex => allowed,
        WineDoorbell::Auto => allowed && cfg!(target_arch = "x86_64"),
    };
    let mode = LinuxProxy { futex };
    let _ = LINUX_PROXY.set(mode);
    Ok((mode, format!("{version} ({build})")))
}

/// Whether a Windows program may issue raw Linux system calls under the Wine of this
/// version and build id: upstream Wine before 11.5, and not Proton.
pub fn futex_allowed(version: &str, build: &str) -> bool {
    if build.to_ascii_lowercase().contains("proton") {
        return false;
    }
    let mut numbers = version
        .split(|c: char| !c.is_ascii_digit())
        .filter(|part| !part.is_empty());
    let major: u32 = match numbers.next().and_then(|n| n.parse().ok()) {
        Some(major) => major,
        None => return false,
    };
    let minor: u32 = numbers.next().and_then(|n| n.parse().ok()).unwrap_or(0);
    (major, minor) < (11, 5)
}

/// A function Wine exports from one of its DLLs, or `None` (not Wine).
fn wine_export(module: &str, name: &CStr) -> Option<unsafe extern "C" fn() -> *const c_char> {
    let module = wide(module);
    // SAFETY: a NUL-terminated name; the module is one every process has loaded.
    let handle = unsafe { GetModuleHandleW(module.as_ptr()) };
    if handle.is_null() {
        return None;
    }
    // SAFETY: a NUL-terminated export name in a loaded module.
    let address = unsafe { GetProcAddress(handle, name.as_ptr().cast()) }?;
    // SAFETY: Wine's wine_get_version and wine_get_build_id take nothing and return a
    // pointer to a static NUL-terminated string (cdecl); the two function types have the
    // same size.
    Some(unsafe {
        std::mem::transmute::<unsafe extern "system" fn() -> isize, unsafe extern "C" fn() -> *const c_char>(address)
    })
}

fn wine_string(name: &CStr) -> Option<String> {
    let function = wine_export("ntdll.dll", name)?;
    // SAFETY: see `wine_export`: a static string or null.
    let text = unsafe { function() };
    if text.is_null() {
        return None;
    }
    // SAFETY: a NUL-terminated static string owned by Wine.
    Some(unsafe { CStr::from_ptr(text) }.to_string_lossy().into_owned())
}

/// The Wine version this process runs under (`wine_get_version`), or `None` outside Wine.
pub fn wine_version() -> Option<String> {
    wine_string(c"wine_get_version")
}

fn wine_build_id() -> Option<String> {
    wine_string(c"wine_get_build_id")
}

/// The DOS path Wine gives the Linux path `unix` (through its own
/// `wine_get_dos_file_name`, rather than assuming a `Z:` drive).
pub fn dos_path(unix: &str) -> io::Result<PathBuf> {
    type DosName = unsafe extern "C" fn(*const c_char) -> *mut u16;
    let module = wide("kernel32.dll");
    // SAFETY: a NUL-terminated name; the call only looks the module up.
    let kernel32 = unsafe { GetModuleHandleW(module.as_ptr()) };
    if kernel32.is_null() {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: a module handle just checked and a NUL-terminated export name.
    let address = unsafe { GetProcAddress(kernel32, c"wine_get_dos_file_name".as_ptr().cast()) }
        .ok_or_else(|| io::Error::new(io::ErrorKind::Unsupported, "not running under Wine"))?;
    // SAFETY: this export exists only in Wine's kernel32, whose definition is
    // `WCHAR * CDECL wine_get_dos_file_name(LPCSTR)`: one pointer in, one out, cdecl, which
    // is `DosName`. Function pointers all have one size, so the transmute is only a retype.
    let convert = unsafe { std::mem::transmute::<unsafe extern "system" fn() -> isize, DosName>(address) };
    let unix =
        std::ffi::CString::new(unix).map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "a NUL in a path"))?;
    // SAFETY: a NUL-terminated path; the result is a NUL-terminated string from the process
    // heap, or null.
    let text = unsafe { convert(unix.as_ptr()) };
    if text.is_null() {
        return Err(io::Error::new(
            io::ErrorKind::NotFound,
            format!("Wine has no DOS path for {unix:?}"),
        ));
    }
    // SAFETY: NUL-terminated, as above; freed right after copying.
    let path = unsafe {
        let length = (0..).take_while(|&i| *text.add(i) != 0).count();
        let path = std::ffi::OsString::from_wide(std::slice::from_raw_parts(text, length));
        HeapFree(GetProcessHeap(), 0, text.cast());
        path
    };
    Ok(PathBuf::from(path))
}

/// Whether the Linux process `pid` still exists (its `/proc` entry).
pub fn linux_process_alive(pid: u32) -> bool {
    dos_path(&format!("/proc/{pid}")).is_ok_and(|path| path.exists())
}

/// Opens the proxy's descriptor named by `text` (a [`DescriptorName`]) and checks it is the
/// object the proxy meant: a descriptor number is reused once closed, so a name the proxy
/// published before it gave up on something could by now be a file the DAW opened; the
/// inode tells them apart before a byte is read or written.
fn open_descriptor(text: &str, read: bool, write: bool) -> io::Result<File> {
    let name = DescriptorName::from_text(text)
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, format!("not a descriptor name: {text:?}")))?;
    let file = std::fs::OpenOptions::new()
        .read(read)
        .write(write)
        .open(dos_path(&name.path())?)?;
    // SAFETY: a structure of integers, for which all zeros is a valid value.
    let mut info: FILE_ID_INFO = unsafe { std::mem::zeroed() };
    // SAFETY: our file handle, and a `FILE_ID_INFO` with its size, which the call fills.
    check(unsafe {
        GetFileInformationByHandleEx(
            file.as_raw_handle(),
            FileIdInfo,
            (&raw mut info).cast(),
            size_of::<FILE_ID_INFO>() as u32,
        )
    })?;
    // Wine reports a Linux file's inode as the low 64 bits of its id (measured for pipes and
    // memfds; `GetFileInformationByHandle` fails on pipes).
    let mut low = [0u8; 8];
    low.copy_from_slice(&info.FileId.Identifier[..8]);
    let inode = u64::from_le_bytes(low);
    if inode != name.inode {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "{} is not the object the proxy named (inode {inode}, not {}): its descriptor was reused",
                name.path(),
                name.inode
            ),
        ));
    }
    Ok(file)
}

/// This side of a connection from a Linux proxy: the pipe it writes, the pipe it reads.
#[derive(Debug)]
pub struct LinuxPipes {
    incoming: File,
    outgoing: File,
    /// Reads come through this once a thread has waited for readiness (see [`Relay`]).
    relay: OnceLock<io::Result<Arc<Relay>>>,
}

impl LinuxPipes {
    /// Opens the connection at `address`: the name of the pipe to read, a newline, the name
    /// of the pipe to write (see [`DescriptorName`]).
    pub fn open(address: &str) -> io::Result<Self> {
        let mut names = address.trim_end_matches(['\n', '\0']).split('\n');
        let (Some(incoming), Some(outgoing), None) = (names.next(), names.next(), names.next()) else {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "a connection address is two descriptor names",
            ));
        };
        Ok(Self {
            incoming: open_descriptor(incoming, true, false)?,
            outgoing: open_descriptor(outgoing, false, true)?,
            relay: OnceLock::new(),
        })
    }

    /// Whether something can be read (or the proxy is gone) within `timeout`; meanwhile
    /// the messages other threads send this one are dispatched. The first call hands this
    /// connection's reading to a [`Relay`] for good.
    pub fn wait_readable(&self, timeout: Duration) -> io::Result<bool> {
        let relay = match self.relay.get_or_init(|| Relay::start(&self.incoming)) {
            Ok(relay) => relay,
            Err(error) => return Err(io::Error::new(error.kind(), error.to_string())),
        };
        if relay.readable() {
            return Ok(true);
        }
        super::pipe::wait_dispatching_sent_messages(relay.ready.as_raw_handle(), Some(timeout));
        Ok(relay.readable())
    }
}

/// Reads the proxy's pipe for a thread that must not block in a read (it has windows to
/// pump): a thread of its own makes the blocking reads, keeps what they bring, and sets an
/// event while anything (or the end of the stream) waits to be taken.
#[derive(Debug)]
struct Relay {
    state: Mutex<RelayState>,
    /// Manual-reset; set exactly while `state` holds bytes or the end.
    ready: OwnedHandle,
}

#[derive(Debug, Default)]
struct RelayState {
    bytes: VecDeque<u8>,
    ended: bool,
}

impl Relay {
    /// Starts reading `incoming` (a duplicate of it) on a thread of its own. The thread ends
    /// with the stream: when the proxy closes its end or its process ends.
    fn start(incoming: &File) -> io::Result<Arc<Self>> {
        let reader = incoming.try_clone()?;
        // SAFETY: a manual-reset, unnamed event, initially unset.
        let ready = owned(unsafe {
            windows_sys::Win32::System::Threading::CreateEventW(std::ptr::null(), 1, 0, std::ptr::null())
        })?;
        let relay = Arc::new(Self {
            state: Mutex::new(RelayState::default()),
            ready,
        });
        let relayed = relay.clone();
        std::thread::Builder::new()
            .name("vstbridge-relay".into())
            .spawn(move || relayed.run(&reader))?;
        Ok(relay)
    }

    fn state(&self) -> std::sync::MutexGuard<'_, RelayState> {
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn run(&self, mut reader: &File) {
        let mut buffer = vec![0u8; 64 << 10];
        loop {
            let read = match reader.read(&mut buffer) {
                Ok(read) => read,
                // The proxy is gone (Wine reports a pipe without writers as broken).
                Err(error) if error.kind() == io::ErrorKind::BrokenPipe => 0,
                Err(error) => {
                    tracing::warn!("reading the proxy's pipe failed: {error}");
                    0
                }
            };
            let mut state = self.state();
            state.bytes.extend(&buffer[..read]);
            state.ended = read == 0;
            // SAFETY: our event handle.
            unsafe { windows_sys::Win32::System::Threading::SetEvent(self.ready.as_raw_handle()) };
            if read == 0 {
                return;
            }
        }
    }

    fn readable(&self) -> bool {
        let state = self.state();
        !state.bytes.is_empty() || state.ended
    }

    /// What a read of the connection gives: the bytes waiting, else 0 at the end, else it
    /// waits for either, dispatching the messages sent to this thread meanwhile.
    fn read(&self, buffer: &mut [u8]) -> usize {
        if buffer.is_empty() {
            return 0;
        }
        loop {
            {
                let mut state = self.state();
                let length = buffer.len().min(state.bytes.len());
                for (slot, byte) in buffer.iter_mut().zip(state.bytes.drain(..length)) {
                    *slot = byte;
                }
                if state.bytes.is_empty() && !state.ended {
                    // SAFETY: `ready` is our own event, open as long as `self` is. It is unset
                    // here under the lock the relay thread sets it under, so it stays set
                    // exactly while bytes or the end wait.
                    unsafe { windows_sys::Win32::System::Threading::ResetEvent(self.ready.as_raw_handle()) };
                }
                if length > 0 || state.ended {
                    return length;
                }
            }
            super::pipe::wait_dispatching_sent_messages(self.ready.as_raw_handle(), None);
        }
    }
}

impl Read for &LinuxPipes {
    fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
        if let Some(Ok(relay)) = self.relay.get() {
            return Ok(relay.read(buffer));
        }
        match (&self.incoming).read(buffer) {
            // The proxy is gone (Wine reports a pipe without writers as broken).
            Err(error) if error.kind() == io::ErrorKind::BrokenPipe => Ok(0),
            other => other,
        }
    }
}

impl Write for &LinuxPipes {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        (&self.outgoing).write(bytes)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The rendezvous pipe a Linux proxy asks for connections through.
#[derive(Debug)]
pub struct Rendezvous(File);

impl Rendezvous {
    /// Opens the proxy's rendezvous pipe, named by `name` (a [`DescriptorName`]'s text).
    pub fn open(name: &str) -> io::Result<Self> {
        open_descriptor(name, true, false).map(Self)
    }

    /// Waits for the next connection request and opens its pipes.
    pub fn accept(&self) -> io::Result<LinuxPipes> {
        let mut record = [0u8; RECORD_BYTES];
        (&self.0).read_exact(&mut record).map_err(|error| match error.kind() {
            io::ErrorKind::UnexpectedEof | io::ErrorKind::BrokenPipe => {
                io::Error::new(io::ErrorKind::BrokenPipe, "the proxy is gone")
            }
            _ => error,
        })?;
        let end = record.iter().position(|&b| b == 0).unwrap_or(RECORD_BYTES);
        let address = std::str::from_utf8(&record[..end])
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "a connection request is not text"))?;
        LinuxPipes::open(address)
    }
}

/// Reads the objects a Linux proxy sent (its `pipes::objects_message`) and opens them:
/// memory becomes a section of the memfd, a pipe a handle open for reading and writing.
pub fn receive_objects(stream: &LinuxPipes, count: usize) -> io::Result<Vec<OwnedHandle>> {
    let mut reader = stream;
    let mut byte = [0u8; 1];
    reader.read_exact(&mut byte)?;
    if usize::from(byte[0]) != count {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{} objects announced where {count} were expected", byte[0]),
        ));
    }
    let mut objects = Vec::with_capacity(count);
    for _ in 0..count {
        let mut header = [0u8; 2];
        reader.read_exact(&mut header)?;
        let mut name = vec![0u8; usize::from(header[1])];
        reader.read_exact(&mut name)?;
        let name =
            String::from_utf8(name).map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "a name is not text"))?;
        objects.push(match header[0] {
            object_kind::MEMORY => section_of(&open_descriptor(&name, true, true)?)?,
            object_kind::PIPE => OwnedHandle::from(open_descriptor(&name, true, true)?),
            kind => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("unknown object kind {kind}"),
                ));
            }
        });
    }
    Ok(objects)
}

/// A section over all of `file`, readable and writable (Wine maps a file's pages shared).
fn section_of(file: &File) -> io::Result<OwnedHandle> {
    // SAFETY: our file handle; size 0 means the whole file; no name.
    owned(unsafe {
        CreateFileMappingW(
            file.as_raw_handle(),
            std::ptr::null(),
            PAGE_READWRITE,
            0,
            0,
            std::ptr::null(),
        )
    })
}

/// A Linux proxy's doorbell pipe, opened for reading and writing: read to sleep, written to
/// wake. A plain read of it cannot time out, so a sleep with a deadline leaves the deadline
/// with an alarm thread, which writes the byte itself once the deadline passes: every sleep
/// ends by its timeout (within [`ALARM_TICK`]), as a futex or event sleep does.
#[derive(Debug)]
pub struct PipeDoorbell {
    reader: File,
    writer: File,
    alarm: Arc<Alarm>,
}

/// How often the alarm thread looks at the deadline.
const ALARM_TICK: Duration = Duration::from_millis(5);

#[derive(Debug)]
struct Alarm {
    /// A handle of the pipe's write end, for the alarm thread's byte.
    writer: File,
    /// When the current sleep must end: nanoseconds since `base`, 0 for no sleep.
    deadline: AtomicU64,
    base: Instant,
    started: OnceLock<()>,
}

impl PipeDoorbell {
    /// The doorbell on `pipe` (opened for reading and writing).
    pub fn new(pipe: File) -> io::Result<Self> {
        Self::with_ends(pipe.try_clone()?, pipe)
    }

    /// The doorbell that reads `reader` and writes `writer` (the ends of one pipe).
    fn with_ends(reader: File, writer: File) -> io::Result<Self> {
        let alarm = Arc::new(Alarm {
            writer: writer.try_clone()?,
            deadline: AtomicU64::new(0),
            base: Instant::now(),
            started: OnceLock::new(),
        });
        Ok(Self { reader, writer, alarm })
    }

    /// Sleeps until a ring (a byte) or `timeout`; takes every byte waiting, since rings that
    /// found this side awake leave one behind.
    pub fn wait(&self, timeout: Duration) -> io::Result<()> {
        self.alarm.arm(timeout);
        let mut drained = [0u8; 64];
        let read = (&self.reader).read(&mut drained);
        self.alarm.deadline.store(0, Ordering::Release);
        match read {
            Ok(0) => Err(io::Error::new(io::ErrorKind::BrokenPipe, "the doorbell pipe closed")),
            Ok(_) => Ok(()),
            Err(error) => Err(error),
        }
    }

    /// Rings: one byte.
    pub fn wake(&self) -> io::Result<()> {
        (&self.writer).write_all(&[1])
    }

    /// The pipe's handle (a server never hands it on; this completes the waker's API).
    pub fn handle(&self) -> std::os::windows::io::BorrowedHandle<'_> {
        self.reader.as_handle()
    }
}

impl Alarm {
    /// Sets the deadline of the sleep about to start, starting the alarm thread on first use.
    fn arm(self: &Arc<Self>, timeout: Duration) {
        let deadline = self
            .base
            .elapsed()
            .saturating_add(timeout)
            .as_nanos()
            .min(u128::from(u64::MAX)) as u64;
        self.deadline.store(deadline.max(1), Ordering::Release);
        self.started.get_or_init(|| {
            let alarm = Arc::downgrade(self);
            let spawned = std::thread::Builder::new()
                .name("vstbridge-doorbell-alarm".into())
                .spawn(move || Self::run(&alarm));
            if let Err(error) = spawned {
                tracing::warn!("no alarm for the doorbell pipe (its sleeps end only with a ring): {error}");
            }
        });
    }

    /// The alarm thread: ends with the doorbell.
    fn run(alarm: &Weak<Self>) {
        loop {
            std::thread::sleep(ALARM_TICK);
            let Some(alarm) = alarm.upgrade() else { return };
            let deadline = alarm.deadline.load(Ordering::Acquire);
            if deadline != 0 && alarm.base.elapsed().as_nanos() >= u128::from(deadline) {
                alarm.deadline.store(0, Ordering::Release);
                // A byte the sleeper finds after it woke anyway is one spurious return later.
                let _ = (&alarm.writer).write_all(&[0]);
            }
        }
    }
}

const FUTEX_WAIT: i32 = 0;
const FUTEX_WAKE: i32 = 1;

/// A raw Linux `futex` system call (no PRIVATE flag: the word is shared with the proxy).
///
/// # Safety
/// Only under a Wine that lets Windows code make Linux system calls ([`futex_allowed`]);
/// `word` must be valid; `timeout` null or a Linux `timespec` of this width.
#[cfg(target_arch = "x86_64")]
unsafe fn futex(word: *const AtomicU32, op: i32, value: u32, timeout: *const [i64; 2]) -> isize {
    let result: isize;
    // SAFETY: the Linux x86_64 system call convention: number in rax, arguments in rdi, rsi,
    // rdx, r10; the kernel clobbers rcx and r11. SYS_futex is 202.
    unsafe {
        std::arch::asm!(
            "syscall",
            inlateout("rax") 202isize => result,
            in("rdi") word,
            in("rsi") op,
            in("rdx") value,
            in("r10") timeout,
            lateout("rcx") _,
            lateout("r11") _,
            options(nostack),
        );
    }
    result
}

/// A raw Linux `futex` system call; see the x86_64 one.
///
/// # Safety
/// As for the x86_64 one; `timeout` is a 32-bit `timespec`.
#[cfg(target_arch = "x86")]
unsafe fn futex(word: *const AtomicU32, op: i32, value: u32, timeout: *const [i32; 2]) -> isize {
    let result: isize;
    // SAFETY: the Linux i386 convention: `int 0x80`, number in eax (SYS_futex is 240),
    // arguments in ebx, ecx, edx, esi. esi may be LLVM's base pointer, so it is saved and
    // loaded by hand from edi.
    unsafe {
        std::arch::asm!(
            "push esi",
            "mov esi, edi",
            "int 0x80",
            "pop esi",
            inlateout("eax") 240isize => result,
            in("ebx") word,
            in("ecx") op,
            in("edx") value,
            in("edi") timeout,
        );
    }
    result
}

/// Sleeps on `word` while it holds `expected`, at most `timeout`, by futex. Only reached in
/// a process whose [`LinuxProxy`] mode says the futex is allowed.
pub fn futex_wait(word: &AtomicU32, expected: u32, timeout: Duration) -> io::Result<()> {
    debug_assert!(linux_proxy().is_some_and(|mode| mode.futex));
    let seconds = timeout.as_secs().min(i32::MAX as u64);
    #[cfg(target_arch = "x86_64")]
    let timespec = [seconds as i64, i64::from(timeout.subsec_nanos())];
    #[cfg(target_arch = "x86")]
    let timespec = [seconds as i32, timeout.subsec_nanos() as i32];
    // SAFETY: the futex is allowed in this mode (see `serve_linux_proxy`); the word and the
    // timespec outlive the call.
    let result = unsafe { futex(word, FUTEX_WAIT, expected, &timespec) };
    // EAGAIN (the word moved), ETIMEDOUT and EINTR are ordinary ends of a sleep.
    match result {
        0 | -11 | -110 | -4 => Ok(()),
        other => Err(futex_error(other)),
    }
}

/// Wakes every sleeper on `word`, in any process, by futex.
pub fn futex_wake(word: &AtomicU32) -> io::Result<()> {
    debug_assert!(linux_proxy().is_some_and(|mode| mode.futex));
    // SAFETY: as for `futex_wait`; a wake takes no timeout.
    let result = unsafe { futex(word, FUTEX_WAKE, i32::MAX as u32, std::ptr::null()) };
    // The count of woken threads: small. Anything else is an error, or the call was not
    // Linux's at all (a Wine that traps system calls answers with an NTSTATUS).
    if (0..=0xFFFF).contains(&result) {
        Ok(())
    } else {
        Err(futex_error(result))
    }
}

/// A futex call's failure: a Linux errno (`-4095..0`), which must not be read as a Windows
/// error code, or a result no Linux futex gives.
fn futex_error(result: isize) -> io::Error {
    if (-4095..0).contains(&result) {
        io::Error::other(format!("futex failed with Linux errno {}", -result))
    } else {
        io::Error::other(format!(
            "futex returned {result:#x}: this Wine does not pass Linux system calls through"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pipe_doorbell_sleep_ends_at_its_timeout_or_at_a_ring() {
        let (reader, writer) = std::io::pipe().unwrap();
        let doorbell = PipeDoorbell::with_ends(
            File::from(OwnedHandle::from(reader)),
            File::from(OwnedHandle::from(writer)),
        )
        .unwrap();
        for timeout in [Duration::from_millis(30), Duration::from_millis(120)] {
            let started = Instant::now();
            doorbell.wait(timeout).unwrap();
            let slept = started.elapsed();
            assert!(
                slept >= timeout && slept < timeout + Duration::from_millis(500),
                "a {timeout:?} sleep took {slept:?}"
            );
        }
        doorbell.wake().unwrap();
        let started = Instant::now();
        doorbell.wait(Duration::from_secs(10)).unwrap();
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "a rung doorbell still slept"
        );
    }

    #[test]
    fn the_futex_is_used_only_before_wine_11_5_and_never_under_proton() {
        assert!(futex_allowed("8.0", "wine-8.0 (Debian 8.0~repack-4)"));
        assert!(futex_allowed("11.4", ""));
        assert!(futex_allowed("10.0-rc2", ""));
        assert!(!futex_allowed("11.5", ""));
        assert!(!futex_allowed("12.0", ""));
        assert!(!futex_allowed("9.0", "wine-9.0 Proton-9.0-4"));
        assert!(!futex_allowed("", ""));
    }
}
