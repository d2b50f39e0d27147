//! Windows plugins on Linux: whether a plugin runs under Wine, finding Wine and the prefix
//! to run in, checking both before anything starts (each missing piece is an error naming
//! what to install or run), and the command that starts a Windows server under Wine (for the
//! proxy, and for `vstbridge probe`).
//!
//! The server is a plain Windows program (no winelib), so any Wine that runs Windows
//! programs runs it; how it then talks to the proxy is [`crate::os`]'s business.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use bridge_proto::wine::WineDoorbell;
use vst2_host::{Architecture, BinaryFormat};

use crate::server_process::{ServerCommand, find_runner, on_path};

/// Whether a plugin of `format` runs under Wine here: Windows DLLs on Linux.
pub fn runs_under_wine(format: BinaryFormat) -> bool {
    cfg!(target_os = "linux") && format == BinaryFormat::Pe
}

/// The options for Windows plugins bridged under Wine (the `wine`, `wine_prefix` and
/// `wine_doorbell` keys of a sidecar or the global config).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WineSettings {
    /// The `wine` program (`None`: `wine` on `PATH`).
    pub program: Option<PathBuf>,
    /// The Wine prefix (`None`: `WINEPREFIX`, else `~/.wine`).
    pub prefix: Option<PathBuf>,
    /// How the server's doorbells wake.
    pub doorbell: WineDoorbell,
}

/// How long a wineserver we start stays up after its last program ends: a restart after a
/// crash, or the next Windows plugin added a little later, starts warm (about 0.1 s instead
/// of 0.6 s here), and it still ends on its own soon after the DAW.
pub const KEEP_WARM_SECONDS: u32 = 10;

/// How to start Windows servers under Wine, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct WineLaunch {
    /// The `wine` program.
    pub program: PathBuf,
    /// The prefix (`WINEPREFIX`).
    pub prefix: PathBuf,
    /// How the server's doorbells wake.
    pub doorbell: WineDoorbell,
}

impl WineLaunch {
    /// Finds Wine and the prefix for a plugin built for `arch`, and checks the prefix can
    /// run it. The errors say what to install or run.
    pub fn resolve(settings: &WineSettings, arch: Architecture) -> Result<Self, String> {
        let program = find_runner("wine", settings.program.as_deref(), &["wine"], || {
            "Windows plugins run under Wine, and there is no `wine` on PATH: install Wine \
             (Debian and Ubuntu: `sudo apt install wine wine64`, and for 32-bit plugins \
             `sudo dpkg --add-architecture i386 && sudo apt install wine32:i386`) or name it \
             with `wine = \"/path/to/wine\"` in the sidecar"
                .to_owned()
        })?;
        let prefix = settings
            .prefix
            .clone()
            .or_else(|| {
                std::env::var_os("WINEPREFIX")
                    .filter(|v| !v.is_empty())
                    .map(PathBuf::from)
            })
            .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".wine")))
            .ok_or_else(|| "no Wine prefix: set `wine_prefix` in the sidecar or WINEPREFIX".to_owned())?;
        check_prefix(&prefix, arch)?;
        check_descriptors_reachable()?;
        Ok(Self {
            program,
            prefix,
            doorbell: settings.doorbell,
        })
    }

    /// The command that starts `server` (a Windows server .exe) under this Wine.
    pub fn command(&self, server: &Path) -> ServerCommand {
        let mut environment = vec![(OsString::from("WINEPREFIX"), self.prefix.clone().into_os_string())];
        // Quiet by default, and never a dialog: Wine offers to install Mono and Gecko when
        // it updates a prefix, which a DAW loading a plugin must not wait on.
        for (name, default) in [("WINEDEBUG", "-all"), ("WINEDLLOVERRIDES", "mscoree,mshtml=")] {
            if std::env::var_os(name).is_none() {
                environment.push((name.into(), default.into()));
            }
        }
        ServerCommand {
            program: self.program.clone(),
            leading_args: vec![
                server.as_os_str().to_owned(),
                "--linux-proxy".into(),
                "--doorbell".into(),
                self.doorbell.word().into(),
            ],
            environment,
            keep_stderr: true,
            warm_up: self
                .wineserver()
                .map(|wineserver| (wineserver, vec![format!("-p{KEEP_WARM_SECONDS}").into()])),
        }
    }

    /// The `wineserver` of this Wine (beside `wine`, else on `PATH`). Started with a
    /// persistence before each server, it keeps the prefix's wineserver warm; when one
    /// already runs (ours, or the user's own Wine programs'), it changes nothing and exits.
    fn wineserver(&self) -> Option<PathBuf> {
        self.program
            .parent()
            .map(|dir| dir.join("wineserver"))
            .filter(|path| path.is_file())
            .or_else(|| on_path("wineserver"))
    }
}

