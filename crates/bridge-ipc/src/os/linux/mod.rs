//! Linux: abstract unix sockets, sealed memfds passed as `SCM_RIGHTS`, futexes on shared
//! memory, /dev/urandom, `PR_SET_PDEATHSIG`, CPU affinity and realtime scheduling of the
//! calling thread, dladdr. A server under Wine is reached through pipes instead (`pipes`).

mod pipes;

pub use pipes::{PipeStream, Rendezvous};

use std::ffi::{CStr, OsStr};
use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;
use std::sync::atomic::AtomicU32;
use std::time::Duration;

use interprocess::local_socket::traits::{ListenerExt as _, Stream as _, StreamCommon as _};
use interprocess::local_socket::{GenericNamespaced, ListenerOptions, ToNsName};
use memmap2::MmapRaw;
use rustix::thread::futex;

/// An OS object handed to another process: a file descriptor.
pub type Object = OwnedFd;
/// A borrowed [`Object`].
pub type ObjectRef<'a> = std::os::fd::BorrowedFd<'a>;

/// A connection on the control channel: an abstract unix socket to a Linux server, or two
/// pipes to a Windows server under Wine (see `pipes`).
pub enum Stream {
    /// To a server of this system.
    Socket(interprocess::local_socket::Stream),
    /// To a server under Wine.
    Pipes(PipeStream),
}

impl From<PipeStream> for Stream {
    fn from(pipes: PipeStream) -> Self {
        Self::Pipes(pipes)
    }
}

/// Listens for [`Stream`]s on a name in the abstract socket namespace.
pub struct Listener(interprocess::local_socket::Listener);

fn socket_name(name: &str) -> io::Result<interprocess::local_socket::Name<'_>> {
    name.to_ns_name::<GenericNamespaced>()
}

impl Listener {
    /// Listens on `name` (it vanishes with this process).
    pub fn bind(name: &str) -> io::Result<Self> {
        ListenerOptions::new().name(socket_name(name)?).create_sync().map(Self)
    }

    /// Waits for the next connection.
    pub fn accept(&self) -> io::Result<Stream> {
        self.0
            .incoming()
            .next()
            .unwrap_or_else(|| Err(io::Error::other("listener closed")))
            .map(Stream::Socket)
    }
}

impl Stream {
    /// Connects to the listener on `name`; `NotFound` or `ConnectionRefused` while nobody
    /// listens there yet.
    pub fn connect(name: &str) -> io::Result<Self> {
        interprocess::local_socket::Stream::connect(socket_name(name)?).map(Self::Socket)
    }

    /// The other side has answered on this connection, so it holds its ends: a pipe
    /// connection may now treat their closing as the end (a socket needs nothing).
    pub fn peer_opened(&self) {
        if let Self::Pipes(pipes) = self {
            pipes.peer_opened();
        }
    }

    /// Waits up to `timeout` for something to read (or the end); whether it came.
    pub fn wait_readable(&self, timeout: Duration) -> io::Result<bool> {
        let fd = match self {
            Self::Socket(interprocess::local_socket::Stream::UdSocket(socket)) => socket.as_fd(),
            Self::Pipes(pipes) => pipes.incoming(),
        };
        readable_within(fd, timeout)
    }

