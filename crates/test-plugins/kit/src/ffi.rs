//! The `extern "C"` side of the kit: the generic entry point, the trampolines stored in the
//! `AEffect`, and the decoding of raw dispatcher pointers into safe views ([`Events`],
//! [`VendorCall`], strings, structs).
//!
//! Every trampoline null-checks the `AEffect`, its magic and its `object`, runs the safe
//! code under `catch_unwind`, and returns 0 / 0.0 / nothing on NULL or panic. The kit trusts
//! the host to follow the VST 2.4 contract of each opcode: out-string buffers hold at least
//! their nominal size, struct pointers point at writable structs of the right type, and
//! pointers are valid for the duration of the call.

mod process;
mod views;

pub use self::views::{Event, Events, EventsIter, VendorCall};

use core::ffi::{CStr, c_void};
use core::marker::PhantomData;
use core::{ptr, slice};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicPtr, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, TryLockError};

use vst2_abi::constants::{
    MAX_EFFECT_NAME_LEN, MAX_PARAM_STR_LEN, MAX_PRODUCT_STR_LEN, MAX_PROG_NAME_LEN, MAX_VENDOR_STR_LEN, chunk_kind,
};
use vst2_abi::effect::effect_flags;
use vst2_abi::{AEffect, ERect, EffectOpcode, HostCallbackProc, VST_MAGIC};

use self::process::{DEFAULT_BLOCK, Mode, Scratch};
use crate::{Dispatch, DispatchCall, Host, MAX_CHANNELS, Plugin, ProcessFn};

/// Everything `AEffect::object` points at.
struct Instance<P> {
    plugin: P,
    /// Shared with every [`Host`] clone; reset to NULL at effClose.
    effect: Arc<AtomicPtr<AEffect>>,
    scratch_f32: Mutex<Scratch<f32>>,
    scratch_f64: Option<Mutex<Scratch<f64>>>,
    /// The last effGetChunk answer, alive until the next effGetChunk or effClose.
    chunk: Mutex<Vec<u8>>,
    /// The rect published by effEditGetRect.
    rect: Mutex<ERect>,
}

/// Locks `mutex`, ignoring poisoning (a panic is already contained by `catch_unwind`).
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Like [`lock`] but gives up instead of blocking (re-entrant or concurrent calls).
fn try_lock<T>(mutex: &Mutex<T>) -> Option<MutexGuard<'_, T>> {
    match mutex.try_lock() {
        Ok(guard) => Some(guard),
        Err(TryLockError::Poisoned(poisoned)) => Some(poisoned.into_inner()),
        Err(TryLockError::WouldBlock) => None,
    }
}

/// The generic entry point behind `VSTPluginMain` and `main`: creates one instance of `P`
/// and returns its `AEffect`, or NULL if `P::new` panicked.
pub fn entry<P: Plugin>(callback: Option<HostCallbackProc>) -> *mut AEffect {
    catch_unwind(|| create::<P>(callback)).unwrap_or(ptr::null_mut())
}

fn create<P: Plugin>(callback: Option<HostCallbackProc>) -> *mut AEffect {
    let info = P::info();
    let inputs = info.inputs.clamp(0, MAX_CHANNELS as i32);
    let outputs = info.outputs.clamp(0, MAX_CHANNELS as i32);
    let double = info.flags & effect_flags::CAN_DOUBLE_REPLACING != 0;
    let shared = Arc::new(AtomicPtr::new(ptr::null_mut()));
    let plugin = P::new(Host::new(callback, Arc::clone(&shared)));
    let (n_in, n_out) = (inputs as usize, outputs as usize);
    let instance = Box::new(Instance {
        plugin,
        effect: Arc::clone(&shared),
        scratch_f32: Mutex::new(Scratch::new(n_in, n_out, DEFAULT_BLOCK)),
        scratch_f64: double.then(|| Mutex::new(Scratch::new(n_in, n_out, DEFAULT_BLOCK))),
        chunk: Mutex::new(Vec::new()),
        rect: Mutex::new(ERect::default()),
    });
    let mut effect = AEffect::empty();
    effect.dispatcher = Some(dispatcher::<P>);
    effect.process = Some(process_accumulating::<P>);
    effect.set_parameter = Some(set_parameter::<P>);
    effect.get_parameter = Some(get_parameter::<P>);
    effect.num_programs = info.num_programs;
    effect.num_params = info.num_params;
    effect.num_inputs = inputs;
    effect.num_outputs = outputs;
    effect.flags = info.flags;
    effect.initial_delay = info.initial_delay;
    effect.object = Box::into_raw(instance).cast();
    effect.unique_id = info.unique_id;
    effect.version = info.version;
    effect.process_replacing = Some(process_replacing::<P>);
    if double {
        effect.process_double_replacing = Some(process_double_replacing::<P>);
    }
    let effect = Box::into_raw(Box::new(effect));
    shared.store(effect, Ordering::Release);
    effect
}

