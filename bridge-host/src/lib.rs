//! The vstbridge proxy plugin (`vstbridge-proxy.so`): what a DAW loads in place of the real
//! plugin.
//!
//! Foundation stage: the crate builds as a cdylib with both VST2 entry points, so packaging
//! and symbol checks can be wired up; the entry points refuse to create an instance (they
//! return NULL, which a DAW reports as "plugin failed to load") until the bridge lands.

use vst2_abi::{AEffect, HostCallbackProc};

/// The VST 2.4 entry point.
///
/// # Safety
/// Called by a VST2 host with its `audioMasterCallback` (or NULL).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn VSTPluginMain(host_callback: Option<HostCallbackProc>) -> *mut AEffect {
    create_instance(host_callback)
}

/// The legacy entry point, exported as `main` for hosts that look only for that name.
///
/// # Safety
/// As [`VSTPluginMain`].
#[unsafe(export_name = "main")]
pub unsafe extern "C" fn legacy_main(host_callback: Option<HostCallbackProc>) -> *mut AEffect {
    create_instance(host_callback)
}

fn create_instance(_host_callback: Option<HostCallbackProc>) -> *mut AEffect {
    eprintln!("vstbridge: the proxy cannot bridge plugins yet; refusing to load");
    std::ptr::null_mut()
}
