//! `cargo xtask build`: the x86_64 workspace, plus the i686 server and test plugins, after
//! making sure the i686 toolchain pieces exist.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::util::{cargo, run, succeeds, target_dir};

/// The 32-bit target the bridge supports on Linux.
pub const I686: &str = "i686-unknown-linux-gnu";
/// The arm64 Linux target: its server runs arm64 plugins under qemu-user.
pub const AARCH64: &str = "aarch64-unknown-linux-gnu";
/// What building and running the arm64 server needs: the emulator and Debian's cross C and
/// C++ toolchain (whose runtime under `/usr/aarch64-linux-gnu` is the emulator's root).
const AARCH64_PACKAGES: [&str; 3] = ["qemu-user", "gcc-aarch64-linux-gnu", "g++-aarch64-linux-gnu"];

/// Packages built for i686: the proxy a 32-bit DAW loads, what a 32-bit plugin needs on the
/// far side of the bridge, and what the i686 tests load.
pub const I686_PACKAGES: [&str; 8] = [
    "vstbridge-proxy",
    "vstbridge-server",
    "test-plugin-gain",
    "test-plugin-synth",
    "test-plugin-probe",
    "test-plugin-crash",
    "test-plugin-hang",
    "test-plugin-editor",
];

/// Adds the i686 Rust target when missing and checks that the C toolchain can link 32-bit
/// code, explaining how to fix it when not.
pub fn ensure_i686_toolchain() -> Result<()> {
    ensure_rust_target(I686)?;
    if can_link_32_bit() {
        return Ok(());
    }
    // A fresh Debian machine lacks the 32-bit C and C++ runtimes (the server's C++
    // exception guard links libstdc++); install them when we may.
    if crate::fetch::may_install() {
        eprintln!("the C++ toolchain cannot link 32-bit programs; installing g++-multilib");
        crate::fetch::apt_install_packages(&["g++-multilib"])?;
        if can_link_32_bit() {
            return Ok(());
        }
    }
    bail!(
        "the C toolchain cannot link 32-bit programs, which the i686 build needs.\n\
         Install Debian's multilib support:  sudo apt-get install g++-multilib"
    )
}

/// Adds the Rust target `target` when rustup lacks it.
fn ensure_rust_target(target: &str) -> Result<()> {
    let installed = Command::new("rustup").args(["target", "list", "--installed"]).output();
    match installed {
        Ok(output)
            if String::from_utf8_lossy(&output.stdout)
                .lines()
                .any(|line| line.trim() == target) =>
        {
            Ok(())
        }
        Ok(_) => run(Command::new("rustup").args(["target", "add", target])),
        Err(_) => bail!(
            "rustup is not installed; the {target} target needs it: https://rustup.rs then `rustup target add {target}`"
        ),
    }
}

/// Adds the arm64 Rust target, Debian's cross toolchain and the emulator when missing, or
/// says how.
pub fn ensure_aarch64_toolchain() -> Result<()> {
    ensure_rust_target(AARCH64)?;
    let missing: Vec<&str> = AARCH64_PACKAGES
        .iter()
        .copied()
        .filter(|package| !crate::fetch::installed(package))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    if crate::fetch::may_install() {
        return crate::fetch::apt_install_packages(&missing);
    }
    bail!(
        "the arm64 server needs QEMU and Debian's arm64 cross toolchain:  sudo apt-get install {}",
        missing.join(" ")
    )
}

fn aarch64_build(extra: &[&str]) -> std::process::Command {
    let mut build = cargo();
    build
        .args(["build", "--target", AARCH64])
        .args(extra)
        .args(["-p", "vstbridge-server"]);
    build
}

/// Whether `c++ -m32` can link a program that catches a C++ exception.
fn can_link_32_bit() -> bool {
    let probe = std::env::temp_dir().join(format!("vstbridge-m32-probe-{}", std::process::id()));
    let linked = succeeds(Command::new("sh").arg("-c").arg(format!(
        "printf 'int main(){{try{{throw 1;}}catch(...){{}}return 0;}}' | c++ -m32 -x c++ - -o '{}'",
        probe.display()
    )));
    std::fs::remove_file(&probe).ok();
    linked
}

/// Builds everything the tests use, for both architectures, and assembles the bridge
/// files the end-to-end tests load in `target/debug/bridge/`.
pub fn build_all() -> Result<()> {
    ensure_i686_toolchain()?;
    ensure_aarch64_toolchain()?;
    run(cargo().args(["build", "--workspace", "--all-targets"]))?;
    run(&mut i686_build(&[]))?;
    run(&mut aarch64_build(&[]))?;
    assemble(Profile::Debug, &target_dir().join("debug").join("bridge"), Arm64::With)
}

/// Whether a build includes the arm64 server (and so needs the cross toolchain).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Arm64 {
    With,
    Without,
}

