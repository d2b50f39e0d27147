//! The `vstbridge` command: find out what a plugin is (`probe`, `scan`), install proxies
//! into a DAW's plugin folder (`sync`), render audio through a plugin without a DAW
//! (`render`), and see the bridge at work (`demo`).

mod bridge_files;
mod demo;
mod editor;
mod probe;
mod render;
mod scan;
mod sync;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Result, bail};
use clap::{Parser, Subcommand, ValueEnum};

/// vstbridge: run VST2 plugins in their own process, 32-bit ones in a 64-bit DAW included.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// How `render` loads the plugin.
#[derive(Clone, Copy, ValueEnum)]
enum Mode {
    /// Through the bridge, in a server process of the plugin's architecture.
    Bridged,
    /// Into this process (only plugins of this process's architecture).
    Direct,
}

#[derive(Subcommand)]
enum Command {
    /// Load a plugin in a sandboxed server and print what it is: architecture, entry point,
    /// names, ID, category, I/O, flags, programs, parameters, canDo answers, latency.
    Probe {
        /// The plugin file.
        plugin: PathBuf,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
        /// Seconds the plugin gets to load.
        #[arg(long, default_value_t = 20.0)]
        timeout: f64,
        /// Where the proxy and servers are (default: beside this program).
        #[arg(long)]
        dist: Option<PathBuf>,
    },
    /// Probe every plugin under some folders in parallel sandboxes and summarise.
    Scan {
        /// Folders to scan (recursively).
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
        /// Plugins probed at once.
        #[arg(long, default_value_t = 2)]
        jobs: usize,
        /// Seconds each plugin gets to load.
        #[arg(long, default_value_t = 20.0)]
        timeout: f64,
        /// Where the proxy and servers are.
        #[arg(long)]
        dist: Option<PathBuf>,
    },
    /// Put a proxy for each plugin this host cannot load natively into a DAW's plugin
    /// folder (every 32-bit plugin; with --all, every plugin, for crash isolation).
    Sync {
        /// Folders holding the real plugins.
        #[arg(required = true)]
        sources: Vec<PathBuf>,
        /// The DAW's plugin folder.
        #[arg(long)]
        into: PathBuf,
        /// Bridge every plugin, not only those of another architecture.
        #[arg(long)]
        all: bool,
        /// Remove proxies whose plugin is gone.
        #[arg(long)]
        prune: bool,
        /// Only print what would be done.
        #[arg(long)]
        dry_run: bool,
        /// Where the proxy and servers are.
        #[arg(long)]
        dist: Option<PathBuf>,
        /// The DAW's architecture: a 32-bit DAW (`i686`) gets the 32-bit proxy, and its
        /// 64-bit plugins are bridged [default: this command's].
        #[arg(long, value_enum)]
        daw_arch: Option<DawArch>,
    },
    /// Process a WAV file (or play a MIDI file into an instrument) through a plugin offline.
    Render {
        /// The plugin file.
        plugin: PathBuf,
        /// Input WAV (instruments need none).
        #[arg(short, long)]
        input: Option<PathBuf>,
        /// Output WAV (32-bit float).
        #[arg(short, long)]
        output: PathBuf,
        /// MIDI file to play into the plugin.
        #[arg(long)]
        midi: Option<PathBuf>,
        /// Bridged (default) or loaded into this process.
        #[arg(long, value_enum, default_value_t = Mode::Bridged)]
        mode: Mode,
        /// Frames per block.
        #[arg(long, default_value_t = 512)]
        block: usize,
        /// Sample rate when there is no input file.
        #[arg(long)]
        sample_rate: Option<u32>,
        /// Set a parameter by name to a normalized value, e.g. --param Gain=0.7.
        #[arg(long = "param")]
        params: Vec<String>,
        /// Load this bank chunk first.
        #[arg(long)]
        chunk: Option<PathBuf>,
        /// Seconds rendered after the input or MIDI ends.
        #[arg(long, default_value_t = 0.0)]
        tail: f64,
        /// Seconds to render when there is neither input nor MIDI.
        #[arg(long)]
        length: Option<f64>,
        /// Where the proxy and servers are.
        #[arg(long)]
        dist: Option<PathBuf>,
    },
    /// Open a plugin's editor, bridged, in a window of its own (X11) until the window is
    /// closed.
    Editor {
        /// The plugin file.
        plugin: PathBuf,
        /// End after this many seconds instead of when the window is closed.
        #[arg(long)]
        seconds: Option<f64>,
        /// Where the proxy and servers are.
        #[arg(long)]
        dist: Option<PathBuf>,
    },
    /// Bridge a 32-bit synth into this 64-bit process, render a phrase to a WAV file and
    /// report architectures, processes, blocks and the per-block cost of the bridge.
    Demo {
        /// The plugin to bridge (default: the bundled i686 test synth next to this build).
        #[arg(long)]
        plugin: Option<PathBuf>,
        /// The same plugin built for this process, loaded directly for comparison.
        #[arg(long)]
        direct: Option<PathBuf>,
        /// The folder holding vstbridge-proxy.so and the servers.
        #[arg(long)]
        bridge_dir: Option<PathBuf>,
        /// Where to write the rendering.
        #[arg(long, short, default_value = "demo.wav")]
        output: PathBuf,
    },
}

