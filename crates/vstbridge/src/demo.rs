//! `vstbridge demo`: the main job on a bundled default. A copy of the proxy is installed in
//! a temporary folder with a sidecar naming the 32-bit test synth, loaded into this 64-bit
//! process like a DAW would, and played a short phrase; the same phrase is rendered by the
//! synth's 64-bit build loaded directly, so the output can be compared sample for sample
//! and the bridge's cost per block measured.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use vst2_host::{Architecture, BinaryInfo, DefaultHost, EventList, Plugin};

use crate::bridge_files::load_sandboxed;

const SAMPLE_RATE: f32 = 48_000.0;
const BLOCK: usize = 256;
/// The phrase: (start block, MIDI note, length in blocks).
const PHRASE: [(usize, u8, usize); 8] = [
    (0, 60, 60),
    (60, 64, 60),
    (120, 67, 60),
    (180, 72, 120),
    (180, 64, 120),
    (300, 65, 60),
    (360, 62, 60),
    (420, 60, 180),
];
const BLOCKS: usize = 660;

/// What to demonstrate with.
pub struct Options {
    /// The plugin to bridge.
    pub plugin: Option<PathBuf>,
    /// Its native twin, loaded directly.
    pub direct: Option<PathBuf>,
    /// Where the proxy and servers are.
    pub bridge_dir: Option<PathBuf>,
    /// The WAV file to write.
    pub output: PathBuf,
}

/// Runs the demo.
pub fn run(options: Options) -> Result<()> {
    let build = std::env::current_exe()?
        .parent()
        .context("the executable has a folder")?
        .to_path_buf();
    let target = build.parent().context("the build folder has a parent")?;
    // The bundled synth is built in the same profile (debug or release) as this program.
    let profile = build.file_name().context("the build folder has a name")?;
    let plugin = options.plugin.unwrap_or_else(|| {
        target
            .join("i686-unknown-linux-gnu")
            .join(profile)
            .join("libtest_plugin_synth.so")
    });
    let direct = options.direct.unwrap_or_else(|| build.join("libtest_plugin_synth.so"));
    let bridge_dir = options.bridge_dir.unwrap_or_else(|| build.join("bridge"));
    for (what, path) in [
        ("plugin", &plugin),
        ("direct plugin", &direct),
        ("proxy", &bridge_dir.join("vstbridge-proxy.so")),
    ] {
        if !path.is_file() {
            bail!(
                "the {what} {} is missing; build everything with `cargo xtask demo`",
                path.display()
            );
        }
    }
    let plugin_arch = BinaryInfo::read(&plugin)?.architecture;
    println!("this process:    {}", Architecture::current().describe());
    println!("plugin:          {} ({})", plugin.display(), plugin_arch.describe());

    let sandboxed = load_sandboxed(&plugin, &bridge_dir, "", Arc::new(DefaultHost))?;
    let bridged = &sandboxed.plugin;
    println!(
        "bridged through: a copy of {} -> vstbridge-server-{} (a separate process)",
        bridge_dir.join(crate::bridge_files::PROXY).display(),
        plugin_arch.name()
    );
    let servers = server_processes(plugin_arch);
    if !servers.is_empty() {
        println!("server process:  pid {}", servers.join(", "));
    }

    let (bridged_audio, bridged_times) = render(bridged)?;
    let direct_plugin = Plugin::load(&direct, Arc::new(DefaultHost))?;
    let (direct_audio, direct_times) = render(&direct_plugin)?;
    crate::render::write_wav(&options.output, &bridged_audio, SAMPLE_RATE as u32)?;

    let identical = bridged_audio == direct_audio;
    let (bridged_median, direct_median) = (median(&bridged_times), median(&direct_times));
    println!(
        "rendered:        {BLOCKS} blocks of {BLOCK} frames at {SAMPLE_RATE} Hz, {:.1} s, to {}",
        (BLOCKS * BLOCK) as f32 / SAMPLE_RATE,
        options.output.display()
    );
    println!(
        "per block:       bridged median {bridged_median:?}, direct median {direct_median:?}, overhead {:?}",
        bridged_median.saturating_sub(direct_median)
    );
    println!(
        "compared with the {} build loaded directly: {}",
        Architecture::current().name(),
        if identical {
            "identical, sample for sample"
        } else {
            "DIFFERENT"
        }
    );
    if !identical {
        bail!("the bridged rendering differs from the direct one");
    }
    Ok(())
}

/// Plays the phrase; returns the audio (left, right) and each block's duration.
fn render(synth: &Plugin) -> Result<(Vec<Vec<f32>>, Vec<Duration>)> {
    synth.start(SAMPLE_RATE, BLOCK as i32);
    synth.set_parameter(0, 0.7);
    let (mut left, mut right) = (vec![0.0f32; BLOCK], vec![0.0f32; BLOCK]);
    let mut events = EventList::with_capacity(16);
    let mut audio = vec![Vec::with_capacity(BLOCKS * BLOCK), Vec::with_capacity(BLOCKS * BLOCK)];
    let mut times = Vec::with_capacity(BLOCKS);
    for block in 0..BLOCKS {
        events.clear();
        for &(start, note, length) in &PHRASE {
            if block == start {
                events.push_midi_bytes(0, [0x90, note, 96]);
            }
            if block == start + length {
                events.push_midi_bytes(0, [0x80, note, 0]);
            }
        }
        let started = Instant::now();
        synth.process_events(&mut events);
        synth.process_replacing(&[], &mut [&mut left, &mut right], BLOCK)?;
        times.push(started.elapsed());
        audio[0].extend_from_slice(&left);
        audio[1].extend_from_slice(&right);
    }
    Ok((audio, times))
}

fn median(times: &[Duration]) -> Duration {
    let mut sorted = times.to_vec();
    sorted.sort();
    sorted[sorted.len() / 2]
}

/// Process ids of running servers for `arch` that are children of this process.
fn server_processes(arch: Architecture) -> Vec<String> {
    let me = std::process::id().to_string();
    // The kernel cuts a process's name (`comm`) to 15 characters.
    let name = "vstbridge-serve";
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|entry| entry.ok())
        .filter_map(|entry| {
            let stat = std::fs::read_to_string(entry.path().join("stat")).ok()?;
            let (comm, rest) = stat.split_once(") ")?;
            let parent = rest.split_whitespace().nth(1)?;
            (comm.contains(name) && parent == me)
                .then(|| format!("{} ({})", entry.file_name().to_string_lossy(), arch.name()))
        })
        .collect()
}
