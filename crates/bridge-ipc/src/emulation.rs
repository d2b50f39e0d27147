//! Plugins for another instruction set: an arm64 (aarch64) plugin in an x86 DAW. The server
//! built for the plugin's architecture (`vstbridge-server-aarch64`) runs under QEMU's
//! user-mode emulator, which translates its instructions and hands its system calls to this
//! kernel. Nothing else changes: the shared audio region is the same memory in both
//! processes, the futex doorbells are futexes on it (the emulator passes the waits and
//! wakes to the kernel), and the control sockets are sockets; only the server's code runs
//! slower. The emulator and the target's C runtime (the libraries the server and the
//! plugin link, found under a system root the emulator is pointed at) are checked before
//! anything starts, each missing piece an error naming what to install.

use std::path::{Path, PathBuf};

use vst2_host::Architecture;

use crate::server_process::{ServerCommand, find_runner};

/// The options for plugins run under an emulator (the `qemu` and `qemu_sysroot` keys).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EmulatorSettings {
    /// The emulator (`None`: `qemu-<arch>` on `PATH`, else `qemu-<arch>-static`).
    pub program: Option<PathBuf>,
    /// The root the target's C runtime is found under (`None`: Debian's cross runtime,
    /// `/usr/<arch>-linux-gnu`, else this system's multiarch one under `/`).
    pub sysroot: Option<PathBuf>,
}

/// Whether a plugin of `arch` needs an emulator here: one of another instruction set than
/// this process's. Both widths of x86 run natively on an x86_64 machine (a 32-bit DAW's
/// proxy starts 64-bit servers as they are).
pub fn needs_emulation(arch: Architecture) -> bool {
    let x86 = |arch| matches!(arch, Architecture::X86 | Architecture::X86_64);
    let current = Architecture::current();
    !(arch == current || (x86(arch) && x86(current)))
}

/// The dynamic loader a program of `arch` asks for, and the Debian triple of its runtime.
fn target(arch: Architecture) -> Option<(&'static str, &'static str)> {
    match arch {
        Architecture::Aarch64 => Some(("ld-linux-aarch64.so.1", "aarch64-linux-gnu")),
        _ => None,
    }
}

/// The command that starts `server` (built for `arch`) under the emulator, checked: the
/// emulator exists and the system root holds the target's dynamic loader. The errors say
/// what to install.
pub fn command(settings: &EmulatorSettings, arch: Architecture, server: &Path) -> Result<ServerCommand, String> {
    let Some((loader, triple)) = target(arch) else {
        return Err(format!(
            "plugins for {} are not supported (only aarch64 ones run under an emulator)",
            arch.describe()
        ));
    };
    let name = format!("qemu-{}", arch.name());
    let static_name = format!("{name}-static");
    let program = find_runner("qemu", settings.program.as_deref(), &[&name, &static_name], || {
        format!(
            "{} plugins run under QEMU's user-mode emulator, and there is no {name} on PATH: install it \
             (Debian and Ubuntu: `sudo apt install qemu-user`), or name it with `qemu = \"/path/to/{name}\"`",
            arch.name()
        )
    })?;
    let cross = PathBuf::from(format!("/usr/{triple}"));
    let sysroot = match &settings.sysroot {
        Some(root) => root.clone(),
        None if cross.join("lib").join(loader).is_file() => cross,
        None => PathBuf::from("/"),
    };
    if !sysroot.join("lib").join(loader).is_file() {
        return Err(format!(
            "no {} C runtime under {} (no lib/{loader}): install one (Debian and Ubuntu: `sudo apt install \
             libc6-{deb}-cross libstdc++6-{deb}-cross`), or name its root with `qemu_sysroot`",
            arch.name(),
            sysroot.display(),
            deb = debian_arch(arch),
        ));
    }
    Ok(ServerCommand {
        program,
        leading_args: vec!["-L".into(), sysroot.into_os_string(), server.as_os_str().to_owned()],
        environment: Vec::new(),
        // The emulator says there what it could not load.
        keep_stderr: true,
        warm_up: None,
    })
}

/// Debian's name for `arch`.
fn debian_arch(arch: Architecture) -> &'static str {
    match arch {
        Architecture::Aarch64 => "arm64",
        Architecture::X86 => "i386",
        Architecture::X86_64 => "amd64",
        _ => "unknown",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_foreign_instruction_sets_are_emulated() {
        assert!(needs_emulation(Architecture::Aarch64));
        assert!(!needs_emulation(Architecture::current()));
        // Either width of x86 runs the other's servers natively (a 32-bit DAW's proxy, the
        // 64-bit server).
        assert!(!needs_emulation(Architecture::X86));
        assert!(!needs_emulation(Architecture::X86_64));
    }

    #[test]
    fn a_missing_emulator_or_runtime_is_an_error_that_says_what_to_install() {
        let server = Path::new("/nowhere/vstbridge-server-aarch64");
        let settings = EmulatorSettings {
            program: Some(PathBuf::from("/nonexistent/qemu-aarch64")),
            sysroot: None,
        };
        let error = command(&settings, Architecture::Aarch64, server).unwrap_err();
        assert!(error.contains("/nonexistent/qemu-aarch64"), "{error}");
        let settings = EmulatorSettings {
            program: Some(std::env::current_exe().unwrap()),
            sysroot: Some(PathBuf::from("/nonexistent-root")),
        };
        let error = command(&settings, Architecture::Aarch64, server).unwrap_err();
        assert!(
            error.contains("/nonexistent-root") && error.contains("libc6-arm64-cross"),
            "{error}"
        );
        let error = command(&EmulatorSettings::default(), Architecture::Arm, server).unwrap_err();
        assert!(error.contains("not supported"), "{error}");
    }
}
