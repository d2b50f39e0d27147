//! Starting servers from one long-lived proxy thread.
//!
//! The server asks the kernel to kill it when its parent dies (`PR_SET_PDEATHSIG`), but on
//! Linux "parent" means the *thread* that spawned it. DAWs create plugins on whatever thread
//! they like, scanner and loader threads that end soon after included; a server spawned
//! there would die with that thread. So every spawn goes through this one thread, which
//! lives as long as the process (the proxy library is never unloaded).

use std::io;
use std::sync::mpsc::{self, Sender};
use std::sync::{Mutex, OnceLock};

use bridge_ipc::server_process::{ServerCommand, ServerProcess};

/// A spawn the thread should make, and where to send the result.
struct SpawnRequest {
    command: ServerCommand,
    socket: String,
    token: [u8; 16],
    reply: Sender<io::Result<ServerProcess>>,
}

static SPAWNER: OnceLock<Mutex<Sender<SpawnRequest>>> = OnceLock::new();

fn spawner() -> io::Result<&'static Mutex<Sender<SpawnRequest>>> {
    if let Some(sender) = SPAWNER.get() {
        return Ok(sender);
    }
    let (sender, receiver) = mpsc::channel::<SpawnRequest>();
    std::thread::Builder::new()
        .name("vstbridge-spawner".into())
        .spawn(move || {
            for request in receiver {
                let result = ServerProcess::spawn(&request.command, &request.socket, request.token);
                let _ = request.reply.send(result);
            }
        })?;
    // A racing thread may have won; its spawner is as good, ours simply idles.
    Ok(SPAWNER.get_or_init(|| Mutex::new(sender)))
}

/// Starts `command` serving on `socket` from the spawner thread.
pub fn spawn(command: &ServerCommand, socket: &str, token: [u8; 16]) -> io::Result<ServerProcess> {
    let (reply, result) = mpsc::channel();
    let request = SpawnRequest {
        command: command.clone(),
        socket: socket.to_owned(),
        token,
        reply,
    };
    crate::sync::lock(spawner()?)
        .send(request)
        .map_err(|_| io::Error::other("the spawner thread is gone"))?;
    result
        .recv()
        .map_err(|_| io::Error::other("the spawner thread is gone"))?
}
