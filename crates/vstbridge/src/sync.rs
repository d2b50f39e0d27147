//! `vstbridge sync`: installs a proxy for each plugin the host cannot load itself (every
//! plugin of the other width, and on Linux every Windows `.dll`, which the proxy runs under
//! Wine; with `--all`, every plugin, for crash isolation) into a DAW's plugin folder, named
//! after the plugin (`Foo.dll` gets `Foo.so`), with its sidecar. Entries already right are left alone
//! (so DAWs do not rescan), `--prune` removes proxies whose plugin is gone, and a file
//! vstbridge did not write is never overwritten: sidecars it writes carry a marker line.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use vst2_host::{Architecture, BinaryInfo};

use bridge_ipc::wine_launch::runs_under_wine;

use crate::bridge_files::{PLUGIN_SUFFIX, is_plugin_extension, proxy_for};

/// The first line of every sidecar `sync` writes.
pub const MARKER: &str = "# written by `vstbridge sync`; edit the options below freely, `plugin` is kept in step";

/// What `sync` was asked to do.
pub struct SyncOptions {
    /// Folders searched (recursively) for plugins.
    pub sources: Vec<PathBuf>,
    /// The DAW's plugin folder.
    pub into: PathBuf,
    /// Bridge every plugin, not only those of another architecture.
    pub all: bool,
    /// Remove proxies whose plugin is gone.
    pub prune: bool,
    /// Only say what would be done.
    pub dry_run: bool,
    /// Where the proxy and servers are.
    pub dist: PathBuf,
    /// The DAW's architecture: its proxy is installed, and (without `all`) only plugins of
    /// other architectures are bridged.
    pub daw: Architecture,
}

/// What happened to one entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// A new proxy was installed.
    Added,
    /// An existing proxy of ours was brought up to date.
    Updated,
    /// Already right; not touched.
    Unchanged,
    /// A proxy of ours whose plugin is gone was removed.
    Removed,
    /// Left alone, with the reason.
    Skipped(String),
}

/// Runs a sync and returns (entry name, action) for everything it looked at.
pub fn sync(options: &SyncOptions) -> Result<Vec<(String, Action)>> {
    if !options.into.is_dir() {
        bail!("{} is not a folder", options.into.display());
    }
    let proxy = options.dist.join(proxy_for(options.daw));
    let proxy_bytes = std::fs::read(&proxy).with_context(|| format!("cannot read {}", proxy.display()))?;
    let mut report = Vec::new();
    let mut plugins = Vec::new();
    for source in &options.sources {
        if !source.is_dir() {
            bail!("{} is not a folder", source.display());
        }
        find_plugins(source, &mut plugins, 0);
    }
    plugins.sort();
    let mut names_taken = std::collections::HashSet::new();
    for plugin in plugins {
        let Ok(info) = BinaryInfo::read(&plugin) else { continue };
        let under_wine = runs_under_wine(info.format);
        if (info.format != vst2_host::BinaryFormat::native() && !under_wine)
            || !(matches!(info.architecture, Architecture::X86 | Architecture::X86_64)
                || (cfg!(target_os = "linux") && info.architecture == Architecture::Aarch64))
        {
            continue;
        }
        if !options.all && !under_wine && info.architecture == options.daw {
            continue;
        }
        let stem = plugin
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        if !names_taken.insert(stem.clone()) {
            report.push((
                format!("{stem}{PLUGIN_SUFFIX}"),
                Action::Skipped(format!("another plugin named {stem} came first ({})", plugin.display())),
            ));
            continue;
        }
        let plugin = std::fs::canonicalize(&plugin).unwrap_or(plugin);
        let action = install(options, &stem, &plugin, &proxy_bytes)?;
        report.push((format!("{stem}{PLUGIN_SUFFIX}"), action));
    }
    if options.prune {
        report.extend(prune(options)?);
    }
    Ok(report)
}

