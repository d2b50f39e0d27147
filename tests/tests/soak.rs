//! The kill loop: a bridged gain plugin processes 64-frame blocks on an audio thread while a
//! GUI-like thread queries strings, and the server is killed (SIGKILL) or frozen (SIGSTOP) at
//! random moments, again and again. The host must never die, no call may block past its
//! deadline, every output block must be either the plugin's exact output or silence, and the
//! plugin must come back every time.
//!
//! `VSTBRIDGE_SOAK_COUNT` sets the number of faults (default 200, what CI runs);
//! `cargo xtask soak --count N` runs it longer and prints the report.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use vst2_abi::EffectOpcode;
use vst2_host::{ChunkKind, Plugin};
use vstbridge_test_support::proxy_status::{health, restarts, server_pid, wait_until};
use vstbridge_test_support::{SAMPLE_RATE, load_bridged_with_options, sine, test_plugin};

const BLOCK: usize = 64;
const OPTIONS: &str = "block_deadline_floor_ms = 50\nhang_timeout_ms = 300\ncall_timeout_ms = 1000\nslow_call_timeout_ms = 3000\nmax_restarts_per_minute = 100000\nsnapshot_interval_s = 1\n";
/// The longest a block may take: its deadline plus scheduling slack on a loaded VM.
const BLOCK_LIMIT: Duration = Duration::from_millis(50 + 200);
/// How much later than its budget a call may return on a loaded two-core machine.
const SCHEDULING_SLACK: Duration = Duration::from_millis(300);
/// The longest a string query may take: the call timeout plus slack.
const QUERY_LIMIT: Duration = Duration::from_millis(1000 + 300);

