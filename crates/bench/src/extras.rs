//! The rest of the bench: parameter calls from the audio thread and from another thread,
//! string queries, start-up time, many bridged instances at a real-time pace, what a
//! plugin group saves in memory and start-up against a server per instance, and what a
//! block costs an arm64 plugin run under an emulator.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Result;
use vst2_host::{DefaultHost, Plugin};

use crate::Options;
use crate::stats::Summary;

const SAMPLE_RATE: f32 = 48_000.0;
const OPTIONS: &str = "block_deadline_floor_ms = 2000\nhang_timeout_ms = 10000\n";

fn bridged(options: &Options, gain: &Path) -> Result<Plugin> {
    let proxy = vstbridge_test_support::install_proxy_from(&options.dist, gain, OPTIONS);
    Ok(Plugin::load(&proxy, Arc::new(DefaultHost))?)
}

fn time_calls(count: usize, mut call: impl FnMut()) -> Summary {
    let mut samples = Vec::with_capacity(count);
    for _ in 0..count {
        let started = Instant::now();
        call();
        samples.push(started.elapsed());
    }
    Summary::of(&mut samples)
}

/// Parameter and string calls, direct and bridged.
pub fn parameters(options: &Options, results: &mut serde_json::Map<String, serde_json::Value>) -> Result<()> {
    let count = if options.quick { 2_000 } else { 20_000 };
    println!("\n== parameters and strings, per call ==");
    println!("{:<52} {:>9} {:>9} {:>9} {:>9}", "", "median", "p99", "p99.9", "max");
    let direct = Plugin::load(&options.gain_x86_64, Arc::new(DefaultHost))?;
    let bridged = bridged(options, &options.gain_x86_64)?;
    for (name, plugin) in [("direct", &direct), ("bridged x86_64", &bridged)] {
        plugin.start(SAMPLE_RATE, 64);
        let (input, mut left, mut right) = (vec![0.0f32; 64], vec![0.0f32; 64], vec![0.0f32; 64]);
        // Processing marks this thread as the audio thread: parameter calls here ride along
        // with the next block and read the server's value table.
        plugin.process_replacing(&[&input, &input], &mut [&mut left, &mut right], 64)?;
        // A DAW sets a few parameters per block: time 64 sets, run an untimed block so the
        // queue that carries them drains as it would, and repeat.
        let mut set_samples = Vec::with_capacity(count);
        let mut value = 0.0f32;
        while set_samples.len() < count {
            for _ in 0..64 {
                value = (value + 0.001) % 1.0;
                let started = Instant::now();
                plugin.set_parameter(0, value);
                set_samples.push(started.elapsed());
            }
            plugin.process_replacing(&[&input, &input], &mut [&mut left, &mut right], 64)?;
        }
        let rows = [
            ("setParameter, audio thread", Summary::of(&mut set_samples)),
            (
                "getParameter, audio thread",
                time_calls(count, || {
                    std::hint::black_box(plugin.parameter(0));
                }),
            ),
            (
                "effGetParamDisplay, audio thread",
                time_calls(count / 4, || {
                    std::hint::black_box(plugin.parameter_display(0));
                }),
            ),
        ];
        let other_thread = std::thread::scope(|scope| {
            scope
                .spawn(|| {
                    [
                        (
                            "setParameter, another thread",
                            time_calls(count / 4, || plugin.set_parameter(1, 0.5)),
                        ),
                        (
                            "getParameter, another thread",
                            time_calls(count / 4, || {
                                std::hint::black_box(plugin.parameter(1));
                            }),
                        ),
                        (
                            "effGetParamDisplay, another thread",
                            time_calls(count / 4, || {
                                std::hint::black_box(plugin.parameter_display(1));
                            }),
                        ),
                    ]
                })
                .join()
                .expect("the other thread finished")
        });
        for (label, summary) in rows.into_iter().chain(other_thread) {
            println!("{:<52} {}", format!("{label}, {name}"), summary.row());
            results.insert(format!("parameters/{label}/{name}"), summary.to_json());
        }
    }
    Ok(())
}

