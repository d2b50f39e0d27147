//! The C-ABI `audioMaster` trampoline every hosted plugin calls, and how a call is routed
//! to the right [`Host`].
//!
//! Routing: after loading, the plugin's `AEffect::resvd1` (a field reserved for the host)
//! points at the instance's [`HostContext`]. While the entry point runs, the plugin has no
//! AEffect the host knows of (it passes NULL, or its own not-yet-returned struct), so the
//! loading thread publishes the context in a thread-local for the duration of the call. A
//! call that matches neither (a NULL effect from a plugin-owned thread) is answered by
//! [`DefaultHost`]. No lock is taken and nothing is allocated on the way, so the
//! trampoline is safe to reach from the audio thread.

use std::cell::{Cell, UnsafeCell};
use std::ffi::c_void;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::ptr;
use std::sync::Arc;

use vst2_abi::constants::MAX_VENDOR_STR_LEN;
use vst2_abi::strings::write_c_string;
use vst2_abi::{AEffect, HostOpcode, VST_MAGIC, VstEvents, VstTimeInfo};

use crate::events::EventsView;
use crate::host::{DefaultHost, Host, RawHostCall};

/// What the trampoline needs to answer one plugin instance. Boxed by [`crate::Plugin`] so
/// its address is stable while the plugin holds it in `resvd1`.
pub struct HostContext {
    /// The application's answers.
    pub host: Arc<dyn Host>,
}

/// The longest canDo string read from a plugin; longer ones are cut.
const MAX_CAN_DO_LEN: usize = 256;

const ZERO_TIME_INFO: VstTimeInfo = VstTimeInfo {
    sample_pos: 0.0,
    sample_rate: 0.0,
    nano_seconds: 0.0,
    ppq_pos: 0.0,
    tempo: 0.0,
    bar_start_pos: 0.0,
    cycle_start_pos: 0.0,
    cycle_end_pos: 0.0,
    time_sig_numerator: 0,
    time_sig_denominator: 0,
    smpte_offset: 0,
    smpte_frame_rate: 0,
    samples_to_next_clock: 0,
    flags: 0,
};

thread_local! {
    /// The context of the plugin whose entry point this thread is running.
    static LOADING: Cell<*const HostContext> = const { Cell::new(ptr::null()) };
    /// Storage for the `VstTimeInfo` handed out by `audioMasterGetTime`: per thread, so
    /// concurrent callers never see each other's answer; valid until this thread's next
    /// GetTime, which is longer than the callback the ABI promises.
    static TIME_INFO: UnsafeCell<VstTimeInfo> = const { UnsafeCell::new(ZERO_TIME_INFO) };
}

/// Publishes `context` to callbacks made on this thread until the guard is dropped.
pub(crate) struct LoadingGuard {
    previous: *const HostContext,
}

impl LoadingGuard {
    pub(crate) fn publish(context: &HostContext) -> Self {
        let previous = LOADING.with(|slot| slot.replace(context));
        Self { previous }
    }
}

impl Drop for LoadingGuard {
    fn drop(&mut self) {
        LOADING.with(|slot| slot.set(self.previous));
    }
}

/// The `audioMasterCallback` handed to every plugin this library loads.
///
/// # Safety
/// Called by plugins with the ABI's arguments: `effect` NULL or a live `AEffect`, and `ptr`
/// valid for what `opcode` says it carries.
pub unsafe extern "C" fn host_callback(
    effect: *mut AEffect,
    opcode: i32,
    index: i32,
    value: isize,
    ptr: *mut c_void,
    opt: f32,
) -> isize {
    // SAFETY: `effect` comes from the plugin; see `context_for`.
    let context = unsafe { context_for(effect) };
    let default_host = DefaultHost;
    let host: &dyn Host = match context {
        // SAFETY: contexts outlive the plugin instance that points at them.
        Some(context) => unsafe { &*(*context).host },
        None => &default_host,
    };
    let call = RawHostCall {
        effect_is_null: effect.is_null(),
        opcode: HostOpcode(opcode),
        index,
        value,
        ptr: ptr as usize,
        opt,
    };
    // A panic in the application's host code must not unwind into the plugin's C frames.
    match catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: forwarded from this function's own contract.
        unsafe { answer(host, call) }
    })) {
        Ok(result) => result,
        Err(_) => {
            tracing::error!(?call.opcode, "the host's answer to a plugin callback panicked; returning 0");
            0
        }
    }
}

