//! `cargo xtask fetch-plugins`: Debian's `dpf-plugins-vst` for amd64 and i386, unpacked side
//! by side into `target/real-plugins/<arch>/`, plus the i386 runtime libraries the 32-bit
//! builds need. Already-present pieces are left alone, so it is cheap to run every time.

use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::util::{is_root, run, succeeds, target_dir};

/// The Debian package holding the plugins.
const PACKAGE: &str = "dpf-plugins-vst";
/// Debian architectures fetched.
const ARCHES: [&str; 2] = ["amd64", "i386"];
/// A file whose presence proves an architecture was unpacked.
const MARKER: &str = "usr/lib/vst/Kars-vst.so";
/// The i386 libraries the 32-bit dpf plugins (without GUI) link against.
const I386_RUNTIME: [&str; 2] = ["libc6:i386", "libstdc++6:i386"];

/// Fetches and unpacks both architectures and installs the i386 runtime.
pub fn fetch_plugins() -> Result<()> {
    let root = target_dir().join("real-plugins");
    ensure_i386_runtime()?;
    for arch in ARCHES {
        let dest = root.join(arch);
        if dest.join(MARKER).is_file() {
            eprintln!("real plugins ({arch}) already in {}", dest.display());
            continue;
        }
        download_and_unpack(arch, &dest)?;
    }
    eprintln!("real plugins ready in {}", root.display());
    Ok(())
}

fn download_and_unpack(arch: &str, dest: &Path) -> Result<()> {
    let work = target_dir().join("real-plugins").join(format!(".download-{arch}"));
    std::fs::create_dir_all(&work)?;
    let spec = format!("{PACKAGE}:{arch}");
    let mut download = Command::new("apt-get");
    download.args(["download", &spec]).current_dir(&work);
    if run(&mut download).is_err() {
        // The package lists may be stale or missing on a fresh machine.
        apt_update()?;
        run(&mut download).with_context(|| format!("could not download {spec} from Debian"))?;
    }
    let deb = std::fs::read_dir(&work)?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .find(|path| path.extension().is_some_and(|ext| ext == "deb"))
        .with_context(|| format!("apt-get download left no .deb in {}", work.display()))?;
    std::fs::create_dir_all(dest)?;
    run(Command::new("dpkg-deb").arg("-x").arg(&deb).arg(dest))?;
    std::fs::remove_dir_all(&work).ok();
    if !dest.join(MARKER).is_file() {
        bail!("{} was unpacked but {MARKER} is missing", deb.display());
    }
    Ok(())
}

/// `apt-get update`, tolerating its non-zero exit when one index fails (seen here with one
/// i386 index) as long as the rest updated.
fn apt_update() -> Result<()> {
    let mut update = privileged("apt-get");
    update.arg("update");
    if let Err(error) = run(&mut update) {
        eprintln!("note: {error:#}; continuing with the lists that did update");
    }
    Ok(())
}

/// Adds the i386 architecture to dpkg and installs the runtime libraries when missing.
fn ensure_i386_runtime() -> Result<()> {
    let foreign = Command::new("dpkg")
        .arg("--print-foreign-architectures")
        .output()
        .context("dpkg is required")?;
    let has_i386 = String::from_utf8_lossy(&foreign.stdout)
        .lines()
        .any(|line| line.trim() == "i386");
    let installed = I386_RUNTIME.iter().all(|package| {
        succeeds(Command::new("dpkg-query").args(["-W", "-f=${Status}", package]))
            && Command::new("dpkg-query")
                .args(["-W", "-f=${Status}", package])
                .output()
                .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("install ok installed"))
    });
    if has_i386 && installed {
        return Ok(());
    }
    if !is_root() && !succeeds(Command::new("sudo").args(["-n", "true"])) {
        bail!(
            "the 32-bit plugins need the i386 runtime. Run:\n  sudo dpkg --add-architecture i386 && sudo apt-get update && sudo apt-get install -y {}",
            I386_RUNTIME.join(" ")
        );
    }
    if !has_i386 {
        run(privileged("dpkg").args(["--add-architecture", "i386"]))?;
    }
    apt_update()?;
    let mut install = privileged("apt-get");
    install
        .args(["install", "-y", "--no-install-recommends"])
        .args(I386_RUNTIME);
    install.env("DEBIAN_FRONTEND", "noninteractive");
    run(&mut install)
}

/// `program` run as root: directly when we are root, else through `sudo -n`.
fn privileged(program: &str) -> Command {
    if is_root() {
        Command::new(program)
    } else {
        let mut command = Command::new("sudo");
        command.args(["-n", program]);
        command
    }
}
