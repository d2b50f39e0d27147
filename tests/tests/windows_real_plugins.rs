//! Real third-party Windows plugins through the Windows bridge (run under Wine): Debian's
//! dpf plugins cross-built as x64 and x86 DLLs, loaded through the proxy DLL of this test's
//! width, render what their Linux amd64 builds render (the reference files that
//! `windows_references` writes on Linux from the same input); and a plugin whose server is
//! killed mid-render comes back with its parameters while the host plays on.
#![cfg(windows)]

use std::sync::Arc;

use vst2_host::Plugin;
use vstbridge_test_support::{
    RecordingHost, difference_db, load_bridged, read_f32_file, reference_file, reference_render,
    restarted_beside_fresh, windows_plugin,
};

/// Parameter 0 as the reference files were rendered.
const PARAMETER: f32 = 0.25;
/// Measured under Wine 8 (see the Wine reference): x64 builds match Linux amd64 bit for
/// bit, x86 builds within −140 dB; −100 dB leaves room and still catches any real change.
const TOLERANCE_DB: f64 = -100.0;
const THIS_ARCH: &str = if cfg!(target_pointer_width = "64") {
    "x86_64"
} else {
    "i686"
};

fn reference(stem: &str) -> Vec<f32> {
    let path = reference_file(stem);
    assert!(
        path.is_file(),
        "{} is missing: the Linux test `windows_references` writes it (`cargo xtask test` and `cargo xtask test-windows` run it first)",
        path.display()
    );
    read_f32_file(&path)
}

#[test]
fn bridged_dpf_windows_dlls_of_both_widths_match_their_linux_amd64_builds() {
    for stem in ["MaBitcrush-vst", "3BandEQ-vst"] {
        let dll = format!("{stem}.dll");
        let expected = reference(stem);
        for arch in ["x86_64", "i686"] {
            let bridged = load_bridged(&windows_plugin(arch, &dll));
            let difference = difference_db(&reference_render(&bridged.plugin, PARAMETER), &expected);
            println!("{dll} ({arch}) bridged: {difference:.1} dB from the Linux amd64 build");
            assert!(
                difference <= TOLERANCE_DB,
                "{dll} ({arch}) bridged is {difference:.1} dB from the Linux amd64 build"
            );
        }
        // The bridge adds nothing: the DLL of this width, bridged and loaded directly.
        let direct = Plugin::load(windows_plugin(THIS_ARCH, &dll), Arc::new(RecordingHost::default())).unwrap();
        let bridged = load_bridged(&windows_plugin(THIS_ARCH, &dll));
        assert_eq!(
            reference_render(&bridged.plugin, PARAMETER),
            reference_render(&direct, PARAMETER),
            "{dll} bridged differs from {dll} loaded directly"
        );
    }
}

#[test]
fn a_bridged_x86_dpf_plugin_whose_server_is_killed_mid_render_comes_back_with_its_parameters() {
    // Suspended and resumed after the restart, which clears the EQ's filters (dpf calls
    // deactivate and activate) as in a fresh instance; a lost parameter, or one set that
    // the DAW never set, is many dB off.
    let eq = windows_plugin("i686", "3BandEQ-vst.dll");
    let (restarted, fresh) = restarted_beside_fresh(&eq, [PARAMETER, 0.8]);
    let difference = difference_db(&restarted, &fresh);
    println!("restarted against fresh: {difference:.1} dB");
    assert!(
        difference <= TOLERANCE_DB,
        "the restarted plugin is {difference:.1} dB off: it lost its parameters"
    );
    // The check can fail: the same plugin with its Mid band left alone is far off.
    let (_, untouched) = restarted_beside_fresh(&eq, [PARAMETER, 0.5]);
    assert!(difference_db(&restarted, &untouched) > -40.0);
}
