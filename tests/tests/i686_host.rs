//! 64-bit plugins in a 32-bit host: this test runs as an i686 program (a 32-bit DAW) and
//! loads 64-bit plugins through `vstbridge-proxy-i686.so`, which starts the x86_64 server.
//! What it renders must be, bit for bit, what the plugin renders loaded directly in a 64-bit
//! host (Debian's amd64 dpf plugins: the references the x86_64 suite renders in
//! `windows_references.rs`; our gain: its i686 build loaded here directly, whose arithmetic
//! is the same); a killed server comes back with its state, and a crashing plugin leaves
//! the host running.
//!
//! `cargo xtask test` runs it as an i686 binary after the x86_64 suite, and fails unless
//! every test passed.
#![cfg(all(target_os = "linux", target_pointer_width = "32"))]

use std::sync::Arc;
use std::time::Duration;

use vst2_abi::EffectOpcode;
use vst2_abi::effect::four_char_code;
use vst2_host::Plugin;
use vstbridge_test_support::proxy_status::{health, restarts, server_pid, wait_until};
use vstbridge_test_support::{
    PATIENT_OPTIONS, RecordingHost, X86_64_TRIPLE, load_bridged_with_options, read_f32_file, real_plugin_for,
    reference_file, reference_render, restarted_beside_fresh, test_plugin, test_plugin_for_triple,
};

/// Short deadlines and generous restart limits, for the fault tests.
const FAST: &str =
    "block_deadline_floor_ms = 200\nhang_timeout_ms = 1000\ncall_timeout_ms = 2000\nmax_restarts_per_minute = 1000\n";

/// Asserts `got` is `expected` bit for bit.
fn assert_bit_exact(got: &[f32], expected: &[f32], what: &str) {
    assert_eq!(got.len(), expected.len(), "{what}: lengths");
    let differing = got
        .iter()
        .zip(expected)
        .filter(|(a, b)| a.to_bits() != b.to_bits())
        .count();
    assert_eq!(differing, 0, "{what}: {differing} samples differ");
}

/// The server this 32-bit process started runs 64-bit code.
fn assert_server_is_64_bit(plugin: &Plugin, what: &str) {
    let pid = server_pid(plugin);
    assert!(pid > 0, "{what}: no server");
    let executable = std::fs::read_link(format!("/proc/{pid}/exe")).expect("the server's executable");
    let header = std::fs::read(&executable).expect("the server's file");
    // ELF class 2: 64-bit.
    assert_eq!(
        header.get(4),
        Some(&2),
        "{what}: the server {} is not a 64-bit program",
        executable.display()
    );
}

#[test]
fn a_32_bit_host_renders_64_bit_plugins_through_the_i686_proxy_bit_exactly() {
    // Debian's amd64 builds, against what they rendered loaded directly in the x86_64 suite.
    for (stem, parameter) in [("MaBitcrush-vst", 0.25), ("3BandEQ-vst", 0.25)] {
        let reference = reference_file(stem);
        assert!(
            reference.is_file(),
            "{} is missing: the x86_64 suite renders it (`cargo xtask test` runs that first)",
            reference.display()
        );
        let bridged = load_bridged_with_options(&real_plugin_for("amd64", &format!("{stem}.so")), PATIENT_OPTIONS);
        assert_server_is_64_bit(&bridged.plugin, stem);
        let rendered = reference_render(&bridged.plugin, parameter);
        assert_bit_exact(&rendered, &read_f32_file(&reference), stem);
    }

    // Our gain, 64-bit through the bridge, against its 32-bit build loaded directly.
    let bridged = load_bridged_with_options(&test_plugin_for_triple(X86_64_TRIPLE, "gain"), PATIENT_OPTIONS);
    assert_server_is_64_bit(&bridged.plugin, "gain");
    let direct = Plugin::load(test_plugin("gain"), Arc::new(RecordingHost::default())).unwrap();
    assert_eq!(
        bridged.plugin.info().unique_id,
        direct.info().unique_id,
        "the proxy reports the plugin's own identity"
    );
    assert_bit_exact(
        &reference_render(&bridged.plugin, 0.3),
        &reference_render(&direct, 0.3),
        "gain",
    );
}

#[test]
fn a_killed_64_bit_server_of_a_32_bit_host_comes_back_with_its_state() {
    let (restarted, fresh) = restarted_beside_fresh(&test_plugin_for_triple(X86_64_TRIPLE, "gain"), [0.3, 0.7]);
    assert_bit_exact(&restarted, &fresh, "gain after the restart");
}

#[test]
fn a_crashing_64_bit_plugin_leaves_a_32_bit_host_running() {
    let bridged = load_bridged_with_options(&test_plugin_for_triple(X86_64_TRIPLE, "crash"), FAST);
    let crash = &bridged.plugin;
    crash.start(48_000.0, 64);
    assert_server_is_64_bit(crash, "crash");
    // The plugin crashes inside this call; the host gets an answer and plays on.
    crash.dispatch_int(EffectOpcode::VENDOR_SPECIFIC, four_char_code(b"Fail"), 0, 0.0);
    assert!(
        wait_until(Duration::from_secs(15), || restarts(crash) >= 1 && health(crash) == 0),
        "the plugin was not restarted (restarts {}, health {})",
        restarts(crash),
        health(crash)
    );
    let input = vec![0.5f32; 64];
    let (mut left, mut right) = (vec![0.0f32; 64], vec![0.0f32; 64]);
    crash
        .process_replacing(&[&input, &input], &mut [&mut left, &mut right], 64)
        .unwrap();
    assert_eq!(left, input, "the restarted plugin plays again");
}
