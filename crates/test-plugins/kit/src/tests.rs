//! Unit tests of the kit through its own FFI: a dummy plugin driven by [`Harness`].

use std::cell::Cell;
use std::sync::Mutex;

use vst2_abi::effect::{effect_flags, four_char_code};
use vst2_abi::strings::write_c_string;
use vst2_abi::{EffectOpcode, HostOpcode, VstMidiEvent, VstTimeInfo};

use crate::harness::Harness;
use crate::{AtomicF32, Dispatch, DispatchCall, Event, Host, Plugin, PluginInfo, ProcessFn, default_dispatch};

thread_local! {
    static DROPS: Cell<usize> = const { Cell::new(0) };
}

struct Dummy {
    host: Host,
    param: AtomicF32,
    log: Mutex<Vec<String>>,
}

impl Drop for Dummy {
    fn drop(&mut self) {
        DROPS.with(|d| d.set(d.get() + 1));
    }
}

impl Plugin for Dummy {
    fn info() -> PluginInfo {
        PluginInfo {
            unique_id: four_char_code(b"Dumy"),
            version: 7,
            num_params: 1,
            num_programs: 0,
            inputs: 1,
            outputs: 1,
            flags: effect_flags::CAN_REPLACING | effect_flags::CAN_DOUBLE_REPLACING,
            initial_delay: 3,
            name: "A very long effect name that is longer than 32 bytes",
            vendor: "vendor",
            product: "product",
            category: 1,
        }
    }

    fn new(host: Host) -> Self {
        host.version();
        Self {
            host,
            param: AtomicF32::new(0.25),
            log: Mutex::new(Vec::new()),
        }
    }

    fn dispatch(&self, d: Dispatch<'_>) -> isize {
        match d.call {
            DispatchCall::Open => self.host.io_changed(),
            DispatchCall::GetChunk { program, out } => {
                out.extend_from_slice(if program { b"prog" } else { b"bank!" });
                1
            }
            DispatchCall::ProcessEvents(events) => {
                let mut log = self.log.lock().unwrap();
                for event in events {
                    log.push(match event {
                        Event::Midi(m) => format!("midi {} {:?}", m.delta_frames, &m.midi_data[..3]),
                        Event::Sysex { delta_frames, data } => format!("sysex {delta_frames} {}", data.len()),
                        Event::Other { event_type, .. } => format!("other {event_type}"),
                    });
                }
                1
            }
            DispatchCall::VendorSpecific(mut call) => match call.index {
                1 => panic!("vendor panic"),
                2 => {
                    let text = std::mem::take(&mut *self.log.lock().unwrap()).join("|");
                    call.buffer().map_or(0, |b| write_c_string(b, &text) as isize)
                }
                _ => call.buffer().map_or(0, |b| write_c_string(b, "hello") as isize),
            },
            DispatchCall::CanDo(text) => isize::from(text == "yes"),
            DispatchCall::Raw { ptr } => isize::from(ptr.is_null()) * -5,
            other => default_dispatch(&Self::info(), other),
        }
    }

    fn process_begin(&self, which: ProcessFn, frames: i32) {
        self.log.lock().unwrap().push(format!("{} {frames}", which.name()));
        self.host.get_time(0x0600);
    }

    fn process_f32(&self, inputs: &[&[f32]], outputs: &mut [&mut [f32]]) {
        for (i, o) in inputs[0].iter().zip(outputs[0].iter_mut()) {
            *o = i * 2.0;
        }
    }

    fn process_f64(&self, inputs: &[&[f64]], outputs: &mut [&mut [f64]]) {
        for (i, o) in inputs[0].iter().zip(outputs[0].iter_mut()) {
            *o = i * 3.0;
        }
    }

    fn set_parameter(&self, _index: i32, value: f32) {
        self.param.store(value);
    }

    fn get_parameter(&self, index: i32) -> f32 {
        if index == 9 {
            panic!("get_parameter panic");
        }
        self.param.load()
    }
}

