//! `vstbridge probe`: what a plugin is, found out in a sandbox. The plugin is loaded by a
//! server of its own architecture in a separate process (`--describe`) with a time limit,
//! so a plugin that crashes or hangs while loading becomes a report, not a crash.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use bridge_ipc::wine_launch::{WineLaunch, WineSettings, runs_under_wine};
use bridge_proto::description::PluginDescription;
use serde::Serialize;
use vst2_abi::constants::category;
use vst2_abi::effect::{effect_flags, four_char_bytes};
use vst2_host::{Architecture, BinaryInfo};

/// How a probe ended.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Outcome {
    /// The plugin loaded and described itself.
    Ok {
        /// What it said.
        #[serde(flatten)]
        description: Box<PluginDescription>,
    },
    /// The file does not exist.
    NotFound {
        /// Why.
        message: String,
    },
    /// The file is not a VST2 plugin this platform can host.
    NotAPlugin {
        /// Why.
        message: String,
    },
    /// The plugin crashed its sandbox.
    Crashed {
        /// How.
        message: String,
    },
    /// The plugin did not finish loading in time.
    TimedOut {
        /// After how long.
        message: String,
    },
    /// The server could not load it (missing libraries, refused instantiation, …).
    Failed {
        /// The server's message.
        message: String,
    },
}

/// A probe's full report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// The plugin file.
    pub path: PathBuf,
    /// Its architecture, when its header could be read.
    pub architecture: Option<String>,
    /// Whether this (64-bit) host needs the bridge for it.
    pub needs_bridge: bool,
    /// Whether it is a Windows plugin, bridged under Wine.
    pub under_wine: bool,
    /// The outcome.
    #[serde(flatten)]
    pub outcome: Outcome,
}

impl Report {
    /// Whether the probe succeeded.
    pub fn is_ok(&self) -> bool {
        matches!(self.outcome, Outcome::Ok { .. })
    }

    /// A one-word summary for tables.
    pub fn status(&self) -> &'static str {
        match &self.outcome {
            Outcome::Ok { .. } if self.needs_bridge => "needs bridge",
            Outcome::Ok { .. } => "ok",
            Outcome::NotFound { .. } | Outcome::NotAPlugin { .. } => "not a plugin",
            Outcome::Crashed { .. } => "crashed",
            Outcome::TimedOut { .. } => "timed out",
            Outcome::Failed { .. } => "failed",
        }
    }
}

/// Probes `path` with servers from `dist`, giving the plugin `timeout` to load.
pub fn probe(path: &Path, dist: &Path, timeout: Duration) -> Report {
    // A Windows plugin on Linux: probed by the Windows server under Wine.
    let under_wine = BinaryInfo::read(path).is_ok_and(|info| runs_under_wine(info.format));
    let report = |architecture: Option<Architecture>, outcome| Report {
        path: path.to_path_buf(),
        architecture: architecture.map(|a| a.name().to_owned()),
        needs_bridge: under_wine || architecture.is_some_and(|a| a != Architecture::current()),
        under_wine,
        outcome,
    };
    if !path.exists() {
        return report(
            None,
            Outcome::NotFound {
                message: format!("{} does not exist", path.display()),
            },
        );
    }
    if !path.is_file() {
        return report(
            None,
            Outcome::NotAPlugin {
                message: format!("{} is not a file", path.display()),
            },
        );
    }
    let info = match BinaryInfo::read(path) {
        Ok(info) => info,
        Err(error) => {
            return report(
                None,
                Outcome::NotAPlugin {
                    message: error.to_string(),
                },
            );
        }
    };
    let arch = info.architecture;
    let emulated = cfg!(target_os = "linux") && arch == Architecture::Aarch64 && !under_wine;
    if (info.format != vst2_host::BinaryFormat::native() && !under_wine)
        || !(matches!(arch, Architecture::X86 | Architecture::X86_64) || emulated)
    {
        let message = format!(
            "a {} binary for {}, which this platform's servers cannot load",
            info.format,
            arch.describe()
        );
        return report(Some(arch), Outcome::NotAPlugin { message });
    }
    if under_wine {
        let name = format!("vstbridge-server-{}.exe", arch.name());
        let server = dist.join(format!("windows-{}", arch.name())).join(&name);
        if !server.is_file() {
            let message = format!("no Windows server for {} plugins at {}", arch.name(), server.display());
            return report(Some(arch), Outcome::Failed { message });
        }
        // Wine from PATH and the prefix of WINEPREFIX or ~/.wine, checked as the proxy checks them.
        let wine = match WineLaunch::resolve(&WineSettings::default(), arch) {
            Ok(wine) => wine,
            Err(message) => return report(Some(arch), Outcome::Failed { message }),
        };
        let mut command = wine.command(&server).process();
        command.arg("--describe").arg(path);
        return report(Some(arch), describe_in_sandbox(command, timeout));
    }
    let server = dist.join(format!(
        "vstbridge-server-{}{}",
        arch.name(),
        std::env::consts::EXE_SUFFIX
    ));
    if !server.is_file() {
        let message = format!("no server for {} plugins at {}", arch.name(), server.display());
        return report(Some(arch), Outcome::Failed { message });
    }
    // An arm64 plugin's server runs under the emulator, found as the proxy finds it.
    let mut command = if bridge_ipc::emulation::needs_emulation(arch) {
        match bridge_ipc::emulation::command(&Default::default(), arch, &server) {
            Ok(emulator) => emulator.process(),
            Err(message) => return report(Some(arch), Outcome::Failed { message }),
        }
    } else {
        Command::new(&server)
    };
    command.arg("--describe").arg(path);
    report(Some(arch), describe_in_sandbox(command, timeout))
}

