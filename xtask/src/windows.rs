//! Windows targets, run under Wine: the two mingw-w64 targets (linkers and `runner = "wine"`
//! are in `.cargo/config.toml`), Debian's Wine for 64- and 32-bit programs, a prefix of our
//! own under `target/wine-prefix`, and the one thing Wine 8.0 lacks for Rust programs
//! (`ProcessPrng`, see `wine/bcryptprimitives.c`). Already-present pieces are left alone.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::util::{run, succeeds, target_dir};

/// The Windows targets: 64-bit and 32-bit, as DAWs and plugins come.
pub const WINDOWS_TARGETS: [&str; 2] = ["x86_64-pc-windows-gnu", "i686-pc-windows-gnu"];

/// Crates whose tests run as Windows programs under Wine (the ABI's layouts under the
/// Windows C ABI, the wire format), and the test targets of each (`--lib` and named tests:
/// the C-header test drives a Linux C compiler and stays on Linux).
pub const WINDOWS_TESTS: [(&str, &[&str]); 6] = [
    ("vst2-abi", &["--lib", "--test", "layout"]),
    ("bridge-proto", &["--lib", "--tests"]),
    // The Windows OS layer: named pipes with timeouts, sections, events and handles handed
    // to a second process.
    ("bridge-ipc", &["--lib", "--test", "os_layer"]),
    // Our test plugins as DLLs, loaded and played by the host library (LoadLibrary).
    (
        "vst2-host",
        &["--lib", "--test", "own_plugins", "--test", "load_errors"],
    ),
    // The bridge itself: the proxy DLL in a Windows test program, the server .exe of either
    // width, crashes, hangs, restarts with state, a killed host. Freezing a server
    // (SIGSTOP) has no Windows counterpart, so that test is Linux-only. Two hostile tests
    // stay on Linux too: the plugin's resize attempt reads /proc/self/maps, and 20,000
    // callbacks in one call outlast its 2 s budget under Wine, where every pipe read and
    // write is a wineserver round trip (measured: the call times out).
    (
        "vstbridge-tests",
        &[
            "--test",
            "bridged_test_plugins",
            "--test",
            "reentrancy",
            "--test",
            "bad_input",
            "--test",
            "hostile",
            "--test",
            "faults",
            "--test",
            "windows_real_plugins",
            "--",
            "--skip",
            "hostile_attempts_to_resize_the_region_are_refused",
            "--skip",
            "hostile_huge_strings_and_floods_of_callbacks_return_within_the_deadline",
        ],
    ),
    // `vstbridge.exe`: sync (proxies for the other width's plugins, a second sync idle),
    // probe, scan and render.
    ("vstbridge", &["--test", "sync_own_plugins"]),
];

/// The test plugins built as DLLs for both Windows targets before the tests.
const WINDOWS_TEST_PLUGINS: [&str; 7] = [
    "test-plugin-editor",
    "test-plugin-gain",
    "test-plugin-synth",
    "test-plugin-probe",
    "test-plugin-crash",
    "test-plugin-hang",
    "test-plugin-hostile",
];

/// Builds the test plugins, the proxy DLL and the server for every Windows target (the
/// tests load and bridge the other target's too), checks that each DLL exports undecorated
/// `VSTPluginMain` and `main`, and assembles each target's bridge folder
/// (`target/<target>/debug/bridge/`, laid out as the dist).
pub fn build_test_plugins() -> Result<()> {
    for target in WINDOWS_TARGETS {
        let packages: Vec<&str> = ["vstbridge-proxy", "vstbridge-server"]
            .into_iter()
            .chain(WINDOWS_TEST_PLUGINS)
            .collect();
        build_for(target, crate::build::Profile::Debug, &packages)?;
        for package in WINDOWS_TEST_PLUGINS.iter().chain(&["vstbridge-proxy"]) {
            let dll = target_dir()
                .join(target)
                .join("debug")
                .join(format!("{}.dll", package.replace('-', "_")));
            crate::build::check_exports(&dll)?;
        }
    }
    for target in WINDOWS_TARGETS {
        assemble_bridge(target)?;
        build_c_dependency_plugin(target)?;
    }
    Ok(())
}