/// Start-up: from loading to the first processed block.
pub fn startup(options: &Options, results: &mut serde_json::Map<String, serde_json::Value>) -> Result<()> {
    let rounds = if options.quick { 5 } else { 20 };
    println!("\n== start-up: load, set up, first block ==");
    // A bridged round loads a fresh copy of the proxy, installed before the clock starts (a
    // DAW finds it installed), so every load is a cold one.
    let first_block = |plugin: &Path, bridge: bool| -> Result<Summary> {
        let mut samples = Vec::with_capacity(rounds);
        for _ in 0..rounds {
            let library = match bridge {
                true => vstbridge_test_support::install_proxy_from(&options.dist, plugin, OPTIONS),
                false => plugin.to_path_buf(),
            };
            let started = Instant::now();
            let plugin = Plugin::load(&library, Arc::new(DefaultHost))?;
            plugin.start(SAMPLE_RATE, 64);
            let (input, mut left, mut right) = (vec![0.0f32; 64], vec![0.0f32; 64], vec![0.0f32; 64]);
            plugin.process_replacing(&[&input, &input], &mut [&mut left, &mut right], 64)?;
            samples.push(started.elapsed());
        }
        Ok(Summary::of(&mut samples))
    };
    let direct = first_block(&options.gain_x86_64, false)?;
    let x86_64 = first_block(&options.gain_x86_64, true)?;
    let i686 = first_block(&options.gain_i686, true)?;
    for (name, summary) in [("direct", direct), ("bridged x86_64", x86_64), ("bridged i686", i686)] {
        println!(
            "{name:<20} median {:>8.2} ms   max {:>8.2} ms",
            summary.median_us / 1e3,
            summary.max_us / 1e3
        );
        results.insert(format!("startup/{name}"), summary.to_json());
    }
    Ok(())
}

/// The realtime priority of the host's thread in the realtime rows (what rtkit typically
/// grants a DAW's audio thread).
const REALTIME_HOST_PRIORITY: u32 = 70;

