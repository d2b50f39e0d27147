//! A clean-room description of the VST 2.4 plugin ABI.
//!
//! Everything here was written from publicly reverse-engineered facts (see
//! `docs/architecture.md`); no SDK header was used. The crate is pure data: `#[repr(C)]`
//! structs, function-pointer types and integer constants. It depends on no other crate,
//! and no other crate of this workspace is allowed to be imported here.
//!
//! Conventions:
//! - Every field the other side writes is a plain integer. Opcodes are `i32` newtypes
//!   ([`EffectOpcode`], [`HostOpcode`]) whose unknown values pass through untouched; there are
//!   no Rust enums inside FFI structs.
//! - Every function pointer is an `Option<unsafe extern "C" fn ...>`, because plugins and
//!   hosts leave some of them NULL.
//! - `value` arguments and dispatcher results are pointer-sized (`isize`) on every platform,
//!   including Win64.
//!
//! The layout of every struct is checked against the facts sheet's 32-bit and 64-bit
//! numbers by `tests/layout.rs`, and the C header `include/vst2.h` by `tests/c_header.rs`.

pub mod constants;
pub mod editor;
pub mod effect;
pub mod events;
pub mod file_select;
pub mod midi_names;
pub mod opcodes;
pub mod parameters;
pub mod patch;
pub mod pins;
pub mod speakers;
pub mod strings;
pub mod time_info;

pub use editor::ERect;
pub use effect::{
    AEffect, DispatcherProc, GetParameterProc, HostCallbackProc, PluginEntryProc, ProcessDoubleProc, ProcessProc,
    SetParameterProc, VST_MAGIC,
};
pub use events::{VstEvent, VstEvents, VstMidiEvent, VstMidiSysexEvent};
pub use file_select::{VstFileSelect, VstFileType};
pub use midi_names::{MidiKeyName, MidiProgramCategory, MidiProgramName};
pub use opcodes::{EffectOpcode, HostOpcode};
pub use parameters::VstParameterProperties;
pub use patch::VstPatchChunkInfo;
pub use pins::VstPinProperties;
pub use speakers::{VstSpeakerArrangement, VstSpeakerProperties};
pub use time_info::VstTimeInfo;
