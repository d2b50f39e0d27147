//! The recorder: what the proxy remembers about an instance, learnt from the calls it
//! forwards through one door, [`Recorder::observe`]: enough to bring a restarted plugin back
//! to the state the DAW left it in ([`StateMirror`]), and the last answers to queries, so a
//! dead plugin still answers with what it last said ([`AnswerCache`]). It makes no call and
//! imports nothing of the proxy.

use std::collections::HashMap;

use bridge_proto::{
    DispatchPayload, DispatchShape, EffectInfo, HostCall, PendingChanges, ReplyPayload, Request, Response, Snapshot,
    dispatch_shape,
};
use vst2_abi::effect::effect_flags;
use vst2_abi::{EffectOpcode, HostOpcode};

/// The state mirror and the answer cache, fed by [`Recorder::observe`].
#[derive(Debug, Default)]
pub struct Recorder {
    /// What a restart replays.
    pub state: StateMirror,
    /// What a dead plugin answers.
    pub answers: AnswerCache,
}

/// What an observation changed that the rest of the instance must act on.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Observed {
    /// A chunk of the whole state was recorded: every earlier change is in it.
    pub chunk: bool,
}

impl Recorder {
    /// Learns from one call the proxy forwards (a request to the server, or a plugin
    /// callback it answered). Called with `reply == None` before the call travels (or
    /// instead of it, while the plugin is dead): what the DAW asked for, which a restart
    /// replays even if the plugin dies of it. Called again with the reply: what the plugin
    /// answered. Requests whose only content is the reply are recorded then.
    pub fn observe(&mut self, request: &Request, reply: Option<&Response>) -> Observed {
        let mut observed = Observed::default();
        match (request, reply) {
            (Request::Dispatch(call), None) => {
                self.record_changes(&call.pending);
                let opcode = EffectOpcode(call.opcode);
                self.state
                    .record_dispatch(opcode, call.index, call.value as isize, call.opt);
                match (opcode, &call.payload) {
                    (EffectOpcode::SET_CHUNK, DispatchPayload::Chunk(data)) => {
                        self.state.record_chunk(call.index, data.clone());
                        observed.chunk = true;
                    }
                    (EffectOpcode::SET_PROGRAM_NAME, DispatchPayload::Text(name)) => {
                        self.state
                            .record_after_chunk(ChangeAfterChunk::ProgramName(name.clone()));
                    }
                    (EffectOpcode::SET_SPEAKER_ARRANGEMENT, DispatchPayload::SpeakerArrangements { input, output }) => {
                        self.state.speaker_arrangement =
                            Some((input.as_ref().map(|b| b.to_vec()), output.as_ref().map(|b| b.to_vec())));
                    }
                    _ => {}
                }
            }
            (Request::Dispatch(call), Some(Response::Dispatched(reply))) => {
                let opcode = EffectOpcode(call.opcode);
                if let ReplyPayload::Chunk(chunk) = &reply.payload {
                    if !chunk.is_empty() {
                        self.state.record_chunk(call.index, chunk.clone());
                        observed.chunk = true;
                    }
                }
                match &reply.snapshot {
                    Some(Snapshot::Chunk(chunk)) if !chunk.is_empty() => {
                        self.state.record_chunk(0, chunk.clone());
                        observed.chunk = true;
                    }
                    Some(Snapshot::Parameters(values)) => {
                        let count = values.len().min(bridge_proto::limits::MAX_PARAMETERS as usize);
                        for (index, value) in values[..count].iter().enumerate() {
                            self.state.record_parameter(index as i32, *value);
                        }
                    }
                    _ => {}
                }
                let shape = dispatch_shape(opcode);
                // Kept no larger than the opcode lets through to the DAW.
                let bytes = match (shape, &reply.payload) {
                    (DispatchShape::StringOut { limit }, ReplyPayload::Text(text)) => {
                        Some(text[..text.len().min(limit)].to_vec())
                    }
                    (
                        DispatchShape::StructOut { size } | DispatchShape::StructInOut { size },
                        ReplyPayload::Struct(bytes),
                    ) => Some(bytes[..bytes.len().min(size)].to_vec()),
                    (DispatchShape::Plain, _) => None,
                    _ => return observed,
                };
                self.answers.store(
                    opcode,
                    call.index,
                    CachedAnswer {
                        result: reply.result as isize,
                        bytes,
                    },
                );
            }
            (Request::SetParameters(pending), None) => self.record_changes(pending),
            (Request::GetParameter { pending, .. }, None) => self.record_changes(pending),
            (Request::GetParameter { index, .. }, Some(Response::Parameter(value))) => {
                self.state.record_parameter(*index, *value);
            }
            (Request::HostCall(call), Some(Response::HostAnswered(reply))) => self.observe_callback(call, reply.result),
            _ => {}
        }
        observed
    }

