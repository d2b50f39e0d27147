//! Queries and state calls on a [`Plugin`]: strings (always through 256-byte zeroed buffers,
//! NUL-forced, because plugins overrun the nominal sizes), programs, chunks, canDo,
//! parameter and pin properties, MIDI names, shell enumeration and the editor.

use std::ffi::{CString, c_void};
use std::ptr;

use vst2_abi::constants::REAL_WORLD_STRING_BUFFER;
use vst2_abi::strings::read_c_string;
use vst2_abi::{ERect, EffectOpcode, MidiKeyName, MidiProgramName, VstParameterProperties, VstPinProperties};

use crate::events::EventList;
use crate::plugin::Plugin;

/// The largest chunk copied out of a plugin (1 GiB); a larger size is treated as garbage.
pub const MAX_CHUNK_BYTES: usize = 1 << 30;

/// Which state `effGetChunk`/`effSetChunk` address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChunkKind {
    /// The whole bank (index 0).
    Bank,
    /// The current program (index 1).
    Program,
}

impl ChunkKind {
    fn index(self) -> i32 {
        match self {
            ChunkKind::Bank => vst2_abi::constants::chunk_kind::BANK,
            ChunkKind::Program => vst2_abi::constants::chunk_kind::PROGRAM,
        }
    }
}

/// A plugin's answer to `effCanDo`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CanDo {
    /// It can (any positive answer, such as Cockos's 0xBEEF0000).
    Yes,
    /// It cannot.
    No,
    /// It does not say.
    Unknown,
}

impl CanDo {
    /// Interprets a raw answer the way real plugins mean it: truncated to `i32` first
    /// (some return 0xFFFFFFFF for −1 in a 64-bit register), then by sign.
    pub fn from_raw(answer: isize) -> Self {
        match (answer as i32).signum() {
            1 => CanDo::Yes,
            -1 => CanDo::No,
            _ => CanDo::Unknown,
        }
    }
}

impl Plugin {
    /// Runs a string-out opcode into a zeroed 256-byte buffer and decodes the result.
    pub fn get_string(&self, opcode: EffectOpcode, index: i32) -> (isize, String) {
        let mut buffer = [0u8; REAL_WORLD_STRING_BUFFER];
        // SAFETY: the buffer is 256 writable bytes, more than any nominal string size.
        let result = unsafe { self.dispatch(opcode, index, 0, buffer.as_mut_ptr().cast(), 0.0) };
        buffer[REAL_WORLD_STRING_BUFFER - 1] = 0;
        (result, read_c_string(&buffer))
    }

    /// `effGetParamName`.
    pub fn parameter_name(&self, index: i32) -> String {
        self.get_string(EffectOpcode::GET_PARAM_NAME, index).1
    }

    /// `effGetParamLabel` (the unit).
    pub fn parameter_label(&self, index: i32) -> String {
        self.get_string(EffectOpcode::GET_PARAM_LABEL, index).1
    }

    /// `effGetParamDisplay` (the value as text).
    pub fn parameter_display(&self, index: i32) -> String {
        self.get_string(EffectOpcode::GET_PARAM_DISPLAY, index).1
    }

    /// `effGetEffectName`.
    pub fn effect_name(&self) -> String {
        self.get_string(EffectOpcode::GET_EFFECT_NAME, 0).1
    }

    /// `effGetVendorString`.
    pub fn vendor_string(&self) -> String {
        self.get_string(EffectOpcode::GET_VENDOR_STRING, 0).1
    }

    /// `effGetProductString`.
    pub fn product_string(&self) -> String {
        self.get_string(EffectOpcode::GET_PRODUCT_STRING, 0).1
    }

    /// `effGetVendorVersion`.
    pub fn vendor_version(&self) -> i32 {
        self.dispatch_int(EffectOpcode::GET_VENDOR_VERSION, 0, 0, 0.0) as i32
    }

    /// `effGetVstVersion` (2400 for 2.4 plugins, smaller or 0 for old ones).
    pub fn vst_version(&self) -> i32 {
        self.dispatch_int(EffectOpcode::GET_VST_VERSION, 0, 0, 0.0) as i32
    }

    /// `effGetPlugCategory`.
    pub fn category(&self) -> i32 {
        self.dispatch_int(EffectOpcode::GET_PLUG_CATEGORY, 0, 0, 0.0) as i32
    }

    /// `effGetTailSize` (0 unknown, 1 none).
    pub fn tail_size(&self) -> isize {
        self.dispatch_int(EffectOpcode::GET_TAIL_SIZE, 0, 0, 0.0)
    }

