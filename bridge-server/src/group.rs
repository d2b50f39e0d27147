//! A plugin group's server: one process for every instance of one group (a name the
//! sidecar or the global configuration gives) and architecture, in one DAW process. Plugins
//! that talk between their instances need to share a process, and many small plugins each
//! in a server of its own cost memory and start-up time. The trade-off is isolation: a
//! plugin that crashes takes the whole group's process down, and every instance in it
//! restarts (each with its own state).
//!
//! The process listens on the group's address (a socket name made of the user, the DAW
//! process, the architecture and the group) for the DAW process's requests for an instance
//! ([`bridge_proto::Request::NewInstance`]); the kernel names the process at the other end,
//! and only the DAW's is served. Each instance gets a [`Server`] of its own, with its own
//! socket, token and connections, exactly as a server process of its own would have; the
//! instance's proxy goes on from there as with any server. The process ends when the last
//! instance has closed and no new one came for [`LINGER`], or with the DAW.
//!
//! Two instances may find no server at once and each start one: the one that binds the
//! address serves; the other exits with [`bridge_proto::GROUP_ADDRESS_TAKEN_EXIT`], and its
//! proxy joins the first.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use bridge_ipc::Channel;
use bridge_ipc::endpoint;
use bridge_proto::{Message, Request, Response};
use vst2_host::Architecture;

use crate::server::Server;

/// How long the process outlives its last instance, for one that follows at once (a DAW
/// reloading a project closes and opens every plugin).
const LINGER: Duration = Duration::from_secs(2);
/// How long the process waits for its first instance.
const FIRST_INSTANCE_PATIENCE: Duration = Duration::from_secs(30);
/// Requests for instances handled at once, at most (more wait in the listen queue).
const MAX_JOINING: usize = 16;

/// Serves the group at `address` for the DAW process `daw`.
pub fn serve(address: &str, daw: u32) -> Result<()> {
    let listener = match endpoint::listen(address) {
        Ok(listener) => listener,
        Err(error) if error.kind() == std::io::ErrorKind::AddrInUse => {
            tracing::info!(address, "another process serves this group already");
            std::process::exit(bridge_proto::GROUP_ADDRESS_TAKEN_EXIT);
        }
        Err(error) => return Err(error).with_context(|| format!("cannot listen on {address}")),
    };
    tracing::debug!(address, "group server listening");
    let live = Arc::new(AtomicUsize::new(0));
    let joining = Arc::new(AtomicUsize::new(0));
    watch_for_the_last_instance(live.clone(), joining.clone());
    crate::accept::accept_each(
        &listener,
        MAX_JOINING,
        &joining,
        "vstbridge-join",
        &|| false,
        move |channel| {
            if let Err(error) = make_instance(&channel, daw, &live) {
                tracing::warn!("refused a request for an instance: {error:#}");
            }
        },
    );
    Ok(())
}

/// Answers one request for an instance: a [`Server`] on a fresh socket with a fresh token,
/// served on a thread of its own until its instance closes.
fn make_instance(channel: &Channel, daw: u32, live: &Arc<AtomicUsize>) -> Result<()> {
    endpoint::welcome_to_group(channel, daw, Architecture::current().name())?;
    match channel.receive()? {
        Message::Request(Request::NewInstance) => {}
        other => anyhow::bail!("expected a request for an instance, got {other:?}"),
    }
    let token = endpoint::random_token()?;
    let socket = endpoint::new_socket_name()?;
    let listener = endpoint::listen(&socket).with_context(|| format!("cannot listen on {socket}"))?;
    live.fetch_add(1, Ordering::AcqRel);
    let (server, instance_socket, instances) = (Server::new(token), socket.clone(), live.clone());
    let spawned = thread::Builder::new().name("vstbridge-instance".into()).spawn(move || {
        if let Err(error) = server.run(listener, &instance_socket) {
            tracing::warn!("an instance of the group ended: {error:#}");
        }
        instances.fetch_sub(1, Ordering::AcqRel);
    });
    if let Err(error) = spawned {
        live.fetch_sub(1, Ordering::AcqRel);
        return Err(error).context("cannot start the instance's thread");
    }
    channel.send(&Message::Response(Response::NewInstance { socket, token }))?;
    Ok(())
}

/// Ends the process once no instance has been live, nor one joining, for [`LINGER`] (or
/// none came within [`FIRST_INSTANCE_PATIENCE`]).
fn watch_for_the_last_instance(live: Arc<AtomicUsize>, joining: Arc<AtomicUsize>) {
    let spawned = thread::Builder::new()
        .name("vstbridge-group-linger".into())
        .spawn(move || {
            let started = Instant::now();
            let mut ever_live = false;
            let mut empty_since = Instant::now();
            loop {
                thread::sleep(Duration::from_millis(100));
                if live.load(Ordering::Acquire) > 0 || joining.load(Ordering::Acquire) > 0 {
                    ever_live = true;
                    empty_since = Instant::now();
                    continue;
                }
                let patience = if ever_live { LINGER } else { FIRST_INSTANCE_PATIENCE };
                if empty_since.elapsed() >= patience && started.elapsed() >= patience {
                    tracing::debug!("the group's last instance closed; exiting");
                    std::process::exit(0);
                }
            }
        });
    if let Err(error) = spawned {
        tracing::warn!("cannot watch for the group's last instance: {error}");
    }
}
