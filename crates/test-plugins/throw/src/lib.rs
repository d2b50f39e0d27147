//! `test-plugin-throw` ('VbTh'): a plugin written in C++ (`cpp/plugin.cpp`) that throws C++
//! exceptions, as real C++ plugins sometimes do, to prove the server contains them.
//!
//! - 1 in / 1 out, one parameter "Throw" (default 0); flags CanReplacing; a gain of 1.
//! - `effGetParamDisplay` throws for parameter 0 (it answers "fine" for others: none exist);
//!   `effGetVendorVersion` throws always; `effGetEffectName` answers "Thrower".
//! - `processReplacing` throws whenever parameter 0 is above 0.5 (after writing 0.25 into
//!   every output sample, which the host must never hear), else copies input to output.
//!
//! The Rust part only exports the entry points (a cdylib exports what Rust declares).

use vst2_abi::{AEffect, HostCallbackProc};

unsafe extern "C" {
    fn throwing_plugin_main(host_callback: Option<HostCallbackProc>) -> *mut AEffect;
}

/// The VST 2.4 entry point.
///
/// # Safety
/// Called by a VST2 host with its `audioMasterCallback`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn VSTPluginMain(host_callback: Option<HostCallbackProc>) -> *mut AEffect {
    // SAFETY: the C++ entry point takes the host's callback and never throws.
    unsafe { throwing_plugin_main(host_callback) }
}

/// The legacy entry point `main`.
///
/// # Safety
/// As [`VSTPluginMain`].
#[cfg_attr(not(test), unsafe(export_name = "main"))]
pub unsafe extern "C" fn legacy_main(host_callback: Option<HostCallbackProc>) -> *mut AEffect {
    // SAFETY: the same C++ entry point as `VSTPluginMain`'s: it takes the host's callback
    // and never throws.
    unsafe { throwing_plugin_main(host_callback) }
}
