//! Numeric constants that are not opcodes: string lengths, versions, categories, process
//! levels, precision, canDo answers and common canDo strings.

/// `audioMasterVersion` / `effGetVstVersion` answer for VST 2.4.
pub const VST_VERSION_2400: i32 = 2400;

/// What many plugins return from `effIdentify` (`NvEf`).
pub const IDENTIFY_ANSWER: i32 = 0x4E76_4566;

// Nominal string lengths (including the NUL where the facts say so). Plugins and hosts
// routinely exceed the nominal sizes, so readers use `REAL_WORLD_STRING_BUFFER` instead.

/// Program name: 24 characters, plus the NUL.
pub const MAX_PROG_NAME_LEN: usize = 24;
/// Parameter name, label and display text: nominally 8 (many plugins write up to 32).
pub const MAX_PARAM_STR_LEN: usize = 8;
/// What real plugins write into parameter strings (vst-rs zero-fills 32 bytes).
pub const REAL_WORLD_PARAM_STR_LEN: usize = 32;
/// Vendor and product strings (both directions): 64 bytes.
pub const MAX_VENDOR_STR_LEN: usize = 64;
/// Product string: 64 bytes.
pub const MAX_PRODUCT_STR_LEN: usize = 64;
/// Effect name: nominally 32 (several implementations write 64).
pub const MAX_EFFECT_NAME_LEN: usize = 32;
/// What real plugins write into the effect-name buffer.
pub const REAL_WORLD_EFFECT_NAME_LEN: usize = 64;
/// Labels in pin and parameter properties.
pub const MAX_LABEL_LEN: usize = 64;
/// Short labels in pin and parameter properties.
pub const MAX_SHORT_LABEL_LEN: usize = 8;
/// Category label in parameter properties.
pub const MAX_CATEGORY_LABEL_LEN: usize = 24;
/// Names in MIDI and speaker structs.
pub const MAX_NAME_LEN: usize = 64;
/// Shell sub-plugin name (`effShellGetNextPlugin`): 64 nominal, 128 seen.
pub const MAX_SHELL_NAME_LEN: usize = 64;
/// Path buffer of `audioMasterGetChunkFile`.
pub const MAX_CHUNK_FILE_PATH_LEN: usize = 2048;
/// The size of every out-string buffer a careful host hands a plugin: at least 256 zeroed
/// bytes, NUL-forced after the call, because plugins overflow the nominal sizes.
pub const REAL_WORLD_STRING_BUFFER: usize = 256;

/// Plugin categories returned by `effGetPlugCategory`.
pub mod category {
    /// Unknown.
    pub const UNKNOWN: i32 = 0;
    /// Effect.
    pub const EFFECT: i32 = 1;
    /// Instrument.
    pub const SYNTH: i32 = 2;
    /// Analysis.
    pub const ANALYSIS: i32 = 3;
    /// Mastering.
    pub const MASTERING: i32 = 4;
    /// Spatializer.
    pub const SPACIALIZER: i32 = 5;
    /// Room effect.
    pub const ROOM_FX: i32 = 6;
    /// Surround effect.
    pub const SURROUND_FX: i32 = 7;
    /// Restoration.
    pub const RESTORATION: i32 = 8;
    /// Offline process.
    pub const OFFLINE_PROCESS: i32 = 9;
    /// Shell: one binary, many plugins (`effShellGetNextPlugin`).
    pub const SHELL: i32 = 10;
    /// Generator.
    pub const GENERATOR: i32 = 11;

    /// A readable name for a category code.
    pub const fn name(code: i32) -> &'static str {
        match code {
            UNKNOWN => "Unknown",
            EFFECT => "Effect",
            SYNTH => "Synth",
            ANALYSIS => "Analysis",
            MASTERING => "Mastering",
            SPACIALIZER => "Spacializer",
            ROOM_FX => "RoomFx",
            SURROUND_FX => "SurroundFx",
            RESTORATION => "Restoration",
            OFFLINE_PROCESS => "OfflineProcess",
            SHELL => "Shell",
            GENERATOR => "Generator",
            _ => "Unrecognised",
        }
    }
}

