//! The vstbridge server (`vstbridge-server-<arch>`): runs one real plugin in its own process,
//! built for the plugin's architecture, and serves the proxy that started it.
//!
//! Threads:
//! - the **main thread** serves the proxy's main connection: it loads the plugin (answering
//!   the plugin's entry-point callbacks through that connection) and then mirrors the host
//!   thread that created the instance;
//! - the **accept thread** takes further connections: each `Thread` connection gets its own
//!   mirror thread, the `Callbacks` connection is kept for plugin-owned threads;
//! - the **audio thread** serves blocks from the shared-memory region once attached.
//!
//! The server exits when the main connection closes (the proxy closed the instance or its
//! process died), and with its parent process (`PR_SET_PDEATHSIG`).
//!
//! The Windows build also serves a *Linux* proxy from under Wine (`--linux-proxy`): then
//! `--socket` is the path of the proxy's rendezvous pipe, `--parent-pid` its Linux process
//! id, and every path the proxy sends is a Linux path (see `bridge_ipc::os`'s `wine`).
//!
//! With `--group NAME` it is a plugin group's server instead: it makes an instance's server
//! in its own process for each request of the DAW process's (see `group`).
//!
//! `vstbridge-server-<arch> --describe PLUGIN` loads a plugin without a proxy and prints
//! what it is (a smoke test for each architecture's build).

mod accept;
mod audio;
mod dispatch;
mod editor_idle;
mod fields;
mod forward;
#[cfg(target_os = "linux")]
mod group;
mod route;
mod server;
#[cfg(windows)]
mod wine_editor;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use bridge_ipc::endpoint::{self, TOKEN_ENV, token_from_hex};
use vst2_host::{Architecture, DefaultHost, Plugin};

use crate::server::Server;

#[global_allocator]
static ALLOCATOR: bridge_ipc::allocations::CountingAllocator = bridge_ipc::allocations::CountingAllocator;

/// What the command line asks for.
enum Mode {
    Serve {
        socket: String,
        parent_pid: u32,
        linux_proxy: Option<LinuxProxyOptions>,
    },
    Describe {
        plugin: PathBuf,
        /// Under Wine for a Linux command: the path is a Linux one.
        linux_proxy: Option<LinuxProxyOptions>,
    },
    /// A plugin group's server (see `group`).
    Group { address: String, parent_pid: u32 },
}

/// How a Windows server under Wine serves a Linux proxy.
#[derive(Debug, Clone)]
struct LinuxProxyOptions {
    /// The doorbell wake asked for (`--doorbell auto|pipe|futex`).
    doorbell: String,
}

fn parse_args() -> Result<Mode> {
    let mut args = std::env::args_os().skip(1);
    let mut socket = None;
    let mut parent_pid = None;
    let mut linux_proxy = None;
    let mut group = None;
    while let Some(arg) = args.next() {
        match arg.to_str() {
            Some("--linux-proxy") => {
                linux_proxy = Some(LinuxProxyOptions {
                    doorbell: "auto".into(),
                })
            }
            Some("--doorbell") => {
                let word = args.next().and_then(|word| word.into_string().ok());
                let options = linux_proxy.as_mut().context("--doorbell follows --linux-proxy")?;
                options.doorbell = word.context("--doorbell needs auto, pipe or futex")?;
            }
            Some("--socket") => socket = args.next().and_then(|name| name.into_string().ok()),
            Some("--group") => group = args.next().and_then(|name| name.into_string().ok()),
            Some("--parent-pid") => {
                parent_pid = Some(
                    args.next()
                        .and_then(|v| v.to_str()?.parse().ok())
                        .context("--parent-pid needs a number")?,
                )
            }
            Some("--describe") => {
                return Ok(Mode::Describe {
                    plugin: args.next().map(PathBuf::from).context("--describe needs a plugin")?,
                    linux_proxy,
                });
            }
            _ => bail!("unexpected argument {arg:?}"),
        }
    }
    match (socket, parent_pid, group) {
        (None, Some(parent_pid), Some(address)) => Ok(Mode::Group { address, parent_pid }),
        (Some(socket), Some(parent_pid), None) => Ok(Mode::Serve {
            socket,
            parent_pid,
            linux_proxy,
        }),
        _ => bail!(
            "usage: vstbridge-server-{arch} --socket PATH --parent-pid PID   (started by the proxy)\n       vstbridge-server-{arch} --group NAME --parent-pid PID   (a plugin group's, started by the proxy)\n       vstbridge-server-{arch} [--linux-proxy] --describe PLUGIN",
            arch = Architecture::current()
        ),
    }
}