/// `target/<target>/debug/c-dependency/`: a C plugin and the DLL it imports
/// (`crates/test-plugins/c-dependency`), for the test that a plugin finds the DLLs beside
/// it. Built with mingw-w64's gcc against our C header.
fn build_c_dependency_plugin(target: &str) -> Result<()> {
    let sources = crate::util::workspace_root().join("crates/test-plugins/c-dependency");
    let out = target_dir().join(target).join("debug").join("c-dependency");
    std::fs::create_dir_all(&out)?;
    let gcc = mingw_gcc(target);
    run(Command::new(gcc)
        .args(["-shared", "-O2", "-static-libgcc", "-o"])
        .arg(out.join("vstbridge_test_dependency.dll"))
        .arg(sources.join("dependency.c"))
        .arg(format!(
            "-Wl,--out-implib,{}",
            out.join("libvstbridge_test_dependency.a").display()
        )))?;
    run(Command::new(gcc)
        .args(["-shared", "-O2", "-static-libgcc", "-Wall", "-Werror", "-I"])
        .arg(crate::util::workspace_root().join("include"))
        .arg("-o")
        .arg(out.join("test_plugin_with_dependency.dll"))
        .arg(sources.join("plugin.c"))
        .arg(out.join("libvstbridge_test_dependency.a")))
}

/// `cargo xtask bench`'s Windows rows: `vstbridge-handoff` (the gain plugin at 64 frames,
/// back to back, direct and bridged) built for Linux and for both Windows targets and run
/// side by side: natively, and under Wine as x64 and x86 programs with the Windows proxy and
/// servers (each bridging the plugin of its own width). Printed, and added to
/// `target/bench/results.json`. Wine's timings say little about real Windows.
pub fn bench_handoff(quick: bool, linux_release: &Path) -> Result<()> {
    let wine = ensure_windows()?;
    let blocks = if quick { "3000" } else { "20000" };
    for target in WINDOWS_TARGETS {
        build_for(
            target,
            crate::build::Profile::Release,
            &["vstbridge-proxy", "vstbridge-server", "test-plugin-gain"],
        )?;
        run(crate::util::cargo().args([
            "build",
            "--release",
            "--target",
            target,
            "-p",
            "vstbridge-bench",
            "--bin",
            "vstbridge-handoff",
        ]))?;
    }
    for target in WINDOWS_TARGETS {
        assemble(
            crate::build::Profile::Release,
            &target_dir().join(target).join("release").join("bridge"),
            false,
        )?;
    }
    let measure = |mut command: Command| handoff_report(&mut command);
    // `run` starts the program; `path` spells a path for it (Wine's Z: drive is the Linux
    // root: a Windows program would read /work as C:\work).
    let handoff = |mut command: Command, dir: &Path, plugin: &str, path: &dyn Fn(PathBuf) -> String| {
        command
            .arg("--dist")
            .arg(path(dir.join("bridge")))
            .arg("--plugin")
            .arg(path(dir.join(plugin)))
            .args(["--blocks", blocks])
            .env("VSTBRIDGE_LOG", "warn");
        command
    };
    let linux_path = |path: PathBuf| path.display().to_string();
    let wine_path = |path: PathBuf| format!("Z:{}", path.display()).replace('/', "\\");
    let mut rows = vec![(
        "Linux x86_64".to_owned(),
        measure(handoff(
            Command::new(linux_release.join("vstbridge-handoff")),
            linux_release,
            "libtest_plugin_gain.so",
            &linux_path,
        ))?,
    )];
    for target in WINDOWS_TARGETS {
        let dir = target_dir().join(target).join("release");
        let mut wine_command = Command::new("wine");
        wine_command.arg(dir.join("vstbridge-handoff.exe"));
        wine.apply(&mut wine_command);
        let command = handoff(wine_command, &dir, "test_plugin_gain.dll", &wine_path);
        rows.push((format!("Windows {} under Wine", server_arch(target)), measure(command)?));
    }
    println!("\n== the handoff, Windows builds under Wine beside Linux: gain, 64 frames, back to back ==");
    println!(
        "{:<26} {:>9} {:>9} {:>9} {:>10}",
        "", "direct", "bridged", "p99", "overhead"
    );
    let mut results = serde_json::Map::new();
    for (name, row) in &rows {
        let median = |side: &str| row[side]["median_us"].as_f64().unwrap_or(f64::NAN);
        println!(
            "{name:<26} {:>9.1} {:>9.1} {:>9.1} {:>10.1}",
            median("direct"),
            median("bridged"),
            row["bridged"]["p99_us"].as_f64().unwrap_or(f64::NAN),
            row["overhead_us"].as_f64().unwrap_or(f64::NAN)
        );
        results.insert(format!("handoff/{name}"), row.clone());
    }
    println!(
        "(Wine turns every Windows wait into a trip through wineserver and its own scheduling; these rows say little about real Windows.)"
    );
    results.extend(bench_linux_proxy_under_wine(quick, linux_release, &wine)?);
    let path = target_dir().join("bench").join("results.json");
    let mut all: serde_json::Map<String, serde_json::Value> = std::fs::read(&path)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default();
    all.extend(results);
    std::fs::create_dir_all(target_dir().join("bench"))?;
    std::fs::write(&path, serde_json::to_string_pretty(&serde_json::Value::Object(all))?)?;
    Ok(())
}