    /// A plugin callback the DAW answered with `result`.
    fn observe_callback(&mut self, call: &HostCall, result: i64) {
        match HostOpcode(call.opcode) {
            // The plugin's own change (its editor): newer than any chunk, like the DAW's.
            HostOpcode::AUTOMATE => self.state.record_parameter_change(call.index, call.opt),
            HostOpcode::CURRENT_ID => self.state.current_id = Some(result as isize),
            _ => {}
        }
    }

    fn record_changes(&mut self, pending: &PendingChanges) {
        for &(index, value) in &pending.changes {
            self.state.record_parameter_change(index, value);
        }
    }
}

/// Input and output speaker arrangements as raw bytes, as `effSetSpeakerArrangement` got them.
pub type ArrangementBytes = (Option<Vec<u8>>, Option<Vec<u8>>);

/// The highest parameter index remembered (the documented cap of 65,536 parameters).
const MAX_PARAMETER_INDEX: i32 = 65_535;

/// The state to replay after a restart, in replay order.
#[derive(Debug, Default, Clone)]
pub struct StateMirror {
    /// The unique ID the DAW gave for `audioMasterCurrentId` while the plugin was created
    /// (shell sub-plugins), answered again on restart.
    pub current_id: Option<isize>,
    /// `effOpen` was sent.
    pub opened: bool,
    /// The last `effSetSampleRate`.
    pub sample_rate: Option<f32>,
    /// The last `effSetBlockSize`.
    pub block_size: Option<isize>,
    /// The last `effSetProcessPrecision`.
    pub precision: Option<isize>,
    /// The last `effSetSpeakerArrangement` (input, output) as raw bytes.
    pub speaker_arrangement: Option<ArrangementBytes>,
    /// The last `effSetProgram`.
    pub program: Option<isize>,
    /// The plugin's state as a chunk (kind index, bytes): the last one the DAW set or read,
    /// or a snapshot the proxy took.
    pub chunk: Option<(i32, Vec<u8>)>,
    /// Parameter values: set by the DAW, reported by the plugin, or read from the value
    /// table at snapshots.
    pub parameters: Vec<Option<f32>>,
    /// The last `effSetBypass`.
    pub bypass: Option<isize>,
    /// Resumed (`effMainsChanged(1)`) rather than suspended.
    pub resumed: bool,
    /// Between `effStartProcess` and `effStopProcess`.
    pub processing: bool,
    /// A fresh snapshot is wanted (after a program change, or the interval passed); the
    /// next call the DAW makes on the thread that created the instance takes it.
    pub snapshot_wanted: bool,
    /// What the DAW changed after `chunk` was taken, in its order: a restart replays it
    /// after the chunk, or those changes would be lost. At most [`MAX_AFTER_CHUNK`] entries
    /// (repeated sets of one parameter in a row count once).
    pub after_chunk: Vec<ChangeAfterChunk>,
}

/// The longest [`StateMirror::after_chunk`] kept; a DAW that makes more changes without the
/// proxy seeing a chunk loses the oldest on a restart (a snapshot normally comes first).
pub const MAX_AFTER_CHUNK: usize = 16_384;

/// One change replayed after the chunk.
#[derive(Debug, Clone, PartialEq)]
pub enum ChangeAfterChunk {
    /// `effSetProgram`.
    Program(isize),
    /// `effSetProgramName`, its text without the NUL.
    ProgramName(Vec<u8>),
    /// `setParameter` (or the plugin's own `audioMasterAutomate`).
    Parameter(i32, f32),
}

