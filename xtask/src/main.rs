//! `cargo xtask`: the project's automation. Run `cargo xtask help` for the commands.

mod build;
mod fetch;
mod real_host;
mod test;
mod util;
mod windows;
mod windows_plugins;

use anyhow::{Result, bail};

const HELP: &str = "\
cargo xtask <command>

  demo            bridge the bundled 32-bit test synth into a 64-bit process and render demo.wav
  build           build the workspace for x86_64, and the server and test plugins for i686
  dist            release builds of the proxy and both servers in target/dist/, and the
                  Windows proxies, servers and vstbridge.exe in target/dist/windows/
  install         the dist of this system into the standard location, where a proxy copied
                  by hand beside a sidecar finds its servers (~/.local/lib/vstbridge/;
                  on Windows %LOCALAPPDATA%\\Programs\\vstbridge\\)
  test            build everything, fetch the real plugins, run every test on both architectures,
                  and the Windows tests (the bridge included) as x64 and x86 programs under Wine
  test-windows    only the Windows tests under Wine (sets up mingw-w64, Wine and a prefix)
  bench [--quick] [--periods N] [--only SECTION]
                   the audio-handoff benchmarks (table on stdout, JSON in target/bench/);
                   --periods: real-time periods per many-instances row (7,500);
                   --only limit|plugins|levers|patterns|extras|groups|emulated: one section
  soak [--count N] the kill/freeze loop with N faults (default 1000), with its report
  fuzz [--iterations N] [--seed S]
                  seeded fuzzing of all the proxy reads from a server (default 10^6 per target)
  fetch-plugins   unpack Debian's dpf-plugins-vst (amd64 and i386) into target/real-plugins
                  and install the i386 runtime libraries they need; build two of the same
                  plugins from Debian's sources as Windows DLLs (x64, x86) with mingw-w64
  help            this text
";

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("demo") => build::demo(),
        Some("build") => build::build_all(),
        Some("dist") => build::dist(),
        Some("install") => build::install(),
        Some("test") => test::test_all(),
        Some("test-windows") => test::test_windows(),
        Some("fetch-plugins") => fetch::fetch_plugins().and_then(|()| windows_plugins::build()),
        Some("soak") => test::soak(&args[1..]),
        Some("bench") => build::bench(&args[1..]),
        Some("fuzz") => build::fuzz(&args[1..]),
        Some("help" | "--help" | "-h") | None => {
            print!("{HELP}");
            Ok(())
        }
        Some(other) => bail!("unknown command `{other}`\n\n{HELP}"),
    }
}
