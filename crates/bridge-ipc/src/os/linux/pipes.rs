//! Pipes to a server running under Wine: its control connections, its doorbell wakers and
//! how objects reach it.
//!
//! A Windows program under Wine has no unix sockets and cannot receive descriptors, but it
//! can open a path, and Linux lets a process of the same user open another's descriptors
//! through `/proc/<pid>/fd/<n>` (Wine's `Z:` drive reaches them). Opening a pipe that way
//! joins the very pipe; opening a memfd maps the very memory, its seals intact. Wine reads
//! and writes such a pipe with plain system calls, no wineserver round trip (measured: a
//! round trip between a Linux process and a Wine program costs about 2 µs through two
//! pipes, about 250 µs through loopback TCP, whose every read goes through wineserver).
//!
//! So a connection is two pipes the proxy makes: one it writes and the server reads, one the
//! server writes and it reads. The proxy asks for a connection by writing both pipes' names
//! (their `/proc` paths and inodes, [`DescriptorName`]) as one record into a *rendezvous*
//! pipe the server reads (a record is shorter than `PIPE_BUF`, so concurrent requests never
//! interleave). The server opens nothing whose inode differs from the name's, so a name
//! published before its descriptor was closed and reused cannot lead it to a DAW file. Only
//! processes that may open the proxy's descriptors (its own user's) can reach any of these
//! pipes.
//!
//! The proxy's descriptors never block: every read and write polls with the stream's
//! timeout. It keeps its own read end of the pipe it writes, so a write never raises
//! SIGPIPE in the DAW; a server that is gone shows as the hang-up of the pipe it wrote.

use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use rustix::event::{PollFd, PollFlags};

use super::poll_until;
use bridge_proto::wine::{DescriptorName, RECORD_BYTES, object_kind};
use rustix::event::Timespec;
use rustix::pipe::PipeFlags;

/// How the server names `fd` of this process to open it: its `/proc` path and inode (see
/// [`DescriptorName`]).
pub fn name_of(fd: BorrowedFd<'_>) -> io::Result<DescriptorName> {
    Ok(DescriptorName {
        pid: std::process::id(),
        fd: fd.as_raw_fd() as u32,
        inode: rustix::fs::fstat(fd)?.st_ino,
    })
}

/// A pipe whose ends never block, closed on exec.
fn pipe() -> io::Result<(OwnedFd, OwnedFd)> {
    Ok(rustix::pipe::pipe_with(PipeFlags::CLOEXEC | PipeFlags::NONBLOCK)?)
}

fn nanos(timeout: Option<Duration>) -> u64 {
    timeout.map_or(u64::MAX, |timeout| {
        timeout.as_nanos().min(u128::from(u64::MAX - 1)) as u64
    })
}

fn deadline(nanos: u64) -> Option<Instant> {
    (nanos != u64::MAX).then(|| Instant::now() + Duration::from_nanos(nanos))
}

/// The proxy's end of a connection to a server under Wine.
#[derive(Debug)]
pub struct PipeStream {
    /// Where the server's messages arrive.
    incoming: OwnedFd,
    /// Where this side's messages go.
    outgoing: OwnedFd,
    /// The read end of `outgoing`'s pipe, held (never read) for the connection's life so a
    /// write never meets a pipe without readers, which would raise SIGPIPE in the DAW.
    _outgoing_reader: OwnedFd,
    /// The write end of `incoming`'s pipe, held until the server has opened it: until then
    /// the pipe must not look hung up.
    incoming_writer: Mutex<Option<OwnedFd>>,
    read_timeout: AtomicU64,
    write_timeout: AtomicU64,
}

impl PipeStream {
    /// A new connection's two pipes, and the address the server opens them by: the path of
    /// the pipe it reads, a newline, the path of the pipe it writes.
    pub fn pair() -> io::Result<(Self, String)> {
        let (to_server_reader, to_server_writer) = pipe()?;
        let (from_server_reader, from_server_writer) = pipe()?;
        let address = format!(
            "{}\n{}",
            name_of(to_server_reader.as_fd())?.to_text(),
            name_of(from_server_writer.as_fd())?.to_text()
        );
        let stream = Self {
            incoming: from_server_reader,
            outgoing: to_server_writer,
            _outgoing_reader: to_server_reader,
            incoming_writer: Mutex::new(Some(from_server_writer)),
            read_timeout: AtomicU64::new(u64::MAX),
            write_timeout: AtomicU64::new(u64::MAX),
        };
        Ok((stream, address))
    }

