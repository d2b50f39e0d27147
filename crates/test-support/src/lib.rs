//! Helpers shared by the test suites: where the built test plugins and Debian's real
//! plugins are, and a few signal measurements.
//!
//! Missing files are test failures with a message that says how to get them, never
//! silent skips: `cargo xtask test` builds and fetches everything first.

mod bridged;
pub mod processes;
mod real_host;
mod recording_host;
mod windows_plugins;

use std::path::{Path, PathBuf};

pub use bridged::proxy_status;
pub use bridged::{
    Bridged, PATIENT_OPTIONS, bridge_dir, install_proxy, install_proxy_from, install_proxy_with, load_bridged,
    load_bridged_with, load_bridged_with_options, proxy_file_name, restarted_beside_fresh,
};
pub use real_host::{
    HostRun, Xvfb, assert_texts_alike, dawdreamer_params, dawdreamer_python, dawdreamer_render, dawdreamer_script,
    max_difference, read_f32_file, run_dawdreamer, scratch_file, unique_number,
};
pub use recording_host::{RecordingHost, SAMPLE_RATE, SeenCallback, SizingHost, TEMPO, load_with_editor};
pub use windows_plugins::{
    REFERENCE_BLOCK, REFERENCE_BLOCKS, difference_db, reference_file, reference_render, render_blocks, windows_plugin,
    write_f32_file,
};

/// Rust target triples whose build output lives in `target/<triple>/`.
const KNOWN_TRIPLES: [&str; 4] = [
    "x86_64-unknown-linux-gnu",
    "i686-unknown-linux-gnu",
    "x86_64-pc-windows-gnu",
    "i686-pc-windows-gnu",
];

/// The profile directory this test binary was built into (`target/[triple/]debug`).
pub fn build_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary knows its own path");
    // target/[triple/]<profile>/deps/<test-binary>
    exe.parent()
        .and_then(Path::parent)
        .expect("test binaries live in <profile>/deps")
        .to_path_buf()
}

/// The cargo target directory (`target/`).
pub fn target_dir() -> PathBuf {
    let profile = build_dir();
    let parent = profile
        .parent()
        .expect("a profile directory has a parent")
        .to_path_buf();
    let is_triple = parent
        .file_name()
        .and_then(|name| name.to_str())
        .is_some_and(|name| KNOWN_TRIPLES.contains(&name));
    if is_triple {
        parent.parent().expect("a triple directory has a parent").to_path_buf()
    } else {
        parent
    }
}

/// The file a test plugin's crate builds for the target of this test binary
/// (`libtest_plugin_gain.so` on Linux, `test_plugin_gain.dll` on Windows).
fn plugin_file_name(name: &str) -> String {
    use std::env::consts::{DLL_PREFIX, DLL_SUFFIX};
    format!("{DLL_PREFIX}test_plugin_{name}{DLL_SUFFIX}")
}

/// The built test plugin `name` (`gain`, `synth`, `probe`, `crash`, `hang`) for the
/// architecture this test runs on. `VSTBRIDGE_TEST_PLUGIN_DIR` overrides the directory.
pub fn test_plugin(name: &str) -> PathBuf {
    let dir = std::env::var_os("VSTBRIDGE_TEST_PLUGIN_DIR").map_or_else(build_dir, PathBuf::from);
    let path = dir.join(plugin_file_name(name));
    assert!(
        path.is_file(),
        "test plugin {} is missing: build the test plugins first with `cargo xtask build` (or run everything with `cargo xtask test`)",
        path.display()
    );
    path
}

/// The built test plugin `name` for the Rust target `triple` (for bridging tests that mix
/// architectures), from the same profile as this test binary.
pub fn test_plugin_for_triple(triple: &str, name: &str) -> PathBuf {
    let profile = build_dir()
        .file_name()
        .expect("profile directory has a name")
        .to_owned();
    // The x86_64 Linux builds are the workspace's own, not under a triple's folder.
    let base = if triple == "x86_64-unknown-linux-gnu" {
        target_dir()
    } else {
        target_dir().join(triple)
    };
    let path = base.join(profile).join(plugin_file_name(name));
    assert!(
        path.is_file(),
        "test plugin {} is missing: run `cargo xtask build`",
        path.display()
    );
    path
}

