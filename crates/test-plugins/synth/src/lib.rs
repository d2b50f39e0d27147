//! `test-plugin-synth` ('VbSy'): a deterministic 16-voice instrument that also exercises
//! MIDI in/out, SysEx input and time info.
//!
//! - 0 in / 2 out; flags CanReplacing | IsSynth; category Synth; effect name "Synth",
//!   vendor "vstbridge", product "vstbridge test synth", version 1; one program "Default".
//! - Parameter 0 "Volume" (label "%", display integer percent), default 0.8.
//! - effProcessEvents (returns 1): MIDI note-on/note-off (any channel; a note-on with
//!   velocity 0 counts as note-off) go into a fixed queue of 8192 events that the next
//!   process call consumes; excess events are dropped and counted. SysEx dumps of any size
//!   add to a byte count and a running FNV-1a 64 hash over all SysEx bytes received.
//! - Process (see [`engine`]): both outputs carry the same signal, sample-accurate at each
//!   event's deltaFrames. Once per block it calls `audioMasterGetTime(0x0600)` and records
//!   samplePos/tempo (or counts a NULL answer), and then, if any note events arrived for the
//!   block, sends them back with `audioMasterProcessEvents`, each transposed +12 semitones
//!   (clamped to 127) with the same status, velocity and deltaFrames, in arrival order.
//! - effVendorSpecific, index `four_char_code(b"SyIn")`, ptr = buffer, value = capacity:
//!   writes `sysex_bytes=N sysex_hash=HEX16 events=N dropped=N gettime_calls=N
//!   gettime_null=N last_sample_pos=F last_tempo=F` plus a NUL and returns the text length
//!   (without the NUL); 0 if the buffer is NULL or too small. `events` counts queued note
//!   events, `dropped` the ones lost to a full queue; F uses Rust's `{}` float format.
//! - effGetChunk (bank or program) returns the same report text (no NUL): chunks cross a
//!   bridge, a host buffer behind a vendor opcode's pointer does not.
//! - effCanDo → 1 for receiveVstEvents, receiveVstMidiEvent, receiveVstSysexEvent,
//!   sendVstEvents, sendVstMidiEvent, receiveVstTimeInfo; 0 otherwise.
//!   effGetNumMidiInput/OutputChannels → 16.

pub mod engine;

use std::sync::{Mutex, MutexGuard, PoisonError};

use test_plugin_kit::{
    AtomicF32, Dispatch, DispatchCall, Event, Host, Plugin, PluginInfo, default_dispatch, export_plugin,
};
use vst2_abi::constants::{can_do, category};
use vst2_abi::effect::{effect_flags, four_char_code};
use vst2_abi::strings::write_c_string;
use vst2_abi::time_info::flags as time_flags;
use vst2_abi::{EffectOpcode, VstMidiEvent};

use crate::engine::{Engine, NoteEvent};

/// The plugin's static description.
pub const INFO: PluginInfo = PluginInfo {
    unique_id: four_char_code(b"VbSy"),
    version: 1,
    num_params: 1,
    num_programs: 1,
    inputs: 0,
    outputs: 2,
    flags: effect_flags::CAN_REPLACING | effect_flags::IS_SYNTH,
    initial_delay: 0,
    name: "Synth",
    vendor: "vstbridge",
    product: "vstbridge test synth",
    category: category::SYNTH,
};

/// effVendorSpecific index of the statistics report.
pub const REPORT_INDEX: i32 = four_char_code(b"SyIn");
/// Capacity of the note queue.
pub const QUEUE_CAPACITY: usize = 8192;
/// The GetTime mask the synth asks for (PpqPos | Tempo).
pub const TIME_MASK: i32 = time_flags::PPQ_POS_VALID | time_flags::TEMPO_VALID;
const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;
const CAN_DO: [&str; 6] = [
    can_do::RECEIVE_VST_EVENTS,
    can_do::RECEIVE_VST_MIDI_EVENT,
    can_do::RECEIVE_VST_SYSEX_EVENT,
    can_do::SEND_VST_EVENTS,
    can_do::SEND_VST_MIDI_EVENT,
    can_do::RECEIVE_VST_TIME_INFO,
];

/// Continues an FNV-1a 64 hash over `bytes`.
pub fn fnv1a(mut hash: u64, bytes: &[u8]) -> u64 {
    for &byte in bytes {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(FNV_PRIME);
    }
    hash
}

/// Counters reported through `SyIn`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stats {
    /// SysEx bytes received.
    pub sysex_bytes: u64,
    /// FNV-1a 64 over every SysEx byte received.
    pub sysex_hash: u64,
    /// Note events queued.
    pub events: u64,
    /// Note events dropped because the queue was full.
    pub dropped: u64,
    /// audioMasterGetTime calls made.
    pub gettime_calls: u64,
    /// Calls answered with NULL.
    pub gettime_null: u64,
    /// samplePos of the last non-NULL answer.
    pub last_sample_pos: f64,
    /// tempo of the last non-NULL answer.
    pub last_tempo: f64,
}

impl Default for Stats {
    fn default() -> Self {
        Self {
            sysex_bytes: 0,
            sysex_hash: FNV_OFFSET,
            events: 0,
            dropped: 0,
            gettime_calls: 0,
            gettime_null: 0,
            last_sample_pos: 0.0,
            last_tempo: 0.0,
        }
    }
}