/// The architectures of DAWs a proxy is built for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum DawArch {
    /// A 64-bit x86 DAW.
    #[value(name = "x86_64")]
    X86_64,
    /// A 32-bit x86 DAW.
    #[value(name = "i686")]
    I686,
}

fn main() -> ExitCode {
    match run(Cli::parse().command) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("vstbridge: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(command: Command) -> Result<ExitCode> {
    match command {
        Command::Editor { plugin, seconds, dist } => {
            let dist = bridge_files::dist_dir(dist.as_deref())?;
            editor::run(&plugin, &dist, seconds)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Probe {
            plugin,
            json,
            timeout,
            dist,
        } => {
            let dist = bridge_files::dist_dir(dist.as_deref())?;
            let report = probe::probe(&plugin, &dist, Duration::from_secs_f64(timeout));
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                print!("{}", probe::render_text(&report));
            }
            Ok(if report.is_ok() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        Command::Scan {
            dirs,
            json,
            jobs,
            timeout,
            dist,
        } => {
            let dist = bridge_files::dist_dir(dist.as_deref())?;
            let reports = scan::scan(&dirs, &dist, jobs, Duration::from_secs_f64(timeout))?;
            if json {
                println!("{}", serde_json::to_string_pretty(&reports)?);
            } else {
                let mut counts = std::collections::BTreeMap::new();
                for report in &reports {
                    let status = scan::status_of(report);
                    *counts.entry(status).or_insert(0) += 1;
                    let name = report["name"].as_str().unwrap_or("");
                    println!(
                        "{:<14} {:<8} {:<24} {}",
                        status,
                        report["architecture"].as_str().unwrap_or("?"),
                        name,
                        report["path"].as_str().unwrap_or("")
                    );
                }
                let summary: Vec<String> = counts
                    .iter()
                    .map(|(status, count)| format!("{count} {status}"))
                    .collect();
                println!("\n{} plugins: {}", reports.len(), summary.join(", "));
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Sync {
            sources,
            into,
            all,
            prune,
            dry_run,
            dist,
            daw_arch,
        } => {
            let dist = bridge_files::dist_dir(dist.as_deref())?;
            let report = sync::sync(&sync::SyncOptions {
                sources,
                into,
                all,
                prune,
                dry_run,
                dist,
                daw: match daw_arch {
                    Some(DawArch::X86_64) => vst2_host::Architecture::X86_64,
                    Some(DawArch::I686) => vst2_host::Architecture::X86,
                    None => vst2_host::Architecture::current(),
                },
            })?;
            let prefix = if dry_run { "would be " } else { "" };
            for (name, action) in &report {
                match action {
                    sync::Action::Skipped(reason) => println!("skipped    {name}: {reason}"),
                    other => println!("{prefix}{:<10} {name}", format!("{other:?}").to_lowercase()),
                }
            }
            if report.is_empty() {
                println!("nothing to bridge");
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Render {
            plugin,
            input,
            output,
            midi,
            mode,
            block,
            sample_rate,
            params,
            chunk,
            tail,
            length,
            dist,
        } => {
            if block == 0 {
                bail!("--block must be at least 1");
            }
            let options = render::RenderOptions {
                plugin,
                input,
                output,
                midi,
                bridged: matches!(mode, Mode::Bridged),
                block,
                sample_rate,
                params,
                chunk,
                tail,
                length,
                dist,
            };
            let frames = render::render(&options)?;
            println!("rendered {frames} frames to {}", options.output.display());
            Ok(ExitCode::SUCCESS)
        }
        Command::Demo {
            plugin,
            direct,
            bridge_dir,
            output,
        } => {
            demo::run(demo::Options {
                plugin,
                direct,
                bridge_dir,
                output,
            })?;
            Ok(ExitCode::SUCCESS)
        }
    }
}
