//! Which plugin a proxy instance stands for, where its servers are, and the options that
//! govern failures: deadlines, restarts, state snapshots.
//!
//! The plugin is `VSTBRIDGE_PLUGIN` if set, else the `plugin` key of the sidecar file
//! `<proxy file stem>.vstbridge.toml` beside the proxy (as `vstbridge sync` writes it).
//! Servers (`vstbridge-server-<arch>`) are looked up in `VSTBRIDGE_SERVER_DIR`, the
//! `server_dir` option, beside the proxy, beside the proxy's resolved path, then in the
//! standard install location (`~/.local/lib/vstbridge/`; on Windows
//! `%LOCALAPPDATA%\Programs\vstbridge\`), where `cargo xtask install` puts them.
//!
//! Options come from the global file (`$XDG_CONFIG_HOME/vstbridge/config.toml`, else
//! `~/.config/vstbridge/config.toml`; on Windows `%APPDATA%\vstbridge\config.toml`;
//! `VSTBRIDGE_CONFIG` names another) and the sidecar,
//! whose keys win. Every key is optional:
//!
//! | key | default | meaning |
//! | --- | --- | --- |
//! | `server_dir` | — | where the servers are (relative to the file that says so) |
//! | `block_deadline_periods` | 4 | a block later than this many block periods is played as silence |
//! | `block_deadline_floor_ms` | 100 | ... but never a shorter deadline than this |
//! | `hang_timeout_ms` | 2000 | a plugin that stays unresponsive this long is declared hung and restarted |
//! | `call_timeout_ms` | 5000 | the longest a dispatcher call may take |
//! | `slow_call_timeout_ms` | 20000 | the same for loading, effOpen, effClose, chunks, editor and suspend/resume |
//! | `restart` | true | restart a crashed or hung plugin with its state |
//! | `max_restarts_per_minute` | 3 | beyond this the plugin stays silent until reloaded |
//! | `snapshot_interval_s` | 10 | how often the state of a chunk-saving plugin is copied (0: never) |
//! | `follow_host_cpu` | "auto" | move the server's audio thread to the CPU of the host's audio thread: `true` always, `false` never, `"auto"` once the host's thread has stayed on one CPU for 32 blocks |
//! | `follow_host_priority` | true | give the server's audio thread the realtime priority of the host's, one step below |
//! | `lock_memory` | true | lock the audio region into RAM: about 1.3 MiB up to 512 frames, 3 MiB at 4096 (needs `CAP_IPC_LOCK` or a memlock limit above that) |
//! | `max_spin_us` | 50 | the longest the host's audio thread spins for a reply while the server runs on another CPU (0: never; at most 1000) |
//! | `bench_socket_wake` | false | benchmarks only: each block's wake and wait is a message on a socket instead of the futex |
//! | `qemu` | — | the emulator an arm64 plugin's server runs under (`None`: `qemu-aarch64` on `PATH`) |
//! | `qemu_sysroot` | — | where the emulated server finds its C runtime (`None`: `/usr/aarch64-linux-gnu`, else `/`) |
//! | `group` | — | run in one server with every other instance of this DAW process and architecture in the same group: a name (letters, digits, space, `-`, `_`, `.`; at most 64), `"@folder"` (the plugins of one folder, often one vendor's) or `"@all"`; Linux plugins only. A crash restarts the whole group |
//!
//! A file that cannot be parsed, or has an unknown key, a wrong type or a number outside its
//! range (deadline periods 1–1000 and finite, floor 1–60,000 ms, hang timeout 10–600,000 ms,
//! call timeouts from 1 ms, up to 600,000 and 3,600,000 ms, restarts 0–1,000,000 a minute,
//! snapshots 0–86,400 s, spin 0–1000 µs), is an error naming the file, line and key; the
//! instance then does not load.

use std::path::{Path, PathBuf};
use std::time::Duration;

use bridge_ipc::emulation::EmulatorSettings;
use bridge_ipc::wine_launch::WineSettings;
use bridge_proto::wine::WineDoorbell;
use serde::Deserialize;
use vst2_host::Architecture;

