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
    spawn: Box<dyn FnOnce() -> io::Result<ServerProcess> + Send>,
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
                let _ = request.reply.send((request.spawn)());
            }
        })?;
    // A racing thread may have won; its spawner is as good, ours simply idles.
    Ok(SPAWNER.get_or_init(|| Mutex::new(sender)))
}

/// Runs `spawn` on the spawner thread.
fn on_spawner_thread(spawn: Box<dyn FnOnce() -> io::Result<ServerProcess> + Send>) -> io::Result<ServerProcess> {
    let (reply, result) = mpsc::channel();
    crate::sync::lock(spawner()?)
        .send(SpawnRequest { spawn, reply })
        .map_err(|_| io::Error::other("the spawner thread is gone"))?;
    result
        .recv()
        .map_err(|_| io::Error::other("the spawner thread is gone"))?
}

/// Starts `command` serving on `socket` from the spawner thread.
pub fn spawn(command: &ServerCommand, socket: &str, token: [u8; 16]) -> io::Result<ServerProcess> {
    let (command, socket) = (command.clone(), socket.to_owned());
    on_spawner_thread(Box::new(move || ServerProcess::spawn(&command, &socket, token)))
}

/// Starts `command` as the server of the plugin group at `address`, from the spawner thread.
#[cfg(target_os = "linux")]
pub fn spawn_group(command: &ServerCommand, address: &str) -> io::Result<ServerProcess> {
    let (command, address) = (command.clone(), address.to_owned());
    on_spawner_thread(Box::new(move || ServerProcess::spawn_group(&command, &address)))
}
