//! Where this installation's bridge files are, and loading a plugin through a private copy
//! of the proxy: the sandbox that `probe`, `render` and `demo` use.
//!
//! The files (`vstbridge-proxy.so` and `vstbridge-server-<arch>` on Linux;
//! `vstbridge-proxy-<arch>.dll` and `vstbridge-server-<arch>.exe` on Windows) are looked up in `--dist`,
//! `VSTBRIDGE_DIST`, beside this executable (as `cargo xtask dist` lays them out), then in
//! `bridge/` beside it (a development build).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use vst2_host::{Architecture, Host, Plugin};

/// The proxy's file name in a dist folder, which holds a proxy for 64-bit DAWs and one for
/// 32-bit DAWs: the one of this command's width.
pub const PROXY: &str = proxy_for(Architecture::current());

/// The file name of the proxy a DAW of `daw` loads: `vstbridge-proxy.so` (x86_64) and
/// `vstbridge-proxy-i686.so` on Linux, `vstbridge-proxy-<arch>.dll` on Windows.
pub const fn proxy_for(daw: Architecture) -> &'static str {
    match (cfg!(windows), daw) {
        (true, Architecture::X86) => "vstbridge-proxy-i686.dll",
        (true, _) => "vstbridge-proxy-x86_64.dll",
        (false, Architecture::X86) => "vstbridge-proxy-i686.so",
        (false, _) => "vstbridge-proxy.so",
    }
}

/// What a plugin file's name ends with here (`.so`, `.dll`), and its extension.
pub const PLUGIN_SUFFIX: &str = std::env::consts::DLL_SUFFIX;
/// [`PLUGIN_SUFFIX`] without its dot.
pub const PLUGIN_EXTENSION: &str = std::env::consts::DLL_EXTENSION;

/// Whether a file's extension marks a plugin here: this system's (`so`, `dll`), and on
/// Linux also Windows DLLs, which the proxy runs under Wine.
pub fn is_plugin_extension(extension: &std::ffi::OsStr) -> bool {
    extension == PLUGIN_EXTENSION || (cfg!(target_os = "linux") && extension.eq_ignore_ascii_case("dll"))
}

/// Finds the folder holding the proxy and the servers.
pub fn dist_dir(explicit: Option<&Path>) -> Result<PathBuf> {
    let mut candidates: Vec<PathBuf> = explicit.map(Path::to_path_buf).into_iter().collect();
    if let Some(dir) = std::env::var_os("VSTBRIDGE_DIST").filter(|v| !v.is_empty()) {
        candidates.push(PathBuf::from(dir));
    }
    if let Some(dir) = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(Path::to_path_buf))
    {
        candidates.push(dir.clone());
        candidates.push(dir.join("bridge"));
    }
    match candidates.iter().find(|dir| dir.join(PROXY).is_file()) {
        // Absolute, since it is written into sidecars read from other folders.
        Some(dir) => Ok(std::fs::canonicalize(dir).unwrap_or_else(|_| dir.clone())),
        None => bail!(
            "cannot find {PROXY} (looked in {}); build it with `cargo xtask dist` or pass --dist",
            candidates
                .iter()
                .map(|d| d.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// A plugin loaded through a private proxy copy; the copy's folder goes when it is dropped.
pub struct Sandboxed {
    /// The proxy instance.
    pub plugin: Plugin,
    folder: PathBuf,
}

impl Drop for Sandboxed {
    fn drop(&mut self) {
        self.plugin.close();
        let _ = std::fs::remove_dir_all(&self.folder);
    }
}

/// Loads `plugin` through a fresh proxy copy with the sidecar `options` (TOML lines).
pub fn load_sandboxed(plugin: &Path, dist: &Path, options: &str, host: Arc<dyn Host>) -> Result<Sandboxed> {
    let plugin = std::fs::canonicalize(plugin).with_context(|| format!("{} does not exist", plugin.display()))?;
    let folder = std::env::temp_dir().join(format!("vstbridge-sandbox-{}-{}", std::process::id(), next_id()));
    std::fs::create_dir_all(&folder)?;
    let stem = plugin
        .file_stem()
        .map_or_else(|| "plugin".to_owned(), |s| s.to_string_lossy().into_owned());
    let proxy = folder.join(format!("{stem}{PLUGIN_SUFFIX}"));
    std::fs::copy(dist.join(PROXY), &proxy)?;
    let sidecar = format!(
        "plugin = {:?}\nserver_dir = {:?}\n{options}",
        plugin.display().to_string(),
        dist.display().to_string()
    );
    std::fs::write(folder.join(format!("{stem}.vstbridge.toml")), sidecar)?;
    match Plugin::load(&proxy, host) {
        Ok(plugin) => Ok(Sandboxed { plugin, folder }),
        Err(error) => {
            let _ = std::fs::remove_dir_all(&folder);
            Err(error).context("the bridge could not load the plugin (the log has the server's reason)")
        }
    }
}

fn next_id() -> usize {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}
