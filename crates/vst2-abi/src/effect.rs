//! The `AEffect` struct every plugin hands its host, the function-pointer types stored in
//! it, the entry-point signature, and the `flags` bits.

use core::ffi::c_void;

/// The value of [`AEffect::magic`]: the characters `VstP` packed big-endian into an `i32`.
/// In little-endian memory the bytes read `50 74 73 56`.
pub const VST_MAGIC: i32 = 0x5673_7450;

/// Host → plugin opcode entry point (`AEffect::dispatcher`).
///
/// Arguments: effect, opcode, index, value (pointer-sized), ptr, opt. Returns a pointer-sized
/// integer whose meaning depends on the opcode (see [`crate::EffectOpcode`]).
pub type DispatcherProc = unsafe extern "C" fn(
    effect: *mut AEffect,
    opcode: i32,
    index: i32,
    value: isize,
    ptr: *mut c_void,
    opt: f32,
) -> isize;

/// Plugin → host callback (`audioMasterCallback`). Same shape as [`DispatcherProc`];
/// `effect` may be NULL, or an `AEffect` the host has not yet received, while the plugin's
/// entry point is still running.
pub type HostCallbackProc = unsafe extern "C" fn(
    effect: *mut AEffect,
    opcode: i32,
    index: i32,
    value: isize,
    ptr: *mut c_void,
    opt: f32,
) -> isize;

/// `process` (accumulating, deprecated) and `processReplacing`: an array of `numInputs`
/// input channel pointers, an array of `numOutputs` output channel pointers, a frame count.
/// Inputs and outputs may alias.
pub type ProcessProc =
    unsafe extern "C" fn(effect: *mut AEffect, inputs: *const *const f32, outputs: *mut *mut f32, sample_frames: i32);

/// `processDoubleReplacing`: like [`ProcessProc`] with `f64` samples.
pub type ProcessDoubleProc =
    unsafe extern "C" fn(effect: *mut AEffect, inputs: *const *const f64, outputs: *mut *mut f64, sample_frames: i32);

/// `setParameter(effect, index, normalized value)`.
pub type SetParameterProc = unsafe extern "C" fn(effect: *mut AEffect, index: i32, value: f32);

/// `getParameter(effect, index) -> normalized value`.
pub type GetParameterProc = unsafe extern "C" fn(effect: *mut AEffect, index: i32) -> f32;

/// The exported entry point (`VSTPluginMain`, legacy `main`): creates one plugin instance and
/// returns its `AEffect`, or NULL on failure. The callback may be called before it returns.
pub type PluginEntryProc = unsafe extern "C" fn(host_callback: Option<HostCallbackProc>) -> *mut AEffect;

/// The plugin instance as the host sees it. Allocated by the plugin and kept at a fixed
/// address until `effClose` has returned.
///
/// Sizes: 144 bytes (align 4) on 32-bit, 192 bytes (align 8) on 64-bit.
#[repr(C)]
#[derive(Debug)]
pub struct AEffect {
    /// Must equal [`VST_MAGIC`]; a host checks it before trusting anything else.
    pub magic: i32,
    /// Host → plugin opcodes (`dispatcher`).
    pub dispatcher: Option<DispatcherProc>,
    /// Deprecated accumulating process (adds into the outputs). Should still be valid.
    pub process: Option<ProcessProc>,
    /// `setParameter`.
    pub set_parameter: Option<SetParameterProc>,
    /// `getParameter`.
    pub get_parameter: Option<GetParameterProc>,
    /// `numPrograms`.
    pub num_programs: i32,
    /// `numParams`.
    pub num_params: i32,
    /// `numInputs`: audio input channels; may change, announced with `audioMasterIOChanged`.
    pub num_inputs: i32,
    /// `numOutputs`: audio output channels; may change like `num_inputs`.
    pub num_outputs: i32,
    /// `flags`: bits from [`effect_flags`]. An `i32` followed by padding on 64-bit.
    pub flags: i32,
    /// `resvd1`: reserved for the host, which may store a pointer here.
    pub resvd1: isize,
    /// `resvd2`: reserved for the host.
    pub resvd2: isize,
    /// `initialDelay`: latency in samples.
    pub initial_delay: i32,
    /// `realQualities` (deprecated, 0).
    pub real_qualities: i32,
    /// `offQualities` (deprecated, 0).
    pub off_qualities: i32,
    /// `ioRatio` (deprecated; plugins store 1.0).
    pub io_ratio: f32,
    /// `object`: the plugin's own instance pointer. A host never writes it.
    pub object: *mut c_void,
    /// `user`: contested; some hosts overwrite it, so plugins should not rely on it.
    pub user: *mut c_void,
    /// `uniqueID`: a four-character code packed big-endian into the integer.
    pub unique_id: i32,
    /// `version`: the plugin's version.
    pub version: i32,
    /// `processReplacing`: f32 processing that overwrites the outputs. Mandatory in 2.4.
    pub process_replacing: Option<ProcessProc>,
    /// `processDoubleReplacing`: f64 processing; may be NULL. Valid only together with
    /// [`effect_flags::CAN_DOUBLE_REPLACING`].
    pub process_double_replacing: Option<ProcessDoubleProc>,
    /// Reserved, zero. A host reads nothing past `process_double_replacing`.
    pub future: [u8; 56],
}

