//! `cargo xtask fetch-plugins`: Debian's `dpf-plugins-vst` for amd64, i386 and arm64, unpacked
//! side by side into `target/real-plugins/<arch>/`, plus the i386 runtime libraries the 32-bit
//! builds need; and Debian's `amsynth` (a synth with a GTK editor): the amd64 package
//! installed, since the plugin finds its skins only under `/usr/share/amsynth`, and the
//! i386 plugin unpacked beside the i386 dpf plugins (it uses the same skins) with the i386
//! GTK 2 runtime. Already-present pieces are left alone, so it is cheap to run every time.

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
/// The 32-bit amsynth, unpacked into the i386 tree.
const AMSYNTH_I386: &str = "usr/lib/vst/amsynth_vst.so";
/// The i386 libraries the 32-bit dpf plugins link against (the GUI-linked ones, such as
/// 3BandEQ, need the X11 and GL libraries too).
const I386_RUNTIME: [&str; 11] = [
    "libc6:i386",
    "libstdc++6:i386",
    "libgl1:i386",
    "libx11-6:i386",
    "libxcursor1:i386",
    "libxext6:i386",
    "libxrandr2:i386",
    // amsynth's.
    "libgtk2.0-0:i386",
    "libjack-jackd2-0:i386",
    "liblo7:i386",
    "libasound2:i386",
];
/// The amd64 libraries the GUI-linked 64-bit dpf plugins need, and amsynth (installed with
/// its own dependencies; its plugin is `/usr/lib/vst/amsynth_vst.so`).
const AMD64_RUNTIME: [&str; 6] = ["libgl1", "libx11-6", "libxcursor1", "libxext6", "libxrandr2", "amsynth"];

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
        download_and_unpack(PACKAGE, arch, &dest, MARKER)?;
    }
    let i386 = root.join("i386");
    if !i386.join(AMSYNTH_I386).is_file() {
        download_and_unpack("amsynth", "i386", &i386, AMSYNTH_I386)?;
    }
    // The arm64 builds, for the arm64 server under qemu-user (they link only the C and C++
    // runtimes, which Debian's cross toolchain provides; apt needs the architecture to
    // download them).
    let arm64 = root.join("arm64");
    if !arm64.join(MARKER).is_file() {
        ensure_foreign_architecture("arm64")?;
        download_and_unpack(PACKAGE, "arm64", &arm64, MARKER)?;
    }
    eprintln!("real plugins ready in {}", root.display());
    Ok(())
}

/// Adds the Debian architecture `arch` to dpkg's foreign ones (for `apt-get download`) when
/// it is missing, with fresh package lists.
fn ensure_foreign_architecture(arch: &str) -> Result<()> {
    let foreign = Command::new("dpkg")
        .arg("--print-foreign-architectures")
        .output()
        .context("dpkg is required")?;
    if String::from_utf8_lossy(&foreign.stdout)
        .lines()
        .any(|line| line.trim() == arch)
    {
        return Ok(());
    }
    if !may_install() {
        bail!(
            "the {arch} plugins come from Debian's {arch} packages. Run:\n  sudo dpkg --add-architecture {arch} && sudo apt-get update"
        );
    }
    run(privileged("dpkg").args(["--add-architecture", arch]))?;
    apt_update()
}