fn main() -> ExitCode {
    bridge_ipc::logging::init(&format!("server-{}", Architecture::current()));
    let result = parse_args().and_then(|mode| match mode {
        Mode::Serve {
            socket,
            parent_pid,
            linux_proxy,
        } => serve(&socket, parent_pid, linux_proxy),
        Mode::Group { address, parent_pid } => {
            follow_parent(parent_pid)?;
            #[cfg(target_os = "linux")]
            {
                group::serve(&address, parent_pid)
            }
            #[cfg(not(target_os = "linux"))]
            bail!("plugin groups ({address}) are served on Linux only")
        }
        Mode::Describe { plugin, linux_proxy } => {
            // Under Wine for a Linux command, the plugin's path is a Linux one.
            let local = match &linux_proxy {
                Some(options) => serve_linux_proxy(options).and_then(|()| {
                    bridge_ipc::os::local_path(&plugin.to_string_lossy()).context("cannot reach the plugin")
                }),
                None => Ok(plugin),
            };
            local.and_then(|plugin| describe(&plugin))
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!("{error:#}");
            ExitCode::FAILURE
        }
    }
}

fn serve(socket: &str, parent_pid: u32, linux_proxy: Option<LinuxProxyOptions>) -> Result<()> {
    if let Some(options) = &linux_proxy {
        serve_linux_proxy(options)?;
    }
    let token = std::env::var(TOKEN_ENV)
        .ok()
        .and_then(|text| token_from_hex(&text))
        .context("no valid token in the environment")?;
    // The token leaves the environment at once: whatever the plugin starts would inherit it.
    // SAFETY: no other thread of this process exists yet that could read the environment
    // (the parent watch and the listener start below).
    unsafe { std::env::remove_var(TOKEN_ENV) };
    follow_parent(parent_pid)?;
    let listener = endpoint::listen(socket).with_context(|| format!("cannot listen on {socket}"))?;
    tracing::debug!(socket, "server listening");
    Server::new(token).run(listener, socket)
}

/// Ends this process with its parent, the DAW's.
fn follow_parent(parent_pid: u32) -> Result<()> {
    bridge_ipc::os::die_with_parent(parent_pid).context("cannot follow the parent process")?;
    watch_parent(parent_pid);
    Ok(())
}

/// Puts the OS layer in the mode that serves a Linux proxy from under Wine.
#[cfg(windows)]
fn serve_linux_proxy(options: &LinuxProxyOptions) -> Result<()> {
    let choice = bridge_proto::wine::WineDoorbell::from_word(&options.doorbell)
        .with_context(|| format!("--doorbell {:?}: it must be auto, pipe or futex", options.doorbell))?;
    let (mode, wine) = bridge_ipc::os::serve_linux_proxy(choice)?;
    tracing::info!(wine, futex = mode.futex, "serving a Linux proxy under Wine");
    Ok(())
}

/// Only the Windows build runs under Wine.
#[cfg(not(windows))]
fn serve_linux_proxy(options: &LinuxProxyOptions) -> Result<()> {
    bail!(
        "only the Windows server, run under Wine, serves a Linux proxy across systems (asked for {} doorbells)",
        options.doorbell
    )
}

/// How often the server checks that its host process still exists.
const PARENT_CHECK_INTERVAL: std::time::Duration = std::time::Duration::from_millis(250);

/// A watchdog for when the parent-death signal does not fire (it follows the spawning
/// *thread*, and some systems do not deliver it): exits as soon as the host is gone.
fn watch_parent(parent_pid: u32) {
    let spawned = std::thread::Builder::new()
        .name("vstbridge-parent-watch".into())
        .spawn(move || {
            loop {
                std::thread::sleep(PARENT_CHECK_INTERVAL);
                if !bridge_ipc::os::parent_is(parent_pid) {
                    tracing::info!(parent_pid, "the host process is gone; exiting");
                    std::process::exit(0);
                }
            }
        });
    if let Err(error) = spawned {
        tracing::warn!("cannot start the parent watchdog: {error}");
    }
}

/// Loads a plugin, asks it everything `vstbridge probe` shows, and prints it as JSON.
fn describe(path: &std::path::Path) -> Result<()> {
    use bridge_proto::description::{ParameterDescription, PluginDescription};
    use vst2_host::CanDo;
    let plugin = Plugin::load(path, Arc::new(DefaultHost))?;
    plugin.open();
    let info = plugin.info();
    let features = [
        "sendVstEvents",
        "sendVstMidiEvent",
        "receiveVstEvents",
        "receiveVstMidiEvent",
        "receiveVstTimeInfo",
        "offline",
        "midiProgramNames",
        "bypass",
        "receiveVstSysexEvent",
    ];
    let description = PluginDescription {
        entry_point: plugin.entry_point().to_owned(),
        name: plugin.effect_name(),
        vendor: plugin.vendor_string(),
        product: plugin.product_string(),
        vendor_version: plugin.vendor_version(),
        vst_version: plugin.vst_version(),
        unique_id: info.unique_id,
        version: info.version,
        category: plugin.category(),
        inputs: info.num_inputs,
        outputs: info.num_outputs,
        flags: info.flags,
        latency: info.initial_delay,
        programs: (0..info.num_programs.clamp(0, 1024))
            .map(|index| plugin.program_name_indexed(index).unwrap_or_default())
            .collect(),
        parameters: (0..info.num_params.clamp(0, 4096))
            .map(|index| ParameterDescription {
                index,
                name: plugin.parameter_name(index),
                label: plugin.parameter_label(index),
                display: plugin.parameter_display(index),
                default: plugin.parameter(index),
            })
            .collect(),
        // Some editors (dpf's) make their window to learn their size, which crashes without
        // a display: the size is asked for only where one is reachable.
        editor: (info.flags & vst2_abi::effect::effect_flags::HAS_EDITOR != 0).then(|| {
            let display = !cfg!(target_os = "linux") || std::env::var_os("DISPLAY").is_some_and(|d| !d.is_empty());
            let rect = if display { plugin.editor_rect() } else { None };
            rect.map_or((0, 0), |rect| {
                (
                    i32::from(rect.right) - i32::from(rect.left),
                    i32::from(rect.bottom) - i32::from(rect.top),
                )
            })
        }),
        can_do: features
            .iter()
            .map(|feature| {
                let answer = match plugin.can_do(feature) {
                    CanDo::Yes => "yes",
                    CanDo::No => "no",
                    CanDo::Unknown => "unknown",
                };
                ((*feature).to_owned(), answer.to_owned())
            })
            .collect(),
    };
    println!("{}", serde_json::to_string(&description)?);
    Ok(())
}
