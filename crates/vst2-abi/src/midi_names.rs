//! MIDI program, category and key-name structs (`effGetMidiProgramName` and friends).
//!
//! No public source defines these; the layouts follow re-implementations that fit the
//! observed facts (an 80-byte block for opcode 62, program index at 0 and key at 4 with the
//! name at 8 for opcode 66). They are the same on 32-bit and 64-bit.

use crate::constants::MAX_NAME_LEN;

/// A MIDI program name (`effGetMidiProgramName`, `effGetCurrentMidiProgram`). Size 80.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MidiProgramName {
    /// `thisProgramIndex`: set by the host.
    pub this_program_index: i32,
    /// `name`, NUL-terminated.
    pub name: [u8; MAX_NAME_LEN],
    /// `midiProgram`, −1 if unused.
    pub midi_program: i8,
    /// `midiBankMsb`, −1 if unused.
    pub midi_bank_msb: i8,
    /// `midiBankLsb`, −1 if unused.
    pub midi_bank_lsb: i8,
    /// `reserved`.
    pub reserved: i8,
    /// `parentCategoryIndex`, −1 if none.
    pub parent_category_index: i32,
    /// `flags` (bit 0: omni in some sources).
    pub flags: i32,
}

/// A MIDI program category (`effGetMidiProgramCategory`). Size 76.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MidiProgramCategory {
    /// `thisCategoryIndex`: set by the host.
    pub this_category_index: i32,
    /// `name`, NUL-terminated.
    pub name: [u8; MAX_NAME_LEN],
    /// `parentCategoryIndex`, −1 if none.
    pub parent_category_index: i32,
    /// `flags`.
    pub flags: i32,
}

/// A MIDI key name (`effGetMidiKeyName`). Size 80.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MidiKeyName {
    /// `thisProgramIndex`: set by the host.
    pub this_program_index: i32,
    /// `thisKeyNumber`: set by the host.
    pub this_key_number: i32,
    /// `keyName`, NUL-terminated.
    pub key_name: [u8; MAX_NAME_LEN],
    /// `reserved`.
    pub reserved: i32,
    /// `flags`.
    pub flags: i32,
}

macro_rules! zeroed_default {
    ($($ty:ty),*) => {$(
        impl Default for $ty {
            fn default() -> Self {
                // SAFETY: the struct is plain old data (integers and byte arrays), for which
                // the all-zero bit pattern is a valid value.
                unsafe { core::mem::zeroed() }
            }
        }
    )*};
}

zeroed_default!(MidiProgramName, MidiProgramCategory, MidiKeyName);