impl StateMirror {
    /// Records the state a dispatcher call sets (its payload, for the calls that have one,
    /// is recorded by [`Recorder::observe`]).
    pub fn record_dispatch(&mut self, opcode: EffectOpcode, index: i32, value: isize, opt: f32) {
        match opcode {
            EffectOpcode::OPEN => self.opened = true,
            EffectOpcode::SET_SAMPLE_RATE => self.sample_rate = Some(opt),
            EffectOpcode::SET_BLOCK_SIZE => self.block_size = Some(value),
            EffectOpcode::SET_PROCESS_PRECISION => self.precision = Some(value),
            EffectOpcode::SET_PROGRAM => {
                self.program = Some(value);
                self.record_after_chunk(ChangeAfterChunk::Program(value));
                self.snapshot_wanted = true;
            }
            EffectOpcode::SET_BYPASS => self.bypass = Some(value),
            EffectOpcode::MAINS_CHANGED => self.resumed = value != 0,
            EffectOpcode::START_PROCESS => self.processing = true,
            EffectOpcode::STOP_PROCESS => self.processing = false,
            EffectOpcode::END_SET_PROGRAM | EffectOpcode::SET_PROGRAM_NAME => self.snapshot_wanted = true,
            _ => {
                let _ = index;
            }
        }
    }

    /// Records a parameter value the DAW set (or the plugin automated): newer than any
    /// chunk, so replayed after it.
    pub fn record_parameter_change(&mut self, index: i32, value: f32) {
        if !(0..=MAX_PARAMETER_INDEX).contains(&index) {
            return;
        }
        self.record_parameter(index, value);
        if let Some(ChangeAfterChunk::Parameter(last, last_value)) = self.after_chunk.last_mut() {
            if *last == index {
                *last_value = value;
                return;
            }
        }
        self.record_after_chunk(ChangeAfterChunk::Parameter(index, value));
    }

    /// Appends to [`StateMirror::after_chunk`] (when there is a chunk to replay after).
    fn record_after_chunk(&mut self, change: ChangeAfterChunk) {
        if self.chunk.is_none() {
            return;
        }
        if self.after_chunk.len() >= MAX_AFTER_CHUNK {
            self.after_chunk.remove(0);
        }
        self.after_chunk.push(change);
    }

    /// Records the plugin's state as a chunk: every earlier parameter change is in it.
    pub fn record_chunk(&mut self, kind: i32, chunk: Vec<u8>) {
        self.chunk = Some((kind, chunk));
        self.after_chunk.clear();
    }

    /// Records a parameter value (read from the plugin or its value table).
    pub fn record_parameter(&mut self, index: i32, value: f32) {
        let Ok(index) = usize::try_from(index) else { return };
        if index >= self.parameters.len() {
            if index > MAX_PARAMETER_INDEX as usize {
                return;
            }
            self.parameters.resize(index + 1, None);
        }
        self.parameters[index] = Some(value);
    }

    /// The last known value of a parameter.
    pub fn parameter(&self, index: i32) -> Option<f32> {
        usize::try_from(index)
            .ok()
            .and_then(|i| self.parameters.get(i).copied().flatten())
    }

    /// Whether the plugin's state is best restored from a chunk.
    pub fn restores_from_chunk(&self, info: &EffectInfo) -> bool {
        info.flags & effect_flags::PROGRAM_CHUNKS != 0 && self.chunk.is_some()
    }
}

/// One remembered answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachedAnswer {
    /// The dispatcher's result.
    pub result: isize,
    /// What it wrote through `ptr` (a string or a struct), if anything.
    pub bytes: Option<Vec<u8>>,
}

/// The last answer to each (opcode, index) query.
#[derive(Debug, Default)]
pub struct AnswerCache {
    answers: HashMap<(i32, i32), CachedAnswer>,
}

impl AnswerCache {
    /// The most entries kept (a plugin with huge parameter counts must not grow it forever).
    const CAPACITY: usize = 65_536;

    /// Remembers an answer.
    pub fn store(&mut self, opcode: EffectOpcode, index: i32, answer: CachedAnswer) {
        if self.answers.len() < Self::CAPACITY || self.answers.contains_key(&(opcode.0, index)) {
            self.answers.insert((opcode.0, index), answer);
        }
    }

