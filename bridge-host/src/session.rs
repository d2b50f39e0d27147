//! The session with one server process: the process, the connections to it (one per DAW
//! thread, the creating thread's being the main one), its heartbeat and the callbacks
//! thread; starting it (spawn, connect, handshake, heartbeat page) and ending it within a
//! bound. The only part of the proxy that holds the server's process and sockets.

use std::collections::HashMap;
use std::io;
use std::sync::mpsc::RecvTimeoutError;
use std::sync::{Arc, Mutex};
use std::thread::{JoinHandle, ThreadId};
use std::time::{Duration, Instant};

use bridge_ipc::Channel;
use bridge_ipc::endpoint;
use bridge_ipc::endpoint::ServerAddress;
use bridge_ipc::heartbeat::Heartbeat;
use bridge_ipc::server_process::{ServerCommand, ServerProcess};
use bridge_proto::ChannelRole;
use vst2_host::Architecture;

use crate::sync::lock;

/// How often [`Session::watched`] reads the heartbeat (the server beats every 20 ms).
const HEARTBEAT_POLL: Duration = Duration::from_millis(20);

/// How long ending a session waits for its callbacks thread.
const CALLBACK_THREAD_PATIENCE: Duration = Duration::from_millis(100);

/// The server process a session runs on.
#[derive(Debug)]
enum ServerHandle {
    /// Its own, started for it and stopped with it.
    Own(ServerProcess),
    /// A plugin group's, shared with the group's other instances in this DAW process.
    #[cfg(target_os = "linux")]
    Group(crate::group::GroupServer),
}

impl ServerHandle {
    fn id(&self) -> u32 {
        match self {
            Self::Own(process) => process.id(),
            #[cfg(target_os = "linux")]
            Self::Group(group) => group.pid,
        }
    }

    fn check_alive(&mut self) -> io::Result<()> {
        match self {
            Self::Own(process) => process.check_alive(),
            #[cfg(target_os = "linux")]
            Self::Group(group) => group.check_alive(),
        }
    }

    /// Gives up a server this session could not start on: an own one is killed, a group's
    /// left to the group's other instances.
    fn abandon(&mut self) {
        match self {
            Self::Own(process) => {
                process.stop(Duration::ZERO);
            }
            #[cfg(target_os = "linux")]
            Self::Group(group) => group.leave(),
        }
    }

    /// Ends this session's use of the server: with no `patience`, it failed (dead or hung)
    /// and is killed, a group's too (every instance in the group then restarts); else an
    /// own server is given `patience` to exit before it is killed, and a group's is left
    /// to the others.
    fn end(&mut self, patience: Duration) {
        match self {
            Self::Own(process) => {
                let pid = process.id();
                match process.stop(patience) {
                    Some(status) if status.success() => tracing::debug!(pid, "the server exited cleanly ({status})"),
                    Some(status) if !patience.is_zero() => {
                        tracing::warn!(pid, "the server did not exit cleanly ({status})")
                    }
                    Some(status) => tracing::debug!(pid, "the server was stopped ({status})"),
                    None => tracing::warn!(pid, "the server could not be reaped"),
                }
            }
            #[cfg(target_os = "linux")]
            Self::Group(group) if patience.is_zero() => {
                tracing::debug!(pid = group.pid, "the group's server is stopped");
                group.kill();
            }
            #[cfg(target_os = "linux")]
            Self::Group(group) => group.leave(),
        }
    }
}

/// One server process and the connections to it.
pub struct Session {
    server: Mutex<ServerHandle>,
    /// The server's process id.
    pub pid: u32,
    pub(crate) address: ServerAddress,
    /// What the server was told its address is (`--socket`): unique to this session.
    socket_argument: String,
    pub(crate) token: [u8; 16],
    /// How the server wakes the audio region's doorbells.
    wake: bridge_proto::WakeMethod,
    channels: Mutex<HashMap<ThreadId, Arc<Channel>>>,
    pub(crate) callback_thread: Mutex<Option<JoinHandle<()>>>,
    /// The server's liveness, raised by a thread of it that never enters the plugin.
    pub heartbeat: Heartbeat,
}

