//! `vstbridge-handoff`: the audio handoff measured the same way on every system, so that
//! `cargo xtask bench` can put the Windows bridge (run under Wine) beside the Linux one: the
//! gain test plugin at 64 frames, one unpinned thread processing blocks back to back,
//! loaded directly and bridged (a proxy copy named after it beside a sidecar, as a DAW
//! loads it, with the bridge's defaults), in alternating rounds so both see the same
//! machine. Prints one JSON object.
//!
//! Usage: `vstbridge-handoff --dist DIR --plugin PLUGIN [--blocks N]`

#[path = "../stats.rs"]
mod stats;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use vst2_abi::constants::process_level;
use vst2_host::{Host, Plugin};

const FRAMES: usize = 64;
const ROUND: usize = 1_000;

/// A host whose every thread renders, as the one thread here does.
struct RenderingHost;

impl Host for RenderingHost {
    fn process_level(&self) -> isize {
        process_level::REALTIME
    }
}

fn run(plugin: &Plugin, input: &[f32], blocks: usize, times: &mut Vec<Duration>) -> Result<()> {
    let (mut left, mut right) = (vec![0.0f32; FRAMES], vec![0.0f32; FRAMES]);
    for _ in 0..blocks {
        let started = Instant::now();
        plugin.process_replacing(&[input, input], &mut [&mut left, &mut right], FRAMES)?;
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

    let direct = Plugin::load(&plugin_path, Arc::new(RenderingHost)).context("loading the plugin directly")?;
    let proxy = vstbridge_test_support::install_proxy_from(
        &dist,
        &plugin_path,
        "block_deadline_floor_ms = 2000\nhang_timeout_ms = 10000\n",
    );
    let bridged = Plugin::load(&proxy, Arc::new(RenderingHost)).context("loading the plugin bridged")?;
    for plugin in [&direct, &bridged] {
        plugin.start(48_000.0, FRAMES as i32);
    }
    let input: Vec<f32> = (0..FRAMES).map(|i| (i as f32 * 0.01).sin() * 0.5).collect();
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
    });
    println!("{report}");
    Ok(())
}
