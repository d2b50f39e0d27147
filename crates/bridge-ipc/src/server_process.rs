//! Starting the server process and watching it from the proxy.

use std::collections::VecDeque;
use std::ffi::OsString;
use std::io::{self, BufRead};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, PoisonError};

use crate::endpoint::{TOKEN_ENV, to_hex};

/// How to start a server: the program and what comes before the arguments every server
/// takes (`--socket`, `--parent-pid`).
#[derive(Debug, Clone, PartialEq)]
pub struct ServerCommand {
    /// The program: the server itself, or what runs it (`wine`).
    pub program: PathBuf,
    /// Arguments before the server's own (under Wine: the server .exe and its mode).
    pub leading_args: Vec<OsString>,
    /// Extra environment.
    pub environment: Vec<(OsString, OsString)>,
    /// Keep the last lines the process writes to stderr, for the error when it ends early
    /// (Wine explains there what it lacks); they are also logged.
    pub keep_stderr: bool,
    /// A program run first (with the same environment, waited for at most
    /// [`WARM_UP_PATIENCE`]); under Wine, the one that keeps a wineserver warm.
    pub warm_up: Option<(PathBuf, Vec<OsString>)>,
}

/// The program a server runs under (`wine`, `qemu-aarch64`): the one the option `key`
/// names, which must be a file, else the first of `names` on `PATH`; `missing` says what to
/// install when there is none.
pub(crate) fn find_runner(
    key: &str,
    configured: Option<&Path>,
    names: &[&str],
    missing: impl FnOnce() -> String,
) -> Result<PathBuf, String> {
    match configured {
        Some(program) if program.is_file() => Ok(program.to_path_buf()),
        Some(program) => Err(format!(
            "the `{key}` option names {}, which is not a file: point it at {}",
            program.display(),
            names.first().copied().unwrap_or(key)
        )),
        None => names.iter().find_map(|name| on_path(name)).ok_or_else(missing),
    }
}

/// The first `name` on `PATH` that is a file.
pub(crate) fn on_path(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(name))
        .find(|path| path.is_file())
}

/// The longest a [`ServerCommand::warm_up`] program may take before the server starts anyway.
pub const WARM_UP_PATIENCE: std::time::Duration = std::time::Duration::from_secs(2);

impl ServerCommand {
    /// A server executable of this system, run as it is.
    pub fn native(executable: &Path) -> Self {
        Self {
            program: executable.to_path_buf(),
            leading_args: Vec::new(),
            environment: Vec::new(),
            keep_stderr: false,
            warm_up: None,
        }
    }

    /// The command without the server's own arguments: the program, the leading arguments
    /// and the environment (what `vstbridge probe` adds `--describe` to).
    pub fn process(&self) -> Command {
        let mut process = Command::new(&self.program);
        process
            .args(&self.leading_args)
            .envs(self.environment.iter().map(|(name, value)| (name, value)));
        process
    }

    /// Runs the warm-up program, if any, for up to [`WARM_UP_PATIENCE`]; what it reports
    /// is only logged (the server may start without it).
    fn warm_up(&self) {
        let Some((program, args)) = &self.warm_up else { return };
        let started = Command::new(program)
            .args(args)
            .envs(self.environment.iter().map(|(name, value)| (name, value)))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        let mut child = match started {
            Ok(child) => child,
            Err(error) => {
                tracing::debug!("cannot run {}: {error}", program.display());
                return;
            }
        };
        let deadline = std::time::Instant::now() + WARM_UP_PATIENCE;
        loop {
            match child.try_wait() {
                Ok(Some(status)) => {
                    tracing::debug!("{} ended ({status})", program.display());
                    return;
                }
                Ok(None) if std::time::Instant::now() < deadline => {
                    std::thread::sleep(std::time::Duration::from_millis(2));
                }
                _ => {
                    tracing::debug!("{} is still running; starting the server anyway", program.display());
                    // Reaped whenever it ends, so it leaves no zombie.
                    let _ = std::thread::Builder::new()
                        .name("vstbridge-warm-up-reaper".into())
                        .spawn(move || child.wait());
                    return;
                }
            }
        }
    }
}

/// How many of its last stderr lines a server's error quotes.
const STDERR_LINES: usize = 6;

