//! Host patterns: the gain plugin driven the way DAWs drive plugins, for each setting of the
//! audio-thread levers, side by side with the plugin loaded directly:
//! - **unpinned**: one ordinary thread, never pinned, processing 64-frame blocks back to back
//!   (as a JUCE host rendering offline, or a DAW's audio thread the scheduler moves around);
//! - **worker pool**: blocks handed in turn to a pool of three fresh worker threads (as DAWs
//!   that process on a thread pool do), each setting and reading a parameter and sending a
//!   MIDI event before its block, as for an automated track; and the same with one worker,
//!   the single-thread case the pool is compared with (the same wake before every block,
//!   without the rotation);
//! - **paced**: one unpinned thread at a real-time pace (48 kHz; 64 frames, a 1.33 ms period
//!   spent idle between blocks, so the other CPU sleeps deeply, alone and beside a CPU hog;
//!   and 256 frames, 5.33 ms, with a quarter of the blocks).
//!
//! Per block: median, p99, p99.9, max, the overhead (bridged median − direct median), the
//! CPU time of the host and of the server per block, and the socket round trips the audio
//! threads made for parameters or events (the run fails unless there are none). The defaults are chosen from these rows
//! (see README), not from the pinned table.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use std::cell::Cell;

use anyhow::{Context, Result, bail};
use vst2_abi::EffectOpcode;
use vst2_abi::constants::process_level;
use vst2_abi::effect::four_char_code;
use vst2_host::{EventList, Host, Plugin};

use crate::Options;
use crate::plugins::cpu_time;
use crate::stats::Summary;

/// The block size of every pattern but the 256-frame paced one.
const FRAMES: usize = 64;
/// The largest block any pattern sends (the block size the plugins are started with).
const MAX_FRAMES: usize = 256;
const SAMPLE_RATE: f32 = 48_000.0;
/// The settings compared: the shipped defaults first, then each lever spelled out.
pub const CONFIGS: [(&str, &str); 6] = [
    ("defaults (auto)", ""),
    ("follow+spin50", "follow_host_cpu = true\nmax_spin_us = 50\n"),
    ("nofollow+spin50", "follow_host_cpu = false\nmax_spin_us = 50\n"),
    ("nofollow+spin0", "follow_host_cpu = false\nmax_spin_us = 0\n"),
    ("nofollow+spin200", "follow_host_cpu = false\nmax_spin_us = 200\n"),
    ("socket-synced", "bench_socket_wake = true\n"),
];

/// How a pattern drives the plugin.
#[derive(Clone, Copy)]
enum Pattern {
    Unpinned,
    /// Workers taking turns; one worker is the single-thread case the pool is held to (the
    /// same wake before each block, no rotation).
    WorkerPool {
        workers: usize,
    },
    Paced {
        hog: bool,
        frames: usize,
    },
}

impl Pattern {
    fn name(self) -> &'static str {
        match self {
            Pattern::Unpinned => "unpinned",
            Pattern::WorkerPool { workers: 1 } => "worker pool (1)",
            Pattern::WorkerPool { .. } => "worker pool (3)",
            Pattern::Paced {
                hog: false,
                frames: 256,
            } => "paced 256 frames",
            Pattern::Paced { hog: false, .. } => "paced 48 kHz",
            Pattern::Paced { hog: true, .. } => "paced + CPU hog",
        }
    }

    fn frames(self) -> usize {
        match self {
            Pattern::Paced { frames, .. } => frames,
            _ => FRAMES,
        }
    }

    /// Blocks to run, from the 64-frame count: a 256-frame period is four times as long,
    /// so it gets a quarter of the blocks for the same wall time.
    fn blocks(self, blocks_at_64: usize) -> usize {
        blocks_at_64 * FRAMES / self.frames()
    }
}

thread_local! {
    /// Whether this thread is one of the bench host's audio threads.
    static AUDIO_THREAD: Cell<bool> = const { Cell::new(false) };
}

/// The bench's host: it answers `audioMasterGetCurrentProcessLevel` as DAWs do, realtime on
/// its audio threads (worker pool included) and user elsewhere.
struct BenchHost;

impl Host for BenchHost {
    fn process_level(&self) -> isize {
        if AUDIO_THREAD.with(Cell::get) {
            process_level::REALTIME
        } else {
            process_level::USER
        }
    }
}

/// Socket round trips the proxy's audio threads made for parameters or events (0 for a
/// plugin loaded directly, which does not know the opcode).
fn socket_fallbacks(plugin: &Plugin) -> u64 {
    plugin
        .dispatch_int(EffectOpcode::VENDOR_SPECIFIC, four_char_code(b"VbSf"), 0, 0.0)
        .max(0) as u64
}

/// What a DAW's worker does around a block when the track is automated and has MIDI: a
/// parameter set and read and an event sent, before process (not timed).
fn automate(plugin: &Plugin, events: &mut EventList) {
    plugin.set_parameter(1, 0.5);
    std::hint::black_box(plugin.parameter(1));
    plugin.process_events(events);
}

