//! Every call into a plugin's code goes through here: a C++ catch-all (`cpp/guard.cpp`)
//! around it turns an exception the plugin throws into the call's neutral value, logged once
//! per kind of call. Without it the exception would reach Rust frames, which cannot catch a
//! foreign exception and abort the process; C++ hosts survive such plugins.

use std::ffi::c_void;
use std::sync::atomic::{AtomicBool, Ordering};

use vst2_abi::{
    AEffect, DispatcherProc, GetParameterProc, PluginEntryProc, ProcessDoubleProc, ProcessProc, SetParameterProc,
};

unsafe extern "C" {
    fn vstbridge_guarded_dispatch(
        function: DispatcherProc,
        effect: *mut AEffect,
        opcode: i32,
        index: i32,
        value: isize,
        ptr: *mut c_void,
        opt: f32,
        thrown: *mut i32,
    ) -> isize;
    fn vstbridge_guarded_process_f32(
        function: ProcessProc,
        effect: *mut AEffect,
        inputs: *const *const f32,
        outputs: *mut *mut f32,
        frames: i32,
        thrown: *mut i32,
    );
    fn vstbridge_guarded_process_f64(
        function: ProcessDoubleProc,
        effect: *mut AEffect,
        inputs: *const *const f64,
        outputs: *mut *mut f64,
        frames: i32,
        thrown: *mut i32,
    );
    fn vstbridge_guarded_set_parameter(
        function: SetParameterProc,
        effect: *mut AEffect,
        index: i32,
        value: f32,
        thrown: *mut i32,
    );
    fn vstbridge_guarded_get_parameter(
        function: GetParameterProc,
        effect: *mut AEffect,
        index: i32,
        thrown: *mut i32,
    ) -> f32;
    fn vstbridge_guarded_entry(function: PluginEntryProc, host_callback: *mut c_void, thrown: *mut i32)
    -> *mut AEffect;
}

/// Which kind of call threw, for the once-only log line.
#[derive(Clone, Copy)]
enum Call {
    Dispatch,
    Process,
    SetParameter,
    GetParameter,
    Entry,
}

static LOGGED: [AtomicBool; 5] = [const { AtomicBool::new(false) }; 5];

/// Notes an exception; logs the first of each kind (not on every block: the audio thread
/// must not log per block).
fn thrown(call: Call, what: &str) {
    if !LOGGED[call as usize].swap(true, Ordering::Relaxed) {
        tracing::error!("the plugin threw a C++ exception from {what}; answering with a neutral value (logged once)");
    }
}

/// The plugin's dispatcher, or 0 if it threw.
///
/// # Safety
/// As calling `function` directly: a live `effect` and the arguments its opcode expects.
pub unsafe fn dispatch(
    function: DispatcherProc,
    effect: *mut AEffect,
    opcode: i32,
    index: i32,
    value: isize,
    ptr: *mut c_void,
    opt: f32,
) -> isize {
    let mut threw = 0;
    // SAFETY: the shim calls `function` with exactly these arguments (caller's contract).
    let result = unsafe { vstbridge_guarded_dispatch(function, effect, opcode, index, value, ptr, opt, &mut threw) };
    if threw != 0 {
        thrown(Call::Dispatch, "its dispatcher");
    }
    result
}

/// A single-precision process function; `false` if it threw.
///
/// # Safety
/// As calling `function` directly.
pub unsafe fn process_f32(
    function: ProcessProc,
    effect: *mut AEffect,
    inputs: *const *const f32,
    outputs: *mut *mut f32,
    frames: i32,
) -> bool {
    let mut threw = 0;
    // SAFETY: forwarded contract.
    unsafe { vstbridge_guarded_process_f32(function, effect, inputs, outputs, frames, &mut threw) };
    if threw != 0 {
        thrown(Call::Process, "process");
    }
    threw == 0
}

/// `processDoubleReplacing`; `false` if it threw.
///
/// # Safety
/// As calling `function` directly.
pub unsafe fn process_f64(
    function: ProcessDoubleProc,
    effect: *mut AEffect,
    inputs: *const *const f64,
    outputs: *mut *mut f64,
    frames: i32,
) -> bool {
    let mut threw = 0;
    // SAFETY: forwarded contract.
    unsafe { vstbridge_guarded_process_f64(function, effect, inputs, outputs, frames, &mut threw) };
    if threw != 0 {
        thrown(Call::Process, "processDoubleReplacing");
    }
    threw == 0
}

/// `setParameter`.
///
/// # Safety
/// As calling `function` directly.
pub unsafe fn set_parameter(function: SetParameterProc, effect: *mut AEffect, index: i32, value: f32) {
    let mut threw = 0;
    // SAFETY: forwarded contract.
    unsafe { vstbridge_guarded_set_parameter(function, effect, index, value, &mut threw) };
    if threw != 0 {
        thrown(Call::SetParameter, "setParameter");
    }
}

/// `getParameter`, or 0.0 if it threw.
///
/// # Safety
/// As calling `function` directly.
pub unsafe fn get_parameter(function: GetParameterProc, effect: *mut AEffect, index: i32) -> f32 {
    let mut threw = 0;
    // SAFETY: forwarded contract.
    let value = unsafe { vstbridge_guarded_get_parameter(function, effect, index, &mut threw) };
    if threw != 0 {
        thrown(Call::GetParameter, "getParameter");
    }
    value
}

/// The entry point, or NULL if it threw.
///
/// # Safety
/// As calling `function` directly.
pub unsafe fn entry(function: PluginEntryProc, host_callback: Option<vst2_abi::HostCallbackProc>) -> *mut AEffect {
    let mut threw = 0;
    let callback = host_callback.map_or(std::ptr::null_mut(), |callback| callback as *mut c_void);
    // SAFETY: the shim passes `callback` on as the entry point's one argument, which is a C
    // function pointer (or NULL) exactly as `Option<HostCallbackProc>` is laid out.
    let effect = unsafe { vstbridge_guarded_entry(function, callback, &mut threw) };
    if threw != 0 {
        thrown(Call::Entry, "its entry point");
        return std::ptr::null_mut();
    }
    effect
}
