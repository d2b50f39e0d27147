//! A real host in the tests: DawDreamer (PyPI `dawdreamer`, a JUCE host) in the venv that
//! `cargo xtask test` makes under `target/dawdreamer-venv`, driven by
//! `tests/real-host/dawdreamer_host.py`, with an Xvfb display of its own for scenarios that
//! open the plugin's editor (JUCE's `load_state` does).

use std::ffi::OsStr;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// The venv `cargo xtask test` installs DawDreamer into (`VSTBRIDGE_DAWDREAMER_PYTHON`
/// names its interpreter instead, for programs outside the target layout such as the bench).
pub fn dawdreamer_python() -> PathBuf {
    let python = std::env::var_os("VSTBRIDGE_DAWDREAMER_PYTHON")
        .map_or_else(|| crate::target_dir().join("dawdreamer-venv/bin/python"), PathBuf::from);
    assert!(
        python.is_file(),
        "DawDreamer is not installed in {}: run `cargo xtask test` (it creates the venv)",
        python.display()
    );
    python
}

/// The scenario driver script.
pub fn dawdreamer_script() -> PathBuf {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/real-host/dawdreamer_host.py");
    assert!(script.is_file(), "{} is missing", script.display());
    script
}

/// An Xvfb server on a free display, killed on drop. It runs with `-noreset`, so the
/// window-manager atoms the driver interns survive between clients.
pub struct Xvfb {
    child: Child,
    display: String,
}

impl Xvfb {
    /// Starts one and waits until it accepts clients.
    pub fn start() -> Self {
        let mut child = Command::new("Xvfb")
            .args([
                "-displayfd",
                "1",
                "-noreset",
                "-nolisten",
                "tcp",
                "-screen",
                "0",
                "1280x800x24",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("Xvfb must be installed for the real-host tests (`cargo xtask test` installs Debian's xvfb)");
        let mut stdout = child.stdout.take().expect("piped stdout");
        let mut number = String::new();
        let mut byte = [0u8; 1];
        // Xvfb writes the display number and a newline once it is ready.
        while stdout.read(&mut byte).expect("reading Xvfb's display number") == 1 && byte[0] != b'\n' {
            number.push(byte[0] as char);
        }
        assert!(!number.is_empty(), "Xvfb did not report a display");
        Self {
            child,
            display: format!(":{number}"),
        }
    }

    /// The `DISPLAY` value.
    pub fn display(&self) -> &str {
        &self.display
    }
}

impl Drop for Xvfb {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What one run of the driver printed, and the proxy's log of it.
pub struct HostRun {
    /// The scenario's JSON findings.
    pub findings: serde_json::Value,
    /// Everything the proxy and its servers logged during the run (at debug level).
    pub log: String,
}

/// Runs the driver with `args` (the scenario and its arguments), on `display` if given.
/// Panics with the driver's stderr if it fails.
pub fn run_dawdreamer<S: AsRef<OsStr>>(args: &[S], display: Option<&Xvfb>) -> HostRun {
    static RUNS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let log_file = std::env::temp_dir().join(format!(
        "vstbridge-real-host-{}-{}.log",
        std::process::id(),
        RUNS.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    ));
    let _ = std::fs::remove_file(&log_file);
    let mut command = Command::new(dawdreamer_python());
    command
        .arg(dawdreamer_script())
        .args(args)
        .env("VSTBRIDGE_LOG", "debug")
        .env("VSTBRIDGE_LOG_FILE", &log_file)
        .stdin(Stdio::null());
    match display {
        Some(xvfb) => command.env("DISPLAY", xvfb.display()),
        None => command.env_remove("DISPLAY"),
    };
    let output = command.output().expect("DawDreamer's python runs");
    let log = std::fs::read_to_string(&log_file).unwrap_or_default();
    let _ = std::fs::remove_file(&log_file);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "DawDreamer {:?} failed ({}):\n{}\n{}",
        args.iter()
            .map(|a| a.as_ref().to_string_lossy().into_owned())
            .collect::<Vec<_>>(),
        output.status,
        String::from_utf8_lossy(&output.stderr),
        stdout
    );
    let findings = serde_json::from_str(stdout.trim())
        .unwrap_or_else(|error| panic!("DawDreamer printed no JSON ({error}):\n{stdout}"));
    HostRun { findings, log }
}

/// Reads a file of little-endian `f32` samples.
pub fn read_f32_file(path: &Path) -> Vec<f32> {
    let bytes = std::fs::read(path).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    bytes
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect()
}

/// A path for `name` in this test process's scratch folder.
pub fn scratch_file(name: &str) -> PathBuf {
    crate::sweep_stale_temp_files();
    let dir = std::env::temp_dir().join(format!("vstbridge-real-host-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// Renders `seconds` through `plugin` in DawDreamer; returns every output sample.
pub fn dawdreamer_render(plugin: &Path, extra: &[&str]) -> Vec<f32> {
    let out = scratch_file(&format!(
        "{}-{}.f32",
        plugin.file_stem().unwrap().to_string_lossy(),
        unique_number()
    ));
    let mut args = vec![
        "render".to_owned(),
        plugin.display().to_string(),
        out.display().to_string(),
    ];
    args.extend(extra.iter().map(|s| (*s).to_owned()));
    let run = run_dawdreamer(&args, None);
    let samples = read_f32_file(&out);
    let shape = run.findings["shape"].as_array().unwrap();
    let expected = shape.iter().map(|n| n.as_u64().unwrap() as usize).product::<usize>();
    assert_eq!(samples.len(), expected, "rendered samples");
    let _ = std::fs::remove_file(&out);
    samples
}

/// A number no other call in this process returned (for file names).
pub fn unique_number() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// The largest difference between two equally long sample runs.
pub fn max_difference(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f32::max)
}

/// DawDreamer's `params` scenario on `plugin` with `sets` (index, value) applied on the
/// processing thread: its findings and the state it saved.
pub fn dawdreamer_params(plugin: &Path, sets: &[(usize, f32)]) -> (serde_json::Value, Vec<u8>) {
    let state = scratch_file(&format!("state-{}", unique_number()));
    let mut args = vec![
        "params".to_owned(),
        plugin.display().to_string(),
        state.display().to_string(),
    ];
    for (index, value) in sets {
        args.push("--set".into());
        args.push(format!("{index}={value}"));
    }
    let run = run_dawdreamer(&args, None);
    let bytes = std::fs::read(&state).unwrap();
    let _ = std::fs::remove_file(&state);
    (run.findings, bytes)
}

/// Display texts of the two builds of a dpf plugin: equal, or (i386 printing through x87)
/// equal as numbers to about six digits.
pub fn assert_texts_alike(direct: &serde_json::Value, bridged: &serde_json::Value, exact: bool, what: &str) {
    let (direct, bridged) = (direct.as_str().unwrap(), bridged.as_str().unwrap());
    if exact || direct == bridged {
        assert_eq!(direct, bridged, "{what}");
        return;
    }
    let (a, b): (f64, f64) = (
        direct.trim().parse().unwrap_or(f64::NAN),
        bridged.trim().parse().unwrap_or(f64::NAN),
    );
    assert!(
        (a - b).abs() <= 1e-5 * a.abs().max(1.0),
        "{what}: direct {direct:?}, bridged {bridged:?}"
    );
}