/// The instance behind `effect`, or `None` for a NULL effect, a wrong magic or a NULL
/// object.
///
/// # Safety
/// `effect` must be NULL or an `AEffect` returned by [`entry::<P>`] that has not been
/// closed.
unsafe fn instance<'a, P: Plugin>(effect: *mut AEffect) -> Option<&'a Instance<P>> {
    if effect.is_null() {
        return None;
    }
    // SAFETY: `effect` is a live AEffect of ours (caller). We read two fields by value
    // without creating a reference, so concurrent host writes to other fields are fine.
    let (magic, object) = unsafe { ((*effect).magic, (*effect).object) };
    if magic != VST_MAGIC || object.is_null() {
        return None;
    }
    // SAFETY: `object` was set from `Box::into_raw(Box<Instance<P>>)` in `create` and is
    // freed only by effClose, after which the host may not call us with this effect.
    Some(unsafe { &*object.cast::<Instance<P>>() })
}

unsafe extern "C" fn dispatcher<P: Plugin>(
    effect: *mut AEffect,
    opcode: i32,
    index: i32,
    value: isize,
    ptr: *mut c_void,
    opt: f32,
) -> isize {
    // SAFETY: the host passes the AEffect our entry point returned (or garbage it promised
    // not to pass); NULL is handled.
    let Some(instance) = (unsafe { instance::<P>(effect) }) else {
        return 0;
    };
    if EffectOpcode(opcode) == EffectOpcode::CLOSE {
        let call = Dispatch {
            opcode: EffectOpcode::CLOSE,
            index,
            value,
            opt,
            call: DispatchCall::Close,
        };
        let answer = catch_unwind(AssertUnwindSafe(|| instance.plugin.dispatch(call))).unwrap_or(0);
        instance.effect.store(ptr::null_mut(), Ordering::Release);
        // SAFETY: effClose is the last call the host makes with this effect; both boxes
        // were leaked in `create`, and `instance` is not used after this point.
        let _ = catch_unwind(AssertUnwindSafe(|| unsafe {
            let object = (*effect).object;
            drop(Box::from_raw(object.cast::<Instance<P>>()));
            drop(Box::from_raw(effect));
        }));
        return answer;
    }
    catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: the host follows the opcode's contract for `index`, `value` and `ptr`.
        unsafe { dispatch(instance, EffectOpcode(opcode), index, value, ptr, opt) }
    }))
    .unwrap_or(0)
}