/// Environment variable naming the real plugin (overrides the sidecar).
pub const PLUGIN_ENV: &str = "VSTBRIDGE_PLUGIN";
/// Environment variable naming the directory holding the servers.
pub const SERVER_DIR_ENV: &str = "VSTBRIDGE_SERVER_DIR";
/// Environment variable naming the global configuration file.
pub const CONFIG_ENV: &str = "VSTBRIDGE_CONFIG";
/// The sidecar's file-name suffix.
pub const SIDECAR_SUFFIX: &str = ".vstbridge.toml";

/// Why the configuration could not be worked out.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// Neither the environment nor a sidecar names a plugin.
    #[error("no plugin to bridge: set {PLUGIN_ENV} or put {0} beside the proxy with plugin = \"/path/to/Plugin.so\"")]
    NoPlugin(String),
    /// A configuration file exists but cannot be read or parsed.
    #[error("cannot use {path}: {reason}")]
    BadFile {
        /// The file.
        path: PathBuf,
        /// What is wrong, with line and key where the parser knows them.
        reason: String,
    },
    /// No server for the plugin's architecture was found.
    #[error(
        "no vstbridge-server-{arch} found (looked in: {searched}); install the servers (`cargo xtask install` puts them in the standard location) or set server_dir"
    )]
    NoServer {
        /// The architecture needed (`i686.exe` for a Windows one under Wine).
        arch: String,
        /// The directories searched.
        searched: String,
    },
}

/// The keys a configuration file may hold (all optional).
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileOptions {
    plugin: Option<PathBuf>,
    server_dir: Option<PathBuf>,
    block_deadline_periods: Option<f64>,
    block_deadline_floor_ms: Option<u64>,
    hang_timeout_ms: Option<u64>,
    call_timeout_ms: Option<u64>,
    slow_call_timeout_ms: Option<u64>,
    restart: Option<bool>,
    max_restarts_per_minute: Option<u32>,
    snapshot_interval_s: Option<u64>,
    bench_socket_wake: Option<bool>,
    follow_host_cpu: Option<FollowSetting>,
    follow_host_priority: Option<bool>,
    lock_memory: Option<bool>,
    max_spin_us: Option<u64>,
    wine: Option<PathBuf>,
    wine_prefix: Option<PathBuf>,
    wine_doorbell: Option<String>,
    qemu: Option<PathBuf>,
    qemu_sysroot: Option<PathBuf>,
    group: Option<String>,
}

impl FileOptions {
    /// Checks every number against its range; the first wrong key and the rule it breaks.
    fn validate(&self) -> Result<(), (&'static str, String)> {
        fn within<T: PartialOrd + std::fmt::Display + Copy>(
            key: &'static str,
            value: Option<T>,
            low: T,
            high: T,
        ) -> Result<(), (&'static str, String)> {
            match value {
                Some(value) if !(low..=high).contains(&value) => {
                    Err((key, format!("is {value}; it must be between {low} and {high}")))
                }
                _ => Ok(()),
            }
        }
        if let Some(periods) = self.block_deadline_periods {
            if !periods.is_finite() {
                return Err((
                    "block_deadline_periods",
                    format!("is {periods}; it must be a finite number"),
                ));
            }
        }
        within("block_deadline_periods", self.block_deadline_periods, 1.0, 1000.0)?;
        within("block_deadline_floor_ms", self.block_deadline_floor_ms, 1, 60_000)?;
        within("hang_timeout_ms", self.hang_timeout_ms, 10, 600_000)?;
        within("call_timeout_ms", self.call_timeout_ms, 1, 600_000)?;
        within("slow_call_timeout_ms", self.slow_call_timeout_ms, 1, 3_600_000)?;
        within("max_restarts_per_minute", self.max_restarts_per_minute, 0, 1_000_000)?;
        within("snapshot_interval_s", self.snapshot_interval_s, 0, 86_400)?;
        if let Some(FollowSetting::Word(word)) = &self.follow_host_cpu {
            if word != "auto" {
                return Err((
                    "follow_host_cpu",
                    format!("is {word:?}; it must be true, false or \"auto\""),
                ));
            }
        }
        if let Some(word) = &self.wine_doorbell {
            if WineDoorbell::from_word(word).is_none() {
                return Err((
                    "wine_doorbell",
                    format!("is {word:?}; it must be \"auto\", \"pipe\" or \"futex\""),
                ));
            }
        }
        if let Some(group) = &self.group {
            let plain = |c: char| c.is_ascii_alphanumeric() || " -_.".contains(c);
            let fine = matches!(group.as_str(), "@all" | "@folder")
                || (!group.is_empty() && group.len() <= 64 && group.chars().all(plain));
            if !fine {
                return Err((
                    "group",
                    format!(
                        "is {group:?}; it must be \"@all\", \"@folder\" or a name of at most 64 letters, digits, spaces, `-`, `_` and `.`"
                    ),
                ));
            }
        }
        within("max_spin_us", self.max_spin_us, 0, 1000)
    }