impl Session {
    /// Whether process `pid` is this session's server: the process we started or, under
    /// Wine, the one Wine's `start.exe` started for it (Wine runs a program that its own
    /// loader cannot, a 64-bit one under a 32-bit `wine`, through `start.exe` in a process of
    /// its own), known by the address on its command line, which only this session's server
    /// is given. Never the DAW's own process.
    pub fn is_server_process(&self, pid: u32) -> bool {
        if pid == std::process::id() {
            return false;
        }
        if pid == self.pid {
            return true;
        }
        let Ok(command_line) = std::fs::read(format!("/proc/{pid}/cmdline")) else {
            return false;
        };
        let wanted = format!("--socket\0{}\0", self.socket_argument);
        command_line
            .windows(wanted.len())
            .any(|window| window == wanted.as_bytes())
    }
}

/// A fresh address for a server: a random socket name, or a rendezvous pipe for a server
/// under Wine; and the text the server is told it by (`--socket`).
fn server_address(under_wine: bool) -> io::Result<(ServerAddress, String)> {
    #[cfg(target_os = "linux")]
    if under_wine {
        let rendezvous = bridge_ipc::os::Rendezvous::new()?;
        let name = rendezvous.name()?;
        return Ok((ServerAddress::Wine(rendezvous), name));
    }
    if under_wine {
        return Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "only a Linux proxy runs servers under Wine",
        ));
    }
    let name = endpoint::new_socket_name()?;
    Ok((ServerAddress::Socket(name.clone()), name))
}

