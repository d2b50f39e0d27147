//! The levers of the audio handoff, each measured against its absence in the same run, with
//! the bridged `gain` plugin at 64 frames and the host's audio thread on CPU 0:
//!
//! - **following the host's CPU** (`follow_host_cpu`) against letting the scheduler place the
//!   server's audio thread;
//! - **a bounded spin** (`max_spin_us`) when the server's audio thread is held on another CPU,
//!   against sleeping for every reply;
//! - **realtime priority** (`follow_host_priority`) with a CPU hog on the audio CPU: an
//!   ordinary host thread, a `SCHED_FIFO` host thread with an ordinary server, and both
//!   realtime;
//! - **locking the region** (`lock_memory`): the first blocks of fresh instances, and the
//!   page faults both processes take in them.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use vst2_host::{DefaultHost, Plugin};

use crate::Options;
use vstbridge_test_support::proxy_status::{pin_thread, server_audio_thread, server_pid};

use crate::limit::{pin_to, unpin};
use crate::plugins::task_cpu_time;
use crate::stats::Summary;

const FRAMES: usize = 64;
const SAMPLE_RATE: f32 = 48_000.0;
const OPTIONS: &str = "block_deadline_floor_ms = 2000\nhang_timeout_ms = 10000\n";
/// The priority the bench's host thread takes in the realtime rows (JACK's default range).
const HOST_PRIORITY: u32 = 20;

/// How the host's audio thread and the server's are placed for one row.
#[derive(Clone, Copy)]
struct Setup {
    /// Hold the server's audio thread on CPU 1 (the host's is on CPU 0).
    server_apart: bool,
    /// Run a busy ordinary thread on CPU 0 meanwhile.
    hog: bool,
    /// Run the host's thread `SCHED_FIFO` at [`HOST_PRIORITY`].
    realtime: bool,
}

const PLAIN: Setup = Setup {
    server_apart: false,
    hog: false,
    realtime: false,
};

fn load(options: &Options, extra: &str) -> Result<Plugin> {
    let proxy =
        vstbridge_test_support::install_proxy_from(&options.dist, &options.gain_x86_64, &format!("{OPTIONS}{extra}"));
    let plugin = Plugin::load(&proxy, Arc::new(DefaultHost)).context("bridging gain")?;
    plugin.open();
    plugin.start(SAMPLE_RATE, FRAMES as i32);
    Ok(plugin)
}

/// Runs the calling thread `SCHED_FIFO` at `priority`, or ordinary for 0; whether allowed.
fn set_realtime(priority: u32) -> bool {
    bridge_ipc::os::set_current_realtime_priority(priority).is_ok()
}

/// One measured row: per-block times, and the CPU time of the host's and the server's audio
/// threads during them.
struct Measured {
    summary: Summary,
    host_cpu: Duration,
    server_cpu: Duration,
}

/// Processes `blocks` blocks of `plugin` from a thread placed as `setup` says.
fn measure_row(plugin: &Plugin, blocks: usize, setup: Setup) -> Result<Measured> {
    let input: Vec<f32> = (0..FRAMES).map(|i| (i as f32 * 0.01).sin() * 0.5).collect();
    let hog_running = AtomicBool::new(setup.hog);
    std::thread::scope(|scope| {
        if setup.hog {
            scope.spawn(|| {
                pin_to(0);
                while hog_running.load(Ordering::Relaxed) {
                    std::hint::spin_loop();
                }
            });
        }
        let measured = scope
            .spawn(|| -> Result<Measured> {
                pin_to(0);
                if setup.realtime && !set_realtime(HOST_PRIORITY) {
                    anyhow::bail!("realtime scheduling is not permitted here (needs CAP_SYS_NICE or an rtprio limit)");
                }
                let (mut left, mut right) = (vec![0.0f32; FRAMES], vec![0.0f32; FRAMES]);
                let mut block = || plugin.process_replacing(&[&input, &input], &mut [&mut left, &mut right], FRAMES);
                // Warm up: the server follows CPU and priority, and learns where it runs.
                for _ in 0..200 {
                    block()?;
                }
                let server = server_audio_thread(plugin).context("the server's audio thread")?;
                if setup.server_apart {
                    let tid = server.file_name().and_then(|n| n.to_str()).and_then(|n| n.parse().ok());
                    pin_thread(tid.context("a thread id")?, 1)?;
                    for _ in 0..200 {
                        block()?;
                    }
                }
                let own = PathBuf::from("/proc/thread-self");
                let (host_before, server_before) = (task_cpu_time(&own), task_cpu_time(&server));
                let mut samples = Vec::with_capacity(blocks);
                for _ in 0..blocks {
                    let started = Instant::now();
                    block()?;
                    samples.push(started.elapsed());
                }
                let measured = Measured {
                    summary: Summary::of(&mut samples),
                    host_cpu: task_cpu_time(&own).saturating_sub(host_before),
                    server_cpu: task_cpu_time(&server).saturating_sub(server_before),
                };
                set_realtime(0);
                Ok(measured)
            })
            .join()
            .map_err(|_| anyhow::anyhow!("the measuring thread panicked"));
        hog_running.store(false, Ordering::Relaxed);
        measured?
    })
}