    /// `self` with every key `other` sets taken from `other`.
    fn overridden_by(self, other: FileOptions) -> FileOptions {
        FileOptions {
            plugin: other.plugin.or(self.plugin),
            server_dir: other.server_dir.or(self.server_dir),
            block_deadline_periods: other.block_deadline_periods.or(self.block_deadline_periods),
            block_deadline_floor_ms: other.block_deadline_floor_ms.or(self.block_deadline_floor_ms),
            hang_timeout_ms: other.hang_timeout_ms.or(self.hang_timeout_ms),
            call_timeout_ms: other.call_timeout_ms.or(self.call_timeout_ms),
            slow_call_timeout_ms: other.slow_call_timeout_ms.or(self.slow_call_timeout_ms),
            restart: other.restart.or(self.restart),
            max_restarts_per_minute: other.max_restarts_per_minute.or(self.max_restarts_per_minute),
            snapshot_interval_s: other.snapshot_interval_s.or(self.snapshot_interval_s),
            bench_socket_wake: other.bench_socket_wake.or(self.bench_socket_wake),
            follow_host_cpu: other.follow_host_cpu.or(self.follow_host_cpu),
            follow_host_priority: other.follow_host_priority.or(self.follow_host_priority),
            lock_memory: other.lock_memory.or(self.lock_memory),
            max_spin_us: other.max_spin_us.or(self.max_spin_us),
            wine: other.wine.or(self.wine),
            wine_prefix: other.wine_prefix.or(self.wine_prefix),
            wine_doorbell: other.wine_doorbell.or(self.wine_doorbell),
            qemu: other.qemu.or(self.qemu),
            qemu_sysroot: other.qemu_sysroot.or(self.qemu_sysroot),
            group: other.group.or(self.group),
        }
    }
}

/// `follow_host_cpu` as written: `true`, `false` or `"auto"`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
enum FollowSetting {
    Flag(bool),
    Word(String),
}

/// Whether the server's audio thread moves to the CPU of the host's audio thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FollowCpu {
    /// Always (`true`): best when the host pins its audio thread.
    Always,
    /// Never (`false`): the scheduler places the server.
    Never,
    /// Once the host's thread has stayed on one CPU for a while (`"auto"`, the default): a
    /// thread the scheduler keeps moving is not chased from CPU to CPU.
    WhenSteady,
}