impl Session {
    /// Starts a server with `command` (a Windows server under Wine when `under_wine`), or
    /// joins the server of plugin group `group` (see `group`), and connects the calling
    /// thread as its main thread.
    pub(crate) fn start(
        command: &ServerCommand,
        under_wine: bool,
        group: Option<&str>,
        timeout: Duration,
    ) -> io::Result<(Self, Arc<Channel>)> {
        // One deadline for starting, connecting and the greeting.
        let deadline = Instant::now() + timeout;
        let left = || {
            deadline
                .saturating_duration_since(Instant::now())
                .max(Duration::from_millis(1))
        };
        let (address, socket, token, mut server) = match group {
            #[cfg(target_os = "linux")]
            Some(group) if !under_wine => {
                let (socket, token, server) = crate::group::join(command, group, left())?;
                (
                    ServerAddress::Socket(socket.clone()),
                    socket,
                    token,
                    ServerHandle::Group(server),
                )
            }
            _ => {
                let (address, socket) = server_address(under_wine)?;
                let token = endpoint::random_token()?;
                let server = crate::spawner::spawn(command, &socket, token)?;
                (address, socket, token, ServerHandle::Own(server))
            }
        };
        let stream = match address.connect(left(), &mut || server.check_alive()) {
            Ok(stream) => stream,
            Err(error) => {
                server.abandon();
                return Err(error);
            }
        };
        // An instance in a group's process: the socket the group's server named must be
        // its own, not another process's it would send us to.
        #[cfg(target_os = "linux")]
        if let ServerHandle::Group(group) = &server
            && stream.peer_process_id()? != group.pid
        {
            server.abandon();
            return Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                "the group's server named a socket of another process",
            ));
        }
        // A server that accepts but never answers must not hold the DAW's load, and one
        // that exits while starting (a Wine that cannot run it) fails the load at once.
        let channel = Channel::new(stream);
        let greeted = channel
            .set_read_timeout(Some(left()))
            .and_then(|()| {
                endpoint::greet_patiently(
                    channel,
                    token,
                    ChannelRole::Main,
                    Architecture::current().name(),
                    Some(left()),
                    &mut || server.check_alive(),
                )
            })
            .and_then(|(main, welcome)| {
                // Pipes wake a server under Wine only; a server of this system claiming
                // otherwise is refused rather than followed.
                if welcome.wake == bridge_proto::WakeMethod::Pipe && !under_wine {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        "the server asked for pipe doorbells, which only a server under Wine uses",
                    ));
                }
                Ok((main, welcome))
            })
            .and_then(|(main, welcome)| {
                // The heartbeat page follows the main connection's handshake.
                let heartbeat = Heartbeat::create()?;
                main.send_objects(&[heartbeat.object()])?;
                Ok((main, welcome, heartbeat))
            });
        let (main, welcome, heartbeat) = match greeted {
            Ok(greeted) => greeted,
            Err(error) => {
                server.abandon();
                return Err(error);
            }
        };
        tracing::debug!(
            server_arch = welcome.architecture,
            pid = server.id(),
            "connected to the server"
        );
        let main = Arc::new(main);
        let pid = server.id();
        let session = Self {
            server: Mutex::new(server),
            pid,
            address,
            socket_argument: socket,
            token,
            wake: welcome.wake,
            channels: Mutex::new(HashMap::from([(std::thread::current().id(), main.clone())])),
            callback_thread: Mutex::new(None),
            heartbeat,
        };
        Ok((session, main))
    }

    /// How the server wakes the audio region's doorbells (from its welcome).
    pub fn wake(&self) -> bridge_proto::WakeMethod {
        self.wake
    }

    /// The connection of the calling thread, opened on first use.
    pub(crate) fn channel(&self, timeout: Duration) -> io::Result<Arc<Channel>> {
        let thread = std::thread::current().id();
        if let Some(channel) = lock(&self.channels).get(&thread) {
            return Ok(channel.clone());
        }
        let (channel, _) = endpoint::open_channel(
            &self.address,
            self.token,
            ChannelRole::Thread,
            Architecture::current().name(),
            timeout,
        )?;
        let channel = Arc::new(channel);
        lock(&self.channels).insert(thread, channel.clone());
        Ok(channel)
    }

    /// `Ok` while the server process runs.
    pub fn check_alive(&self) -> io::Result<()> {
        lock(&self.server).check_alive()
    }

    /// Runs `call`, a call on this session made before or outside the watchdog's watch
    /// (loading, restoring a restarted server), while a helper thread watches the
    /// heartbeat: a server that stops beating for `hang_timeout` (stopped, or stuck whole)
    /// is killed, so `call` ends then instead of at its budget. A plugin merely busy in a
    /// long call keeps the beat and keeps its budget.
    pub(crate) fn watched<T>(&self, hang_timeout: Duration, call: impl FnOnce() -> T) -> T {
        let (finished, wait) = std::sync::mpsc::channel::<()>();
        std::thread::scope(|scope| {
            let watcher = std::thread::Builder::new()
                .name("vstbridge-load-watch".into())
                .spawn_scoped(scope, move || {
                    let (mut seen, mut since) = (self.heartbeat.count(), Instant::now());
                    // Ends at once when `finished` is dropped (the call returned).
                    while let Err(RecvTimeoutError::Timeout) = wait.recv_timeout(HEARTBEAT_POLL) {
                        let count = self.heartbeat.count();
                        if count != seen {
                            (seen, since) = (count, Instant::now());
                        } else if since.elapsed() > hang_timeout {
                            tracing::error!(
                                pid = self.pid,
                                "the server has not run for {:?} (stopped or frozen); it is stopped",
                                since.elapsed()
                            );
                            self.kill();
                            return;
                        }
                    }
                });
            if let Err(error) = &watcher {
                tracing::warn!("cannot watch the server's heartbeat during this call: {error}");
            }
            let result = call();
            drop(finished);
            result
        })
    }

    /// Kills the server at once (a group's too).
    pub fn kill(&self) {
        lock(&self.server).end(Duration::ZERO);
    }

    /// Closes the connections, waits a moment for the server to leave, kills it otherwise
    /// (with no `patience`, at once; a group's server is killed only then, else left to the
    /// group's other instances).
    pub(crate) fn end(&self, patience: Duration) {
        lock(&self.channels).clear();
        lock(&self.server).end(patience);
        // The callbacks thread ends once the server's side of its connection closes; but it
        // may be inside a DAW callback that waits for the very thread closing us, so it is
        // given a moment, not an unbounded join (it holds what it uses).
        if let Some(handle) = lock(&self.callback_thread).take() {
            if handle.thread().id() != std::thread::current().id() {
                let deadline = std::time::Instant::now() + CALLBACK_THREAD_PATIENCE;
                while !handle.is_finished() && std::time::Instant::now() < deadline {
                    std::thread::sleep(Duration::from_millis(1));
                }
                if handle.is_finished() {
                    let _ = handle.join();
                }
            }
        }
    }
}