/// Runs `command` (a server with `--describe PLUGIN`) within `timeout` and reads its report.
fn describe_in_sandbox(mut command: Command, timeout: Duration) -> Outcome {
    let program = command.get_program().to_owned();
    let mut child = match command
        .env("VSTBRIDGE_LOG", "error")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    {
        Ok(child) => child,
        Err(error) => {
            return Outcome::Failed {
                message: format!("cannot start {}: {error}", Path::new(&program).display()),
            };
        }
    };
    let started = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if started.elapsed() >= timeout => {
                let _ = child.kill();
                let _ = child.wait();
                return Outcome::TimedOut {
                    message: format!("the plugin did not load within {timeout:?}"),
                };
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            Err(error) => {
                return Outcome::Failed {
                    message: error.to_string(),
                };
            }
        }
    }
    let output = match child.wait_with_output() {
        Ok(output) => output,
        Err(error) => {
            return Outcome::Failed {
                message: error.to_string(),
            };
        }
    };
    if let Some(how) = crash_of(&output.status) {
        return Outcome::Crashed {
            message: format!("the plugin crashed its sandbox ({how})"),
        };
    }
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let message = stderr
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("the server failed")
            .trim();
        let message = message
            .split_once("vstbridge_server: ")
            .map_or(message, |(_, m)| m)
            .to_owned();
        if message.contains("exports no VST2 entry point") {
            return Outcome::NotAPlugin { message };
        }
        return Outcome::Failed { message };
    }
    match serde_json::from_slice::<PluginDescription>(&output.stdout) {
        Ok(description) => Outcome::Ok {
            description: Box::new(description),
        },
        Err(error) => Outcome::Failed {
            message: format!("unreadable description: {error}"),
        },
    }
}

/// The report as text for people.
pub fn render_text(report: &Report) -> String {
    let mut text = format!("{}\n", report.path.display());
    let line = |text: &mut String, key: &str, value: String| text.push_str(&format!("  {key:<14}{value}\n"));
    if let Some(arch) = &report.architecture {
        let bridge = if report.under_wine {
            " (a Windows plugin: bridged under Wine)"
        } else if report.needs_bridge {
            " (needs the bridge in this 64-bit host)"
        } else {
            ""
        };
        line(&mut text, "architecture", format!("{arch}{bridge}"));
    }
    match &report.outcome {
        Outcome::Ok { description: d } => {
            let code = four_char_bytes(d.unique_id);
            let printable = code.iter().all(|b| b.is_ascii_graphic());
            let fourcc = if printable {
                format!(" '{}'", String::from_utf8_lossy(&code))
            } else {
                String::new()
            };
            let flags: Vec<&str> = effect_flags::NAMES
                .iter()
                .filter(|(bit, _)| d.flags & bit != 0)
                .map(|(_, name)| *name)
                .collect();
            line(&mut text, "entry point", d.entry_point.clone());
            line(&mut text, "name", d.name.clone());
            line(&mut text, "vendor", d.vendor.clone());
            line(&mut text, "product", d.product.clone());
            line(
                &mut text,
                "version",
                format!("{} (VST {})", d.vendor_version, d.vst_version),
            );
            line(&mut text, "unique ID", format!("{}{fourcc}", d.unique_id));
            line(&mut text, "category", category::name(d.category).to_owned());
            line(&mut text, "I/O", format!("{} in, {} out", d.inputs, d.outputs));
            line(&mut text, "flags", format!("{:#x} {}", d.flags, flags.join(" ")));
            line(&mut text, "latency", format!("{} samples", d.latency));
            let editor = match d.editor {
                None => "none".to_owned(),
                Some((0, 0)) => "yes (size unknown: it says once it opens, or no display was reachable)".to_owned(),
                Some((width, height)) => format!("{width} × {height} pixels"),
            };
            line(&mut text, "editor", editor);
            line(
                &mut text,
                "programs",
                format!("{}: {}", d.programs.len(), d.programs.join(", ")),
            );
            line(&mut text, "parameters", d.parameters.len().to_string());
            for p in &d.parameters {
                text.push_str(&format!(
                    "    {:>3} {:<20} {:>10} {:<6} (default {:.3})\n",
                    p.index, p.name, p.display, p.label, p.default
                ));
            }
            let can: Vec<String> = d.can_do.iter().map(|(f, a)| format!("{f}={a}")).collect();
            line(&mut text, "canDo", can.join(" "));
        }
        other => {
            let message = match other {
                Outcome::NotFound { message }
                | Outcome::NotAPlugin { message }
                | Outcome::Crashed { message }
                | Outcome::TimedOut { message }
                | Outcome::Failed { message } => message,
                Outcome::Ok { .. } => unreachable!(),
            };
            line(&mut text, "error", format!("{}: {message}", report.status()));
        }
    }
    text
}

/// How a process that crashed ended: the signal that killed it.
#[cfg(unix)]
fn crash_of(status: &std::process::ExitStatus) -> Option<String> {
    std::os::unix::process::ExitStatusExt::signal(status).map(|signal| format!("signal {signal}"))
}

/// How a process that crashed ended: the exception code it ended with (an NTSTATUS error,
/// such as 0xC0000005 for an access violation), or abort()'s exit code 3.
#[cfg(windows)]
fn crash_of(status: &std::process::ExitStatus) -> Option<String> {
    let code = status.code()? as u32;
    if code >= 0xC000_0000 {
        Some(format!("exception {code:#010X}"))
    } else if code == 3 {
        Some("abort".to_owned())
    } else {
        None
    }
}
