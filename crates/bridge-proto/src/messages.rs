//! The messages exchanged on a bridge connection. Each [`Request`] names the [`Response`]
//! it expects (documented per variant); a side waiting for a response serves any request
//! that arrives first, which is how re-entrant calls travel.

use serde::{Deserialize, Serialize};

/// One frame on a connection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Message {
    /// First frame from the proxy on every new connection.
    Hello(Hello),
    /// The server's answer to [`Hello`].
    Welcome(Welcome),
    /// A call the other side must answer with exactly one [`Message::Response`].
    Request(Request),
    /// The answer to the innermost outstanding request on this connection.
    Response(Response),
}

/// What a connection is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ChannelRole {
    /// The connection of the host thread that created the instance; served by the server's
    /// main thread (editor, chunks and other GUI-thread calls run there).
    Main,
    /// The connection of another host thread; the server gives it a mirror thread.
    Thread,
    /// Callbacks the plugin makes from its own threads; served by a proxy thread.
    Callbacks,
    /// A DAW process asking a group's server for an instance of its own
    /// ([`Request::NewInstance`]); the instance's connections then go to the address the
    /// answer names.
    Group,
}

/// The proxy's greeting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hello {
    /// [`crate::PROTOCOL_VERSION`] of the proxy.
    pub protocol_version: u32,
    /// The random token the proxy handed the server at spawn; a connection without it is
    /// dropped.
    pub token: [u8; 16],
    /// What this connection is for.
    pub role: ChannelRole,
    /// The proxy's architecture (`x86_64`, …), for logs.
    pub architecture: String,
}

/// The server's answer to [`Hello`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Welcome {
    /// [`crate::PROTOCOL_VERSION`] of the server.
    pub protocol_version: u32,
    /// The server's architecture (`i686`, …).
    pub architecture: String,
    /// The server's ABI struct sizes, so a mismatch is caught at connect time.
    pub struct_sizes: StructSizes,
    /// The server's [`crate::region_layout::REGION_VERSION`]: both sides must map the audio
    /// region with one layout.
    pub region_version: u32,
    /// How the server sleeps on and rings the audio region's doorbells, so the proxy makes
    /// wakers to match before it hands the region over.
    pub wake: WakeMethod,
}

/// How the two sides of an audio region wake each other.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum WakeMethod {
    /// The operating system's own: a futex on the shared word (Linux, and a Windows server
    /// under a Wine that lets it make Linux system calls), an event per doorbell (Windows).
    Native,
    /// A pipe per doorbell that the ringer writes a byte to: a Windows server under a Wine
    /// that traps Linux system calls (11.5 and later, Proton), or one told to.
    Pipe,
}

/// Sizes of the ABI structs as compiled into one side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StructSizes {
    /// Pointer width in bytes.
    pub pointer: u32,
    /// `AEffect`.
    pub aeffect: u32,
    /// `VstTimeInfo` (88 on every target; it travels as raw bytes).
    pub time_info: u32,
    /// `VstParameterProperties` (152).
    pub parameter_properties: u32,
    /// `VstPinProperties` (128).
    pub pin_properties: u32,
    /// `VstSpeakerProperties` (112).
    pub speaker_properties: u32,
}

impl StructSizes {
    /// The sizes of this build.
    pub fn of_this_build() -> Self {
        use core::mem::size_of;
        use vst2_abi::*;
        Self {
            pointer: size_of::<usize>() as u32,
            aeffect: size_of::<AEffect>() as u32,
            time_info: size_of::<VstTimeInfo>() as u32,
            parameter_properties: size_of::<VstParameterProperties>() as u32,
            pin_properties: size_of::<VstPinProperties>() as u32,
            speaker_properties: size_of::<VstSpeakerProperties>() as u32,
        }
    }

    /// Whether the pointer-free structs that travel as raw bytes agree between two builds.
    pub fn raw_structs_agree(&self, other: &Self) -> bool {
        self.time_info == other.time_info
            && self.parameter_properties == other.parameter_properties
            && self.pin_properties == other.pin_properties
            && self.speaker_properties == other.speaker_properties
    }
}