#[test]
fn entry_fills_the_aeffect_and_calls_back_with_null_then_real_effect() {
    let mut h = Harness::new::<Dummy>().expect("instance");
    let e = h.effect();
    assert_eq!(e.magic, vst2_abi::VST_MAGIC);
    assert_eq!(
        (e.num_inputs, e.num_outputs, e.num_params, e.initial_delay, e.version),
        (1, 1, 1, 3, 7)
    );
    assert!(e.process.is_some() && e.process_replacing.is_some() && e.process_double_replacing.is_some());
    assert!(!e.object.is_null());
    h.dispatch(EffectOpcode::OPEN, 0, 0, 0.0);
    let calls = Harness::take_calls();
    assert_eq!(calls[0].opcode, HostOpcode::VERSION);
    assert!(calls[0].effect_null, "entry-point callbacks pass NULL");
    assert_eq!(calls[1].opcode, HostOpcode::IO_CHANGED);
    assert!(!calls[1].effect_null, "later callbacks pass the AEffect");
}

#[test]
fn strings_chunks_vendor_and_can_do() {
    let mut h = Harness::new::<Dummy>().unwrap();
    let (answer, name) = h.get_string(EffectOpcode::GET_EFFECT_NAME, 0);
    assert_eq!((answer, name.len()), (1, 31), "clamped to the nominal 32 bytes");
    assert_eq!(h.dispatch(EffectOpcode::GET_VST_VERSION, 0, 0, 0.0), 2400);
    assert_eq!(h.get_chunk(true), b"prog");
    assert_eq!(h.get_chunk(false), b"bank!");
    let mut buffer = [0xAAu8; 16];
    assert_eq!(h.vendor(0, &mut buffer), 5);
    assert_eq!(&buffer[..6], b"hello\0");
    assert_eq!(h.vendor(0, &mut []), 0, "value 0 gives no buffer");
    assert_eq!(h.vendor(1, &mut buffer), 0, "a panic answers 0");
    assert_eq!(h.put_string(EffectOpcode::CAN_DO, 0, "yes"), 1);
    // A NULL out-string pointer arrives as Raw.
    assert_eq!(h.dispatch(EffectOpcode::GET_PARAM_NAME, 0, 0, 0.0), -5);
    assert_eq!(h.get_parameter(9), 0.0, "a panic answers 0.0");
    h.set_parameter(0, 0.75);
    assert_eq!(h.get_parameter(0), 0.75);
}

#[test]
fn events_are_decoded() {
    let mut h = Harness::new::<Dummy>().unwrap();
    let dump = vec![0xF0u8, 1, 2, 0xF7];
    let answer = h.process_events(&[VstMidiEvent::new(5, [0x90, 60, 100])], &[(7, &dump), (8, &[])]);
    assert_eq!(answer, 1);
    assert_eq!(read_log(&mut h), "midi 5 [144, 60, 100]|sysex 7 4|sysex 8 0");
}

/// The dummy's log, through vendor index 2 (which clears it).
fn read_log(h: &mut Harness) -> String {
    let mut buffer = vec![0u8; 4096];
    let len = h.vendor(2, &mut buffer) as usize;
    String::from_utf8(buffer[..len].to_vec()).unwrap()
}

#[test]
fn process_paths_and_close() {
    DROPS.with(|d| d.set(0));
    Harness::set_time(Some(VstTimeInfo {
        sample_pos: 64.0,
        ..VstTimeInfo::default()
    }));
    {
        let mut h = Harness::new::<Dummy>().unwrap();
        h.dispatch(EffectOpcode::SET_BLOCK_SIZE, 0, 3, 0.0);
        let input = [1.0f32, 2.0, 3.0, 4.0, 5.0];
        let mut output = [10.0f32; 5];
        h.process_f32(&[&input], &mut [&mut output], true);
        assert_eq!(
            output,
            [12.0, 14.0, 16.0, 18.0, 20.0],
            "accumulating, in 3-frame pieces"
        );
        h.process_f32(&[&input], &mut [&mut output], false);
        assert_eq!(output, [2.0, 4.0, 6.0, 8.0, 10.0]);
        let input = [1.0f64, 2.0];
        let mut output = [0.0f64; 2];
        assert!(h.process_f64(&[&input], &mut [&mut output]));
        assert_eq!(output, [3.0, 6.0]);
        let gets = Harness::take_calls()
            .iter()
            .filter(|c| c.opcode == HostOpcode::GET_TIME)
            .count();
        assert_eq!(gets, 3);
        assert_eq!(
            read_log(&mut h),
            "process 5|processReplacing 5|processDoubleReplacing 2"
        );
        assert_eq!(DROPS.with(Cell::get), 0);
    }
    assert_eq!(DROPS.with(Cell::get), 1, "effClose dropped the plugin");
    Harness::set_time(None);
}
