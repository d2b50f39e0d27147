//! Our own test plugins through the host library, on the architecture this test is built
//! for (x86_64 and i686 under `cargo xtask test`): parameters and their strings, programs,
//! chunks, events in and out, time info, all three process functions, and every re-entrant
//! callback the probe makes.

use std::sync::Arc;

use vst2_abi::effect::four_char_code;
use vst2_abi::{EffectOpcode, HostOpcode};
use vst2_host::{CanDo, ChunkKind, EventList, Plugin, ProcessError};
use vstbridge_test_support::{RecordingHost, SAMPLE_RATE, sine, test_plugin};

const BLOCK: usize = 256;

fn start(name: &str) -> (Plugin, Arc<RecordingHost>) {
    let host = Arc::new(RecordingHost::default());
    let plugin = Plugin::load(test_plugin(name), host.clone()).unwrap_or_else(|e| panic!("{name} loads: {e}"));
    plugin.start(SAMPLE_RATE, BLOCK as i32);
    (plugin, host)
}

/// Reads the synth's `SyIn` report.
fn synth_report(synth: &Plugin) -> String {
    let mut buffer = vec![0u8; 1024];
    // SAFETY: the vendor opcode writes at most `value` bytes into `ptr`.
    let written = unsafe {
        synth.dispatch(
            EffectOpcode::VENDOR_SPECIFIC,
            four_char_code(b"SyIn"),
            buffer.len() as isize,
            buffer.as_mut_ptr().cast(),
            0.0,
        )
    };
    assert!(written > 0, "SyIn answered {written}");
    vst2_abi::strings::read_c_string(&buffer)
}

fn report_field<'a>(report: &'a str, key: &str) -> &'a str {
    report
        .split_whitespace()
        .find_map(|field| field.strip_prefix(key)?.strip_prefix('='))
        .unwrap_or_else(|| panic!("no {key} in {report}"))
}

#[test]
fn gain_parameter_names_labels_and_displays() {
    let (gain, _) = start("gain");
    assert_eq!(gain.info().num_params, 2);
    assert_eq!(gain.parameter_name(0), "Gain");
    assert_eq!(gain.parameter_label(0), "dB");
    assert_eq!(gain.parameter_display(0), "0.00");
    gain.set_parameter(0, 0.25);
    assert_eq!(gain.parameter(0), 0.25);
    assert_eq!(gain.parameter_display(0), "-6.02");
    assert_eq!(gain.parameter_name(1), "Pan");
    assert!(gain.string_to_parameter(0, "0"));
    assert_eq!(gain.parameter(0), 0.5);
    assert_eq!(gain.parameter(99), 0.0, "out-of-range index reads as 0");
    assert_eq!(
        (gain.effect_name(), gain.vendor_string()),
        ("Gain".to_owned(), "vstbridge".to_owned())
    );
    assert_eq!(gain.vst_version(), 2400);
    assert_eq!(gain.can_do("bypass"), CanDo::Yes);
    assert_ne!(gain.can_do("somethingElse"), CanDo::Yes);
    assert_eq!(
        gain.pin_properties(true, 0)
            .map(|p| vst2_abi::strings::read_c_string(&p.label)),
        Some("Gain In L".into())
    );
    assert!(gain.editor_rect().is_none(), "gain has no editor");
}

#[test]
fn gain_programs_switch_and_rename() {
    let (gain, _) = start("gain");
    assert_eq!(gain.info().num_programs, 3);
    assert_eq!(gain.program_name_indexed(1).as_deref(), Some("Quiet"));
    assert_eq!(gain.program_name_indexed(7), None);
    gain.set_program(1);
    assert_eq!(gain.program(), 1);
    assert_eq!(gain.parameter(0), 0.25);
    gain.set_program_name("Mine");
    assert_eq!(gain.program_name(), "Mine");
}

#[test]
fn gain_chunks_round_trip_and_garbage_is_refused() {
    let (gain, _) = start("gain");
    gain.set_program(2);
    gain.set_parameter(0, 0.125);
    gain.set_program_name("Tweaked");
    let program_chunk = gain.chunk(ChunkKind::Program);
    let bank_chunk = gain.chunk(ChunkKind::Bank);
    assert!(!program_chunk.is_empty() && bank_chunk.len() > program_chunk.len());

    let (other, _) = start("gain");
    other.set_chunk(ChunkKind::Bank, &bank_chunk);
    assert_eq!(other.program(), 2);
    assert_eq!(other.program_name(), "Tweaked");
    assert_eq!(other.parameter(0), 0.125);

    other.set_program(0);
    other.set_chunk(ChunkKind::Program, &program_chunk);
    assert_eq!(
        (other.program_name(), other.parameter(0)),
        ("Tweaked".to_owned(), 0.125)
    );

    let before = other.chunk(ChunkKind::Bank);
    other.set_chunk(ChunkKind::Bank, b"certainly not a chunk");
    other.set_chunk(ChunkKind::Bank, &[]);
    assert_eq!(other.chunk(ChunkKind::Bank), before, "malformed chunks change nothing");
}