/// Decodes and forwards one dispatcher call (effClose excluded).
///
/// # Safety
/// `ptr` and `value` must follow the VST 2.4 contract of `opcode` for the call's duration.
unsafe fn dispatch<P: Plugin>(
    instance: &Instance<P>,
    opcode: EffectOpcode,
    index: i32,
    value: isize,
    ptr: *mut c_void,
    opt: f32,
) -> isize {
    let wrap = |call| Dispatch {
        opcode,
        index,
        value,
        opt,
        call,
    };
    match opcode {
        EffectOpcode::SET_BLOCK_SIZE => {
            if value > 0 {
                // Never block: a re-entrant call from inside process just keeps the old
                // size (longer blocks are then rendered in pieces).
                if let Some(mut scratch) = try_lock(&instance.scratch_f32) {
                    scratch.resize(value as usize);
                }
                if let Some(mut scratch) = instance.scratch_f64.as_ref().and_then(try_lock) {
                    scratch.resize(value as usize);
                }
            }
            instance.plugin.dispatch(wrap(DispatchCall::SetBlockSize(value)))
        }
        EffectOpcode::GET_CHUNK if !ptr.is_null() => {
            let Some(mut chunk) = try_lock(&instance.chunk) else {
                return 0;
            };
            chunk.clear();
            let program = index == chunk_kind::PROGRAM;
            let call = DispatchCall::GetChunk {
                program,
                out: &mut chunk,
            };
            let answer = instance.plugin.dispatch(wrap(call));
            let (data, len) = if answer != 0 && !chunk.is_empty() {
                (chunk.as_mut_ptr().cast::<c_void>(), chunk.len() as isize)
            } else {
                (ptr::null_mut(), 0)
            };
            // SAFETY: for effGetChunk `ptr` is the address of a host-owned `void*` slot. The
            // data stays alive in the instance until the next effGetChunk or effClose.
            unsafe { ptr.cast::<*mut c_void>().write_unaligned(data) };
            len
        }
        EffectOpcode::EDIT_GET_RECT if !ptr.is_null() => {
            let Some(mut rect) = try_lock(&instance.rect) else {
                return 0;
            };
            let answer = instance.plugin.dispatch(wrap(DispatchCall::EditGetRect(&mut rect)));
            let published: *mut ERect = if answer != 0 { &mut *rect } else { ptr::null_mut() };
            // SAFETY: for effEditGetRect `ptr` is the address of a host-owned `ERect*`
            // slot; the rect lives in the boxed instance until effClose.
            unsafe { ptr.cast::<*mut ERect>().write_unaligned(published) };
            answer
        }
        _ => {
            // SAFETY: forwarded from our caller's contract.
            let call = unsafe { decode(opcode, index, value, ptr, opt) };
            instance
                .plugin
                .dispatch(wrap(call.unwrap_or(DispatchCall::Raw { ptr })))
        }
    }
}

/// An out-string buffer of `len` bytes at `ptr`.
///
/// # Safety
/// `ptr` must be NULL or valid for writing `len` bytes during `'a`.
pub(super) unsafe fn out_buf<'a>(ptr: *mut c_void, len: usize) -> Option<&'a mut [u8]> {
    // SAFETY: caller contract; NULL is handled by `then`.
    (!ptr.is_null()).then(|| unsafe { slice::from_raw_parts_mut(ptr.cast::<u8>(), len) })
}

/// A struct the host allocated for the plugin to fill.
///
/// # Safety
/// `ptr` must be NULL or point at a writable `T` during `'a`.
unsafe fn out_struct<'a, T>(ptr: *mut c_void) -> Option<&'a mut T> {
    if ptr as usize % align_of::<T>() != 0 {
        return None;
    }
    // SAFETY: caller contract; NULL gives `None`; alignment checked above.
    unsafe { ptr.cast::<T>().as_mut() }
}

/// A NUL-terminated in-string; invalid UTF-8 is cut at the first bad byte.
///
/// # Safety
/// `ptr` must be NULL or point at a NUL-terminated string valid during `'a`.
unsafe fn in_str<'a>(ptr: *mut c_void) -> Option<&'a str> {
    if ptr.is_null() {
        return None;
    }
    // SAFETY: caller contract.
    let bytes = unsafe { CStr::from_ptr(ptr.cast()) }.to_bytes();
    Some(match core::str::from_utf8(bytes) {
        Ok(text) => text,
        Err(error) => core::str::from_utf8(&bytes[..error.valid_up_to()]).unwrap_or_default(),
    })
}

