//! The C ABI of the proxy: the exported entry points and the `AEffect` trampolines. Each
//! trampoline only null-checks, catches panics and calls safe code on the instance; a
//! panic or a NULL pointer yields a neutral value, never an unwind into the DAW.

use std::ffi::c_void;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

use bridge_ipc::allocations::counting;
use bridge_proto::{Request, Response};
use vst2_abi::{AEffect, EffectOpcode, HostCallbackProc, VstEvents};
use vst2_host::EventsView;

use crate::daw_buffers::{ProcessKind, Sample};
use crate::effect::OwnedEffect;
use crate::instance::ProxyInstance;
use crate::sync::lock;

#[global_allocator]
static ALLOCATOR: bridge_ipc::allocations::CountingAllocator = bridge_ipc::allocations::CountingAllocator;

/// `effVendorSpecific` index the proxy answers itself (never forwarded): the number of heap
/// allocations the proxy's own code made on the audio path so far.
pub const PROXY_ALLOCATIONS_INDEX: i32 = vst2_abi::effect::four_char_code(b"VbAp");
/// `effVendorSpecific` index the proxy answers itself: the server's count of its own heap
/// allocations on its audio thread, as of the last block (−1 before any).
pub const SERVER_ALLOCATIONS_INDEX: i32 = vst2_abi::effect::four_char_code(b"VbAs");
/// `effVendorSpecific` index the proxy answers itself: the server's process id (0 if none).
pub const SERVER_PID_INDEX: i32 = vst2_abi::effect::four_char_code(b"VbPi");
/// `effVendorSpecific` index the proxy answers itself: restarts so far.
pub const RESTARTS_INDEX: i32 = vst2_abi::effect::four_char_code(b"VbRs");
/// `effVendorSpecific` index the proxy answers itself: blocks played as silence because the
/// server was late or gone.
pub const LATE_BLOCKS_INDEX: i32 = vst2_abi::effect::four_char_code(b"VbLb");
/// `effVendorSpecific` index the proxy answers itself: socket round trips that threads
/// rendering audio made for setParameter, getParameter or effProcessEvents (should be 0).
pub const SOCKET_FALLBACKS_INDEX: i32 = vst2_abi::effect::four_char_code(b"VbSf");
/// `effVendorSpecific` index the proxy answers itself: 0 alive, 1 dead (a restart may follow),
/// 2 gone for good.
pub const HEALTH_INDEX: i32 = vst2_abi::effect::four_char_code(b"VbHe");

/// Answers the proxy's own vendor opcodes (never forwarded to the plugin).
fn own_vendor_answer(instance: &ProxyInstance, index: i32) -> Option<isize> {
    Some(match index {
        PROXY_ALLOCATIONS_INDEX => bridge_ipc::allocations::total() as isize,
        SERVER_ALLOCATIONS_INDEX => instance.audio.server_allocations().map_or(-1, |count| count as isize),
        SERVER_PID_INDEX => instance.session().map_or(0, |session| session.pid as isize),
        RESTARTS_INDEX => instance.restarts.load(std::sync::atomic::Ordering::Relaxed) as isize,
        LATE_BLOCKS_INDEX => instance.audio.late_blocks.load(std::sync::atomic::Ordering::Relaxed) as isize,
        SOCKET_FALLBACKS_INDEX => instance
            .audio
            .socket_fallbacks
            .load(std::sync::atomic::Ordering::Relaxed) as isize,
        HEALTH_INDEX => instance.health() as isize,
        _ => return None,
    })
}

/// Marks this library as a vstbridge proxy (named [`crate::launch::PROXY_MARKER_SYMBOL`]):
/// a proxy refuses to bridge a target that exports it, so a sidecar naming a proxy (itself, or one whose sidecar names this one) fails at
/// once instead of starting servers without end.
#[unsafe(no_mangle)]
pub static VSTBRIDGE_PROXY_MARKER: [u8; 16] = *b"vstbridge-proxy\0";

/// The VST 2.4 entry point.
///
/// # Safety
/// Called by a VST2 host with its `audioMasterCallback` (or NULL).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn VSTPluginMain(host_callback: Option<HostCallbackProc>) -> *mut AEffect {
    create_instance(host_callback)
}

/// The legacy entry point, exported as `main` for hosts that look only for that name (left
/// out of test builds, whose harness owns `main`).
///
/// # Safety
/// As [`VSTPluginMain`].
#[cfg_attr(not(test), unsafe(export_name = "main"))]
pub unsafe extern "C" fn legacy_main(host_callback: Option<HostCallbackProc>) -> *mut AEffect {
    create_instance(host_callback)
}

