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

use std::ffi::{CStr, c_char};
use std::fs::File;
use std::io::{self, Read, Write};
use std::os::windows::ffi::OsStringExt;
use std::os::windows::io::{AsRawHandle, OwnedHandle};
use std::path::PathBuf;
use std::sync::OnceLock;
use std::sync::atomic::AtomicU32;
use std::time::Duration;

use windows_sys::Win32::System::LibraryLoader::{GetModuleHandleW, GetProcAddress};
use windows_sys::Win32::System::Memory::{CreateFileMappingW, GetProcessHeap, HeapFree, PAGE_READWRITE};

use super::{owned, wide};

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

/// Which doorbell wake a server under Wine should use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DoorbellChoice {
    /// The futex in an x64 server where this Wine allows it, else pipes. Measured here
    /// (Wine 8, gain at 64 frames): x64 futex 2.5 µs per block, pipes 3.4 µs; but a 32-bit
    /// program's `int 0x80` futex costs about 10 µs, so an x86 server takes pipes.
    Auto,
    /// Pipes, whatever the Wine.
    Pipe,
    /// The futex where this Wine allows it (also in an x86 server), else pipes.
    Futex,
}

impl DoorbellChoice {
    /// The choice a command-line word names (`auto`, `pipe`, `futex`).
    pub fn from_word(word: &str) -> Option<Self> {
        match word {
            "auto" => Some(Self::Auto),
            "pipe" => Some(Self::Pipe),
            "futex" => Some(Self::Futex),
            _ => None,
        }
    }
}

/// Makes this process serve a Linux proxy (call once, before any connection): checks that
/// it runs under Wine and chooses its doorbells. Returns the choice, with the Wine version.
pub fn serve_linux_proxy(choice: DoorbellChoice) -> io::Result<(LinuxProxy, String)> {
    let version = wine_version().ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::Unsupported,
            "this server was asked to serve a Linux proxy but does not run under Wine",
        )
    })?;
    let build = wine_build_id().unwrap_or_default();
    let allowed = futex_allowed(&version, &build);
    let futex = match choice {
        DoorbellChoice::Pipe => false,
        DoorbellChoice::Futex => allowed,
        DoorbellChoice::Auto => allowed && cfg!(target_arch = "x86_64"),
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
    // SAFETY: a NUL-terminated name of a module every process has loaded.
    let kernel32 = unsafe { GetModuleHandleW(module.as_ptr()) };
    // SAFETY: a NUL-terminated export name.
    let address = unsafe { GetProcAddress(kernel32, c"wine_get_dos_file_name".as_ptr().cast()) }
        .ok_or_else(|| io::Error::new(io::ErrorKind::Unsupported, "not running under Wine"))?;
    // SAFETY: Wine's `WCHAR *CDECL wine_get_dos_file_name(const char *)`.
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

/// Checks a path the proxy sent is one of its descriptors (`/proc/<pid>/fd/<n>`), so
/// nothing else is ever opened on its word.
fn descriptor_path(text: &str) -> io::Result<&str> {
    let valid = text
        .strip_prefix("/proc/")
        .and_then(|rest| rest.split_once("/fd/"))
        .is_some_and(|(pid, fd)| {
            !pid.is_empty()
                && !fd.is_empty()
                && pid.bytes().all(|b| b.is_ascii_digit())
                && fd.bytes().all(|b| b.is_ascii_digit())
        });
    if valid {
        Ok(text)
    } else {
        Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("not a descriptor path: {text:?}"),
        ))
    }
}

fn open_descriptor(path: &str, read: bool, write: bool) -> io::Result<File> {
    let path = dos_path(descriptor_path(path)?)?;
    std::fs::OpenOptions::new().read(read).write(write).open(&path)
}

/// This side of a connection from a Linux proxy: the pipe it writes, the pipe it reads.
#[derive(Debug)]
pub struct LinuxPipes {
    incoming: File,
    outgoing: File,
}

impl LinuxPipes {
    /// Opens the connection at `address`: the path of the pipe to read, a newline, the path
    /// of the pipe to write.
    pub fn open(address: &str) -> io::Result<Self> {
        let mut paths = address.trim_end_matches(['\n', '\0']).split('\n');
        let (Some(incoming), Some(outgoing), None) = (paths.next(), paths.next(), paths.next()) else {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "a connection address is two paths",
            ));
        };
        Ok(Self {
            incoming: open_descriptor(incoming, true, false)?,
            outgoing: open_descriptor(outgoing, false, true)?,
        })
    }
}

impl Read for &LinuxPipes {
    fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
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

/// The size of one connection request (the Linux side's `pipes::RECORD_BYTES`).
const RECORD_BYTES: usize = 128;

impl Rendezvous {
    /// Opens the proxy's rendezvous pipe at `path`.
    pub fn open(path: &str) -> io::Result<Self> {
        open_descriptor(path, true, false).map(Self)
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
        let mut path = vec![0u8; usize::from(header[1])];
        reader.read_exact(&mut path)?;
        let path =
            String::from_utf8(path).map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "a path is not text"))?;
        objects.push(match header[0] {
            0 => section_of(&open_descriptor(&path, true, true)?)?,
            1 => OwnedHandle::from(open_descriptor(&path, true, true)?),
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

/// A doorbell's pipe opened from the proxy's path, read to sleep and written to wake.
pub fn pipe_wait(pipe: &File) -> io::Result<()> {
    let mut drained = [0u8; 64];
    match (&*pipe).read(&mut drained) {
        Ok(0) => Err(io::Error::new(io::ErrorKind::BrokenPipe, "the doorbell pipe closed")),
        Ok(_) => Ok(()),
        Err(error) => Err(error),
    }
}

/// Rings a doorbell's pipe: one byte.
pub fn pipe_wake(pipe: &File) -> io::Result<()> {
    (&*pipe).write_all(&[1])
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
        error => Err(io::Error::from_raw_os_error(-(error as i32))),
    }
}

/// Wakes every sleeper on `word`, in any process, by futex.
pub fn futex_wake(word: &AtomicU32) -> io::Result<()> {
    debug_assert!(linux_proxy().is_some_and(|mode| mode.futex));
    // SAFETY: as for `futex_wait`; a wake takes no timeout.
    let result = unsafe { futex(word, FUTEX_WAKE, i32::MAX as u32, std::ptr::null()) };
    if result < 0 {
        Err(io::Error::from_raw_os_error(-(result as i32)))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn only_descriptor_paths_are_opened() {
        assert!(descriptor_path("/proc/12/fd/5").is_ok());
        for bad in [
            "/etc/passwd",
            "/proc/12/fd/",
            "/proc//fd/3",
            "/proc/1/fd/3/../../x",
            "/proc/self/fd/3",
        ] {
            assert!(descriptor_path(bad).is_err(), "{bad}");
        }
    }
}
