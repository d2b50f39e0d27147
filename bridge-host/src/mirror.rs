//! What the proxy remembers about an instance, from the calls it forwards: enough to bring a
//! restarted plugin back to the state the DAW left it in ([`StateMirror`]), and the last
//! answers to queries, so a dead plugin still answers with what it last said
//! ([`AnswerCache`]).

use std::collections::HashMap;

use bridge_proto::EffectInfo;
use vst2_abi::EffectOpcode;
use vst2_abi::effect::effect_flags;

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
    /// Parameters the DAW set after `chunk` was taken, in the order they were last set:
    /// a restart replays them after the chunk, or their change would be lost.
    pub set_after_chunk: Vec<i32>,
}

impl StateMirror {
    /// Records a dispatcher call the plugin accepted. `chunk` and `arrangements` carry the
    /// payload of the calls that have one.
    pub fn record_dispatch(&mut self, opcode: EffectOpcode, index: i32, value: isize, opt: f32) {
        match opcode {
            EffectOpcode::OPEN => self.opened = true,
            EffectOpcode::SET_SAMPLE_RATE => self.sample_rate = Some(opt),
            EffectOpcode::SET_BLOCK_SIZE => self.block_size = Some(value),
            EffectOpcode::SET_PROCESS_PRECISION => self.precision = Some(value),
            EffectOpcode::SET_PROGRAM => {
                self.program = Some(value);
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
    pub fn record_daw_parameter(&mut self, index: i32, value: f32) {
        if !(0..=MAX_PARAMETER_INDEX).contains(&index) {
            return;
        }
        self.record_parameter(index, value);
        self.set_after_chunk.retain(|&set| set != index);
        self.set_after_chunk.push(index);
    }

    /// Records the plugin's state as a chunk: every earlier parameter change is in it.
    pub fn record_chunk(&mut self, kind: i32, chunk: Vec<u8>) {
        self.chunk = Some((kind, chunk));
        self.set_after_chunk.clear();
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