/// Finds plugin files (`.so`, `.dll`) under `dir` (symlinked folders are not followed, to avoid loops).
fn find_plugins(dir: &Path, found: &mut Vec<PathBuf>, depth: usize) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(kind) = entry.file_type() else { continue };
        if kind.is_dir() && depth < 8 {
            find_plugins(&path, found, depth + 1);
        } else if path.extension().is_some_and(is_plugin_extension) && path.is_file() {
            found.push(path);
        }
    }
}

fn sidecar_text(plugin: &Path, dist: &Path, existing: Option<&str>) -> String {
    let mut text = format!(
        "{MARKER}\nplugin = {:?}\nserver_dir = {:?}\n",
        plugin.display().to_string(),
        dist.display().to_string()
    );
    // Keep the user's own options from an earlier sidecar of ours.
    if let Some(existing) = existing {
        for line in existing.lines().skip(1) {
            let key = line.split('=').next().unwrap_or("").trim();
            if key != "plugin" && key != "server_dir" && !line.trim().is_empty() {
                text.push_str(line);
                text.push('\n');
            }
        }
    }
    text
}

fn is_ours(sidecar: &Path) -> Option<String> {
    let text = std::fs::read_to_string(sidecar).ok()?;
    text.starts_with(MARKER).then_some(text)
}

fn install(options: &SyncOptions, stem: &str, plugin: &Path, proxy_bytes: &[u8]) -> Result<Action> {
    let proxy = options.into.join(format!("{stem}{PLUGIN_SUFFIX}"));
    let sidecar = options.into.join(format!("{stem}.vstbridge.toml"));
    let ours = is_ours(&sidecar);
    if (proxy.exists() || sidecar.exists()) && ours.is_none() {
        return Ok(Action::Skipped(format!(
            "{} exists and was not written by vstbridge",
            if proxy.exists() {
                proxy.display()
            } else {
                sidecar.display()
            }
        )));
    }
    let wanted = sidecar_text(plugin, &options.dist, ours.as_deref());
    let proxy_current = std::fs::read(&proxy).is_ok_and(|bytes| bytes == proxy_bytes);
    let sidecar_current = ours.as_deref() == Some(wanted.as_str());
    let action = match (ours.is_some(), proxy_current && sidecar_current) {
        (true, true) => return Ok(Action::Unchanged),
        (true, false) => Action::Updated,
        (false, _) => Action::Added,
    };
    if !options.dry_run {
        if !proxy_current {
            // Write beside and rename, so a DAW never sees a half-written library.
            let partial = options.into.join(format!(".{stem}{PLUGIN_SUFFIX}.partial"));
            std::fs::write(&partial, proxy_bytes)?;
            std::fs::rename(&partial, &proxy)?;
        }
        if !sidecar_current {
            std::fs::write(&sidecar, wanted)?;
        }
    }
    Ok(action)
}

fn prune(options: &SyncOptions) -> Result<Vec<(String, Action)>> {
    let mut report = Vec::new();
    for entry in std::fs::read_dir(&options.into)?.flatten() {
        let path = entry.path();
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let Some(stem) = name.strip_suffix(".vstbridge.toml") else {
            continue;
        };
        let Some(text) = is_ours(&path) else { continue };
        let plugin = text
            .lines()
            .find_map(|line| line.trim().strip_prefix("plugin"))
            .and_then(|rest| rest.trim().strip_prefix('='))
            .map(|value| value.trim().trim_matches('"').to_owned());
        if plugin.as_deref().is_some_and(|p| Path::new(p).is_file()) {
            continue;
        }
        if !options.dry_run {
            std::fs::remove_file(options.into.join(format!("{stem}{PLUGIN_SUFFIX}"))).ok();
            std::fs::remove_file(&path)?;
        }
        report.push((format!("{stem}{PLUGIN_SUFFIX}"), Action::Removed));
    }
    Ok(report)
}
