//! `test-plugin-kit`: a tiny, safe framework for the vstbridge test plugins (modelled on
//! nih-plug), owning every line of unsafe code they need.
//!
//! A plugin crate implements [`Plugin`] with safe code only and calls
//! [`export_plugin!`]; the kit provides the rest:
//!
//! - [`ffi`]: the `extern "C"` trampolines stored in the `AEffect` (dispatcher, the three
//!   process functions, set/getParameter) and the generic entry point [`entry`]. Each one
//!   null-checks the `AEffect` and its `object`, catches panics
//!   (`std::panic::catch_unwind`), decodes raw pointers into safe views
//!   ([`DispatchCall`]) and returns a neutral value (0 / 0.0 / nothing) on NULL or panic.
//! - [`host`]: [`Host`], a safe handle on the host callback.
//! - [`harness`]: an in-process driver for unit tests of plugins.
//!
//! Unsafe code lives only in `ffi.rs`, `ffi/process.rs`, `ffi/views.rs`, `host.rs` and
//! `harness.rs` (plus one `libc::raise` call in the crash plugin).
//!
//! Instance model: the entry point boxes the plugin instance (kit state + the plugin) and,
//! separately, its `AEffect`, whose `object` points at the instance. `effClose` frees both,
//! so the host must not touch the `AEffect` afterwards. Calls the plugin makes from inside
//! [`Plugin::new`] (i.e. inside the entry point) pass a NULL effect to the host; later calls
//! pass the real `AEffect` pointer.
//!
//! Process functions: `processReplacing` always; the accumulating `process` always (the
//! kit renders into a per-instance scratch buffer sized by `effSetBlockSize`, then adds it
//! to the outputs); `processDoubleReplacing` only when [`PluginInfo::flags`] contains
//! `CAN_DOUBLE_REPLACING`. Channel arrays may be NULL, channel pointers may be NULL (NULL
//! inputs read as silence, NULL outputs are discarded) and inputs may alias outputs (the
//! kit copies aliased inputs to scratch first). At most [`MAX_CHANNELS`] channels per
//! direction are handed to the plugin. No allocation happens on the process path.

pub mod ffi;
pub mod harness;
pub mod host;
#[cfg(test)]
mod tests;

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

pub use ffi::{Event, Events, EventsIter, VendorCall, entry};
pub use host::{Counts, Host};
pub use vst2_abi;

use vst2_abi::constants::{MAX_EFFECT_NAME_LEN, MAX_PRODUCT_STR_LEN, MAX_VENDOR_STR_LEN, VST_VERSION_2400};
use vst2_abi::strings::write_c_string;
use vst2_abi::{ERect, EffectOpcode, VstParameterProperties, VstPinProperties};

/// The most audio channels per direction the kit hands to a plugin.
pub const MAX_CHANNELS: usize = 64;

/// Static description of a plugin, copied into its `AEffect` and used by
/// [`default_dispatch`].
#[derive(Debug, Clone, Copy)]
pub struct PluginInfo {
    /// `uniqueID`, e.g. `four_char_code(b"VbGn")`.
    pub unique_id: i32,
    /// `version` and the `effGetVendorVersion` answer.
    pub version: i32,
    /// `numParams`.
    pub num_params: i32,
    /// `numPrograms`.
    pub num_programs: i32,
    /// `numInputs` (clamped to [`MAX_CHANNELS`]).
    pub inputs: i32,
    /// `numOutputs` (clamped to [`MAX_CHANNELS`]).
    pub outputs: i32,
    /// `flags` (`vst2_abi::effect::effect_flags`). `CAN_DOUBLE_REPLACING` also makes the kit
    /// install `processDoubleReplacing`.
    pub flags: i32,
    /// `initialDelay` in samples.
    pub initial_delay: i32,
    /// `effGetEffectName` answer.
    pub name: &'static str,
    /// `effGetVendorString` answer.
    pub vendor: &'static str,
    /// `effGetProductString` answer.
    pub product: &'static str,
    /// `effGetPlugCategory` answer (`vst2_abi::constants::category`).
    pub category: i32,
}

/// Which of the three process functions the host called.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProcessFn {
    /// The deprecated accumulating `process`.
    Process,
    /// `processReplacing`.
    ProcessReplacing,
    /// `processDoubleReplacing`.
    ProcessDoubleReplacing,
}

impl ProcessFn {
    /// The C name (`process`, `processReplacing`, `processDoubleReplacing`).
    pub const fn name(self) -> &'static str {
        match self {
            Self::Process => "process",
            Self::ProcessReplacing => "processReplacing",
            Self::ProcessDoubleReplacing => "processDoubleReplacing",
        }
    }
}