impl Stats {
    /// The `SyIn` report text (without the NUL).
    pub fn report(&self) -> String {
        format!(
            "sysex_bytes={} sysex_hash={:016x} events={} dropped={} gettime_calls={} gettime_null={} \
             last_sample_pos={} last_tempo={}",
            self.sysex_bytes,
            self.sysex_hash,
            self.events,
            self.dropped,
            self.gettime_calls,
            self.gettime_null,
            self.last_sample_pos,
            self.last_tempo
        )
    }
}

struct State {
    queue: Vec<NoteEvent>,
    engine: Engine,
    stats: Stats,
}

/// The synth plugin.
pub struct Synth {
    host: Host,
    state: Mutex<State>,
    /// Transposed copies of the block's events, sent while `state` is unlocked (the host
    /// may re-enter the dispatcher from its callback).
    echo: Mutex<Vec<VstMidiEvent>>,
    volume: AtomicF32,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Synth {
    fn receive(&self, events: test_plugin_kit::Events<'_>) {
        let mut state = lock(&self.state);
        let State { queue, stats, .. } = &mut *state;
        for event in events {
            match event {
                Event::Midi(midi) => {
                    let [status, note, velocity, _] = midi.midi_data;
                    if matches!(status & 0xF0, 0x80 | 0x90) {
                        if queue.len() < QUEUE_CAPACITY {
                            queue.push(NoteEvent {
                                delta_frames: midi.delta_frames,
                                status,
                                note,
                                velocity,
                            });
                            stats.events += 1;
                        } else {
                            stats.dropped += 1;
                        }
                    }
                }
                Event::Sysex { data, .. } => {
                    stats.sysex_bytes += data.len() as u64;
                    stats.sysex_hash = fnv1a(stats.sysex_hash, data);
                }
                Event::Other { .. } => {}
            }
        }
    }

    fn report(&self, buffer: Option<&mut [u8]>) -> isize {
        let text = lock(&self.state).stats.report();
        match buffer {
            Some(buffer) if buffer.len() > text.len() => write_c_string(buffer, &text) as isize,
            _ => 0,
        }
    }
}

impl Plugin for Synth {
    fn info() -> PluginInfo {
        INFO
    }

    fn new(host: Host) -> Self {
        Self {
            host,
            state: Mutex::new(State {
                queue: Vec::with_capacity(QUEUE_CAPACITY),
                engine: Engine::new(44_100.0),
                stats: Stats::default(),
            }),
            echo: Mutex::new(Vec::with_capacity(QUEUE_CAPACITY)),
            volume: AtomicF32::new(0.8),
        }
    }

    fn dispatch(&self, d: Dispatch<'_>) -> isize {
        match d.call {
            DispatchCall::ProcessEvents(events) => {
                self.receive(events);
                1
            }
            DispatchCall::SetSampleRate(rate) => {
                lock(&self.state).engine.set_sample_rate(f64::from(rate));
                0
            }
            DispatchCall::VendorSpecific(mut call) if call.index == REPORT_INDEX => self.report(call.buffer()),
            DispatchCall::GetChunk { out, .. } => {
                out.extend_from_slice(lock(&self.state).stats.report().as_bytes());
                1
            }
            DispatchCall::CanDo(feature) => isize::from(CAN_DO.contains(&feature)),
            DispatchCall::GetParamName(0, out) => {
                write_c_string(out, "Volume");
                0
            }
            DispatchCall::GetParamLabel(0, out) => {
                write_c_string(out, "%");
                0
            }
            DispatchCall::GetParamDisplay(0, out) => {
                write_c_string(out, &format!("{:.0}", f64::from(self.volume.load()) * 100.0));
                0
            }
            DispatchCall::CanBeAutomated(index) => isize::from(index == 0),
            DispatchCall::GetProgramName(out) => {
                write_c_string(out, "Default");
                0
            }
            DispatchCall::GetProgramNameIndexed(0, out) => {
                write_c_string(out, "Default");
                1
            }
            DispatchCall::Raw { .. }
                if matches!(
                    d.opcode,
                    EffectOpcode::GET_NUM_MIDI_INPUT_CHANNELS | EffectOpcode::GET_NUM_MIDI_OUTPUT_CHANNELS
                ) =>
            {
                16
            }
            other => default_dispatch(&INFO, other),
        }
    }

    fn process_f32(&self, _inputs: &[&[f32]], outputs: &mut [&mut [f32]]) {
        let time = self.host.get_time(TIME_MASK);
        let mut echo = lock(&self.echo);
        echo.clear();
        {
            let mut state = lock(&self.state);
            let State { queue, engine, stats } = &mut *state;
            stats.gettime_calls += 1;
            match time {
                Some(time) => {
                    stats.last_sample_pos = time.sample_pos;
                    stats.last_tempo = time.tempo;
                }
                None => stats.gettime_null += 1,
            }
            echo.extend(queue.iter().map(|e| {
                VstMidiEvent::new(
                    e.delta_frames,
                    [e.status, e.note.saturating_add(12).min(127), e.velocity],
                )
            }));
            let (first, rest) = outputs.split_at_mut(1);
            let Some(left) = first.first_mut() else {
                queue.clear();
                return;
            };
            engine.render_block(queue, left, f64::from(self.volume.load()));
            queue.clear();
            for channel in rest {
                channel.copy_from_slice(left);
            }
        }
        if !echo.is_empty() {
            self.host.send_midi(&echo);
        }
    }

    fn set_parameter(&self, index: i32, value: f32) {
        if index == 0 && !value.is_nan() {
            self.volume.store(value.clamp(0.0, 1.0));
        }
    }

    fn get_parameter(&self, index: i32) -> f32 {
        if index == 0 { self.volume.load() } else { 0.0 }
    }
}

export_plugin!(Synth);

#[cfg(test)]
mod tests;
