//! `vstbridge-handoff`: the audio handoff measured the same way on every system, so that
//! `cargo xtask bench` can put the Windows bridge (run under Wine) beside the Linux one: the
//! gain test plugin, one unpinned thread processing blocks back to back, loaded directly
//! and bridged (a proxy copy named after it beside a sidecar, as a DAW loads it, with the
//! bridge's defaults and `--options`), in alternating rounds so both see the same machine.
//! `--direct` names the build loaded directly when the bridged one cannot be (a Windows
//! DLL bridged from Linux). Prints one JSON object, with how long the bridged load took.
//!
//! Usage: `vstbridge-handoff --dist DIR --plugin PLUGIN [--direct PLUGIN] [--frames N]
//! [--blocks N] [--options TOML]`

#[path = "../stats.rs"]
mod stats;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use vst2_abi::constants::process_level;
use vst2_host::{Host, Plugin};

const ROUND: usize = 1_000;

/// A host whose every thread renders, as the one thread here does.
struct RenderingHost;

impl Host for RenderingHost {
    fn process_level(&self) -> isize {
        process_level::REALTIME
    }
}

fn run(plugin: &Plugin, input: &[f32], blocks: usize, times: &mut Vec<Duration>) -> Result<()> {
    let frames = input.len();
    let (mut left, mut right) = (vec![0.0f32; frames], vec![0.0f32; frames]);
    for _ in 0..blocks {
        let started = Instant::now();
        plugin.process_replacing(&[input, input], &mut [&mut left, &mut right], frames)?;
        times.push(started.elapsed());
    }
    Ok(())
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let value = |name: &str| args.iter().position(|a| a == name).and_then(|at| args.get(at + 1));
    let dist = PathBuf::from(value("--dist").context("--dist DIR is required")?);
    let plugin_path = PathBuf::from(value("--plugin").context("--plugin PLUGIN is required")?);
    let blocks: usize = value("--blocks")
        .map_or(Ok(20_000), |n| n.parse())
        .context("--blocks needs a number")?;
    let frames: usize = value("--frames")
        .map_or(Ok(64), |n| n.parse())
        .context("--frames needs a number")?;
    let direct_path = value("--direct").map_or_else(|| plugin_path.clone(), PathBuf::from);
    let options = value("--options").map_or("", String::as_str);

    let direct = Plugin::load(&direct_path, Arc::new(RenderingHost)).context("loading the plugin directly")?;
    let proxy = vstbridge_test_support::install_proxy_from(
        &dist,
        &plugin_path,
        &format!("block_deadline_floor_ms = 2000\nhang_timeout_ms = 10000\n{options}"),
    );
    let loading = Instant::now();
    let bridged = Plugin::load(&proxy, Arc::new(RenderingHost)).context("loading the plugin bridged")?;
    let load_seconds = loading.elapsed().as_secs_f64();
    for plugin in [&direct, &bridged] {
        plugin.start(48_000.0, frames as i32);
    }
    let input: Vec<f32> = (0..frames).map(|i| (i as f32 * 0.01).sin() * 0.5).collect();
    let (mut warm, mut direct_times, mut bridged_times) = (Vec::new(), Vec::new(), Vec::new());
    run(&direct, &input, ROUND, &mut warm)?;
    run(&bridged, &input, ROUND, &mut warm)?;
    let mut done = 0;
    while done < blocks {
        let round = ROUND.min(blocks - done);
        run(&direct, &input, round, &mut direct_times)?;
        run(&bridged, &input, round, &mut bridged_times)?;
        done += round;
    }
    let (direct_summary, bridged_summary) = (
        stats::Summary::of(&mut direct_times),
        stats::Summary::of(&mut bridged_times),
    );
    eprintln!("direct  {}", direct_summary.row());
    eprintln!("bridged {}", bridged_summary.row());
    let report = serde_json::json!({
        "direct": direct_summary.to_json(),
        "bridged": bridged_summary.to_json(),
        "overhead_us": bridged_summary.median_us - direct_summary.median_us,
        "frames": frames,
        "load_seconds": load_seconds,
    });
    println!("{report}");
    Ok(())
}
