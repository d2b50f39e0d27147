//! Debian's real dpf plugins through the host library, for the architecture this test is
//! built for (`cargo xtask test` runs it on x86_64 with the amd64 builds and on i686 with
//! the i386 builds). They export only the legacy `main` entry point.

use std::sync::Arc;

use vst2_host::{EventList, Plugin};
use vstbridge_test_support::{RecordingHost, SAMPLE_RATE, peak, real_plugin, rms, sine};

const BLOCK: usize = 512;

fn start(file: &str) -> (Plugin, Arc<RecordingHost>) {
    let host = Arc::new(RecordingHost::default());
    let plugin = Plugin::load(real_plugin(file), host.clone()).unwrap_or_else(|e| panic!("{file} loads: {e}"));
    assert_eq!(plugin.entry_point(), "main", "dpf plugins export only main");
    plugin.start(SAMPLE_RATE, BLOCK as i32);
    (plugin, host)
}

#[test]
fn real_kars_renders_a_midi_note_to_audio() {
    let (kars, _host) = start("Kars-vst.so");
    let info = kars.info();
    assert_eq!((info.num_inputs, info.num_outputs), (0, 1), "Kars is a mono synth");
    let mut events = EventList::with_capacity(4);
    let mut output = vec![0.0f32; BLOCK];
    let mut rendered = Vec::new();
    for block in 0..40 {
        events.clear();
        if block == 0 {
            events.push_midi_bytes(0, [0x90, 57, 110]);
        }
        if block == 20 {
            events.push_midi_bytes(0, [0x80, 57, 0]);
        }
        kars.process_events(&mut events);
        kars.process_replacing(&[], &mut [&mut output], BLOCK).unwrap();
        rendered.extend_from_slice(&output);
    }
    let level = rms(&rendered[..20 * BLOCK]);
    assert!(level > 0.005, "Kars should sound after a note-on, rms {level}");
    assert!(rendered.iter().all(|s| s.is_finite()));
}

#[test]
fn real_mafreeverb_leaves_a_reverb_tail_after_the_input_stops() {
    let (reverb, _host) = start("MaFreeverb-vst.so");
    let info = reverb.info();
    assert_eq!((info.num_inputs, info.num_outputs), (1, 1));
    let burst = sine(440.0, SAMPLE_RATE, 0.5, 8 * BLOCK);
    let silence = vec![0.0f32; BLOCK];
    let mut output = vec![0.0f32; BLOCK];
    let mut tail = Vec::new();
    for block in 0..24 {
        let input: &[f32] = if block < 8 {
            &burst[block * BLOCK..(block + 1) * BLOCK]
        } else {
            &silence
        };
        reverb.process_replacing(&[input], &mut [&mut output], BLOCK).unwrap();
        if block >= 10 {
            tail.extend_from_slice(&output);
        }
    }
    // Two blocks after the input fell silent, a reverb still rings.
    assert!(rms(&tail) > 1e-4, "expected a reverb tail, rms {}", rms(&tail));
    assert!(peak(&tail) < 4.0, "tail should be sane, peak {}", peak(&tail));
}

#[test]
fn real_plugin_names_and_parameters_are_readable() {
    let (reverb, _host) = start("MaFreeverb-vst.so");
    assert!(!reverb.effect_name().is_empty() || !reverb.product_string().is_empty());
    let count = reverb.info().num_params;
    assert!(count >= 1);
    for index in 0..count {
        assert!(!reverb.parameter_name(index).is_empty(), "parameter {index} has a name");
        let value = reverb.parameter(index);
        assert!((0.0..=1.0).contains(&value), "parameter {index} = {value}");
    }
}