/// The plugin's `AEffect` fields the proxy mirrors. Sent with every reply and callback, so
/// the proxy's copy follows the plugin even when it changes fields without telling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct EffectInfo {
    /// `numPrograms`.
    pub num_programs: i32,
    /// `numParams`.
    pub num_params: i32,
    /// `numInputs`.
    pub num_inputs: i32,
    /// `numOutputs`.
    pub num_outputs: i32,
    /// `flags`.
    pub flags: i32,
    /// `initialDelay`.
    pub initial_delay: i32,
    /// `uniqueID`.
    pub unique_id: i32,
    /// `version`.
    pub version: i32,
    /// Whether `processDoubleReplacing` is non-NULL.
    pub has_double_replacing: bool,
    /// Whether the accumulating `process` is non-NULL.
    pub has_accumulating: bool,
}

impl EffectInfo {
    /// The integer fields in the order the audio region's callback slot carries them:
    /// numPrograms, numParams, numInputs, numOutputs, flags, initialDelay, uniqueID, version.
    pub fn fields(&self) -> [i32; 8] {
        [
            self.num_programs,
            self.num_params,
            self.num_inputs,
            self.num_outputs,
            self.flags,
            self.initial_delay,
            self.unique_id,
            self.version,
        ]
    }
}

/// A request. The expected response is named on each variant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Request {
    /// Proxy → server, on the main connection only: load the plugin and create the
    /// instance. → [`Response::Instantiated`] or [`Response::Failed`].
    Instantiate {
        /// Absolute path of the real plugin.
        plugin_path: String,
    },
    /// Proxy → server: a dispatcher call. → [`Response::Dispatched`].
    Dispatch(DispatchCall),
    /// Proxy → server: `setParameter` calls, applied in order (a thread that is not
    /// processing audio, or a full queue). → [`Response::Done`].
    SetParameters(PendingChanges),
    /// Proxy → server: `getParameter` from a thread that is not processing audio.
    /// → [`Response::Parameter`].
    GetParameter {
        /// Parameter index.
        index: i32,
        /// Changes the plugin must see first.
        pending: PendingChanges,
    },
    /// Proxy → server: map this shared-memory audio region and serve blocks from it
    /// (replacing any earlier one). The region's file descriptor follows the frame on the
    /// same connection (SCM_RIGHTS): it has no name anyone else could open.
    /// → [`Response::Done`] or [`Response::Failed`].
    AttachAudio {
        /// Benchmarks only: the name of a socket to connect to and to signal blocks through
        /// (one byte per ring) instead of the futex, to measure the socket-synced design
        /// other bridges use against ours. `None` in normal use.
        signal_socket: Option<String>,
    },
    /// Server → proxy: the plugin called the host. → [`Response::HostAnswered`].
    HostCall(HostCall),
    /// Proxy → a group's server, on a [`ChannelRole::Group`] connection: make a new
    /// instance's server in the group's process. → [`Response::NewInstance`].
    NewInstance,
}

/// A response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Response {
    /// The instance exists; its fields.
    Instantiated(EffectInfo),
    /// A dispatcher call's result.
    Dispatched(DispatchReply),
    /// A `getParameter` value.
    Parameter(f32),
    /// A request without a result succeeded.
    Done,
    /// The host's answer to a [`HostCall`].
    HostAnswered(HostReply),
    /// The request could not be carried out; the text says why.
    Failed(String),
    /// A new instance's server in a group's process: where it listens, and the token its
    /// connections must carry.
    NewInstance {
        /// The socket name the instance's server listens on.
        socket: String,
        /// The instance's token.
        token: [u8; 16],
    },
}

/// A dispatcher call as it travels: the integer arguments and the decoded `ptr` payload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DispatchCall {
    /// The opcode.
    pub opcode: i32,
    /// `index`.
    pub index: i32,
    /// `value` (pointer-sized on the host; 64-bit on the wire).
    pub value: i64,
    /// `opt`.
    pub opt: f32,
    /// What `ptr` (and for speaker arrangements, `value`) carried in.
    pub payload: DispatchPayload,
    /// Parameter changes the DAW made before this call, applied first (read-your-writes).
    pub pending: PendingChanges,
    /// Take a [`Snapshot`] of the plugin's state right after the call, on the same thread.
    pub snapshot: bool,
}

/// `setParameter` calls the DAW made that the plugin has not seen yet, in the DAW's order.
/// The server applies them before the request that carries them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PendingChanges {
    /// The sequence number of the last audio block that carried queued changes when these
    /// left the proxy. The server first waits (briefly) until its audio thread has applied
    /// that block's changes, so a change queued for a block never lands after a later call.
    pub after_block: u32,
    /// (index, normalized value), oldest first.
    pub changes: Vec<(i32, f32)>,
}