/// Bits of [`AEffect::flags`].
pub mod effect_flags {
    /// The plugin has its own editor (`effEdit*`).
    pub const HAS_EDITOR: i32 = 1 << 0;
    /// Legacy: has clip display (deprecated).
    pub const HAS_CLIP: i32 = 1 << 1;
    /// Legacy: has VU meter (deprecated).
    pub const HAS_VU: i32 = 1 << 2;
    /// Legacy: can process mono (deprecated).
    pub const CAN_MONO: i32 = 1 << 3;
    /// `processReplacing` is valid. Required in 2.4.
    pub const CAN_REPLACING: i32 = 1 << 4;
    /// State is saved as opaque chunks (`effGetChunk`/`effSetChunk`).
    pub const PROGRAM_CHUNKS: i32 = 1 << 5;
    /// The plugin is an instrument.
    pub const IS_SYNTH: i32 = 1 << 8;
    /// Silence in gives silence out: no tail.
    pub const NO_SOUND_IN_STOP: i32 = 1 << 9;
    /// Legacy: asynchronous external processing (deprecated).
    pub const EXT_IS_ASYNC: i32 = 1 << 10;
    /// Legacy: external buffer (deprecated).
    pub const EXT_HAS_BUFFER: i32 = 1 << 11;
    /// `processDoubleReplacing` is valid.
    pub const CAN_DOUBLE_REPLACING: i32 = 1 << 12;

    /// Names of the known bits, for logs and `vstbridge probe`.
    pub const NAMES: &[(i32, &str)] = &[
        (HAS_EDITOR, "HasEditor"),
        (HAS_CLIP, "HasClip"),
        (HAS_VU, "HasVu"),
        (CAN_MONO, "CanMono"),
        (CAN_REPLACING, "CanReplacing"),
        (PROGRAM_CHUNKS, "ProgramChunks"),
        (IS_SYNTH, "IsSynth"),
        (NO_SOUND_IN_STOP, "NoSoundInStop"),
        (EXT_IS_ASYNC, "ExtIsAsync"),
        (EXT_HAS_BUFFER, "ExtHasBuffer"),
        (CAN_DOUBLE_REPLACING, "CanDoubleReplacing"),
    ];
}

impl AEffect {
    /// An all-zero `AEffect` with the magic set: a starting point for plugins that fill in
    /// the rest.
    pub const fn empty() -> Self {
        Self {
            magic: VST_MAGIC,
            dispatcher: None,
            process: None,
            set_parameter: None,
            get_parameter: None,
            num_programs: 0,
            num_params: 0,
            num_inputs: 0,
            num_outputs: 0,
            flags: 0,
            resvd1: 0,
            resvd2: 0,
            initial_delay: 0,
            real_qualities: 0,
            off_qualities: 0,
            io_ratio: 1.0,
            object: core::ptr::null_mut(),
            user: core::ptr::null_mut(),
            unique_id: 0,
            version: 0,
            process_replacing: None,
            process_double_replacing: None,
            future: [0; 56],
        }
    }

    /// Whether every bit of `flag` is set in [`AEffect::flags`].
    pub const fn has_flag(&self, flag: i32) -> bool {
        self.flags & flag == flag
    }
}

/// Packs a four-character code such as `b"VstP"` into the big-endian `i32` VST2 uses for
/// `uniqueID` and `magic`.
pub const fn four_char_code(code: &[u8; 4]) -> i32 {
    i32::from_be_bytes(*code)
}

/// Unpacks an `i32` unique ID into its four characters (big-endian order).
pub const fn four_char_bytes(id: i32) -> [u8; 4] {
    id.to_be_bytes()
}