/// Decodes the opcodes that need no kit storage; `None` when a required `ptr` is NULL or
/// the opcode is not decoded.
///
/// # Safety
/// `ptr` and `value` must follow the VST 2.4 contract of `opcode` during `'a`.
unsafe fn decode<'a>(
    opcode: EffectOpcode,
    index: i32,
    value: isize,
    ptr: *mut c_void,
    opt: f32,
) -> Option<DispatchCall<'a>> {
    use DispatchCall as C;
    use EffectOpcode as E;
    // SAFETY: every helper below is called with `ptr` (and `value`) as the opcode's
    // contract defines them: out-strings of at least the nominal size, structs of the named
    // type, NUL-terminated in-strings, a `VstEvents*`, a chunk of `value` bytes.
    unsafe {
        Some(match opcode {
            E::OPEN => C::Open,
            E::SET_PROGRAM => C::SetProgram(value as i32),
            E::GET_PROGRAM => C::GetProgram,
            E::SET_PROGRAM_NAME => C::SetProgramName(in_str(ptr)?),
            E::GET_PROGRAM_NAME => C::GetProgramName(out_buf(ptr, MAX_PROG_NAME_LEN)?),
            E::GET_PARAM_LABEL => C::GetParamLabel(index, out_buf(ptr, MAX_PARAM_STR_LEN)?),
            E::GET_PARAM_DISPLAY => C::GetParamDisplay(index, out_buf(ptr, MAX_PARAM_STR_LEN)?),
            E::GET_PARAM_NAME => C::GetParamName(index, out_buf(ptr, MAX_PARAM_STR_LEN)?),
            E::SET_SAMPLE_RATE => C::SetSampleRate(opt),
            E::MAINS_CHANGED => C::MainsChanged(value != 0),
            E::SET_CHUNK => C::SetChunk {
                program: index == chunk_kind::PROGRAM,
                data: if ptr.is_null() || value <= 0 {
                    &[]
                } else {
                    slice::from_raw_parts(ptr.cast::<u8>(), value as usize)
                },
            },
            E::PROCESS_EVENTS => C::ProcessEvents(Events::from_raw(ptr)?),
            E::CAN_BE_AUTOMATED => C::CanBeAutomated(index),
            E::STRING_TO_PARAMETER => C::StringToParameter(index, in_str(ptr)?),
            E::GET_PROGRAM_NAME_INDEXED => C::GetProgramNameIndexed(index, out_buf(ptr, MAX_PROG_NAME_LEN)?),
            E::GET_INPUT_PROPERTIES => C::GetInputProperties(index, out_struct(ptr)?),
            E::GET_OUTPUT_PROPERTIES => C::GetOutputProperties(index, out_struct(ptr)?),
            E::GET_PLUG_CATEGORY => C::GetPlugCategory,
            E::SET_BYPASS => C::SetBypass(value != 0),
            E::GET_EFFECT_NAME => C::GetEffectName(out_buf(ptr, MAX_EFFECT_NAME_LEN)?),
            E::GET_VENDOR_STRING => C::GetVendorString(out_buf(ptr, MAX_VENDOR_STR_LEN)?),
            E::GET_PRODUCT_STRING => C::GetProductString(out_buf(ptr, MAX_PRODUCT_STR_LEN)?),
            E::GET_VENDOR_VERSION => C::GetVendorVersion,
            E::VENDOR_SPECIFIC => C::VendorSpecific(VendorCall {
                index,
                value,
                opt,
                ptr,
                _buffer: PhantomData,
            }),
            E::CAN_DO => C::CanDo(in_str(ptr)?),
            E::GET_TAIL_SIZE => C::GetTailSize,
            E::GET_PARAMETER_PROPERTIES => C::GetParameterProperties(index, out_struct(ptr)?),
            E::GET_VST_VERSION => C::GetVstVersion,
            E::SET_PROCESS_PRECISION => C::SetProcessPrecision(value),
            E::START_PROCESS => C::StartProcess,
            E::STOP_PROCESS => C::StopProcess,
            _ => return None,
        })
    }
}