/// Checks that a Windows server can open this process's descriptors through `/proc`, which
/// it opens every pipe and the shared memory by: the kernel lets the same user do that
/// only while the process is dumpable, and a DAW given file capabilities (for realtime
/// scheduling, say) or one that made itself undumpable is not.
fn check_descriptors_reachable() -> Result<(), String> {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: PR_GET_DUMPABLE takes no further arguments and only reports.
        if unsafe { libc::prctl(libc::PR_GET_DUMPABLE) } != 1 {
            return Err(
                "this DAW process is not dumpable (it runs with file capabilities or set \
                        PR_SET_DUMPABLE to 0), so a Windows server under Wine cannot open the pipes and \
                        memory it shares through /proc: Windows plugins cannot be bridged in it"
                    .to_owned(),
            );
        }
    }
    Ok(())
}

/// Checks `prefix` is an initialised Wine prefix that runs programs of `arch`.
fn check_prefix(prefix: &Path, arch: Architecture) -> Result<(), String> {
    let registry = prefix.join("system.reg");
    // The header is in the first lines; the file itself runs to megabytes.
    let mut head = [0u8; 1024];
    let text = std::fs::File::open(&registry)
        .and_then(|mut file| {
            let read = std::io::Read::read(&mut file, &mut head)?;
            Ok(String::from_utf8_lossy(&head[..read]).into_owned())
        })
        .map_err(|_| {
        format!(
            "the Wine prefix {} is not initialised (it has no system.reg): run `WINEPREFIX={} wineboot --init` once, \
             or name another prefix with `wine_prefix` in the sidecar",
            prefix.display(),
            prefix.display()
        )
    })?;
    // The registry's header says which Windows the prefix is: a 32-bit one cannot run a
    // 64-bit program, and a 64-bit one runs 32-bit programs only if it has its WoW64 half.
    let win32_only = text.lines().take(8).any(|line| line.trim() == "#arch=win32");
    match arch {
        Architecture::X86_64 if win32_only => Err(format!(
            "the Wine prefix {} is 32-bit and cannot run this 64-bit plugin: use a 64-bit prefix \
             (`wine_prefix` in the sidecar)",
            prefix.display()
        )),
        Architecture::X86 if !win32_only && !prefix.join("drive_c/windows/syswow64").is_dir() => Err(format!(
            "the Wine prefix {} has no 32-bit part (no drive_c/windows/syswow64), so it cannot run this \
             32-bit plugin: install 32-bit Wine (Debian: `wine32:i386`) and run `WINEPREFIX={} wineboot --update`",
            prefix.display(),
            prefix.display()
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prefix_with(name: &str, header: &str, syswow64: bool) -> PathBuf {
        let prefix = std::env::temp_dir().join(format!("vstbridge-wine-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&prefix);
        std::fs::create_dir_all(prefix.join("drive_c/windows/system32")).unwrap();
        if syswow64 {
            std::fs::create_dir_all(prefix.join("drive_c/windows/syswow64")).unwrap();
        }
        std::fs::write(
            prefix.join("system.reg"),
            format!("WINE REGISTRY Version 2\n;; All keys relative to \\\\Machine\n\n{header}\n"),
        )
        .unwrap();
        prefix
    }

    #[test]
    fn a_missing_or_unsuitable_prefix_is_an_error_naming_the_fix() {
        let missing = std::env::temp_dir().join("vstbridge-no-such-prefix");
        let error = check_prefix(&missing, Architecture::X86_64).unwrap_err();
        assert!(error.contains("wineboot --init"), "{error}");

        let win64 = prefix_with("win64", "#arch=win64", true);
        assert_eq!(check_prefix(&win64, Architecture::X86_64), Ok(()));
        assert_eq!(check_prefix(&win64, Architecture::X86), Ok(()));

        let no_wow = prefix_with("nowow", "#arch=win64", false);
        let error = check_prefix(&no_wow, Architecture::X86).unwrap_err();
        assert!(error.contains("wine32:i386"), "{error}");

        let win32 = prefix_with("win32", "#arch=win32", false);
        assert_eq!(check_prefix(&win32, Architecture::X86), Ok(()));
        let error = check_prefix(&win32, Architecture::X86_64).unwrap_err();
        assert!(error.contains("32-bit"), "{error}");
        for prefix in [win64, no_wow, win32] {
            std::fs::remove_dir_all(prefix).unwrap();
        }
    }

    #[test]
    fn a_wine_option_that_is_not_a_file_is_an_error() {
        let settings = WineSettings {
            program: Some(PathBuf::from("/nonexistent/wine")),
            ..WineSettings::default()
        };
        let error = WineLaunch::resolve(&settings, Architecture::X86).unwrap_err();
        assert!(error.contains("/nonexistent/wine"), "{error}");
    }
}