impl PendingChanges {
    /// Whether there is nothing to apply or wait for.
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty() && self.after_block == 0
    }
}

/// The plugin's state, taken on the thread of the call that asked for it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Snapshot {
    /// `effGetChunk` (bank) of a plugin that saves chunks.
    Chunk(#[serde(with = "serde_bytes")] Vec<u8>),
    /// Every parameter's value (at most a capped number), of a plugin without chunks.
    Parameters(Vec<f32>),
}

/// The input payload of a dispatcher call (see [`crate::DispatchShape`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum DispatchPayload {
    /// No pointer argument (or one that cannot cross processes).
    None,
    /// A NUL-terminated string, without the NUL.
    Text(#[serde(with = "serde_bytes")] Vec<u8>),
    /// Chunk data for `effSetChunk`.
    Chunk(#[serde(with = "serde_bytes")] Vec<u8>),
    /// Events for `effProcessEvents`.
    Events(Vec<WireEvent>),
    /// A pointer-free struct, as its bytes (same layout on every target).
    Struct(#[serde(with = "serde_bytes")] Vec<u8>),
    /// Input and output speaker arrangements as raw bytes (`8 + 112 × channels`).
    SpeakerArrangements {
        /// The input arrangement, if the host passed one.
        input: Option<serde_bytes::ByteBuf>,
        /// The output arrangement, if the host passed one.
        output: Option<serde_bytes::ByteBuf>,
    },
    /// A native window handle (an X11 window id on Linux) carried as an integer.
    Window(u64),
    /// A `ptr` value passed through as an integer (vendor-specific calls).
    Integer(u64),
}

/// The result of a dispatcher call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DispatchReply {
    /// The dispatcher's return value.
    pub result: i64,
    /// What the plugin wrote through `ptr`.
    pub payload: ReplyPayload,
    /// The plugin's fields after the call.
    pub effect: EffectInfo,
    /// The state snapshot the call asked for.
    pub snapshot: Option<Snapshot>,
}

impl ReplyPayload {
    /// The variant's name, for logs.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::None => "no payload",
            Self::Text(_) => "a text",
            Self::Chunk(_) => "a chunk",
            Self::Rect(_) => "a rect",
            Self::Struct(_) => "a struct",
            Self::SpeakerArrangements { .. } => "speaker arrangements",
            Self::EditorWindow(_) => "an editor window",
        }
    }

    /// Whether this is the kind of answer `shape` brings back.
    pub fn fits(&self, shape: crate::DispatchShape) -> bool {
        use crate::DispatchShape as S;
        match (shape, self) {
            (S::StringOut { .. }, Self::Text(_))
            | (S::ChunkOut, Self::Chunk(_))
            | (S::RectOut, Self::Rect(_))
            | (S::StructOut { .. } | S::StructInOut { .. }, Self::Struct(_))
            | (S::SpeakerArrangementsOut, Self::SpeakerArrangements { .. })
            | (S::WindowIn, Self::EditorWindow(_)) => true,
            // Shapes that bring something back need it; the others bring nothing.
            (
                S::StringOut { .. }
                | S::ChunkOut
                | S::RectOut
                | S::StructOut { .. }
                | S::StructInOut { .. }
                | S::SpeakerArrangementsOut,
                _,
            ) => false,
            (_, payload) => matches!(payload, Self::None),
        }
    }
}