/// Runs a `vstbridge-handoff` command and reads the JSON report it prints last.
fn handoff_report(command: &mut Command) -> Result<serde_json::Value> {
    let output = command.output().context("cannot run vstbridge-handoff")?;
    if !output.status.success() {
        anyhow::bail!("vstbridge-handoff failed: {}", String::from_utf8_lossy(&output.stderr));
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout.lines().rev().find(|line| line.starts_with('{')).unwrap_or("");
    serde_json::from_str(line).with_context(|| format!("vstbridge-handoff printed no report: {stdout}"))
}

/// `cargo xtask bench`'s rows for Windows plugins in a Linux host: the Linux
/// `vstbridge-handoff` bridging the Windows gain DLLs through the Linux proxy to the Windows
/// servers under Wine, at 64 and 512 frames, with each doorbell (the futex where this Wine
/// allows it, pipes) and with every block sent as a message on the control pipes (the
/// socket-synced design), beside the Linux server bridging the Linux gain; the direct row is
/// always the Linux gain in process. Then a server's start under a cold and a warm Wine.
fn bench_linux_proxy_under_wine(
    quick: bool,
    linux_release: &Path,
    wine: &WineEnvironment,
) -> Result<Vec<(String, serde_json::Value)>> {
    let dist = linux_release.join("bridge");
    add_servers_for_wine(crate::build::Profile::Release, &dist)?;
    let linux_gain = linux_release.join("libtest_plugin_gain.so");
    let windows_gain = |target: &str| target_dir().join(target).join("release").join("test_plugin_gain.dll");
    let blocks = if quick { "3000" } else { "20000" };
    let handoff = |plugin: &Path, frames: usize, blocks: &str, options: &str| -> Result<serde_json::Value> {
        let mut command = Command::new(linux_release.join("vstbridge-handoff"));
        command
            .arg("--dist")
            .arg(&dist)
            .arg("--plugin")
            .arg(plugin)
            .arg("--direct")
            .arg(&linux_gain)
            .args([
                "--frames",
                &frames.to_string(),
                "--blocks",
                blocks,
                "--options",
                options,
            ])
            .env("VSTBRIDGE_LOG", "warn");
        wine.apply(&mut command);
        handoff_report(&mut command)
    };
    let (x64, x86) = (WINDOWS_TARGETS[0], WINDOWS_TARGETS[1]);
    let (pipe, futex) = ("wine_doorbell = \"pipe\"\n", "wine_doorbell = \"futex\"\n");
    let synced = "bench_socket_wake = true\n";
    // The defaults are the futex for x64 (where this Wine allows it) and pipes for x86.
    let configurations: [(&str, PathBuf, &str); 8] = [
        ("Linux server", linux_gain.clone(), ""),
        ("Linux server, socket-synced", linux_gain.clone(), synced),
        ("Wine x64, default (futex)", windows_gain(x64), ""),
        ("Wine x64, pipe doorbell", windows_gain(x64), pipe),
        ("Wine x64, pipe-synced", windows_gain(x64), synced),
        ("Wine x86, default (pipe)", windows_gain(x86), ""),
        ("Wine x86, futex doorbell", windows_gain(x86), futex),
        ("Wine x86, pipe-synced", windows_gain(x86), synced),
    ];
    let version = Command::new("wine")
        .arg("--version")
        .output()
        .map_or(String::new(), |output| {
            String::from_utf8_lossy(&output.stdout).trim().to_owned()
        });
    println!(
        "\n== Windows plugins in a Linux host: the Linux proxy, the Windows server under Wine ({version}); gain, back to back =="
    );
    println!(
        "{:<8} {:<30} {:>9} {:>9} {:>9} {:>10}",
        "frames", "", "direct", "bridged", "p99", "overhead"
    );
    let mut rows = Vec::new();
    for frames in [64, 512] {
        for (name, plugin, options) in &configurations {
            let row = handoff(plugin, frames, blocks, options)?;
            let median = |side: &str| row[side]["median_us"].as_f64().unwrap_or(f64::NAN);
            println!(
                "{frames:<8} {name:<30} {:>9.1} {:>9.1} {:>9.1} {:>10.1}",
                median("direct"),
                median("bridged"),
                row["bridged"]["p99_us"].as_f64().unwrap_or(f64::NAN),
                row["overhead_us"].as_f64().unwrap_or(f64::NAN)
            );
            rows.push((format!("linux-proxy-wine/{frames}/{name}"), row));
        }
    }
    // Start-up: the first server after the prefix's wineserver is gone, then the next one.
    let mut stop = Command::new("wineserver");
    stop.arg("-k");
    wine.apply(&mut stop);
    let _ = stop.status();
    let mut wait = Command::new("wineserver");
    wait.arg("-w");
    wine.apply(&mut wait);
    let _ = wait.status();
    for start in ["cold", "warm"] {
        let row = handoff(&windows_gain(x64), 64, "100", "")?;
        let seconds = row["load_seconds"].as_f64().unwrap_or(f64::NAN);
        println!("loading the x64 plugin under a {start} Wine: {seconds:.2} s");
        rows.push((
            format!("linux-proxy-wine/start/{start}"),
            serde_json::json!({ "load_seconds": seconds }),
        ));
    }
    Ok(rows)
}

/// `cargo build` of `packages` for `target` in `profile`.
fn build_for(target: &str, profile: crate::build::Profile, packages: &[&str]) -> Result<()> {
    let mut build = crate::util::cargo();
    build.args(["build", "--target", target]);
    if matches!(profile, crate::build::Profile::Release) {
        build.arg("--release");
    }
    for package in packages {
        build.args(["-p", package]);
    }
    run(&mut build)
}

/// The architecture name a server built for `target` is installed under.
pub fn server_arch(target: &str) -> &'static str {
    if target.starts_with("x86_64") { "x86_64" } else { "i686" }
}

