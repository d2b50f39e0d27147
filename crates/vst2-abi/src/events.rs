//! MIDI and SysEx events: the `VstEvents` list passed to `effProcessEvents` and
//! `audioMasterProcessEvents`, the generic `VstEvent` header, and its two live kinds.
//!
//! `byteSize` is unreliable in the wild (REAPER writes 24 for MIDI events); dispatch on
//! `event_type` and use the fixed layouts.

use core::ffi::c_void;

/// Values of [`VstEvent::event_type`].
pub mod event_type {
    /// A [`super::VstMidiEvent`].
    pub const MIDI: i32 = 1;
    /// Audio event (deprecated).
    pub const AUDIO: i32 = 2;
    /// Video event (deprecated).
    pub const VIDEO: i32 = 3;
    /// Parameter event (deprecated).
    pub const PARAMETER: i32 = 4;
    /// Trigger event (deprecated).
    pub const TRIGGER: i32 = 5;
    /// A [`super::VstMidiSysexEvent`].
    pub const SYSEX: i32 = 6;
}

/// Bits of [`VstMidiEvent::flags`].
pub mod midi_event_flags {
    /// The event was played live (not from a sequencer track).
    pub const IS_REALTIME: i32 = 1;
}

/// A list of events. The C declaration has a two-entry array, but the list really holds
/// `num_events` pointers: allocate the header plus N pointers (see [`VstEvents::byte_size`]).
///
/// Sizes (with the two declared entries): 16 on 32-bit, 32 on 64-bit.
#[repr(C)]
#[derive(Debug)]
pub struct VstEvents {
    /// `numEvents`.
    pub num_events: i32,
    /// `reserved`, 0.
    pub reserved: isize,
    /// `events`: really `num_events` entries, however many are declared here.
    pub events: [*mut VstEvent; 2],
}

impl VstEvents {
    /// Bytes needed for a `VstEvents` holding `count` event pointers (never less than the
    /// declared struct, so two-entry readers stay in bounds).
    pub const fn byte_size(count: usize) -> usize {
        let header = core::mem::offset_of!(VstEvents, events);
        let needed = header + count * core::mem::size_of::<*mut VstEvent>();
        if needed < core::mem::size_of::<VstEvents>() {
            core::mem::size_of::<VstEvents>()
        } else {
            needed
        }
    }
}

/// The generic event header; cast to the concrete type by `event_type`. Size 32.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VstEvent {
    /// `type`: an [`event_type`] value.
    pub event_type: i32,
    /// `byteSize`: unreliable.
    pub byte_size: i32,
    /// `deltaFrames`: sample offset inside the current block.
    pub delta_frames: i32,
    /// `flags`.
    pub flags: i32,
    /// Type-specific bytes.
    pub data: [u8; 16],
}

/// A short MIDI message (type 1). Size 32 on every target.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct VstMidiEvent {
    /// `type`: [`event_type::MIDI`].
    pub event_type: i32,
    /// `byteSize`: 32 when we write it; unreliable when we read it.
    pub byte_size: i32,
    /// `deltaFrames`.
    pub delta_frames: i32,
    /// `flags`: [`midi_event_flags`].
    pub flags: i32,
    /// `noteLength` in samples, 0 if unknown.
    pub note_length: i32,
    /// `noteOffset` into the note, 0 if unknown.
    pub note_offset: i32,
    /// `midiData`: status, data1, data2, and a zero byte.
    pub midi_data: [u8; 4],
    /// `detune` in cents.
    pub detune: i8,
    /// `noteOffVelocity`.
    pub note_off_velocity: u8,
    /// `reserved1`.
    pub reserved1: u8,
    /// `reserved2`.
    pub reserved2: u8,
}

/// A SysEx dump (type 6). Size 32 on 32-bit, 48 on 64-bit.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct VstMidiSysexEvent {
    /// `type`: [`event_type::SYSEX`].
    pub event_type: i32,
    /// `byteSize`.
    pub byte_size: i32,
    /// `deltaFrames`.
    pub delta_frames: i32,
    /// `flags`.
    pub flags: i32,
    /// `dumpBytes`: length of the dump. An `i32` followed by padding on 64-bit.
    pub dump_bytes: i32,
    /// `resvd1`.
    pub resvd1: isize,
    /// `sysexDump`: the bytes, owned by the sender.
    pub sysex_dump: *mut u8,
    /// `resvd2`.
    pub resvd2: isize,
}

impl VstMidiEvent {
    /// A MIDI event with `byte_size` and `event_type` filled in.
    pub const fn new(delta_frames: i32, midi_data: [u8; 3]) -> Self {
        Self {
            event_type: event_type::MIDI,
            byte_size: core::mem::size_of::<Self>() as i32,
            delta_frames,
            flags: 0,
            note_length: 0,
            note_offset: 0,
            midi_data: [midi_data[0], midi_data[1], midi_data[2], 0],
            detune: 0,
            note_off_velocity: 0,
            reserved1: 0,
            reserved2: 0,
        }
    }
}

/// Reinterprets a pointer to any event header as the untyped pointer the ABI stores.
pub fn as_event_ptr<T>(event: *mut T) -> *mut VstEvent {
    event.cast::<c_void>().cast()
}
