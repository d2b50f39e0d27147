//! Direct against bridged: the `gain` test plugin processed in this process and through the
//! x86_64 and i686 servers, block by block, with CPU time and allocation counts.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use vst2_abi::EffectOpcode;
use vst2_abi::effect::four_char_code;
use vst2_host::{DefaultHost, Plugin};

use crate::Options;
use crate::stats::Summary;

/// One measured configuration.
pub struct Row {
    /// Heap allocations the proxy and the server made during it.
    pub allocations: u64,
}

const SIZES: [usize; 4] = [32, 64, 512, 4096];
const SAMPLE_RATE: f32 = 48_000.0;

/// CPU time of a process (all its threads), from the scheduler's nanosecond counters in
/// `/proc/<pid>/task/*/schedstat`.
pub fn cpu_time(pid: u32) -> Duration {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return Duration::ZERO;
    };
    tasks
        .filter_map(|task| task.ok())
        .map(|task| task_cpu_time(&task.path()))
        .sum()
}

/// CPU time of one thread (`/proc/.../task/<tid>`, or `/proc/thread-self`), from its
/// schedstat.
pub fn task_cpu_time(task: &Path) -> Duration {
    std::fs::read_to_string(task.join("schedstat"))
        .ok()
        .and_then(|stat| stat.split_whitespace().next()?.parse().ok())
        .map_or(Duration::ZERO, Duration::from_nanos)
}

/// The bridged plugin's server process id.
pub fn server_pid(plugin: &Plugin) -> u32 {
    vendor(plugin, b"VbPi") as u32
}

fn vendor(plugin: &Plugin, code: &[u8; 4]) -> isize {
    plugin.dispatch_int(EffectOpcode::VENDOR_SPECIFIC, four_char_code(code), 0, 0.0)
}

/// The proxy's and the server's allocation counters (0 for a direct plugin).
fn allocation_counters(plugin: &Plugin, bridged: bool) -> (isize, isize) {
    if bridged {
        (vendor(plugin, b"VbAp"), vendor(plugin, b"VbAs"))
    } else {
        (0, 0)
    }
}

/// Processes `blocks` blocks of `frames` after a warm-up; returns per-block times, CPU
/// times of this process and of the server (if bridged), and the allocations proxy and
/// server made during the measured blocks.
fn run(
    plugin: &Plugin,
    frames: usize,
    blocks: usize,
    server: Option<u32>,
) -> Result<(Summary, Duration, Duration, u64)> {
    plugin.set_block_size(frames as i32);
    plugin.set_active(true);
    plugin.start_process();
    let input: Vec<f32> = (0..frames).map(|i| (i as f32 * 0.01).sin() * 0.5).collect();
    let (mut left, mut right) = (vec![0.0f32; frames], vec![0.0f32; frames]);
    for _ in 0..blocks / 10 + 10 {
        plugin.process_replacing(&[&input, &input], &mut [&mut left, &mut right], frames)?;
    }
    let allocations_before = allocation_counters(plugin, server.is_some());
    let (own_before, server_before) = (cpu_time(std::process::id()), server.map(cpu_time).unwrap_or_default());
    let mut samples = Vec::with_capacity(blocks);
    for _ in 0..blocks {
        let started = Instant::now();
        plugin.process_replacing(&[&input, &input], &mut [&mut left, &mut right], frames)?;
        samples.push(started.elapsed());
    }
    let own = cpu_time(std::process::id()).saturating_sub(own_before);
    let server_cpu = server.map(cpu_time).unwrap_or_default().saturating_sub(server_before);
    let allocations_after = allocation_counters(plugin, server.is_some());
    let allocations = (allocations_after.0 - allocations_before.0).max(0) as u64
        + (allocations_after.1 - allocations_before.1).max(0) as u64;
    plugin.stop_process();
    plugin.set_active(false);
    Ok((Summary::of(&mut samples), own, server_cpu, allocations))
}

/// Measures every size and configuration, printing the table.
pub fn measure(
    options: &Options,
    futex_us: f64,
    results: &mut serde_json::Map<String, serde_json::Value>,
) -> Result<Vec<Row>> {
    let direct = Plugin::load(&options.gain_x86_64, Arc::new(DefaultHost)).context("loading gain directly")?;
    direct.open();
    direct.set_sample_rate(SAMPLE_RATE);
    let bridged_options = "block_deadline_floor_ms = 2000\nhang_timeout_ms = 10000\n";
    let load_with = |gain: &Path, extra: &str| -> Result<Plugin> {
        let proxy =
            vstbridge_test_support::install_proxy_from(&options.dist, gain, &format!("{bridged_options}{extra}"));
        let plugin =
            Plugin::load(&proxy, Arc::new(DefaultHost)).with_context(|| format!("bridging {}", gain.display()))?;
        plugin.open();
        plugin.set_sample_rate(SAMPLE_RATE);
        Ok(plugin)
    };
    let bridged = [
        ("bridged x86_64", load_with(&options.gain_x86_64, "")?),
        ("bridged i686", load_with(&options.gain_i686, "")?),
        // The same bridge with each block's wake and wait sent as a length-prefixed message
        // on a socket instead of the futex: the design other bridges use, measured rather
        // than claimed.
        (
            "socket-synced",
            load_with(&options.gain_x86_64, "bench_socket_wake = true\n")?,
        ),
        // The lever of following the host's CPU (off by default), measured: the same bridge with it.
        (
            "x86_64 follow",
            load_with(&options.gain_x86_64, "follow_host_cpu = true\n")?,
        ),
    ];
    println!(
        "{:<8} {:<16} {:>9} {:>9} {:>9} {:>9} {:>10} {:>11} {:>11} {:>8}",
        "frames", "", "median", "p99", "p99.9", "max", "overhead", "vs futex", "cpu host", "cpu srv"
    );
    let mut rows = Vec::new();
    for frames in SIZES {
        let blocks = if options.quick { 2_000 } else { 20_000 } / (1 + frames / 512);
        let (direct_summary, direct_cpu, _, _) = run(&direct, frames, blocks, None)?;
        println!(
            "{frames:<8} {:<16} {} {:>10} {:>11} {:>9.1}ms {:>8}",
            "direct",
            direct_summary.row(),
            "",
            "",
            direct_cpu.as_secs_f64() * 1e3,
            ""
        );
        results.insert(format!("gain/{frames}/direct"), direct_summary.to_json());
        for (name, plugin) in &bridged {
            let server = vendor(plugin, b"VbPi") as u32;
            let (summary, own_cpu, server_cpu, allocations) = run(plugin, frames, blocks, Some(server))?;
            let overhead = summary.median_us - direct_summary.median_us;
            let ratio = if futex_us > 0.0 { overhead / futex_us } else { 0.0 };
            println!(
                "{frames:<8} {name:<16} {} {overhead:>10.1} {ratio:>10.2}x {:>9.1}ms {:>6.1}ms",
                summary.row(),
                own_cpu.as_secs_f64() * 1e3,
                server_cpu.as_secs_f64() * 1e3
            );
            let mut json = summary.to_json();
            json["overhead_us"] = serde_json::json!(overhead);
            json["overhead_vs_futex_round_trip"] = serde_json::json!(ratio);
            json["cpu_host_ms"] = serde_json::json!(own_cpu.as_secs_f64() * 1e3);
            json["cpu_server_ms"] = serde_json::json!(server_cpu.as_secs_f64() * 1e3);
            json["allocations"] = serde_json::json!(allocations);
            results.insert(format!("gain/{frames}/{name}"), json);
            rows.push(Row { allocations });
        }
    }
    Ok(rows)
}