/// The folders beside a Linux proxy's servers that hold the Windows servers it runs under
/// Wine (`windows-<arch>/`), with the file names inside them; see [`add_servers_for_wine`].
pub const WINE_SERVER_FILES: [&str; 4] = [
    "windows-x86_64/vstbridge-server-x86_64.exe",
    "windows-x86_64/bcryptprimitives.dll",
    "windows-i686/vstbridge-server-i686.exe",
    "windows-i686/bcryptprimitives.dll",
];

/// Copies both Windows servers of `profile` into the Linux bridge folder `dest`, each in a
/// folder of its own (`windows-<arch>/`) with the `ProcessPrng` stand-in beside it: a Wine
/// before 8.13 lacks `ProcessPrng`, which every Rust program imports, and loads a DLL from
/// the program's own folder first, so the servers run in any prefix without touching it.
/// (One folder each: a 64-bit and a 32-bit DLL of one name cannot share a folder.)
pub fn add_servers_for_wine(profile: crate::build::Profile, dest: &Path) -> Result<()> {
    for target in WINDOWS_TARGETS {
        let arch = server_arch(target);
        let folder = dest.join(format!("windows-{arch}"));
        std::fs::create_dir_all(&folder)?;
        let copies = [
            (
                target_dir()
                    .join(target)
                    .join(profile.dir())
                    .join("vstbridge-server.exe"),
                format!("vstbridge-server-{arch}.exe"),
            ),
            (build_process_prng(target)?, "bcryptprimitives.dll".to_owned()),
        ];
        for (from, name) in copies {
            let to = folder.join(name);
            // Replace rather than overwrite in place: a running server keeps its old file.
            let _ = std::fs::remove_file(&to);
            std::fs::copy(&from, &to).with_context(|| format!("cannot copy {} to {}", from.display(), to.display()))?;
        }
    }
    Ok(())
}

/// `target/<target>/debug/bridge/`: the proxies and servers of both widths, named as in the
/// dist.
fn assemble_bridge(target: &str) -> Result<()> {
    assemble(
        crate::build::Profile::Debug,
        &target_dir().join(target).join("debug").join("bridge"),
        false,
    )
}

