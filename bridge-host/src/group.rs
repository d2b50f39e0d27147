//! Plugin groups, the proxy's side: an instance whose configuration names a group shares one
//! server process with every other instance of this DAW process in that group (and of the
//! same server: one architecture, one installation). The server's side, and why groups
//! exist, is the server's `group` module.
//!
//! The group's server listens on an address made of the user, this process, and a hash of
//! the group and the server's program. [`join`] connects there, starting the server first
//! when nobody answers, and asks for an instance: the answer names the instance's own
//! socket and token, and the session goes on as with a server of its own. Proxies are
//! copies of one library, each with its own memory, so they meet only at that address; two
//! that start a server at once are sorted out by the server (only one can bind it).
//!
//! A group's server is not this instance's to stop when it closes: others may use it, and
//! it ends itself after its last instance. It is killed only when this instance finds it
//! dead or hung, and then every instance in the group restarts (the trade-off of a group:
//! isolation is per group, not per plugin).

use std::io;
use std::time::{Duration, Instant};

use bridge_ipc::Channel;
use bridge_ipc::endpoint;
use bridge_ipc::server_process::{ServerCommand, ServerProcess};
use bridge_proto::{ChannelRole, GROUP_ADDRESS_TAKEN_EXIT, Message, Request, Response};
use vst2_host::Architecture;

/// A group's server, as one instance holds it.
#[derive(Debug)]
pub struct GroupServer {
    /// Its process, as the kernel named the other end of the connection.
    pub pid: u32,
    /// When that process started: with `pid`, it names the process (a reused id does not).
    started: Option<u64>,
    /// The process, if this instance started it (and so must reap it).
    child: Option<ServerProcess>,
}

impl GroupServer {
    /// `Ok` while the group's server runs.
    pub fn check_alive(&mut self) -> io::Result<()> {
        if let Some(child) = &mut self.child {
            return child.check_alive();
        }
        if self.is_running() {
            Ok(())
        } else {
            Err(io::Error::new(io::ErrorKind::BrokenPipe, "the group's server exited"))
        }
    }

    fn is_running(&self) -> bool {
        self.started.is_some() && bridge_ipc::os::process_start_time(self.pid) == self.started
    }

    /// Kills the group's server (found dead or hung: the whole group restarts).
    pub fn kill(&mut self) {
        if let Some(child) = &mut self.child {
            child.stop(Duration::ZERO);
        } else if self.is_running()
            && let Err(error) = bridge_ipc::os::kill_process(self.pid)
        {
            tracing::warn!(pid = self.pid, "cannot kill the group's server: {error}");
        }
    }

    /// Leaves the group's server to the group's other instances; a process this instance
    /// started is reaped whenever it ends.
    pub fn leave(&mut self) {
        if let Some(child) = self.child.take() {
            let reaper = std::thread::Builder::new()
                .name("vstbridge-group-reaper".into())
                .spawn(move || child.wait());
            if let Err(error) = reaper {
                tracing::warn!("cannot wait for the group's server to end: {error}");
            }
        }
    }
}

/// Where the group `group` of servers started by `command` is served for this process.
fn address(group: &str, command: &ServerCommand) -> String {
    // FNV-1a: short, stable, and the same in every copy of the proxy.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let program = command.program.to_string_lossy();
    for byte in group.bytes().chain([0]).chain(program.bytes()) {
        hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
    }
    // The user too: two users' DAWs never share a group.
    format!(
        "{}group-{}-{}-{hash:016x}",
        endpoint::NAME_PREFIX,
        bridge_ipc::os::user_id(),
        std::process::id()
    )
}

/// Joins the group `group` of servers started by `command`, starting its server if none
/// answers, within `timeout`; the new instance's socket and token, and the group's server.
pub fn join(command: &ServerCommand, group: &str, timeout: Duration) -> io::Result<(String, [u8; 16], GroupServer)> {
    let address = address(group, command);
    let deadline = Instant::now() + timeout;
    let mut started: Option<ServerProcess> = None;
    loop {
        match endpoint::connect_with_retry(&address, Duration::ZERO, &mut || Ok(())) {
            Ok(stream) => {
                let channel = Channel::new(stream);
                let pid = channel.peer_process_id()?;
                let (socket, token) = ask_for_an_instance(channel, deadline)?;
                // Ours serves, or lost the race to one that does (it exits at once).
                let child = match started {
                    Some(child) if child.id() == pid => Some(child),
                    Some(mut lost) => {
                        lost.stop(Duration::from_secs(1));
                        None
                    }
                    None => None,
                };
                tracing::debug!(group, pid, "joined the group's server");
                let started_at = bridge_ipc::os::process_start_time(pid);
                return Ok((
                    socket,
                    token,
                    GroupServer {
                        pid,
                        started: started_at,
                        child,
                    },
                ));
            }
            Err(error) => {
                match &mut started {
                    None => started = Some(crate::spawner::spawn_group(command, &address)?),
                    Some(child) => {
                        if let Err(exited) = child.check_alive() {
                            // Another process took the address: join it (next round).
                            if child.exit_code() != Some(GROUP_ADDRESS_TAKEN_EXIT) {
                                return Err(exited);
                            }
                            started = None;
                        }
                    }
                }
                if Instant::now() >= deadline {
                    if let Some(mut child) = started {
                        child.stop(Duration::ZERO);
                    }
                    return Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        format!("the group's server never answered: {error}"),
                    ));
                }
                std::thread::sleep(Duration::from_millis(2));
            }
        }
    }
}

/// Asks a group's server for an instance, by `deadline`.
fn ask_for_an_instance(channel: Channel, deadline: Instant) -> io::Result<(String, [u8; 16])> {
    let left = deadline
        .saturating_duration_since(Instant::now())
        .max(Duration::from_millis(1));
    channel.set_read_timeout(Some(left))?;
    // The group's server serves this process only, which the kernel tells it: no token.
    let (channel, _) = endpoint::greet(channel, [0; 16], ChannelRole::Group, Architecture::current().name())?;
    channel.send(&Message::Request(Request::NewInstance))?;
    match channel.receive()? {
        Message::Response(Response::NewInstance { socket, token }) => Ok((socket, token)),
        Message::Response(Response::Failed(reason)) => Err(io::Error::other(format!(
            "the group's server made no instance: {reason}"
        ))),
        other => Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("the group's server answered {other:?}"),
        )),
    }
}