fn create_instance(host_callback: Option<HostCallbackProc>) -> *mut AEffect {
    bridge_ipc::logging::init("proxy");
    let created = catch_unwind(|| {
        let proxy_path = bridge_ipc::os::library_path_of(create_instance as *const ()).ok();
        let instance = ProxyInstance::create(
            host_callback,
            proxy_path.as_deref(),
            OwnedEffect::allocate(&TRAMPOLINES),
        )?;
        if let Err(error) = crate::watchdog::start(&instance) {
            instance.shut_down();
            // SAFETY: the DAW never received this AEffect.
            unsafe { instance.effect.free() };
            return Err(crate::instance::CreateError::from(error));
        }
        Ok(instance)
    });
    match created {
        Ok(Ok(instance)) => {
            let effect = instance.effect.as_ptr();
            // `object` keeps one strong count of the instance until effClose.
            let object = Arc::into_raw(instance.clone()).cast_mut().cast();
            instance.effect.set_object(object);
            effect
        }
        Ok(Err(error)) => {
            tracing::error!("vstbridge cannot load the plugin: {error}");
            std::ptr::null_mut()
        }
        Err(_) => {
            tracing::error!("vstbridge panicked while loading the plugin");
            std::ptr::null_mut()
        }
    }
}

/// Our trampolines, as the `AEffect` fields the DAW calls.
const TRAMPOLINES: AEffect = AEffect {
    dispatcher: Some(dispatcher),
    process: Some(process_accumulating),
    set_parameter: Some(set_parameter),
    get_parameter: Some(get_parameter),
    process_replacing: Some(process_replacing),
    process_double_replacing: Some(process_double_replacing),
    ..AEffect::empty()
};

/// The instance behind an `AEffect` we created, if the pointer looks like ours.
///
/// # Safety
/// `effect` must be NULL or an `AEffect` this library returned and the DAW has not closed.
unsafe fn instance<'a>(effect: *mut AEffect) -> Option<&'a ProxyInstance> {
    if effect.is_null() {
        return None;
    }
    // SAFETY: per the contract, a live AEffect of ours.
    let object = unsafe { (*effect).object };
    // SAFETY: `object` holds a strong count of the instance until effClose.
    (!object.is_null()).then(|| unsafe { &*object.cast::<ProxyInstance>() })
}

/// Runs `body` on the instance with panics caught; `neutral` on NULL or panic.
fn guarded<R>(effect: *mut AEffect, neutral: R, body: impl FnOnce(&ProxyInstance) -> R) -> R {
    // SAFETY: the DAW passes the AEffect we gave it.
    let Some(instance) = (unsafe { instance(effect) }) else {
        return neutral;
    };
    catch_unwind(AssertUnwindSafe(|| body(instance))).unwrap_or_else(|_| {
        tracing::error!("vstbridge panicked inside a plugin call; returning a neutral value");
        neutral
    })
}

unsafe extern "C" fn dispatcher(
    effect: *mut AEffect,
    opcode: i32,
    index: i32,
    value: isize,
    ptr: *mut c_void,
    opt: f32,
) -> isize {
    let opcode = EffectOpcode(opcode);
    if opcode == EffectOpcode::CLOSE {
        return close(effect);
    }
    guarded(effect, 0, |instance| {
        // What a restart left to tell the DAW, told on the DAW's own thread.
        instance.deliver_notices();
        if opcode == EffectOpcode::PROCESS_EVENTS {
            // SAFETY: the DAW passes a VstEvents (or NULL) for this opcode.
            let view = unsafe { EventsView::new(ptr.cast::<VstEvents>().cast_const()) };
            if counting(|| instance.audio.queue_events(&view)) {
                return 1;
            }
            instance.audio.note_socket_fallback();
        }
        if opcode == EffectOpcode::VENDOR_SPECIFIC {
            if let Some(answer) = own_vendor_answer(instance, index) {
                return answer;
            }
        }
        let result = match opcode {
            // SAFETY: the DAW passes its window with effEditOpen.
            EffectOpcode::EDIT_OPEN if !ptr.is_null() => unsafe { instance.open_editor(index, value, ptr, opt) },
            EffectOpcode::EDIT_CLOSE => instance.close_editor(index, value, opt),
            // SAFETY: the DAW passes what the opcode carries.
            _ => unsafe { instance.dispatch(opcode, index, value, ptr, opt) },
        };
        let audio = &instance.audio;
        match opcode {
            EffectOpcode::SET_SAMPLE_RATE => audio
                .sample_rate
                .store(opt.to_bits(), std::sync::atomic::Ordering::Relaxed),
            EffectOpcode::SET_BLOCK_SIZE => {
                // Not `clamp(0, u32::MAX as isize)`: on a 32-bit host that bound is -1.
                let frames = u32::try_from(value.max(0)).unwrap_or(u32::MAX);
                audio.block_size.store(frames, std::sync::atomic::Ordering::Relaxed);
                audio.ensure_region(instance, frames);
            }
            EffectOpcode::MAINS_CHANGED | EffectOpcode::START_PROCESS
                if opcode == EffectOpcode::START_PROCESS || value != 0 =>
            {
                // Resuming: the DAW has read our counts and sized its buffers from them.
                audio.latch_daw_channels(instance.effect.channel_counts());
                audio.ensure_region(instance, audio.block_size.load(std::sync::atomic::Ordering::Relaxed));
            }
            _ => {}
        }
        result
    })
}