/// Copies the proxies and servers of both Windows targets from `profile` into `dest` as
/// `vstbridge-proxy-<arch>.dll` and `vstbridge-server-<arch>.exe`, and with `command` the
/// x64 `vstbridge.exe` too.
fn assemble(profile: crate::build::Profile, dest: &Path, command: bool) -> Result<()> {
    let built = |target: &str| target_dir().join(target).join(profile.dir());
    std::fs::create_dir_all(dest)?;
    let mut copies = Vec::new();
    for target in WINDOWS_TARGETS {
        let arch = server_arch(target);
        copies.push((
            built(target).join("vstbridge_proxy.dll"),
            format!("vstbridge-proxy-{arch}.dll"),
        ));
        copies.push((
            built(target).join("vstbridge-server.exe"),
            format!("vstbridge-server-{arch}.exe"),
        ));
    }
    if command {
        copies.push((
            built(WINDOWS_TARGETS[0]).join("vstbridge.exe"),
            "vstbridge.exe".to_owned(),
        ));
    }
    for (from, name) in copies {
        let to = dest.join(name);
        // Replace rather than overwrite in place: a running server keeps its old file.
        let _ = std::fs::remove_file(&to);
        std::fs::copy(&from, &to).with_context(|| format!("cannot copy {} to {}", from.display(), to.display()))?;
    }
    Ok(())
}

/// The mingw-w64 C compiler of a Windows target.
fn mingw_gcc(target: &str) -> &'static str {
    if target.starts_with("x86_64") {
        "x86_64-w64-mingw32-gcc"
    } else {
        "i686-w64-mingw32-gcc"
    }
}

/// An Xvfb server on a free display for Windows programs that make windows under Wine;
/// killed on drop.
pub struct Xvfb {
    child: std::process::Child,
    name: String,
}

impl Xvfb {
    /// Starts one and waits until it reports its display.
    pub fn start() -> Result<Self> {
        use std::io::Read;
        let mut child = Command::new("Xvfb")
            .args(["-displayfd", "1", "-nolisten", "tcp", "-screen", "0", "1280x800x24"])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .context("Xvfb is needed for the Windows editor test: sudo apt-get install xvfb")?;
        let mut stdout = child.stdout.take().context("Xvfb's stdout")?;
        let mut number = String::new();
        let mut byte = [0u8; 1];
        while stdout.read(&mut byte)? == 1 && byte[0] != b'\n' {
            number.push(char::from(byte[0]));
        }
        anyhow::ensure!(!number.is_empty(), "Xvfb reported no display");
        Ok(Self {
            child,
            name: format!(":{number}"),
        })
    }

    /// The `DISPLAY` value.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl Drop for Xvfb {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What a Windows program run under Wine needs in its environment.
pub struct WineEnvironment {
    prefix: PathBuf,
}

impl WineEnvironment {
    /// Ends the prefix's Wine session (its wineserver, and the desktop process made without
    /// a display) and waits for it, so the next program starts a fresh one with its own
    /// environment.
    pub fn restart_session(&self) {
        for flag in ["-k", "-w"] {
            let mut command = Command::new("wineserver");
            command.arg(flag);
            self.apply(&mut command);
            let _ = command.status();
        }
    }