/// A small deterministic random source (xorshift), seeded from the clock.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[test]
fn kills_and_freezes_during_traffic_never_stall_or_corrupt_the_host() {
    let count: usize = std::env::var("VSTBRIDGE_SOAK_COUNT")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let bridged = Arc::new(load_bridged_with_options(&test_plugin("gain"), OPTIONS));
    bridged.plugin.start(SAMPLE_RATE, BLOCK as i32);
    bridged.plugin.set_parameter(0, 0.25); // amplitude 0.5
    let stop = Arc::new(AtomicBool::new(false));
    let max_block_ns = Arc::new(AtomicU64::new(0));
    let max_query_ns = Arc::new(AtomicU64::new(0));
    let mismatches = Arc::new(AtomicU64::new(0));
    let blocks = Arc::new(AtomicU64::new(0));

    let audio = {
        let (bridged, stop, max_block_ns, mismatches, blocks) = (
            bridged.clone(),
            stop.clone(),
            max_block_ns.clone(),
            mismatches.clone(),
            blocks.clone(),
        );
        std::thread::spawn(move || {
            let input = sine(500.0, SAMPLE_RATE, 0.8, BLOCK);
            let expected: Vec<f32> = input.iter().map(|s| s * 0.5).collect();
            let (mut left, mut right) = (vec![0.0f32; BLOCK], vec![0.0f32; BLOCK]);
            while !stop.load(Ordering::Relaxed) {
                left.fill(9.0);
                let started = Instant::now();
                bridged
                    .plugin
                    .process_replacing(&[&input, &input], &mut [&mut left, &mut right], BLOCK)
                    .unwrap();
                max_block_ns.fetch_max(started.elapsed().as_nanos() as u64, Ordering::Relaxed);
                if left != expected && left.iter().any(|&s| s != 0.0) {
                    mismatches.fetch_add(1, Ordering::Relaxed);
                }
                blocks.fetch_add(1, Ordering::Relaxed);
                std::thread::sleep(Duration::from_micros(500));
            }
        })
    };
    // A GUI-like thread makes every kind of call in turn; the worst time of each kind is
    // held against that kind's budget (the slow kinds have `slow_call_timeout_ms`).
    let kinds: [(&str, Duration); 5] = [
        ("parameter text", Duration::from_millis(1000)),
        ("program name", Duration::from_millis(1000)),
        ("get chunk", Duration::from_millis(3000)),
        ("set chunk", Duration::from_millis(3000)),
        ("editor idle", Duration::from_millis(1000)),
    ];
    let worst_ns: Arc<Vec<AtomicU64>> = Arc::new(kinds.iter().map(|_| AtomicU64::new(0)).collect());
    let gui = {
        let (bridged, stop, max_query_ns, worst_ns) =
            (bridged.clone(), stop.clone(), max_query_ns.clone(), worst_ns.clone());
        std::thread::spawn(move || {
            let mut kind = 0;
            let mut chunk = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                let started = Instant::now();
                match kind {
                    0 => {
                        let name = bridged.plugin.parameter_name(0);
                        assert!(name == "Gain" || name.is_empty(), "a query returned {name:?}");
                    }
                    1 => {
                        let _ = bridged.plugin.program_name();
                    }
                    2 => chunk = bridged.plugin.chunk(ChunkKind::Bank),
                    3 => {
                        if !chunk.is_empty() {
                            bridged.plugin.set_chunk(ChunkKind::Bank, &chunk);
                        }
                    }
                    _ => {
                        // What a DAW sends its plugins' editors many times a second.
                        bridged.plugin.dispatch_int(EffectOpcode::EDIT_IDLE, 0, 0, 0.0);
                    }
                }
                let took = started.elapsed().as_nanos() as u64;
                worst_ns[kind].fetch_max(took, Ordering::Relaxed);
                if kind == 0 {
                    max_query_ns.fetch_max(took, Ordering::Relaxed);
                }
                kind = (kind + 1) % kinds.len();
                std::thread::sleep(Duration::from_millis(2));
            }
        })
    };

    let plugin: &Plugin = &bridged.plugin;
    let mut random = Random(Instant::now().elapsed().as_nanos() as u64 | 0x9E37_79B9_7F4A_7C15);
    let (mut kills, mut freezes) = (0, 0);
    let started = Instant::now();
    for round in 0..count {
        assert!(
            wait_until(Duration::from_secs(20), || health(plugin) == 0
                && restarts(plugin) >= round as isize),
            "round {round}: the plugin did not come back (restarts {}, health {})",
            restarts(plugin),
            health(plugin)
        );
        std::thread::sleep(Duration::from_millis(random.next() % 40));
        let pid = server_pid(plugin);
        let signal = if random.next() % 3 == 0 {
            freezes += 1;
            libc::SIGSTOP
        } else {
            kills += 1;
            libc::SIGKILL
        };
        // SAFETY: signalling the server process this test's proxy started.
        unsafe { libc::kill(pid, signal) };
    }
    assert!(wait_until(Duration::from_secs(20), || health(plugin) == 0
        && restarts(plugin) >= count as isize));
    stop.store(true, Ordering::Relaxed);
    audio.join().expect("the audio thread survived");
    gui.join().expect("the GUI thread survived");

    let max_block = Duration::from_nanos(max_block_ns.load(Ordering::Relaxed));
    let max_query = Duration::from_nanos(max_query_ns.load(Ordering::Relaxed));
    println!(
        "soak: faults={count} kills={kills} hangs={freezes} restarts={} blocks={} max_block_stall={max_block:?} max_query_stall={max_query:?} mismatches={} elapsed={:?}",
        restarts(plugin),
        blocks.load(Ordering::Relaxed),
        mismatches.load(Ordering::Relaxed),
        started.elapsed()
    );
    assert_eq!(
        mismatches.load(Ordering::Relaxed),
        0,
        "output was neither the plugin's nor silence"
    );
    assert!(max_block <= BLOCK_LIMIT, "a block stalled {max_block:?}");
    assert!(max_query <= QUERY_LIMIT, "a query stalled {max_query:?}");
    let mut over = Vec::new();
    let report: Vec<String> = kinds
        .iter()
        .zip(worst_ns.iter())
        .map(|((name, budget), worst)| {
            let worst = Duration::from_nanos(worst.load(Ordering::Relaxed));
            if worst > *budget + SCHEDULING_SLACK {
                over.push(*name);
            }
            format!("{name}: worst {worst:.0?} of {budget:.0?}")
        })
        .collect();
    println!("soak worst call per kind: {}", report.join("; "));
    assert!(over.is_empty(), "calls over their budget: {over:?}");
}
