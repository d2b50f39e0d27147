//! A recording [`Host`] for tests: it answers like a simple DAW and
//! remembers every callback (opcode, thread) so tests can assert on re-entrancy.

use std::sync::Mutex;
use std::thread::ThreadId;

use vst2_abi::constants::process_level;
use vst2_abi::time_info::flags;
use vst2_abi::{HostOpcode, VstMidiEvent, VstTimeInfo};
use vst2_host::{Event, EventsView, Host, RawHostCall};

/// One callback as the host saw it.
#[derive(Debug, Clone, PartialEq)]
pub struct SeenCallback {
    /// The opcode.
    pub opcode: HostOpcode,
    /// `index`.
    pub index: i32,
    /// `opt`.
    pub opt: f32,
    /// The thread that made it.
    pub thread: ThreadId,
}

/// A host that records callbacks and serves a fixed transport.
#[derive(Debug, Default)]
pub struct RecordingHost {
    /// Every callback seen.
    pub calls: Mutex<Vec<SeenCallback>>,
    /// MIDI the plugin sent.
    pub midi_out: Mutex<Vec<VstMidiEvent>>,
    /// SysEx the plugin sent.
    pub sysex_out: Mutex<Vec<Vec<u8>>>,
    /// The transport position served by `audioMasterGetTime`.
    pub sample_pos: Mutex<f64>,
}

/// The sample rate this host runs at.
pub const SAMPLE_RATE: f32 = 44_100.0;
/// The tempo this host's transport reports.
pub const TEMPO: f64 = 120.0;

impl RecordingHost {
    fn record(&self, opcode: HostOpcode, index: i32, opt: f32) {
        self.calls.lock().unwrap().push(SeenCallback {
            opcode,
            index,
            opt,
            thread: std::thread::current().id(),
        });
    }

    /// The callbacks seen with `opcode`.
    pub fn seen(&self, opcode: HostOpcode) -> Vec<SeenCallback> {
        self.calls
            .lock()
            .unwrap()
            .iter()
            .filter(|c| c.opcode == opcode)
            .cloned()
            .collect()
    }
}

impl Host for RecordingHost {
    fn version(&self) -> i32 {
        self.record(HostOpcode::VERSION, 0, 0.0);
        2400
    }
    fn current_id(&self) -> i32 {
        self.record(HostOpcode::CURRENT_ID, 0, 0.0);
        0
    }
    fn automate(&self, index: i32, value: f32) {
        self.record(HostOpcode::AUTOMATE, index, value);
    }
    fn io_changed(&self) -> bool {
        self.record(HostOpcode::IO_CHANGED, 0, 0.0);
        true
    }
    fn update_display(&self) -> bool {
        self.record(HostOpcode::UPDATE_DISPLAY, 0, 0.0);
        true
    }
    fn time_info(&self, mask: i32) -> Option<VstTimeInfo> {
        self.record(HostOpcode::GET_TIME, mask, 0.0);
        let sample_pos = *self.sample_pos.lock().unwrap();
        Some(VstTimeInfo {
            sample_pos,
            sample_rate: f64::from(SAMPLE_RATE),
            ppq_pos: sample_pos / f64::from(SAMPLE_RATE) * TEMPO / 60.0,
            tempo: TEMPO,
            time_sig_numerator: 4,
            time_sig_denominator: 4,
            flags: flags::TRANSPORT_PLAYING | flags::PPQ_POS_VALID | flags::TEMPO_VALID | flags::TIME_SIG_VALID,
            ..VstTimeInfo::default()
        })
    }
    fn process_events(&self, events: &EventsView<'_>) -> bool {
        self.record(HostOpcode::PROCESS_EVENTS, events.len() as i32, 0.0);
        for event in events.iter() {
            match event {
                Event::Midi(midi) => self.midi_out.lock().unwrap().push(midi),
                Event::Sysex { data, .. } => self.sysex_out.lock().unwrap().push(data.to_vec()),
                Event::Other { .. } => {}
            }
        }
        true
    }
    fn process_level(&self) -> isize {
        self.record(HostOpcode::GET_CURRENT_PROCESS_LEVEL, 0, 0.0);
        process_level::REALTIME
    }
    fn sample_rate(&self) -> f32 {
        SAMPLE_RATE
    }
    fn can_do(&self, _feature: &str) -> isize {
        self.record(HostOpcode::CAN_DO, 0, 0.0);
        0
    }
    fn other(&self, call: RawHostCall) -> isize {
        self.record(call.opcode, call.index, call.opt);
        0
    }
}

/// A host that lets a plugin's editor resize (`audioMasterSizeWindow` answers yes) and
/// remembers every size asked for; everything else as [`vst2_host::DefaultHost`].
#[derive(Debug, Default)]
pub struct SizingHost {
    /// The sizes asked for, in order.
    pub sizes: Mutex<Vec<(i32, i32)>>,
}

impl Host for SizingHost {
    fn size_window(&self, width: i32, height: i32) -> bool {
        self.sizes
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push((width, height));
        true
    }
}

/// Loads `plugin` answering with a [`SizingHost`] and opens it; checks that its editor
/// reports `width` × `height` before it opens (hosts size their window by it). `what` names
/// the case in failures.
pub fn load_with_editor(
    plugin: &std::path::Path,
    (width, height): (i16, i16),
    what: &str,
) -> (vst2_host::Plugin, std::sync::Arc<SizingHost>) {
    let sizes = std::sync::Arc::new(SizingHost::default());
    let loaded = vst2_host::Plugin::load(plugin, sizes.clone()).unwrap_or_else(|e| panic!("{what}: {e}"));
    loaded.open();
    let rect = loaded
        .editor_rect()
        .unwrap_or_else(|| panic!("{what}: no editor rect before it opens"));
    assert_eq!(
        (rect.right - rect.left, rect.bottom - rect.top),
        (width, height),
        "{what}: editor rect"
    );
    (loaded, sizes)
}
