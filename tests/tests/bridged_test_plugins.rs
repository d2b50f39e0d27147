//! Our test plugins through the bridge, x86_64 and i686 servers alike, compared with the same
//! plugins loaded directly: audio bit for bit (f32, f64, accumulating), parameter strings
//! byte for byte, programs, chunks of 0 bytes to 64 MiB, events in both directions (4096 in
//! one block, a 1 MiB SysEx), and the transport the plugin reads inside process.

use std::sync::Arc;

use vst2_abi::HostOpcode;
use vst2_host::{ChunkKind, EventList, Plugin};
use vstbridge_test_support::{
    I686_TRIPLE, RecordingHost, SAMPLE_RATE, load_bridged, sine, test_plugin, test_plugin_for_triple,
};

const BLOCK: usize = 512;

fn direct(name: &str) -> Plugin {
    let plugin = Plugin::load(test_plugin(name), Arc::new(RecordingHost::default())).unwrap();
    plugin.start(SAMPLE_RATE, BLOCK as i32);
    plugin
}

/// Renders 8 blocks of a stereo sine through a gain plugin with changing parameters.
fn render_gain_f32(gain: &Plugin) -> Vec<f32> {
    let input = sine(220.0, SAMPLE_RATE, 0.9, BLOCK * 8);
    let mut rendered = Vec::new();
    let (mut left, mut right) = (vec![0.0f32; BLOCK], vec![0.0f32; BLOCK]);
    for block in 0..8 {
        gain.set_parameter(0, 0.1 + block as f32 * 0.1);
        gain.set_parameter(1, 1.0 - block as f32 * 0.12);
        let chunk = &input[block * BLOCK..(block + 1) * BLOCK];
        gain.process_replacing(&[chunk, chunk], &mut [&mut left, &mut right], BLOCK)
            .unwrap();
        rendered.extend_from_slice(&left);
        rendered.extend_from_slice(&right);
    }
    rendered
}

fn render_gain_f64(gain: &Plugin) -> Vec<f64> {
    assert!(gain.set_double_precision(true));
    let input: Vec<f64> = sine(330.0, SAMPLE_RATE, 0.7, BLOCK)
        .iter()
        .map(|&s| f64::from(s) * 1.000_000_1)
        .collect();
    let (mut left, mut right) = (vec![0.0f64; BLOCK], vec![0.0f64; BLOCK]);
    gain.set_parameter(0, 0.3);
    gain.process_double_replacing(&[&input, &input], &mut [&mut left, &mut right], BLOCK)
        .unwrap();
    [left, right].concat()
}

fn render_gain_accumulating(gain: &Plugin) -> Vec<f32> {
    let input = sine(440.0, SAMPLE_RATE, 0.5, BLOCK);
    let (mut left, mut right) = (vec![0.25f32; BLOCK], vec![-0.25f32; BLOCK]);
    gain.process_accumulating(&[&input, &input], &mut [&mut left, &mut right], BLOCK)
        .unwrap();
    [left, right].concat()
}

fn assert_gain_matches(bridged: &Plugin, direct: &Plugin) {
    assert_eq!(render_gain_f32(bridged), render_gain_f32(direct), "f32 output differs");
    assert_eq!(render_gain_f64(bridged), render_gain_f64(direct), "f64 output differs");
    assert!(bridged.set_double_precision(false) && direct.set_double_precision(false));
    assert_eq!(
        render_gain_accumulating(bridged),
        render_gain_accumulating(direct),
        "accumulating output differs"
    );
}

#[test]
fn bridged_x86_64_gain_matches_direct_bit_for_bit() {
    let bridged = load_bridged(&test_plugin("gain"));
    bridged.plugin.start(SAMPLE_RATE, BLOCK as i32);
    assert_gain_matches(&bridged.plugin, &direct("gain"));
}

#[test]
fn bridged_i686_gain_matches_direct_x86_64_bit_for_bit() {
    let bridged = load_bridged(&test_plugin_for_triple(I686_TRIPLE, "gain"));
    bridged.plugin.start(SAMPLE_RATE, BLOCK as i32);
    assert_gain_matches(&bridged.plugin, &direct("gain"));
}

/// The build of the other width: a 64-bit host bridging the 32-bit plugin, and a 32-bit
/// host (the Windows x86 tests under Wine) the 64-bit one.
#[test]
fn bridged_gain_of_the_other_width_matches_direct_bit_for_bit() {
    let other = if cfg!(target_pointer_width = "64") {
        I686_TRIPLE
    } else {
        vstbridge_test_support::X86_64_TRIPLE
    };
    let bridged = load_bridged(&test_plugin_for_triple(other, "gain"));
    bridged.plugin.start(SAMPLE_RATE, BLOCK as i32);
    assert_gain_matches(&bridged.plugin, &direct("gain"));
}