/// Release builds of the proxies, the servers (the arm64 one `with` it) and `packages`,
/// assembled in `target/release/bridge/`; returns `target/release/`.
fn build_release_bridge(packages: &[&str], arm64: Arm64) -> Result<PathBuf> {
    ensure_i686_toolchain()?;
    let mut build = cargo();
    build.args(["build", "--release", "-p", "vstbridge-proxy", "-p", "vstbridge-server"]);
    for package in packages {
        build.args(["-p", package]);
    }
    run(&mut build)?;
    run(&mut i686_build(&["--release"]))?;
    if arm64 == Arm64::With {
        ensure_aarch64_toolchain()?;
        run(&mut aarch64_build(&["--release"]))?;
    }
    let release = target_dir().join("release");
    assemble(Profile::Release, &release.join("bridge"), arm64)?;
    Ok(release)
}

/// `cargo xtask demo`: builds what the demo needs (not the test suite, nor the arm64
/// server and its cross toolchain) and runs `vstbridge demo`, which bridges the i686 test
/// synth into a 64-bit process. Release builds: the demo reports the bridge's cost per
/// block, which a debug build would overstate many times over.
pub fn demo() -> Result<()> {
    let release = build_release_bridge(&["vstbridge", "test-plugin-synth"], Arm64::Without)?;
    run(Command::new(release.join("vstbridge"))
        .arg("demo")
        .current_dir(crate::util::workspace_root()))
}

/// `cargo xtask bench [--quick] [--periods N] [--only SECTION]`: release builds of everything measured, then the bench.
pub fn bench(args: &[String]) -> Result<()> {
    let release = build_release_bridge(&["vstbridge-bench", "test-plugin-gain"], Arm64::With)?;
    let quick = args.iter().any(|a| a == "--quick");
    let only = match args.iter().position(|a| a == "--only") {
        Some(at) => Some(args.get(at + 1).context("--only needs a section")?.as_str()),
        None => None,
    };
    if only == Some("windows") {
        return crate::windows::bench_handoff(quick, &release);
    }
    // The real-host row needs Debian's plugins and DawDreamer.
    crate::fetch::fetch_plugins()?;
    crate::real_host::ensure_real_host()?;
    let mut bench = Command::new(release.join("vstbridge-bench"));
    bench
        .arg("--dist")
        .arg(release.join("bridge"))
        .arg("--gain-x86_64")
        .arg(release.join("libtest_plugin_gain.so"))
        .arg("--gain-i686")
        .arg(target_dir().join(I686).join("release").join("libtest_plugin_gain.so"))
        .arg("--json")
        .arg(target_dir().join("bench").join("results.json"))
        .env("VSTBRIDGE_REAL_PLUGINS", target_dir().join("real-plugins"))
        .env(
            "VSTBRIDGE_DAWDREAMER_PYTHON",
            target_dir().join("dawdreamer-venv/bin/python"),
        )
        .env("VSTBRIDGE_LOG", "warn");
    if quick {
        bench.arg("--quick");
    }
    if let Some(at) = args.iter().position(|a| a == "--periods") {
        let periods = args.get(at + 1).context("--periods needs a number")?;
        periods.parse::<usize>().context("--periods needs a number")?;
        bench.args(["--periods", periods]);
    }
    if let Some(section) = only {
        bench.args(["--only", section]);
    }
    run(&mut bench)?;
    if only.is_none() {
        crate::windows::bench_handoff(quick, &release)?;
    }
    Ok(())
}

/// `cargo xtask fuzz [--iterations N] [--seed S]`: a release build of the fuzzer, run on
/// every target (frames, region, events, replies) with N inputs each (default 1,000,000).
pub fn fuzz(args: &[String]) -> Result<()> {
    run(cargo().args(["build", "--release", "-p", "vstbridge-fuzz"]))?;
    let mut fuzz = Command::new(target_dir().join("release").join("vstbridge-fuzz"));
    if !args.iter().any(|a| a == "--iterations") {
        fuzz.args(["--iterations", "1000000"]);
    }
    fuzz.args(args);
    run(&mut fuzz)
}

/// `cargo xtask dist`: release builds of the proxy, both servers and the command in
/// `target/dist/`.
pub fn dist() -> Result<()> {
    let release = build_release_bridge(&["vstbridge"], Arm64::With)?;
    let dist = target_dir().join("dist");
    assemble(Profile::Release, &dist, Arm64::With)?;
    // The command finds the proxy and servers beside itself.
    let command = dist.join("vstbridge");
    let _ = std::fs::remove_file(&command);
    std::fs::copy(release.join("vstbridge"), &command)?;
    println!("dist ready in {}:", dist.display());
    for file in DIST_FILES {
        println!("  {file}");
    }
    let windows = dist.join("windows");
    crate::windows::dist(&windows)?;
    // The Linux proxy runs the Windows servers under Wine for Windows plugins.
    crate::windows::add_servers_for_wine(Profile::Release, &dist)?;
    for file in crate::windows::WINE_SERVER_FILES {
        println!("  {file}");
    }
    println!("Windows dist ready in {}:", windows.display());
    for file in crate::windows::DIST_FILES {
        println!("  {file}");
    }
    Ok(())
}