/// Minor page faults of a process so far (field 10 of its stat).
fn minor_faults(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| {
            let after_name = &stat[stat.rfind(')')? + 2..];
            after_name.split_whitespace().nth(10 - 3)?.parse().ok()
        })
        .unwrap_or(0)
}

/// The first block of `count` fresh instances: its time, and the page faults host and
/// server took in it.
fn first_blocks(options: &Options, extra: &str, count: usize) -> Result<(Summary, f64)> {
    let input = vec![0.25f32; FRAMES];
    let (mut left, mut right) = (vec![0.0f32; FRAMES], vec![0.0f32; FRAMES]);
    let mut samples = Vec::with_capacity(count);
    let mut faults = 0;
    for _ in 0..count {
        let plugin = load(options, extra)?;
        let server = server_pid(&plugin) as u32;
        let before = minor_faults(std::process::id()) + minor_faults(server);
        let started = Instant::now();
        plugin.process_replacing(&[&input, &input], &mut [&mut left, &mut right], FRAMES)?;
        samples.push(started.elapsed());
        faults += minor_faults(std::process::id()) + minor_faults(server) - before;
    }
    Ok((Summary::of(&mut samples), faults as f64 / count as f64))
}

/// Measures every lever and prints the table.
pub fn measure(options: &Options, results: &mut serde_json::Map<String, serde_json::Value>) -> Result<()> {
    let blocks = if options.quick { 2_000 } else { 20_000 };
    println!("\n== levers: gain, 64 frames, host's audio thread on CPU 0, per block ==");
    println!(
        "{:<44} {:>9} {:>9} {:>9} {:>9} {:>11} {:>10}",
        "", "median", "p99", "p99.9", "max", "cpu host", "cpu srv"
    );
    let hog = Setup { hog: true, ..PLAIN };
    let rows: [(&str, &str, Setup); 7] = [
        ("follow host CPU", "follow_host_cpu = true\n", PLAIN),
        ("no follow: the scheduler places it (default)", "", PLAIN),
        (
            "server held on CPU 1, sleep for reply",
            "follow_host_cpu = false\nmax_spin_us = 0\n",
            Setup {
                server_apart: true,
                ..PLAIN
            },
        ),
        (
            "server held on CPU 1, spin <= 50 us",
            "follow_host_cpu = false\n",
            Setup {
                server_apart: true,
                ..PLAIN
            },
        ),
        ("CPU hog on CPU 0, ordinary host thread", "", hog),
        (
            "CPU hog, realtime host, ordinary server",
            "follow_host_priority = false\n",
            Setup { realtime: true, ..hog },
        ),
        (
            "CPU hog, realtime host, server follows",
            "",
            Setup { realtime: true, ..hog },
        ),
    ];
    // Realtime rows need CAP_SYS_NICE or an rtprio limit; without, they are left out (and
    // said so), the rest of the bench still runs.
    let realtime_allowed = std::thread::spawn(|| set_realtime(1)).join().unwrap_or(false);
    for (name, extra, setup) in rows {
        if setup.realtime && !realtime_allowed {
            println!("{name:<44} skipped: realtime scheduling is not permitted here");
            continue;
        }
        let plugin = load(options, extra)?;
        let measured = measure_row(&plugin, blocks, setup)?;
        // The same work in milliseconds per thousand blocks, so rows compare at any length.
        let per_thousand = |cpu: Duration| cpu.as_secs_f64() * 1e3 * 1000.0 / blocks as f64;
        println!(
            "{name:<44} {} {:>8.1}ms {:>8.1}ms",
            measured.summary.row(),
            per_thousand(measured.host_cpu),
            per_thousand(measured.server_cpu)
        );
        let mut json = measured.summary.to_json();
        json["cpu_host_ms_per_1000_blocks"] = serde_json::json!(per_thousand(measured.host_cpu));
        json["cpu_server_ms_per_1000_blocks"] = serde_json::json!(per_thousand(measured.server_cpu));
        results.insert(format!("levers/{name}"), json);
    }
    println!("(cpu: ms of the two audio threads per 1000 blocks)");
    unpin();

    let instances = if options.quick { 5 } else { 20 };
    println!("\n== levers: the first block of {instances} fresh instances ==");
    println!(
        "{:<44} {:>9} {:>9} {:>9} {:>9} {:>11}",
        "", "median", "p99", "p99.9", "max", "faults"
    );
    for (name, extra) in [
        ("region locked (default)", ""),
        ("region not locked", "lock_memory = false\n"),
    ] {
        let (summary, faults) = first_blocks(options, extra, instances)?;
        println!("{name:<44} {} {faults:>11.1}", summary.row());
        let mut json = summary.to_json();
        json["minor_faults_per_first_block"] = serde_json::json!(faults);
        results.insert(format!("levers/first block, {name}"), json);
    }
    Ok(())
}