/// How an instance treats failures.
#[derive(Debug, Clone, PartialEq)]
pub struct FailurePolicy {
    /// Block deadline in block periods.
    pub block_deadline_periods: f64,
    /// The shortest block deadline.
    pub block_deadline_floor: Duration,
    /// How long an unresponsive plugin may stay so before it is declared hung.
    pub hang_timeout: Duration,
    /// The longest ordinary dispatcher call.
    pub call_timeout: Duration,
    /// The longest slow call (loading, effOpen, effClose, chunks, editor, suspend/resume).
    pub slow_call_timeout: Duration,
    /// Whether a failed plugin is restarted.
    pub restart: bool,
    /// Restarts allowed within any minute.
    pub max_restarts_per_minute: u32,
    /// How often a chunk-saving plugin's state is copied (`None`: never).
    pub snapshot_interval: Option<Duration>,
    /// Benchmarks only: wake through a socket per block (the socket-synced design other
    /// bridges use) instead of the futex.
    pub bench_socket_wake: bool,
    /// Whether the server's audio thread follows the host's audio thread to its CPU.
    pub follow_host_cpu: FollowCpu,
    /// Whether the server's audio thread takes the host audio thread's realtime priority
    /// (one step below it).
    pub follow_host_priority: bool,
    /// Whether the server locks the audio region into RAM.
    pub lock_memory: bool,
    /// The longest the host's audio thread spins for a reply while the server's audio
    /// thread runs on another CPU (zero: always sleep).
    pub max_spin: Duration,
}

impl Default for FailurePolicy {
    fn default() -> Self {
        Self::from(&FileOptions::default())
    }
}

impl From<&FileOptions> for FailurePolicy {
    fn from(options: &FileOptions) -> Self {
        let millis = |value: Option<u64>, default: u64| Duration::from_millis(value.unwrap_or(default));
        Self {
            block_deadline_periods: options.block_deadline_periods.unwrap_or(4.0).max(1.0),
            block_deadline_floor: millis(options.block_deadline_floor_ms, 100),
            hang_timeout: millis(options.hang_timeout_ms, 2000),
            call_timeout: millis(options.call_timeout_ms, 5000),
            slow_call_timeout: millis(options.slow_call_timeout_ms, 20_000),
            restart: options.restart.unwrap_or(true),
            max_restarts_per_minute: options.max_restarts_per_minute.unwrap_or(3),
            snapshot_interval: match options.snapshot_interval_s.unwrap_or(10) {
                0 => None,
                seconds => Some(Duration::from_secs(seconds)),
            },
            bench_socket_wake: options.bench_socket_wake.unwrap_or(false),
            follow_host_cpu: match &options.follow_host_cpu {
                Some(FollowSetting::Flag(true)) => FollowCpu::Always,
                Some(FollowSetting::Flag(false)) => FollowCpu::Never,
                _ => FollowCpu::WhenSteady,
            },
            follow_host_priority: options.follow_host_priority.unwrap_or(true),
            lock_memory: options.lock_memory.unwrap_or(true),
            max_spin: Duration::from_micros(options.max_spin_us.unwrap_or(50).min(1000)),
        }
    }
}

impl FailurePolicy {
    /// The deadline of a block of `frames` at `sample_rate`.
    pub fn block_deadline(&self, frames: usize, sample_rate: f32) -> Duration {
        let period = if sample_rate > 0.0 {
            frames as f64 / f64::from(sample_rate)
        } else {
            0.0
        };
        self.block_deadline_floor
            .max(Duration::from_secs_f64(period * self.block_deadline_periods))
    }
}

/// What one proxy instance bridges, and how.
#[derive(Debug, Clone)]
pub struct BridgeConfig {
    /// The real plugin.
    pub plugin: PathBuf,
    /// Extra directory to look for servers in.
    pub server_dir: Option<PathBuf>,
    /// Failure handling.
    pub policy: FailurePolicy,
    /// How Windows plugins run under Wine (Linux only).
    pub wine: WineSettings,
    /// How plugins of another instruction set run under an emulator.
    pub emulator: EmulatorSettings,
    /// The group whose server this instance shares (see the server's `group`): the name as
    /// given, `all` for `"@all"`, `folder:<the plugin's folder>` for `"@folder"`.
    pub group: Option<String>,
}

/// The sidecar path for a proxy at `proxy`.
pub fn sidecar_path(proxy: &Path) -> PathBuf {
    let stem = proxy
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    proxy.with_file_name(format!("{stem}{SIDECAR_SUFFIX}"))
}