    /// `effCanDo`.
    pub fn can_do(&self, feature: &str) -> CanDo {
        let Ok(feature) = CString::new(feature) else {
            return CanDo::Unknown;
        };
        // SAFETY: a NUL-terminated string that outlives the call.
        let answer = unsafe { self.dispatch(EffectOpcode::CAN_DO, 0, 0, feature.as_ptr() as *mut c_void, 0.0) };
        CanDo::from_raw(answer)
    }

    /// `effCanBeAutomated`.
    pub fn can_be_automated(&self, index: i32) -> bool {
        self.dispatch_int(EffectOpcode::CAN_BE_AUTOMATED, index, 0, 0.0) != 0
    }

    /// `effString2Parameter`: returns whether the plugin set the parameter.
    pub fn string_to_parameter(&self, index: i32, text: &str) -> bool {
        let Ok(text) = CString::new(text) else {
            return false;
        };
        // SAFETY: a NUL-terminated string that outlives the call.
        unsafe {
            self.dispatch(
                EffectOpcode::STRING_TO_PARAMETER,
                index,
                0,
                text.as_ptr() as *mut c_void,
                0.0,
            ) != 0
        }
    }

    /// `effGetProgram`.
    pub fn program(&self) -> i32 {
        self.dispatch_int(EffectOpcode::GET_PROGRAM, 0, 0, 0.0) as i32
    }

    /// `effSetProgram`.
    pub fn set_program(&self, program: i32) {
        self.dispatch_int(EffectOpcode::SET_PROGRAM, 0, program as isize, 0.0);
    }

    /// `effGetProgramName` (the current program).
    pub fn program_name(&self) -> String {
        self.get_string(EffectOpcode::GET_PROGRAM_NAME, 0).1
    }

    /// `effSetProgramName` (the current program). The name is cut to 24 bytes, as hosts do.
    pub fn set_program_name(&self, name: &str) {
        let mut buffer = [0u8; vst2_abi::constants::MAX_PROG_NAME_LEN + 1];
        vst2_abi::strings::write_c_string(&mut buffer, name);
        // SAFETY: a NUL-terminated buffer that outlives the call.
        unsafe { self.dispatch(EffectOpcode::SET_PROGRAM_NAME, 0, 0, buffer.as_mut_ptr().cast(), 0.0) };
    }

    /// `effGetProgramNameIndexed`: `None` when the plugin says the program does not exist.
    pub fn program_name_indexed(&self, program: i32) -> Option<String> {
        let (found, name) = self.get_string(EffectOpcode::GET_PROGRAM_NAME_INDEXED, program);
        (found != 0).then_some(name)
    }

    /// `effGetChunk`: a copy of the plugin's bank or program state (empty if it has none).
    pub fn chunk(&self, kind: ChunkKind) -> Vec<u8> {
        let mut data: *mut c_void = ptr::null_mut();
        // SAFETY: `ptr` is the address of a pointer slot, which the plugin sets to its data.
        let size = unsafe { self.dispatch(EffectOpcode::GET_CHUNK, kind.index(), 0, (&raw mut data).cast(), 0.0) };
        if data.is_null() || size <= 0 {
            return Vec::new();
        }
        let size = size as usize;
        if size > MAX_CHUNK_BYTES {
            tracing::warn!(size, "plugin returned an implausible chunk size; ignoring the chunk");
            return Vec::new();
        }
        // SAFETY: the plugin owns `size` readable bytes at `data` until its next GetChunk.
        unsafe { std::slice::from_raw_parts(data.cast::<u8>(), size) }.to_vec()
    }

    /// `effSetChunk`: loads bank or program state. Returns the plugin's (unreliable) answer.
    pub fn set_chunk(&self, kind: ChunkKind, data: &[u8]) -> isize {
        // Plugins read from `ptr` even for an empty chunk; give them a valid address.
        let mut empty = [0u8; 1];
        let address = if data.is_empty() {
            empty.as_mut_ptr()
        } else {
            data.as_ptr() as *mut u8
        };
        // SAFETY: `data.len()` readable bytes at `address` for the call; the plugin copies.
        unsafe {
            self.dispatch(
                EffectOpcode::SET_CHUNK,
                kind.index(),
                data.len() as isize,
                address.cast(),
                0.0,
            )
        }
    }

