//! Re-entrant calls through the bridge: every callback the probe makes (inside its entry
//! point, effOpen, effMainsChanged, effSetProgram and process) is answered by the DAW on the
//! thread that made the outer call, and a GUI-like thread hammering string queries while
//! the audio thread processes neither deadlocks nor corrupts anything.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use vst2_abi::HostOpcode;
use vst2_host::ChunkKind;
use vstbridge_test_support::{SAMPLE_RATE, load_bridged, sine, test_plugin, test_plugin_for_triple};

const BLOCK: usize = 256;

fn field<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    line.split_whitespace()
        .find_map(|field| field.strip_prefix(key)?.strip_prefix('='))
}

/// The probe's `callback` records made in `context`, as (opcode, ret) pairs.
fn callbacks_in(log: &str, context: &str) -> Vec<(String, String)> {
    log.lines()
        .filter(|line| field(line, "kind") == Some("callback") && field(line, "context") == Some(context))
        .map(|line| {
            (
                field(line, "opcode").unwrap().to_owned(),
                field(line, "ret").unwrap().to_owned(),
            )
        })
        .collect()
}

fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected
        .iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect()
}

#[test]
fn probe_callbacks_are_answered_on_the_threads_that_made_the_outer_calls() {
    for path in [
        test_plugin("probe"),
        test_plugin_for_triple(vstbridge_test_support::I686_TRIPLE, "probe"),
    ] {
        let bridged = load_bridged(&path);
        let (probe, host) = (&bridged.plugin, &bridged.host);
        let creator = std::thread::current().id();
        probe.open();
        probe.set_sample_rate(SAMPLE_RATE);
        probe.set_block_size(BLOCK as i32);
        probe.set_active(true);
        probe.set_program(1);
        let audio_thread = std::thread::scope(|scope| {
            scope
                .spawn(|| {
                    let input = sine(100.0, SAMPLE_RATE, 0.5, BLOCK);
                    let (mut left, mut right) = (vec![0.0f32; BLOCK], vec![0.0f32; BLOCK]);
                    for _ in 0..3 {
                        probe
                            .process_replacing(&[&input, &input], &mut [&mut left, &mut right], BLOCK)
                            .unwrap();
                    }
                    assert_eq!(left, input, "the probe passes audio through the bridge");
                    std::thread::current().id()
                })
                .join()
                .unwrap()
        });

        let log = String::from_utf8(probe.chunk(ChunkKind::Bank)).unwrap();
        assert_eq!(
            callbacks_in(&log, "entry"),
            pairs(&[("1", "2400"), ("2", "0")]),
            "{log}"
        );
        assert_eq!(callbacks_in(&log, "effOpen"), pairs(&[("0", "0"), ("13", "1")]));
        assert_eq!(
            callbacks_in(&log, "effMainsChanged"),
            pairs(&[("7", "nonnull"), ("23", "2")])
        );
        assert_eq!(callbacks_in(&log, "effSetProgram"), pairs(&[("42", "1")]));
        assert_eq!(
            callbacks_in(&log, "process"),
            pairs(&[("7", "nonnull"), ("23", "2")].repeat(3))
        );
        assert!(
            log.lines()
                .filter(|l| field(l, "context") == Some("process"))
                .all(|l| field(l, "sample_rate").is_none_or(|r| r == "44100"))
        );

        // The DAW heard the entry-point, effOpen, effMainsChanged and effSetProgram callbacks
        // on the thread that created the instance and made those calls...
        for opcode in [
            HostOpcode::VERSION,
            HostOpcode::CURRENT_ID,
            HostOpcode::AUTOMATE,
            HostOpcode::IO_CHANGED,
            HostOpcode::UPDATE_DISPLAY,
        ] {
            let seen = host.seen(opcode);
            assert!(
                !seen.is_empty() && seen.iter().all(|call| call.thread == creator),
                "{opcode}: {seen:?}"
            );
        }
        // ...and the transport for process on the audio thread, once per block, prefetched
        // before the plugin asked (the probe's own GetTime inside process never left the
        // server process). The creator thread asked once, inside effMainsChanged.
        let times = host.seen(HostOpcode::GET_TIME);
        assert_eq!(
            times.iter().filter(|call| call.thread == creator).count(),
            1,
            "{times:?}"
        );
        assert_eq!(
            times.iter().filter(|call| call.thread == audio_thread).count(),
            3,
            "{times:?}"
        );
        let thread_of = |line: &str| field(line, "thread").map(str::to_owned);
        let process_threads: Vec<_> = log
            .lines()
            .filter(|l| field(l, "kind") == Some("process"))
            .filter_map(thread_of)
            .collect();
        let open_thread = log
            .lines()
            .find(|l| field(l, "kind") == Some("call") && field(l, "opcode") == Some("0"))
            .and_then(thread_of);
        assert!(
            process_threads.iter().all(|t| Some(t) != open_thread.as_ref()),
            "process ran on the server's audio thread, not the main one"
        );
    }
}

#[test]
fn string_queries_from_a_gui_thread_during_processing_neither_deadlock_nor_corrupt() {
    let bridged = load_bridged(&test_plugin("gain"));
    let gain = Arc::new(bridged);
    gain.plugin.start(SAMPLE_RATE, BLOCK as i32);
    let stop = Arc::new(AtomicBool::new(false));
    let deadline = Instant::now() + Duration::from_secs(4);
    let gui = {
        let (gain, stop) = (gain.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut queries = 0u32;
            while !stop.load(Ordering::Relaxed) {
                let index = (queries % 2) as i32;
                let name = gain.plugin.parameter_name(index);
                let display = gain.plugin.parameter_display(index);
                assert_eq!(name, ["Gain", "Pan"][index as usize]);
                assert!(!display.is_empty() && display.len() < 16, "display {display:?}");
                assert!(gain.plugin.program_name_indexed(1).as_deref() == Some("Quiet"));
                queries += 1;
            }
            queries
        })
    };
    let input = sine(1000.0, SAMPLE_RATE, 0.5, BLOCK);
    let (mut left, mut right) = (vec![0.0f32; BLOCK], vec![0.0f32; BLOCK]);
    let mut blocks = 0u32;
    while Instant::now() < deadline {
        gain.plugin.set_parameter(0, 0.25);
        gain.plugin
            .process_replacing(&[&input, &input], &mut [&mut left, &mut right], BLOCK)
            .unwrap();
        assert!(
            left.iter().zip(&input).all(|(out, x)| *out == x * 0.5),
            "block {blocks} corrupted"
        );
        blocks += 1;
    }
    stop.store(true, Ordering::Relaxed);
    let queries = gui.join().expect("the GUI thread finished without panicking");
    assert!(
        blocks > 100 && queries > 100,
        "both threads made progress: {blocks} blocks, {queries} queries"
    );
}
