//! The real host the tests drive: DawDreamer 0.9.0 (PyPI, a JUCE host that loads Linux VST2
//! plugins by path) with numpy, in a venv under `target/dawdreamer-venv`, and Debian's Xvfb
//! for the scenarios that open an editor. Already-present pieces are left alone.

use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::util::{run, succeeds, target_dir};

/// The DawDreamer release the tests are written against.
const DAWDREAMER: &str = "dawdreamer==0.9.0";

/// Installs Xvfb (when we may) and DawDreamer into its venv.
pub fn ensure_real_host() -> Result<()> {
    if !succeeds(Command::new("sh").args(["-c", "command -v Xvfb"])) {
        if !crate::fetch::may_install() {
            bail!("the real-host tests need Xvfb. Run:\n  sudo apt-get install -y xvfb");
        }
        crate::fetch::apt_install_packages(&["xvfb"])?;
    }
    let venv = target_dir().join("dawdreamer-venv");
    let python = venv.join("bin/python");
    let ready = |python: &std::path::Path| succeeds(Command::new(python).args(["-c", "import dawdreamer, numpy"]));
    if python.is_file() && ready(&python) {
        return Ok(());
    }
    eprintln!("installing {DAWDREAMER} and numpy into {}", venv.display());
    run(Command::new("python3").args(["-m", "venv"]).arg(&venv))
        .context("python3 with the venv module is needed for the real-host tests")?;
    run(Command::new(&python).args(["-m", "pip", "install", "--quiet", DAWDREAMER, "numpy"]))?;
    if !ready(&python) {
        bail!("DawDreamer was installed into {} but does not import", venv.display());
    }
    Ok(())
}