/// Finds the context for a callback: the effect's `resvd1`, else the loading thread's.
///
/// # Safety
/// `effect` must be NULL or point to a readable `AEffect`.
unsafe fn context_for(effect: *mut AEffect) -> Option<*const HostContext> {
    if !effect.is_null() {
        // SAFETY: per the contract, a readable AEffect.
        let (magic, resvd1) = unsafe { ((*effect).magic, (*effect).resvd1) };
        if magic == VST_MAGIC && resvd1 != 0 {
            return Some(resvd1 as *const HostContext);
        }
    }
    let loading = LOADING.with(Cell::get);
    (!loading.is_null()).then_some(loading)
}

/// Decodes one call and asks `host`.
///
/// # Safety
/// `call.ptr` must be valid for what `call.opcode` says it carries.
unsafe fn answer(host: &dyn Host, call: RawHostCall) -> isize {
    if let Some(answer) = host.intercept(call) {
        return answer;
    }
    let ptr = call.ptr as *mut c_void;
    match call.opcode {
        HostOpcode::AUTOMATE => {
            host.automate(call.index, call.opt);
            0
        }
        HostOpcode::VERSION => host.version() as isize,
        HostOpcode::CURRENT_ID => host.current_id() as isize,
        HostOpcode::IDLE => {
            host.idle();
            0
        }
        HostOpcode::GET_TIME => match host.time_info(call.value as i32) {
            Some(info) => TIME_INFO.with(|slot| {
                // SAFETY: this thread's slot; the previous answer's reader was this
                // thread's previous callback, which has returned.
                unsafe { *slot.get() = info };
                slot.get() as isize
            }),
            None => 0,
        },
        HostOpcode::PROCESS_EVENTS => {
            // SAFETY: the plugin owns a valid VstEvents (or NULL) for the call.
            let view = unsafe { EventsView::new(ptr.cast::<VstEvents>().cast_const()) };
            host.process_events(&view) as isize
        }
        HostOpcode::IO_CHANGED => host.io_changed() as isize,
        HostOpcode::SIZE_WINDOW => host.size_window(call.index, call.value as i32) as isize,
        HostOpcode::GET_SAMPLE_RATE => host.sample_rate() as isize,
        HostOpcode::GET_BLOCK_SIZE => host.block_size() as isize,
        HostOpcode::GET_INPUT_LATENCY => host.input_latency() as isize,
        HostOpcode::GET_OUTPUT_LATENCY => host.output_latency() as isize,
        HostOpcode::GET_CURRENT_PROCESS_LEVEL => host.process_level(),
        HostOpcode::GET_AUTOMATION_STATE => host.automation_state(),
        HostOpcode::GET_VENDOR_STRING | HostOpcode::GET_PRODUCT_STRING => {
            if ptr.is_null() {
                return 0;
            }
            let text = if call.opcode == HostOpcode::GET_VENDOR_STRING {
                host.vendor_string()
            } else {
                host.product_string()
            };
            // SAFETY: the plugin passes a buffer of (nominally) 64 bytes; we write at most
            // that, NUL included, as the facts sheet's rule for host-written strings says.
            let buffer = unsafe { std::slice::from_raw_parts_mut(ptr.cast::<u8>(), MAX_VENDOR_STR_LEN) };
            write_c_string(buffer, text);
            1
        }
        HostOpcode::GET_VENDOR_VERSION => host.vendor_version() as isize,
        HostOpcode::CAN_DO => {
            // SAFETY: the plugin passes a NUL-terminated string (or NULL).
            match unsafe { read_bounded_c_str(ptr.cast::<u8>(), MAX_CAN_DO_LEN) } {
                Some(feature) => host.can_do(&String::from_utf8_lossy(feature)),
                None => 0,
            }
        }
        HostOpcode::GET_LANGUAGE => host.language(),
        HostOpcode::UPDATE_DISPLAY => host.update_display() as isize,
        HostOpcode::BEGIN_EDIT => host.begin_edit(call.index) as isize,
        HostOpcode::END_EDIT => host.end_edit(call.index) as isize,
        _ => host.other(call),
    }
}

/// Reads a NUL-terminated string of at most `max` bytes (cut there if unterminated).
///
/// # Safety
/// `text` must be NULL or readable up to its NUL or `max` bytes, whichever comes first.
pub unsafe fn read_bounded_c_str<'a>(text: *const u8, max: usize) -> Option<&'a [u8]> {
    if text.is_null() {
        return None;
    }
    let mut len = 0;
    // SAFETY: every byte up to the NUL (or `max`) is readable per the contract.
    while len < max && unsafe { *text.add(len) } != 0 {
        len += 1;
    }
    // SAFETY: the `len` bytes just read are readable and not written during the call.
    Some(unsafe { std::slice::from_raw_parts(text, len) })
}
