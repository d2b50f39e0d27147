//! Starting the server process and watching it from the proxy.

use std::io;
use std::path::Path;
use std::process::{Child, Command, Stdio};

use crate::endpoint::{TOKEN_ENV, to_hex};

/// A running server.
#[derive(Debug)]
pub struct ServerProcess {
    child: Child,
}

impl ServerProcess {
    /// Starts `executable` serving on the socket `socket`, handing it `token` through the
    /// environment and this process's id so it can die with us.
    pub fn spawn(executable: &Path, socket: &str, token: [u8; 16]) -> io::Result<Self> {
        let child = Command::new(executable)
            .arg("--socket")
            .arg(socket)
            .arg("--parent-pid")
            .arg(std::process::id().to_string())
            .env(TOKEN_ENV, to_hex(&token))
            .stdin(Stdio::null())
            .spawn()
            .map_err(|error| io::Error::new(error.kind(), format!("cannot start {}: {error}", executable.display())))?;
        // Not fatal: a DAW that runs inside a job of its own may forbid nesting ours, and the
        // server also ends itself when this process ends (`os::die_with_parent`).
        if let Err(error) = crate::os::tie_to_this_process(&child) {
            tracing::warn!("the server is not tied to this process's life: {error}");
        }
        Ok(Self { child })
    }

    /// The server's process id.
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// `Ok` while the server runs; an error describing how it ended otherwise.
    pub fn check_alive(&mut self) -> io::Result<()> {
        match self.child.try_wait()? {
            None => Ok(()),
            Some(status) => Err(io::Error::new(
                io::ErrorKind::BrokenPipe,
                format!("the server exited ({status})"),
            )),
        }
    }

    /// Waits up to `timeout` for the server to exit by itself, then kills it; reaps it
    /// either way so no zombie remains. Returns how it ended (`None`: it could not be
    /// reaped).
    pub fn stop(&mut self, timeout: std::time::Duration) -> Option<std::process::ExitStatus> {
        let deadline = std::time::Instant::now() + timeout;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            if std::time::Instant::now() >= deadline {
                break;
            }
            std::thread::sleep(std::time::Duration::from_micros(500));
        }
        let _ = self.child.kill();
        self.child.wait().ok()
    }
}