/// Downloads Debian's `package` for `arch` and unpacks it into `dest`, which must then hold
/// `marker`.
fn download_and_unpack(package: &str, arch: &str, dest: &Path, marker: &str) -> Result<()> {
    let work = target_dir()
        .join("real-plugins")
        .join(format!(".download-{package}-{arch}"));
    std::fs::create_dir_all(&work)?;
    let spec = format!("{package}:{arch}");
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
    if !dest.join(marker).is_file() {
        bail!("{} was unpacked but {marker} is missing", deb.display());
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

/// Whether dpkg has `package` (`name` or `name:arch`) installed.
pub fn installed(package: &str) -> bool {
    Command::new("dpkg-query")
        .args(["-W", "-f=${Status}", package])
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("install ok installed"))
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
    let missing: Vec<&str> = I386_RUNTIME
        .iter()
        .chain(&AMD64_RUNTIME)
        .copied()
        .filter(|p| !installed(p))
        .collect();
    if has_i386 && missing.is_empty() {
        return Ok(());
    }
    if !is_root() && !succeeds(Command::new("sudo").args(["-n", "true"])) {
        bail!(
            "the real plugins need these libraries. Run:\n  sudo dpkg --add-architecture i386 && sudo apt-get update && sudo apt-get install -y {}",
            missing.join(" ")
        );
    }
    if !has_i386 {
        run(privileged("dpkg").args(["--add-architecture", "i386"]))?;
    }
    apt_install_multiarch(&missing)
}

/// Updates the package lists and installs `packages`, some of them `:i386`; when the two
/// architectures' versions of a shared library disagree (multiarch skew: an i386 library
/// lags its installed amd64 twin, and the two must match), pins both to the version the
/// i386 side has and installs again. The caller has added the i386 architecture.
pub fn apt_install_multiarch(packages: &[&str]) -> Result<()> {
    apt_update()?;
    if apt_install(packages, &[]).is_ok() {
        return Ok(());
    }
    let pins = multiarch_pins(packages);
    eprintln!("retrying with matching multiarch versions: {}", pins.join(" "));
    apt_install(packages, &pins)
}

/// `apt-get install -y` of `packages` plus `pins` (`name:arch=version`).
fn apt_install(packages: &[&str], pins: &[String]) -> Result<()> {
    let mut install = privileged("apt-get");
    install.args(["install", "-y", "--no-install-recommends"]);
    if !pins.is_empty() {
        install.arg("--allow-downgrades");
    }
    install
        .args(packages)
        .args(pins)
        .env("DEBIAN_FRONTEND", "noninteractive");
    run(&mut install)
}

/// For every library in the i386 packages' dependency trees whose installed amd64 version
/// differs from the i386 candidate, pins both architectures to the i386 candidate (when the
/// amd64 side offers that version). Computed from the live package indexes.
fn multiarch_pins(packages: &[&str]) -> Vec<String> {
    let i386: Vec<&str> = packages.iter().copied().filter(|p| p.ends_with(":i386")).collect();
    let tree = Command::new("apt-cache")
        .args([
            "depends",
            "--recurse",
            "--no-recommends",
            "--no-suggests",
            "--no-conflicts",
            "--no-breaks",
            "--no-replaces",
            "--no-enhances",
        ])
        .args(&i386)
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
    let mut names: Vec<String> = tree
        .lines()
        .filter(|line| !line.starts_with(' ') && !line.starts_with('<'))
        .map(|line| line.trim().trim_end_matches(":i386").to_owned())
        .collect();
    names.sort();
    names.dedup();
    let mut pins = Vec::new();
    for name in names {
        let amd64 = policy(&format!("{name}:amd64"));
        let i386 = policy(&format!("{name}:i386"));
        let (Some(installed), Some(candidate)) = (amd64.installed, i386.candidate) else {
            continue;
        };
        if installed != candidate && amd64.versions.contains(&candidate) {
            pins.push(format!("{name}:amd64={candidate}"));
            pins.push(format!("{name}:i386={candidate}"));
        }
    }
    pins
}

/// What `apt-cache policy` says about one package.
#[derive(Default)]
struct Policy {
    installed: Option<String>,
    candidate: Option<String>,
    versions: Vec<String>,
}

fn policy(package: &str) -> Policy {
    let text = Command::new("apt-cache")
        .args(["policy", package])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
    let mut policy = Policy::default();
    let mut in_table = false;
    for line in text.lines() {
        let trimmed = line.trim();
        if let Some(version) = trimmed.strip_prefix("Installed:") {
            policy.installed = Some(version.trim().to_owned()).filter(|v| v != "(none)");
        } else if let Some(version) = trimmed.strip_prefix("Candidate:") {
            policy.candidate = Some(version.trim().to_owned()).filter(|v| v != "(none)");
        } else if trimmed.starts_with("Version table:") {
            in_table = true;
        } else if in_table && line.starts_with("     ") && !line.starts_with("        ") {
            if let Some(version) = trimmed.trim_start_matches("*** ").split_whitespace().next() {
                policy.versions.push(version.to_owned());
            }
        }
    }
    policy
}

/// Whether this process may install packages (root, or passwordless sudo).
pub fn may_install() -> bool {
    is_root() || succeeds(Command::new("sudo").args(["-n", "true"]))
}

/// Updates the package lists and installs `packages`.
pub fn apt_install_packages(packages: &[&str]) -> Result<()> {
    apt_update()?;
    apt_install(packages, &[])
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
