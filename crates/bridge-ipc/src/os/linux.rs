//! Linux: futex on shared memory, /dev/urandom, XDG runtime dir, sealed memfds passed as
//! SCM_RIGHTS, PR_SET_PDEATHSIG,
//! CPU affinity and realtime scheduling of the calling thread, dladdr.

use std::ffi::{CStr, OsStr};
use std::fs::File;
use std::io::{self, Read};
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;
use std::sync::atomic::AtomicU32;
use std::time::Duration;

use rustix::thread::futex;

/// Sleeps until `word` is woken or no longer holds `expected`, or `timeout` passes.
/// Spurious returns are possible; callers re-check the word.
pub fn futex_wait(word: &AtomicU32, expected: u32, timeout: Duration) -> io::Result<()> {
    let timeout = futex::Timespec {
        tv_sec: timeout.as_secs().min(i64::MAX as u64) as i64,
        tv_nsec: i64::from(timeout.subsec_nanos()),
    };
    // No PRIVATE flag: the word lives in a mapping shared with another process.
    match futex::wait(word, futex::Flags::empty(), expected, Some(&timeout)) {
        Ok(()) => Ok(()),
        Err(rustix::io::Errno::AGAIN | rustix::io::Errno::TIMEDOUT | rustix::io::Errno::INTR) => Ok(()),
        Err(error) => Err(error.into()),
    }
}

/// Wakes every waiter on `word`, in any process.
pub fn futex_wake(word: &AtomicU32) -> io::Result<()> {
    futex::wake(word, futex::Flags::empty(), i32::MAX as u32)?;
    Ok(())
}

/// This process's effective user id.
pub fn effective_uid() -> u32 {
    rustix::process::geteuid().as_raw()
}

/// Fills `buffer` with random bytes from the kernel.
pub fn random_bytes(buffer: &mut [u8]) -> io::Result<()> {
    File::open("/dev/urandom")?.read_exact(buffer)
}

/// A new anonymous shared-memory file of `size` bytes (a memfd), sealed so that nobody —
/// not even a process it is handed to — can shrink or grow it: a mapping of it can never
/// raise SIGBUS. It has no name any other process could open.
pub fn sealed_shared_memory(size: u64) -> io::Result<File> {
    use rustix::fs::{MemfdFlags, SealFlags};
    let fd = rustix::fs::memfd_create("vstbridge-region", MemfdFlags::CLOEXEC | MemfdFlags::ALLOW_SEALING)?;
    let file = File::from(fd);
    file.set_len(size)?;
    rustix::fs::fcntl_add_seals(&file, SealFlags::SHRINK | SealFlags::GROW | SealFlags::SEAL)?;
    Ok(file)
}

/// Checks that `file` carries the seals [`sealed_shared_memory`] sets.
pub fn check_sealed(file: &File) -> io::Result<()> {
    use rustix::fs::SealFlags;
    let seals = rustix::fs::fcntl_get_seals(file)?;
    if seals.contains(SealFlags::SHRINK | SealFlags::GROW) {
        Ok(())
    } else {
        Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "the shared-memory file is not sealed against resizing",
        ))
    }
}

/// The socket under a local-socket stream.
fn stream_fd(stream: &interprocess::local_socket::Stream) -> std::os::fd::BorrowedFd<'_> {
    use std::os::fd::AsFd;
    match stream {
        interprocess::local_socket::Stream::UdSocket(socket) => socket.as_fd(),
    }
}

/// Sends `fd` over `stream` (one byte carrying it as `SCM_RIGHTS`).
pub fn send_fd(stream: &interprocess::local_socket::Stream, fd: std::os::fd::BorrowedFd<'_>) -> io::Result<()> {
    use std::mem::MaybeUninit;

    use rustix::net::{SendAncillaryBuffer, SendAncillaryMessage, SendFlags};
    let mut space = [MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(1))];
    let mut control = SendAncillaryBuffer::new(&mut space);
    let fds = [fd];
    if !control.push(SendAncillaryMessage::ScmRights(&fds)) {
        return Err(io::Error::other("no room for the file descriptor"));
    }
    let sent = rustix::net::sendmsg(
        stream_fd(stream),
        &[io::IoSlice::new(&[0])],
        &mut control,
        SendFlags::NOSIGNAL,
    )?;
    if sent != 1 {
        return Err(io::Error::new(io::ErrorKind::WriteZero, "the descriptor was not sent"));
    }
    Ok(())
}

/// Receives the one descriptor [`send_fd`] sent (within the stream's read timeout).
pub fn receive_fd(stream: &interprocess::local_socket::Stream) -> io::Result<std::os::fd::OwnedFd> {
    use std::mem::MaybeUninit;

    use rustix::net::{RecvAncillaryBuffer, RecvAncillaryMessage, RecvFlags};
    let mut space = [MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(1))];
    let mut control = RecvAncillaryBuffer::new(&mut space);
    let mut byte = [0u8; 1];
    let received = rustix::net::recvmsg(
        stream_fd(stream),
        &mut [io::IoSliceMut::new(&mut byte)],
        &mut control,
        RecvFlags::CMSG_CLOEXEC,
    )?;
    if received.bytes != 1 {
        return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "no descriptor arrived"));
    }
    let mut fds = control.drain().filter_map(|message| match message {
        RecvAncillaryMessage::ScmRights(fds) => Some(fds),
        _ => None,
    });
    let Some(mut fds) = fds.next() else {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "the byte carried no descriptor",
        ));
    };
    fds.next()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "the byte carried no descriptor"))
}