#[test]
fn bridged_fields_mirror_the_real_plugin() {
    for path in [
        test_plugin("gain"),
        test_plugin_for_triple(I686_TRIPLE, "gain"),
        test_plugin("synth"),
    ] {
        let bridged = load_bridged(&path);
        let real = Plugin::load(
            test_plugin(
                path.file_stem()
                    .unwrap()
                    .to_str()
                    .unwrap()
                    .trim_start_matches(std::env::consts::DLL_PREFIX)
                    .trim_start_matches("test_plugin_"),
            ),
            Arc::new(RecordingHost::default()),
        )
        .unwrap();
        let (mirror, real) = (bridged.plugin.info(), real.info());
        assert_eq!(
            (
                mirror.num_params,
                mirror.num_programs,
                mirror.num_inputs,
                mirror.num_outputs,
                mirror.flags,
                mirror.unique_id,
                mirror.version
            ),
            (
                real.num_params,
                real.num_programs,
                real.num_inputs,
                real.num_outputs,
                real.flags,
                real.unique_id,
                real.version
            ),
            "{}",
            path.display()
        );
        assert_eq!(mirror.has_double_replacing, real.has_double_replacing);
    }
}

#[test]
fn parameter_strings_and_programs_match_direct_loading_exactly() {
    for path in [test_plugin("gain"), test_plugin_for_triple(I686_TRIPLE, "gain")] {
        let direct = direct("gain");
        let bridged = load_bridged(&path);
        let gain = &bridged.plugin;
        for value in [0.0, 0.013, 0.25, 0.5, 0.77, 1.0] {
            for index in 0..2 {
                gain.set_parameter(index, value);
                direct.set_parameter(index, value);
                assert_eq!(gain.parameter(index), direct.parameter(index));
                assert_eq!(gain.parameter_name(index), direct.parameter_name(index));
                assert_eq!(gain.parameter_label(index), direct.parameter_label(index));
                assert_eq!(
                    gain.parameter_display(index),
                    direct.parameter_display(index),
                    "{} = {value}",
                    gain.parameter_name(index)
                );
            }
        }
        for program in 0..3 {
            assert_eq!(gain.program_name_indexed(program), direct.program_name_indexed(program));
        }
        assert_eq!(gain.program_name_indexed(9), None);
        gain.set_program(2);
        assert_eq!((gain.program(), gain.program_name()), (2, "Left".to_owned()));
        gain.set_program_name("Renamed through the bridge");
        direct.set_program(2);
        direct.set_program_name("Renamed through the bridge");
        assert_eq!(gain.program_name(), direct.program_name());
        assert_eq!(
            (gain.effect_name(), gain.vendor_string(), gain.product_string()),
            (direct.effect_name(), direct.vendor_string(), direct.product_string())
        );
        assert_eq!(
            (gain.vst_version(), gain.category(), gain.can_do("bypass")),
            (direct.vst_version(), direct.category(), direct.can_do("bypass"))
        );
        assert_eq!(gain.pin_properties(false, 1), direct.pin_properties(false, 1));
        assert_eq!(gain.parameter_properties(0), direct.parameter_properties(0));
        assert!(gain.string_to_parameter(0, "-6.02"));
        assert!((gain.parameter(0) - 0.25).abs() < 1e-3);
        assert!(gain.editor_rect().is_none());
    }
}

#[test]
fn gain_bank_chunk_moves_between_bridged_and_direct_instances() {
    let bridged = load_bridged(&test_plugin_for_triple(I686_TRIPLE, "gain"));
    let gain = &bridged.plugin;
    gain.set_program(1);
    gain.set_parameter(0, 0.125);
    let bank = gain.chunk(ChunkKind::Bank);
    let direct = direct("gain");
    direct.set_chunk(ChunkKind::Bank, &bank);
    assert_eq!((direct.program(), direct.parameter(0)), (1, 0.125));
    direct.set_parameter(1, 0.9);
    gain.set_chunk(ChunkKind::Bank, &direct.chunk(ChunkKind::Bank));
    assert_eq!(gain.parameter(1), 0.9);
}

#[test]
fn chunks_of_0_1_and_64_mebibytes_round_trip() {
    for path in [test_plugin("probe"), test_plugin_for_triple(I686_TRIPLE, "probe")] {
        let bridged = load_bridged(&path);
        let probe = &bridged.plugin;
        let big: Vec<u8> = (0..64usize << 20)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        for data in [Vec::new(), vec![0x5A], big] {
            probe.set_chunk(ChunkKind::Program, &data);
            let back = probe.chunk(ChunkKind::Program);
            assert!(
                back == data,
                "a {}-byte chunk came back as {} bytes",
                data.len(),
                back.len()
            );
        }
    }
}

/// The synth's statistics report (`key=value` fields), read as its chunk.
fn synth_report(synth: &Plugin) -> String {
    String::from_utf8(synth.chunk(ChunkKind::Bank)).expect("the report is text")
}

fn report_field<'a>(report: &'a str, key: &str) -> &'a str {
    report
        .split_whitespace()
        .find_map(|field| field.strip_prefix(key)?.strip_prefix('='))
        .unwrap_or_else(|| panic!("no {key} in {report}"))
}