    /// Bounds every read (`None`: wait forever); a read that times out fails.
    pub fn set_read_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        match self {
            Self::Socket(socket) => socket.set_recv_timeout(timeout),
            Self::Pipes(pipes) => {
                pipes.set_read_timeout(timeout);
                Ok(())
            }
        }
    }

    /// Bounds every write (`None`: wait forever); a write that times out fails.
    pub fn set_write_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        match self {
            Self::Socket(socket) => socket.set_send_timeout(timeout),
            Self::Pipes(pipes) => {
                pipes.set_write_timeout(timeout);
                Ok(())
            }
        }
    }

    /// Fails unless the process at the other end runs as this process's user (the kernel
    /// reports a socket peer's credentials, so they cannot be faked; a pipe connection's
    /// other end could only be opened through this process's `/proc` entry, which only
    /// this user may do).
    pub fn check_peer_is_same_user(&self) -> io::Result<()> {
        let Self::Socket(socket) = self else {
            return Ok(());
        };
        let peer = socket
            .peer_creds()?
            .euid()
            .ok_or_else(|| io::Error::other("the peer's user id is unknown"))?;
        let own = rustix::process::geteuid().as_raw();
        if peer == own {
            Ok(())
        } else {
            Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                format!("a connection from user {peer}, not this process's user {own}"),
            ))
        }
    }

    /// The process at the other end of a socket, as the kernel reports it (cannot be
    /// faked); pipes to a server under Wine have none to report.
    pub fn peer_process_id(&self) -> io::Result<u32> {
        let Self::Socket(socket) = self else {
            return Err(io::Error::new(
                io::ErrorKind::Unsupported,
                "a pipe connection does not know its peer",
            ));
        };
        socket
            .peer_creds()?
            .pid()
            .and_then(|pid| u32::try_from(pid).ok())
            .ok_or_else(|| io::Error::other("the peer's process id is unknown"))
    }

    fn socket_fd(&self) -> io::Result<ObjectRef<'_>> {
        match self {
            Self::Socket(interprocess::local_socket::Stream::UdSocket(socket)) => Ok(socket.as_fd()),
            Self::Pipes(_) => Err(io::Error::new(
                io::ErrorKind::Unsupported,
                "descriptors cannot travel through a pipe connection",
            )),
        }
    }
}

impl Read for &Stream {
    fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Socket(socket) => (&*socket).read(buffer),
            Stream::Pipes(pipes) => pipes.read(buffer),
        }
    }
}

impl Write for &Stream {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        match self {
            Stream::Socket(socket) => (&*socket).write(bytes),
            Stream::Pipes(pipes) => pipes.write(bytes),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Stream::Socket(socket) => (&*socket).flush(),
            Stream::Pipes(_) => Ok(()),
        }
    }
}

/// Sleeps until `word` is woken or no longer holds `expected`, or `timeout` passes.
/// Spurious returns are possible; callers re-check the word.
pub fn wait(word: &AtomicU32, expected: u32, timeout: Duration, waker: &Waker) -> io::Result<()> {
    if let Waker::Pipe(pipe) = waker {
        return pipe.wait(timeout);
    }
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
pub fn wake(word: &AtomicU32, waker: &Waker) -> io::Result<()> {
    if let Waker::Pipe(pipe) = waker {
        return pipe.wake();
    }
    futex::wake(word, futex::Flags::empty(), i32::MAX as u32)?;
    Ok(())
}

/// What carries a doorbell's wake across processes besides its word.
#[derive(Debug)]
pub enum Waker {
    /// Nothing: the futex is keyed by the shared word itself.
    Futex,
    /// A pipe, for a server under Wine that may not make futex calls (see `pipes`).
    Pipe(pipes::PipeWaker),
}

impl Waker {
    /// A waker that wakes `method`'s way.
    pub fn new(method: bridge_proto::WakeMethod) -> io::Result<Self> {
        match method {
            bridge_proto::WakeMethod::Native => Ok(Self::Futex),
            bridge_proto::WakeMethod::Pipe => Ok(Self::Pipe(pipes::PipeWaker::new()?)),
        }
    }

    /// How many objects a waker of `method` is handed over as.
    pub fn objects(method: bridge_proto::WakeMethod) -> usize {
        match method {
            bridge_proto::WakeMethod::Native => 0,
            bridge_proto::WakeMethod::Pipe => 1,
        }
    }

    /// The object to hand the other side, if any.
    pub fn object(&self) -> Option<ObjectRef<'_>> {
        match self {
            Self::Futex => None,
            Self::Pipe(pipe) => Some(pipe.object()),
        }
    }

    /// The waker the other side handed over, from its objects: a Linux server only ever
    /// takes futex wakers, which come as no object.
    pub fn from_objects(_objects: &mut impl Iterator<Item = Object>) -> io::Result<Self> {
        Ok(Self::Futex)
    }
}

/// A second owned descriptor for `object` (what a test uses to stand in for the other side).
pub fn duplicate(object: ObjectRef<'_>) -> io::Result<Object> {
    object.try_clone_to_owned()
}

/// Fills `buffer` with random bytes from the kernel.
pub fn random_bytes(buffer: &mut [u8]) -> io::Result<()> {
    File::open("/dev/urandom")?.read_exact(buffer)
}