/// Asks the kernel to kill this process when the thread that spawned it exits, and fails
/// if that parent (`expected_parent`) is already gone.
pub fn die_with_parent(expected_parent: u32) -> io::Result<()> {
    rustix::process::set_parent_process_death_signal(Some(rustix::process::Signal::KILL))?;
    let parent = rustix::process::getppid().map_or(0, |pid| pid.as_raw_nonzero().get() as u32);
    if parent != expected_parent {
        return Err(io::Error::new(
            io::ErrorKind::NotConnected,
            "the process that started this server is gone",
        ));
    }
    Ok(())
}

/// The CPU the calling thread runs on (glibc answers from the vDSO, without a system call).
pub fn current_cpu() -> Option<u32> {
    // SAFETY: sched_getcpu takes no arguments and only reports.
    let cpu = unsafe { libc::sched_getcpu() };
    u32::try_from(cpu).ok()
}

/// Pins the calling thread to `cpu`.
pub fn pin_current_thread(cpu: u32) -> io::Result<()> {
    // SAFETY: a zeroed cpu_set_t is an empty set; CPU_SET and sched_setaffinity only touch it
    // and the calling thread's affinity.
    let result = unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu as usize, &mut set);
        libc::sched_setaffinity(0, size_of::<libc::cpu_set_t>(), &set)
    };
    if result == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// The realtime priority of the calling thread: its `SCHED_FIFO` or `SCHED_RR` priority
/// (1–99), or 0 when it runs under an ordinary policy. Asks the kernel (two system calls):
/// glibc's `pthread_getschedparam` answers from a per-thread cache that misses changes made
/// by `sched_setscheduler`, `chrt` or rtkit.
pub fn current_realtime_priority() -> u32 {
    // SAFETY: pid 0 is the calling thread; the call only reports.
    let policy = unsafe { libc::sched_getscheduler(0) };
    // rtkit (PipeWire, PulseAudio) sets SCHED_RESET_ON_FORK, which the kernel reports as a
    // flag on the policy.
    if policy < 0 || !matches!(policy & !libc::SCHED_RESET_ON_FORK, libc::SCHED_FIFO | libc::SCHED_RR) {
        return 0;
    }
    // SAFETY: a zeroed sched_param is valid; the call only fills it for the calling thread.
    let mut param: libc::sched_param = unsafe { std::mem::zeroed() };
    // SAFETY: as above.
    match unsafe { libc::sched_getparam(0, &mut param) } {
        0 => param.sched_priority.max(0) as u32,
        _ => 0,
    }
}

/// The highest realtime priority this process may take without privileges
/// (`RLIMIT_RTPRIO`; privileged processes may go beyond it).
pub fn realtime_priority_limit() -> u32 {
    let limit = rustix::process::getrlimit(rustix::process::Resource::Rtprio);
    limit.current.map_or(99, |value| value.min(99) as u32)
}

/// Runs the calling thread under `SCHED_FIFO` at `priority` (1–99), or back under the
/// ordinary policy for 0. Fails with `EPERM` without `CAP_SYS_NICE` or an `rtprio` limit.
pub fn set_current_realtime_priority(priority: u32) -> io::Result<()> {
    let (policy, priority) = match priority {
        0 => (libc::SCHED_OTHER, 0),
        n => (libc::SCHED_FIFO, n.min(99) as i32),
    };
    // SAFETY: a zeroed sched_param is valid; we set its one meaningful field.
    let mut param: libc::sched_param = unsafe { std::mem::zeroed() };
    param.sched_priority = priority;
    // SAFETY: changes only the calling thread's scheduling.
    match unsafe { libc::pthread_setschedparam(libc::pthread_self(), policy, &param) } {
        0 => Ok(()),
        error => Err(io::Error::from_raw_os_error(error)),
    }
}

/// Whether `pid` is still this process's parent (false once the parent died and the process
/// was re-parented).
pub fn parent_is(pid: u32) -> bool {
    rustix::process::getppid().is_some_and(|parent| parent.as_raw_nonzero().get() as u32 == pid)
}

/// Whether a process with this id exists.
pub fn process_alive(pid: u32) -> bool {
    std::path::Path::new(&format!("/proc/{pid}")).exists()
}

/// The file the code at `address` was loaded from, as the dynamic linker knows it.
pub fn library_path_of(address: *const ()) -> io::Result<PathBuf> {
    let mut info = libc::Dl_info {
        dli_fname: std::ptr::null(),
        dli_fbase: std::ptr::null_mut(),
        dli_sname: std::ptr::null(),
        dli_saddr: std::ptr::null_mut(),
    };
    // SAFETY: dladdr only reads the address and fills `info` with pointers into the
    // linker's own tables, valid while the object stays loaded.
    let found = unsafe { libc::dladdr(address.cast(), &mut info) };
    if found == 0 || info.dli_fname.is_null() {
        return Err(io::Error::new(
            io::ErrorKind::NotFound,
            "dladdr does not know this address",
        ));
    }
    // SAFETY: dli_fname is a NUL-terminated path owned by the linker.
    let name = unsafe { CStr::from_ptr(info.dli_fname) };
    Ok(PathBuf::from(OsStr::from_bytes(name.to_bytes())))
}
