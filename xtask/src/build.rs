//! `cargo xtask build`: the x86_64 workspace, plus the i686 server and test plugins, after
//! making sure the i686 toolchain pieces exist.

use std::process::Command;

use anyhow::{Result, bail};

use crate::util::{cargo, run, succeeds};

/// The 32-bit target the bridge supports on Linux.
pub const I686: &str = "i686-unknown-linux-gnu";

/// Packages built for i686: what a 32-bit plugin needs on the far side of the bridge, and
/// what the i686 tests load.
pub const I686_PACKAGES: [&str; 6] = [
    "vstbridge-server",
    "test-plugin-gain",
    "test-plugin-synth",
    "test-plugin-probe",
    "test-plugin-crash",
    "test-plugin-hang",
];

/// Adds the i686 Rust target when missing and checks that the C toolchain can link 32-bit
/// code, explaining how to fix it when not.
pub fn ensure_i686_toolchain() -> Result<()> {
    let installed = Command::new("rustup").args(["target", "list", "--installed"]).output();
    match installed {
        Ok(output)
            if String::from_utf8_lossy(&output.stdout)
                .lines()
                .any(|line| line.trim() == I686) => {}
        Ok(_) => run(Command::new("rustup").args(["target", "add", I686]))?,
        Err(_) => bail!(
            "rustup is not installed; the i686 target needs it: https://rustup.rs then `rustup target add {I686}`"
        ),
    }
    let probe = std::env::temp_dir().join(format!("vstbridge-m32-probe-{}", std::process::id()));
    let linked = succeeds(Command::new("sh").arg("-c").arg(format!(
        "printf 'int main(void){{return 0;}}' | cc -m32 -x c - -o '{}'",
        probe.display()
    )));
    std::fs::remove_file(&probe).ok();
    if !linked {
        bail!(
            "the C toolchain cannot link 32-bit programs, which the i686 build needs.\n\
             Install Debian's multilib support:  sudo apt-get install gcc-multilib"
        );
    }
    Ok(())
}

/// Builds everything the tests use, for both architectures.
pub fn build_all() -> Result<()> {
    ensure_i686_toolchain()?;
    run(cargo().args(["build", "--workspace", "--all-targets"]))?;
    let mut i686 = cargo();
    i686.args(["build", "--target", I686]);
    for package in I686_PACKAGES {
        i686.args(["-p", package]);
    }
    run(&mut i686)
}
