//! Which plugin a proxy instance stands for, and where its servers are.
//!
//! The plugin is `VSTBRIDGE_PLUGIN` if set, else the `plugin` key of the sidecar file
//! `<proxy file stem>.vstbridge.toml` beside the proxy (as `vstbridge sync` writes it).
//! Servers (`vstbridge-server-<arch>`) are looked up in `VSTBRIDGE_SERVER_DIR`, the
//! sidecar's `server_dir`, then beside the proxy's resolved path (symlinks followed).

use std::path::{Path, PathBuf};

use serde::Deserialize;
use vst2_host::Architecture;

/// Environment variable naming the real plugin (overrides the sidecar).
pub const PLUGIN_ENV: &str = "VSTBRIDGE_PLUGIN";
/// Environment variable naming the directory holding the servers.
pub const SERVER_DIR_ENV: &str = "VSTBRIDGE_SERVER_DIR";
/// The sidecar's file-name suffix.
pub const SIDECAR_SUFFIX: &str = ".vstbridge.toml";

/// Why the configuration could not be worked out.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// Neither the environment nor a sidecar names a plugin.
    #[error("no plugin to bridge: set {PLUGIN_ENV} or put {0} beside the proxy with plugin = \"/path/to/Plugin.so\"")]
    NoPlugin(String),
    /// The sidecar exists but cannot be read or parsed.
    #[error("cannot use {path}: {reason}")]
    BadSidecar {
        /// The sidecar.
        path: PathBuf,
        /// What is wrong, with line and key where the parser knows them.
        reason: String,
    },
    /// No server for the plugin's architecture was found.
    #[error("no vstbridge-server-{arch} found (looked in: {searched}); install the server for {arch} plugins")]
    NoServer {
        /// The architecture needed.
        arch: String,
        /// The directories searched.
        searched: String,
    },
}

/// The sidecar file's contents.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Sidecar {
    /// Absolute path of the real plugin.
    plugin: Option<PathBuf>,
    /// Directory holding the servers.
    server_dir: Option<PathBuf>,
}

/// What one proxy instance bridges.
#[derive(Debug, Clone)]
pub struct BridgeConfig {
    /// The real plugin.
    pub plugin: PathBuf,
    /// Extra directory to look for servers in (from the sidecar).
    pub server_dir: Option<PathBuf>,
}

/// The sidecar path for a proxy at `proxy`.
pub fn sidecar_path(proxy: &Path) -> PathBuf {
    let stem = proxy
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    proxy.with_file_name(format!("{stem}{SIDECAR_SUFFIX}"))
}

/// Works out the configuration for a proxy loaded from `proxy` (`None` if unknown).
pub fn load(proxy: Option<&Path>) -> Result<BridgeConfig, ConfigError> {
    let sidecar = match proxy.map(sidecar_path) {
        Some(path) if path.exists() => Some((read_sidecar(&path)?, path)),
        _ => None,
    };
    let plugin = std::env::var_os(PLUGIN_ENV)
        .filter(|value| !value.is_empty())
        .map(PathBuf::from)
        .or_else(|| sidecar.as_ref().and_then(|(sidecar, _)| sidecar.plugin.clone()))
        .ok_or_else(|| {
            ConfigError::NoPlugin(
                proxy
                    .map(sidecar_path)
                    .map_or("a sidecar".into(), |p| p.display().to_string()),
            )
        })?;
    let server_dir = sidecar.and_then(|(sidecar, path)| {
        sidecar.server_dir.map(|dir| {
            if dir.is_relative() {
                path.with_file_name(dir)
            } else {
                dir
            }
        })
    });
    Ok(BridgeConfig { plugin, server_dir })
}

fn read_sidecar(path: &Path) -> Result<Sidecar, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|error| ConfigError::BadSidecar {
        path: path.to_path_buf(),
        reason: error.to_string(),
    })?;
    toml::from_str(&text).map_err(|error| ConfigError::BadSidecar {
        path: path.to_path_buf(),
        reason: error.to_string(),
    })
}

/// Finds `vstbridge-server-<arch>`.
pub fn find_server(arch: Architecture, config: &BridgeConfig, proxy: Option<&Path>) -> Result<PathBuf, ConfigError> {
    let name = format!("vstbridge-server-{}", arch.name());
    let mut candidates = Vec::new();
    if let Some(dir) = std::env::var_os(SERVER_DIR_ENV).filter(|v| !v.is_empty()) {
        candidates.push(PathBuf::from(dir));
    }
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
    candidates
        .iter()
        .map(|dir| dir.join(&name))
        .find(|path| path.is_file())
        .ok_or_else(|| ConfigError::NoServer {
            arch: arch.name().to_owned(),
            searched: candidates
                .iter()
                .map(|d| d.display().to_string())
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

    #[test]
    fn malformed_sidecar_names_file_and_problem() {
        let dir = std::env::temp_dir().join(format!("vstbridge-config-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let proxy = dir.join("Broken.so");
        std::fs::write(sidecar_path(&proxy), "plugin = \"/x.so\"\nsurprise = 3\n").unwrap();
        let error = read_sidecar(&sidecar_path(&proxy)).unwrap_err().to_string();
        std::fs::remove_dir_all(&dir).ok();
        assert!(
            error.contains("Broken.vstbridge.toml") && error.contains("surprise"),
            "{error}"
        );
    }
}
