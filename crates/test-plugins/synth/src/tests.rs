//! In-process tests of the synth through its real `AEffect` (via the kit harness).

use test_plugin_kit::harness::Harness;
use vst2_abi::{EffectOpcode as E, HostOpcode, VstMidiEvent, VstTimeInfo};

use crate::{FNV_OFFSET, REPORT_INDEX, Synth, fnv1a};

fn synth() -> Harness {
    let mut h = Harness::new::<Synth>().expect("instance");
    h.dispatch(E::SET_SAMPLE_RATE, 0, 0, 48_000.0);
    h.dispatch(E::SET_BLOCK_SIZE, 0, 256, 0.0);
    h
}

fn report(h: &mut Harness) -> String {
    let mut buffer = vec![0u8; 512];
    let len = h.vendor(REPORT_INDEX, &mut buffer);
    assert!(len > 0);
    assert_eq!(buffer[len as usize], 0, "NUL-terminated");
    String::from_utf8(buffer[..len as usize].to_vec()).unwrap()
}

fn block(h: &mut Harness, frames: usize) -> (Vec<f32>, Vec<f32>) {
    let (mut l, mut r) = (vec![0.0f32; frames], vec![0.0f32; frames]);
    h.process_f32(&[], &mut [&mut l, &mut r], false);
    (l, r)
}

#[test]
fn identity_and_can_do() {
    let mut h = synth();
    assert_eq!(h.effect().flags, 0x110);
    assert!(h.effect().process_double_replacing.is_none());
    assert_eq!(h.dispatch(E::GET_PLUG_CATEGORY, 0, 0, 0.0), 2);
    for feature in [
        "receiveVstEvents",
        "receiveVstMidiEvent",
        "receiveVstSysexEvent",
        "sendVstEvents",
        "sendVstMidiEvent",
        "receiveVstTimeInfo",
    ] {
        assert_eq!(h.put_string(E::CAN_DO, 0, feature), 1, "{feature}");
    }
    assert_eq!(h.put_string(E::CAN_DO, 0, "bypass"), 0);
    assert_eq!(h.get_string(E::GET_PARAM_NAME, 0).1, "Volume");
    assert_eq!(h.get_parameter(0), 0.8);
    assert_eq!(h.get_string(E::GET_PARAM_DISPLAY, 0).1, "80");
}

#[test]
fn notes_echo_time_and_sysex() {
    let mut h = synth();
    Harness::set_time(Some(VstTimeInfo {
        sample_pos: 512.0,
        sample_rate: 48_000.0,
        tempo: 120.0,
        ..VstTimeInfo::default()
    }));
    let big: Vec<u8> = (0..1 << 20).map(|i| (i * 7 % 251) as u8).collect();
    let small = [0xF0u8, 0x7E, 0x7F, 0xF7];
    let notes = [
        VstMidiEvent::new(3, [0x90, 60, 100]),
        VstMidiEvent::new(10, [0x91, 120, 90]),
        VstMidiEvent::new(40, [0xB0, 7, 1]),
    ];
    assert_eq!(h.process_events(&notes, &[(0, &small), (5, &big)]), 1);
    Harness::take_calls();
    let (l, r) = block(&mut h, 64);
    assert_eq!(l, r);
    assert!(l[..3].iter().all(|&s| s == 0.0) && l[3..].iter().any(|&s| s != 0.0));
    let calls = Harness::take_calls();
    assert_eq!(
        calls
            .iter()
            .filter(|c| c.opcode == HostOpcode::GET_TIME && c.value == 0x600)
            .count(),
        1
    );
    let sent: Vec<_> = calls
        .iter()
        .filter(|c| c.opcode == HostOpcode::PROCESS_EVENTS)
        .collect();
    assert_eq!(sent.len(), 1);
    assert_eq!(
        sent[0].midi,
        [
            VstMidiEvent::new(3, [0x90, 72, 100]),
            VstMidiEvent::new(10, [0x91, 127, 90])
        ]
    );
    let hash = fnv1a(fnv1a(FNV_OFFSET, &small), &big);
    assert_eq!(
        report(&mut h),
        format!(
            "sysex_bytes={} sysex_hash={hash:016x} events=2 dropped=0 gettime_calls=1 gettime_null=0 \
             last_sample_pos=512 last_tempo=120",
            (1 << 20) + 4
        )
    );
    Harness::set_time(None);
    block(&mut h, 64);
    assert!(
        Harness::take_calls()
            .iter()
            .all(|c| c.opcode != HostOpcode::PROCESS_EVENTS),
        "no events, no send"
    );
    assert!(report(&mut h).contains("gettime_calls=2 gettime_null=1"));
    let mut tiny = [0u8; 8];
    assert_eq!(h.vendor(REPORT_INDEX, &mut tiny), 0, "buffer too small");
}

#[test]
fn the_queue_is_bounded() {
    let mut h = synth();
    let notes: Vec<_> = (0..9000)
        .map(|i| VstMidiEvent::new(0, [0x90, (i % 128) as u8, 1]))
        .collect();
    h.process_events(&notes, &[]);
    assert!(report(&mut h).contains("events=8192 dropped=808"));
    block(&mut h, 16);
    let sent: usize = Harness::take_calls().iter().map(|c| c.midi.len()).sum();
    assert_eq!(sent, 8192);
}

#[test]
fn output_is_deterministic_across_instances() {
    let run = || {
        let mut h = synth();
        let mut out = Vec::new();
        for i in 0..4u8 {
            h.process_events(&[VstMidiEvent::new(i32::from(i) * 7, [0x90, 48 + i * 5, 100])], &[]);
            out.extend(block(&mut h, 100).0);
        }
        h.process_events(&[VstMidiEvent::new(0, [0x80, 48, 0])], &[]);
        out.extend(block(&mut h, 100).0);
        out
    };
    let first = run();
    assert_eq!(first, run());
    assert!(first.iter().all(|s| s.abs() <= 1.0));
}
