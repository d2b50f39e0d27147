//! The Linux side of the Windows comparison: Debian's amd64 builds of the dpf plugins that
//! the Windows tests bridge (as DLLs cross-built from the same sources), rendered directly
//! into reference files, which `windows_real_plugins` (run under Wine) compares with.
#![cfg(target_os = "linux")]

use std::sync::Arc;

use vst2_host::Plugin;
use vstbridge_test_support::{RecordingHost, real_plugin_for, reference_file, reference_render, rms, write_f32_file};

/// The plugins, by file stem, and the value their parameter 0 is rendered with.
const PLUGINS: [(&str, f32); 2] = [("MaBitcrush-vst", 0.25), ("3BandEQ-vst", 0.25)];

#[test]
fn amd64_dpf_renderings_for_the_windows_comparison() {
    for (stem, parameter) in PLUGINS {
        let plugin = Plugin::load(
            real_plugin_for("amd64", &format!("{stem}.so")),
            Arc::new(RecordingHost::default()),
        )
        .unwrap();
        let rendered = reference_render(&plugin, parameter);
        assert!(rms(&rendered) > 1e-3, "{stem} renders sound");
        write_f32_file(&reference_file(stem), &rendered);
    }
}
