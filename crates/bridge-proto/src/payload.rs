//! The per-opcode payload tables: for each dispatcher and audioMaster opcode, what `ptr`
//! (and, for speaker arrangements, `value`) carries, so both sides know what to read and
//! what to write back. An opcode missing from the tables travels with integers only.

use vst2_abi::constants::{
    MAX_CHUNK_FILE_PATH_LEN, MAX_VENDOR_STR_LEN, REAL_WORLD_EFFECT_NAME_LEN, REAL_WORLD_PARAM_STR_LEN,
    REAL_WORLD_STRING_BUFFER,
};
use vst2_abi::{
    EffectOpcode, HostOpcode, MidiKeyName, MidiProgramCategory, MidiProgramName, VstParameterProperties,
    VstPatchChunkInfo, VstPinProperties, VstTimeInfo,
};

/// What a dispatcher opcode's pointer argument carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DispatchShape {
    /// Integers only; `ptr` unused.
    Plain,
    /// `ptr` is an out-string buffer. The proxy writes at most `limit` bytes into the
    /// host's buffer, NUL included: the real-world size hosts provide for this opcode.
    StringOut {
        /// Bytes written at most, NUL included.
        limit: usize,
    },
    /// `ptr` is an in-string.
    StringIn,
    /// `ptr` is a `void**` the plugin points at its chunk; returns the size.
    ChunkOut,
    /// `ptr` is chunk data of `value` bytes.
    ChunkIn,
    /// `ptr` is a `VstEvents*`.
    EventsIn,
    /// `ptr` is an `ERect**` the plugin points at its rect.
    RectOut,
    /// `ptr` is a native window handle.
    WindowIn,
    /// `ptr` is a host-allocated struct of `size` bytes the plugin fills.
    StructOut {
        /// Struct size.
        size: usize,
    },
    /// `ptr` is a host-allocated struct of `size` bytes the host prefills and the plugin
    /// completes.
    StructInOut {
        /// Struct size.
        size: usize,
    },
    /// `ptr` is a host-owned struct of `size` bytes the plugin reads.
    StructIn {
        /// Struct size.
        size: usize,
    },
    /// `value` and `ptr` are the input and output `VstSpeakerArrangement*`.
    SpeakerArrangementsIn,
    /// `value` and `ptr` are addresses of pointer slots the plugin points at its own
    /// input and output arrangements.
    SpeakerArrangementsOut,
    /// Vendor-defined: integers pass through; `ptr` passes as an integer when it is too
    /// small to be an address, else as NULL (a host address means nothing in the server).
    VendorSpecific,
    /// Not in the table: integers only, `ptr` as NULL, and the call is logged.
    Unknown,
}