/// Picks an instance's scratch buffers for one sample type.
type ScratchOf<P, T> = fn(&Instance<P>) -> Option<&Mutex<Scratch<T>>>;
/// A plugin's render method for one sample type.
type RenderFn<P, T> = fn(&P, &[&[T]], &mut [&mut [T]]);

/// Shared body of the three process trampolines.
///
/// # Safety
/// `effect` as in [`instance`]; the buffers as in [`process::run`] for the effect's
/// channel counts.
unsafe fn process_with<P: Plugin, T: process::Sample>(
    effect: *mut AEffect,
    which: ProcessFn,
    inputs: *const *const T,
    outputs: *mut *mut T,
    frames: i32,
    scratch: ScratchOf<P, T>,
    render: RenderFn<P, T>,
) {
    // SAFETY: caller contract.
    let Some(instance) = (unsafe { instance::<P>(effect) }) else {
        return;
    };
    let _ = catch_unwind(AssertUnwindSafe(|| {
        instance.plugin.process_begin(which, frames);
        let Some(mutex) = scratch(instance) else {
            return;
        };
        let mode = if which == ProcessFn::Process {
            Mode::Accumulate
        } else {
            Mode::Replace
        };
        let mut scratch = lock(mutex);
        // SAFETY: caller contract; the scratch channel counts equal numInputs/numOutputs.
        unsafe {
            process::run(&mut scratch, inputs, outputs, frames, mode, |i, o| {
                render(&instance.plugin, i, o)
            })
        };
    }));
}

unsafe extern "C" fn process_accumulating<P: Plugin>(
    effect: *mut AEffect,
    inputs: *const *const f32,
    outputs: *mut *mut f32,
    frames: i32,
) {
    // SAFETY: the host passes our AEffect and numInputs/numOutputs channels of `frames`.
    unsafe {
        process_with::<P, f32>(
            effect,
            ProcessFn::Process,
            inputs,
            outputs,
            frames,
            |i| Some(&i.scratch_f32),
            P::process_f32,
        )
    }
}

unsafe extern "C" fn process_replacing<P: Plugin>(
    effect: *mut AEffect,
    inputs: *const *const f32,
    outputs: *mut *mut f32,
    frames: i32,
) {
    // SAFETY: the host passes our AEffect and numInputs/numOutputs channels of `frames`.
    unsafe {
        process_with::<P, f32>(
            effect,
            ProcessFn::ProcessReplacing,
            inputs,
            outputs,
            frames,
            |i| Some(&i.scratch_f32),
            P::process_f32,
        )
    }
}

unsafe extern "C" fn process_double_replacing<P: Plugin>(
    effect: *mut AEffect,
    inputs: *const *const f64,
    outputs: *mut *mut f64,
    frames: i32,
) {
    // SAFETY: the host passes our AEffect and numInputs/numOutputs channels of `frames`.
    unsafe {
        process_with::<P, f64>(
            effect,
            ProcessFn::ProcessDoubleReplacing,
            inputs,
            outputs,
            frames,
            |i| i.scratch_f64.as_ref(),
            P::process_f64,
        )
    }
}

unsafe extern "C" fn set_parameter<P: Plugin>(effect: *mut AEffect, index: i32, value: f32) {
    // SAFETY: the host passes the AEffect our entry point returned; NULL is handled.
    if let Some(instance) = unsafe { instance::<P>(effect) } {
        let _ = catch_unwind(AssertUnwindSafe(|| instance.plugin.set_parameter(index, value)));
    }
}

unsafe extern "C" fn get_parameter<P: Plugin>(effect: *mut AEffect, index: i32) -> f32 {
    // SAFETY: the host passes the AEffect our entry point returned; NULL is handled.
    match unsafe { instance::<P>(effect) } {
        Some(instance) => catch_unwind(AssertUnwindSafe(|| instance.plugin.get_parameter(index))).unwrap_or(0.0),
        None => 0.0,
    }
}