    /// The server has opened its ends (it answered): from now on its end closing (it
    /// exited or died) reads as the end of the stream.
    pub fn peer_opened(&self) {
        self.incoming_writer
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
    }

    /// Where the server's messages arrive.
    pub fn incoming(&self) -> BorrowedFd<'_> {
        self.incoming.as_fd()
    }

    /// Bounds every read (`None`: forever).
    pub fn set_read_timeout(&self, timeout: Option<Duration>) {
        self.read_timeout.store(nanos(timeout), Ordering::Relaxed);
    }

    /// Bounds every write (`None`: forever).
    pub fn set_write_timeout(&self, timeout: Option<Duration>) {
        self.write_timeout.store(nanos(timeout), Ordering::Relaxed);
    }

    /// Reads what has arrived, waiting for something within the read timeout; 0 once the
    /// server's end is closed.
    pub fn read(&self, buffer: &mut [u8]) -> io::Result<usize> {
        let deadline = deadline(self.read_timeout.load(Ordering::Relaxed));
        loop {
            match rustix::io::read(&self.incoming, &mut *buffer) {
                Ok(count) => return Ok(count),
                Err(rustix::io::Errno::AGAIN) => {
                    poll_until(self.incoming.as_fd(), PollFlags::IN, deadline)?;
                }
                Err(rustix::io::Errno::INTR) => {}
                Err(error) => return Err(error.into()),
            }
        }
    }

    /// Writes what fits, waiting for room within the write timeout; `BrokenPipe` once the
    /// server is gone.
    pub fn write(&self, bytes: &[u8]) -> io::Result<usize> {
        let deadline = deadline(self.write_timeout.load(Ordering::Relaxed));
        loop {
            if self.server_hung_up()? {
                return Err(io::Error::new(
                    io::ErrorKind::BrokenPipe,
                    "the server closed the connection",
                ));
            }
            match rustix::io::write(&self.outgoing, bytes) {
                Ok(count) => return Ok(count),
                Err(rustix::io::Errno::AGAIN) => {
                    // The pipe is full: the server is not reading. Wait for room a little at a
                    // time, so its death is noticed as it happens.
                    let slice = Instant::now() + Duration::from_millis(20);
                    let until = deadline.map_or(slice, |deadline| deadline.min(slice));
                    match poll_until(self.outgoing.as_fd(), PollFlags::OUT, Some(until)) {
                        Err(error) if error.kind() == io::ErrorKind::TimedOut => {
                            if deadline.is_some_and(|deadline| Instant::now() >= deadline) {
                                return Err(error);
                            }
                        }
                        other => {
                            other?;
                        }
                    }
                }
                Err(rustix::io::Errno::INTR) => {}
                Err(error) => return Err(error.into()),
            }
        }
    }

    /// Whether every writer of the incoming pipe is gone, which after the handshake means
    /// the server's process is: then nobody will read what this side writes (whatever the
    /// server wrote before it went can still be read).
    fn server_hung_up(&self) -> io::Result<bool> {
        let mut fds = [PollFd::new(&self.incoming, PollFlags::IN)];
        rustix::event::poll(&mut fds, Some(&Timespec { tv_sec: 0, tv_nsec: 0 }))?;
        Ok(fds[0].revents().contains(PollFlags::HUP))
    }

    /// Writes all of `bytes` within the write timeout.
    pub fn write_all(&self, mut bytes: &[u8]) -> io::Result<()> {
        while !bytes.is_empty() {
            let written = self.write(bytes)?;
            bytes = &bytes[written..];
        }
        Ok(())
    }
}

/// The pipe a server under Wine reads connection requests from (see the module docs).
#[derive(Debug)]
pub struct Rendezvous {
    reader: OwnedFd,
    writer: OwnedFd,
}

impl Rendezvous {
    /// A new rendezvous pipe.
    pub fn new() -> io::Result<Self> {
        let (reader, writer) = pipe()?;
        Ok(Self { reader, writer })
    }