/// One dispatcher call: the raw scalar arguments plus the decoded view of `ptr`.
#[derive(Debug)]
pub struct Dispatch<'a> {
    /// The opcode as sent.
    pub opcode: EffectOpcode,
    /// `index` as sent.
    pub index: i32,
    /// `value` as sent.
    pub value: isize,
    /// `opt` as sent.
    pub opt: f32,
    /// The decoded call.
    pub call: DispatchCall<'a>,
}

/// A decoded dispatcher opcode. Out-string buffers are exactly their nominal size (program
/// names 24, parameter strings 8, effect name 32, vendor/product 64); write them with
/// [`write_c_string`]. An opcode whose required `ptr` is NULL arrives as [`Raw`](Self::Raw).
#[derive(Debug)]
pub enum DispatchCall<'a> {
    /// effOpen.
    Open,
    /// effClose. The kit frees the instance after the plugin returns.
    Close,
    /// effSetProgram (value = program).
    SetProgram(i32),
    /// effGetProgram.
    GetProgram,
    /// effSetProgramName (in: name).
    SetProgramName(&'a str),
    /// effGetProgramName (out: 24 bytes).
    GetProgramName(&'a mut [u8]),
    /// effGetParamLabel (out: 8 bytes).
    GetParamLabel(i32, &'a mut [u8]),
    /// effGetParamDisplay (out: 8 bytes).
    GetParamDisplay(i32, &'a mut [u8]),
    /// effGetParamName (out: 8 bytes).
    GetParamName(i32, &'a mut [u8]),
    /// effSetSampleRate (opt).
    SetSampleRate(f32),
    /// effSetBlockSize (value). The kit has already resized its scratch buffers.
    SetBlockSize(isize),
    /// effMainsChanged: `true` = resume.
    MainsChanged(bool),
    /// effEditGetRect: fill the kit-owned rect and return non-zero to publish it.
    EditGetRect(&'a mut ERect),
    /// effGetChunk: fill the kit-owned buffer (cleared before the call) and return non-zero
    /// to publish it. The kit keeps it alive until the next effGetChunk or effClose and
    /// returns its length to the host.
    GetChunk {
        /// `true` for the current program (index 1), `false` for the bank (index 0).
        program: bool,
        /// The kit-owned chunk buffer.
        out: &'a mut Vec<u8>,
    },
    /// effSetChunk: the host's bytes (empty when `value` <= 0 or `ptr` is NULL).
    SetChunk {
        /// `true` for a program chunk (index 1), `false` for a bank chunk.
        program: bool,
        /// The data, valid during the call.
        data: &'a [u8],
    },
    /// effProcessEvents.
    ProcessEvents(Events<'a>),
    /// effCanBeAutomated (index).
    CanBeAutomated(i32),
    /// effString2Parameter (index, in: text).
    StringToParameter(i32, &'a str),
    /// effGetProgramNameIndexed (index, out: 24 bytes).
    GetProgramNameIndexed(i32, &'a mut [u8]),
    /// effGetInputProperties (pin, out).
    GetInputProperties(i32, &'a mut VstPinProperties),
    /// effGetOutputProperties (pin, out).
    GetOutputProperties(i32, &'a mut VstPinProperties),
    /// effGetPlugCategory.
    GetPlugCategory,
    /// effSetBypass: `true` = bypass.
    SetBypass(bool),
    /// effGetEffectName (out: 32 bytes).
    GetEffectName(&'a mut [u8]),
    /// effGetVendorString (out: 64 bytes).
    GetVendorString(&'a mut [u8]),
    /// effGetProductString (out: 64 bytes).
    GetProductString(&'a mut [u8]),
    /// effGetVendorVersion.
    GetVendorVersion,
    /// effVendorSpecific.
    VendorSpecific(VendorCall<'a>),
    /// effCanDo (in: feature string).
    CanDo(&'a str),
    /// effGetTailSize.
    GetTailSize,
    /// effGetParameterProperties (index, out).
    GetParameterProperties(i32, &'a mut VstParameterProperties),
    /// effGetVstVersion.
    GetVstVersion,
    /// effSetProcessPrecision (value: 0 f32, 1 f64).
    SetProcessPrecision(isize),
    /// effStartProcess.
    StartProcess,
    /// effStopProcess.
    StopProcess,
    /// Anything else (or a known opcode with a NULL `ptr`); the scalars are in [`Dispatch`].
    Raw {
        /// `ptr` as sent.
        ptr: *mut core::ffi::c_void,
    },
}

/// The safe interface a test plugin implements. All methods take `&self` and may be called
/// from several threads at once: use atomics or locks inside.
pub trait Plugin: Send + Sync + Sized + 'static {
    /// Static description; called once per instance, inside the entry point.
    fn info() -> PluginInfo;
    /// Creates an instance, inside the entry point (host calls made here pass a NULL effect).
    fn new(host: Host) -> Self;
    /// Handles a dispatcher call; unknown calls should return 0 (see [`default_dispatch`]).
    fn dispatch(&self, call: Dispatch<'_>) -> isize;
    /// Called at the start of every process call (any of the three), before the frame-count
    /// check, with the raw frame count. Default: nothing.
    fn process_begin(&self, _which: ProcessFn, _frames: i32) {}
    /// f32 processing: `inputs.len()` = numInputs, `outputs.len()` = numOutputs, every
    /// slice has the same length (> 0). Overwrite the outputs.
    fn process_f32(&self, inputs: &[&[f32]], outputs: &mut [&mut [f32]]);
    /// f64 processing, called only when [`PluginInfo::flags`] has `CAN_DOUBLE_REPLACING`.
    /// Default: silence.
    fn process_f64(&self, _inputs: &[&[f64]], outputs: &mut [&mut [f64]]) {
        for channel in outputs.iter_mut() {
            channel.fill(0.0);
        }
    }
    /// `setParameter`.
    fn set_parameter(&self, index: i32, value: f32);
    /// `getParameter`.
    fn get_parameter(&self, index: i32) -> f32;
}

/// Copies each input channel to the output channel of the same index: the process of a
/// pass-through effect.
pub fn pass_through<T: Copy>(inputs: &[&[T]], outputs: &mut [&mut [T]]) {
    for (input, output) in inputs.iter().zip(outputs.iter_mut()) {
        output.copy_from_slice(input);
    }
}

/// Answers the identity opcodes from `info`: effect name, vendor and product strings,
/// vendor version, VST version (2400) and category. Everything else returns 0.
pub fn default_dispatch(info: &PluginInfo, call: DispatchCall<'_>) -> isize {
    match call {
        DispatchCall::GetEffectName(out) => write_clamped(out, info.name, MAX_EFFECT_NAME_LEN),
        DispatchCall::GetVendorString(out) => write_clamped(out, info.vendor, MAX_VENDOR_STR_LEN),
        DispatchCall::GetProductString(out) => write_clamped(out, info.product, MAX_PRODUCT_STR_LEN),
        DispatchCall::GetVendorVersion => info.version as isize,
        DispatchCall::GetVstVersion => VST_VERSION_2400 as isize,
        DispatchCall::GetPlugCategory => info.category as isize,
        _ => 0,
    }
}

/// Writes `text` into the first `limit` bytes of `out` (NUL-terminated) and returns 1.
pub fn write_clamped(out: &mut [u8], text: &str, limit: usize) -> isize {
    let len = out.len().min(limit);
    write_c_string(&mut out[..len], text);
    1
}

/// An `f32` that can be shared between threads (bit-cast into an `AtomicU32`).
#[derive(Debug, Default)]
pub struct AtomicF32(AtomicU32);

impl AtomicF32 {
    /// A new value.
    pub const fn new(value: f32) -> Self {
        Self(AtomicU32::new(value.to_bits()))
    }
    /// Loads the value.
    pub fn load(&self) -> f32 {
        f32::from_bits(self.0.load(Ordering::Relaxed))
    }
    /// Stores a value.
    pub fn store(&self, value: f32) {
        self.0.store(value.to_bits(), Ordering::Relaxed);
    }
}

/// An `f64` that can be shared between threads (bit-cast into an `AtomicU64`).
#[derive(Debug, Default)]
pub struct AtomicF64(AtomicU64);

impl AtomicF64 {
    /// A new value.
    pub const fn new(value: f64) -> Self {
        Self(AtomicU64::new(value.to_bits()))
    }
    /// Loads the value.
    pub fn load(&self) -> f64 {
        f64::from_bits(self.0.load(Ordering::Relaxed))
    }
    /// Stores a value.
    pub fn store(&self, value: f64) {
        self.0.store(value.to_bits(), Ordering::Relaxed);
    }
}

/// Exports the two VST entry points of a cdylib for the plugin type `$plugin`:
/// `VSTPluginMain` and the legacy `main` (the latter not in `cfg(test)` builds, where the
/// test harness owns `main`). Both call [`entry`].
#[macro_export]
macro_rules! export_plugin {
    ($plugin:ty) => {
        /// The VST 2.4 entry point: creates one plugin instance.
        #[allow(non_snake_case)]
        #[unsafe(no_mangle)]
        pub extern "C" fn VSTPluginMain(
            callback: ::core::option::Option<$crate::vst2_abi::HostCallbackProc>,
        ) -> *mut $crate::vst2_abi::AEffect {
            $crate::entry::<$plugin>(callback)
        }

        /// The legacy entry point, exported as `main`.
        #[cfg(not(test))]
        #[unsafe(export_name = "main")]
        pub extern "C" fn vst_legacy_main(
            callback: ::core::option::Option<$crate::vst2_abi::HostCallbackProc>,
        ) -> *mut $crate::vst2_abi::AEffect {
            $crate::entry::<$plugin>(callback)
        }
    };
}
