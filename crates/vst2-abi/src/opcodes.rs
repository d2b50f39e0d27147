//! Dispatcher (host → plugin, `eff*`) and audioMaster (plugin → host, `audioMaster*`)
//! opcodes as constants on `i32` newtypes.
//!
//! An opcode is whatever integer the other side sends, so these are not Rust enums: an
//! unknown value is carried as is, and [`EffectOpcode::name`] simply returns `None` for it.
//! Each constant's doc line says what `index`, `value`, `ptr` and `opt` carry and what the
//! call returns; "–" means unused (pass 0 or NULL).

use core::fmt;

/// Declares an opcode newtype, its constants with their docs, and a name table.
macro_rules! opcode_set {
    (
        $(#[$type_doc:meta])*
        $type_name:ident {
            $( $(#[$doc:meta])* $const_name:ident = $value:literal => $c_name:literal, )*
        }
    ) => {
        $(#[$type_doc])*
        #[repr(transparent)]
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $type_name(pub i32);

        impl $type_name {
            $( $(#[$doc])* pub const $const_name: Self = Self($value); )*

            /// Every opcode this crate knows, in numeric order.
            pub const ALL: &'static [Self] = &[ $( Self::$const_name, )* ];

            /// The conventional C name (`effOpen`, `audioMasterAutomate`, …), or `None` for
            /// an opcode this crate does not know.
            pub const fn name(self) -> Option<&'static str> {
                match self.0 {
                    $( $value => Some($c_name), )*
                    _ => None,
                }
            }
        }

        impl fmt::Debug for $type_name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                match self.name() {
                    Some(name) => write!(f, "{name}({})", self.0),
                    None => write!(f, "{}({})", stringify!($type_name), self.0),
                }
            }
        }

        impl fmt::Display for $type_name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(self, f)
            }
        }

        impl From<i32> for $type_name {
            fn from(value: i32) -> Self {
                Self(value)
            }
        }

        impl From<$type_name> for i32 {
            fn from(opcode: $type_name) -> i32 {
                opcode.0
            }
        }
    };
}

opcode_set! {
    /// A host → plugin dispatcher opcode (`eff*`).
    EffectOpcode {
        /// effOpen: all args –. Returns 0. Some hosts send SetSampleRate/SetBlockSize first.
        OPEN = 0 => "effOpen",
        /// effClose: all args –. Returns 0. The plugin may free its AEffect inside.
        CLOSE = 1 => "effClose",
        /// effSetProgram: value = program index. Returns 0.
        SET_PROGRAM = 2 => "effSetProgram",
        /// effGetProgram: all args –. Returns the current program index.
        GET_PROGRAM = 3 => "effGetProgram",
        /// effSetProgramName: ptr = in, NUL-terminated name (≤ 24 chars). Returns 0.
        SET_PROGRAM_NAME = 4 => "effSetProgramName",
        /// effGetProgramName: ptr = out, char buffer (nominal 24 + NUL). Returns 0.
        GET_PROGRAM_NAME = 5 => "effGetProgramName",
        /// effGetParamLabel: index = parameter; ptr = out, char buffer (nominal 8). Returns 0.
        GET_PARAM_LABEL = 6 => "effGetParamLabel",
        /// effGetParamDisplay: index = parameter; ptr = out, char buffer (nominal 8). Returns 0.
        GET_PARAM_DISPLAY = 7 => "effGetParamDisplay",
        /// effGetParamName: index = parameter; ptr = out, char buffer (nominal 8). Returns 0.
        GET_PARAM_NAME = 8 => "effGetParamName",
        /// effGetVu (deprecated): no documented arguments.
        GET_VU = 9 => "effGetVu",
        /// effSetSampleRate: opt = sample rate. Returns 0.
        SET_SAMPLE_RATE = 10 => "effSetSampleRate",
        /// effSetBlockSize: value = maximum frames per process call. Returns 0.
        SET_BLOCK_SIZE = 11 => "effSetBlockSize",
        /// effMainsChanged: value = 1 resume, 0 suspend. Returns 0.
        MAINS_CHANGED = 12 => "effMainsChanged",
        /// effEditGetRect: ptr = out, address of an `ERect*` the plugin points at its own
        /// rect. Returns non-zero on success.
        EDIT_GET_RECT = 13 => "effEditGetRect",
        /// effEditOpen: ptr = in, native parent window (HWND, NSView*, X11 window id as a
        /// pointer value). Returns non-zero on success.
        EDIT_OPEN = 14 => "effEditOpen",
        /// effEditClose: all args –. Returns 0.
        EDIT_CLOSE = 15 => "effEditClose",
        /// effEditDraw (deprecated).
        EDIT_DRAW = 16 => "effEditDraw",
        /// effEditMouse (deprecated).
        EDIT_MOUSE = 17 => "effEditMouse",
        /// effEditKey (deprecated).
        EDIT_KEY = 18 => "effEditKey",
        /// effEditIdle: all args –; sent periodically on the GUI thread. Returns 0.
        EDIT_IDLE = 19 => "effEditIdle",
        /// effEditTop (deprecated).
        EDIT_TOP = 20 => "effEditTop",
        /// effEditSleep (deprecated).
        EDIT_SLEEP = 21 => "effEditSleep",
        /// effIdentify (deprecated): all args –. Returns `NvEf` (0x4E764566) in many plugins.
        IDENTIFY = 22 => "effIdentify",
        /// effGetChunk: index = 0 bank / 1 program; ptr = out, `void**` set to plugin-owned
        /// data. Returns the size in bytes.
        GET_CHUNK = 23 => "effGetChunk",
        /// effSetChunk: index = 0 bank / 1 program; value = byte size; ptr = in, data
        /// (host-owned, valid during the call). Returns 0 or 1 (do not rely on it).
        SET_CHUNK = 24 => "effSetChunk",
        /// effProcessEvents: ptr = in, `VstEvents*` for the coming block. Returns 1 if
        /// processed.
        PROCESS_EVENTS = 25 => "effProcessEvents",
        /// effCanBeAutomated: index = parameter. Returns 1 or 0.
        CAN_BE_AUTOMATED = 26 => "effCanBeAutomated",
        /// effString2Parameter: index = parameter; ptr = in, text. Returns 1 if set.
        STRING_TO_PARAMETER = 27 => "effString2Parameter",
        /// effGetNumProgramCategories (deprecated).
        GET_NUM_PROGRAM_CATEGORIES = 28 => "effGetNumProgramCategories",
        /// effGetProgramNameIndexed: index = program; ptr = out, char buffer (24). Returns 1
        /// if that program exists.
        GET_PROGRAM_NAME_INDEXED = 29 => "effGetProgramNameIndexed",
        /// effCopyProgram (deprecated).
        COPY_PROGRAM = 30 => "effCopyProgram",
        /// effConnectInput (deprecated): index = pin; value = 1 connected / 0.
        CONNECT_INPUT = 31 => "effConnectInput",
        /// effConnectOutput (deprecated): index = pin; value = 1 connected / 0.
        CONNECT_OUTPUT = 32 => "effConnectOutput",
        /// effGetInputProperties: index = pin; ptr = out, `VstPinProperties*` (128 bytes).
        /// Returns 1 if filled.
        GET_INPUT_PROPERTIES = 33 => "effGetInputProperties",
        /// effGetOutputProperties: index = pin; ptr = out, `VstPinProperties*`. Returns 1 if
        /// filled.
        GET_OUTPUT_PROPERTIES = 34 => "effGetOutputProperties",
        /// effGetPlugCategory: all args –. Returns a category (`constants::category`).
        GET_PLUG_CATEGORY = 35 => "effGetPlugCategory",
        /// effGetCurrentPosition (deprecated).
        GET_CURRENT_POSITION = 36 => "effGetCurrentPosition",
        /// effGetDestinationBuffer (deprecated).
        GET_DESTINATION_BUFFER = 37 => "effGetDestinationBuffer",
        /// effOfflineNotify: index = start flag; value = count; ptr = in, VstAudioFile array.
        OFFLINE_NOTIFY = 38 => "effOfflineNotify",
        /// effOfflinePrepare: value = count; ptr = VstOfflineTask array.
        OFFLINE_PREPARE = 39 => "effOfflinePrepare",
        /// effOfflineRun: value = count; ptr = VstOfflineTask array.
        OFFLINE_RUN = 40 => "effOfflineRun",
        /// effProcessVarIo: ptr = VstVariableIo*.
        PROCESS_VAR_IO = 41 => "effProcessVarIo",
        /// effSetSpeakerArrangement: value = in, input `VstSpeakerArrangement*` as an
        /// integer; ptr = in, output `VstSpeakerArrangement*`. Returns 1 if accepted.
        SET_SPEAKER_ARRANGEMENT = 42 => "effSetSpeakerArrangement",
        /// effSetBlockSizeAndSampleRate (deprecated).
        SET_BLOCK_SIZE_AND_SAMPLE_RATE = 43 => "effSetBlockSizeAndSampleRate",
        /// effSetBypass: value = 1 bypass / 0 run. Returns 1 if soft bypass is implemented.
        SET_BYPASS = 44 => "effSetBypass",
        /// effGetEffectName: ptr = out, char buffer (nominal 32). Returns 1.
        GET_EFFECT_NAME = 45 => "effGetEffectName",
        /// effGetErrorText (deprecated).
        GET_ERROR_TEXT = 46 => "effGetErrorText",
        /// effGetVendorString: ptr = out, char buffer (64). Returns 1.
        GET_VENDOR_STRING = 47 => "effGetVendorString",
        /// effGetProductString: ptr = out, char buffer (64). Returns 1.
        GET_PRODUCT_STRING = 48 => "effGetProductString",
        /// effGetVendorVersion: all args –. Returns the plugin's version.
        GET_VENDOR_VERSION = 49 => "effGetVendorVersion",
        /// effVendorSpecific: every argument vendor-defined. Returns 0 if not understood.
        VENDOR_SPECIFIC = 50 => "effVendorSpecific",
        /// effCanDo: ptr = in, feature string. Returns 1 yes, 0 don't know, −1 no.
        CAN_DO = 51 => "effCanDo",
        /// effGetTailSize: all args –. Returns the tail in samples (0 unknown, 1 none).
        GET_TAIL_SIZE = 52 => "effGetTailSize",
        /// effIdle (deprecated, still sent by REAPER): all args –. Returns 0.
        IDLE = 53 => "effIdle",
        /// effGetIcon (deprecated).
        GET_ICON = 54 => "effGetIcon",
        /// effSetViewPosition (deprecated): index = x; value = y.
        SET_VIEW_POSITION = 55 => "effSetViewPosition",
        /// effGetParameterProperties: index = parameter; ptr = out,
        /// `VstParameterProperties*` (152 bytes). Returns 1 if filled.
        GET_PARAMETER_PROPERTIES = 56 => "effGetParameterProperties",
        /// effKeysRequired (deprecated): all args –. Returns 1 if keyboard focus is needed.
        KEYS_REQUIRED = 57 => "effKeysRequired",
        /// effGetVstVersion: all args –. Returns 2400 for 2.4 plugins.
        GET_VST_VERSION = 58 => "effGetVstVersion",
        /// effEditKeyDown: index = ASCII character; value = virtual key; opt = modifiers.
        /// Returns 1 if consumed.
        EDIT_KEY_DOWN = 59 => "effEditKeyDown",
        /// effEditKeyUp: index = ASCII character; value = virtual key; opt = modifiers.
        /// Returns 1 if consumed.
        EDIT_KEY_UP = 60 => "effEditKeyUp",
        /// effSetEditKnobMode: value = 0 circular, 1 relative circular, 2 linear.
        SET_EDIT_KNOB_MODE = 61 => "effSetEditKnobMode",
        /// effGetMidiProgramName: index = MIDI channel; ptr = in/out, `MidiProgramName*`.
        /// Returns the number of MIDI programs (0 unsupported).
        GET_MIDI_PROGRAM_NAME = 62 => "effGetMidiProgramName",
        /// effGetCurrentMidiProgram: index = MIDI channel; ptr = out, `MidiProgramName*`.
        /// Returns the current program, −1 if unsupported.
        GET_CURRENT_MIDI_PROGRAM = 63 => "effGetCurrentMidiProgram",
        /// effGetMidiProgramCategory: index = MIDI channel; ptr = in/out,
        /// `MidiProgramCategory*`. Returns the number of categories.
        GET_MIDI_PROGRAM_CATEGORY = 64 => "effGetMidiProgramCategory",
        /// effHasMidiProgramsChanged: index = MIDI channel. Returns 1 if changed.
        HAS_MIDI_PROGRAMS_CHANGED = 65 => "effHasMidiProgramsChanged",
        /// effGetMidiKeyName: index = MIDI channel; ptr = in/out, `MidiKeyName*`. Returns 1
        /// if a name was written.
        GET_MIDI_KEY_NAME = 66 => "effGetMidiKeyName",
        /// effBeginSetProgram: all args –. Brackets a program change.
        BEGIN_SET_PROGRAM = 67 => "effBeginSetProgram",
        /// effEndSetProgram: all args –. Ends a program change.
        END_SET_PROGRAM = 68 => "effEndSetProgram",
        /// effGetSpeakerArrangement: value = out, address of a pointer slot for the input
        /// arrangement; ptr = out, same for the output. The plugin writes pointers to its own
        /// structs. Returns 1 on success.
        GET_SPEAKER_ARRANGEMENT = 69 => "effGetSpeakerArrangement",
        /// effShellGetNextPlugin: ptr = out, char buffer for the sub-plugin name. Returns the
        /// next sub-plugin's unique ID, 0 when the list ends.
        SHELL_GET_NEXT_PLUGIN = 70 => "effShellGetNextPlugin",
        /// effStartProcess: all args –. Sent before processing starts. Returns 0.
        START_PROCESS = 71 => "effStartProcess",
        /// effStopProcess: all args –. Sent after the last process call. Returns 0.
        STOP_PROCESS = 72 => "effStopProcess",
        /// effSetTotalSampleToProcess: value = sample count (offline). Returns `value`.
        SET_TOTAL_SAMPLE_TO_PROCESS = 73 => "effSetTotalSampleToProcess",
        /// effSetPanLaw: value = pan-law type; opt = gain.
        SET_PAN_LAW = 74 => "effSetPanLaw",
        /// effBeginLoadBank: ptr = in, `VstPatchChunkInfo*`. Returns −1 cannot, 1 can, 0
        /// unsupported.
        BEGIN_LOAD_BANK = 75 => "effBeginLoadBank",
        /// effBeginLoadProgram: ptr = in, `VstPatchChunkInfo*`. Returns −1 / 1 / 0.
        BEGIN_LOAD_PROGRAM = 76 => "effBeginLoadProgram",
        /// effSetProcessPrecision: value = 0 f32, 1 f64. Returns 1 on success in most plugins.
        SET_PROCESS_PRECISION = 77 => "effSetProcessPrecision",
        /// effGetNumMidiInputChannels: all args –. Returns MIDI input channels (0–16).
        GET_NUM_MIDI_INPUT_CHANNELS = 78 => "effGetNumMidiInputChannels",
        /// effGetNumMidiOutputChannels: all args –. Returns MIDI output channels (0–16).
        GET_NUM_MIDI_OUTPUT_CHANNELS = 79 => "effGetNumMidiOutputChannels",
    }
}

opcode_set! {
    /// A plugin → host audioMaster opcode (`audioMaster*`).
    HostOpcode {
        /// audioMasterAutomate: index = parameter; opt = new normalized value. Returns 0.
        AUTOMATE = 0 => "audioMasterAutomate",
        /// audioMasterVersion: all args –. Returns 2400; 0 makes many plugins refuse to load.
        VERSION = 1 => "audioMasterVersion",
        /// audioMasterCurrentId: all args –. Returns the unique ID of the (shell sub-)plugin
        /// being created, else 0.
        CURRENT_ID = 2 => "audioMasterCurrentId",
        /// audioMasterIdle: all args –. The plugin is in a modal loop. Returns 0.
        IDLE = 3 => "audioMasterIdle",
        /// audioMasterPinConnected (deprecated): index = pin; value = 0 input / 1 output.
        /// Returns 0 if connected (inverted).
        PIN_CONNECTED = 4 => "audioMasterPinConnected",
        /// audioMasterWantMidi (deprecated): value = filter. Returns 1 in REAPER.
        WANT_MIDI = 6 => "audioMasterWantMidi",
        /// audioMasterGetTime: value = mask of `time_info::flags` the plugin needs. Returns a
        /// pointer to a host-owned `VstTimeInfo`, or 0.
        GET_TIME = 7 => "audioMasterGetTime",
        /// audioMasterProcessEvents: ptr = in, plugin-owned `VstEvents*`. Returns 1 if
        /// accepted.
        PROCESS_EVENTS = 8 => "audioMasterProcessEvents",
        /// audioMasterSetTime (deprecated): value = filter; ptr = `VstTimeInfo*`.
        SET_TIME = 9 => "audioMasterSetTime",
        /// audioMasterTempoAt (deprecated): value = sample position. Returns BPM × 10000.
        TEMPO_AT = 10 => "audioMasterTempoAt",
        /// audioMasterGetNumAutomatableParameters (deprecated): all args –. Returns a count.
        GET_NUM_AUTOMATABLE_PARAMETERS = 11 => "audioMasterGetNumAutomatableParameters",
        /// audioMasterGetParameterQuantization (deprecated): value = parameter (−1 all).
        /// Returns integer steps, 1 for full precision.
        GET_PARAMETER_QUANTIZATION = 12 => "audioMasterGetParameterQuantization",
        /// audioMasterIOChanged: all args –. I/O or latency changed; the host re-reads the
        /// AEffect. Returns 1 if it did.
        IO_CHANGED = 13 => "audioMasterIOChanged",
        /// audioMasterNeedIdle (deprecated): all args –. The plugin wants effIdle calls.
        NEED_IDLE = 14 => "audioMasterNeedIdle",
        /// audioMasterSizeWindow: index = width; value = height. Returns 1 if resized.
        SIZE_WINDOW = 15 => "audioMasterSizeWindow",
        /// audioMasterGetSampleRate: all args –. Returns the sample rate.
        GET_SAMPLE_RATE = 16 => "audioMasterGetSampleRate",
        /// audioMasterGetBlockSize: all args –. Returns the block size.
        GET_BLOCK_SIZE = 17 => "audioMasterGetBlockSize",
        /// audioMasterGetInputLatency: all args –. Returns samples.
        GET_INPUT_LATENCY = 18 => "audioMasterGetInputLatency",
        /// audioMasterGetOutputLatency: all args –. Returns samples.
        GET_OUTPUT_LATENCY = 19 => "audioMasterGetOutputLatency",
        /// audioMasterGetPreviousPlug (deprecated): value = input pin. Returns an `AEffect*`.
        GET_PREVIOUS_PLUG = 20 => "audioMasterGetPreviousPlug",
        /// audioMasterGetNextPlug (deprecated): value = output pin. Returns an `AEffect*`.
        GET_NEXT_PLUG = 21 => "audioMasterGetNextPlug",
        /// audioMasterWillReplaceOrAccumulate (deprecated): all args –. Returns 0 unsupported,
        /// 1 replace, 2 accumulate.
        WILL_REPLACE_OR_ACCUMULATE = 22 => "audioMasterWillReplaceOrAccumulate",
        /// audioMasterGetCurrentProcessLevel: all args –. Returns a `constants::process_level`.
        GET_CURRENT_PROCESS_LEVEL = 23 => "audioMasterGetCurrentProcessLevel",
        /// audioMasterGetAutomationState: all args –. Returns 0 unsupported, 1 off, 2 read,
        /// 3 write, 4 read+write.
        GET_AUTOMATION_STATE = 24 => "audioMasterGetAutomationState",
        /// audioMasterOfflineStart: index = new files; value = files; ptr = `VstAudioFile*`.
        OFFLINE_START = 25 => "audioMasterOfflineStart",
        /// audioMasterOfflineRead: index = read original; value = option; ptr =
        /// `VstOfflineTask*`. Returns 1 ok.
        OFFLINE_READ = 26 => "audioMasterOfflineRead",
        /// audioMasterOfflineWrite: value = option; ptr = `VstOfflineTask*`. Returns 1 ok.
        OFFLINE_WRITE = 27 => "audioMasterOfflineWrite",
        /// audioMasterOfflineGetCurrentPass: all args –.
        OFFLINE_GET_CURRENT_PASS = 28 => "audioMasterOfflineGetCurrentPass",
        /// audioMasterOfflineGetCurrentMetaPass: all args –.
        OFFLINE_GET_CURRENT_META_PASS = 29 => "audioMasterOfflineGetCurrentMetaPass",
        /// audioMasterSetOutputSampleRate (deprecated): opt = sample rate.
        SET_OUTPUT_SAMPLE_RATE = 30 => "audioMasterSetOutputSampleRate",
        /// audioMasterGetOutputSpeakerArrangement (deprecated): value = input, ptr = output.
        /// Returns a `VstSpeakerArrangement*`.
        GET_OUTPUT_SPEAKER_ARRANGEMENT = 31 => "audioMasterGetOutputSpeakerArrangement",
        /// audioMasterGetVendorString: ptr = out, char buffer (64). Return value unreliable.
        GET_VENDOR_STRING = 32 => "audioMasterGetVendorString",
        /// audioMasterGetProductString: ptr = out, char buffer (64). Return value unreliable.
        GET_PRODUCT_STRING = 33 => "audioMasterGetProductString",
        /// audioMasterGetVendorVersion: all args –. Returns the host's version.
        GET_VENDOR_VERSION = 34 => "audioMasterGetVendorVersion",
        /// audioMasterVendorSpecific: every argument vendor-defined. Returns 0 if not
        /// understood.
        VENDOR_SPECIFIC = 35 => "audioMasterVendorSpecific",
        /// audioMasterSetIcon (deprecated): ptr = icon.
        SET_ICON = 36 => "audioMasterSetIcon",
        /// audioMasterCanDo: ptr = in, feature string. Returns 1 yes, 0 no/unknown.
        CAN_DO = 37 => "audioMasterCanDo",
        /// audioMasterGetLanguage: all args –. Returns 1 English, 2 German, 3 French, …
        GET_LANGUAGE = 38 => "audioMasterGetLanguage",
        /// audioMasterOpenWindow (deprecated). Returns a platform handle.
        OPEN_WINDOW = 39 => "audioMasterOpenWindow",
        /// audioMasterCloseWindow (deprecated): ptr = handle.
        CLOSE_WINDOW = 40 => "audioMasterCloseWindow",
        /// audioMasterGetDirectory: all args –. Returns a `char*` to the plugin's directory.
        GET_DIRECTORY = 41 => "audioMasterGetDirectory",
        /// audioMasterUpdateDisplay: all args –. The host should re-read names, programs and
        /// parameters. Returns 1.
        UPDATE_DISPLAY = 42 => "audioMasterUpdateDisplay",
        /// audioMasterBeginEdit: index = parameter. Gesture start. Returns 1.
        BEGIN_EDIT = 43 => "audioMasterBeginEdit",
        /// audioMasterEndEdit: index = parameter. Gesture end. Returns 1.
        END_EDIT = 44 => "audioMasterEndEdit",
        /// audioMasterOpenFileSelector: ptr = in/out, `VstFileSelect*`. Returns 1 on success.
        OPEN_FILE_SELECTOR = 45 => "audioMasterOpenFileSelector",
        /// audioMasterCloseFileSelector: ptr = `VstFileSelect*`. Returns 1.
        CLOSE_FILE_SELECTOR = 46 => "audioMasterCloseFileSelector",
        /// audioMasterEditFile (deprecated).
        EDIT_FILE = 47 => "audioMasterEditFile",
        /// audioMasterGetChunkFile (deprecated): ptr = out, path buffer (2048). Returns 1 if
        /// supported.
        GET_CHUNK_FILE = 48 => "audioMasterGetChunkFile",
        /// audioMasterGetInputSpeakerArrangement (deprecated).
        GET_INPUT_SPEAKER_ARRANGEMENT = 49 => "audioMasterGetInputSpeakerArrangement",
    }
}

/// The non-standard opcode REAPER uses in both directions to look up Cockos extension
/// functions (`0xDEADBEEF` read as an `i32`). Answer 0 unless you implement them.
pub const COCKOS_FUNCTION_LOOKUP: i32 = 0xDEAD_BEEF_u32 as i32;

/// The `index` REAPER's plugins pass with [`COCKOS_FUNCTION_LOOKUP`] to the host callback.
pub const COCKOS_FUNCTION_LOOKUP_INDEX: i32 = 0xDEAD_F00D_u32 as i32;

/// The `index` REAPER passes with `effVendorSpecific` for its extensions.
pub const COCKOS_VENDOR_SPECIFIC_INDEX: i32 = 0xDEAD_BEF0_u32 as i32;