/// N bridged instances processing 64-frame blocks at a 48 kHz pace from one thread, as a
/// DAW's audio thread would, ordinary and realtime: missed periods and CPU.
pub fn scale(options: &Options, results: &mut serde_json::Map<String, serde_json::Value>) -> Result<()> {
    // (instances, whether the host's thread is realtime as a DAW's audio thread is)
    let rows: &[(usize, bool)] = if options.quick {
        &[(1, false), (8, false), (8, true)]
    } else {
        &[(1, false), (8, false), (32, false), (8, true), (32, true)]
    };
    let period = Duration::from_secs_f64(64.0 / f64::from(SAMPLE_RATE));
    let periods = options.periods.unwrap_or(if options.quick { 750 } else { 7_500 });
    println!("\n== scale: instances at a 48 kHz pace, 64 frames ({period:?} per period) ==");
    for &(count, realtime) in rows {
        // Realtime as rtkit makes a DAW's audio thread (the servers follow one step below).
        if realtime && bridge_ipc::os::set_current_realtime_priority(REALTIME_HOST_PRIORITY).is_err() {
            println!("{count:>3} instances, realtime host: skipped (no permission for SCHED_FIFO)");
            continue;
        }
        let plugins: Vec<Plugin> = (0..count)
            .map(|_| bridged(options, &options.gain_x86_64))
            .collect::<Result<_>>()?;
        for plugin in &plugins {
            plugin.start(SAMPLE_RATE, 64);
        }
        let (input, mut left, mut right) = (vec![0.1f32; 64], vec![0.0f32; 64], vec![0.0f32; 64]);
        let mut missed = 0;
        let mut busy = Vec::with_capacity(periods);
        let cpu_before = crate::plugins::cpu_time(std::process::id());
        let started = Instant::now();
        for index in 0..periods {
            let begin = Instant::now();
            for plugin in &plugins {
                plugin.process_replacing(&[&input, &input], &mut [&mut left, &mut right], 64)?;
            }
            let took = begin.elapsed();
            busy.push(took);
            if took > period {
                missed += 1;
            }
            let next = started + period * (index as u32 + 1);
            if let Some(wait) = next.checked_duration_since(Instant::now()) {
                std::thread::sleep(wait);
            }
        }
        let wall = started.elapsed();
        if realtime {
            bridge_ipc::os::set_current_realtime_priority(0)?;
        }
        let cpu = crate::plugins::cpu_time(std::process::id()).saturating_sub(cpu_before);
        let summary = Summary::of(&mut busy);
        let host = if realtime { "realtime host" } else { "ordinary host" };
        println!(
            "{count:>3} instances, {host}: per period median {:>7.1} µs, p99 {:>7.1} µs, p99.9 {:>7.1} µs, max {:>7.1} µs, missed {missed} of {periods}; host CPU {:.1}% of one core",
            summary.median_us,
            summary.p99_us,
            summary.p999_us,
            summary.max_us,
            cpu.as_secs_f64() / wall.as_secs_f64() * 100.0
        );
        let mut json = summary.to_json();
        json["missed_periods"] = serde_json::json!(missed);
        json["periods"] = serde_json::json!(periods);
        json["host_cpu_percent"] = serde_json::json!(cpu.as_secs_f64() / wall.as_secs_f64() * 100.0);
        let key = if realtime {
            format!("scale/{count}/realtime")
        } else {
            format!("scale/{count}")
        };
        results.insert(key, json);
    }
    Ok(())
}