/// A running server.
#[derive(Debug)]
pub struct ServerProcess {
    child: Child,
    stderr: Option<Arc<Mutex<VecDeque<String>>>>,
}

impl ServerProcess {
    /// Starts `command` serving on the socket `socket`, handing it `token` through the
    /// environment and this process's id so it can die with us.
    pub fn spawn(command: &ServerCommand, socket: &str, token: [u8; 16]) -> io::Result<Self> {
        let mut process = command.process();
        process.arg("--socket").arg(socket).env(TOKEN_ENV, to_hex(&token));
        Self::start(command, process)
    }

    /// Starts `command` as the server of a plugin group, listening on `group_address` for
    /// this process's requests for instances (no token: it takes requests from this
    /// process only, which the kernel names).
    pub fn spawn_group(command: &ServerCommand, group_address: &str) -> io::Result<Self> {
        let mut process = command.process();
        process.arg("--group").arg(group_address);
        Self::start(command, process)
    }

    fn start(command: &ServerCommand, mut process: std::process::Command) -> io::Result<Self> {
        command.warm_up();
        process
            .arg("--parent-pid")
            .arg(std::process::id().to_string())
            .stdin(Stdio::null());
        if command.keep_stderr {
            process.stderr(Stdio::piped());
        }
        #[cfg(target_os = "linux")]
        {
            use std::os::unix::process::CommandExt;
            // SAFETY: prctl is async-signal-safe and touches only the child. The death
            // signal survives exec, so a server that cannot ask for it itself (a Windows
            // program under Wine) ends with the thread that spawned it, like the others.
            unsafe {
                process.pre_exec(|| {
                    if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) == 0 {
                        Ok(())
                    } else {
                        Err(io::Error::last_os_error())
                    }
                });
            }
        }
        let mut child = process.spawn().map_err(|error| {
            io::Error::new(
                error.kind(),
                format!("cannot start {}: {error}", command.program.display()),
            )
        })?;
        let stderr = child.stderr.take().map(|pipe| {
            let lines = Arc::new(Mutex::new(VecDeque::new()));
            let kept = lines.clone();
            let spawned = std::thread::Builder::new()
                .name("vstbridge-server-stderr".into())
                .spawn(move || {
                    for line in io::BufReader::new(pipe).lines().map_while(Result::ok) {
                        tracing::debug!(target: "server_stderr", "{line}");
                        let mut kept = kept.lock().unwrap_or_else(PoisonError::into_inner);
                        if kept.len() == STDERR_LINES {
                            kept.pop_front();
                        }
                        kept.push_back(line);
                    }
                });
            if let Err(error) = spawned {
                tracing::warn!("cannot read the server's stderr: {error}");
            }
            lines
        });
        // Not fatal: a DAW that runs inside a job of its own may forbid nesting ours, and the
        // server also ends itself when this process ends (`os::die_with_parent`).
        if let Err(error) = crate::os::tie_to_this_process(&child) {
            tracing::warn!("the server is not tied to this process's life: {error}");
        }
        Ok(Self { child, stderr })
    }

    /// The server's process id.
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// `Ok` while the server runs; an error describing how it ended otherwise.
    pub fn check_alive(&mut self) -> io::Result<()> {
        match self.child.try_wait()? {
            None => Ok(()),
            Some(status) => {
                let said = self
                    .stderr
                    .as_ref()
                    .map(|lines| {
                        // The reader may still be taking the last lines off the pipe.
                        std::thread::sleep(std::time::Duration::from_millis(20));
                        let lines = lines.lock().unwrap_or_else(PoisonError::into_inner);
                        lines.iter().cloned().collect::<Vec<_>>().join(" / ")
                    })
                    .filter(|said| !said.is_empty())
                    .map_or(String::new(), |said| format!("; it said: {said}"));
                Err(io::Error::new(
                    io::ErrorKind::BrokenPipe,
                    format!("the server exited ({status}){said}"),
                ))
            }
        }
    }

    /// How the server ended, if it has (reaping it).
    pub fn exit_code(&mut self) -> Option<i32> {
        self.child.try_wait().ok().flatten().and_then(|status| status.code())
    }

    /// Waits for the server to end by itself, however long that takes, and reaps it.
    pub fn wait(mut self) {
        let _ = self.child.wait();
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