/// An anonymous shared-memory file (a memfd), sealed so that nobody (not even a process it
/// is handed to) can shrink or grow it: a mapping of it can never raise SIGBUS. It has no
/// name any other process could open.
#[derive(Debug)]
pub struct SharedMemory(File);

impl SharedMemory {
    /// A new sealed object of `size` bytes, zero-filled.
    pub fn create(size: u64) -> io::Result<Self> {
        use rustix::fs::{MemfdFlags, SealFlags};
        let fd = rustix::fs::memfd_create("vstbridge-region", MemfdFlags::CLOEXEC | MemfdFlags::ALLOW_SEALING)?;
        let file = File::from(fd);
        file.set_len(size)?;
        rustix::fs::fcntl_add_seals(&file, SealFlags::SHRINK | SealFlags::GROW | SealFlags::SEAL)?;
        Ok(Self(file))
    }

    /// The object another process handed over, refused unless it carries the seals
    /// [`SharedMemory::create`] sets.
    pub fn from_object(object: Object) -> io::Result<Self> {
        use rustix::fs::SealFlags;
        let file = File::from(object);
        let seals = rustix::fs::fcntl_get_seals(&file)?;
        if seals.contains(SealFlags::SHRINK | SealFlags::GROW) {
            Ok(Self(file))
        } else {
            Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "the shared-memory file is not sealed against resizing",
            ))
        }
    }

    /// Its size in bytes.
    pub fn size(&self) -> io::Result<u64> {
        Ok(self.0.metadata()?.len())
    }

    /// Maps all of it, readable and writable.
    pub fn map(&self) -> io::Result<Mapping> {
        MmapRaw::map_raw(&self.0).map(Mapping)
    }

    /// The object to hand another process.
    pub fn object(&self) -> ObjectRef<'_> {
        self.0.as_fd()
    }
}

/// A mapping of [`SharedMemory`]; unmapped on drop.
#[derive(Debug)]
pub struct Mapping(MmapRaw);

impl Mapping {
    /// The first byte.
    pub fn as_ptr(&self) -> *mut u8 {
        self.0.as_mut_ptr()
    }

    /// Bytes mapped.
    pub fn size(&self) -> usize {
        self.0.len()
    }

    /// Locks the mapping into RAM (and faults it in now), so no access ever waits for a
    /// page. Needs `CAP_IPC_LOCK` or room under `RLIMIT_MEMLOCK`.
    pub fn lock(&self) -> io::Result<()> {
        self.0.lock()
    }

    /// Faults every page in now, writable, so this process takes no page fault on it later
    /// (the pages stay resident only while some process locks them).
    pub fn populate(&self) -> io::Result<()> {
        self.0.advise(memmap2::Advice::PopulateWrite)
    }
}

/// Sends `objects` over `stream`: to a Linux server, one byte carrying them as
/// `SCM_RIGHTS`; to a server under Wine, the paths it opens them by (see `pipes`).
pub fn send_objects(stream: &Stream, objects: &[ObjectRef<'_>]) -> io::Result<()> {
    use std::mem::MaybeUninit;
    if let Stream::Pipes(pipes) = stream {
        return pipes.write_all(&pipes::objects_message(objects)?);
    }

    use rustix::net::{SendAncillaryBuffer, SendAncillaryMessage, SendFlags};
    let mut space = [MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(MAX_OBJECTS))];
    let mut control = SendAncillaryBuffer::new(&mut space);
    if objects.len() > MAX_OBJECTS || !control.push(SendAncillaryMessage::ScmRights(objects)) {
        return Err(io::Error::other("no room for the file descriptors"));
    }
    let sent = rustix::net::sendmsg(
        stream.socket_fd()?,
        &[io::IoSlice::new(&[0])],
        &mut control,
        SendFlags::NOSIGNAL,
    )?;
    if sent != 1 {
        return Err(io::Error::new(
            io::ErrorKind::WriteZero,
            "the descriptors were not sent",
        ));
    }
    Ok(())
}

/// The most objects one [`send_objects`] carries.
const MAX_OBJECTS: usize = 4;

