//! Another instruction set: Debian's arm64 builds of dpf plugins bridged into this x86_64
//! test host. The aarch64 server runs under QEMU's user-mode emulator (`qemu-aarch64` with
//! Debian's arm64 cross C runtime as its system root); the audio region, its futex doorbells
//! and the control sockets are the same as for any server. What the host renders must be
//! what the plugins' amd64 builds render loaded directly, within a tolerance (the arm64
//! builds' floating point need not round as the amd64 ones do: fused multiply-adds); a
//! killed emulated server comes back with its state.
//!
//! `cargo xtask test` installs the emulator and the runtime, builds the aarch64 server and
//! fetches the arm64 plugins, and fails unless these pass.
#![cfg(all(target_os = "linux", target_arch = "x86_64"))]

use std::sync::Arc;

use vst2_host::Plugin;
use vstbridge_test_support::proxy_status::server_pid;
use vstbridge_test_support::{
    PATIENT_OPTIONS, RecordingHost, load_bridged_with_options, max_difference, peak, real_plugin_for, reference_render,
    restarted_beside_fresh,
};

/// −100 dB of the peak: far below any audible or real change, far above the rounding of
/// another instruction set's floating point.
const TOLERANCE: f32 = 1e-5;

#[test]
fn arm64_dpf_plugins_render_under_qemu_like_their_amd64_builds() {
    // Plugins without an editor: the arm64 cross runtime has no GL or X11 libraries, which
    // dpf's editors (3BandEQ's) link.
    for (stem, parameter) in [("MaBitcrush-vst", 0.25), ("MaFreeverb-vst", 0.6)] {
        let file = format!("{stem}.so");
        let direct = Plugin::load(real_plugin_for("amd64", &file), Arc::new(RecordingHost::default())).unwrap();
        let expected = reference_render(&direct, parameter);
        assert!(peak(&expected) > 0.01, "{stem} rendered silence directly");
        let bridged = load_bridged_with_options(&real_plugin_for("arm64", &file), PATIENT_OPTIONS);
        // The server is the aarch64 build, run by the emulator.
        let pid = server_pid(&bridged.plugin);
        let command_line = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap();
        let command_line = String::from_utf8_lossy(&command_line).replace('\0', " ");
        assert!(
            command_line.contains("qemu-aarch64") && command_line.contains("vstbridge-server-aarch64"),
            "{stem}: the server runs as {command_line}"
        );
        let got = reference_render(&bridged.plugin, parameter);
        let difference = max_difference(&expected, &got);
        println!(
            "{stem} (arm64 under qemu): max difference {difference:e} of peak {}",
            peak(&expected)
        );
        assert!(
            difference <= TOLERANCE * peak(&expected).max(1.0),
            "{stem} (arm64 under qemu): max difference {difference} from the amd64 build"
        );
    }
}

#[test]
fn vstbridge_probe_describes_an_arm64_plugin_through_the_emulator() {
    let output = std::process::Command::new(vstbridge_test_support::build_dir().join("vstbridge"))
        .args(["probe", "--json"])
        .arg(real_plugin_for("arm64", "MaBitcrush-vst.so"))
        .arg("--dist")
        .arg(vstbridge_test_support::bridge_dir())
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        (
            report["status"].as_str(),
            report["needs_bridge"].as_bool(),
            report["name"].as_str()
        ),
        (Some("ok"), Some(true), Some("MaBitcrush")),
        "{report}"
    );
}

#[test]
fn a_killed_emulated_server_comes_back_with_its_state() {
    // A bitcrusher keeps no signal from block to block (a reverb would keep its tail across
    // the restart's suspend and resume, and differ from a fresh one by that).
    let (restarted, fresh) = restarted_beside_fresh(&real_plugin_for("arm64", "MaBitcrush-vst.so"), [0.7, 0.3]);
    assert!(peak(&fresh) > 0.01, "MaBitcrush rendered silence");
    assert_eq!(
        max_difference(&restarted, &fresh),
        0.0,
        "the restarted plugin renders otherwise than a fresh one with its state"
    );
}
