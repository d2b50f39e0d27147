//! In-process tests of the probe through its real `AEffect` (via the kit harness).

use test_plugin_kit::harness::Harness;
use vst2_abi::{EffectOpcode as E, HostOpcode, VstTimeInfo};

use crate::{CLEAR_INDEX, LOG_INDEX, Probe};

fn read_log(h: &mut Harness) -> Vec<String> {
    let needed = h.vendor(LOG_INDEX, &mut []);
    assert!(needed < 0);
    // Each PrLg call is logged itself, so the next answer is one line longer.
    let mut small = vec![0u8; (-needed) as usize];
    let needed_now = h.vendor(LOG_INDEX, &mut small);
    assert!(needed_now < needed, "too small: {needed_now}");
    assert!(small.iter().all(|&b| b == 0), "too small: writes nothing");
    let mut buffer = vec![0xAAu8; (-needed_now) as usize + 1000];
    let len = h.vendor(LOG_INDEX, &mut buffer);
    assert!(len >= 0);
    assert_eq!(buffer[len as usize], 0);
    String::from_utf8(buffer[..len as usize].to_vec())
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

fn field<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    line.split_whitespace()
        .find_map(|kv| kv.strip_prefix(key)?.strip_prefix('='))
}

#[test]
fn records_calls_and_reentrant_callbacks() {
    Harness::set_time(Some(VstTimeInfo {
        sample_pos: 512.0,
        sample_rate: 44_100.0,
        ..VstTimeInfo::default()
    }));
    let mut h = Harness::new::<Probe>().expect("instance");
    h.dispatch(E::OPEN, 0, 0, 0.0);
    h.dispatch(E::SET_SAMPLE_RATE, 0, 0, 44_100.0);
    h.dispatch(E::MAINS_CHANGED, 0, 1, 0.0);
    h.set_parameter(1, 0.75);
    assert_eq!(h.get_parameter(1), 0.75);
    h.dispatch(E::SET_PROGRAM, 0, 1, 0.0);
    let (l, r) = (vec![0.5f32; 64], vec![-0.5f32; 64]);
    let (mut ol, mut or) = (vec![0.0f32; 64], vec![0.0f32; 64]);
    h.process_f32(&[&l, &r], &mut [&mut ol, &mut or], false);
    assert_eq!((ol, or), (l, r), "pass-through");
    Harness::set_time(None);
    let (mut dl, mut dr) = (vec![0.0f64; 8], vec![0.0f64; 8]);
    assert!(h.process_f64(&[&[1.0; 8], &[2.0; 8]], &mut [&mut dl, &mut dr]));
    let log = read_log(&mut h);
    let thread = format!("{:?}", std::thread::current().id());
    let expected_start = [
        "kind=callback context=entry opcode=1 index=0 value=0 opt=0 ret=2400",
        "kind=callback context=entry opcode=2 index=0 value=0 opt=0 ret=0",
        "kind=callback context=effOpen opcode=0 index=0 value=0 opt=0.5 ret=0",
        "kind=callback context=effOpen opcode=13 index=0 value=0 opt=0 ret=0",
        "kind=call opcode=0 index=0 value=0 opt=0 ret=0",
        "kind=call opcode=10 index=0 value=0 opt=44100 ret=0",
        "kind=callback context=effMainsChanged opcode=7 index=0 value=65024 opt=0 ret=nonnull sample_pos=512 sample_rate=44100",
        "kind=callback context=effMainsChanged opcode=23 index=0 value=0 opt=0 ret=2",
        "kind=call opcode=12 index=0 value=1 opt=0 ret=0",
        "kind=set_parameter index=1 value=0.75",
        "kind=get_parameter index=1 ret=0.75",
        "kind=callback context=effSetProgram opcode=42 index=0 value=0 opt=0 ret=0",
        "kind=call opcode=2 index=0 value=1 opt=0 ret=0",
        "kind=process fn=processReplacing frames=64",
        "kind=callback context=process opcode=7 index=0 value=65024 opt=0 ret=nonnull sample_pos=512 sample_rate=44100",
        "kind=callback context=process opcode=23 index=0 value=0 opt=0 ret=2",
        "kind=process fn=processDoubleReplacing frames=8",
        "kind=callback context=process opcode=7 index=0 value=65024 opt=0 ret=null",
        "kind=callback context=process opcode=23 index=0 value=0 opt=0 ret=2",
    ];
    let lines: Vec<String> = expected_start.iter().map(|l| format!("{l} thread={thread}")).collect();
    assert_eq!(log[..lines.len()], lines[..]);
    // The sizing calls above were logged too.
    assert!(log[lines.len()..].iter().all(|l| field(l, "opcode") == Some("50")));
    // Entry-point callbacks passed a NULL effect; later ones the real AEffect.
    let calls = Harness::take_calls();
    assert!(calls[..2].iter().all(|c| c.effect_null) && calls[2..].iter().all(|c| !c.effect_null));
    assert_eq!(calls[2].opcode, HostOpcode::AUTOMATE);

    assert_eq!(h.vendor(CLEAR_INDEX, &mut []), 1);
    let log = read_log(&mut h);
    // The PrCl call, then the two PrLg calls `read_log` made before the one that answered.
    assert_eq!(log.len(), 3, "{log:?}");
    assert_eq!(field(&log[0], "index"), Some(CLEAR_INDEX.to_string().as_str()));
    assert!(
        log[1..]
            .iter()
            .all(|l| field(l, "index") == Some(LOG_INDEX.to_string().as_str()))
    );
}

#[test]
fn process_with_no_frames_is_still_logged() {
    let mut h = Harness::new::<Probe>().unwrap();
    h.vendor(CLEAR_INDEX, &mut []);
    h.process_f32(&[&[], &[]], &mut [&mut [], &mut []], true);
    let log = read_log(&mut h);
    assert!(log[1].starts_with("kind=process fn=process frames=0 thread="));
}