    /// The last answer, if any.
    pub fn get(&self, opcode: EffectOpcode, index: i32) -> Option<&CachedAnswer> {
        self.answers.get(&(opcode.0, index))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mirror_follows_forwarded_calls() {
        let mut mirror = StateMirror::default();
        mirror.record_dispatch(EffectOpcode::SET_SAMPLE_RATE, 0, 0, 48_000.0);
        mirror.record_dispatch(EffectOpcode::SET_PROGRAM, 0, 2, 0.0);
        mirror.record_dispatch(EffectOpcode::MAINS_CHANGED, 0, 1, 0.0);
        mirror.record_parameter(3, 0.25);
        assert_eq!(
            (mirror.sample_rate, mirror.program, mirror.resumed),
            (Some(48_000.0), Some(2), true)
        );
        assert!(mirror.snapshot_wanted);
        assert_eq!(
            (mirror.parameter(3), mirror.parameter(0), mirror.parameter(-1)),
            (Some(0.25), None, None)
        );
        mirror.record_dispatch(EffectOpcode::MAINS_CHANGED, 0, 0, 0.0);
        assert!(!mirror.resumed);
    }
}

#[cfg(test)]
mod recorder_tests {
    use bridge_proto::{DispatchCall, DispatchReply};

    use super::*;

    fn dispatch(opcode: EffectOpcode, index: i32, payload: DispatchPayload, pending: Vec<(i32, f32)>) -> Request {
        Request::Dispatch(DispatchCall {
            opcode: opcode.0,
            index,
            value: 0,
            opt: 0.0,
            payload,
            pending: PendingChanges {
                after_block: 0,
                changes: pending,
            },
            snapshot: false,
        })
    }

    #[test]
    fn changes_after_a_chunk_are_kept_for_replay_and_a_newer_chunk_absorbs_them() {
        let mut recorder = Recorder::default();
        let set_chunk = dispatch(
            EffectOpcode::SET_CHUNK,
            0,
            DispatchPayload::Chunk(vec![1, 2, 3]),
            vec![(5, 0.5)],
        );
        // What the DAW asked for is recorded before (or without) any answer.
        assert!(recorder.observe(&set_chunk, None).chunk);
        assert_eq!(recorder.state.chunk, Some((0, vec![1, 2, 3])));
        assert_eq!(recorder.state.after_chunk, vec![], "changes before the chunk are in it");
        recorder.observe(
            &Request::SetParameters(PendingChanges {
                after_block: 0,
                changes: vec![(2, 0.25), (1, 0.75), (2, 0.5)],
            }),
            None,
        );
        assert_eq!(
            recorder.state.after_chunk,
            vec![
                ChangeAfterChunk::Parameter(2, 0.25),
                ChangeAfterChunk::Parameter(1, 0.75),
                ChangeAfterChunk::Parameter(2, 0.5)
            ],
            "in the DAW's order"
        );
        assert_eq!(recorder.state.parameter(2), Some(0.5));

        let get_chunk = dispatch(EffectOpcode::GET_CHUNK, 0, DispatchPayload::None, vec![]);
        let reply = Response::Dispatched(DispatchReply {
            result: 4,
            payload: ReplyPayload::Chunk(vec![9, 9, 9, 9]),
            effect: EffectInfo::default(),
            snapshot: None,
        });
        assert!(recorder.observe(&get_chunk, Some(&reply)).chunk);
        assert_eq!(recorder.state.chunk, Some((0, vec![9, 9, 9, 9])));
        assert!(recorder.state.after_chunk.is_empty());
    }

    #[test]
    fn answers_are_cached_by_opcode_and_index() {
        let mut recorder = Recorder::default();
        let query = dispatch(EffectOpcode::GET_PARAM_DISPLAY, 3, DispatchPayload::None, vec![]);
        let reply = Response::Dispatched(DispatchReply {
            result: 0,
            payload: ReplyPayload::Text(b"-6.0".to_vec()),
            effect: EffectInfo::default(),
            snapshot: None,
        });
        recorder.observe(&query, Some(&reply));
        assert_eq!(
            recorder.answers.get(EffectOpcode::GET_PARAM_DISPLAY, 3),
            Some(&CachedAnswer {
                result: 0,
                bytes: Some(b"-6.0".to_vec())
            })
        );
        assert_eq!(recorder.answers.get(EffectOpcode::GET_PARAM_DISPLAY, 2), None);
    }
}