/// Receives exactly `count` objects [`send_objects`] sent (within the stream's read
/// timeout); any other number is an error.
pub fn receive_objects(stream: &Stream, count: usize) -> io::Result<Vec<Object>> {
    use std::mem::MaybeUninit;

    use rustix::net::{RecvAncillaryBuffer, RecvAncillaryMessage, RecvFlags};
    let mut space = [MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(MAX_OBJECTS))];
    let mut control = RecvAncillaryBuffer::new(&mut space);
    let mut byte = [0u8; 1];
    let received = rustix::net::recvmsg(
        stream.socket_fd()?,
        &mut [io::IoSliceMut::new(&mut byte)],
        &mut control,
        RecvFlags::CMSG_CLOEXEC,
    )?;
    if received.bytes != 1 {
        return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "no descriptor arrived"));
    }
    let objects: Vec<Object> = control
        .drain()
        .filter_map(|message| match message {
            RecvAncillaryMessage::ScmRights(fds) => Some(fds),
            _ => None,
        })
        .flatten()
        .collect();
    if objects.len() != count {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{} descriptors arrived where {count} were expected", objects.len()),
        ));
    }
    Ok(objects)
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

/// The path this process opens for a path the proxy sent (the same path here).
pub fn local_path(path: &str) -> io::Result<PathBuf> {
    Ok(PathBuf::from(path))
}

/// How this system's servers wake: by futex.
pub fn wake_method() -> bridge_proto::WakeMethod {
    bridge_proto::WakeMethod::Native
}

/// Nothing to do on Linux: the server asks for its own death with its parent
/// ([`die_with_parent`]).
pub fn tie_to_this_process(_child: &std::process::Child) -> io::Result<()> {
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

/// When process `pid` started (clock ticks after boot), while it runs: with its id, this
/// names one process, so a reused id is not taken for it. `None` once it has ended (or is a
/// zombie waiting to be reaped).
pub fn process_start_time(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (in parentheses) may hold spaces; the fields follow its last ')'.
    let mut fields = stat.get(stat.rfind(')')? + 1..)?.split_whitespace();
    let state = fields.next()?;
    if state == "Z" || state == "X" {
        return None;
    }
    // Field 22 of the line; `state` was field 3.
    fields.nth(18)?.parse().ok()
}

/// This process's (real) user id.
pub fn user_id() -> u32 {
    rustix::process::getuid().as_raw()
}

/// Kills process `pid` (SIGKILL).
pub fn kill_process(pid: u32) -> io::Result<()> {
    let pid = rustix::process::Pid::from_raw(pid as i32)
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "process id 0"))?;
    rustix::process::kill_process(pid, rustix::process::Signal::KILL).map_err(io::Error::from)
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

/// Waits until `fd` is ready for `events` or `deadline` passes (`None`: forever);
/// `TimedOut` then. Returns the events that came.
pub(super) fn poll_until(
    fd: ObjectRef<'_>,
    events: rustix::event::PollFlags,
    deadline: Option<std::time::Instant>,
) -> io::Result<rustix::event::PollFlags> {
    loop {
        let timeout = match deadline {
            None => None,
            Some(deadline) => {
                let left = deadline.saturating_duration_since(std::time::Instant::now());
                if left.is_zero() {
                    return Err(io::Error::new(io::ErrorKind::TimedOut, "timed out"));
                }
                Some(
                    rustix::event::Timespec::try_from(left).unwrap_or(rustix::event::Timespec {
                        tv_sec: i64::MAX,
                        tv_nsec: 0,
                    }),
                )
            }
        };
        let mut fds = [rustix::event::PollFd::new(&fd, events)];
        match rustix::event::poll(&mut fds, timeout.as_ref()) {
            Ok(0) => continue,
            Ok(_) => return Ok(fds[0].revents()),
            Err(rustix::io::Errno::INTR) => continue,
            Err(error) => return Err(error.into()),
        }
    }
}

/// Whether `fd` has something to read (or its writers are gone) within `timeout`.
fn readable_within(fd: ObjectRef<'_>, timeout: Duration) -> io::Result<bool> {
    match poll_until(
        fd,
        rustix::event::PollFlags::IN,
        Some(std::time::Instant::now() + timeout),
    ) {
        Ok(_) => Ok(true),
        Err(error) if error.kind() == io::ErrorKind::TimedOut => Ok(false),
        Err(error) => Err(error),
    }
}
