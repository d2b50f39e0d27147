//! The vstbridge server (`vstbridge-server-<arch>`): runs one real plugin in its own process.
//!
//! Foundation stage: it loads the plugin given on the command line, prints what it is, and
//! exits, which proves the i686 and x86_64 builds link the host library and can load
//! plugins of their own architecture.

use std::process::ExitCode;
use std::sync::Arc;

use vst2_host::{Architecture, DefaultHost, Plugin};

fn main() -> ExitCode {
    let Some(path) = std::env::args_os().nth(1) else {
        eprintln!("usage: vstbridge-server-{} PLUGIN", Architecture::current());
        return ExitCode::from(2);
    };
    match Plugin::load(&path, Arc::new(DefaultHost)) {
        Ok(plugin) => {
            let info = plugin.info();
            println!(
                "{}: {} in / {} out, {} parameters, {} programs, entry point {}",
                plugin.path().display(),
                info.num_inputs,
                info.num_outputs,
                info.num_params,
                info.num_programs,
                plugin.entry_point()
            );
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("vstbridge-server: {error}");
            ExitCode::FAILURE
        }
    }
}
