//! Real third-party Windows VST2 plugins for the Windows tests: Debian's `dpf-plugins`
//! sources, cross-compiled with mingw-w64 into DLLs for x64 and x86 (DSP only, no GUI),
//! into `target/real-plugins/windows/<arch>/<NAME>-vst.dll`.
//!
//! The source comes from Debian's archive (a private `deb-src` list, so the machine's apt
//! configuration is untouched); only the upstream `.orig.tar.xz` is needed. DPF links
//! Windows builds statically (they import only KERNEL32 and msvcrt) and exports
//! `VSTPluginMain` and `main`, which is checked. Already built plugins are left alone.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result};

use crate::util::{run, target_dir};

/// The plugin folders of the source tree built, and the DLL each makes.
pub const PLUGINS: [(&str, &str); 2] = [("bitcrush", "MaBitcrush-vst.dll"), ("3BandEQ", "3BandEQ-vst.dll")];

/// Debian's source package.
const SOURCE: &str = "dpf-plugins";
/// The suite whose sources match the Linux builds the tests compare with.
const DEB_SRC: &str = "deb-src http://deb.debian.org/debian bookworm main\n";

/// `target/real-plugins/windows/<arch>/`.
pub fn plugin_dir(arch: &str) -> PathBuf {
    target_dir().join("real-plugins").join("windows").join(arch)
}

/// Builds every plugin of [`PLUGINS`] for both Windows targets, unless already built.
pub fn build() -> Result<()> {
    let missing = crate::windows::WINDOWS_TARGETS.iter().any(|target| {
        let dir = plugin_dir(crate::windows::server_arch(target));
        PLUGINS.iter().any(|(_, dll)| !dir.join(dll).is_file())
    });
    if !missing {
        eprintln!("Windows dpf plugins already in {}", plugin_dir("").display());
        return Ok(());
    }
    crate::windows::ensure_toolchain()?;
    let tree = source_tree()?;
    for target in crate::windows::WINDOWS_TARGETS {
        let arch = crate::windows::server_arch(target);
        let triple = if arch == "x86_64" {
            "x86_64-w64-mingw32"
        } else {
            "i686-w64-mingw32"
        };
        let dest = plugin_dir(arch);
        std::fs::create_dir_all(&dest)?;
        for (folder, dll) in PLUGINS {
            let work = target_dir()
                .join("real-plugins")
                .join(".windows-build")
                .join(arch)
                .join(folder);
            let mut make = Command::new("make");
            make.arg("-j2")
                .arg("-C")
                .arg(tree.join("plugins").join(folder))
                .arg(format!("CC={triple}-gcc"))
                .arg(format!("CXX={triple}-g++"))
                .args([
                    "HAVE_DGL=false",
                    "HAVE_OPENGL=false",
                    "HAVE_CAIRO=false",
                    "HAVE_VULKAN=false",
                    "HAVE_JACK=false",
                    "HAVE_LIBLO=false",
                ])
                .arg(format!("DPF_BUILD_DIR={}", work.join("obj").display()))
                .arg(format!("DPF_TARGET_DIR={}", work.join("bin").display()))
                .arg("vst2")
                // Byte-reproducible DLLs.
                .env("LDFLAGS", "-Wl,--no-insert-timestamp -Wl,--disable-auto-image-base");
            run(&mut make).with_context(|| format!("building {dll} for {arch} with mingw-w64"))?;
            let built = work.join("bin").join(dll);
            crate::build::check_exports(&built)?;
            std::fs::copy(&built, dest.join(dll))
                .with_context(|| format!("cannot copy {} into {}", built.display(), dest.display()))?;
        }
    }
    eprintln!("Windows dpf plugins built into {}", plugin_dir("").display());
    Ok(())
}

/// Downloads and unpacks Debian's source once; the unpacked tree.
fn source_tree() -> Result<PathBuf> {
    let work = target_dir().join("real-plugins").join(".windows-src");
    if let Some(tree) = unpacked_tree(&work) {
        return Ok(tree);
    }
    let lists = work.join("lists");
    std::fs::create_dir_all(lists.join("partial"))?;
    let source_list = work.join("sources.list");
    std::fs::write(&source_list, DEB_SRC)?;
    let apt = |args: &[&str]| {
        let mut apt = Command::new("apt-get");
        apt.arg("-o")
            .arg(format!("Dir::Etc::sourcelist={}", source_list.display()))
            .args(["-o", "Dir::Etc::sourceparts=/dev/null", "-o"])
            .arg(format!("Dir::State::Lists={}", lists.display()))
            .args(args)
            .current_dir(&work);
        apt
    };
    run(&mut apt(&["update"])).context("could not read Debian's source index")?;
    // The Debian packaging tarball may be gone from the mirror; only the upstream one is
    // needed, so the download's exit status does not decide.
    let _ = run(&mut apt(&["source", "--download-only", SOURCE]));
    let tarball = std::fs::read_dir(&work)?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .find(|path| path.to_string_lossy().ends_with(".orig.tar.xz"))
        .with_context(|| {
            format!(
                "Debian's {SOURCE} source (.orig.tar.xz) did not arrive in {}",
                work.display()
            )
        })?;
    run(Command::new("tar").arg("xf").arg(&tarball).current_dir(&work))?;
    unpacked_tree(&work).with_context(|| format!("{} held no source tree", tarball.display()))
}

/// The unpacked source tree under `work`, if there is one.
fn unpacked_tree(work: &Path) -> Option<PathBuf> {
    std::fs::read_dir(work)
        .ok()?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .find(|path| path.is_dir() && path.join("plugins").join("bitcrush").is_dir())
}