/// The Rust target of this OS's 32-bit x86 build (the other width for an x86_64 test).
pub const I686_TRIPLE: &str = if cfg!(windows) {
    "i686-pc-windows-gnu"
} else {
    "i686-unknown-linux-gnu"
};

/// The Rust target of this OS's x86_64 build (the other width for an i686 test).
pub const X86_64_TRIPLE: &str = if cfg!(windows) {
    "x86_64-pc-windows-gnu"
} else {
    "x86_64-unknown-linux-gnu"
};

/// Debian's architecture name for this test's CPU (`amd64`, `i386`).
pub const fn debian_arch() -> &'static str {
    if cfg!(target_arch = "x86") { "i386" } else { "amd64" }
}

/// Where `cargo xtask fetch-plugins` unpacks Debian's plugins (`VSTBRIDGE_REAL_PLUGINS`
/// overrides it).
pub fn real_plugin_root() -> PathBuf {
    std::env::var_os("VSTBRIDGE_REAL_PLUGINS").map_or_else(|| target_dir().join("real-plugins"), PathBuf::from)
}

/// Debian's `dpf-plugins-vst` plugin `file` (e.g. `Kars-vst.so`) for `debian_arch`.
pub fn real_plugin_for(debian_arch: &str, file: &str) -> PathBuf {
    let path = real_plugin_root().join(debian_arch).join("usr/lib/vst").join(file);
    assert!(
        path.is_file(),
        "real plugin {} is missing: fetch Debian's dpf-plugins-vst with `cargo xtask fetch-plugins`",
        path.display()
    );
    path
}

/// Debian's plugin `file` for the architecture this test runs on.
pub fn real_plugin(file: &str) -> PathBuf {
    real_plugin_for(debian_arch(), file)
}

/// `frames` samples of a sine at `frequency` Hz and `amplitude`.
pub fn sine(frequency: f32, sample_rate: f32, amplitude: f32, frames: usize) -> Vec<f32> {
    (0..frames)
        .map(|i| amplitude * (std::f32::consts::TAU * frequency * i as f32 / sample_rate).sin())
        .collect()
}

/// Root-mean-square level.
pub fn rms(samples: &[f32]) -> f32 {
    if samples.is_empty() {
        return 0.0;
    }
    (samples.iter().map(|s| s * s).sum::<f32>() / samples.len() as f32).sqrt()
}

/// Largest absolute sample.
pub fn peak(samples: &[f32]) -> f32 {
    samples.iter().fold(0.0, |max, s| max.max(s.abs()))
}

/// Removes what earlier test processes left in the temporary folder (`vstbridge-…<pid>…`:
/// proxy copies, scratch files, logs) once those processes are gone: tests leave their
/// files for a failure to be looked into, and over many runs they would fill the disk.
/// Runs once per process; a name whose process still runs is left alone.
pub fn sweep_stale_temp_files() {
    static SWEPT: std::sync::Once = std::sync::Once::new();
    SWEPT.call_once(|| {
        if !cfg!(target_os = "linux") {
            return;
        }
        let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
            return;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let Some(rest) = name.strip_prefix("vstbridge-") else {
                continue;
            };
            let pid = rest
                .split(['-', '.'])
                .find(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|part| part.parse::<u32>().ok());
            let Some(pid) = pid else { continue };
            if pid == std::process::id() || Path::new(&format!("/proc/{pid}")).exists() {
                continue;
            }
            let path = entry.path();
            let _ = if path.is_dir() {
                std::fs::remove_dir_all(&path)
            } else {
                std::fs::remove_file(&path)
            };
        }
    });
}