    /// `effProcessEvents`: hands the events for the coming block to the plugin.
    pub fn process_events(&self, events: &mut EventList) -> isize {
        let raw = events.as_vst_events();
        // SAFETY: `raw` is a well-formed VstEvents owned by `events` for the call.
        unsafe { self.dispatch(EffectOpcode::PROCESS_EVENTS, 0, 0, raw.cast(), 0.0) }
    }

    /// `effSetBypass`: returns whether the plugin implements soft bypass.
    pub fn set_bypass(&self, bypass: bool) -> bool {
        self.dispatch_int(EffectOpcode::SET_BYPASS, 0, bypass as isize, 0.0) != 0
    }

    /// `effGetParameterProperties`.
    pub fn parameter_properties(&self, index: i32) -> Option<VstParameterProperties> {
        let mut properties = VstParameterProperties::default();
        // SAFETY: a zeroed, correctly sized struct the plugin fills.
        let filled = unsafe {
            self.dispatch(
                EffectOpcode::GET_PARAMETER_PROPERTIES,
                index,
                0,
                (&raw mut properties).cast(),
                0.0,
            )
        };
        (filled != 0).then_some(properties)
    }

    /// `effGetInputProperties` (`input == true`) or `effGetOutputProperties`.
    pub fn pin_properties(&self, input: bool, pin: i32) -> Option<VstPinProperties> {
        let opcode = if input {
            EffectOpcode::GET_INPUT_PROPERTIES
        } else {
            EffectOpcode::GET_OUTPUT_PROPERTIES
        };
        let mut properties = VstPinProperties::default();
        // SAFETY: a zeroed 128-byte struct the plugin fills.
        let filled = unsafe { self.dispatch(opcode, pin, 0, (&raw mut properties).cast(), 0.0) };
        (filled != 0).then_some(properties)
    }

    /// `effGetMidiProgramName`: fills `name` (whose `this_program_index` the caller sets)
    /// and returns the number of MIDI programs (0 unsupported).
    pub fn midi_program_name(&self, channel: i32, name: &mut MidiProgramName) -> isize {
        // SAFETY: a correctly sized struct the plugin reads and fills.
        unsafe {
            self.dispatch(
                EffectOpcode::GET_MIDI_PROGRAM_NAME,
                channel,
                0,
                ptr::from_mut(name).cast(),
                0.0,
            )
        }
    }

    /// `effGetMidiKeyName`: fills `name` (program and key set by the caller); returns whether
    /// a name was written.
    pub fn midi_key_name(&self, channel: i32, name: &mut MidiKeyName) -> bool {
        // SAFETY: a correctly sized struct the plugin reads and fills.
        unsafe {
            self.dispatch(
                EffectOpcode::GET_MIDI_KEY_NAME,
                channel,
                0,
                ptr::from_mut(name).cast(),
                0.0,
            ) != 0
        }
    }

    /// `effShellGetNextPlugin`: the next sub-plugin's unique ID and name, `None` at the end.
    pub fn shell_next_plugin(&self) -> Option<(i32, String)> {
        let (id, name) = self.get_string(EffectOpcode::SHELL_GET_NEXT_PLUGIN, 0);
        (id != 0).then_some((id as i32, name))
    }

    /// `effEditGetRect`: a copy of the editor's rectangle, if it has one.
    pub fn editor_rect(&self) -> Option<ERect> {
        let mut rect: *mut ERect = ptr::null_mut();
        // SAFETY: `ptr` is the address of an `ERect*` slot the plugin points at its rect.
        let ok = unsafe { self.dispatch(EffectOpcode::EDIT_GET_RECT, 0, 0, (&raw mut rect).cast(), 0.0) };
        if ok == 0 || rect.is_null() {
            return None;
        }
        // SAFETY: the plugin owns the rect it pointed us at; copy it at once.
        Some(unsafe { rect.read_unaligned() })
    }

    /// `effEditOpen` with a native parent window handle (an X11 window id on Linux).
    pub fn open_editor(&self, parent: usize) -> bool {
        // SAFETY: the handle is passed as a pointer-sized value the plugin treats as a
        // window id; it is never dereferenced as memory by a correct plugin.
        unsafe { self.dispatch(EffectOpcode::EDIT_OPEN, 0, 0, parent as *mut c_void, 0.0) != 0 }
    }

    /// `effEditClose`.
    pub fn close_editor(&self) {
        self.dispatch_int(EffectOpcode::EDIT_CLOSE, 0, 0, 0.0);
    }

    /// `effEditIdle`.
    pub fn editor_idle(&self) {
        self.dispatch_int(EffectOpcode::EDIT_IDLE, 0, 0, 0.0);
    }
}