/// effClose: forwards it, stops the server and frees the instance and our `AEffect`.
fn close(effect: *mut AEffect) -> isize {
    // SAFETY: the DAW passes the AEffect we gave it.
    let Some(instance) = (unsafe { instance(effect) }) else {
        return 0;
    };
    let result = catch_unwind(AssertUnwindSafe(|| {
        // A stopped server is not asked: closing it costs nothing, not a timeout.
        instance.begin_close();
        // SAFETY: effClose carries no pointer.
        unsafe { instance.dispatch(EffectOpcode::CLOSE, 0, 0, std::ptr::null_mut(), 0.0) };
        instance.shut_down()
    }));
    let watchdog_done = result.unwrap_or_else(|_| {
        tracing::error!("vstbridge panicked while closing; freeing the instance anyway");
        true
    });
    // SAFETY: `object` holds the strong count taken in `create_instance`; the DAW will not
    // call this AEffect again after effClose.
    unsafe {
        let object = (*effect).object.cast::<ProxyInstance>();
        (*effect).object = std::ptr::null_mut();
        let instance = Arc::from_raw(object);
        // A watchdog still restarting may yet write our AEffect's fields: then the few bytes
        // stay allocated rather than be written after they are freed.
        if watchdog_done {
            instance.effect.free();
        }
        drop(instance);
    }
    0
}

unsafe extern "C" fn set_parameter(effect: *mut AEffect, index: i32, value: f32) {
    guarded(effect, (), |instance| {
        // A thread that renders audio never waits for the server, and a change made while
        // a block is in flight rides along with the next one: either way the next block or
        // the next call to the server, whichever comes first, carries it (read-your-writes).
        // A thread new to us is asked about once: a DAW's pool worker may automate before
        // it ever processed. The thread that created the instance is the DAW's GUI thread,
        // not asked (a host answering "realtime" everywhere would otherwise defer its
        // changes, and a block on another thread could run before them); it still counts
        // once it processes, as a one-thread host's does.
        let queue = instance.audio.block_in_flight()
            || crate::thread_role::is_processing_thread_asking(|| {
                !instance.on_creator_thread() && instance.daw_says_this_thread_renders()
            });
        if queue && counting(|| instance.audio.parameters.queue(index, value)) {
            return;
        }
        // Another thread, or the queue is full: the plugin sees it (and everything queued
        // before it) now. While dead, it is recorded for the restart.
        instance.audio.note_socket_fallback();
        instance.send_parameters(Some((index, value)));
    });
}

unsafe extern "C" fn get_parameter(effect: *mut AEffect, index: i32) -> f32 {
    guarded(effect, 0.0, |instance| {
        if let Some(value) = counting(|| instance.audio.cached_parameter(index)) {
            return value;
        }
        instance.audio.note_socket_fallback();
        let pending = instance.pending_for_call();
        let request = Request::GetParameter { index, pending };
        match instance.forward(request, instance.config.policy.call_timeout) {
            Some(Response::Parameter(value)) => value,
            // Dead, or the call failed: the last value the plugin had.
            _ => lock(&instance.recorder).state.parameter(index).unwrap_or(0.0),
        }
    })
}

/// The body of the three process trampolines, counted for the allocation check.
///
/// # Safety
/// `inputs` and `outputs` must be the DAW's channel arrays for our declared counts.
unsafe fn process<T: Sample>(
    effect: *mut AEffect,
    kind: ProcessKind,
    inputs: *const *const T,
    outputs: *mut *mut T,
    frames: i32,
) {
    guarded(effect, (), |instance| {
        // SAFETY: forwarded contract.
        counting(|| unsafe { instance.audio.process(instance, kind, inputs, outputs, frames) })
    });
}

unsafe extern "C" fn process_replacing(
    effect: *mut AEffect,
    inputs: *const *const f32,
    outputs: *mut *mut f32,
    frames: i32,
) {
    // SAFETY: the DAW passes channel arrays for our declared counts.
    unsafe { process(effect, ProcessKind::Replacing, inputs, outputs, frames) }
}

unsafe extern "C" fn process_double_replacing(
    effect: *mut AEffect,
    inputs: *const *const f64,
    outputs: *mut *mut f64,
    frames: i32,
) {
    // SAFETY: as above.
    unsafe { process(effect, ProcessKind::DoubleReplacing, inputs, outputs, frames) }
}

unsafe extern "C" fn process_accumulating(
    effect: *mut AEffect,
    inputs: *const *const f32,
    outputs: *mut *mut f32,
    frames: i32,
) {
    // SAFETY: as above.
    unsafe { process(effect, ProcessKind::Accumulating, inputs, outputs, frames) }
}