/// Renders `blocks` blocks of the synth with `events` before the first.
fn render_synth(synth: &Plugin, host: &RecordingHost, events: &mut EventList, blocks: usize) -> Vec<f32> {
    let (mut left, mut right) = (vec![0.0f32; BLOCK], vec![0.0f32; BLOCK]);
    let mut rendered = Vec::new();
    for block in 0..blocks {
        *host.sample_pos.lock().unwrap() = (block * BLOCK) as f64;
        if block == 0 {
            synth.process_events(events);
        }
        synth
            .process_replacing(&[], &mut [&mut left, &mut right], BLOCK)
            .unwrap();
        rendered.extend_from_slice(&left);
        rendered.extend_from_slice(&right);
    }
    rendered
}

fn chord() -> EventList {
    let mut events = EventList::new();
    events.push_midi_bytes(0, [0x90, 60, 100]);
    events.push_midi_bytes(100, [0x90, 64, 90]);
    events.push_midi_bytes(300, [0x90, 67, 80]);
    events.push_midi_bytes(400, [0x80, 60, 0]);
    events
}

#[test]
fn bridged_synth_matches_direct_and_sends_the_same_midi_back() {
    let direct_host = Arc::new(RecordingHost::default());
    let direct = Plugin::load(test_plugin("synth"), direct_host.clone()).unwrap();
    direct.start(SAMPLE_RATE, BLOCK as i32);
    let expected = render_synth(&direct, &direct_host, &mut chord(), 6);
    assert!(vstbridge_test_support::rms(&expected) > 0.01);
    let expected_midi = direct_host.midi_out.lock().unwrap().clone();

    for path in [test_plugin("synth"), test_plugin_for_triple(I686_TRIPLE, "synth")] {
        let bridged = load_bridged(&path);
        bridged.plugin.start(SAMPLE_RATE, BLOCK as i32);
        let rendered = render_synth(&bridged.plugin, &bridged.host, &mut chord(), 6);
        assert!(
            rendered == expected,
            "{}: bridged audio differs from direct",
            path.display()
        );
        assert_eq!(
            *bridged.host.midi_out.lock().unwrap(),
            expected_midi,
            "MIDI sent back during process"
        );
        // The synth asked for the transport inside process, answered from the prefetch:
        // the host saw one GetTime per block on the audio thread.
        assert!(bridged.host.seen(HostOpcode::GET_TIME).len() >= 6);
    }
}

#[test]
fn four_thousand_events_in_one_block_round_trip() {
    for path in [test_plugin("synth"), test_plugin_for_triple(I686_TRIPLE, "synth")] {
        let bridged = load_bridged(&path);
        bridged.plugin.start(SAMPLE_RATE, BLOCK as i32);
        let mut events = EventList::with_capacity(4096);
        for i in 0..4096u32 {
            let note = (i % 100) as u8;
            let status = if i % 2 == 0 { 0x90 } else { 0x80 };
            events.push_midi_bytes((i % BLOCK as u32) as i32, [status, note, 64]);
        }
        render_synth(&bridged.plugin, &bridged.host, &mut events, 1);
        let echoed = bridged.host.midi_out.lock().unwrap().clone();
        assert_eq!(echoed.len(), 4096, "every event reached the plugin and came back");
        assert!(
            echoed
                .iter()
                .enumerate()
                .all(|(i, e)| e.midi_data[1] == ((i % 100) as u8 + 12).min(127))
        );
    }
}

#[test]
fn a_one_mebibyte_sysex_reaches_the_plugin_intact() {
    let mut dump: Vec<u8> = (0..1usize << 20).map(|i| (i * 7 % 127) as u8).collect();
    dump[0] = 0xF0;
    *dump.last_mut().unwrap() = 0xF7;
    let hash = dump.iter().fold(0xcbf2_9ce4_8422_2325_u64, |hash, &b| {
        (hash ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    for path in [test_plugin("synth"), test_plugin_for_triple(I686_TRIPLE, "synth")] {
        let bridged = load_bridged(&path);
        bridged.plugin.start(SAMPLE_RATE, BLOCK as i32);
        let mut events = chord();
        events.push_sysex(5, &dump);
        render_synth(&bridged.plugin, &bridged.host, &mut events, 2);
        let report = synth_report(&bridged.plugin);
        assert_eq!(
            report_field(&report, "sysex_bytes"),
            (1usize << 20).to_string(),
            "{}",
            path.display()
        );
        assert_eq!(report_field(&report, "sysex_hash"), format!("{hash:016x}"));
        assert_eq!(
            report_field(&report, "gettime_null"),
            "0",
            "GetTime inside process was answered"
        );
        assert_eq!(report_field(&report, "last_tempo"), "120");
        assert_eq!(report_field(&report, "last_sample_pos"), BLOCK.to_string());
    }
}