/// The path in environment variable `name`, if it is set and not empty.
fn path_from_env(name: &str) -> Option<PathBuf> {
    std::env::var_os(name).filter(|v| !v.is_empty()).map(PathBuf::from)
}

/// The global configuration file's path.
pub fn global_config_path() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os(CONFIG_ENV).filter(|v| !v.is_empty()) {
        return Some(PathBuf::from(path));
    }
    // Where each system keeps a user's settings: %APPDATA% on Windows, the XDG config
    // directory elsewhere.
    let base = if cfg!(windows) {
        path_from_env("APPDATA")?
    } else {
        path_from_env("XDG_CONFIG_HOME").or_else(|| path_from_env("HOME").map(|home| home.join(".config")))?
    };
    Some(base.join("vstbridge").join("config.toml"))
}

/// Works out the configuration for a proxy loaded from `proxy` (`None` if unknown).
pub fn load(proxy: Option<&Path>) -> Result<BridgeConfig, ConfigError> {
    let global = match global_config_path() {
        Some(path) if path.exists() => read_file(&path)?,
        _ => FileOptions::default(),
    };
    let sidecar = match proxy.map(sidecar_path) {
        Some(path) if path.exists() => read_file(&path)?,
        _ => FileOptions::default(),
    };
    let options = global.overridden_by(sidecar);
    let plugin = std::env::var_os(PLUGIN_ENV)
        .filter(|value| !value.is_empty())
        .map(PathBuf::from)
        .or_else(|| options.plugin.clone())
        .ok_or_else(|| {
            ConfigError::NoPlugin(
                proxy
                    .map(sidecar_path)
                    .map_or("a sidecar".into(), |p| p.display().to_string()),
            )
        })?;
    let group = options.group.as_deref().map(|group| match group {
        "@all" => "all".to_owned(),
        "@folder" => format!(
            "folder:{}",
            plugin
                .parent()
                .map_or(String::new(), |folder| folder.display().to_string())
        ),
        name => name.to_owned(),
    });
    Ok(BridgeConfig {
        plugin,
        group,
        server_dir: options.server_dir.clone(),
        policy: FailurePolicy::from(&options),
        emulator: EmulatorSettings {
            program: options.qemu.clone(),
            sysroot: options.qemu_sysroot.clone(),
        },
        wine: WineSettings {
            program: options.wine.clone(),
            prefix: options.wine_prefix.clone(),
            doorbell: options
                .wine_doorbell
                .as_deref()
                .and_then(WineDoorbell::from_word)
                .unwrap_or_default(),
        },
    })
}

/// Parses one configuration file; relative `server_dir`s are taken from the file's folder.
fn read_file(path: &Path) -> Result<FileOptions, ConfigError> {
    let bad = |reason: String| ConfigError::BadFile {
        path: path.to_path_buf(),
        reason,
    };
    let text = std::fs::read_to_string(path).map_err(|error| bad(error.to_string()))?;
    let mut options: FileOptions = toml::from_str(&text).map_err(|error| bad(error.to_string()))?;
    options.validate().map_err(|(key, rule)| {
        let line = text
            .lines()
            .position(|line| {
                line.trim_start()
                    .strip_prefix(key)
                    .is_some_and(|rest| rest.trim_start().starts_with('='))
            })
            .map_or(String::new(), |index| format!("line {}: ", index + 1));
        bad(format!("{line}`{key}` {rule}"))
    })?;
    let beside_file = |dir: PathBuf| {
        if dir.is_relative() {
            path.with_file_name(dir)
        } else {
            dir
        }
    };
    options.server_dir = options.server_dir.take().map(beside_file);
    options.wine_prefix = options.wine_prefix.take().map(beside_file);
    options.qemu_sysroot = options.qemu_sysroot.take().map(beside_file);
    Ok(options)
}