/// The proportional set size of process `pid` (its own pages, plus its share of pages it
/// shares with others), in bytes.
fn proportional_memory(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup"))
        .ok()
        .and_then(|text| {
            text.lines()
                .find_map(|line| line.strip_prefix("Pss:"))
                .and_then(|value| value.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        })
        .map_or(0, |kib| kib * 1024)
}

/// Plugin groups against a server per instance: N bridged gain instances loaded one after
/// another (as a DAW opens a project) and each given a first block; start-up per instance,
/// and the servers' memory (PSS) per instance.
pub fn groups(options: &Options, results: &mut serde_json::Map<String, serde_json::Value>) -> Result<()> {
    let counts: &[usize] = if options.quick { &[1, 8] } else { &[1, 8, 32] };
    println!("\n== groups: N instances in a server each vs one group's server ==");
    for &count in counts {
        for grouped in [false, true] {
            let sidecar = if grouped {
                format!("{OPTIONS}group = \"bench {count} {}\"\n", std::process::id())
            } else {
                OPTIONS.to_owned()
            };
            // Installed before the clock starts, as a DAW finds its plugins installed.
            let proxies: Vec<_> = (0..count)
                .map(|_| vstbridge_test_support::install_proxy_from(&options.dist, &options.gain_x86_64, &sidecar))
                .collect();
            let started = Instant::now();
            let mut plugins = Vec::with_capacity(count);
            for proxy in &proxies {
                let plugin = Plugin::load(proxy, Arc::new(DefaultHost))?;
                plugin.start(SAMPLE_RATE, 64);
                let (input, mut left, mut right) = (vec![0.0f32; 64], vec![0.0f32; 64], vec![0.0f32; 64]);
                plugin.process_replacing(&[&input, &input], &mut [&mut left, &mut right], 64)?;
                plugins.push(plugin);
            }
            let took = started.elapsed();
            let mut servers: Vec<u32> = plugins
                .iter()
                .map(|plugin| vstbridge_test_support::proxy_status::server_pid(plugin) as u32)
                .collect();
            servers.sort_unstable();
            servers.dedup();
            let memory: u64 = servers.iter().map(|&pid| proportional_memory(pid)).sum();
            let mode = if grouped { "one group" } else { "a server each" };
            let per_instance_ms = took.as_secs_f64() * 1e3 / count as f64;
            let per_instance_mib = memory as f64 / count as f64 / (1 << 20) as f64;
            println!(
                "{count:>3} instances, {mode:<13}: {} server process(es); start-up {per_instance_ms:>7.1} ms per instance ({:>7.1} ms in all); server memory (PSS) {per_instance_mib:>6.2} MiB per instance ({:>7.1} MiB in all)",
                servers.len(),
                took.as_secs_f64() * 1e3,
                memory as f64 / (1 << 20) as f64,
            );
            results.insert(
                format!("groups/{count}/{}", if grouped { "group" } else { "separate" }),
                serde_json::json!({
                    "servers": servers.len(),
                    "startup_ms_per_instance": per_instance_ms,
                    "startup_ms_total": took.as_secs_f64() * 1e3,
                    "server_pss_mib_per_instance": per_instance_mib,
                    "server_pss_mib_total": memory as f64 / (1 << 20) as f64,
                }),
            );
            drop(plugins);
            for proxy in proxies {
                if let Some(folder) = proxy.parent() {
                    let _ = std::fs::remove_dir_all(folder);
                }
            }
        }
    }
    Ok(())
}

/// Median and p99 per block of `plugin` at `frames`, over `blocks` blocks after a warm-up.
fn block_times(plugin: &Plugin, frames: usize, blocks: usize) -> Result<Summary> {
    let info = plugin.info();
    plugin.start(SAMPLE_RATE, frames as i32);
    let input: Vec<f32> = (0..frames).map(|i| (i as f32 * 0.01).sin() * 0.5).collect();
    let inputs: Vec<&[f32]> = (0..info.num_inputs.max(0)).map(|_| input.as_slice()).collect();
    let mut outputs: Vec<Vec<f32>> = (0..info.num_outputs.max(0)).map(|_| vec![0.0f32; frames]).collect();
    let mut samples = Vec::with_capacity(blocks);
    for round in 0..blocks + blocks / 10 {
        let mut slices: Vec<&mut [f32]> = outputs.iter_mut().map(Vec::as_mut_slice).collect();
        let started = Instant::now();
        plugin.process_replacing(&inputs, &mut slices, frames)?;
        if round >= blocks / 10 {
            samples.push(started.elapsed());
        }
    }
    Ok(Summary::of(&mut samples))
}

/// An arm64 plugin (Debian's MaBitcrush) bridged to the aarch64 server under qemu-user,
/// beside its amd64 build loaded directly and bridged to the x86_64 server: per block.
pub fn emulated(options: &Options, results: &mut serde_json::Map<String, serde_json::Value>) -> Result<()> {
    let blocks = if options.quick { 500 } else { 5_000 };
    println!("\n== another instruction set: MaBitcrush arm64 under qemu-user, per block ==");
    let amd64 = vstbridge_test_support::real_plugin_for("amd64", "MaBitcrush-vst.so");
    let arm64 = vstbridge_test_support::real_plugin_for("arm64", "MaBitcrush-vst.so");
    for frames in [64, 512] {
        let rows = [
            ("amd64, direct", Plugin::load(&amd64, Arc::new(DefaultHost))?),
            ("amd64, bridged (x86_64 server)", bridged(options, &amd64)?),
            ("arm64, bridged (aarch64 server under qemu)", bridged(options, &arm64)?),
        ];
        for (name, plugin) in &rows {
            let summary = block_times(plugin, frames, blocks)?;
            println!(
                "{frames:>4} frames, {name:<42} median {:>8.1} µs   p99 {:>8.1} µs",
                summary.median_us, summary.p99_us
            );
            results.insert(format!("emulated/{frames}/{name}"), summary.to_json());
        }
    }
    Ok(())
}
