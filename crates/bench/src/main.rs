//! `vstbridge-bench`: what the audio handoff costs, measured side by side in one run.
//!
//! 1. **The limit**: a round trip between two processes on a futex in shared memory (the
//!    same doorbells the bridge uses) and on a unix socket, with both processes pinned to
//!    the same CPU and to different CPUs.
//! 2. **Direct vs bridged**: the `gain` test plugin, 2 channels, at 32, 64, 512 and 4096
//!    frames: loaded into this process, bridged to an x86_64 server, bridged to an i686
//!    server. Per block: median, p99, p99.9, max; CPU time of both processes; overhead =
//!    bridged − direct, and its ratio to the same-CPU futex round trip. Beside them, the
//!    **socket-synced baseline**: the same bridge with each block's wake and wait sent as a
//!    message on a socket (`bench_socket_wake`), and the bridge without CPU following.
//! 3. **Levers** (see `levers`): CPU following, the spin across CPUs, realtime priority
//!    under a CPU hog, and region locking, each against its absence.
//! 4. **Host patterns** (see `patterns`): unpinned, a worker pool, real-time pacing with and
//!    without a CPU hog, for every lever setting, and through a real host (DawDreamer).
//! 5. **Allocations** per block in proxy and server, from their counting allocators (must
//!    be 0; the run fails otherwise).
//! 6. **Parameters**: set/get from the audio thread and from another thread, and string
//!    queries. **Start-up**: loading to first block. **Scale**: 1, 8 (and 32) bridged
//!    instances at a 48 kHz pace, missed periods and CPU. **Groups**: 1, 8 (and 32)
//!    instances in a server each and in one group's server: start-up and server memory
//!    (PSS) per instance. **Emulated**: an arm64 plugin under qemu-user against its amd64
//!    build, per block.
//!
//! Results go to stdout as a table and to `target/bench/results.json`. `cargo xtask bench`
//! builds everything in release mode and runs this with the right paths.

mod extras;
mod levers;
mod limit;
mod patterns;
mod plugins;
mod stats;

use std::path::PathBuf;

use anyhow::{Context, Result, bail};

/// Command-line options (no clap: this is a developer tool driven by xtask).
struct Options {
    quick: bool,
    /// Periods per row of the many-instances table (`--periods`).
    periods: Option<usize>,
    /// Only this section (`--only limit|plugins|levers|patterns|extras|groups|emulated`), for a developer
    /// trying one thing; results.json then holds only its rows.
    only: Option<String>,
    dist: PathBuf,
    gain_x86_64: PathBuf,
    gain_i686: PathBuf,
    json: PathBuf,
}

fn parse() -> Result<Option<Options>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("echo-futex") => {
            limit::echo_futex(&args[1], args[2].parse()?)?;
            return Ok(None);
        }
        Some("echo-socket") => {
            limit::echo_socket(&args[1], args[2].parse()?)?;
            return Ok(None);
        }
        _ => {}
    }
    let value = |name: &str| -> Result<PathBuf> {
        let at = args
            .iter()
            .position(|a| a == name)
            .with_context(|| format!("{name} is required"))?;
        Ok(PathBuf::from(
            args.get(at + 1).with_context(|| format!("{name} needs a value"))?,
        ))
    };
    Ok(Some(Options {
        quick: args.iter().any(|a| a == "--quick"),
        periods: match args.iter().position(|a| a == "--periods") {
            Some(at) => Some(
                args.get(at + 1)
                    .and_then(|n| n.parse().ok())
                    .context("--periods needs a number")?,
            ),
            None => None,
        },
        only: match args.iter().position(|a| a == "--only") {
            Some(at) => Some(args.get(at + 1).context("--only needs a section")?.clone()),
            None => None,
        },
        dist: value("--dist")?,
        gain_x86_64: value("--gain-x86_64")?,
        gain_i686: value("--gain-i686")?,
        json: value("--json")?,
    }))
}

fn main() -> Result<()> {
    let Some(options) = parse()? else { return Ok(()) };
    let mut results = serde_json::Map::new();
    println!(
        "vstbridge bench ({}); times per round trip or block, in microseconds",
        if options.quick { "quick" } else { "full" }
    );
    println!(
        "machine: {} CPUs",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );

    let runs = |section: &str| options.only.as_deref().is_none_or(|only| only == section);
    let mut futex_same_cpu = 0.0;
    if runs("limit") {
        let limits = limit::measure(options.quick)?;
        println!("\n== the limit: two processes, round trip ==");
        println!("{:<34} {:>9} {:>9} {:>9} {:>9}", "", "median", "p99", "p99.9", "max");
        for (name, summary) in &limits {
            println!("{name:<34} {}", summary.row());
            results.insert(format!("limit/{name}"), summary.to_json());
        }
        futex_same_cpu = limits
            .iter()
            .find(|(name, _)| name == "futex, same CPU")
            .map(|(_, s)| s.median_us)
            .unwrap_or(0.0);
    }
    let mut allocations = 0;
    if runs("plugins") {
        println!("\n== gain, 2 channels: direct vs bridged, per block ==");
        let rows = plugins::measure(&options, futex_same_cpu, &mut results)?;
        allocations = rows.iter().map(|row| row.allocations).sum();
    }
    if runs("levers") {
        levers::measure(&options, &mut results)?;
    }
    if runs("patterns") {
        patterns::measure(&options, &mut results)?;
    }
    if runs("extras") {
        extras::parameters(&options, &mut results)?;
        extras::startup(&options, &mut results)?;
        extras::scale(&options, &mut results)?;
    }
    if runs("groups") {
        extras::groups(&options, &mut results)?;
    }
    if runs("emulated") {
        extras::emulated(&options, &mut results)?;
    }
    std::fs::create_dir_all(options.json.parent().context("json path has a folder")?)?;
    std::fs::write(
        &options.json,
        serde_json::to_string_pretty(&serde_json::Value::Object(results))?,
    )?;
    println!("\nresults written to {}", options.json.display());
    if allocations != 0 {
        bail!("the audio path allocated {allocations} times in proxy or server; it must not allocate at all");
    }
    println!("allocations per block in proxy and server: 0");
    Ok(())
}