/// `audioMasterGetCurrentProcessLevel` answers.
pub mod process_level {
    /// Unknown (JUCE answers this while realtime: assume realtime).
    pub const UNKNOWN: isize = 0;
    /// User / GUI thread.
    pub const USER: isize = 1;
    /// Realtime audio thread.
    pub const REALTIME: isize = 2;
    /// Prefetch / sequencer thread.
    pub const PREFETCH: isize = 3;
    /// Offline rendering.
    pub const OFFLINE: isize = 4;
}

/// `audioMasterGetAutomationState` answers.
pub mod automation_state {
    /// Not supported.
    pub const UNSUPPORTED: isize = 0;
    /// Off.
    pub const OFF: isize = 1;
    /// Read.
    pub const READ: isize = 2;
    /// Write.
    pub const WRITE: isize = 3;
    /// Read and write.
    pub const READ_WRITE: isize = 4;
}

/// `effSetProcessPrecision` values.
pub mod precision {
    /// 32-bit float processing.
    pub const SINGLE: isize = 0;
    /// 64-bit float processing.
    pub const DOUBLE: isize = 1;
}

/// `effGetChunk`/`effSetChunk` index values.
pub mod chunk_kind {
    /// The whole bank.
    pub const BANK: i32 = 0;
    /// The current program.
    pub const PROGRAM: i32 = 1;
}

/// `effCanDo` answers (truncate the pointer-sized result to `i32` before comparing).
pub mod can_do_answer {
    /// Yes.
    pub const YES: isize = 1;
    /// Don't know.
    pub const UNKNOWN: isize = 0;
    /// No.
    pub const NO: isize = -1;
}

/// `audioMasterGetLanguage` answers.
pub mod language {
    /// English.
    pub const ENGLISH: isize = 1;
    /// German.
    pub const GERMAN: isize = 2;
    /// French.
    pub const FRENCH: isize = 3;
    /// Italian.
    pub const ITALIAN: isize = 4;
    /// Spanish.
    pub const SPANISH: isize = 5;
    /// Japanese.
    pub const JAPANESE: isize = 6;
}

/// canDo strings exchanged in both directions.
pub mod can_do {
    /// Plugin sends events to the host.
    pub const SEND_VST_EVENTS: &str = "sendVstEvents";
    /// Plugin sends MIDI events.
    pub const SEND_VST_MIDI_EVENT: &str = "sendVstMidiEvent";
    /// Plugin receives events.
    pub const RECEIVE_VST_EVENTS: &str = "receiveVstEvents";
    /// Plugin receives MIDI events.
    pub const RECEIVE_VST_MIDI_EVENT: &str = "receiveVstMidiEvent";
    /// Plugin reads time info.
    pub const RECEIVE_VST_TIME_INFO: &str = "receiveVstTimeInfo";
    /// Host provides time info.
    pub const SEND_VST_TIME_INFO: &str = "sendVstTimeInfo";
    /// Offline processing.
    pub const OFFLINE: &str = "offline";
    /// MIDI program names.
    pub const MIDI_PROGRAM_NAMES: &str = "midiProgramNames";
    /// Soft bypass.
    pub const BYPASS: &str = "bypass";
    /// SysEx input.
    pub const RECEIVE_VST_SYSEX_EVENT: &str = "receiveVstSysexEvent";
    /// Host supplies idle calls.
    pub const SUPPLY_IDLE: &str = "supplyIdle";
    /// Host resizes the editor window on request.
    pub const SIZE_WINDOW: &str = "sizeWindow";
    /// Host supports shell plugins.
    pub const SUPPORT_SHELL: &str = "supportShell";
    /// Host supports shell categories.
    pub const SHELL_CATEGORY: &str = "shellCategory";
    /// Host answers `audioMasterCurrentId` for shell sub-plugins.
    pub const SHELL_CATEGORY_CUR_ID: &str = "shellCategorycurID";
}