#[test]
fn gain_processes_f32_f64_and_accumulating_identically() {
    let (gain, _) = start("gain");
    gain.set_parameter(0, 0.25); // amplitude 0.5, centre pan
    let input = sine(440.0, SAMPLE_RATE, 0.8, BLOCK);
    let mut left = vec![0.0f32; BLOCK];
    let mut right = vec![0.0f32; BLOCK];
    gain.process_replacing(&[&input, &input], &mut [&mut left, &mut right], BLOCK)
        .unwrap();
    let expected: Vec<f32> = input.iter().map(|s| s * 0.5).collect();
    assert_eq!(left, expected);
    assert_eq!(right, expected);

    let mut acc_left = vec![1.0f32; BLOCK];
    let mut acc_right = vec![1.0f32; BLOCK];
    gain.process_accumulating(&[&input, &input], &mut [&mut acc_left, &mut acc_right], BLOCK)
        .unwrap();
    assert!(acc_left.iter().zip(&expected).all(|(got, e)| *got == 1.0 + e));

    assert!(gain.supports_double());
    assert!(gain.set_double_precision(true));
    let input64: Vec<f64> = input.iter().map(|&s| f64::from(s)).collect();
    let mut left64 = vec![0.0f64; BLOCK];
    let mut right64 = vec![0.0f64; BLOCK];
    gain.process_double_replacing(&[&input64, &input64], &mut [&mut left64, &mut right64], BLOCK)
        .unwrap();
    assert!(left64.iter().zip(&input64).all(|(got, s)| *got == s * 0.5));

    let error = gain
        .process_replacing(&[&input], &mut [&mut left, &mut right], BLOCK)
        .unwrap_err();
    assert_eq!(
        error,
        ProcessError::ChannelCount {
            direction: "input",
            needed: 2,
            given: 1
        }
    );
}

#[test]
fn synth_renders_notes_deterministically_and_sends_midi_back() {
    let render = || {
        let (synth, host) = start("synth");
        let mut events = EventList::with_capacity(8);
        let mut left = vec![0.0f32; BLOCK];
        let mut right = vec![0.0f32; BLOCK];
        let mut rendered = Vec::new();
        for block in 0..8 {
            *host.sample_pos.lock().unwrap() = (block * BLOCK) as f64;
            events.clear();
            if block == 0 {
                events.push_midi_bytes(10, [0x90, 60, 100]);
                events.push_midi_bytes(20, [0x90, 67, 90]);
            }
            if block == 5 {
                events.push_midi_bytes(0, [0x80, 60, 0]);
            }
            synth.process_events(&mut events);
            synth
                .process_replacing(&[], &mut [&mut left, &mut right], BLOCK)
                .unwrap();
            rendered.extend_from_slice(&left);
        }
        (rendered, synth, host)
    };
    let (first, synth, host) = render();
    let (second, _, _) = render();
    assert!(vstbridge_test_support::rms(&first) > 0.01, "notes should sound");
    assert_eq!(first, second, "the synth is deterministic");

    let echoed: Vec<[u8; 4]> = host.midi_out.lock().unwrap().iter().map(|e| e.midi_data).collect();
    assert_eq!(echoed, vec![[0x90, 72, 100, 0], [0x90, 79, 90, 0], [0x80, 72, 0, 0]]);
    assert!(!host.seen(HostOpcode::GET_TIME).is_empty());
    let report = synth_report(&synth);
    assert_eq!(report_field(&report, "gettime_null"), "0");
    assert_eq!(report_field(&report, "last_tempo"), "120");
    assert_eq!(report_field(&report, "last_sample_pos"), format!("{}", 7 * BLOCK));
}