/// The output payload of a dispatcher call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ReplyPayload {
    /// Nothing written.
    None,
    /// A string, without the NUL.
    Text(#[serde(with = "serde_bytes")] Vec<u8>),
    /// Chunk data from `effGetChunk`.
    Chunk(#[serde(with = "serde_bytes")] Vec<u8>),
    /// The editor rectangle (`top, left, bottom, right`), if the plugin gave one.
    Rect(Option<[i16; 4]>),
    /// A pointer-free struct the plugin filled, as its bytes.
    Struct(#[serde(with = "serde_bytes")] Vec<u8>),
    /// The plugin's input and output speaker arrangements.
    SpeakerArrangements {
        /// Input arrangement bytes.
        input: Option<serde_bytes::ByteBuf>,
        /// Output arrangement bytes.
        output: Option<serde_bytes::ByteBuf>,
    },
    /// effEditOpen's answer from a Windows server under Wine to a Linux proxy: the X11
    /// window Wine made for the editor's top-level window, which the proxy embeds in its
    /// own (a Win32 window cannot be the child of an X11 one).
    EditorWindow(u64),
}

/// A plugin → host call as it travels.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HostCall {
    /// The audioMaster opcode.
    pub opcode: i32,
    /// `index`.
    pub index: i32,
    /// `value`.
    pub value: i64,
    /// `opt`.
    pub opt: f32,
    /// Whether the plugin passed a NULL effect (as plugins do from their entry point); the
    /// proxy then passes NULL to the host too.
    pub effect_was_null: bool,
    /// The plugin's fields at the time of the call (so `audioMasterIOChanged` finds the
    /// proxy's mirror already updated).
    pub effect: Option<EffectInfo>,
    /// What `ptr` carried in.
    pub payload: HostPayload,
}

/// The input payload of a host call (see [`crate::HostShape`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum HostPayload {
    /// No pointer argument.
    None,
    /// A NUL-terminated string, without the NUL (`audioMasterCanDo`).
    Text(#[serde(with = "serde_bytes")] Vec<u8>),
    /// MIDI sent with `audioMasterProcessEvents`.
    Events(Vec<WireEvent>),
    /// A pointer-free struct as bytes (`audioMasterSetTime`).
    Struct(#[serde(with = "serde_bytes")] Vec<u8>),
    /// A `ptr` value passed through as an integer (vendor-specific calls).
    Integer(u64),
}

/// The host's answer to a [`HostCall`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HostReply {
    /// The callback's return value (meaningless for pointer-returning opcodes, whose
    /// answer is in `payload`).
    pub result: i64,
    /// What the host wrote or returned through a pointer.
    pub payload: HostReplyPayload,
}

/// The output payload of a host call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum HostReplyPayload {
    /// Nothing.
    None,
    /// A string the host wrote into the plugin's buffer, or returned (`GetDirectory`).
    Text(#[serde(with = "serde_bytes")] Vec<u8>),
    /// The `VstTimeInfo` the host returned, as its 88 bytes; `None` for a NULL answer.
    TimeInfo(Option<serde_bytes::ByteBuf>),
    /// A pointer-free struct the host returned (a speaker arrangement), if any.
    Struct(Option<serde_bytes::ByteBuf>),
}

/// One MIDI or SysEx event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum WireEvent {
    /// A short MIDI message with all of `VstMidiEvent`'s fields.
    Midi {
        /// `deltaFrames`.
        delta_frames: i32,
        /// `flags`.
        flags: i32,
        /// `noteLength`.
        note_length: i32,
        /// `noteOffset`.
        note_offset: i32,
        /// `midiData`.
        data: [u8; 4],
        /// `detune`.
        detune: i8,
        /// `noteOffVelocity`.
        note_off_velocity: u8,
    },
    /// A SysEx dump of any length.
    Sysex {
        /// `deltaFrames`.
        delta_frames: i32,
        /// `flags`.
        flags: i32,
        /// The dump.
        #[serde(with = "serde_bytes")]
        data: Vec<u8>,
    },
}

impl WireEvent {
    /// From an ABI MIDI event.
    pub fn from_midi(event: &vst2_abi::VstMidiEvent) -> Self {
        WireEvent::Midi {
            delta_frames: event.delta_frames,
            flags: event.flags,
            note_length: event.note_length,
            note_offset: event.note_offset,
            data: event.midi_data,
            detune: event.detune,
            note_off_velocity: event.note_off_velocity,
        }
    }

    /// To an ABI MIDI event, for `Midi` variants.
    pub fn to_midi(&self) -> Option<vst2_abi::VstMidiEvent> {
        match *self {
            WireEvent::Midi {
                delta_frames,
                flags,
                note_length,
                note_offset,
                data,
                detune,
                note_off_velocity,
            } => Some(vst2_abi::VstMidiEvent {
                delta_frames,
                flags,
                note_length,
                note_offset,
                midi_data: data,
                detune,
                note_off_velocity,
                ..vst2_abi::VstMidiEvent::new(0, [0; 3])
            }),
            WireEvent::Sysex { .. } => None,
        }
    }
}