/// One block of `plugin`, timed.
fn block(plugin: &Plugin, input: &[f32]) -> Result<Duration> {
    let frames = input.len();
    let (mut left, mut right) = (vec![0.0f32; frames], vec![0.0f32; frames]);
    let started = Instant::now();
    plugin.process_replacing(&[input, input], &mut [&mut left, &mut right], frames)?;
    Ok(started.elapsed())
}

/// Runs `blocks` blocks of `plugin` in `pattern`; the per-block times.
fn drive(plugin: &Plugin, pattern: Pattern, blocks: usize) -> Result<Vec<Duration>> {
    let frames = pattern.frames();
    let input: Vec<f32> = (0..frames).map(|i| (i as f32 * 0.01).sin() * 0.5).collect();
    crate::limit::unpin();
    AUDIO_THREAD.with(|audio| audio.set(true));
    let stop_hog = Arc::new(AtomicBool::new(false));
    let hog = matches!(pattern, Pattern::Paced { hog: true, .. }).then(|| {
        let stop = stop_hog.clone();
        std::thread::spawn(move || {
            let mut x = 0u64;
            while !stop.load(Ordering::Relaxed) {
                x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
                std::hint::black_box(x);
            }
        })
    });
    let mut times = Vec::with_capacity(blocks);
    match pattern {
        Pattern::Unpinned => {
            for _ in 0..blocks {
                times.push(block(plugin, &input)?);
            }
        }
        Pattern::Paced { .. } => {
            let period = Duration::from_secs_f64(frames as f64 / f64::from(SAMPLE_RATE));
            let started = Instant::now();
            for index in 0..blocks {
                times.push(block(plugin, &input)?);
                let next = started + period * (index as u32 + 1);
                if let Some(wait) = next.checked_duration_since(Instant::now()) {
                    std::thread::sleep(wait);
                }
            }
        }
        Pattern::WorkerPool { workers } => {
            std::thread::scope(|scope| -> Result<()> {
                let (done_tx, done_rx) = mpsc::channel::<Result<Duration>>();
                let workers: Vec<mpsc::Sender<()>> = (0..workers)
                    .map(|_| {
                        let (go_tx, go_rx) = mpsc::channel::<()>();
                        let done = done_tx.clone();
                        let input = &input;
                        scope.spawn(move || {
                            // A fresh worker each run: its first automation comes before
                            // its first block, as in a DAW's pool.
                            AUDIO_THREAD.with(|audio| audio.set(true));
                            let mut events = EventList::new();
                            events.push_midi_bytes(0, [0xB0, 1, 64]);
                            while go_rx.recv().is_ok() {
                                automate(plugin, &mut events);
                                let _ = done.send(block(plugin, input));
                            }
                        });
                        go_tx
                    })
                    .collect();
                for index in 0..blocks {
                    workers[index % workers.len()].send(()).context("a worker stopped")?;
                    times.push(done_rx.recv().context("a worker stopped")??);
                }
                drop(workers);
                Ok(())
            })?;
        }
    }
    stop_hog.store(true, Ordering::Relaxed);
    if let Some(hog) = hog {
        let _ = hog.join();
    }
    Ok(times)
}

/// The real-host row: DawDreamer (a JUCE host) rendering Debian's amd64 MaBitcrush at 64
/// frames on one unpinned thread, directly and bridged with each config, interleaved so
/// every config sees the same machine; the best of three renders each, per block.
fn real_host(options: &Options, results: &mut serde_json::Map<String, serde_json::Value>) -> Result<()> {
    let plugin = vstbridge_test_support::real_plugin_for("amd64", "MaBitcrush-vst.so");
    let seconds = if options.quick { "2" } else { "10" };
    let per_block = |path: &std::path::Path| -> Result<f64> {
        let run = vstbridge_test_support::run_dawdreamer(&["bench", &path.display().to_string(), seconds], None);
        run.findings["seconds_per_block"]
            .as_array()
            .and_then(|runs| runs.iter().filter_map(serde_json::Value::as_f64).reduce(f64::min))
            .map(|seconds| seconds * 1e6)
            .context("DawDreamer reported no time")
    };
    println!("\n== real host: DawDreamer, MaBitcrush (amd64), 64 frames, one unpinned thread ==");
    let proxies: Vec<(&str, std::path::PathBuf)> = CONFIGS
        .iter()
        .map(|(name, extra)| {
            (
                *name,
                vstbridge_test_support::install_proxy_from(&options.dist, &plugin, extra),
            )
        })
        .collect();
    let rounds = if options.quick { 1 } else { 3 };
    let mut direct = f64::MAX;
    let mut bridged = vec![f64::MAX; proxies.len()];
    for _ in 0..rounds {
        direct = direct.min(per_block(&plugin)?);
        for (best, (_, proxy)) in bridged.iter_mut().zip(&proxies) {
            *best = best.min(per_block(proxy)?);
        }
    }
    println!("{:<18} {direct:>9.1} µs per block", "direct");
    results.insert("real_host/direct".into(), serde_json::json!({ "us_per_block": direct }));
    for ((name, _), time) in proxies.iter().zip(bridged) {
        println!(
            "{name:<18} {time:>9.1} µs per block, overhead {:>6.1} µs",
            time - direct
        );
        results.insert(
            format!("real_host/{name}"),
            serde_json::json!({ "us_per_block": time, "overhead_us": time - direct }),
        );
    }
    Ok(())
}

