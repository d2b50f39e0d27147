//! The control channel's two kinds on Windows: a named pipe from a Windows proxy, or the
//! pipes of a Linux proxy when this server runs under Wine (see `wine`).

use std::io::{self, Read, Write};
use std::time::Duration;

use super::pipe::{NamedPipe, NamedPipeListener};
use super::wine::{self, LinuxPipes, Rendezvous};

/// A connection on the control channel.
pub enum Stream {
    /// From (or to) a Windows proxy.
    Pipe(NamedPipe),
    /// From a Linux proxy, this server running under Wine.
    Linux(LinuxPipes),
}

impl Stream {
    /// Connects to `name`: a Windows proxy's named pipe, or, serving a Linux proxy, the
    /// address of the two pipes it made for this connection.
    pub fn connect(name: &str) -> io::Result<Self> {
        if wine::linux_proxy().is_some() {
            return LinuxPipes::open(name).map(Self::Linux);
        }
        NamedPipe::connect(name).map(Self::Pipe)
    }

    /// Nothing to do on Windows: a named pipe connection exists only once both ends hold it.
    pub fn peer_opened(&self) {}

    /// Whether something can be read within `timeout`, meanwhile dispatching the messages
    /// sent to this thread (a Linux proxy's pipes are read by a relay thread from the first
    /// call on, see `wine`).
    pub fn wait_readable(&self, timeout: Duration) -> io::Result<bool> {
        match self {
            Self::Pipe(pipe) => pipe.wait_readable(timeout),
            Self::Linux(pipes) => pipes.wait_readable(timeout),
        }
    }

    /// Bounds every read (`None`: wait forever); a read that times out fails. A Linux
    /// proxy's pipes cannot be bounded (see `wine`): their reads end when the proxy writes
    /// or its process ends.
    pub fn set_read_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        match self {
            Self::Pipe(pipe) => pipe.set_read_timeout(timeout),
            Self::Linux(_) => Ok(()),
        }
    }

    /// Bounds every write (`None`: wait forever); see [`Stream::set_read_timeout`].
    pub fn set_write_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        match self {
            Self::Pipe(pipe) => pipe.set_write_timeout(timeout),
            Self::Linux(_) => Ok(()),
        }
    }

    /// The named pipe's security descriptor admits only this user, and a Linux proxy's
    /// pipes can be opened only through its `/proc` entry, which only its user may: nothing
    /// is left to check here.
    pub fn check_peer_is_same_user(&self) -> io::Result<()> {
        Ok(())
    }
}

impl Read for &Stream {
    fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Pipe(pipe) => (&*pipe).read(buffer),
            Stream::Linux(pipes) => (&*pipes).read(buffer),
        }
    }
}

impl Write for &Stream {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        match self {
            Stream::Pipe(pipe) => (&*pipe).write(bytes),
            Stream::Linux(pipes) => (&*pipes).write(bytes),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Listens for [`Stream`]s.
pub enum Listener {
    /// A named pipe only this user may open.
    Pipe(NamedPipeListener),
    /// A Linux proxy's rendezvous pipe.
    Linux(Rendezvous),
}

impl Listener {
    /// Listens on the named pipe `name`, or, serving a Linux proxy, reads its rendezvous
    /// pipe at the path `name`.
    pub fn bind(name: &str) -> io::Result<Self> {
        if wine::linux_proxy().is_some() {
            return Rendezvous::open(name).map(Self::Linux);
        }
        NamedPipeListener::bind(name).map(Self::Pipe)
    }

    /// Waits for the next connection.
    pub fn accept(&self) -> io::Result<Stream> {
        match self {
            Self::Pipe(listener) => listener.accept().map(Stream::Pipe),
            Self::Linux(rendezvous) => rendezvous.accept().map(Stream::Linux),
        }
    }
}