#[test]
fn synth_receives_a_one_mebibyte_sysex_intact() {
    let (synth, _) = start("synth");
    let mut dump: Vec<u8> = (0..(1 << 20)).map(|i| (i % 127) as u8).collect();
    dump[0] = 0xF0;
    *dump.last_mut().unwrap() = 0xF7;
    let mut events = EventList::new();
    events.push_sysex(0, &dump);
    synth.process_events(&mut events);
    let hash = dump.iter().fold(0xcbf2_9ce4_8422_2325_u64, |hash, &b| {
        (hash ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    let report = synth_report(&synth);
    assert_eq!(report_field(&report, "sysex_bytes"), (1 << 20).to_string());
    assert_eq!(report_field(&report, "sysex_hash"), format!("{hash:016x}"));
}

/// The probe's log lines of kind `callback` in `context`, as (opcode, ret) pairs.
fn callbacks_in(log: &str, context: &str) -> Vec<(String, String)> {
    log.lines()
        .filter(|line| line.starts_with("kind=callback") && line.contains(&format!("context={context} ")))
        .map(|line| {
            (
                report_field(line, "opcode").to_owned(),
                report_field(line, "ret").to_owned(),
            )
        })
        .collect()
}

#[test]
fn probe_sees_every_reentrant_callback_answered() {
    let host = Arc::new(RecordingHost::default());
    let probe = Plugin::load(test_plugin("probe"), host.clone()).expect("probe loads");
    let main_thread = std::thread::current().id();
    probe.open();
    probe.set_sample_rate(SAMPLE_RATE);
    probe.set_block_size(BLOCK as i32);
    probe.set_active(true);
    probe.set_program(1);
    let probe = Arc::new(probe);
    let audio = {
        let probe = probe.clone();
        std::thread::spawn(move || {
            let input = vec![0.25f32; BLOCK];
            let mut out = [vec![0.0f32; BLOCK], vec![0.0f32; BLOCK]];
            let [left, right] = &mut out;
            probe
                .process_replacing(&[&input, &input], &mut [left, right], BLOCK)
                .unwrap();
            assert_eq!(out[0], input, "the probe passes audio through");
            std::thread::current().id()
        })
    };
    let audio_thread = audio.join().unwrap();

    let log = String::from_utf8(probe.chunk(ChunkKind::Bank)).expect("the log is text");
    assert_eq!(
        callbacks_in(&log, "entry"),
        [("1".into(), "2400".into()), ("2".into(), "0".into())]
    );
    assert_eq!(
        callbacks_in(&log, "effOpen"),
        [("0".into(), "0".into()), ("13".into(), "1".into())]
    );
    assert_eq!(
        callbacks_in(&log, "effMainsChanged"),
        [("7".into(), "nonnull".into()), ("23".into(), "2".into())]
    );
    assert_eq!(callbacks_in(&log, "effSetProgram"), [("42".into(), "1".into())]);
    assert_eq!(
        callbacks_in(&log, "process"),
        [("7".into(), "nonnull".into()), ("23".into(), "2".into())]
    );
    assert!(
        log.contains("sample_rate=44100"),
        "GetTime answered with our transport:\n{log}"
    );

    // The host answered each of them on the thread that made the outer call.
    for (opcode, thread) in [
        (HostOpcode::VERSION, main_thread),
        (HostOpcode::CURRENT_ID, main_thread),
        (HostOpcode::AUTOMATE, main_thread),
        (HostOpcode::IO_CHANGED, main_thread),
        (HostOpcode::UPDATE_DISPLAY, main_thread),
    ] {
        let seen = host.seen(opcode);
        assert!(
            !seen.is_empty() && seen.iter().all(|c| c.thread == thread),
            "{opcode}: {seen:?}"
        );
    }
    let times = host.seen(HostOpcode::GET_TIME);
    assert_eq!(times.len(), 2, "{times:?}");
    assert_eq!((times[0].thread, times[1].thread), (main_thread, audio_thread));
}

/// A plugin that ships a DLL beside itself loads from a folder that is not on the DLL search
/// path: the host library searches the plugin's own folder first, as hosts do. Plain
/// `LoadLibrary` of the same file fails, so the fixture proves what it should.
#[cfg(windows)]
#[test]
fn a_plugin_finds_the_dlls_it_ships_beside_itself() {
    let built = vstbridge_test_support::build_dir().join("c-dependency");
    let folder = std::env::temp_dir().join(format!("vstbridge-dependency-{}", std::process::id()));
    std::fs::create_dir_all(&folder).unwrap();
    for file in ["test_plugin_with_dependency.dll", "vstbridge_test_dependency.dll"] {
        std::fs::copy(built.join(file), folder.join(file))
            .unwrap_or_else(|e| panic!("{file} (built by `cargo xtask test-windows`): {e}"));
    }
    let plugin_path = folder.join("test_plugin_with_dependency.dll");
    // SAFETY: loading our own fixture, which has no initialisers of note.
    let plain = unsafe { libloading::Library::new(&plugin_path) };
    assert!(
        plain.is_err(),
        "the fixture loads without its folder on the search path"
    );

    let plugin = Plugin::load(&plugin_path, Arc::new(RecordingHost::default())).expect("the plugin and its DLL load");
    plugin.start(SAMPLE_RATE, BLOCK as i32);
    let input = sine(440.0, SAMPLE_RATE, 0.5, BLOCK);
    let (mut left, mut right) = (vec![0.0f32; BLOCK], vec![0.0f32; BLOCK]);
    plugin
        .process_replacing(&[&input, &input], &mut [&mut left, &mut right], BLOCK)
        .unwrap();
    let expected: Vec<f32> = input.iter().map(|s| s * 0.5).collect();
    assert_eq!(left, expected, "the gain comes from the DLL beside the plugin");
    drop(plugin);
    let _ = std::fs::remove_dir_all(&folder);
}