    /// Sets Wine's variables on `command` (and on everything it starts).
    pub fn apply(&self, command: &mut Command) {
        command
            .env("WINEPREFIX", &self.prefix)
            .env("WINEDEBUG", "-all")
            // No .NET or browser installers at first start; our ProcessPrng first.
            .env("WINEDLLOVERRIDES", "mscoree,mshtml=;bcryptprimitives=n,b");
    }
}

/// Makes sure the Windows targets build here: the Rust targets and mingw-w64 (installed when
/// we may; otherwise the error says what to install).
pub fn ensure_toolchain() -> Result<()> {
    ensure_packages(false)
}

/// Makes sure the Windows targets build and run here: Rust targets, mingw-w64, Wine 64- and
/// 32-bit, an initialised prefix with the `ProcessPrng` stand-in. Installs what is missing
/// when we may, and otherwise says what to install.
pub fn ensure_windows() -> Result<WineEnvironment> {
    ensure_packages(true)?;
    let environment = WineEnvironment {
        prefix: target_dir().join("wine-prefix"),
    };
    prepare_prefix(&environment)?;
    Ok(environment)
}

/// The Rust targets and mingw-w64, and with `wine` Wine 64- and 32-bit.
fn ensure_packages(wine: bool) -> Result<()> {
    let installed = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .context("rustup is needed for the Windows targets: https://rustup.rs")?;
    let installed = String::from_utf8_lossy(&installed.stdout).into_owned();
    for target in WINDOWS_TARGETS {
        if !installed.lines().any(|line| line.trim() == target) {
            run(Command::new("rustup").args(["target", "add", target]))?;
        }
    }
    let have = |program: &str| succeeds(Command::new("sh").arg("-c").arg(format!("command -v {program}")));
    let mut missing = Vec::new();
    if !WINDOWS_TARGETS.iter().all(|target| have(mingw_gcc(target))) {
        missing.push("mingw-w64");
    }
    // Debian's packages: `wine` starts 64-bit programs through `wine64` and 32-bit ones
    // through `wine32`'s loader.
    for package in ["wine", "wine64", "wine32:i386"] {
        if wine && !crate::fetch::installed(package) {
            missing.push(package);
        }
    }
    if !missing.is_empty() {
        if !crate::fetch::may_install() {
            bail!(
                "the Windows tests need mingw-w64 and Wine. Run:\n  sudo dpkg --add-architecture i386 && sudo apt-get update && sudo apt-get install -y {}",
                missing.join(" ")
            );
        }
        crate::fetch::apt_install_multiarch(&missing)?;
    }
    Ok(())
}

/// The files of the Windows dist (`target/dist/windows/`): a proxy for 64-bit DAWs and one
/// for 32-bit DAWs, both servers, and the command.
pub const DIST_FILES: [&str; 5] = [
    "vstbridge-proxy-x86_64.dll",
    "vstbridge-proxy-i686.dll",
    "vstbridge-server-x86_64.exe",
    "vstbridge-server-i686.exe",
    "vstbridge.exe",
];

/// Release builds for both Windows targets, assembled in `dest` under [`DIST_FILES`]' names;
/// both proxies checked to export undecorated `VSTPluginMain` and `main`.
pub fn dist(dest: &Path) -> Result<()> {
    ensure_toolchain()?;
    for target in WINDOWS_TARGETS {
        build_for(
            target,
            crate::build::Profile::Release,
            &["vstbridge-proxy", "vstbridge-server", "vstbridge"],
        )?;
    }
    assemble(crate::build::Profile::Release, dest, true)?;
    for target in WINDOWS_TARGETS {
        crate::build::check_exports(&dest.join(format!("vstbridge-proxy-{}.dll", server_arch(target))))?;
    }
    Ok(())
}

/// Initialises the prefix once (about 12 s and 1.3 GB), then puts the `ProcessPrng`
/// stand-in into its 64-bit and 32-bit system folders, and waits for the wineserver to
/// settle so the first test does not absorb the start-up.
fn prepare_prefix(environment: &WineEnvironment) -> Result<()> {
    let prefix = &environment.prefix;
    if !prefix.join("system.reg").is_file() {
        eprintln!("initialising the Wine prefix {}", prefix.display());
        std::fs::create_dir_all(prefix)?;
        let mut boot = Command::new("wineboot");
        boot.arg("--init");
        environment.apply(&mut boot);
        run(&mut boot).context("wineboot --init failed")?;
    }
    let windows = prefix.join("drive_c").join("windows");
    for (target, folder) in [(WINDOWS_TARGETS[0], "system32"), (WINDOWS_TARGETS[1], "syswow64")] {
        let installed = windows.join(folder).join("bcryptprimitives.dll");
        let built = build_process_prng(target)?;
        let current = std::fs::read(&installed).ok();
        if current.as_deref() != Some(std::fs::read(&built)?.as_slice()) {
            std::fs::copy(&built, &installed)
                .with_context(|| format!("copying the ProcessPrng stand-in to {}", installed.display()))?;
        }
    }
    let mut settle = Command::new("wineserver");
    settle.arg("-w");
    environment.apply(&mut settle);
    run(&mut settle)
}

/// Builds `wine/bcryptprimitives.c` for `target`; returns the DLL.
fn build_process_prng(target: &str) -> Result<PathBuf> {
    let folder = target_dir().join("wine-stubs").join(target);
    std::fs::create_dir_all(&folder)?;
    let source = folder.join("bcryptprimitives.c");
    std::fs::write(&source, include_str!("wine/bcryptprimitives.c"))?;
    let dll = folder.join("bcryptprimitives.dll");
    run(Command::new(mingw_gcc(target))
        .args([
            "-shared",
            "-O2",
            "-s",
            "-Wl,--kill-at",
            "-Wl,--no-insert-timestamp",
            "-o",
        ])
        .arg(&dll)
        .arg(&source)
        .arg("-ladvapi32"))?;
    Ok(dll)
}