/// The payload shape of a dispatcher opcode.
pub fn dispatch_shape(opcode: EffectOpcode) -> DispatchShape {
    use DispatchShape::*;
    match opcode {
        EffectOpcode::OPEN
        | EffectOpcode::CLOSE
        | EffectOpcode::SET_PROGRAM
        | EffectOpcode::GET_PROGRAM
        | EffectOpcode::SET_SAMPLE_RATE
        | EffectOpcode::SET_BLOCK_SIZE
        | EffectOpcode::MAINS_CHANGED
        | EffectOpcode::EDIT_CLOSE
        | EffectOpcode::EDIT_IDLE
        | EffectOpcode::IDENTIFY
        | EffectOpcode::CAN_BE_AUTOMATED
        | EffectOpcode::GET_NUM_PROGRAM_CATEGORIES
        | EffectOpcode::COPY_PROGRAM
        | EffectOpcode::CONNECT_INPUT
        | EffectOpcode::CONNECT_OUTPUT
        | EffectOpcode::GET_PLUG_CATEGORY
        | EffectOpcode::SET_BLOCK_SIZE_AND_SAMPLE_RATE
        | EffectOpcode::SET_BYPASS
        | EffectOpcode::GET_VENDOR_VERSION
        | EffectOpcode::GET_TAIL_SIZE
        | EffectOpcode::IDLE
        | EffectOpcode::SET_VIEW_POSITION
        | EffectOpcode::KEYS_REQUIRED
        | EffectOpcode::GET_VST_VERSION
        | EffectOpcode::EDIT_KEY_DOWN
        | EffectOpcode::EDIT_KEY_UP
        | EffectOpcode::SET_EDIT_KNOB_MODE
        | EffectOpcode::HAS_MIDI_PROGRAMS_CHANGED
        | EffectOpcode::BEGIN_SET_PROGRAM
        | EffectOpcode::END_SET_PROGRAM
        | EffectOpcode::START_PROCESS
        | EffectOpcode::STOP_PROCESS
        | EffectOpcode::SET_TOTAL_SAMPLE_TO_PROCESS
        | EffectOpcode::SET_PAN_LAW
        | EffectOpcode::SET_PROCESS_PRECISION
        | EffectOpcode::GET_NUM_MIDI_INPUT_CHANNELS
        | EffectOpcode::GET_NUM_MIDI_OUTPUT_CHANNELS => Plain,
        EffectOpcode::SET_PROGRAM_NAME | EffectOpcode::CAN_DO | EffectOpcode::STRING_TO_PARAMETER => StringIn,
        EffectOpcode::GET_PROGRAM_NAME
        | EffectOpcode::GET_PROGRAM_NAME_INDEXED
        | EffectOpcode::GET_PARAM_LABEL
        | EffectOpcode::GET_PARAM_DISPLAY
        | EffectOpcode::GET_PARAM_NAME => StringOut {
            limit: REAL_WORLD_PARAM_STR_LEN,
        },
        EffectOpcode::GET_EFFECT_NAME | EffectOpcode::SHELL_GET_NEXT_PLUGIN => StringOut {
            limit: REAL_WORLD_EFFECT_NAME_LEN,
        },
        EffectOpcode::GET_VENDOR_STRING | EffectOpcode::GET_PRODUCT_STRING => StringOut {
            limit: MAX_VENDOR_STR_LEN,
        },
        EffectOpcode::GET_ERROR_TEXT => StringOut {
            limit: REAL_WORLD_STRING_BUFFER,
        },
        EffectOpcode::GET_CHUNK => ChunkOut,
        EffectOpcode::SET_CHUNK => ChunkIn,
        EffectOpcode::PROCESS_EVENTS => EventsIn,
        EffectOpcode::EDIT_GET_RECT => RectOut,
        EffectOpcode::EDIT_OPEN => WindowIn,
        EffectOpcode::GET_PARAMETER_PROPERTIES => StructOut {
            size: size_of::<VstParameterProperties>(),
        },
        EffectOpcode::GET_INPUT_PROPERTIES | EffectOpcode::GET_OUTPUT_PROPERTIES => StructOut {
            size: size_of::<VstPinProperties>(),
        },
        EffectOpcode::GET_MIDI_PROGRAM_NAME | EffectOpcode::GET_CURRENT_MIDI_PROGRAM => StructInOut {
            size: size_of::<MidiProgramName>(),
        },
        EffectOpcode::GET_MIDI_PROGRAM_CATEGORY => StructInOut {
            size: size_of::<MidiProgramCategory>(),
        },
        EffectOpcode::GET_MIDI_KEY_NAME => StructInOut {
            size: size_of::<MidiKeyName>(),
        },
        EffectOpcode::BEGIN_LOAD_BANK | EffectOpcode::BEGIN_LOAD_PROGRAM => StructIn {
            size: size_of::<VstPatchChunkInfo>(),
        },
        EffectOpcode::SET_SPEAKER_ARRANGEMENT => SpeakerArrangementsIn,
        EffectOpcode::GET_SPEAKER_ARRANGEMENT => SpeakerArrangementsOut,
        EffectOpcode::VENDOR_SPECIFIC => VendorSpecific,
        _ => Unknown,
    }
}

/// What an audioMaster opcode's pointer argument carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostShape {
    /// Integers only.
    Plain,
    /// Answered by the server itself with this value: the call cannot cross processes
    /// (it returns or takes a host-process pointer) or is obsolete.
    Local(i64),
    /// `ptr` is an in-string.
    StringIn,
    /// `ptr` is the plugin's out-string buffer of `limit` bytes.
    StringOut {
        /// Bytes written at most, NUL included.
        limit: usize,
    },
    /// The host returns a `char*` (kept alive by the server after the call).
    StringReturned,
    /// The host returns a `VstTimeInfo*`.
    TimeInfoReturned,
    /// The host returns a `VstSpeakerArrangement*`.
    SpeakerArrangementReturned,
    /// `ptr` is a plugin-owned `VstEvents*`.
    EventsIn,
    /// `ptr` is a plugin-owned struct of `size` bytes the host reads.
    StructIn {
        /// Struct size.
        size: usize,
    },
    /// Vendor-defined; as [`DispatchShape::VendorSpecific`].
    VendorSpecific,
    /// Not in the table: integers only, logged.
    Unknown,
}