    /// How the server names the pipe it reads requests from (`--socket`).
    pub fn name(&self) -> io::Result<String> {
        Ok(name_of(self.reader.as_fd())?.to_text())
    }

    /// Opens a connection: makes its pipes and asks the server to open their other ends.
    pub fn connect(&self) -> io::Result<PipeStream> {
        let (stream, address) = PipeStream::pair()?;
        let mut record = [0u8; RECORD_BYTES];
        let text = format!("{address}\n");
        if text.len() > RECORD_BYTES {
            return Err(io::Error::other("a connection request does not fit its record"));
        }
        record[..text.len()].copy_from_slice(text.as_bytes());
        // One write of less than PIPE_BUF bytes is whole or nothing; a full pipe means the
        // server has stopped taking connections.
        match rustix::io::write(&self.writer, &record) {
            Ok(RECORD_BYTES) => Ok(stream),
            Ok(_) => Err(io::Error::other("a connection request was cut short")),
            Err(rustix::io::Errno::AGAIN) => Err(io::Error::new(
                io::ErrorKind::WouldBlock,
                "the server takes no more connections",
            )),
            Err(error) => Err(error.into()),
        }
    }
}

/// A doorbell's pipe: the ringer writes a byte, the sleeper reads. This side holds both
/// ends, so neither a read nor a write can ever find the other end gone.
#[derive(Debug)]
pub struct PipeWaker {
    reader: OwnedFd,
    writer: OwnedFd,
}

impl PipeWaker {
    /// A new doorbell pipe.
    pub fn new() -> io::Result<Self> {
        let (reader, writer) = pipe()?;
        Ok(Self { reader, writer })
    }

    /// What the server opens (read and write) to reach the pipe.
    pub fn object(&self) -> BorrowedFd<'_> {
        self.reader.as_fd()
    }

    /// Sleeps until a byte arrives or `timeout` passes, then takes every byte waiting (rings
    /// that found this side awake leave one behind; taking them keeps the next sleep real).
    pub fn wait(&self, timeout: Duration) -> io::Result<()> {
        match poll_until(self.reader.as_fd(), PollFlags::IN, Some(Instant::now() + timeout)) {
            Ok(_) => {}
            Err(error) if error.kind() == io::ErrorKind::TimedOut => return Ok(()),
            Err(error) => return Err(error),
        }
        let mut drained = [0u8; 64];
        match rustix::io::read(&self.reader, &mut drained) {
            Ok(_) | Err(rustix::io::Errno::AGAIN | rustix::io::Errno::INTR) => Ok(()),
            Err(error) => Err(error.into()),
        }
    }

    /// Writes one byte; a full pipe already holds a wake, so that is no error.
    pub fn wake(&self) -> io::Result<()> {
        match rustix::io::write(&self.writer, &[1]) {
            Ok(_) | Err(rustix::io::Errno::AGAIN | rustix::io::Errno::INTR) => Ok(()),
            Err(error) => Err(error.into()),
        }
    }
}

/// The message that hands `objects` to a server under Wine: a count, then per object its
/// kind, the length of its [`DescriptorName`]'s text and the text.
pub fn objects_message(objects: &[BorrowedFd<'_>]) -> io::Result<Vec<u8>> {
    let mut message = vec![u8::try_from(objects.len()).map_err(|_| io::Error::other("too many objects"))?];
    for object in objects {
        let stat = rustix::fs::fstat(object)?;
        let kind = match rustix::fs::FileType::from_raw_mode(stat.st_mode) {
            rustix::fs::FileType::RegularFile => object_kind::MEMORY,
            rustix::fs::FileType::Fifo => object_kind::PIPE,
            other => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("a {other:?} cannot be handed to a server under Wine"),
                ));
            }
        };
        let name = DescriptorName {
            pid: std::process::id(),
            fd: object.as_raw_fd() as u32,
            inode: stat.st_ino,
        }
        .to_text();
        message.push(kind);
        message.push(u8::try_from(name.len()).map_err(|_| io::Error::other("a descriptor name is too long"))?);
        message.extend_from_slice(name.as_bytes());
    }
    Ok(message)
}