/// The standard install location of the proxy and servers: `~/.local/lib/vstbridge/` on
/// Linux, `%LOCALAPPDATA%\Programs\vstbridge\` on Windows.
pub fn standard_install_dir() -> Option<PathBuf> {
    if cfg!(windows) {
        Some(path_from_env("LOCALAPPDATA")?.join("Programs").join("vstbridge"))
    } else {
        Some(path_from_env("HOME")?.join(".local").join("lib").join("vstbridge"))
    }
}

/// Finds `vstbridge-server-<arch>` (`.exe` on Windows), or for a Windows plugin run under
/// Wine (`windows`) `vstbridge-server-<arch>.exe`, in a folder or in its `windows-<arch>/`
/// subfolder (as the dist lays them out): in `VSTBRIDGE_SERVER_DIR`, the `server_dir`
/// option, beside the proxy (as copied and as resolved), then, when neither names a
/// folder, in [`standard_install_dir`].
pub fn find_server(
    arch: Architecture,
    windows: bool,
    config: &BridgeConfig,
    proxy: Option<&Path>,
) -> Result<PathBuf, ConfigError> {
    let suffix = if windows { ".exe" } else { std::env::consts::EXE_SUFFIX };
    let name = format!("vstbridge-server-{}{suffix}", arch.name());
    let mut candidates = Vec::new();
    let explicit = path_from_env(SERVER_DIR_ENV);
    let explicit_given = explicit.is_some() || config.server_dir.is_some();
    candidates.extend(explicit);
    if let Some(dir) = &config.server_dir {
        candidates.push(dir.clone());
    }
    if let Some(proxy) = proxy {
        if let Some(dir) = proxy.parent() {
            candidates.push(dir.to_path_buf());
        }
        if let Some(dir) = std::fs::canonicalize(proxy)
            .ok()
            .and_then(|p| p.parent().map(Path::to_path_buf))
        {
            candidates.push(dir);
        }
    }
    // Where `cargo xtask install` puts them, as other bridges' users expect: a proxy copied
    // by hand beside a sidecar that names only the plugin still finds its servers. A
    // server folder the user named is not silently bypassed for it.
    if !explicit_given && let Some(dir) = standard_install_dir() {
        candidates.push(dir);
    }
    let places = |dir: &PathBuf| {
        let nested = windows.then(|| dir.join(format!("windows-{}", arch.name())).join(&name));
        std::iter::once(dir.join(&name)).chain(nested)
    };
    candidates
        .iter()
        .flat_map(places)
        .find(|path| path.is_file())
        .ok_or_else(|| ConfigError::NoServer {
            arch: format!("{}{suffix}", arch.name()),
            searched: candidates
                .iter()
                .flat_map(places)
                .map(|path| path.parent().unwrap_or(&path).display().to_string())
                .collect::<Vec<_>>()
                .join(", "),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sidecar_sits_beside_the_proxy_under_its_stem() {
        assert_eq!(
            sidecar_path(Path::new("/vst/Kars.so")),
            Path::new("/vst/Kars.vstbridge.toml")
        );
    }

    fn temp_file(name: &str, text: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("vstbridge-config-test-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn unknown_key_names_file_line_and_key() {
        let path = temp_file("Broken.vstbridge.toml", "plugin = \"/x.so\"\nsurprise = 3\n");
        let error = read_file(&path).unwrap_err().to_string();
        assert!(
            error.contains("Broken.vstbridge.toml") && error.contains("surprise") && error.contains('2'),
            "{error}"
        );
    }

    #[test]
    fn numbers_out_of_range_name_file_line_and_key() {
        for (text, key, line) in [
            (
                "plugin = \"/x.so\"\nblock_deadline_periods = inf\n",
                "block_deadline_periods",
                "line 2",
            ),
            ("call_timeout_ms = 0\n", "call_timeout_ms", "line 1"),
            ("restart = true\n\nmax_spin_us = 5000\n", "max_spin_us", "line 3"),
            ("block_deadline_periods = nan\n", "block_deadline_periods", "line 1"),
        ] {
            let path = temp_file("Ranged.vstbridge.toml", text);
            let error = read_file(&path).unwrap_err().to_string();
            assert!(
                error.contains("Ranged.vstbridge.toml") && error.contains(key) && error.contains(line),
                "{text:?}: {error}"
            );
        }
        let path = temp_file(
            "Fine.vstbridge.toml",
            "block_deadline_periods = 2.5\ncall_timeout_ms = 1\n",
        );
        assert!(read_file(&path).is_ok());
    }

    #[test]
    fn group_names_are_checked_and_presets_resolved() {
        for bad in ["", "@vendor", "a/b", "x\ny", &"long".repeat(17)] {
            let path = temp_file("Grouped.vstbridge.toml", &format!("group = {bad:?}\n"));
            let error = read_file(&path).unwrap_err().to_string();
            assert!(
                error.contains("`group`") && error.contains("line 1"),
                "{bad:?}: {error}"
            );
        }
        let folder = std::env::temp_dir().join(format!("vstbridge-config-group-{}", std::process::id()));
        std::fs::create_dir_all(&folder).unwrap();
        for (written, resolved) in [
            ("Mixing Suite 2", "Mixing Suite 2".to_owned()),
            ("@all", "all".to_owned()),
            ("@folder", format!("folder:{}", folder.display())),
        ] {
            let proxy = folder.join("Plug.so");
            std::fs::write(
                sidecar_path(&proxy),
                format!(
                    "plugin = {:?}\ngroup = {written:?}\n",
                    folder.join("Real.so").display().to_string()
                ),
            )
            .unwrap();
            let config = load(Some(&proxy)).unwrap();
            assert_eq!(config.group.as_deref(), Some(resolved.as_str()), "{written}");
        }
        let _ = std::fs::remove_dir_all(folder);
    }

    #[test]
    fn wrong_type_is_an_error() {
        let path = temp_file("Typed.vstbridge.toml", "restart = \"yes\"\n");
        let error = read_file(&path).unwrap_err().to_string();
        assert!(error.contains("restart"), "{error}");
    }

    #[test]
    fn sidecar_keys_override_global_ones_and_defaults_fill_the_rest() {
        let global = FileOptions {
            hang_timeout_ms: Some(500),
            restart: Some(false),
            ..FileOptions::default()
        };
        let sidecar = FileOptions {
            restart: Some(true),
            ..FileOptions::default()
        };
        let policy = FailurePolicy::from(&global.overridden_by(sidecar));
        assert_eq!(policy.hang_timeout, Duration::from_millis(500));
        assert!(policy.restart);
        assert_eq!(policy.call_timeout, Duration::from_secs(5));
        assert_eq!(policy.block_deadline(512, 44_100.0), Duration::from_millis(100));
        assert!(policy.block_deadline(8192, 44_100.0) > Duration::from_millis(700));
    }

    #[test]
    fn audio_thread_levers_defaults_and_the_spin_stays_bounded() {
        let defaults = FailurePolicy::default();
        assert!(
            defaults.follow_host_cpu == FollowCpu::WhenSteady && defaults.follow_host_priority && defaults.lock_memory
        );
        let path = temp_file("Follow.vstbridge.toml", "follow_host_cpu = true\n");
        assert_eq!(
            FailurePolicy::from(&read_file(&path).unwrap()).follow_host_cpu,
            FollowCpu::Always
        );
        let path = temp_file("Follow.vstbridge.toml", "follow_host_cpu = \"sometimes\"\n");
        assert!(read_file(&path).is_err());
        assert_eq!(defaults.max_spin, Duration::from_micros(50));
        let path = temp_file("Spin.vstbridge.toml", "max_spin_us = 5000000\nlock_memory = false\n");
        assert!(read_file(&path).is_err(), "a spin never exceeds a millisecond");
        let path = temp_file("Spin.vstbridge.toml", "max_spin_us = 1000\nlock_memory = false\n");
        let policy = FailurePolicy::from(&read_file(&path).unwrap());
        assert_eq!(policy.max_spin, Duration::from_millis(1));
        assert!(!policy.lock_memory);
    }
}