/// The payload shape of an audioMaster opcode.
pub fn host_shape(opcode: HostOpcode) -> HostShape {
    use HostShape::*;
    match opcode {
        HostOpcode::AUTOMATE
        | HostOpcode::VERSION
        | HostOpcode::CURRENT_ID
        | HostOpcode::IDLE
        | HostOpcode::PIN_CONNECTED
        | HostOpcode::WANT_MIDI
        | HostOpcode::TEMPO_AT
        | HostOpcode::GET_NUM_AUTOMATABLE_PARAMETERS
        | HostOpcode::GET_PARAMETER_QUANTIZATION
        | HostOpcode::IO_CHANGED
        | HostOpcode::NEED_IDLE
        | HostOpcode::SIZE_WINDOW
        | HostOpcode::GET_SAMPLE_RATE
        | HostOpcode::GET_BLOCK_SIZE
        | HostOpcode::GET_INPUT_LATENCY
        | HostOpcode::GET_OUTPUT_LATENCY
        | HostOpcode::WILL_REPLACE_OR_ACCUMULATE
        | HostOpcode::GET_CURRENT_PROCESS_LEVEL
        | HostOpcode::GET_AUTOMATION_STATE
        | HostOpcode::OFFLINE_GET_CURRENT_PASS
        | HostOpcode::OFFLINE_GET_CURRENT_META_PASS
        | HostOpcode::SET_OUTPUT_SAMPLE_RATE
        | HostOpcode::GET_VENDOR_VERSION
        | HostOpcode::GET_LANGUAGE
        | HostOpcode::UPDATE_DISPLAY
        | HostOpcode::BEGIN_EDIT
        | HostOpcode::END_EDIT => Plain,
        HostOpcode::GET_TIME => TimeInfoReturned,
        HostOpcode::PROCESS_EVENTS => EventsIn,
        HostOpcode::SET_TIME => StructIn {
            size: size_of::<VstTimeInfo>(),
        },
        HostOpcode::CAN_DO => StringIn,
        HostOpcode::GET_VENDOR_STRING | HostOpcode::GET_PRODUCT_STRING => StringOut {
            limit: MAX_VENDOR_STR_LEN,
        },
        HostOpcode::GET_CHUNK_FILE => StringOut {
            limit: MAX_CHUNK_FILE_PATH_LEN,
        },
        HostOpcode::GET_DIRECTORY => StringReturned,
        HostOpcode::GET_OUTPUT_SPEAKER_ARRANGEMENT | HostOpcode::GET_INPUT_SPEAKER_ARRANGEMENT => {
            SpeakerArrangementReturned
        }
        HostOpcode::VENDOR_SPECIFIC => VendorSpecific,
        // These hand over pointers into the host process (other plugins' AEffects, file
        // selector and offline structures with nested pointers, windows): nothing the
        // server could use. Answer "unsupported" locally; plugins fall back.
        HostOpcode::GET_PREVIOUS_PLUG
        | HostOpcode::GET_NEXT_PLUG
        | HostOpcode::OPEN_FILE_SELECTOR
        | HostOpcode::CLOSE_FILE_SELECTOR
        | HostOpcode::OFFLINE_START
        | HostOpcode::OFFLINE_READ
        | HostOpcode::OFFLINE_WRITE
        | HostOpcode::SET_ICON
        | HostOpcode::OPEN_WINDOW
        | HostOpcode::CLOSE_WINDOW
        | HostOpcode::EDIT_FILE => Local(0),
        _ => Unknown,
    }
}

/// Below this, a vendor-specific `ptr` is taken for an integer and passed through; above,
/// it is an address in the other process and passes as NULL.
pub const LARGEST_INTEGER_PTR: u64 = 0xFFFF;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_known_dispatcher_opcode_is_in_the_table_or_deliberately_unknown() {
        let deliberately_unknown = [
            EffectOpcode::GET_VU,
            EffectOpcode::EDIT_DRAW,
            EffectOpcode::EDIT_MOUSE,
            EffectOpcode::EDIT_KEY,
            EffectOpcode::EDIT_TOP,
            EffectOpcode::EDIT_SLEEP,
            EffectOpcode::GET_CURRENT_POSITION,
            EffectOpcode::GET_DESTINATION_BUFFER,
            EffectOpcode::OFFLINE_NOTIFY,
            EffectOpcode::OFFLINE_PREPARE,
            EffectOpcode::OFFLINE_RUN,
            EffectOpcode::PROCESS_VAR_IO,
            EffectOpcode::GET_ICON,
        ];
        for &opcode in EffectOpcode::ALL {
            let unknown = dispatch_shape(opcode) == DispatchShape::Unknown;
            assert_eq!(unknown, deliberately_unknown.contains(&opcode), "{opcode}");
        }
        assert_eq!(
            dispatch_shape(EffectOpcode(0xDEAD_BEEF_u32 as i32)),
            DispatchShape::Unknown
        );
    }

    #[test]
    fn every_known_host_opcode_has_a_shape() {
        for &opcode in HostOpcode::ALL {
            assert_ne!(host_shape(opcode), HostShape::Unknown, "{opcode}");
        }
    }

    #[test]
    fn string_limits_leave_room_for_real_world_strings() {
        assert_eq!(
            dispatch_shape(EffectOpcode::GET_PARAM_DISPLAY),
            DispatchShape::StringOut { limit: 32 }
        );
        assert_eq!(
            dispatch_shape(EffectOpcode::GET_EFFECT_NAME),
            DispatchShape::StringOut { limit: 64 }
        );
    }
}