/// Measures every pattern for the direct plugin and every config.
pub fn measure(options: &Options, results: &mut serde_json::Map<String, serde_json::Value>) -> Result<()> {
    let blocks = if options.quick { 3_000 } else { 20_000 };
    let patterns: &[Pattern] = if options.quick {
        &[
            Pattern::Unpinned,
            Pattern::WorkerPool { workers: 1 },
            Pattern::WorkerPool { workers: 3 },
        ]
    } else {
        &[
            Pattern::Unpinned,
            Pattern::WorkerPool { workers: 1 },
            Pattern::WorkerPool { workers: 3 },
            Pattern::Paced {
                hog: false,
                frames: FRAMES,
            },
            Pattern::Paced {
                hog: true,
                frames: FRAMES,
            },
            Pattern::Paced {
                hog: false,
                frames: MAX_FRAMES,
            },
        ]
    };
    println!("\n== host patterns: gain, 64 frames unless named, unpinned threads (not the pinned table above) ==");
    println!(
        "{:<18} {:<17} {:>9} {:>9} {:>9} {:>9} {:>10} {:>12} {:>12} {:>9}",
        "pattern", "", "median", "p99", "p99.9", "max", "overhead", "cpu host/blk", "cpu srv/blk", "sockets"
    );
    let direct = Plugin::load(&options.gain_x86_64, Arc::new(BenchHost)).context("loading gain directly")?;
    direct.start(SAMPLE_RATE, MAX_FRAMES as i32);
    let bridged: Vec<(&str, Plugin)> = CONFIGS
        .iter()
        .map(|(name, extra)| -> Result<(&str, Plugin)> {
            let proxy = vstbridge_test_support::install_proxy_from(
                &options.dist,
                &options.gain_x86_64,
                &format!("block_deadline_floor_ms = 2000\nhang_timeout_ms = 10000\n{extra}"),
            );
            let plugin = Plugin::load(&proxy, Arc::new(BenchHost)).with_context(|| format!("bridging for {name}"))?;
            plugin.start(SAMPLE_RATE, MAX_FRAMES as i32);
            Ok((name, plugin))
        })
        .collect::<Result<_>>()?;
    real_host(options, results)?;
    let mut total_fallbacks = 0;
    for &pattern in patterns {
        let blocks = pattern.blocks(blocks);
        let mut warm = drive(&direct, pattern, blocks / 10)?;
        warm.clear();
        let mut direct_times = drive(&direct, pattern, blocks)?;
        let direct_summary = Summary::of(&mut direct_times);
        println!("{:<18} {:<17} {}", pattern.name(), "direct", direct_summary.row());
        results.insert(format!("patterns/{}/direct", pattern.name()), direct_summary.to_json());
        for (name, plugin) in &bridged {
            let server = crate::plugins::server_pid(plugin);
            let fallbacks_before = socket_fallbacks(plugin);
            drive(plugin, pattern, blocks / 10)?;
            let (host_before, server_before) = (cpu_time(std::process::id()), cpu_time(server));
            let mut times = drive(plugin, pattern, blocks)?;
            let host_cpu = cpu_time(std::process::id()).saturating_sub(host_before);
            let server_cpu = cpu_time(server).saturating_sub(server_before);
            // Warm-up included: a fresh worker's first automation counts.
            let fallbacks = socket_fallbacks(plugin) - fallbacks_before;
            total_fallbacks += fallbacks;
            let summary = Summary::of(&mut times);
            let overhead = summary.median_us - direct_summary.median_us;
            let per_block = |cpu: Duration| cpu.as_secs_f64() * 1e6 / blocks as f64;
            println!(
                "{:<18} {name:<17} {} {overhead:>10.1} {:>10.1}µs {:>10.1}µs {fallbacks:>9}",
                "",
                summary.row(),
                per_block(host_cpu),
                per_block(server_cpu)
            );
            let mut json = summary.to_json();
            json["overhead_us"] = serde_json::json!(overhead);
            json["cpu_host_us_per_block"] = serde_json::json!(per_block(host_cpu));
            json["cpu_server_us_per_block"] = serde_json::json!(per_block(server_cpu));
            json["socket_fallbacks"] = serde_json::json!(fallbacks);
            results.insert(format!("patterns/{}/{name}", pattern.name()), json);
        }
    }
    if total_fallbacks != 0 {
        bail!("the audio path made {total_fallbacks} socket round trips for parameters or events; it must make none");
    }
    println!("socket round trips on the audio path: 0");
    Ok(())
}
