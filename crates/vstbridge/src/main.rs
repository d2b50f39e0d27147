//! The `vstbridge` command. `vstbridge demo` bridges the bundled 32-bit test synth into
//! this 64-bit process, renders a phrase to a WAV file and reports what happened.

mod demo;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// vstbridge: run VST2 plugins in their own process, 32-bit ones in a 64-bit DAW included.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Bridge a 32-bit synth into this 64-bit process, render a phrase to a WAV file and
    /// report architectures, processes, blocks and the per-block cost of the bridge.
    Demo {
        /// The plugin to bridge (default: the bundled i686 test synth next to this build).
        #[arg(long)]
        plugin: Option<PathBuf>,
        /// The same plugin built for this process, loaded directly for comparison (default:
        /// the bundled x86_64 test synth).
        #[arg(long)]
        direct: Option<PathBuf>,
        /// The folder holding vstbridge-proxy.so and the servers (default: `bridge/` next
        /// to this executable).
        #[arg(long)]
        bridge_dir: Option<PathBuf>,
        /// Where to write the rendering.
        #[arg(long, short, default_value = "demo.wav")]
        output: PathBuf,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Demo {
            plugin,
            direct,
            bridge_dir,
            output,
        } => demo::run(demo::Options {
            plugin,
            direct,
            bridge_dir,
            output,
        }),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("vstbridge: {error:#}");
            ExitCode::FAILURE
        }
    }
}
