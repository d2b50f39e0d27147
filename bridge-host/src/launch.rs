//! What is bridged and how its server starts: the plugin file checked before anything runs
//! (a file, a binary of an architecture and format a server can load, not a proxy itself)
//! and the command that starts its server (itself, or under Wine for a Windows plugin on
//! Linux). Each refusal is a message for the log.

use std::path::Path;

use bridge_ipc::server_process::ServerCommand;
use vst2_host::{Architecture, BinaryFormat, BinaryInfo};

use crate::config::BridgeConfig;

/// The symbol every vstbridge proxy exports (`ffi::VSTBRIDGE_PROXY_MARKER`): a target that
/// exports it is a proxy, which a proxy never bridges to.
pub const PROXY_MARKER_SYMBOL: &str = "VSTBRIDGE_PROXY_MARKER";

/// How to start a server for the plugin: the server itself; for a Windows plugin on Linux,
/// Wine running the Windows server (with Wine and its prefix checked first); for a plugin of
/// another instruction set, the emulator running the server built for it (with the emulator
/// and the target's C runtime checked first).
pub(crate) fn server_command(
    config: &BridgeConfig,
    arch: Architecture,
    under_wine: bool,
    server_exe: &Path,
) -> Result<ServerCommand, String> {
    if under_wine {
        let wine = bridge_ipc::wine_launch::WineLaunch::resolve(&config.wine, arch)?;
        return Ok(wine.command(server_exe));
    }
    if bridge_ipc::emulation::needs_emulation(arch) {
        return bridge_ipc::emulation::command(&config.emulator, arch, server_exe);
    }
    Ok(ServerCommand::native(server_exe))
}

/// The plugin's architecture and binary format: native ones, and on Linux Windows ones (run
/// under Wine); anything else is refused with the reason.
pub(crate) fn plugin_architecture(config: &BridgeConfig) -> Result<(Architecture, BinaryFormat), String> {
    let path = &config.plugin;
    if !path.is_file() {
        return Err(format!(
            "plugin not found: {} does not exist or is not a file",
            path.display()
        ));
    }
    let info = BinaryInfo::read(path).map_err(|error| error.to_string())?;
    if BinaryInfo::exports_symbol(path, PROXY_MARKER_SYMBOL).unwrap_or(false) {
        return Err(format!(
            "{} is itself a vstbridge proxy: a proxy never bridges to a proxy (that would be a chain or, \
             through two sidecars naming each other, a loop); point the sidecar's `plugin` at the real plugin",
            path.display()
        ));
    }
    if info.format != BinaryFormat::native() && !bridge_ipc::wine_launch::runs_under_wine(info.format) {
        return Err(format!(
            "{} is a {} binary, which this platform's servers cannot load",
            path.display(),
            info.format
        ));
    }
    match info.architecture {
        Architecture::X86 | Architecture::X86_64 => Ok((info.architecture, info.format)),
        // Under an emulator (`bridge_ipc::emulation`), a Linux plugin only.
        Architecture::Aarch64 if cfg!(target_os = "linux") && info.format == BinaryFormat::native() => {
            Ok((info.architecture, info.format))
        }
        other => Err(format!(
            "{}: plugins for {} are not supported",
            path.display(),
            other.describe()
        )),
    }
}