/// `cargo xtask install`: the dist of this system, copied into the standard location the
/// proxy searches last for its servers (`~/.local/lib/vstbridge/`; on Windows
/// `%LOCALAPPDATA%\Programs\vstbridge\`).
pub fn install() -> Result<()> {
    dist()?;
    let variable = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty()).map(PathBuf::from);
    let (from, files, dest): (PathBuf, Vec<&str>, Option<PathBuf>) = if cfg!(windows) {
        (
            target_dir().join("dist").join("windows"),
            crate::windows::DIST_FILES.to_vec(),
            variable("LOCALAPPDATA").map(|dir| dir.join("Programs").join("vstbridge")),
        )
    } else {
        (
            target_dir().join("dist"),
            DIST_FILES
                .iter()
                .chain(&crate::windows::WINE_SERVER_FILES)
                .copied()
                .collect(),
            variable("HOME").map(|home| home.join(".local").join("lib").join("vstbridge")),
        )
    };
    let dest = dest.context("no home folder to install into (HOME or LOCALAPPDATA is unset)")?;
    std::fs::create_dir_all(&dest)?;
    for file in files {
        let to = dest.join(file);
        if let Some(folder) = to.parent() {
            std::fs::create_dir_all(folder)?;
        }
        // Replace rather than overwrite in place: a running server keeps its old file.
        let _ = std::fs::remove_file(&to);
        std::fs::copy(from.join(file), &to).with_context(|| format!("cannot install {}", to.display()))?;
    }
    println!("installed into {}", dest.display());
    Ok(())
}

/// Which cargo profile to take files from.
#[derive(Clone, Copy)]
pub enum Profile {
    /// `target/.../debug`.
    Debug,
    /// `target/.../release`.
    Release,
}

impl Profile {
    /// The folder name of this profile's output.
    pub fn dir(self) -> &'static str {
        match self {
            Profile::Debug => "debug",
            Profile::Release => "release",
        }
    }
}

/// The files a bridge installation consists of.
pub const DIST_FILES: [&str; 6] = [
    "vstbridge-proxy.so",
    "vstbridge-proxy-i686.so",
    "vstbridge-server-x86_64",
    "vstbridge-server-i686",
    "vstbridge-server-aarch64",
    "vstbridge",
];

fn i686_build(extra: &[&str]) -> std::process::Command {
    let mut i686 = cargo();
    i686.args(["build", "--target", I686]).args(extra);
    for package in I686_PACKAGES {
        i686.args(["-p", package]);
    }
    i686
}

/// Copies both proxies (for 64-bit and for 32-bit DAWs) and the servers of `profile` (the
/// arm64 one `with` it) into `dest` under their installed names, and checks the proxies
/// export both VST2 entry points.
fn assemble(profile: Profile, dest: &Path, arm64: Arm64) -> Result<()> {
    let target = target_dir();
    let native = target.join(profile.dir());
    let i686 = target.join(I686).join(profile.dir());
    std::fs::create_dir_all(dest)?;
    let copies = [
        (native.join("libvstbridge_proxy.so"), "vstbridge-proxy.so"),
        (i686.join("libvstbridge_proxy.so"), "vstbridge-proxy-i686.so"),
        (native.join("vstbridge-server"), "vstbridge-server-x86_64"),
        (i686.join("vstbridge-server"), "vstbridge-server-i686"),
        (
            target.join(AARCH64).join(profile.dir()).join("vstbridge-server"),
            "vstbridge-server-aarch64",
        ),
    ];
    for (from, name) in copies {
        if name == "vstbridge-server-aarch64" && arm64 == Arm64::Without {
            continue;
        }
        let to = dest.join(name);
        // Replace rather than overwrite in place: a running server keeps its old file.
        let _ = std::fs::remove_file(&to);
        std::fs::copy(&from, &to).with_context(|| format!("cannot copy {} to {}", from.display(), to.display()))?;
    }
    check_exports(&dest.join("vstbridge-proxy.so"))?;
    check_exports(&dest.join("vstbridge-proxy-i686.so"))
}

/// Fails unless the library (ELF or PE) exports `VSTPluginMain` and `main` under those
/// very names (a 32-bit Windows `extern "system"` export would be `_VSTPluginMain@4`, which
/// hosts do not find).
pub fn check_exports(library: &Path) -> Result<()> {
    use object::{Object, ObjectSymbol};
    let data = std::fs::read(library)?;
    let file = object::File::parse(&*data).with_context(|| format!("cannot parse {}", library.display()))?;
    let mut exported: Vec<String> = file
        .dynamic_symbols()
        .filter(|symbol| symbol.is_definition() && symbol.is_global())
        .filter_map(|symbol| symbol.name().ok().map(str::to_owned))
        .collect();
    exported.extend(
        file.exports()
            .with_context(|| format!("cannot read the exports of {}", library.display()))?
            .filter_map(|export| match export.ok()?.name() {
                object::read::NameOrOrdinal::Name(name) => Some(String::from_utf8_lossy(name).into_owned()),
                object::read::NameOrOrdinal::Ordinal(_) => None,
            }),
    );
    for needed in ["VSTPluginMain", "main"] {
        if !exported.iter().any(|name| name == needed) {
            bail!("{} does not export {needed}", library.display());
        }
    }
    Ok(())
}
